// What the sidecar could not keep is shown on the dashboard, not only counted: the data-loss
// banner (src/sidecar/host/public/host-status.js) in real headless Chromium against a real patched
// sidecar whose data dir records dropped and quarantined spool events, and the framing policy that
// lets only the host's own page embed the dashboard.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../../scripts/lib/browser.js';
import { startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { tempDir } from '../helpers/temp.js';

describe('data-loss banner in Chromium', () => {
  let sidecar: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const dir = tempDir('am-banner-');
    // As the handlers leave them: three events dropped at the spool cap.
    fs.mkdirSync(path.join(dir, 'spool'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, 'spool', 'dropped.json'), JSON.stringify({ dropped: 3, lastDroppedAt: new Date().toISOString() }), { mode: 0o600 });
    sidecar = await startPatched({ dir });
    ({ browser } = await launchChromium());
  });

  afterAll(async () => {
    await browser?.close();
    await sidecar?.stop();
  });

  test('the dashboard says how many events were dropped, and the status API agrees', async () => {
    const status = await sidecar.get<{ spool: { dropped: number } }>('/api/host/status');
    expect(status.spool.dropped).toBe(3);
    const page = await browser.newPage();
    try {
      await page.goto(`${sidecar.url}/`);
      const banner = page.locator('#host-status-banner');
      await banner.waitFor({ state: 'visible', timeout: 15_000 });
      expect(await banner.textContent()).toContain('3 event(s) dropped by the hook handlers');
    } finally {
      await page.close();
    }
  });

  test('a page from another origin cannot frame the dashboard (frame-ancestors)', async () => {
    const res = await fetch(`${sidecar.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/frame-ancestors [^;]*'self'/);
    expect(csp).not.toMatch(/frame-ancestors [^;]*\*/);

    // A real cross-origin embedder: a second loopback server whose page frames the dashboard.
    const { createServer } = await import('node:http');
    const other = createServer((_req, out) => {
      out.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><iframe id="f" src="${sidecar.url}/"></iframe>`);
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const addr = other.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const page = await browser.newPage();
    try {
      const blocked = new Promise<boolean>((resolve) => {
        page.on('console', (m) => {
          if (/frame-ancestors|Refused to frame/i.test(m.text())) resolve(true);
        });
        setTimeout(() => resolve(false), 10_000);
      });
      await page.goto(`http://localhost:${port}/`);
      expect(await blocked).toBe(true);
      // The framed document never got the dashboard: no session list inside the frame.
      const frame = page.frames().find((f) => f !== page.mainFrame());
      const hasList = frame ? await frame.locator('#session-list').count().catch(() => 0) : 0;
      expect(hasList).toBe(0);
    } finally {
      await page.close();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
