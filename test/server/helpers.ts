/** Helpers for the real-process server tests: temp dirs, API reads, an SSE reader, Claude payloads. */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { onCleanup, tempDir } from '../helpers/temp.js';
import type { RunningServer } from '../../scripts/lib/servers.js';

export { postHook, postRaw, startPatched, startUpstream, writeClaudeTranscript } from '../../scripts/lib/servers.js';
export type { RunningServer } from '../../scripts/lib/servers.js';

export { tempDir };

/** Stops the server when the file's tests are done (registered after its temp dir, so it runs first). */
export function track(server: RunningServer): RunningServer {
  onCleanup(() => server.stop());
  return server;
}

export async function getJson<T = Record<string, unknown>>(server: { port: number }, pathname: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${server.port}${pathname}`);
  if (!res.ok) throw new Error(`GET ${pathname} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export interface SessionRow {
  id: string;
  status: string;
  model: string | null;
  harness: string;
  sources: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  event_count: number;
  transcript_path: string | null;
  cwd: string | null;
}

export interface EventRow {
  id: number;
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  summary: string;
  data: Record<string, unknown> | null;
  source?: string;
  seen_by?: string;
  dedup_key?: string | null;
}

export async function session(server: { port: number }, id: string): Promise<SessionRow> {
  return (await getJson<{ session: SessionRow }>(server, `/api/sessions/${encodeURIComponent(id)}`)).session;
}

export async function events(server: { port: number }, id: string): Promise<EventRow[]> {
  return (await getJson<{ events: EventRow[] }>(server, `/api/sessions/${encodeURIComponent(id)}/events`)).events;
}

export interface SseFrame {
  type: string;
  data: Record<string, unknown> | null;
  timestamp: string;
}

/** An open GET /api/stream: collects frames; `waitFor` resolves with the first matching frame. */
export class SseReader {
  readonly frames: SseFrame[] = [];
  private buffer = '';
  private waiters: Array<{ match: (f: SseFrame) => boolean; resolve: (f: SseFrame) => void }> = [];
  private req: http.ClientRequest | null = null;

  static open(server: { port: number }): Promise<SseReader> {
    const reader = new SseReader();
    return new Promise((resolve, reject) => {
      reader.req = http.get({ host: '127.0.0.1', port: server.port, path: '/api/stream' }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`/api/stream answered ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => reader.feed(chunk));
        resolve(reader);
      });
      reader.req.on('error', (err) => {
        if (!reader.closed) reject(err);
      });
    });
  }

  private closed = false;

  private feed(chunk: string): void {
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (!data) continue; // comment / ping
      const frame = JSON.parse(data) as SseFrame;
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    }
  }

  waitFor(match: (f: SseFrame) => boolean): Promise<SseFrame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }
}

/** Claude Code hook payloads (the stdin JSON the upstream handler forwards), for one session. */
export function claudePayloads(sessionId: string, transcriptPath: string, cwd = '/tmp/demo-project') {
  const base = { session_id: sessionId, transcript_path: transcriptPath, cwd };
  return {
    SessionStart: { ...base, hook_event_name: 'SessionStart', source: 'startup' },
    UserPromptSubmit: { ...base, hook_event_name: 'UserPromptSubmit', permission_mode: 'default', prompt: 'Run the unit tests and fix the failing parser test.' },
    PreToolUse: (toolUseId: string) => ({
      ...base,
      hook_event_name: 'PreToolUse',
      permission_mode: 'default',
      tool_name: 'Bash',
      tool_input: { command: 'npm test', description: 'Run the unit tests' },
      tool_use_id: toolUseId,
    }),
    PostToolUse: (toolUseId: string, stdout = '12 passing\n1 failing') => ({
      ...base,
      hook_event_name: 'PostToolUse',
      permission_mode: 'default',
      tool_name: 'Bash',
      tool_input: { command: 'npm test', description: 'Run the unit tests' },
      tool_response: { stdout, stderr: '', interrupted: false, isImage: false },
      tool_use_id: toolUseId,
    }),
    Stop: { ...base, hook_event_name: 'Stop', permission_mode: 'default', stop_hook_active: false },
  };
}

/** A small Claude transcript: two assistant messages (one streamed on two lines) and a user line. */
export function writeSmallTranscript(file: string, model = 'claude-opus-4-1-20250805'): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  const lines = [
    { type: 'user', uuid: 'u1', message: { role: 'user', content: 'Run the unit tests' } },
    // Streaming: the same message id twice, counted once.
    { type: 'assistant', uuid: 'a1', message: { id: 'msg_01', model, role: 'assistant', content: [{ type: 'text', text: 'Running' }], usage: { input_tokens: 100, output_tokens: 5, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50 } } },
    { type: 'assistant', uuid: 'a1b', message: { id: 'msg_01', model, role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'Bash', input: {} }], usage: { input_tokens: 100, output_tokens: 5, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50 } } },
    { type: 'assistant', uuid: 'a2', message: { id: 'msg_02', model, role: 'assistant', content: [{ type: 'text', text: 'Fixed' }], usage: { input_tokens: 20, output_tokens: 40, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 } } },
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return { input: 120, output: 45, cacheRead: 3000, cacheWrite: 50 };
}

/** Files the process has open (Linux /proc), as absolute paths. */
export function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  const out: string[] = [];
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      out.push(fs.readlinkSync(path.join(dir, fd)));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}
