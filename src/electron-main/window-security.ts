/**
 * The security posture of the Agent Dashboard window, as pure data and functions (app.ts only
 * applies them; test/electron-main/wiring.test.ts and the browser test check them).
 */
import type { WebPreferences } from 'electron';

/** BrowserWindow webPreferences: an isolated, sandboxed renderer with no Node. */
export function secureWebPreferences({ preload }: { preload: string }): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** The loopback origin the embedded dashboard may use (any port: the sidecar may fall back). */
export const SIDECAR_FRAME_SOURCE = 'http://127.0.0.1:*';

/**
 * The renderer's Content-Security-Policy. It is delivered as a <meta http-equiv> tag that
 * scripts/build-shell.ts writes into dist/renderer/index.html, with the sha256 of the bundled
 * <script> (src/renderer/banner.ts) and of the <style> (no 'unsafe-inline': no other inline script runs). Why a meta tag and not
 * session.webRequest.onHeadersReceived: our page is a file: URL, which has no response headers
 * to rewrite, and a session-wide header hook would also hit the sidecar's own pages inside the
 * iframe, whose CSP is the sidecar's business. A meta CSP also travels with the HTML, so the
 * browser test exercises exactly the policy the app ships.
 */
export function buildRendererCsp({ scriptHashes, styleHashes }: { scriptHashes: string[]; styleHashes: string[] }): string {
  const quote = (hashes: string[]): string => hashes.map((h) => `'sha256-${h}'`).join(' ') || "'none'";
  return [
    "default-src 'none'",
    `script-src ${quote(scriptHashes)}`,
    `style-src ${quote(styleHashes)}`,
    "img-src 'self' data:",
    "font-src 'none'",
    "connect-src 'none'",
    `frame-src ${SIDECAR_FRAME_SOURCE}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** `http://127.0.0.1:<port>` for a sidecar URL/port, or null. */
export function sidecarOrigin(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && u.hostname === '127.0.0.1' && u.port !== '' ? u.origin : null;
  } catch {
    return null;
  }
}

export type NavigationDecision = 'allow-embedded' | 'deny';

/**
 * Only the running sidecar's exact origin is allowed, and only inside the embedded view (the
 * iframe). The top-level window never navigates away from our renderer, and no new window opens.
 */
export function navigationDecision({ url, sidecarUrl }: { url: string; sidecarUrl: string | null }): NavigationDecision {
  const allowed = sidecarOrigin(sidecarUrl);
  if (!allowed) return 'deny';
  try {
    return new URL(url).origin === allowed ? 'allow-embedded' : 'deny';
  } catch {
    return 'deny';
  }
}
