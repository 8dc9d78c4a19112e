/**
 * Benchmark: wall time of the Codex hook handler against a bare `node -e 0`, same run, interleaved.
 *
 * Cases (each handler is the deployed form: a copy in `<tempDataDir>/hooks/`, found runtime.json
 * at `<tempDataDir>/runtime.json`, exactly as Codex runs it):
 *   - up:        a real HTTP server that checks the token and answers 200 at once
 *   - down:      runtime.json names a port nobody listens on (connection refused)
 *   - hung:      a TCP server that accepts the connection and never answers
 *   - no-runtime: no runtime.json at all (sidecar never started)
 *   - up-in-place: src/handlers/codex-hook-handler.js itself, loaded as an ES module ("type": "module")
 * plus `node empty.js` as a second floor (`node -e 0` evaluates its argument through a slightly
 * longer path than running a file). Ratios are always to the `node -e 0` median.
 *
 * The servers live in a child process so the measured spawns can be synchronous (spawnSync
 * blocks this process's event loop, which must not be the one serving the handler).
 *
 * Run: npx tsx scripts/bench/handler.ts [--runs N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDelivery } from '../../patches/lib/inline-delivery.js';
import { benchRunsArg, runCli } from '../lib/cli.js';
import { isMainModule } from '../lib/is-main.js';

export interface HandlerBenchRow {
  case: string;
  runs: number;
  medianMs: number;
  p90Ms: number;
  bareMedianMs: number;
  /** median of this case / median of bare `node -e 0` in the same run */
  ratio: number;
  /** median minus the bare median: the handler's own cost */
  extraMs: number;
  /** events that ended in the spool file (expected 0 for the "up" cases, `runs` otherwise) */
  spooled: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const HANDLER = resolve(HERE, '..', '..', 'src', 'handlers', 'codex-hook-handler.js');

// Fixture F4 (docs/contracts.md "Synthetic turn F2–F8"): a Codex PreToolUse stdin for a Bash call, sent compact.
const PAYLOAD = JSON.stringify(JSON.parse(readFileSync(resolve(HERE, '..', '..', 'test', 'fixtures', 'rollout', 'f4-pre-tool-use-bash.json'), 'utf8')));

// Servers for the "up" and "hung" cases plus a refused port, in a separate node process.
const SERVER_SRC = `
const http = require('http'), net = require('net');
const token = process.argv[1];
let posts = 0;
const up = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.headers.authorization !== 'Bearer ' + token) { res.writeHead(401); res.end(); return; }
    posts++;
    const body = '{"ok":true,"stored":true}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
const held = [];
const hung = net.createServer((s) => { held.push(s); s.on('error', () => {}); });
const closed = net.createServer();
up.listen(0, '127.0.0.1', () => hung.listen(0, '127.0.0.1', () => closed.listen(0, '127.0.0.1', () => {
  const refused = closed.address().port;
  closed.close(() => {
    process.stdout.write(JSON.stringify({ up: up.address().port, hung: hung.address().port, refused }) + '\\n');
  });
})));
process.stdin.on('data', () => process.stdout.write(JSON.stringify({ posts }) + '\\n'));
process.stdin.on('end', () => process.exit(0));
`;

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

function startServers(token: string): Promise<{ child: ChildProcess; up: number; hung: number; refused: number }> {
  return new Promise((resolvePorts, reject) => {
    const child = spawn(process.execPath, ['-e', SERVER_SRC, token], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    const onData = (c: Buffer): void => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      const ports = JSON.parse(buf.slice(0, nl)) as { up: number; hung: number; refused: number };
      resolvePorts({ child, ...ports });
    };
    child.stdout.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`bench servers exited early (${code})`)));
  });
}

function makeDataDir(root: string, name: string, runtime: object | null): { dir: string; handler: string } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'hooks'), { recursive: true });
  const handler = join(dir, 'hooks', 'codex-hook-handler.js');
  writeFileSync(handler, withDelivery(readFileSync(HANDLER, 'utf8'))); // as the build ships it
  if (runtime) writeFileSync(join(dir, 'runtime.json'), JSON.stringify(runtime), { mode: 0o600 });
  return { dir, handler };
}

function countSpooled(dir: string): number {
  const f = join(dir, 'spool', 'events.jsonl');
  if (!existsSync(f)) return 0;
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).length;
}

export async function runHandlerBench(opts: { runs?: number } = {}): Promise<HandlerBenchRow[]> {
  const runs = Math.max(30, opts.runs ?? 40);
  const token = 'b'.repeat(64);
  const root = mkdtempSync(join(tmpdir(), 'handler-bench-'));
  const servers = await startServers(token);
  try {
    const rt = (port: number) => ({ version: 1, port, pid: servers.child.pid, token, startedAt: new Date().toISOString() });
    const up = makeDataDir(root, 'up', rt(servers.up));
    const down = makeDataDir(root, 'down', rt(servers.refused));
    const hung = makeDataDir(root, 'hung', rt(servers.hung));
    const none = makeDataDir(root, 'none', null);
    const inPlace = makeDataDir(root, 'in-place', rt(servers.up));
    const emptyScript = join(root, 'empty.js');
    writeFileSync(emptyScript, '');

    // A child env without anything that would redirect the handler.
    const baseEnv: NodeJS.ProcessEnv = { ...process.env };
    delete baseEnv.AGENT_MONITOR_DATA_DIR;
    delete baseEnv.AGENT_MONITOR_SPOOL_MAX_BYTES;
    delete baseEnv.NODE_OPTIONS;

    type Case = { name: string; args: string[]; env: NodeJS.ProcessEnv; dir?: string };
    const cases: Case[] = [
      { name: 'bare `node -e 0`', args: ['-e', '0'], env: baseEnv },
      // `node -e` does a little more than running a file; an empty file is the other floor.
      { name: 'bare `node empty.js` (reference)', args: [emptyScript], env: baseEnv },
      { name: 'sidecar up', args: [up.handler, 'PreToolUse'], env: baseEnv, dir: up.dir },
      { name: 'sidecar down (connection refused)', args: [down.handler, 'PreToolUse'], env: baseEnv, dir: down.dir },
      { name: 'sidecar hung (accepts, never answers)', args: [hung.handler, 'PreToolUse'], env: baseEnv, dir: hung.dir },
      { name: 'no runtime.json', args: [none.handler, 'PreToolUse'], env: baseEnv, dir: none.dir },
      {
        name: 'sidecar up, in place (ES module context)',
        args: [HANDLER, 'PreToolUse'],
        env: { ...baseEnv, AGENT_MONITOR_DATA_DIR: inPlace.dir },
        dir: inPlace.dir,
      },
    ];
    const times: number[][] = cases.map(() => []);
    const run = (c: Case): number => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, c.args, { input: PAYLOAD, env: c.env, stdio: ['pipe', 'pipe', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0 || r.stdout.length) throw new Error(`${c.name}: exit ${r.status}, stdout ${JSON.stringify(r.stdout.toString())}`);
      return ms;
    };
    // Warm-up (file cache, first-spawn effects), not recorded.
    for (const c of cases) run(c);
    for (const c of cases) if (c.dir) rmSync(join(c.dir, 'spool'), { recursive: true, force: true });
    for (let i = 0; i < runs; i++) {
      // Rotate the order so no case always follows the same neighbour.
      for (let k = 0; k < cases.length; k++) {
        const j = (i + k) % cases.length;
        times[j]!.push(run(cases[j]!));
      }
    }
    const sorted = times.map((t) => [...t].sort((a, b) => a - b));
    const bare = median(sorted[0]!);
    const round = (x: number) => Math.round(x * 10) / 10;
    return cases.map((c, j) => {
      const med = median(sorted[j]!);
      return {
        case: c.name,
        runs,
        medianMs: round(med),
        p90Ms: round(quantile(sorted[j]!, 0.9)),
        bareMedianMs: round(bare),
        ratio: Math.round((med / bare) * 100) / 100,
        extraMs: round(med - bare),
        spooled: c.dir ? countSpooled(c.dir) : 0,
      };
    });
  } finally {
    servers.child.stdin!.end();
    servers.child.kill();
    rmSync(root, { recursive: true, force: true });
  }
}

export function handlerBenchMarkdown(rows: HandlerBenchRow[]): string {
  const lines = [
    '| case | runs | median ms | p90 ms | ratio to bare node | own cost ms | spooled |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.case} | ${r.runs} | ${r.medianMs} | ${r.p90Ms} | ${r.ratio.toFixed(2)}× | ${r.extraMs} | ${r.spooled} |`);
  }
  return lines.join('\n');
}

if (isMainModule(import.meta.url)) {
  runCli(async () => {
    const runs = benchRunsArg(process.argv.slice(2), { script: 'handler.ts', defaultRuns: 40 });
    console.log(handlerBenchMarkdown(await runHandlerBench({ runs })));
  });
}
