/**
 * Builds the Electron shell (docs/architecture.md "Build"):
 *   dist/main.cjs            src/electron-main/app.ts, CommonJS; `electron` external, electron-store/conf
 *                            (ESM-only) bundled in so any host plugin loader can require it.
 *   dist/preload.cjs         src/preload/preload.ts, one CommonJS file whose only require is
 *                            `electron` (sandbox: true needs exactly that; checked below).
 *   dist/renderer/index.html src/renderer/index.html with src/renderer/banner.ts bundled into its
 *                            one <script>, and its CSP meta filled in: sha256 of that script and
 *                            of the <style>, so no 'unsafe-inline' is needed and no other inline
 *                            script can run.
 *
 * Usage: npx tsx scripts/build-shell.ts [--out dist] [--only preload,renderer,main]
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildRendererCsp } from '../src/electron-main/window-security.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { isMainModule } from './lib/is-main.js';

export const SHELL_TARGETS = ['main', 'preload', 'renderer'] as const;
export type ShellTarget = (typeof SHELL_TARGETS)[number];

export const CSP_PLACEHOLDER = '__AGENT_MONITOR_CSP__';
/** Where index.html takes the renderer bundle. */
export const BUNDLE_MARKER = '<script data-bundle="banner.ts"></script>';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export class ShellBuildError extends Error {
  constructor(message: string) {
    super(`[shell-build] ${message}`);
    this.name = 'ShellBuildError';
  }
}

export interface BuildShellOptions {
  /** Output folder; default <root>/dist. */
  outDir?: string;
  targets?: readonly ShellTarget[];
  root?: string;
}

export interface BuildShellResult {
  outDir: string;
  files: Partial<Record<ShellTarget, string>>;
  csp?: string;
}

function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** Fills the CSP placeholder with hashes of the inline blocks, exactly as the browser hashes them. */
export function renderRendererHtml(source: string): { html: string; csp: string } {
  // Blank out comments (same length) so a comment mentioning <script> cannot fool the scan.
  const scan = source.replace(/<!--[\s\S]*?-->/g, (c) => ' '.repeat(c.length));
  const scriptHashes = [...scan.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => sha256Base64(m[1] ?? ''));
  const styleHashes = [...scan.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => sha256Base64(m[1] ?? ''));
  if (/<script\s[^>]*>/.test(scan)) throw new ShellBuildError('index.html: <script> tags must not have attributes (inline scripts only, hashed into the CSP).');
  const count = source.split(CSP_PLACEHOLDER).length - 1;
  if (count !== 1) throw new ShellBuildError(`index.html: expected the CSP placeholder ${CSP_PLACEHOLDER} exactly once, found ${count}.`);
  const csp = buildRendererCsp({ scriptHashes, styleHashes });
  return { html: source.replace(CSP_PLACEHOLDER, csp), csp };
}

/**
 * src/renderer/banner.ts as one browser script (an IIFE, no imports left): the code that ships,
 * which test/electron-main/wiring.test.ts checks.
 */
export async function bundleRendererScript(root: string = ROOT): Promise<string> {
  const r = await build({
    entryPoints: [path.join(root, 'src/renderer/banner.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // Electron 41's Chromium; the page is the app's own, not the web.
    target: 'chrome120',
    logLevel: 'silent',
    legalComments: 'none',
    sourcemap: false,
    write: false,
  });
  const code = r.outputFiles[0]?.text ?? '';
  if (/<\/script/i.test(code)) throw new ShellBuildError('the renderer bundle contains "</script", which would end the inline script early.');
  return code;
}

/** Puts the bundle where index.html marks it, exactly once. */
export function inlineRendererBundle(source: string, code: string): string {
  const count = source.split(BUNDLE_MARKER).length - 1;
  if (count !== 1) throw new ShellBuildError(`index.html: expected ${BUNDLE_MARKER} exactly once, found ${count}.`);
  return source.replace(BUNDLE_MARKER, () => `<script>\n${code}</script>`);
}

/** The sandboxed preload may require nothing but `electron`. */
export function assertPreloadRequiresOnlyElectron(code: string): void {
  const required = [...code.matchAll(/\brequire\(\s*(["'`])([^"'`]+)\1\s*\)/g)].map((m) => m[2]);
  const others = required.filter((name) => name !== 'electron');
  if (others.length > 0) throw new ShellBuildError(`preload.cjs requires ${others.join(', ')}; a sandboxed preload may only require "electron".`);
  if (/\bimport\.meta\b/.test(code)) throw new ShellBuildError('preload.cjs contains import.meta, which CommonJS cannot evaluate.');
}

export async function buildShell({ outDir, targets = SHELL_TARGETS, root = ROOT }: BuildShellOptions = {}): Promise<BuildShellResult> {
  const out = path.resolve(outDir ?? path.join(root, 'dist'));
  fs.mkdirSync(out, { recursive: true });
  const result: BuildShellResult = { outDir: out, files: {} };
  const common = { bundle: true, format: 'cjs', platform: 'node', logLevel: 'silent', legalComments: 'none', sourcemap: false } as const;

  if (targets.includes('preload')) {
    const file = path.join(out, 'preload.cjs');
    const r = await build({
      ...common,
      entryPoints: [path.join(root, 'src/preload/preload.ts')],
      outfile: file,
      external: ['electron'],
      // Runs in Electron's renderer (Chromium), not in Node; keep the syntax modern but plain.
      target: 'es2022',
      write: false,
    });
    const code = r.outputFiles[0]?.text ?? '';
    assertPreloadRequiresOnlyElectron(code);
    fs.writeFileSync(file, code);
    result.files.preload = file;
  }

  if (targets.includes('main')) {
    const file = path.join(out, 'main.cjs');
    await build({
      ...common,
      entryPoints: [path.join(root, 'src/electron-main/app.ts')],
      outfile: file,
      external: ['electron'],
      target: 'node20',
      // jsonc-parser's "main" is a UMD build whose requires esbuild cannot follow; its ESM build
      // ("module") bundles cleanly.
      mainFields: ['module', 'main'],
      // Bundled ESM-only deps (conf) read import.meta.url; give CommonJS an equivalent.
      define: { 'import.meta.url': '__agentMonitorImportMetaUrl' },
      banner: { js: "const __agentMonitorImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    });
    result.files.main = file;
  }

  if (targets.includes('renderer')) {
    const source = fs.readFileSync(path.join(root, 'src/renderer/index.html'), 'utf8');
    const { html, csp } = renderRendererHtml(inlineRendererBundle(source, await bundleRendererScript(root)));
    const file = path.join(out, 'renderer', 'index.html');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, html);
    result.files.renderer = file;
    result.csp = csp;
  }
  return result;
}

if (isMainModule(import.meta.url)) {
  runCli(
    async () => {
      const usage = `usage: npx tsx scripts/build-shell.ts [--out <dir>] [--only ${SHELL_TARGETS.join(',')}]`;
      const { values } = parseCli({ argv: process.argv.slice(2), usage, options: { out: { type: 'string' }, only: { type: 'string' } } });
      const only = values.only === undefined ? [...SHELL_TARGETS] : values.only.split(',').filter(Boolean);
      const bad = only.filter((t) => !(SHELL_TARGETS as readonly string[]).includes(t));
      if (bad.length > 0 || only.length === 0) throw new UsageError(`unknown target(s) ${bad.join(', ') || '(none given)'}; choose from ${SHELL_TARGETS.join(', ')}`, usage);
      const r = await buildShell({ outDir: values.out, targets: only as ShellTarget[] });
      for (const [target, file] of Object.entries(r.files)) console.log(`[shell-build] ${target.padEnd(8)} ${path.relative(process.cwd(), file)}`);
    },
    { prefix: '[shell-build] ' },
  );
}
