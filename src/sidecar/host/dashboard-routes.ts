/**
 * The dashboard's read API (docs/contracts.md "Dashboard API"): the paged and filtered session
 * list, the sessions that need the user, a session's timeline by cursor, one event in full,
 * full-text search, and export. GET only; every answer is JSON except the exports.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Database from 'better-sqlite3';
import type { Harness } from '../../shared/events.js';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../shared/search.js';
import { SESSION_IMPORTING_COLUMN, SESSION_SOURCES_COLUMN, timelineImportingSql } from './session-sql.js';
import { parseData, timelineRow, type EventDetail, type StoredRow, type TimelineRow } from './timeline.js';
import { exportJson, exportMarkdown } from './export.js';
import { addUsage, ownUsageOf, zeroUsage, type OwnUsage } from '../usage/queries.js';
import { indexStatus, type IndexStatus } from '../search-index.js';
import { readBackCutFields } from './source-readback.js';

export const SESSION_PAGE_MAX = 500;
export const TIMELINE_PAGE_MAX = 1000;
export const SEARCH_MAX = 200;

type Json = (res: ServerResponse, status: number, body: unknown) => void;

const stmtCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function prepare(db: Database.Database, sql: string): Database.Statement {
  let m = stmtCache.get(db);
  if (!m) stmtCache.set(db, (m = new Map<string, Database.Statement>()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

function limitOf(raw: string | null, fallback: number, max: number): number {
  const n = Number.parseInt(raw ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : fallback;
}

/** A page cursor: `<iso time>|<id>` of the last row handed out. */
export interface Cursor {
  at: string;
  id: string;
}
export function encodeCursor(at: string, id: string | number): string {
  return `${at}|${id}`;
}
export function decodeCursor(raw: string | null): Cursor | null | 'invalid' {
  if (raw === null || raw === '') return null;
  const i = raw.indexOf('|');
  if (i <= 0 || i === raw.length - 1) return 'invalid';
  return { at: raw.slice(0, i), id: raw.slice(i + 1) };
}

class BadRequest extends Error {}

// ---------- sessions ----------

export interface SessionFilter {
  harness?: string | null;
  status?: string | null;
  attention?: boolean;
  cwd?: string | null;
  /** ISO date/time: sessions active at or after it (updated_at >= from). */
  from?: string | null;
  /** ISO date/time: sessions started before it. */
  to?: string | null;
}

const SESSION_COLUMNS = `sessions.*, ${SESSION_SOURCES_COLUMN}, ${SESSION_IMPORTING_COLUMN}`;

/**
 * A session is listed top-level when it has no parent, when its parent is not in the database
 * (shown with `parent_unknown`), or when the parent chain is bad data (a session that is its own
 * parent; of two sessions naming each other, the one with the smaller id). Every other session is
 * a subagent, nested under its parent and never counted by the paging.
 */
const TOP_LEVEL = `(sessions.parent_session_id IS NULL OR sessions.parent_session_id = sessions.id
  OR NOT EXISTS (SELECT 1 FROM sessions p WHERE p.id = sessions.parent_session_id)
  OR EXISTS (SELECT 1 FROM sessions p WHERE p.id = sessions.parent_session_id AND p.parent_session_id = sessions.id AND sessions.id < p.id))`;

/** How deep subagents are followed below a listed session (Codex subagents can spawn their own). */
export const TREE_DEPTH_MAX = 16;
/** At most this many subagent rows are attached to one page (a pathological fan-out cannot blow up a page). */
export const TREE_ROWS_MAX = 5000;

/** Tokens and cost of one row: its own, and with every subagent below it (the roll-up). */
export interface RowUsage {
  /**
   * `exact`: counted from the per-message usage records (docs/contracts.md "Token accounting"),
   * priced per model. Otherwise no record exists yet and the tokens are the session's running
   * counters, without a cost.
   */
  own: OwnUsage & { exact: boolean };
  /** Own plus every subagent's below it; equal to `own` for a session without subagents. */
  total: OwnUsage;
}

/** What GET /api/session-list adds to each session row. `Row` is the session row's shape. */
export interface SessionTreeFields<Row> {
  usage: RowUsage;
  /** Subagent sessions, oldest first, each with the same fields. */
  children: Array<Row & SessionTreeFields<Row>>;
  /** Sessions below this one, at any depth. */
  descendants: number;
  /** `parent_session_id` names a session this database does not hold: listed top-level, marked. */
  parent_unknown: boolean;
}

type Row = Record<string, unknown>;
export type SessionTreeRow = Row & SessionTreeFields<Row>;

function whereOf(filter: SessionFilter, params: Record<string, unknown>): string[] {
  const where: string[] = [];
  if (filter.harness) {
    where.push('harness = @harness');
    params.harness = filter.harness;
  }
  if (filter.status) {
    where.push('status = @status');
    params.status = filter.status;
  }
  if (filter.attention) where.push('needs_you IS NOT NULL');
  if (filter.cwd) {
    // The folder itself or anything under it.
    where.push(`(cwd = @cwd OR substr(cwd, 1, length(@cwdSlash)) = @cwdSlash)`);
    params.cwd = filter.cwd;
    params.cwdSlash = filter.cwd.endsWith('/') ? filter.cwd : `${filter.cwd}/`;
  }
  if (filter.from) {
    where.push('updated_at >= @from');
    params.from = filter.from;
  }
  if (filter.to) {
    where.push('started_at < @to');
    params.to = filter.to;
  }
  // Last: its correlated lookups run only for rows the cheap filters kept.
  where.push(TOP_LEVEL);
  return where;
}

/**
 * One page of top-level sessions (the filters and the paging apply to them), each with its
 * subagents nested below it and the tokens and cost of every row.
 */
export function listSessions(db: Database.Database, filter: SessionFilter, cursor: Cursor | null, limit: number): { sessions: SessionTreeRow[]; next: string | null } {
  const params: Record<string, unknown> = { limit: limit + 1 };
  const where = whereOf(filter, params);
  if (cursor) {
    where.push('(updated_at, id) < (@cAt, @cId)');
    params.cAt = cursor.at;
    params.cId = cursor.id;
  }
  const sql = `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${where.join(' AND ')} ORDER BY updated_at DESC, id DESC LIMIT @limit`;
  const rows = prepare(db, sql).all(params) as Row[];
  const more = rows.length > limit;
  if (more) rows.length = limit;
  const last = rows[rows.length - 1];
  return { sessions: withSubagents(db, rows), next: more && last ? encodeCursor(String(last.updated_at), String(last.id)) : null };
}

/**
 * The top-level sessions (matching the filter) whose trees hold any of `ids`: what a live update
 * of those sessions changes in the list, wherever they are in it (`?sessions=` of the list route).
 */
export function sessionTrees(db: Database.Database, filter: SessionFilter, ids: readonly string[]): SessionTreeRow[] {
  if (ids.length === 0) return [];
  const params: Record<string, unknown> = { ids: JSON.stringify(ids), depth: TREE_DEPTH_MAX };
  const where = whereOf(filter, params);
  const sql = `WITH RECURSIVE up(id, parent, depth) AS (
      SELECT id, parent_session_id, 0 FROM sessions WHERE id IN (SELECT value FROM json_each(@ids))
      UNION
      SELECT s.id, s.parent_session_id, up.depth + 1 FROM sessions s JOIN up ON s.id = up.parent
       WHERE up.depth < @depth AND up.parent <> up.id)
    SELECT ${SESSION_COLUMNS} FROM sessions WHERE id IN (SELECT id FROM up) AND ${where.join(' AND ')}
     ORDER BY updated_at DESC, id DESC LIMIT ${SESSION_PAGE_MAX}`;
  return withSubagents(db, prepare(db, sql).all(params) as Row[]);
}

/** Attaches every subagent below the given top-level rows, and every row's tokens and cost. */
function withSubagents(db: Database.Database, roots: Row[]): SessionTreeRow[] {
  if (roots.length === 0) return [];
  const rootIds = roots.map((r) => String(r.id));
  const below = prepare(
    db,
    `WITH RECURSIVE tree(id, depth) AS (
        SELECT value, 0 FROM json_each(@roots)
        UNION
        SELECT s.id, tree.depth + 1 FROM sessions s JOIN tree ON s.parent_session_id = tree.id
         WHERE tree.depth < @depth AND s.id <> tree.id)
      SELECT ${SESSION_COLUMNS} FROM sessions
       WHERE id IN (SELECT id FROM tree WHERE depth > 0) AND id NOT IN (SELECT value FROM json_each(@roots))
       ORDER BY started_at ASC, id ASC LIMIT ${TREE_ROWS_MAX}`,
  ).all({ roots: JSON.stringify(rootIds), depth: TREE_DEPTH_MAX }) as Row[];
  const all = [...roots, ...below];
  const usage = ownUsageOf(db, all.map((r) => String(r.id)));
  const kids = new Map<string, Row[]>();
  for (const r of below) {
    const parent = String(r.parent_session_id);
    let list = kids.get(parent);
    if (!list) kids.set(parent, (list = []));
    list.push(r);
  }
  const known = new Set(all.map((r) => String(r.id)));
  const parentKnown = (r: Row): boolean => {
    const p = r.parent_session_id;
    return typeof p !== 'string' || known.has(p) || sessionExists(db, p);
  };
  // Each session is placed once (the first path that reaches it), so bad parent data cannot loop.
  const placed = new Set<string>(rootIds);
  const build = (r: Row): SessionTreeRow => {
    const id = String(r.id);
    const mine = usage.get(id);
    const own: OwnUsage & { exact: boolean } = mine ? { ...mine, exact: true } : { ...counterUsage(r), exact: false };
    const total: OwnUsage = { tokens: { ...own.tokens }, cost: own.cost, unpricedTokens: own.unpricedTokens, records: own.records };
    const children: SessionTreeRow[] = [];
    let descendants = 0;
    for (const k of kids.get(id) ?? []) {
      const kid = String(k.id);
      if (placed.has(kid)) continue;
      placed.add(kid);
      const node = build(k);
      children.push(node);
      descendants += 1 + node.descendants;
      addUsage(total, node.usage.total);
    }
    return { ...r, usage: { own, total }, children, descendants, parent_unknown: !parentKnown(r) };
  };
  return roots.map(build);
}

/** The session view's family: the parent (when known), and the subagents below with their tokens and cost. */
export interface SessionFamily {
  parent: { id: string; name: string | null; harness: string | null; status: string | null; cwd: string | null } | null;
  /** The parent id this session names when that session is not in the database. */
  unknownParentId: string | null;
  usage: RowUsage;
  children: SessionTreeRow[];
  descendants: number;
}

export function sessionFamily(db: Database.Database, session: Row): SessionFamily {
  const [tree] = withSubagents(db, [session]);
  const parentId = typeof session.parent_session_id === 'string' && session.parent_session_id !== session.id ? session.parent_session_id : null;
  const parent = parentId
    ? ((prepare(db, 'SELECT id, name, harness, status, cwd FROM sessions WHERE id = ?').get(parentId) as SessionFamily['parent'] | undefined) ?? null)
    : null;
  return { parent, unknownParentId: parentId && !parent ? parentId : null, usage: tree!.usage, children: tree!.children, descendants: tree!.descendants };
}

function sessionExists(db: Database.Database, id: string): boolean {
  return prepare(db, 'SELECT 1 AS x FROM sessions WHERE id = ?').get(id) !== undefined;
}

/** A session without usage records: its running counters (hooks' transcript reader, rollout totals), unpriced. */
function counterUsage(r: Row): OwnUsage {
  const n = (k: string): number => {
    const v = r[k];
    return typeof v === 'number' ? v : 0;
  };
  const u = zeroUsage();
  u.tokens.input = n('input_tokens');
  u.tokens.output = n('output_tokens');
  u.tokens.cacheRead = n('cache_read_tokens');
  u.tokens.cacheWrite = n('cache_write_tokens');
  u.tokens.total = u.tokens.input + u.tokens.output + u.tokens.cacheRead + u.tokens.cacheWrite;
  u.unpricedTokens = u.tokens.total;
  return u;
}

export function needsYouSessions(db: Database.Database): Record<string, unknown>[] {
  return prepare(db, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE needs_you IS NOT NULL ORDER BY updated_at DESC LIMIT 500`).all() as Record<string, unknown>[];
}

// ---------- timeline ----------

const EVENT_COLUMNS = 'id, session_id, hook_type, tool_name, summary, data, created_at, source, seen_by';

function rows(db: Database.Database, sql: string, params: Record<string, unknown>): TimelineRow[] {
  return (prepare(db, sql).all(params) as Array<StoredRow & { data: string | null }>).map((r) => timelineRow(r, parseData(r.data)));
}

export interface TimelinePage {
  events: TimelineRow[]; // oldest first
  /** Cursor for the page before the first event, or null at the session's start. */
  older: string | null;
  /** Cursor for the page after the last event, or null when the last event is the newest. */
  newer: string | null;
}

/**
 * The session's timeline rows are still to come: a history file of it is summarized but not yet
 * imported in full (the history import's two phases: src/sidecar/tail-import.ts, ImportPhase).
 */
export function timelineImporting(db: Database.Database, sessionId: string): boolean {
  return (prepare(db, `SELECT ${timelineImportingSql('@s')} AS importing`).get({ s: sessionId }) as { importing: number }).importing === 1;
}

function olderRows(db: Database.Database, sessionId: string, at: string, id: number, inclusive: boolean, limit: number): TimelineRow[] {
  return rows(
    db,
    `SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = @s AND (created_at, id) ${inclusive ? '<=' : '<'} (@at, @id)
      ORDER BY created_at DESC, id DESC LIMIT @limit`,
    { s: sessionId, at, id, limit },
  ).reverse();
}

function newerRows(db: Database.Database, sessionId: string, at: string, id: number, limit: number): TimelineRow[] {
  return rows(
    db,
    `SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = @s AND (created_at, id) > (@at, @id)
      ORDER BY created_at ASC, id ASC LIMIT @limit`,
    { s: sessionId, at, id, limit },
  );
}

/**
 * One page of a session's events in (created_at, id) order — the order the timeline shows, which
 * stays right for a spooled event stored late under its older time. Without a cursor: the newest
 * page. `before`/`after`: the page next to a cursor. `around`: a page holding that event.
 */
export function timelinePage(
  db: Database.Database,
  sessionId: string,
  opts: { before?: Cursor | null; after?: Cursor | null; around?: number | null; limit: number },
): TimelinePage {
  const { limit } = opts;
  let events: TimelineRow[];
  let hasOlder: boolean;
  let hasNewer: boolean;
  if (opts.around != null) {
    const target = prepare(db, 'SELECT created_at FROM events WHERE id = ? AND session_id = ?').get(opts.around, sessionId) as { created_at: string } | undefined;
    if (!target) throw new BadRequest(`event ${opts.around} is not in session ${sessionId}`);
    const half = Math.max(1, Math.floor(limit / 2));
    const older = olderRows(db, sessionId, target.created_at, opts.around, true, half + 1);
    hasOlder = older.length > half;
    if (hasOlder) older.shift();
    const newer = newerRows(db, sessionId, target.created_at, opts.around, limit - half + 1);
    hasNewer = newer.length > limit - half;
    if (hasNewer) newer.pop();
    events = [...older, ...newer];
  } else if (opts.after) {
    const got = newerRows(db, sessionId, opts.after.at, Number(opts.after.id), limit + 1);
    hasNewer = got.length > limit;
    if (hasNewer) got.pop();
    events = got;
    hasOlder = true;
  } else {
    const got = opts.before
      ? olderRows(db, sessionId, opts.before.at, Number(opts.before.id), false, limit + 1)
      : rows(db, `SELECT ${EVENT_COLUMNS} FROM events WHERE session_id = @s ORDER BY created_at DESC, id DESC LIMIT @limit`, { s: sessionId, limit: limit + 1 }).reverse();
    hasOlder = got.length > limit;
    if (hasOlder) got.shift();
    events = got;
    hasNewer = Boolean(opts.before);
  }
  const first = events[0];
  const last = events[events.length - 1];
  return {
    events,
    older: hasOlder && first ? encodeCursor(first.created_at, first.id) : null,
    newer: hasNewer && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

// ---------- search ----------

/**
 * The user's words as an FTS5 query: every word must occur; a word with punctuation
 * (`zebra-42`, `src/app.ts`) is a phrase of its tokens; with `prefix`, the last word also matches
 * as a prefix. FTS5 syntax in the input has no effect (everything is quoted).
 */
export function ftsQuery(q: string, prefix = true): string | null {
  const words = q.trim().split(/\s+/).filter(Boolean).slice(0, 20);
  if (words.length === 0) return null;
  return words
    .map((w, i) => {
      const quoted = `"${w.replace(/"/g, '""')}"`;
      return prefix && i === words.length - 1 && /[\p{L}\p{N}]$/u.test(w) ? `${quoted}*` : quoted;
    })
    .join(' ');
}

export interface SearchHit {
  event_id: number;
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  created_at: string;
  /** Text with the matches between SNIPPET_OPEN and SNIPPET_CLOSE (src/shared/search.ts). */
  snippet: string;
  harness: Harness | null;
  cwd: string | null;
  session_name: string | null;
}

/**
 * GET /api/search: newest hits first; `next` is the `before` of the following page, or null.
 * `indexing`: how far the deferred index of imported history has got (src/sidecar/search-index.ts);
 * rows above its mark are not found yet.
 */
export interface SearchPage {
  results: SearchHit[];
  next: number | null;
  indexing: IndexStatus;
}

/**
 * Newest matches first; `before` pages on (an event id). The words as typed are tried first: FTS5
 * reads a word's matches lazily, newest first, and stops at the page size, while a prefix match
 * first merges the matches of every word with that prefix (tens of ms for a word in half the
 * events). So the prefix form runs only when the exact words do not fill the page.
 */
export function search(db: Database.Database, q: string, limit: number, before: number | null): SearchPage {
  const exact = ftsQuery(q, false);
  if (!exact) throw new BadRequest('q must contain at least one word');
  const prefixed = ftsQuery(q, true)!;
  let found = runSearch(db, exact, limit, before);
  if (found.length <= limit && prefixed !== exact) found = runSearch(db, prefixed, limit, before);
  const more = found.length > limit;
  if (more) found.length = limit;
  return { results: found, next: more ? (found[found.length - 1]?.event_id ?? null) : null, indexing: indexStatus(db) };
}

function runSearch(db: Database.Database, match: string, limit: number, before: number | null): SearchHit[] {
  const sql = `WITH hits AS (
      SELECT rowid AS id, snippet(events_fts, 0, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '…', 24) AS snippet
        FROM events_fts WHERE events_fts MATCH @match ${before !== null ? 'AND rowid < @before' : ''}
       ORDER BY rowid DESC LIMIT @limit)
    SELECT hits.id AS event_id, e.session_id, e.hook_type, e.tool_name, e.created_at, hits.snippet,
           s.harness, s.cwd, s.name AS session_name
      FROM hits JOIN events e ON e.id = hits.id LEFT JOIN sessions s ON s.id = e.session_id
     ORDER BY hits.id DESC`;
  try {
    return prepare(db, sql).all({ match, limit: limit + 1, ...(before !== null ? { before } : {}) }) as SearchHit[];
  } catch (err) {
    throw new BadRequest(`search query not understood: ${(err as Error).message}`);
  }
}

// ---------- routing ----------

function sessionRow(db: Database.Database, id: string): Record<string, unknown> | undefined {
  return prepare(db, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
}

function cursorParam(url: URL, name: string): Cursor | null {
  const c = decodeCursor(url.searchParams.get(name));
  if (c === 'invalid') throw new BadRequest(`${name} must be a cursor from a previous page`);
  return c;
}

function isoParam(url: URL, name: string): string | null {
  const raw = url.searchParams.get(name);
  if (!raw) return null;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new BadRequest(`${name} must be a date or an ISO time`);
  return new Date(t).toISOString();
}

/** Answers the dashboard routes; returns false for any other path. */
export function dashboardRoute(db: Database.Database, req: IncomingMessage, res: ServerResponse, url: URL, json: Json): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const p = url.pathname;
  try {
    if (p === '/api/session-list') {
      const attention = url.searchParams.get('attention');
      const filter: SessionFilter = {
        harness: url.searchParams.get('harness') || null,
        status: url.searchParams.get('status') || null,
        attention: attention === '1' || attention === 'true',
        cwd: url.searchParams.get('cwd') || null,
        from: isoParam(url, 'from'),
        to: isoParam(url, 'to'),
      };
      const only = url.searchParams.get('sessions');
      if (only !== null) {
        // The trees holding these sessions (a live update), unpaged.
        const ids = only.split(',').map((x) => x.trim()).filter(Boolean).slice(0, SESSION_PAGE_MAX);
        json(res, 200, { sessions: sessionTrees(db, filter, ids), next: null });
        return true;
      }
      const page = listSessions(db, filter, cursorParam(url, 'cursor'), limitOf(url.searchParams.get('limit'), 50, SESSION_PAGE_MAX));
      json(res, 200, page);
      return true;
    }
    if (p === '/api/needs-you') {
      json(res, 200, { sessions: needsYouSessions(db) });
      return true;
    }
    if (p === '/api/projects') {
      const projects = prepare(db, `SELECT cwd, COUNT(*) AS sessions, MAX(updated_at) AS last_active FROM sessions
                                     WHERE cwd IS NOT NULL GROUP BY cwd ORDER BY last_active DESC LIMIT 500`).all();
      json(res, 200, { projects });
      return true;
    }
    if (p === '/api/search') {
      const before = url.searchParams.get('before');
      const out = search(db, url.searchParams.get('q') ?? '', limitOf(url.searchParams.get('limit'), 50, SEARCH_MAX), before ? Number.parseInt(before, 10) || null : null);
      json(res, 200, out);
      return true;
    }
    const ev = /^\/api\/events\/(\d+)$/.exec(p);
    if (ev) {
      const row = prepare(db, `SELECT ${EVENT_COLUMNS}, dedup_key FROM events WHERE id = ?`).get(Number(ev[1])) as (StoredRow & { data: string | null; dedup_key: string | null }) | undefined;
      if (!row) {
        json(res, 404, { error: 'no such event' });
        return true;
      }
      const stored = parseData(row.data);
      // A history row keeps a preview of its long fields: the rest is read back from the file.
      const back = readBackCutFields({ session_id: row.session_id, dedup_key: row.dedup_key, source: row.source ?? 'hook' }, stored);
      const data = back?.data ?? stored;
      const event: EventDetail = { ...timelineRow(row, data), data, readBack: back?.source ?? null };
      json(res, 200, { event });
      return true;
    }
    const m = /^\/api\/sessions\/([^/]+)\/(timeline|export\.md|export\.json)$/.exec(p);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      const session = sessionRow(db, id);
      if (!session) {
        json(res, 404, { error: 'no such session' });
        return true;
      }
      if (m[2] === 'timeline') {
        const around = url.searchParams.get('around');
        const page = timelinePage(db, id, {
          before: cursorParam(url, 'before'),
          after: cursorParam(url, 'after'),
          around: around ? Number.parseInt(around, 10) : null,
          limit: limitOf(url.searchParams.get('limit'), 200, TIMELINE_PAGE_MAX),
        });
        json(res, 200, { session, family: sessionFamily(db, session), importing: timelineImporting(db, id), ...page });
        return true;
      }
      if (m[2] === 'export.md') exportMarkdown(db, session, res);
      else exportJson(db, session, res);
      return true;
    }
  } catch (err) {
    if (err instanceof BadRequest) {
      json(res, 400, { error: err.message });
      return true;
    }
    throw err;
  }
  return false;
}
