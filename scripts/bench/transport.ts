/**
 * Benchmark: wall time per hook invocation for each transport, with the sidecar up, down and
 * hung, against a bare `node -e 0` in the same run (interleaved, order rotated).
 *
 *   Codex, as processes run the way Codex runs them (stdin = fixture F4, a PreToolUse):
 *     - Node handler:  `node "<data>/hooks/codex-hook-handler.js" PreToolUse`   (before)
 *     - sh + curl:     `/bin/sh "<data>/hooks/codex-hook.sh" PreToolUse`      (after)
 *       A process is timed until it exited with stdout and stderr closed (what Codex waits for).
 *       The sh hook's background delivery goes on after that; the bench waits for it to finish
 *       (its write-ahead file gone) before the next measurement, untimed, so it never overlaps one.
 *   Claude Code:
 *     - command hook:  `node "<data>/hooks/hook-handler.js"` (the materialized upstream handler,
 *                      patched: token, delivery id, spool)                     (before)
 *     - HTTP hook:     the request Claude Code makes: a POST of a real PreToolUse hook input to
 *                      /api/hooks/claude with the secret over ONE keep-alive connection reused
 *                      for every post, as Claude Code 2.1.197 does (after). One such post follows
 *                      every other measurement, so each meets the sidecar after a realistic idle
 *                      gap and there are enough samples for a p99.
 *     - the same with a new connection per post, for reference (what the first bench measured).
 *     - the floor: the same kept-alive POST to a bare Node HTTP server in its own process that
 *       answers `{}` at once, sampled next to each Claude post (the two take turns at going first
 *       after a process measurement), so the route's cost is read against what any Node HTTP
 *       server costs on this machine in the same run.
 *
 * "up" is the real patched sidecar (build/agent-monitor) on a temp data dir, storing every post;
 * "down" is a closed loopback port; "hung" accepts connections and never answers. Each tool call
 * runs PreToolUse and PostToolUse, so the added wait per tool call is twice the per-hook time
 * (for a process: its wall time; for the HTTP hook: the request time).
 *
 * Run: npx tsx scripts/bench/transport.ts [--runs N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultOutDir } from '../build-agent-monitor.js';
import { isMainModule } from '../lib/is-main.js';
import { startPatched } from '../lib/servers.js';
import { benchRunsArg, runCli } from '../lib/cli.js';
import { writeRuntimeFile } from '../../src/sidecar/host/runtime-file.js';
import { ensureHookSecret } from '../../src/core/hook-secret.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const CODEX_PAYLOAD = JSON.stringify(JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'rollout', 'f4-pre-tool-use-bash.json'), 'utf8')));

export interface TransportRow {
  agent: 'Codex' | 'Claude' | '—';
  transport: string;
  sidecar: 'up' | 'down' | 'hung' | '—';
  runs: number;
  medianMs: number;
  p99Ms: number;
  /** median / median of `node -e 0` in the same run */
  ratio: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

function closedPort(): Promise<number> {
  return new Promise((r) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });
}

interface ProcCase {
  kind: 'proc';
  row: Omit<TransportRow, 'runs' | 'medianMs' | 'p99Ms' | 'ratio'>;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  input: string;
}

interface HttpCase {
  kind: 'http';
  row: Omit<TransportRow, 'runs' | 'medianMs' | 'p99Ms' | 'ratio'>;
  port: number;
  secret: string;
  timeoutMs: number;
  /** false: a new connection per post; an Agent: one kept-alive connection, as Claude Code */
  agent: http.Agent | false;
}

type Case = ProcCase | HttpCase;

function runProc(c: ProcCase): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { input: c.input, env: c.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || r.stdout.length) throw new Error(`${c.row.transport} ${c.row.sidecar}: exit ${r.status}, stdout ${JSON.stringify(r.stdout.toString())}`);
  return ms;
}

/** Waits (untimed) until the sh hook's background deliveries in `dataDir` are done. */
async function deliveriesDone(dataDir: string): Promise<void> {
  const dir = join(dataDir, 'spool', 'inflight');
  const deadline = Date.now() + 10_000;
  while (existsSync(dir) && readdirSync(dir).length > 0) {
    if (Date.now() > deadline) throw new Error(`background deliveries in ${dir} did not finish within 10 s`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function claudeInput(sessionId: string, i: number): string {
  return JSON.stringify({
    session_id: sessionId,
    transcript_path: join(tmpdir(), 'no-such-transcript.jsonl'),
    cwd: '/tmp/project',
    prompt_id: 'bench-prompt',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'ls -la', description: 'List files' },
    tool_use_id: `toolu_bench_${i}_${Math.random().toString(16).slice(2)}`,
  });
}

/** A bare Node HTTP server in its own process (as the sidecar is) that answers every request `{}`. */
async function startBareServer(): Promise<{ port: number; child: ChildProcess }> {
  const code = [
    "const http = require('node:http');",
    "const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.setHeader('Content-Type', 'application/json'); res.end('{}'); }); });",
    's.keepAliveTimeout = 600000;',
    "s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));",
  ].join('\n');
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolvePort, reject) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolvePort(Number(out.trim()));
    });
    child.once('exit', (c) => reject(new Error(`bare HTTP server exited with ${c}`)));
  });
  return { port, child };
}

let httpSeq = 0;
/** Idle gaps of the cadence rows (ms). */
const CADENCE_GAPS_MS = [20, 100] as const;
/** One POST as Claude Code makes it: JSON body, Authorization header, its timeout. */
function runHttp(c: HttpCase): Promise<number> {
  const body = claudeInput('bench-claude-session', httpSeq++);
  return new Promise((resolveMs) => {
    const t0 = process.hrtime.bigint();
    const done = (): void => resolveMs(Number(process.hrtime.bigint() - t0) / 1e6);
    const req = http.request(
      { host: '127.0.0.1', port: c.port, path: '/api/hooks/claude', method: 'POST', agent: c.agent, timeout: c.timeoutMs, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${c.secret}`, 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', done);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', done);
    req.end(body);
  });
}

export interface LoopDelay {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface TransportResult {
  rows: TransportRow[];
  /** The "up" sidecar's HTTP-thread event-loop delay over the measured runs (null: not sampled). */
  sidecarLoopDelay: LoopDelay | null;
}

export async function runTransportBench(opts: { runs?: number } = {}): Promise<TransportResult> {
  const runs = Math.max(30, opts.runs ?? 60);
  const root = mkdtempSync(join(tmpdir(), 'transport-bench-'));
  const hungServer = net.createServer((s) => {
    held.push(s);
    s.on('error', () => {});
  });
  const held: net.Socket[] = [];
  // The hung server only accepts (the kernel completes the handshake); it never needs this
  // event loop to answer, so the synchronous spawns below cannot change its behaviour.
  await new Promise<void>((r) => hungServer.listen(0, '127.0.0.1', r));
  const hungPort = (hungServer.address() as net.AddressInfo).port;
  const downPort = await closedPort();
  const upDir = join(root, 'up');
  mkdirSync(upDir, { recursive: true });
  const secret = await ensureHookSecret({ dataDir: upDir });
  // AGENT_MONITOR_LOOP_DELAY: the sidecar samples its HTTP thread's event-loop delay (GET /api/host/status).
  const sidecar = await startPatched({ dir: upDir, env: { AGENT_MONITOR_LOOP_DELAY: '1' } });
  const bareServer = await startBareServer();
  const agents: http.Agent[] = [];
  try {
    const scripts = join(defaultOutDir, 'scripts');
    const baseEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(baseEnv)) if (k.startsWith('AGENT_MONITOR_')) delete baseEnv[k];
    delete baseEnv.NODE_OPTIONS;

    /** A data dir with the three handlers deployed and endpoint files naming `port` (null: none). */
    const dataDir = (name: string, port: number | null, token: string, pid: number): string => {
      const dir = join(root, name);
      mkdirSync(join(dir, 'hooks'), { recursive: true });
      for (const f of ['codex-hook-handler.js', 'codex-hook.sh', 'hook-handler.js']) copyFileSync(join(scripts, f), join(dir, 'hooks', f));
      if (port !== null) writeRuntimeFile(dir, { version: 1, port, pid, token, startedAt: new Date().toISOString() });
      return dir;
    };
    // "up" handlers use the real sidecar's own data dir (its runtime files).
    for (const f of ['codex-hook-handler.js', 'codex-hook.sh', 'hook-handler.js']) {
      mkdirSync(join(upDir, 'hooks'), { recursive: true });
      copyFileSync(join(scripts, f), join(upDir, 'hooks', f));
    }
    const dirs = { up: upDir, down: dataDir('down', downPort, 'c'.repeat(64), process.pid), hung: dataDir('hung', hungPort, 'c'.repeat(64), process.pid) };

    const claudeCmdInput = (i: number): string => claudeInput('bench-claude-cmd', i);
    const claudeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(claudeAgent);
    const cases: Case[] = [{ kind: 'proc', row: { agent: '—', transport: 'bare `node -e 0`', sidecar: '—' }, cmd: process.execPath, args: ['-e', '0'], env: baseEnv, input: '' }];
    for (const state of ['up', 'down', 'hung'] as const) {
      const d = dirs[state];
      cases.push(
        { kind: 'proc', row: { agent: 'Codex', transport: 'Node handler (before)', sidecar: state }, cmd: process.execPath, args: [join(d, 'hooks', 'codex-hook-handler.js'), 'PreToolUse'], env: baseEnv, input: CODEX_PAYLOAD },
        { kind: 'proc', row: { agent: 'Codex', transport: 'sh + curl (after)', sidecar: state }, cmd: '/bin/sh', args: [join(d, 'hooks', 'codex-hook.sh'), 'PreToolUse'], env: baseEnv, input: CODEX_PAYLOAD },
        { kind: 'proc', row: { agent: 'Claude', transport: 'command hook, Node (before)', sidecar: state }, cmd: process.execPath, args: [join(d, 'hooks', 'hook-handler.js')], env: baseEnv, input: claudeCmdInput(0) },
      );
      if (state === 'down') cases.push({ kind: 'http', row: { agent: 'Claude', transport: 'HTTP hook (after)', sidecar: state }, port: downPort, secret, timeoutMs: 1000, agent: claudeAgent });
    }
    // Claude's HTTP hook with the sidecar up: sampled after every other measurement (below).
    const claudeUp: HttpCase = { kind: 'http', row: { agent: 'Claude', transport: 'HTTP hook (after)', sidecar: 'up' }, port: sidecar.port, secret, timeoutMs: 1000, agent: claudeAgent };
    const claudeUpNew: HttpCase = { kind: 'http', row: { agent: 'Claude', transport: 'HTTP hook, new connection per post (reference)', sidecar: 'up' }, port: sidecar.port, secret, timeoutMs: 1000, agent: false };
    const bareAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(bareAgent);
    const bareHttp: HttpCase = { kind: 'http', row: { agent: '—', transport: 'bare Node HTTP server, kept-alive POST (floor)', sidecar: '—' }, port: bareServer.port, secret, timeoutMs: 1000, agent: bareAgent };
    const shDir = (c: Case): string | null => (c.kind === 'proc' && c.args[0]?.endsWith('codex-hook.sh') ? dirname(dirname(c.args[0])) : null);
    const times: number[][] = cases.map(() => []);
    const upTimes: number[] = [];
    const upNewTimes: number[] = [];
    const bareTimes: number[] = [];
    const measure = async (c: Case): Promise<number> => {
      const ms = c.kind === 'proc' ? runProc(c) : await runHttp(c);
      const d = shDir(c);
      if (d) await deliveriesDone(d);
      return ms;
    };
    for (const c of [...cases, claudeUp, claudeUpNew, bareHttp]) await measure(c); // warm-up
    await sidecar.get('/api/host/status?resetLoopDelay=1');
    let pair = 0;
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < cases.length; k++) {
        const j = (i + k) % cases.length;
        times[j]!.push(await measure(cases[j]!));
        if (k % 2) {
          upNewTimes.push(await measure(claudeUpNew));
          continue;
        }
        // The Claude post and the floor's post take turns at going first: the first request after
        // a process measurement meets colder caches and a CPU that may have gone idle, and must not
        // always be the route's.
        if (pair++ % 2) {
          bareTimes.push(await measure(bareHttp));
          upTimes.push(await measure(claudeUp));
        } else {
          upTimes.push(await measure(claudeUp));
          bareTimes.push(await measure(bareHttp));
        }
      }
    }
    cases.push(claudeUp, claudeUpNew, bareHttp);
    times.push(upTimes, upNewTimes, bareTimes);
    // The same two posts at a steady cadence with nothing else running: how much of the tail is
    // the machine waking an idle CPU (the floor grows with the idle gap as much as the route does).
    for (const gapMs of CADENCE_GAPS_MS) {
      const up: number[] = [];
      const floor: number[] = [];
      for (let i = 0; i < Math.max(100, 2 * runs); i++) {
        await new Promise((r) => setTimeout(r, gapMs));
        if (i % 2) {
          floor.push(await measure(bareHttp));
          up.push(await measure(claudeUp));
        } else {
          up.push(await measure(claudeUp));
          floor.push(await measure(bareHttp));
        }
      }
      cases.push({ ...claudeUp, row: { ...claudeUp.row, transport: `HTTP hook, one post every ${gapMs} ms, nothing else running (after)` } });
      cases.push({ ...bareHttp, row: { ...bareHttp.row, transport: `bare Node HTTP server, the same cadence (floor)` } });
      times.push(up, floor);
    }
    const sidecarLoopDelay = (await sidecar.get<{ eventLoopDelay: LoopDelay | null }>('/api/host/status')).eventLoopDelay;
    // Claude's HTTP hook against a hung sidecar waits for the entry's timeout (1 s): a few runs show it.
    const hungHttp: HttpCase = { kind: 'http', row: { agent: 'Claude', transport: 'HTTP hook (after)', sidecar: 'hung' }, port: hungPort, secret, timeoutMs: 1000, agent: false };
    const hungTimes: number[] = [];
    for (let i = 0; i < 3; i++) hungTimes.push(await runHttp(hungHttp));
    cases.push(hungHttp);
    times.push(hungTimes);

    const bare = median([...times[0]!].sort((a, b) => a - b));
    const round = (x: number): number => Math.round(x * 10) / 10;
    const rows = cases.map((c, j) => {
      const s = [...times[j]!].sort((a, b) => a - b);
      const med = median(s);
      return { ...c.row, runs: s.length, medianMs: round(med), p99Ms: round(quantile(s, 0.99)), ratio: Math.round((med / bare) * 100) / 100 };
    });
    return { rows, sidecarLoopDelay };
  } finally {
    for (const a of agents) a.destroy();
    bareServer.child.kill();
    await sidecar.stop();
    for (const s of held) s.destroy();
    await new Promise<void>((r) => hungServer.close(() => r()));
    rmSync(root, { recursive: true, force: true });
  }
}

export function transportBenchMarkdown({ rows, sidecarLoopDelay }: TransportResult): string {
  const lines = ['| agent | transport | sidecar | runs | median ms | p99 ms | ratio to `node -e 0` |', '|---|---|---|---:|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.agent} | ${r.transport} | ${r.sidecar} | ${r.runs} | ${r.medianMs} | ${r.p99Ms} | ${r.ratio.toFixed(2)}× |`);
  const find = (agent: string, t: string, s: string): TransportRow | undefined => rows.find((r) => r.agent === agent && r.transport.startsWith(t) && r.sidecar === s);
  lines.push('', 'Added wait per tool call (PreToolUse + PostToolUse = 2 × the median per hook):', '', '| agent | sidecar | before ms | after ms |', '|---|---|---:|---:|');
  for (const [agent, before, after] of [['Codex', 'Node handler', 'sh + curl'], ['Claude', 'command hook', 'HTTP hook']] as const) {
    for (const s of ['up', 'down', 'hung']) {
      const b = find(agent, before, s);
      const a = find(agent, after, s);
      if (b && a) lines.push(`| ${agent} | ${s} | ${Math.round(b.medianMs * 20) / 10} | ${Math.round(a.medianMs * 20) / 10} |`);
    }
  }
  const d = sidecarLoopDelay;
  lines.push(
    '',
    d
      ? `The "up" sidecar's HTTP thread over the measured runs (how late its event loop ran a 5 ms timer, \`monitorEventLoopDelay\`, ${d.samples} samples): p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms. A Claude post that arrives during such a delay waits for it; the rest of its time is the client, the kernel and the machine.`
      : 'The sidecar did not report its event-loop delay.',
  );
  return lines.join('\n');
}

if (isMainModule(import.meta.url)) {
  runCli(async () => {
    const runs = benchRunsArg(process.argv.slice(2), { script: 'transport.ts', defaultRuns: 60 });
    console.log(transportBenchMarkdown(await runTransportBench({ runs })));
  });
}
