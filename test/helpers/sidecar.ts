// Starts the materialized sidecar (build/agent-monitor) as a real process on a free loopback
// port, with its data dir and CODEX_HOME in temp folders, and offers small API helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultOutDir } from '../../scripts/build-agent-monitor.js';

export interface RunningSidecar {
  port: number;
  token: string;
  url: string;
  child: ChildProcess;
  output(): string;
  get<T = unknown>(path: string): Promise<T>;
  postHook(hookType: string, data: Record<string, unknown>, token?: string | null): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export interface ApiEvent {
  id: number;
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  summary: string | null;
  source: string;
  seen_by: string;
  dedup_key: string | null;
  created_at: string;
  data: Record<string, unknown> | null;
}

export interface ApiSession {
  id: string;
  status: string;
  harness: string;
  model: string | null;
  cwd: string | null;
  event_count: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  sources?: string | null;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export async function startSidecar(opts: { dataDir: string; codexHome?: string; env?: Record<string, string> }): Promise<RunningSidecar> {
  const child = spawn(process.execPath, [join(defaultOutDir, 'server', 'index.js')], {
    env: {
      ...process.env,
      AGENT_MONITOR_DATA_DIR: opts.dataDir,
      AGENT_MONITOR_DB: join(opts.dataDir, 'monitor.db'),
      AGENT_MONITOR_PORT: '0',
      ...(opts.codexHome ? { CODEX_HOME: opts.codexHome } : { AGENT_MONITOR_ROLLOUT: 'off' }),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const runtimeFile = join(opts.dataDir, 'runtime.json');
  const rt = await waitFor('runtime.json', async () => {
    if (child.exitCode !== null) throw new Error(`sidecar exited ${child.exitCode}: ${out}`);
    if (!existsSync(runtimeFile)) return null;
    const doc = JSON.parse(readFileSync(runtimeFile, 'utf8')) as { port: number; token: string; pid: number };
    return doc.pid === child.pid ? doc : null;
  });
  const url = `http://127.0.0.1:${rt.port}`;
  const sidecar: RunningSidecar = {
    port: rt.port,
    token: rt.token,
    url,
    child,
    output: () => out,
    async get<T>(path: string): Promise<T> {
      const res = await fetch(url + path);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return (await res.json()) as T;
    },
    async postHook(hookType, data, token = rt.token) {
      const res = await fetch(`${url}/api/hooks/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ hook_type: hookType, data }),
      });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  await waitFor('/api/health', async () => (await sidecar.get<{ status: string }>('/api/health')).status === 'ok');
  return sidecar;
}

export async function sessionEvents(sidecar: RunningSidecar, sessionId: string): Promise<ApiEvent[]> {
  const { events } = await sidecar.get<{ events: ApiEvent[] }>(`/api/sessions/${encodeURIComponent(sessionId)}/events`);
  return events;
}
