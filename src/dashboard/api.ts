/**
 * Typed client for the sidecar's read API (docs/contracts.md "Dashboard API") and its live
 * stream. Browser code: no Node imports. The response shapes are the sidecar's own types,
 * imported as types only (erased by the bundler); the snippet markers both sides use at run
 * time come from src/shared/. Panels added later (usage, cost, …) extend this file
 * with their own endpoint functions next to these.
 */

import type { Harness } from '../shared/events.js';
import type { NeedsYou } from '../sidecar/attention.js';
import type { RowUsage, SearchHit, SearchPage, SessionFamily, SessionFilter, SessionTreeFields, TimelinePage as RowsPage } from '../sidecar/host/dashboard-routes.js';
import type { EventDetail, TimelineRow } from '../sidecar/host/timeline.js';

export { SNIPPET_CLOSE, SNIPPET_OPEN } from '../shared/search.js';
export type { AttentionKind, NeedsYou } from '../sidecar/attention.js';
export type { Harness, RowUsage, SearchHit, SessionFilter, EventDetail };
/** One event as the timeline shows it: the server's row shape. */
export type TimelineEvent = TimelineRow;

/** A row of GET /api/session-list, /api/needs-you and of `session_updated` frames. */
export interface SessionRow {
  id: string;
  name: string | null;
  status: string;
  cwd: string | null;
  model: string | null;
  started_at: string;
  updated_at: string;
  ended_at: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  event_count: number;
  harness: Harness | null;
  parent_session_id: string | null;
  sources: string | null;
  /** JSON text of NeedsYou, or null. Use needsYouOf(). */
  needs_you: string | null;
  /** 1 while its history's timeline rows are still being imported (list rows only; event_count is not final). */
  importing?: number;
}

export function needsYouOf(s: Pick<SessionRow, 'needs_you'>): NeedsYou | null {
  if (!s.needs_you) return null;
  try {
    return JSON.parse(s.needs_you) as NeedsYou;
  } catch {
    return null;
  }
}

/**
 * A row of GET /api/session-list: a top-level session with its tokens and cost (own and rolled
 * up) and its subagent sessions nested below it, each a row of the same shape.
 */
export type SessionListRow = SessionRow & SessionTreeFields<SessionRow>;

/** The session view's parent link and subagents (GET /api/sessions/:id/timeline `family`). */
export type Family = Omit<SessionFamily, 'children'> & { children: SessionListRow[] };

/** GET /api/sessions/:id/timeline: the session row, its family and a page of its events. */
export interface TimelinePage extends RowsPage {
  session: SessionRow;
  family: Family;
  /** Rows of this session are still being imported from its history files (the second phase). */
  importing: boolean;
}

export interface Project {
  cwd: string;
  sessions: number;
  last_active: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(path: string, params: Record<string, string | number | boolean | null | undefined> = {}): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    qs.set(k, v === true ? '1' : String(v));
  }
  const url = qs.toString() ? `${path}?${qs}` : path;
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      detail = ((await res.json()) as { error?: string }).error ?? detail;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, `${path}: ${detail}`);
  }
  return (await res.json()) as T;
}

export const api = {
  sessions: (filter: SessionFilter, cursor: string | null, limit = 50) =>
    getJson<{ sessions: SessionListRow[]; next: string | null }>('/api/session-list', { ...filter, cursor, limit }),
  /** The top-level trees (matching the filter) that hold these sessions: a live update's rows. */
  trees: (filter: SessionFilter, ids: string[]) => getJson<{ sessions: SessionListRow[] }>('/api/session-list', { ...filter, sessions: ids.join(',') }),
  needsYou: () => getJson<{ sessions: SessionRow[] }>('/api/needs-you'),
  projects: () => getJson<{ projects: Project[] }>('/api/projects'),
  timeline: (sessionId: string, at: { before?: string | null; after?: string | null; around?: number | null; limit?: number } = {}) =>
    getJson<TimelinePage>(`/api/sessions/${encodeURIComponent(sessionId)}/timeline`, { before: at.before, after: at.after, around: at.around, limit: at.limit }),
  event: (id: number) => getJson<{ event: EventDetail }>(`/api/events/${id}`),
  search: (q: string, before: number | null = null, limit = 50) => getJson<SearchPage>('/api/search', { q, before, limit }),
  exportUrl: (sessionId: string, format: 'md' | 'json') => `/api/sessions/${encodeURIComponent(sessionId)}/export.${format}`,
};

/** Frames of GET /api/stream. */
export type StreamFrame =
  | { type: 'new_event'; data: TimelineEvent }
  | { type: 'session_updated'; data: SessionRow }
  | { type: 'sessions_changed'; data: { sessionIds: string[] } };

export function connectStream(handlers: { frame: (f: StreamFrame) => void; open: () => void; error: () => void }): EventSource {
  const source = new EventSource('/api/stream');
  source.onopen = handlers.open;
  source.onerror = handlers.error;
  source.onmessage = (msg: MessageEvent<string>) => {
    let frame: StreamFrame;
    try {
      frame = JSON.parse(msg.data) as StreamFrame;
    } catch {
      return;
    }
    if (frame && typeof frame === 'object' && 'type' in frame) handlers.frame(frame);
  };
  return source;
}
