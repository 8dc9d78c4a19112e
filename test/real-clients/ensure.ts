// Install (once, on demand) and locate the pinned real agent CLIs used by the real-client tests.
//
// The CLIs live in test/real-clients/node_modules, installed from test/real-clients/package-lock.json
// with `npm ci`. They are large (Codex ~360 MB, Claude Code ~245 MB) and are never a dependency of
// the plugin itself. Several vitest forks may call ensureRealClients() at the same moment: the first
// one takes an O_EXCL lock file and installs; the others wait for the lock to go away.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RealClients {
  /** Codex JS launcher (`node_modules/.bin/codex`); it execs the native binary. */
  codexBin: string;
  /** Claude Code native binary. */
  claudeBin: string;
  /** e.g. `0.169.0` (from `codex --version`). */
  codexVersion: string;
  /** e.g. `2.1.197` (from `claude --version`). */
  claudeVersion: string;
}

export const REAL_CLIENTS_DIR = dirname(fileURLToPath(import.meta.url));
export const INSTALL_LOG = join(tmpdir(), 'agent-monitor-real-clients-install.log');
const LOCK = join(REAL_CLIENTS_DIR, '.install.lock');
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const STALE_LOCK_MS = 15 * 60_000;

interface PinnedVersions {
  codex: string;
  claude: string;
}

let cached: RealClients | undefined;

function pinned(): PinnedVersions {
  const pkg = JSON.parse(readFileSync(join(REAL_CLIENTS_DIR, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const codex = pkg.dependencies['@openai/codex'];
  const claude = pkg.dependencies['@anthropic-ai/claude-code'];
  if (!codex || !claude) throw new Error('test/real-clients/package.json must pin @openai/codex and @anthropic-ai/claude-code');
  return { codex, claude };
}

function installedVersion(pkgName: string): string | undefined {
  const file = join(REAL_CLIENTS_DIR, 'node_modules', pkgName, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function claudeNativeCandidates(): string[] {
  const nm = join(REAL_CLIENTS_DIR, 'node_modules', '@anthropic-ai');
  const exe = process.platform === 'win32' ? 'claude.exe' : 'claude';
  const key = `${process.platform}-${process.arch}`;
  return [
    join(nm, `claude-code-${key}`, exe),
    join(nm, `claude-code-${key}-musl`, exe),
    // After its postinstall ran, the wrapper's bin/claude.exe is the native binary too.
    join(nm, 'claude-code', 'bin', 'claude.exe'),
  ];
}

function findClaudeBin(): string | undefined {
  for (const p of claudeNativeCandidates()) {
    // The wrapper's placeholder stub is tiny; the real binary is hundreds of MB.
    if (existsSync(p) && statSync(p).size > 1_000_000) return p;
  }
  return undefined;
}

function codexLauncher(): string {
  return join(REAL_CLIENTS_DIR, 'node_modules', '.bin', process.platform === 'win32' ? 'codex.cmd' : 'codex');
}

function codexNativePresent(): boolean {
  const nm = join(REAL_CLIENTS_DIR, 'node_modules', '@openai');
  if (!existsSync(nm)) return false;
  // The platform package is `@openai/codex-<platform>-<arch>` (aliased from @openai/codex@<v>-<platform>).
  return existsSync(join(nm, `codex-${process.platform}-${process.arch}`));
}

function isInstalled(v: PinnedVersions): boolean {
  return (
    installedVersion('@openai/codex') === v.codex &&
    installedVersion('@anthropic-ai/claude-code') === v.claude &&
    existsSync(codexLauncher()) &&
    codexNativePresent() &&
    findClaudeBin() !== undefined
  );
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockIsStale(): boolean {
  try {
    const st = statSync(LOCK);
    if (Date.now() - st.mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number.parseInt(readFileSync(LOCK, 'utf8').trim(), 10);
    return Number.isFinite(pid) && pid > 0 && !pidAlive(pid);
  } catch {
    return false; // vanished meanwhile: not stale, just gone
  }
}

function runNpmCi(): void {
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(
    npm,
    ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--include=optional', '--prefix', REAL_CLIENTS_DIR],
    { cwd: REAL_CLIENTS_DIR, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS, env: process.env },
  );
  const log = [
    `# ${new Date().toISOString()} npm ci --prefix ${REAL_CLIENTS_DIR} (${Date.now() - started} ms, status ${r.status})`,
    r.error ? `error: ${String(r.error)}` : '',
    r.stdout ?? '',
    r.stderr ?? '',
  ].join('\n');
  try {
    const fd = openSync(INSTALL_LOG, 'a');
    writeSync(fd, log + '\n');
    closeSync(fd);
  } catch {
    /* the log is best effort */
  }
  if (r.error || r.status !== 0) {
    const tail = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `Installing the real agent CLIs failed (npm ci in ${REAL_CLIENTS_DIR}, status ${String(r.status)}` +
        `${r.error ? `, ${String(r.error)}` : ''}). They are needed by test/real-clients; full log: ${INSTALL_LOG}\n${tail}`,
    );
  }
}

function installWithLock(v: PinnedVersions): void {
  const deadline = Date.now() + INSTALL_TIMEOUT_MS + 60_000;
  for (;;) {
    // While another process holds the lock, node_modules may be half-written: wait for it.
    if (!existsSync(LOCK) && isInstalled(v)) return;
    let fd: number | undefined;
    try {
      fd = openSync(LOCK, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, String(process.pid));
        closeSync(fd);
        if (!isInstalled(v)) runNpmCi();
      } finally {
        rmSync(LOCK, { force: true });
      }
      if (!isInstalled(v)) {
        throw new Error(
          `npm ci finished but the pinned CLIs are still missing in ${REAL_CLIENTS_DIR}/node_modules ` +
            `(want @openai/codex@${v.codex} with its ${process.platform}-${process.arch} binary and ` +
            `@anthropic-ai/claude-code@${v.claude} with its native binary). Log: ${INSTALL_LOG}`,
        );
      }
      return;
    }
    if (lockIsStale()) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for another process to install the real CLIs (lock ${LOCK})`);
    }
    sleepSync(500);
  }
}

function versionOf(bin: string, pattern: RegExp): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
  const m = pattern.exec(out);
  if (!m?.[1]) throw new Error(`Unexpected \`${bin} --version\` output: ${out.trim()}`);
  return m[1];
}

/** Make sure the pinned CLIs are installed (installing them if needed) and return where they are. */
export function ensureRealClients(): RealClients {
  if (cached) return cached;
  const v = pinned();
  installWithLock(v);
  const claudeBin = findClaudeBin();
  if (!claudeBin) throw new Error(`Claude Code native binary not found (looked at ${claudeNativeCandidates().join(', ')})`);
  const codexBin = codexLauncher();
  const codexVersion = versionOf(codexBin, /codex-cli\s+(\S+)/);
  const claudeVersion = versionOf(claudeBin, /^(\S+)\s+\(Claude Code\)/m);
  if (codexVersion !== v.codex) throw new Error(`codex --version says ${codexVersion}, pinned ${v.codex}`);
  if (claudeVersion !== v.claude) throw new Error(`claude --version says ${claudeVersion}, pinned ${v.claude}`);
  cached = { codexBin, claudeBin, codexVersion, claudeVersion };
  return cached;
}
