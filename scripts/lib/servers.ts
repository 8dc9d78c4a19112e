/**
 * Real server processes and payloads, shared by the tests and the benchmarks: the patched build
 * (build/agent-monitor) and the unpatched upstream (vendor/agent-monitor) started on loopback with
 * their data in a temp folder, HTTP posts to the hook route, and Claude transcripts of a chosen
 * size. Nothing here reads or writes the real home folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarMallocEnv } from '../../src/core/sidecar-manager.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, '..', '..');
export const PATCHED_ENTRY = join(REPO_ROOT, 'build', 'agent-monitor', 'server', 'index.js');
export const UPSTREAM_ENTRY = join(REPO_ROOT, 'vendor', 'agent-monitor', 'server', 'index.js');

// ---------------------------------------------------------------------------------------------
// Server processes

export interface RunningServer {
  kind: 'patched' | 'upstream';
  port: number;
  /** Bearer token (patched only; '' for the upstream, which has no auth). */
  token: string;
  pid: number;
  dir: string;
  dbPath: string;
  /** http://127.0.0.1:<port> */
  url: string;
  child: ChildProcess;
  output: () => string;
  /** GET a JSON document from the server; throws on a non-2xx answer. */
  get: <T = unknown>(pathname: string) => Promise<T>;
  /** SIGTERM, wait for exit (SIGKILL after 5 s). Resolves with the exit code/signal. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A free loopback port (for the upstream, which takes PORT and has no "any port" mode). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function cleanEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('AGENT_MONITOR_') || k === 'CODEX_HOME' || k === 'PORT' || k === 'CLAUDE_CONFIG_DIR') continue;
    env[k] = v;
  }
  // Never let a server under test look at the real home folder.
  env.HOME = dir;
  env.USERPROFILE = dir;
  env.XDG_DATA_HOME = join(dir, 'xdg-data');
  return { ...env, ...extra };
}

function spawnServer(entry: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

function stopper(child: ChildProcess): RunningServer['stop'] {
  return () =>
    new Promise((resolveStop) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolveStop({ code: child.exitCode, signal: child.signalCode });
        return;
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolveStop({ code, signal });
      });
      child.kill('SIGTERM');
    });
}

function running(s: Omit<RunningServer, 'url' | 'get' | 'stop'>): RunningServer {
  const url = `http://127.0.0.1:${s.port}`;
  return {
    ...s,
    url,
    async get<T>(pathname: string): Promise<T> {
      const res = await fetch(url + pathname);
      if (!res.ok) throw new Error(`GET ${pathname} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as T;
    },
    stop: stopper(s.child),
  };
}

async function waitHealthy(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before answering /api/health:\n${output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`server did not answer /api/health within 15 s:\n${output()}`);
}

/**
 * The patched build as the host runs it: AGENT_MONITOR_DATA_DIR=<dir>, AGENT_MONITOR_DB=<dir>/monitor.db,
 * AGENT_MONITOR_PORT=0, AGENT_MONITOR_ROLLOUT=off unless `codexHome` is given. Resolves once
 * runtime.json exists and /api/health answers.
 */
export async function startPatched(opts: { dir?: string; codexHome?: string; env?: Record<string, string> } = {}): Promise<RunningServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'am-patched-'));
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'monitor.db');
  const extra: Record<string, string> = {
    // As the host launches it (src/core/sidecar-manager.ts sidecarLaunchSpec).
    ...sidecarMallocEnv(),
    AGENT_MONITOR_DATA_DIR: dir,
    AGENT_MONITOR_DB: dbPath,
    AGENT_MONITOR_PORT: '0',
    ...(opts.codexHome ? { CODEX_HOME: opts.codexHome } : { AGENT_MONITOR_ROLLOUT: 'off', CODEX_HOME: join(dir, 'no-codex') }),
    ...opts.env,
  };
  const { child, output } = spawnServer(PATCHED_ENTRY, cleanEnv(dir, extra));
  const runtimeFile = join(dir, 'runtime.json');
  const deadline = Date.now() + 15_000;
  let info: { port: number; pid: number; token: string } | null = null;
  while (!info) {
    if (child.exitCode !== null) throw new Error(`patched server exited (${child.exitCode}) before writing runtime.json:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`patched server wrote no runtime.json within 15 s:\n${output()}`);
    }
    if (existsSync(runtimeFile)) {
      try {
        info = JSON.parse(readFileSync(runtimeFile, 'utf8')) as { port: number; pid: number; token: string };
        if (info.pid !== child.pid) info = null; // left by an earlier (killed) server
      } catch {
        // being renamed into place
      }
    }
    if (!info) await new Promise((r) => setTimeout(r, 25));
  }
  await waitHealthy(info.port, child, output);
  return running({ kind: 'patched', port: info.port, token: info.token, pid: child.pid!, dir, dbPath, child, output });
}

/** The unpatched upstream: PORT=<free port>, AGENT_MONITOR_DB=<dir>/monitor.db; no auth, no runtime file. */
export async function startUpstream(opts: { dir?: string } = {}): Promise<RunningServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'am-upstream-'));
  mkdirSync(dir, { recursive: true });
  const dbPath = join(dir, 'monitor.db');
  const port = await freePort();
  const { child, output } = spawnServer(UPSTREAM_ENTRY, cleanEnv(dir, { PORT: String(port), AGENT_MONITOR_DB: dbPath }));
  try {
    await waitHealthy(port, child, output);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return running({ kind: 'upstream', port, token: '', pid: child.pid!, dir, dbPath, child, output });
}

// ---------------------------------------------------------------------------------------------
// Payloads

export interface TranscriptTotals {
  model: string;
  messages: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  bytes: number;
}

/**
 * Writes a Claude Code transcript (JSONL) of about `targetBytes`: user lines and assistant lines
 * shaped as Claude Code writes them (message.id, model, usage), each assistant message once.
 * Returns the totals the server should report for it.
 */
export function writeClaudeTranscript(file: string, targetBytes: number, opts: { model?: string; sessionId?: string; idPrefix?: string } = {}): TranscriptTotals {
  // Message and request ids are globally unique in real transcripts; give each file its own prefix
  // when several must not share token records.
  const idPrefix = opts.idPrefix ?? '';
  const model = opts.model ?? 'claude-sonnet-4-5-20250929';
  const sessionId = opts.sessionId ?? randomUUID();
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const filler = 'The parser test fails because the tokenizer drops the trailing newline; fixing it in lexer.rs. '.repeat(6);
  const totals: TranscriptTotals = { model, messages: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, bytes: 0 };
  let chunk = '';
  let chunkBytes = 0;
  let i = 0;
  const add = (line: string): void => {
    chunk += line;
    chunkBytes += Buffer.byteLength(line);
  };
  const flush = (): void => {
    if (!chunk) return;
    writeSync(fd, chunk);
    totals.bytes += chunkBytes;
    chunk = '';
    chunkBytes = 0;
  };
  try {
    while (totals.bytes + chunkBytes < targetBytes) {
      i++;
      const ts = new Date(Date.UTC(2026, 10, 24, 4, 0, 0) + i * 1000).toISOString();
      add(`${JSON.stringify({
        parentUuid: null,
        isSidechain: false,
        userType: 'external',
        cwd: '/tmp/demo',
        sessionId,
        version: '2.0.0',
        type: 'user',
        message: { role: 'user', content: `step ${i}: ${filler.slice(0, 120)}` },
        uuid: `u-${i}`,
        timestamp: ts,
      })}\n`);
      const usage = { input_tokens: 10 + (i % 7), output_tokens: 20 + (i % 11), cache_read_input_tokens: 100 + (i % 13), cache_creation_input_tokens: i % 5 };
      add(`${JSON.stringify({
        parentUuid: `u-${i}`,
        isSidechain: false,
        userType: 'external',
        cwd: '/tmp/demo',
        sessionId,
        version: '2.0.0',
        type: 'assistant',
        message: {
          id: `msg_${idPrefix}${String(i).padStart(8, '0')}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text: filler }],
          stop_reason: 'end_turn',
          usage,
        },
        requestId: `req_${idPrefix}${i}`,
        uuid: `a-${i}`,
        timestamp: ts,
      })}\n`);
      totals.messages++;
      totals.input_tokens += usage.input_tokens;
      totals.output_tokens += usage.output_tokens;
      totals.cache_read_tokens += usage.cache_read_input_tokens;
      totals.cache_write_tokens += usage.cache_creation_input_tokens;
      if (chunkBytes > 1 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return totals;
}

/** A Claude Code PreToolUse payload (what the upstream hook handler forwards from stdin). */
export function preToolUse(sessionId: string, toolUseId: string, transcriptPath?: string): Record<string, unknown> {
  return {
    session_id: sessionId,
    transcript_path: transcriptPath,
    cwd: '/tmp/demo',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'cargo test -p demo-parser', description: 'Run the parser tests' },
    tool_use_id: toolUseId,
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface PostResult {
  status: number;
  body: string;
}

/** POST /api/hooks/event with a raw body; keep-alive when an agent is given. */
export function postRaw(server: { port: number; token: string }, body: string, opts: { agent?: http.Agent; token?: string | null } = {}): Promise<PostResult> {
  const token = opts.token === undefined ? server.token : opts.token;
  return new Promise((resolvePost, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/api/hooks/event',
        method: 'POST',
        agent: opts.agent,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePost({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function postHook(
  server: { port: number; token: string },
  hookType: string,
  data: Record<string, unknown>,
  opts: { agent?: http.Agent; token?: string | null } = {},
): Promise<PostResult> {
  return postRaw(server, JSON.stringify({ hook_type: hookType, data }), opts);
}

