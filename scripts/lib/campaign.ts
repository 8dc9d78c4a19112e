/**
 * The fault and fuzz campaign as code, shared by `npm run soak` / `npm run fuzz` (scripts/soak.ts,
 * scripts/fuzz.ts, long runs whose figures go in docs/reliability.md) and their short versions
 * in `npm test` (test/campaign/). Everything runs against the real build on 127.0.0.1 with
 * temp folders only: real sidecar processes, real hook handler processes, real rollout files.
 *
 * Soak: N agents send events concurrently through the real handlers (Codex and Claude, half
 * each) while the sidecar is killed (SIGKILL) and restarted and hung (SIGSTOP … SIGCONT), and
 * rollout files are written live in random chunks (lines split anywhere) and rewritten in place.
 * Then every key sent is looked up: lost = sent − stored (minus drops the handlers counted),
 * duplicated = keys stored more than once.
 *
 * Fuzz: seeded, bounded in count and time: hook posts and API GETs against a real sidecar (never
 * a 500, never a crash, the DB passes integrity_check), rollout lines and spool lines mixed with
 * known-good lines (every good line's event is stored, nothing blocks), and Claude/Codex config
 * files given to the installers (a file that cannot be parsed is refused and left byte-identical).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { postRaw, REPO_ROOT, startPatched, type RunningServer } from './servers.js';
import { callLines, deepJson, metaLine, rolloutName } from './rollout-gen.js';
import { spoolStatus } from '../../src/sidecar/spool.js';
import { importRolloutFile, migrateHostSchema } from '../../src/sidecar/index.js';
import { installClaudeHooks } from '../../src/core/claude-hooks.js';
import { installCodexHooks } from '../../src/core/codex-hooks.js';
import { createUpstreamSchema } from './upstream-schema.js';

// The installed copies, as the build makes them (the delivery module inlined).
const CODEX_HANDLER = path.join(REPO_ROOT, 'build', 'agent-monitor', 'scripts', 'codex-hook-handler.js');
const CLAUDE_HANDLER = path.join(REPO_ROOT, 'build', 'agent-monitor', 'scripts', 'hook-handler.js');

// ---------------------------------------------------------------------------------------------
// Seeded randomness

export type Rng = () => number;

/** mulberry32: small, fast, good enough to make every run reproducible from its seed. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

function tempRoot(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function handlerEnv(dataDir: string, tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENT_MONITOR_') && k !== 'NODE_OPTIONS') env[k] = v;
  env.AGENT_MONITOR_DATA_DIR = dataDir;
  env.TMPDIR = tmp;
  env.HOME = tmp; // never the real home
  return env;
}

/** Runs one real handler process; resolves with its exit code and stderr. */
function runHandler(script: string, hookType: string, input: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, hookType], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

// ---------------------------------------------------------------------------------------------
// Soak

export interface SoakOptions {
  agents: number;
  eventsPerAgent: number;
  /** Rollout files written live (each `rolloutCalls` calls, i.e. 2 events per call). */
  rolloutFiles: number;
  rolloutCalls: number;
  /** SIGKILL + restart cycles during the run. */
  kills: number;
  /** SIGSTOP … SIGCONT cycles during the run (each `hangMs`). */
  hangs: number;
  hangMs?: number;
  seed: number;
  /** Give up waiting for the drain after this long. */
  settleTimeoutMs?: number;
  log?: (msg: string) => void;
}

export interface SoakReport {
  options: SoakOptions;
  durationMs: number;
  sent: { hook: number; rollout: number; total: number };
  stored: number;
  lost: number;
  lostKeys: string[];
  /** Events the handlers could not even spool, counted by them (spool/dropped.json and fallbacks). */
  countedDrops: number;
  duplicated: number;
  faults: { kills: number; hangs: number; rolloutRewrites: number; rolloutChunks: number; splitLines: number };
  handlerFailures: number;
  spool: { quarantined: number; rejected: number };
  integrity: string;
}

interface Expected {
  session: string;
  key: string;
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => {});
  const r = rng(opts.seed);
  const started = Date.now();
  const root = tempRoot('am-soak-');
  const dataDir = path.join(root.dir, 'data');
  const codexHome = path.join(root.dir, 'codex');
  const tmp = path.join(root.dir, 'tmp');
  for (const d of [dataDir, path.join(dataDir, 'hooks'), codexHome, tmp]) fs.mkdirSync(d, { recursive: true });
  const codexHandler = path.join(dataDir, 'hooks', 'codex-hook-handler.js');
  const claudeHandler = path.join(dataDir, 'hooks', 'hook-handler.js');
  fs.copyFileSync(CODEX_HANDLER, codexHandler);
  fs.copyFileSync(CLAUDE_HANDLER, claudeHandler);
  const env = { AGENT_MONITOR_HEALTH_INTERVAL_MS: '200', TMPDIR: tmp };
  let server: RunningServer = await startPatched({ dir: dataDir, codexHome, env });
  const hEnv = handlerEnv(dataDir, tmp);
  const expected: Expected[] = [];
  const faults = { kills: 0, hangs: 0, rolloutRewrites: 0, rolloutChunks: 0, splitLines: 0 };
  let handlerFailures = 0;
  let sentCount = 0;
  let sending = true;
  const pending: { restart: Promise<void> | null } = { restart: null };

  try {
    // Agents: each sends its events one after another through real handler processes.
    const agent = async (a: number): Promise<void> => {
      const codex = a % 2 === 0;
      const session = `soak-${opts.seed}-a${a}`;
      for (let i = 0; i < opts.eventsPerAgent; i++) {
        const id = `${session}-e${i}`;
        const hookType = i % 2 === 0 ? 'PreToolUse' : 'PostToolUse';
        const payload = { session_id: session, hook_event_name: hookType, tool_name: 'Bash', tool_use_id: id, tool_input: { command: `echo ${i}` }, cwd: '/tmp/soak' };
        expected.push({ session, key: `${hookType === 'PreToolUse' ? 'pre' : 'post'}:${id}` });
        const res = await runHandler(codex ? codexHandler : claudeHandler, hookType, JSON.stringify(payload), hEnv);
        sentCount++;
        if (res.code !== 0) handlerFailures++;
      }
    };

    // Rollouts: written live in random chunks that split lines anywhere; one in three rewritten in place.
    const rollout = async (f: number): Promise<void> => {
      const sid = `0199aaaa-bbbb-7ccc-8ddd-${String(opts.seed % 1e6).padStart(6, '0')}${String(f).padStart(6, '0')}`;
      const dir = path.join(codexHome, 'sessions', '2026', '11', '27');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, rolloutName(sid));
      const prefix = `r${f}-`;
      const lines = [metaLine(sid)];
      for (let i = 0; i < opts.rolloutCalls; i++) lines.push(...callLines(i, prefix));
      const text = Buffer.from(lines.join('\n') + '\n');
      const rewrite = f % 3 === 2;
      // A rewritten file first gets half its calls under other ids, then is truncated and rewritten.
      if (rewrite) {
        const first = [metaLine(sid)];
        for (let i = 0; i < Math.floor(opts.rolloutCalls / 2); i++) first.push(...callLines(i, `old${f}-`));
        // The old calls are not expected: once the file is rewritten they exist nowhere, and a
        // sidecar that was down the whole time legitimately never saw them.
        await writeChunked(file, Buffer.from(first.join('\n') + '\n'), 0, 0.3);
        await sleep(150 + int(r, 300));
        fs.truncateSync(file, 0);
        faults.rolloutRewrites++;
      }
      for (let i = 0; i < opts.rolloutCalls; i++) expected.push({ session: sid, key: `pre:${prefix}${i}` }, { session: sid, key: `post:${prefix}${i}` });
      await writeChunked(file, text, rewrite ? 0.3 : 0, 0.9);
    };
    // Rollout writes keep pace with the agents (a byte fraction of the file per fraction of the
    // events sent), so files are written through the kills and hangs, not before them.
    const writeChunked = async (file: string, buf: Buffer, from = 0, to = 0.9): Promise<void> => {
      const total = opts.agents * opts.eventsPerAgent;
      let off = 0;
      while (off < buf.length) {
        const due = Math.floor(total * (from + ((to - from) * off) / buf.length));
        while (sending && sentCount < due) await sleep(20);
        const n = Math.min(buf.length - off, 1 + int(r, 2048));
        fs.appendFileSync(file, buf.subarray(off, off + n));
        faults.rolloutChunks++;
        if (buf[off + n - 1] !== 0x0a) faults.splitLines++;
        off += n;
        if (r() < 0.3) await sleep(int(r, 15));
      }
    };

    // Faults: kill -9 and restart, SIGSTOP for a while, spread over the sending phase.
    const faultLoop = async (): Promise<void> => {
      const plan: Array<'kill' | 'hang'> = [...Array<'kill'>(opts.kills).fill('kill'), ...Array<'hang'>(opts.hangs).fill('hang')];
      for (let i = plan.length - 1; i > 0; i--) {
        const j = int(r, i + 1);
        [plan[i], plan[j]] = [plan[j]!, plan[i]!];
      }
      const total = opts.agents * opts.eventsPerAgent;
      for (const [k, fault] of plan.entries()) {
        // Spread the faults over the sending phase: fault k when (k+1)/(F+1) of the events are out.
        const due = Math.floor(((k + 1) * total) / (plan.length + 1));
        while (sending && sentCount < due) await sleep(50);
        await sleep(int(r, 300));
        if (!sending) break;
        if (fault === 'kill') {
          log(`[soak] SIGKILL sidecar pid ${server.child.pid}`);
          const old = server;
          old.child.kill('SIGKILL');
          await new Promise((res) => old.child.once('exit', res));
          faults.kills++;
          await sleep(int(r, 400));
          pending.restart = startPatched({ dir: dataDir, codexHome, env }).then((s) => {
            server = s;
          });
          await pending.restart;
          pending.restart = null;
        } else {
          log(`[soak] SIGSTOP sidecar pid ${server.child.pid}`);
          server.child.kill('SIGSTOP');
          faults.hangs++;
          await sleep(opts.hangMs ?? 1500);
          server.child.kill('SIGCONT');
        }
      }
    };

    const agents = Array.from({ length: opts.agents }, (_, a) => agent(a));
    const rollouts = Array.from({ length: opts.rolloutFiles }, (_, f) => rollout(f));
    const faultRun = faultLoop();
    await Promise.all([...agents, ...rollouts]);
    sending = false;
    await faultRun;
    if (pending.restart) await pending.restart;

    // Settle: the spool drained, every rollout imported.
    const deadline = Date.now() + (opts.settleTimeoutMs ?? 60_000);
    const db = new Database(server.dbPath, { readonly: true, fileMustExist: true });
    try {
      const has = db.prepare('SELECT 1 FROM events WHERE session_id = ? AND dedup_key = ?');
      const missing = (): Expected[] => expected.filter((e) => !has.get(e.session, e.key));
      for (;;) {
        const st = spoolStatus(dataDir, { tmp });
        if (st.pending === 0 && missing().length === 0) break;
        if (Date.now() > deadline) break;
        await sleep(250);
      }
      const lostList = missing();
      const drops = spoolStatus(dataDir, { tmp });
      const dup = db.prepare(`SELECT COUNT(*) AS n FROM (SELECT session_id, hook_type, json_extract(data, '$.tool_use_id') AS id, COUNT(*) AS c
                                FROM events WHERE json_extract(data, '$.tool_use_id') IS NOT NULL GROUP BY 1, 2, 3 HAVING c > 1)`).get() as { n: number };
      const stored = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
      const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0]!.integrity_check;
      const hookSent = opts.agents * opts.eventsPerAgent;
      return {
        options: opts,
        durationMs: Date.now() - started,
        sent: { hook: hookSent, rollout: expected.length - hookSent, total: expected.length },
        stored,
        lost: Math.max(0, lostList.length - drops.dropped),
        lostKeys: lostList.slice(0, 20).map((e) => `${e.session} ${e.key}`),
        countedDrops: drops.dropped,
        duplicated: dup.n,
        faults,
        handlerFailures,
        spool: { quarantined: drops.quarantined, rejected: drops.rejected },
        integrity,
      };
    } finally {
      db.close();
    }
  } finally {
    await server.stop();
    root.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// Fuzz

export interface FuzzOptions {
  seed: number;
  /** Inputs per target (hook, api, rollout, spool, config). */
  count: number;
  /** Stop each target after this long even if `count` is not reached. */
  secondsPerTarget: number;
  log?: (msg: string) => void;
}

export interface FuzzTargetReport {
  tried: number;
  /** Invariant violations, each with the input (shortened) that caused it. */
  failures: string[];
  /** HTTP status → count (hook, api); outcome → count (others). */
  outcomes: Record<string, number>;
}

export interface FuzzReport {
  options: FuzzOptions;
  durationMs: number;
  targets: Record<'hook' | 'api' | 'rollout' | 'spool' | 'config', FuzzTargetReport>;
  integrity: string;
}

const HOOK_TYPES = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd', 'Notification', 'PreCompact', 'SubagentStop'];
const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__delivery_id', '__provider', '__spooled_at', '__truncated', 'session_id', 'agent_id', 'turn_id', 'tool_use_id'];
const NASTY_STRINGS = ['', ' ', '\u0000', '\ud800', '😀', '%', '%E0%A4%A', '../../etc/passwd', 'a'.repeat(70 * 1024), '\n\n', 'null', '{"a":1}', 'codex', 'claude', '1e309'];

function randomValue(r: Rng, depth = 0): unknown {
  const k = int(r, depth > 3 ? 6 : 9);
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return pick(r, [0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
    case 3: return pick(r, NASTY_STRINGS);
    case 4: return Math.random().toString(36).slice(2, 2 + int(r, 12));
    case 5: return pick(r, HOOK_TYPES);
    case 6: return Array.from({ length: int(r, 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(r, 5); i > 0; i--) Object.defineProperty(o, pick(r, [...NASTY_KEYS, 'cwd', 'model', 'transcript_path', 'tool_name', 'tool_input', 'prompt', 'x']), { value: randomValue(r, depth + 1), enumerable: true, writable: true, configurable: true });
      return o;
    }
  }
}

/** One hostile hook body: valid-looking payloads with wrong types, reserved names, deep nesting, junk. */
export function fuzzHookBody(r: Rng): string {
  const shape = int(r, 10);
  if (shape === 0) return pick(r, ['', '{', 'null', '[]', '"x"', '{"hook_type":1}', '{"hook_type":"Stop","data":[]}', '\u0000\u0001', '{"hook_type":"Stop","data":{}}garbage']);
  if (shape === 1) return `{"hook_type":"${pick(r, HOOK_TYPES)}","data":{"session_id":"fz","tool_input":${deepJson(pick(r, [100, 5_000, 10_000, 50_000]))}}}`;
  if (shape === 2) {
    // __proto__ on the > 64 KB truncation path.
    return `{"hook_type":"Stop","data":{"__proto__":{"session_id":"proto-victim"},"big":"${'z'.repeat(66 * 1024)}"}}`;
  }
  const hookType = r() < 0.2 ? pick(r, [...NASTY_KEYS, ...NASTY_STRINGS.slice(0, 8)]) : pick(r, HOOK_TYPES);
  const data: Record<string, unknown> = { session_id: r() < 0.8 ? `fz-${int(r, 20)}` : randomValue(r) };
  for (let i = int(r, 6); i > 0; i--) {
    Object.defineProperty(data, pick(r, [...NASTY_KEYS, 'cwd', 'model', 'transcript_path', 'tool_name', 'tool_input', 'tool_response', 'prompt', 'source', 'last_assistant_message']), {
      value: randomValue(r), enumerable: true, writable: true, configurable: true,
    });
  }
  return JSON.stringify({ hook_type: hookType, data });
}

export function fuzzApiPath(r: Rng): string {
  const seg = pick(r, ['fz-1', '%', '%E0%A4%A', '%ZZ', '%2F..%2F', '..', 'a%00b', '%F0%9F%98%80', encodeURIComponent('😀'), 'x'.repeat(3000), '%25', '']);
  const q = pick(r, ['', '?limit=abc', '?limit=-1', '?limit=99999999999', '?after=1e309', '?after=%ZZ', '?limit=5&after=2', '?harness=codex']);
  return pick(r, [`/api/sessions${q}`, `/api/sessions/${seg}${q}`, `/api/sessions/${seg}/events${q}`, `/api/sessions/${seg}/x`, `/api/health`, `/api/host/status`, `/${seg}`, `/api/${seg}`]);
}

/** One rollout line that should never stop the file: mutations of real lines, deep values, junk. */
export function fuzzRolloutLine(r: Rng): string {
  const shape = int(r, 8);
  if (shape === 0) return pick(r, ['{', 'null', '[1,2]', '"x"', '{"type":"response_item"}', '\u0000', '{"type":"response_item","payload":null}']);
  if (shape === 1) return `{"timestamp":"2026-11-27T10:00:09.000Z","type":"response_item","payload":{"type":"${pick(r, ['function_call', 'function_call_output', 'custom_tool_call', 'local_shell_call'])}","call_id":"fzdeep","${pick(r, ['arguments', 'output', 'input', 'action'])}":${deepJson(pick(r, [100, 5_000, 50_000]))}}}`;
  const payload: Record<string, unknown> = { type: pick(r, ['function_call', 'function_call_output', 'custom_tool_call', 'custom_tool_call_output', 'local_shell_call', 'message', 'reasoning', 'task_started', 'user_message', 'item_completed', 'task_complete', 'token_count', 'turn_aborted']) };
  for (let i = int(r, 6); i > 0; i--) payload[pick(r, ['call_id', 'name', 'arguments', 'output', 'input', 'action', 'turn_id', 'message', 'item', 'info', 'namespace', 'last_agent_message'])] = randomValue(r);
  return JSON.stringify({ timestamp: r() < 0.8 ? '2026-11-27T10:00:09.000Z' : randomValue(r), type: pick(r, ['response_item', 'event_msg', 'turn_context', 'session_meta', 'compacted']), payload });
}

export function fuzzSpoolLine(r: Rng): string {
  const shape = int(r, 5);
  if (shape === 0) return pick(r, ['{', 'null', '[]', '{"hook_type":""}', '{"hook_type":"Stop"}', '{"hook_type":"Stop","data":"x"}', '\u0000\u0000']);
  if (shape === 1) return `{"hook_type":"PreToolUse","data":{"session_id":"fzs","tool_input":${deepJson(pick(r, [5_000, 50_000]))}},"spooled_at":"2026-11-27T10:00:00Z"}`;
  const text = fuzzHookBody(r).replace(/\n/g, ' ');
  // Splice spooled_at in as text: the body may be too deep to parse and serialize again.
  if (!text.startsWith('{') || !text.endsWith('}')) return text;
  return `${text.slice(0, -1)},"spooled_at":${JSON.stringify(pick(r, ['2026-11-27T10:00:00.000Z', 'not a date', 5, null]))}}`;
}

export function fuzzConfigText(r: Rng): string {
  return pick(r, [
    '', ' ', '{', '{}', '[]', 'null', '"x"', '{"hooks":null}', '{"hooks":[]}', '{"hooks":{"PreToolUse":"x"}}', '{"hooks":{"PreToolUse":[{"hooks":"x"}]}}',
    '{"a":1,"a":2}', '{"big":12345678901234567890,"f":1.0,"e":1e3,"s":"\\u00e9"}', '\ufeff{"x":1}', '{"x":1}\r\n', '{\n\t"x": [1,\n2]\n}',
    `{"hooks":{"Stop":[{"matcher":"","hooks":[{"type":"command","command":"other"}]}]},"keep":${JSON.stringify(randomValue(r))}}`,
    JSON.stringify(randomValue(r)), `{"x":${deepJson(pick(r, [10, 3000]))}}`, '{"x":1} trailing', '\u0000',
  ]);
}

function bump(o: Record<string, number>, k: string): void {
  o[k] = (o[k] ?? 0) + 1;
}

function short(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}… (${s.length} chars)` : s;
}

function httpGet(port: number, p: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}${p}`).then(
    async (res) => {
      await res.arrayBuffer();
      return res.status;
    },
    () => 0,
  );
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const root = tempRoot('am-fuzz-');
  const dataDir = path.join(root.dir, 'data');
  const codexHome = path.join(root.dir, 'codex');
  fs.mkdirSync(codexHome, { recursive: true });
  const empty = (): FuzzTargetReport => ({ tried: 0, failures: [], outcomes: {} });
  const targets = { hook: empty(), api: empty(), rollout: empty(), spool: empty(), config: empty() };
  const server = await startPatched({ dir: dataDir, codexHome });
  let integrity = 'not checked';
  try {
    // Hook posts: never a 500, the server stays up.
    {
      const r = rng(opts.seed);
      const t = targets.hook;
      const end = Date.now() + opts.secondsPerTarget * 1000;
      while (t.tried < opts.count && Date.now() < end) {
        const body = fuzzHookBody(r);
        t.tried++;
        let status: number;
        try {
          status = (await postRaw(server, body)).status;
        } catch (e) {
          status = 0;
          t.failures.push(`no answer (${(e as Error).message}) to ${short(body)}`);
        }
        bump(t.outcomes, String(status));
        if (status >= 500 || status === 0) t.failures.push(`HTTP ${status} for ${short(body)}`);
        if (server.child.exitCode !== null) {
          t.failures.push(`sidecar exited (${server.child.exitCode}) after ${short(body)}`);
          break;
        }
      }
      const victim = await fetch(`http://127.0.0.1:${server.port}/api/sessions/proto-victim`);
      if (victim.status !== 404) t.failures.push('a __proto__ key was honoured as a prototype (session proto-victim exists)');
      log(`[fuzz] hook: ${t.tried} posts, ${t.failures.length} failures`);
    }
    // API GETs.
    {
      const r = rng(opts.seed + 1);
      const t = targets.api;
      const end = Date.now() + opts.secondsPerTarget * 1000;
      while (t.tried < opts.count && Date.now() < end) {
        const p = fuzzApiPath(r);
        t.tried++;
        const status = await httpGet(server.port, p);
        bump(t.outcomes, String(status));
        if (status >= 500 || status === 0) t.failures.push(`HTTP ${status} for GET ${short(p)}`);
      }
      log(`[fuzz] api: ${t.tried} GETs, ${t.failures.length} failures`);
    }
    // Spool lines, drained by the real sidecar: every good line stored, nothing left waiting.
    {
      const r = rng(opts.seed + 2);
      const t = targets.spool;
      const end = Date.now() + opts.secondsPerTarget * 1000;
      const spoolFile = path.join(dataDir, 'spool', 'events.jsonl');
      fs.mkdirSync(path.dirname(spoolFile), { recursive: true });
      const good: string[] = [];
      let batch = 0;
      while (t.tried < opts.count && Date.now() < end) {
        const lines: string[] = [];
        for (let i = 0; i < 50 && t.tried < opts.count; i++) {
          t.tried++;
          lines.push(fuzzSpoolLine(r));
          const id = `fzgood-${batch}-${i}`;
          good.push(id);
          lines.push(JSON.stringify({ hook_type: 'PreToolUse', data: { session_id: 'fz-spool', tool_use_id: id, tool_name: 'Bash' }, spooled_at: '2026-11-27T10:00:00.000Z' }));
        }
        fs.appendFileSync(spoolFile, lines.join('\n') + '\n');
        batch++;
        const deadline = Date.now() + 15_000;
        while (spoolStatus(dataDir).pending > 0 && Date.now() < deadline) await sleep(100);
        if (spoolStatus(dataDir).pending > 0) {
          t.failures.push(`spool batch ${batch} still waiting after 15 s: something blocks it`);
          break;
        }
      }
      const db = new Database(server.dbPath, { readonly: true });
      try {
        const has = db.prepare("SELECT 1 FROM events WHERE session_id = 'fz-spool' AND dedup_key = ?");
        const missing = good.filter((id) => !has.get(`pre:${id}`));
        if (missing.length) t.failures.push(`${missing.length} good spool lines not stored, e.g. ${missing.slice(0, 3).join(', ')}`);
        t.outcomes.good = good.length - missing.length;
      } finally {
        db.close();
      }
      const st = spoolStatus(dataDir);
      t.outcomes.rejected = st.rejected;
      t.outcomes.quarantined = st.quarantined;
      log(`[fuzz] spool: ${t.tried} fuzz lines, ${t.failures.length} failures`);
    }
    // Rollout lines, imported in-process into a fresh DB: never a throw, every good line's event stored.
    {
      const r = rng(opts.seed + 3);
      const t = targets.rollout;
      const end = Date.now() + opts.secondsPerTarget * 1000;
      const dbFile = path.join(root.dir, 'rollout-fuzz.db');
      const db = new Database(dbFile);
      try {
        db.pragma('journal_mode = WAL');
        createUpstreamSchema(db);
        migrateHostSchema(db);
        let file = 0;
        while (t.tried < opts.count && Date.now() < end) {
          const sid = `0199ffff-0000-7000-8000-${String(file).padStart(12, '0')}`;
          const dir = path.join(root.dir, 'rollouts');
          fs.mkdirSync(dir, { recursive: true });
          const p = path.join(dir, rolloutName(sid));
          const lines = [metaLine(sid)];
          const goodKeys: string[] = [];
          for (let i = 0; i < 40 && t.tried < opts.count; i++) {
            t.tried++;
            lines.push(fuzzRolloutLine(r));
            lines.push(...callLines(i, `g${file}-`));
            goodKeys.push(`pre:g${file}-${i}`, `post:g${file}-${i}`);
          }
          fs.writeFileSync(p, lines.join('\n') + '\n');
          try {
            const res = importRolloutFile(db, p);
            bump(t.outcomes, 'files');
            t.outcomes.malformed = (t.outcomes.malformed ?? 0) + res.malformed;
          } catch (e) {
            t.failures.push(`import of file ${file} threw: ${(e as Error).message}`);
          }
          const has = db.prepare('SELECT 1 FROM events WHERE session_id = ? AND dedup_key = ?');
          const missing = goodKeys.filter((k) => !has.get(sid, k));
          if (missing.length) t.failures.push(`file ${file}: ${missing.length} good events missing, e.g. ${missing[0]}`);
          file++;
        }
      } finally {
        db.close();
      }
      log(`[fuzz] rollout: ${t.tried} fuzz lines, ${t.failures.length} failures`);
    }
    // Config files: the installers either install (valid JSON with our hooks, foreign keys kept) or
    // refuse with an error and leave the file byte-identical.
    {
      const r = rng(opts.seed + 4);
      const t = targets.config;
      const end = Date.now() + opts.secondsPerTarget * 1000;
      const handlerPath = path.join(dataDir, 'hooks', 'x.js');
      while (t.tried < opts.count && Date.now() < end) {
        t.tried++;
        const which = r() < 0.5 ? 'claude' : 'codex';
        const dir = fs.mkdtempSync(path.join(root.dir, 'cfg-'));
        const file = path.join(dir, which === 'claude' ? 'settings.json' : 'hooks.json');
        const text = fuzzConfigText(r);
        fs.writeFileSync(file, text);
        try {
          if (which === 'claude') await installClaudeHooks({ claudeConfigDir: dir, handlerPath });
          else await installCodexHooks({ codexHome: dir, handlerPath });
          const after = fs.readFileSync(file, 'utf8');
          try {
            JSON.parse(after.replace(/^\ufeff/, ''));
            bump(t.outcomes, 'installed');
          } catch {
            t.failures.push(`${which}: install wrote unparsable JSON from ${short(JSON.stringify(text))}`);
          }
        } catch (e) {
          bump(t.outcomes, 'refused');
          if (fs.readFileSync(file, 'utf8') !== text) t.failures.push(`${which}: refused (${(e as Error).message}) but changed the file ${short(JSON.stringify(text))}`);
        }
        fs.rmSync(dir, { recursive: true, force: true });
      }
      log(`[fuzz] config: ${t.tried} files, ${t.failures.length} failures`);
    }
    const db = new Database(server.dbPath, { readonly: true });
    try {
      integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)[0]!.integrity_check;
    } finally {
      db.close();
    }
    if (server.child.exitCode !== null) targets.hook.failures.push(`sidecar exited (${server.child.exitCode})`);
  } finally {
    await server.stop();
    root.cleanup();
  }
  return { options: opts, durationMs: Date.now() - started, targets, integrity };
}

export function soakMarkdown(rep: SoakReport): string {
  const o = rep.options;
  return [
    `| load | ${o.agents} agents × ${o.eventsPerAgent} events through the real handlers (half Codex, half Claude) + ${o.rolloutFiles} rollout files × ${o.rolloutCalls} calls written live |`,
    `| --- | --- |`,
    `| faults | ${rep.faults.kills} × SIGKILL + restart, ${rep.faults.hangs} × SIGSTOP ${o.hangMs ?? 1500} ms, ${rep.faults.rolloutRewrites} rollouts truncated and rewritten, ${rep.faults.rolloutChunks} write chunks (${rep.faults.splitLines} ending mid-line) |`,
    `| sent | ${rep.sent.total} keys (${rep.sent.hook} hook events, ${rep.sent.rollout} rollout events) |`,
    `| stored | ${rep.stored} rows |`,
    `| lost | ${rep.lost} (counted drops: ${rep.countedDrops}) |`,
    `| duplicated | ${rep.duplicated} |`,
    `| handler exits ≠ 0 | ${rep.handlerFailures} |`,
    `| spool quarantined / malformed | ${rep.spool.quarantined} / ${rep.spool.rejected} |`,
    `| integrity_check | ${rep.integrity} |`,
    `| duration | ${(rep.durationMs / 1000).toFixed(1)} s (seed ${o.seed}) |`,
  ].join('\n');
}

export function fuzzMarkdown(rep: FuzzReport): string {
  const rows = Object.entries(rep.targets).map(([name, t]) => `| ${name} | ${t.tried} | ${Object.entries(t.outcomes).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${t.failures.length} |`);
  return [`| target | inputs | outcomes | invariant violations |`, `| --- | --- | --- | --- |`, ...rows, ``, `integrity_check: ${rep.integrity}; ${(rep.durationMs / 1000).toFixed(1)} s (seed ${rep.options.seed}).`].join('\n');
}
