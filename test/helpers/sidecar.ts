// Starts the materialized sidecar (build/agent-monitor) as a real process on a free loopback
// port, with its data dir and CODEX_HOME in temp folders, and offers small API helpers.
import type { ChildProcess } from 'node:child_process';
import { startPatched } from '../../scripts/bench/ingest.js';

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


/** The patched build as a real process (see scripts/bench/ingest.ts startPatched), plus API helpers. */
export async function startSidecar(opts: { dataDir: string; codexHome?: string; env?: Record<string, string> }): Promise<RunningSidecar> {
  const server = await startPatched({ dir: opts.dataDir, codexHome: opts.codexHome, env: opts.env });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    port: server.port,
    token: server.token,
    url,
    child: server.child,
    output: server.output,
    async get<T>(path: string): Promise<T> {
      const res = await fetch(url + path);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return (await res.json()) as T;
    },
    async postHook(hookType, data, token = server.token) {
      const res = await fetch(`${url}/api/hooks/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ hook_type: hookType, data }),
      });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      await server.stop();
    },
  };
}

export async function sessionEvents(sidecar: RunningSidecar, sessionId: string): Promise<ApiEvent[]> {
  const { events } = await sidecar.get<{ events: ApiEvent[] }>(`/api/sessions/${encodeURIComponent(sessionId)}/events`);
  return events;
}
