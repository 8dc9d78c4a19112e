/** Shared helpers for the hook handler tests: temp data dirs, real servers, real handler processes. */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDelivery } from '../../patches/lib/inline-delivery.js';
import { onCleanup, tempDir } from '../helpers/temp.js';
import { writeRuntimeFile } from '../../src/sidecar/host/runtime-file.js';

const HANDLERS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'handlers');
export const REPO_HANDLER = join(HANDLERS_DIR, 'codex-hook-handler.js');
export const REPO_SH_HANDLER = join(HANDLERS_DIR, 'codex-hook.sh');
export const TOKEN = 'a1'.repeat(32);

export { tempDir };

/** The two Codex hook implementations: one contract, one test suite (codex-hook-handler.test.ts). */
export const IMPLEMENTATIONS = [
  { name: 'Node handler', source: REPO_HANDLER, file: 'codex-hook-handler.js' },
  { name: 'POSIX sh + curl handler', source: REPO_SH_HANDLER, file: 'codex-hook.sh' },
] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

/**
 * A data dir with the handler in hooks/, as the installer deploys it: the built copy (for the
 * Node handler, the source with the shared delivery module appended, patches/lib/inline-delivery.ts;
 * the sh handler is copied as is).
 */
export function deployedDataDir(impl: Implementation = IMPLEMENTATIONS[0]): { dataDir: string; handler: string } {
  const dataDir = tempDir();
  mkdirSync(join(dataDir, 'hooks'));
  const handler = join(dataDir, 'hooks', impl.file);
  if (impl.file === 'codex-hook-handler.js') writeFileSync(handler, withDelivery(readFileSync(REPO_HANDLER, 'utf8')));
  else copyFileSync(impl.source, handler);
  return { dataDir, handler };
}

/** What the sidecar writes at start (runtime.json and runtime-curl.conf), by the sidecar's own writer. */
export function writeRuntime(dataDir: string, port: number, token = TOKEN): void {
  writeRuntimeFile(dataDir, { version: 1, port, pid: process.pid, token, startedAt: new Date().toISOString() });
}

export interface Post {
  hook_type: string;
  data: Record<string, unknown>;
}

/** A real HTTP stand-in for the sidecar's hook route: checks the Bearer token, records posts, answers 200. */
export async function startCaptureServer(opts: { status?: number } = {}): Promise<{ port: number; posts: Post[]; unauthorized: number; malformed: number }> {
  const state = { port: 0, posts: [] as Post[], unauthorized: 0, malformed: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/hooks/event') {
        res.writeHead(404).end();
        return;
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        state.unauthorized++;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
        return;
      }
      if (opts.status && opts.status !== 200) {
        res.writeHead(opts.status).end();
        return;
      }
      let post: Post;
      try {
        post = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Post;
      } catch {
        // As the sidecar does (docs/contracts.md "Hook post"): malformed JSON is a 400.
        state.malformed++;
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"body is not valid JSON"}');
        return;
      }
      state.posts.push(post);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"stored":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as net.AddressInfo).port;
  onCleanup(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return state;
}

/** Accepts TCP connections and never answers. */
export async function startHungServer(): Promise<{ port: number; accepted: () => number }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => {});
    sockets.push(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onCleanup(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }));
  return { port: (server.address() as net.AddressInfo).port, accepted: () => sockets.length };
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface HandlerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /**
   * What the handler said about a failure: its stderr, plus what it appended to
   * `<dataDir>/codex-hook.log` (the sh handler delivers after its stdio is closed, so its messages
   * go there; docs/contracts.md "Codex hook handlers").
   */
  messages: string;
  /** ms from spawn to the hook's exit with its stdout and stderr closed: what Codex waits for */
  hookMs: number;
}

/** The data dir a handler run writes to: AGENT_MONITOR_DATA_DIR, else the folder above hooks/. */
function runDataDir(handler: string, env: NodeJS.ProcessEnv): string | null {
  if (env.AGENT_MONITOR_DATA_DIR) return env.AGENT_MONITOR_DATA_DIR;
  return basename(dirname(handler)) === 'hooks' ? dirname(dirname(handler)) : null;
}

function readLog(dataDir: string | null): string {
  if (!dataDir) return '';
  try {
    return readFileSync(join(dataDir, 'codex-hook.log'), 'utf8');
  } catch {
    return '';
  }
}

/**
 * Runs the handler as a real process (asynchronously: the test servers share this event loop).
 * Resolves when everything the run started has finished: the sh handler's background delivery
 * inherits an extra pipe (fd 3) that only this harness passes (Codex passes none), so its EOF
 * says the delivery is done — posted, or spooled and counted.
 */
export function runHandler(opts: { handler: string; args?: string[]; input: string; env?: Record<string, string> }): Promise<HandlerRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('AGENT_MONITOR_')) delete env[k];
  delete env.NODE_OPTIONS;
  Object.assign(env, opts.env ?? {});
  const dataDir = runDataDir(opts.handler, env);
  const logBefore = readLog(dataDir);
  return new Promise((resolveRun, reject) => {
    // As the installed hook commands run them: `node "<file>.js" <Event>` / `/bin/sh "<file>.sh" <Event>`.
    const runner = opts.handler.endsWith('.sh') ? '/bin/sh' : process.execPath;
    const t0 = process.hrtime.bigint();
    const child = spawn(runner, [opts.handler, ...(opts.args ?? [])], { env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let open = 2;
    let exited = false;
    let hookMs = 0;
    const hookDone = (): void => {
      if (exited && open === 0 && !hookMs) hookMs = Number(process.hrtime.bigint() - t0) / 1e6;
    };
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    for (const s of [child.stdout, child.stderr]) s.on('close', () => { open--; hookDone(); });
    child.on('exit', () => { exited = true; hookDone(); });
    const settled = child.stdio[3] as NodeJS.ReadableStream;
    settled.resume();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString();
      const log = readLog(dataDir);
      const added = log.startsWith(logBefore) ? log.slice(logBefore.length) : log;
      resolveRun({ code, signal, stdout: Buffer.concat(out).toString(), stderr, messages: stderr + added, hookMs });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input); // no trailing newline unless the test puts one in
  });
}

export function spoolLines(dataDir: string): Array<{ hook_type: string; data: Record<string, unknown>; spooled_at: string }> {
  const f = join(dataDir, 'spool', 'events.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { hook_type: string; data: Record<string, unknown>; spooled_at: string });
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Fixture F4 (docs/contracts.md "Synthetic turn F2–F8"): a Codex PreToolUse stdin for a Bash call. */
export const PRE_TOOL_USE = JSON.parse(
  readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'rollout', 'f4-pre-tool-use-bash.json'), 'utf8'),
) as Record<string, unknown> & { tool_use_id: string };
