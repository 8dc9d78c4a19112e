// Materializes build/agent-monitor/ from the pinned upstream snapshot, our gated patches and the
// host add-ons. All gates run before anything is written; the output is swapped in atomically,
// is byte-identical for identical inputs, and an unchanged input set skips the build.
//
//   npm run build [-- --force]
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { applyPatches, displayPath, formatFailures } from '../src/patcher/index.js';
import { allPatches } from '../patches/index.js';
import type { PatchSpec } from '../src/patcher/types.js';
import { withDelivery } from '../patches/lib/inline-delivery.js';
import { parseCli, runCli } from './lib/cli.js';
import { isMainModule } from './lib/is-main.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const defaultOutDir = join(repoRoot, 'build', 'agent-monitor');
const PREFIX = '[monitor-build]';
// The materialized server requires better-sqlite3 by bare name; an outDir outside the repo
// still resolves it from the repo's node_modules during the runtime gates.
const gateEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  ELECTRON_RUN_AS_NODE: '1',
  NODE_PATH: [join(repoRoot, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(process.platform === 'win32' ? ';' : ':'),
});

export interface BuildOptions {
  upstreamDir?: string;
  outDir?: string;
  patches?: PatchSpec[];
  patchesDir?: string;
  force?: boolean;
  quiet?: boolean;
  /** Node binary that will run the sidecar (the runtime gate loads better-sqlite3 under it). */
  runtime?: string;
}

export interface BuildResult {
  ok: boolean;
  skipped: boolean;
  outDir: string;
  report: string;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(root, full).split(sep).join('/'));
    }
  };
  walk(root);
  return out;
}

/** Gate 0: the vendored snapshot is exactly what UPSTREAM.json pins (it is never edited in place). */
function checkSnapshot(upstreamDir: string): { name: string; version: string } & { problems: string[] } {
  const manifestPath = join(upstreamDir, 'UPSTREAM.json');
  if (!existsSync(manifestPath)) return { name: '?', version: '?', problems: [`${manifestPath} is missing`] };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name: string; version: string; files: Record<string, string> };
  const problems: string[] = [];
  const present = new Set(listFiles(upstreamDir).filter((f) => f !== 'UPSTREAM.json'));
  for (const [file, hash] of Object.entries(manifest.files)) {
    if (!present.has(file)) problems.push(`${file}: pinned in UPSTREAM.json but missing`);
    else if (sha256(readFileSync(join(upstreamDir, file))) !== hash) problems.push(`${file}: content differs from the sha256 pinned in UPSTREAM.json`);
    present.delete(file);
  }
  for (const file of present) problems.push(`${file}: not listed in UPSTREAM.json`);
  return { name: manifest.name, version: manifest.version, problems };
}

/** Everything that can change the output, hashed in a stable order. */
function inputHash(upstreamDir: string, patchesDir: string): string {
  const h = createHash('sha256');
  const add = (root: string, label: string, filter: (f: string) => boolean = () => true): void => {
    for (const f of listFiles(root).filter(filter)) {
      h.update(`${label}/${f}\0`);
      h.update(readFileSync(join(root, f)));
      h.update('\0');
    }
  };
  add(upstreamDir, 'upstream');
  add(patchesDir, 'patches');
  add(join(repoRoot, 'src', 'sidecar'), 'sidecar');
  add(join(repoRoot, 'src', 'shared'), 'shared');
  add(join(repoRoot, 'src', 'patcher'), 'patcher');
  add(join(repoRoot, 'src', 'handlers'), 'handlers');
  add(join(repoRoot, 'src', 'dashboard'), 'dashboard');
  for (const f of ['scripts/build-agent-monitor.ts', 'package-lock.json']) {
    h.update(`${f}\0`);
    h.update(readFileSync(join(repoRoot, f)));
  }
  h.update(`node-abi:${process.versions.modules}`);
  return h.digest('hex');
}

async function bundle(entry: string, outfile: string): Promise<void> {
  await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  });
}

/** A browser script: the typed dashboard (loaded by the dashboard-entry patch) or the usage panels. */
async function bundleBrowser(entry: string, outfile: string, minify = false): Promise<void> {
  await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome120', 'firefox120', 'safari16'],
    minify,
    legalComments: 'none',
    logLevel: 'silent',
    charset: 'utf8',
  });
}

/** Runtime gate 1: better-sqlite3 loads under the sidecar's runtime and does WAL, insert, rollback. */
function sqliteGate(runtime: string, stageDir: string): string | null {
  const probeDir = mkdtempSync(join(tmpdir(), 'monitor-build-sqlite-'));
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(join(probeDir, 'probe.db'))});
    if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error('WAL mode not available');
    db.exec('CREATE TABLE t (x INTEGER)');
    const tx = db.transaction(() => { db.prepare('INSERT INTO t VALUES (1)').run(); throw new Error('rollback'); });
    try { tx(); } catch (e) { if (e.message !== 'rollback') throw e; }
    db.prepare('INSERT INTO t VALUES (2)').run();
    const rows = db.prepare('SELECT x FROM t').all();
    if (rows.length !== 1 || rows[0].x !== 2) throw new Error('rollback did not undo the insert');
    db.close();`;
  const r = spawnSync(runtime, ['-e', script], { cwd: join(stageDir, 'server'), encoding: 'utf8', env: gateEnv() });
  rmSync(probeDir, { recursive: true, force: true });
  if (r.status === 0) return null;
  return `better-sqlite3 does not work under ${runtime} (exit ${r.status ?? r.signal}):\n${(r.stderr || r.error?.message || '').trim()}\n` +
    'Rebuild it for that runtime (npm rebuild better-sqlite3; for Electron see README "Packaging").';
}

/** Runtime gate 2: the materialized server starts against a temp DB and answers /api/health. */
async function healthGate(runtime: string, stageDir: string): Promise<string | null> {
  const dataDir = mkdtempSync(join(tmpdir(), 'monitor-build-health-'));
  const child = spawn(runtime, [join(stageDir, 'server', 'index.js')], {
    env: {
      ...gateEnv(),
      AGENT_MONITOR_PORT: '0',
      AGENT_MONITOR_DATA_DIR: dataDir,
      AGENT_MONITOR_DB: join(dataDir, 'monitor.db'),
      AGENT_MONITOR_ROLLOUT: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) return `the materialized server exited (code ${child.exitCode}) before answering /api/health:\n${output.trim()}`;
      const runtimeFile = join(dataDir, 'runtime.json');
      if (existsSync(runtimeFile)) {
        try {
          const { port } = JSON.parse(readFileSync(runtimeFile, 'utf8')) as { port: number };
          const res = await fetch(`http://127.0.0.1:${port}/api/health`);
          const body = (await res.json()) as { status?: string };
          if (res.ok && body.status === 'ok') return null;
          return `/api/health answered ${res.status} ${JSON.stringify(body)}`;
        } catch {
          // not ready yet
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return `the materialized server did not answer /api/health within 10 s:\n${output.trim()}`;
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function buildAgentMonitor(opts: BuildOptions = {}): Promise<BuildResult> {
  const upstreamDir = opts.upstreamDir ?? join(repoRoot, 'vendor', 'agent-monitor');
  const outDir = opts.outDir ?? defaultOutDir;
  const patchesDir = opts.patchesDir ?? join(repoRoot, 'patches');
  const patches = opts.patches ?? allPatches;
  const runtime = opts.runtime ?? process.execPath;
  const say = (msg: string): void => {
    if (!opts.quiet) console.log(msg);
  };
  const fail = (report: string): BuildResult => ({ ok: false, skipped: false, outDir, report });

  const snapshot = checkSnapshot(upstreamDir);
  if (snapshot.problems.length) {
    return fail(
      `${PREFIX} the vendored upstream in ${displayPath(upstreamDir)} does not match its UPSTREAM.json\n` +
        snapshot.problems.map((p) => `  ${p}`).join('\n') +
        '\nThe snapshot is never edited in place: put the change in a patch under patches/. Nothing was written.',
    );
  }

  const hash = inputHash(upstreamDir, patchesDir);
  const buildJsonPath = join(outDir, 'BUILD.json');
  if (!opts.force && existsSync(buildJsonPath)) {
    try {
      const previous = JSON.parse(readFileSync(buildJsonPath, 'utf8')) as { inputHash: string; outputs: Record<string, string> };
      const intact = Object.entries(previous.outputs).every(([f, h]) => existsSync(join(outDir, f)) && sha256(readFileSync(join(outDir, f))) === h);
      if (previous.inputHash === hash && intact) {
        say(`${PREFIX} inputs unchanged; ${relative(process.cwd(), outDir)} is up to date`);
        return { ok: true, skipped: true, outDir, report: 'up to date' };
      }
    } catch {
      // Unreadable BUILD.json: rebuild.
    }
  }

  const result = applyPatches({ upstreamDir, patches, patchesDir });
  if (!result.ok) return fail(formatFailures(result.failures));

  mkdirSync(dirname(outDir), { recursive: true });
  const stageDir = mkdtempSync(join(dirname(outDir), '.agent-monitor-stage-'));
  try {
    for (const file of listFiles(upstreamDir)) {
      const target = join(stageDir, file);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, result.files.get(file) ?? readFileSync(join(upstreamDir, file)));
    }
    await bundle('src/sidecar/index.ts', join(stageDir, 'server', 'host', 'addons.cjs'));
    await bundle('src/sidecar/rollout/worker.ts', join(stageDir, 'server', 'host', 'rollout-worker.cjs'));
    for (const asset of ['host.css', 'host-status.js', 'favicon.svg']) {
      writeFileSync(join(stageDir, 'public', asset), readFileSync(join(repoRoot, 'src', 'sidecar', 'host', 'public', asset)));
    }
    await bundleBrowser('src/dashboard/main.ts', join(stageDir, 'public', 'dashboard.js'));
    writeFileSync(join(stageDir, 'public', 'dashboard.css'), readFileSync(join(repoRoot, 'src', 'dashboard', 'dashboard.css')));
    // The usage panels (src/dashboard/usage/, with uPlot bundled in) and their stylesheet.
    await bundleBrowser('src/dashboard/usage/main.ts', join(stageDir, 'public', 'usage.js'), true);
    writeFileSync(
      join(stageDir, 'public', 'usage.css'),
      `${readFileSync(join(repoRoot, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8')}\n${readFileSync(join(repoRoot, 'src', 'dashboard', 'usage', 'usage.css'), 'utf8')}`,
    );
    // The team view (src/dashboard/team/, uPlot bundled in), loaded by the dashboard's Team switch.
    await bundleBrowser('src/dashboard/team/main.ts', join(stageDir, 'public', 'team.js'), true);
    writeFileSync(
      join(stageDir, 'public', 'team.css'),
      `${readFileSync(join(repoRoot, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8')}\n${readFileSync(join(repoRoot, 'src', 'dashboard', 'team', 'team.css'), 'utf8')}`,
    );
    writeFileSync(join(stageDir, 'scripts', 'codex-hook-handler.js'), withDelivery(readFileSync(join(repoRoot, 'src', 'handlers', 'codex-hook-handler.js'), 'utf8')));
    chmodSync(join(stageDir, 'scripts', 'codex-hook-handler.js'), 0o755);
    // The sh handler is self-contained (no delivery module to inline).
    writeFileSync(join(stageDir, 'scripts', 'codex-hook.sh'), readFileSync(join(repoRoot, 'src', 'handlers', 'codex-hook.sh')));
    chmodSync(join(stageDir, 'scripts', 'codex-hook.sh'), 0o755);
    chmodSync(join(stageDir, 'scripts', 'hook-handler.js'), 0o755);

    const outputs: Record<string, string> = {};
    for (const f of listFiles(stageDir)) outputs[f] = sha256(readFileSync(join(stageDir, f)));
    const buildJson = {
      upstream: { name: snapshot.name, version: snapshot.version },
      inputHash: hash,
      patches: result.applied.map((p) => ({ id: p.id, file: p.file, anchorSha256: p.anchorSha256 })),
      outputs,
    };
    writeFileSync(join(stageDir, 'BUILD.json'), `${JSON.stringify(buildJson, null, 2)}\n`);

    const sqliteProblem = sqliteGate(runtime, stageDir);
    if (sqliteProblem) return fail(`${PREFIX} runtime gate failed: ${sqliteProblem}\nNothing was written.`);
    const healthProblem = await healthGate(runtime, stageDir);
    if (healthProblem) return fail(`${PREFIX} runtime gate failed: ${healthProblem}\nNothing was written.`);

    // Swap in atomically: the old build stays whole until the new one is in place.
    const old = existsSync(outDir) ? `${outDir}.old-${process.pid}` : null;
    if (old) renameSync(outDir, old);
    renameSync(stageDir, outDir);
    if (old) rmSync(old, { recursive: true, force: true });
    say(`${PREFIX} built ${relative(process.cwd(), outDir)} (${snapshot.name} ${snapshot.version}, ${result.applied.length} patches)`);
    return { ok: true, skipped: false, outDir, report: `${result.applied.length} patches applied` };
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  runCli(async () => {
    const usage = 'usage: npm run build -- [--force]   (--force rebuilds even when the inputs are unchanged)';
    const { values } = parseCli({ argv: process.argv.slice(2), usage, options: { force: { type: 'boolean', default: false } } });
    const res = await buildAgentMonitor({ force: values.force });
    if (!res.ok) {
      console.error(res.report);
      process.exit(1);
    }
  });
}
