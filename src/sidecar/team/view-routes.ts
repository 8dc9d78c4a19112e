/**
 * The team view's read API (docs/contracts.md "Team view API"): what every machine pushed to the
 * shared PostgreSQL (src/sidecar/team/pg-schema.ts), read through a read-only pool
 * (./view-db.ts). GET only, JSON only, answered asynchronously: the HTTP thread only awaits
 * the database. The shapes mirror the local routes (src/sidecar/host/dashboard-routes.ts,
 * src/sidecar/usage/queries.ts) with the machine and person added, so the dashboard reuses its
 * code; this module owns the response types.
 *
 * What the synced data allows: sessions, events (hook type, tool name, time) and token/cost facts
 * always; event text (`summary`, `body`) only from machines that share text
 * (AGENT_MONITOR_SHARE_TEXT=1). Search runs over that text, so without it it finds nothing and
 * says so (`textShared: false`); timelines then show tool names and times without text.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SNIPPET_CLOSE, SNIPPET_OPEN } from '../../shared/search.js';
import type { Harness } from '../../shared/events.js';
import type { DailySeries, SumRow, Tokens } from '../usage/queries.js';
import type { SearchHit } from '../host/dashboard-routes.js';
import { failureOf, exitCodeOf, parseData } from '../host/timeline.js';
import { openTeamReader, teamDbProblem, teamViewConfig, type TeamReader, type TeamViewSource } from './view-db.js';

export const TEAM_SESSION_PAGE_MAX = 500;
export const TEAM_TIMELINE_PAGE_MAX = 1000;
export const TEAM_SEARCH_MAX = 200;
/** Costs in the team view are what each pushing machine priced with its own table. */
export const TEAM_PRICE_LABEL = 'API list-price estimate, priced by each pushing machine';

// ---------- response types ----------

/** Filters shared by the session list, the totals and the daily series. */
export interface TeamFilter {
  machine?: string | null;
  person?: string | null;
  agent?: string | null;
  model?: string | null;
  /** A UTC day, YYYY-MM-DD: sessions active that day; facts dated that day. */
  day?: string | null;
}

/** A row of GET /api/team/sessions: the local SessionRow's fields plus machine, person and cost. */
export interface TeamSessionRow {
  id: string;
  name: string | null;
  status: string | null;
  cwd: string | null;
  model: string | null;
  started_at: string | null;
  updated_at: string | null;
  harness: Harness | null;
  parent_session_id: string | null;
  event_count: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** USD priced by the pushing machine; null when none of its tokens had a price. */
  cost: number | null;
  machine_id: string;
  machine_name: string | null;
  person: string | null;
  /** The machine saw the session live (hooks), not only imported its files. */
  seen_live: boolean;
}

export interface TeamSessionPage {
  sessions: TeamSessionRow[];
  next: string | null;
}

export interface TeamMachine {
  machine_id: string;
  machine_name: string | null;
  person: string | null;
  first_seen: string | null;
  last_seen: string | null;
  last_push_at: string | null;
  sessions: number;
}

export type TeamTotalsBy = 'person' | 'machine' | 'agent' | 'model' | 'day';
export const TEAM_TOTALS_BY: readonly TeamTotalsBy[] = ['person', 'machine', 'agent', 'model', 'day'];

export interface TeamTotalsRow {
  /** The group's value (machine id, person, agent, model, YYYY-MM-DD); null when unknown. */
  key: string | null;
  /** What to show: the machine's name for `machine`, else the key. */
  label: string;
  sessions: number;
  /** Token records (one per model response). */
  messages: number;
  tokens: Tokens;
  /** USD of the priced part; null when no token of the group had a price. */
  cost: number | null;
  /** Tokens without a price (not in `cost`). */
  unpricedTokens: number;
}

/** GET /api/team/totals?by=…: one row per group, largest total first (days: newest first). */
export interface TeamTotals {
  by: TeamTotalsBy;
  label: string;
  rows: TeamTotalsRow[];
  all: Omit<TeamTotalsRow, 'key' | 'label'>;
}

/** GET /api/team/daily: the local daily series' shape (src/sidecar/usage/queries.ts). */
export interface TeamDaily {
  label: string;
  days: string[];
  series: DailySeries[];
}

/** One event of a team timeline. No numeric id (ids are per machine): `key` is the dedup key. */
export interface TeamTimelineRow {
  key: string;
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  /** The one-line summary; null when the pushing machine did not share text. */
  summary: string | null;
  created_at: string;
  failure: string | null;
  exit_code: number | null;
  /** Whether this event's text was shared. */
  text_shared: boolean;
}

export interface TeamTimelinePage {
  session: TeamSessionRow;
  /** Oldest first. */
  events: TeamTimelineRow[];
  /** Cursor for the page before the first event, or null at the session's start. */
  older: string | null;
  /** Any event of this page carries text. */
  textShared: boolean;
}

/** This machine's search hit (its `snippet` is the shared summary), keyed and placed team-wide. */
export interface TeamSearchHit extends Omit<SearchHit, 'event_id'> {
  key: string;
  machine_id: string | null;
  machine_name: string | null;
}

export interface TeamSearchPage {
  results: TeamSearchHit[];
  next: string | null;
  /** Some machine shared event text. When false, search cannot find anything: say so. */
  textShared: boolean;
}

/** GET /api/team/status: always 200; says whether the team view can be used and why not. */
export interface TeamStatus {
  configured: boolean;
  source: TeamViewSource | null;
  reachable: boolean;
  code: string | null;
  error: string | null;
  machines: number | null;
  textShared: boolean | null;
}

// ---------- helpers ----------

export class TeamBadRequest extends Error {}

function iso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

/** An opaque page cursor: base64url of a JSON array. */
export function encodeTeamCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeTeamCursor(raw: string | null, size: number, name = 'cursor'): string[] | null {
  if (raw === null || raw === '') return null;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === size && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // fall through
  }
  throw new TeamBadRequest(`${name} must be a cursor from a previous page`);
}

function limitOf(raw: string | null, fallback: number, max: number): number {
  const n = Number.parseInt(raw ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, max) : fallback;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function teamFilterOf(url: URL): TeamFilter {
  const p = url.searchParams;
  const day = p.get('day') || null;
  if (day !== null && (!DAY_RE.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))) throw new TeamBadRequest('day must be a UTC date, YYYY-MM-DD');
  const agent = p.get('agent') || null;
  if (agent !== null && agent !== 'claude' && agent !== 'codex') throw new TeamBadRequest('agent must be claude or codex');
  return { machine: p.get('machine') || null, person: p.get('person') || null, agent, model: p.get('model') || null, day };
}

/**
 * SQL conditions on `s` (am_sessions), `m` (am_machines) and the facts; `dayOn` is the facts'
 * time column, or null to filter sessions active that day.
 */
function filterSql(f: TeamFilter, params: unknown[], opts: { dayOn: string | null; modelOn: string }): string[] {
  const where: string[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.machine) where.push(`s.machine_id = ${p(f.machine)}`);
  if (f.person) where.push(`m.person = ${p(f.person)}`);
  if (f.agent) where.push(`s.agent = ${p(f.agent)}`);
  if (f.model) where.push(`${opts.modelOn} = ${p(f.model)}`);
  if (f.day) {
    const from = p(`${f.day}T00:00:00Z`);
    if (opts.dayOn === null) where.push(`s.last_event_at >= ${from}::timestamptz AND s.started_at < ${from}::timestamptz + interval '1 day'`);
    else where.push(`${opts.dayOn} >= ${from}::timestamptz AND ${opts.dayOn} < ${from}::timestamptz + interval '1 day'`);
  }
  return where;
}

// ---------- queries ----------

/** Token sums of am_usage rows `u`, as float8 so they arrive as numbers (exact below 2^53). */
const USAGE_SUMS = `COALESCE(SUM(u.input), 0)::float8 AS i, COALESCE(SUM(u.output), 0)::float8 AS o,
  COALESCE(SUM(u.cache_read), 0)::float8 AS cr, COALESCE(SUM(u.cache_creation), 0)::float8 AS cw,
  COALESCE(SUM(u.reasoning), 0)::float8 AS r, COUNT(u.session_id)::float8 AS n,
  SUM(u.cost_usd)::float8 AS cost,
  COALESCE(SUM(CASE WHEN u.cost_usd IS NULL THEN u.input + u.output + u.cache_read + u.cache_creation END), 0)::float8 AS unpriced`;

interface TeamSumRow extends SumRow {
  cost: number | null;
  unpriced: number;
}

function tokensOf(r: TeamSumRow): Tokens {
  const t = { input: num(r.i), output: num(r.o), cacheRead: num(r.cr), cacheWrite: num(r.cw), reasoning: num(r.r), total: 0 };
  t.total = t.input + t.output + t.cacheRead + t.cacheWrite;
  return t;
}

interface SessionDbRow extends TeamSumRow {
  id: string;
  title: string | null;
  status: string | null;
  cwd: string | null;
  model: string | null;
  started_at: Date | null;
  last_event_at: Date | null;
  agent: string | null;
  parent_session_id: string | null;
  event_count: number;
  machine_id: string;
  machine_name: string | null;
  person: string | null;
  seen_live: boolean | null;
}

/**
 * The session rows of `page` (a CTE of session ids, in order): counts and token sums are computed
 * for the page only, after the ORDER BY … LIMIT picked it.
 */
const SESSION_ROWS = `SELECT s.session_id AS id, s.title, s.status, s.cwd, s.model, s.started_at, s.last_event_at, s.agent,
       s.parent_session_id, s.seen_live, s.machine_id, m.machine_name, m.person,
       (SELECT COUNT(*)::float8 FROM am_events e WHERE e.session_id = s.session_id) AS event_count,
       us.*
  FROM page JOIN am_sessions s ON s.session_id = page.session_id
  LEFT JOIN am_machines m ON m.machine_id = s.machine_id
  LEFT JOIN LATERAL (SELECT ${USAGE_SUMS} FROM am_usage u WHERE u.session_id = s.session_id) us ON true
 ORDER BY page.n`;

function sessionRow(r: SessionDbRow): TeamSessionRow {
  return {
    id: r.id,
    name: r.title,
    status: r.status,
    cwd: r.cwd,
    model: r.model,
    started_at: iso(r.started_at),
    updated_at: iso(r.last_event_at),
    harness: r.agent === 'codex' || r.agent === 'claude' ? r.agent : null,
    parent_session_id: r.parent_session_id,
    event_count: num(r.event_count),
    input_tokens: num(r.i),
    output_tokens: num(r.o),
    cache_read_tokens: num(r.cr),
    cache_write_tokens: num(r.cw),
    cost: numOrNull(r.cost),
    machine_id: r.machine_id,
    machine_name: r.machine_name,
    person: r.person,
    seen_live: r.seen_live === true,
  };
}

/**
 * Newest activity first; `cursor` pages on (last_event_at, session_id), sessions without a time
 * last. The order matches the am_sessions_last_event index (team-sync migration step 2).
 */
export async function teamSessions(db: TeamReader, f: TeamFilter, cursor: string[] | null, limit: number): Promise<TeamSessionPage> {
  const params: unknown[] = [];
  const where = filterSql(f, params, { dayOn: null, modelOn: 's.model' });
  if (cursor) {
    if (cursor[0] === '') {
      params.push(cursor[1]);
      where.push(`s.last_event_at IS NULL AND s.session_id < $${params.length}`);
    } else {
      params.push(cursor[0], cursor[1]);
      where.push(`(s.last_event_at IS NULL OR (s.last_event_at, s.session_id) < ($${params.length - 1}::timestamptz, $${params.length}))`);
    }
  }
  params.push(limit + 1);
  const rows = await db.query<SessionDbRow>(
    `WITH page AS MATERIALIZED (
       SELECT s.session_id, row_number() OVER () AS n FROM (
         SELECT s.session_id FROM am_sessions s ${f.person ? 'LEFT JOIN am_machines m ON m.machine_id = s.machine_id' : ''}
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY s.last_event_at DESC NULLS LAST, s.session_id DESC LIMIT $${params.length}) s)
     ${SESSION_ROWS}`,
    params,
  );
  const more = rows.length > limit;
  if (more) rows.length = limit;
  const sessions = rows.map(sessionRow);
  const last = sessions[sessions.length - 1];
  return { sessions, next: more && last ? encodeTeamCursor([last.updated_at ?? '', last.id]) : null };
}

export async function teamSession(db: TeamReader, id: string): Promise<TeamSessionRow | null> {
  const rows = await db.query<SessionDbRow>(`WITH page AS (SELECT $1::text AS session_id, 1 AS n) ${SESSION_ROWS}`, [id]);
  return rows[0] ? sessionRow(rows[0]) : null;
}

export async function teamMachines(db: TeamReader): Promise<TeamMachine[]> {
  const rows = await db.query<{
    machine_id: string; machine_name: string | null; person: string | null; first_seen: Date | null; last_seen: Date | null; last_push_at: Date | null; sessions: number;
  }>(
    `SELECT m.machine_id, m.machine_name, m.person, m.first_seen, m.last_seen, m.last_push_at,
            (SELECT COUNT(*)::float8 FROM am_sessions s WHERE s.machine_id = m.machine_id) AS sessions
       FROM am_machines m ORDER BY m.machine_name, m.machine_id`,
  );
  return rows.map((r) => ({
    machine_id: r.machine_id,
    machine_name: r.machine_name,
    person: r.person,
    first_seen: iso(r.first_seen),
    last_seen: iso(r.last_seen),
    last_push_at: iso(r.last_push_at),
    sessions: num(r.sessions),
  }));
}

/**
 * Where totals and daily series are summed from. `rollup` (what the routes use): am_usage_daily,
 * the per-(session, UTC day, agent, model) sums the pushers maintain with every usage insert
 * (src/sidecar/team/pg-schema.ts, step 3). `raw`: am_usage itself, row by row; the same answers,
 * kept as the reference the tests compare the rollup against.
 */
export type TeamUsageSource = 'rollup' | 'raw';

interface UsageSourceSql {
  from: string;
  sums: string;
  /** The row's UTC day, as a date. */
  day: string;
  /** Conditions "on this UTC day" / "on or after this UTC day", given the day's parameter. */
  onDay: (p: string) => string;
  since: (p: string) => string;
}

/**
 * Sums of am_usage_daily rows `u`, with the same names and values as USAGE_SUMS. Integer columns
 * are summed as float8: exact while a sum stays below 2^53, and several times cheaper than bigint
 * SUM's numeric result (the per-session grouping of whole-history totals is dominated by it).
 * Cost stays a numeric sum, cast once, as USAGE_SUMS does, so the answers are equal bit for bit.
 */
const DAILY_SUMS = `COALESCE(SUM(u.input::float8), 0) AS i, COALESCE(SUM(u.output::float8), 0) AS o,
  COALESCE(SUM(u.cache_read::float8), 0) AS cr, COALESCE(SUM(u.cache_creation::float8), 0) AS cw,
  COALESCE(SUM(u.reasoning::float8), 0) AS r, COALESCE(SUM(u.records::float8), 0) AS n,
  SUM(u.cost_usd)::float8 AS cost, COALESCE(SUM(u.unpriced_tokens::float8), 0) AS unpriced`;

const USAGE_SOURCES: Record<TeamUsageSource, UsageSourceSql> = {
  raw: {
    from: 'am_usage u',
    sums: USAGE_SUMS,
    // Grouping on a date is far cheaper than on to_char per row.
    day: `(u.ts AT TIME ZONE 'UTC')::date`,
    onDay: (p) => `u.ts >= ${p}::date::timestamp AT TIME ZONE 'UTC' AND u.ts < (${p}::date + 1)::timestamp AT TIME ZONE 'UTC'`,
    since: (p) => `u.ts >= ${p}::date::timestamp AT TIME ZONE 'UTC'`,
  },
  rollup: {
    from: 'am_usage_daily u',
    sums: DAILY_SUMS,
    day: 'u.day',
    onDay: (p) => `u.day = ${p}::date`,
    since: (p) => `u.day >= ${p}::date`,
  },
};

/**
 * Conditions on the usage rows `u` of a source for a filter: agent, model and day on the facts
 * themselves; machine and person through the sessions they belong to (at query time, so a
 * session that changed machines counts for its machine now).
 */
function factFilterSql(f: TeamFilter, params: unknown[], src: UsageSourceSql): string[] {
  const where: string[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.agent) where.push(`u.agent = ${p(f.agent)}`);
  if (f.model) where.push(`u.model = ${p(f.model)}`);
  if (f.day) where.push(src.onDay(p(f.day)));
  const bySession: string[] = [];
  if (f.machine) bySession.push(`s.machine_id = ${p(f.machine)}`);
  if (f.person) bySession.push(`m.person = ${p(f.person)}`);
  if (bySession.length) {
    // `= ANY(ARRAY(…))` rather than `IN (…)`: the session list is small and known before the
    // facts are read, so PostgreSQL fetches their rows through the (session_id, …) key instead
    // of hashing the list and scanning every row (13× faster for one of 50 machines on am_usage).
    where.push(`u.session_id = ANY (ARRAY(SELECT s.session_id FROM am_sessions s LEFT JOIN am_machines m ON m.machine_id = s.machine_id WHERE ${bySession.join(' AND ')}))`);
  }
  return where;
}

const OUTER_SUMS = `COUNT(*)::float8 AS sessions, SUM(p.i)::float8 AS i, SUM(p.o)::float8 AS o, SUM(p.cr)::float8 AS cr, SUM(p.cw)::float8 AS cw,
  SUM(p.r)::float8 AS r, SUM(p.n)::float8 AS n, SUM(p.cost)::float8 AS cost, SUM(p.unpriced)::float8 AS unpriced`;

/**
 * Token and cost totals grouped by person, machine, agent, model or UTC day. The usage sums are
 * taken per session (and per model or day) first, in one pass without joins; the small result is
 * then grouped, so `sessions` needs no COUNT(DISTINCT).
 */
export async function teamTotals(db: TeamReader, by: TeamTotalsBy, f: TeamFilter, source: TeamUsageSource = 'rollup'): Promise<TeamTotals> {
  const src = USAGE_SOURCES[source];
  const params: unknown[] = [];
  const where = factFilterSql(f, params, src);
  const factKey = by === 'model' ? 'u.model' : by === 'day' ? src.day : by === 'agent' ? 'u.agent' : 'NULL::text';
  const grouped =
    by === 'machine'
      ? `SELECT s.machine_id AS key, MIN(m.machine_name) AS label, ${OUTER_SUMS}
           FROM per p JOIN am_sessions s ON s.session_id = p.session_id LEFT JOIN am_machines m ON m.machine_id = s.machine_id GROUP BY s.machine_id`
      : by === 'person'
        ? `SELECT m.person AS key, m.person AS label, ${OUTER_SUMS}
             FROM per p JOIN am_sessions s ON s.session_id = p.session_id LEFT JOIN am_machines m ON m.machine_id = s.machine_id GROUP BY m.person`
        : by === 'day'
          ? `SELECT to_char(p.fk, 'YYYY-MM-DD') AS key, to_char(p.fk, 'YYYY-MM-DD') AS label, ${OUTER_SUMS} FROM per p GROUP BY p.fk`
          : `SELECT p.fk AS key, p.fk AS label, ${OUTER_SUMS} FROM per p GROUP BY p.fk`;
  const rows = await db.query<TeamSumRow & { key: string | null; label: string | null; sessions: number; all_sessions: number }>(
    `WITH per AS MATERIALIZED (
       SELECT u.session_id, ${factKey} AS fk, ${src.sums} FROM ${src.from}
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        GROUP BY 1, 2)
     SELECT g.*, (SELECT COUNT(DISTINCT session_id)::float8 FROM per) AS all_sessions FROM (${grouped}) g`,
    params,
  );
  const out: TeamTotalsRow[] = rows.map((r) => ({
    key: r.key,
    label: r.label ?? r.key ?? 'unknown',
    sessions: num(r.sessions),
    messages: num(r.n),
    tokens: tokensOf(r),
    cost: numOrNull(r.cost),
    unpricedTokens: num(r.unpriced),
  }));
  if (by === 'day') out.sort((a, b) => (b.key ?? '').localeCompare(a.key ?? ''));
  else out.sort((a, b) => b.tokens.total - a.tokens.total || a.label.localeCompare(b.label));
  const all = { sessions: num(rows[0]?.all_sessions), messages: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, total: 0 }, cost: null as number | null, unpricedTokens: 0 };
  for (const r of out) {
    all.messages += r.messages;
    for (const k of Object.keys(all.tokens) as Array<keyof Tokens>) all.tokens[k] += r.tokens[k];
    if (r.cost !== null) all.cost = (all.cost ?? 0) + r.cost;
    all.unpricedTokens += r.unpricedTokens;
  }
  return { by, label: TEAM_PRICE_LABEL, rows: out, all };
}

/** Per UTC day for the last `days` days (oldest first), one series per agent + model. */
export async function teamDaily(db: TeamReader, days: number, f: TeamFilter, now = new Date(), source: TeamUsageSource = 'rollup'): Promise<TeamDaily> {
  const src = USAGE_SOURCES[source];
  const n = Math.max(1, Math.min(3660, Math.floor(days)));
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dayList: string[] = [];
  for (let i = n - 1; i >= 0; i--) dayList.push(new Date(end - i * 86_400_000).toISOString().slice(0, 10));
  const index = new Map(dayList.map((d, i) => [d, i]));
  const params: unknown[] = [dayList[0]];
  const where = [src.since('$1'), ...factFilterSql(f, params, src)];
  const rows = await db.query<TeamSumRow & { day: string; agent: string | null; model: string | null }>(
    `SELECT to_char(d, 'YYYY-MM-DD') AS day, agent, model, i, o, cr, cw, r, n, cost, unpriced FROM (
       SELECT ${src.day} AS d, u.agent, u.model, ${src.sums} FROM ${src.from} WHERE ${where.join(' AND ')} GROUP BY 1, 2, 3) x`,
    params,
  );
  const series = new Map<string, DailySeries>();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const harness = r.agent ?? 'claude';
    const key = `${harness}\u0000${r.model ?? ''}`;
    let s = series.get(key);
    if (!s) {
      s = { harness, model: r.model, tokens: new Array<number>(n).fill(0), cost: new Array<number | null>(n).fill(null) };
      series.set(key, s);
    }
    s.tokens[i] = tokensOf(r).total;
    s.cost[i] = numOrNull(r.cost);
  }
  return { label: TEAM_PRICE_LABEL, days: dayList, series: [...series.values()].sort((a, b) => (a.harness + (a.model ?? '')).localeCompare(b.harness + (b.model ?? ''))) };
}

interface EventDbRow {
  session_id: string;
  dedup_key: string;
  ts: Date;
  hook_type: string;
  tool_name: string | null;
  summary: string | null;
  body: unknown;
}

function timelineRowOf(r: EventDbRow): TeamTimelineRow {
  const data = parseData(r.body);
  const exit = r.hook_type === 'PostToolUse' ? exitCodeOf(data.tool_response) : null;
  return {
    key: r.dedup_key,
    session_id: r.session_id,
    hook_type: r.hook_type,
    tool_name: r.tool_name,
    summary: r.summary,
    created_at: iso(r.ts)!,
    // Without the body, only the hook type tells a failure (PostToolUseFailure, StopFailure, …).
    failure: failureOf(r.hook_type, data, exit),
    exit_code: exit,
    text_shared: r.summary !== null || r.body !== null,
  };
}

/** A session's events, newest page first by default; `before` pages back on (ts, dedup_key). */
export async function teamTimeline(db: TeamReader, sessionId: string, before: string[] | null, limit: number): Promise<TeamTimelinePage | null> {
  const session = await teamSession(db, sessionId);
  if (!session) return null;
  const params: unknown[] = [sessionId];
  let cond = '';
  if (before) {
    params.push(before[0], before[1]);
    cond = `AND (ts, dedup_key) < ($2::timestamptz, $3)`;
  }
  params.push(limit + 1);
  const rows = await db.query<EventDbRow>(
    `SELECT session_id, dedup_key, ts, hook_type, tool_name, summary, body FROM am_events
      WHERE session_id = $1 ${cond} ORDER BY ts DESC, dedup_key DESC LIMIT $${params.length}`,
    params,
  );
  const more = rows.length > limit;
  if (more) rows.length = limit;
  const events = rows.reverse().map(timelineRowOf);
  const first = events[0];
  return { session, events, older: more && first ? encodeTeamCursor([first.created_at, first.key]) : null, textShared: events.some((e) => e.text_shared) };
}

/** Does any machine share event text? Answered from the partial index on shared summaries. */
export async function teamTextShared(db: TeamReader): Promise<boolean> {
  const rows = await db.query<{ shared: boolean }>(`SELECT EXISTS (SELECT 1 FROM am_events WHERE summary IS NOT NULL) AS shared`);
  return rows[0]?.shared === true;
}

/** How many of the newest shared events the first search pass looks at. */
export const SEARCH_RECENT_WINDOW = 2_000;

/**
 * Every word must occur in the event's shared summary (PostgreSQL full text, the `simple`
 * configuration: no stemming, no stop words, like the local FTS5 search); newest first, paged on
 * (ts, session_id, dedup_key). Events whose text was not shared cannot match.
 *
 * Two passes, because one plan does not fit every word: the newest SEARCH_RECENT_WINDOW shared
 * events (in time order from am_events_shared_ts) are checked first, which answers a common
 * word at a bounded cost; when they hold fewer hits than a page, the full-text index finds every
 * match (few, for such a word) and those are sorted. A single time-ordered walk would read every
 * shared event for a word that never occurs.
 */
export async function teamSearch(db: TeamReader, q: string, before: string[] | null, limit: number): Promise<TeamSearchPage> {
  const words = q.trim().split(/\s+/).filter(Boolean).slice(0, 20);
  if (words.length === 0) throw new TeamBadRequest('q must contain at least one word');
  const params: unknown[] = [words.join(' '), `StartSel=${SNIPPET_OPEN}, StopSel=${SNIPPET_CLOSE}, MaxWords=24, MinWords=8, ShortWord=1`, limit + 1];
  let cond = '';
  if (before) {
    params.push(before[0], before[1], before[2]);
    cond = `AND (e.ts, e.session_id, e.dedup_key) < ($4::timestamptz, $5, $6)`;
  }
  const MATCH = `to_tsvector('simple', e.summary) @@ plainto_tsquery('simple', $1)`;
  const ORDER = 'ORDER BY e.ts DESC, e.session_id DESC, e.dedup_key DESC';
  const finish = (hits: string): string => `WITH hits AS MATERIALIZED (${hits})
     SELECT h.*, ts_headline('simple', h.summary, plainto_tsquery('simple', $1), $2) AS snippet,
            s.agent, s.cwd, s.title, s.machine_id, m.machine_name
       FROM hits h LEFT JOIN am_sessions s ON s.session_id = h.session_id LEFT JOIN am_machines m ON m.machine_id = s.machine_id
      ORDER BY h.ts DESC, h.session_id DESC, h.dedup_key DESC`;
  type HitRow = EventDbRow & { snippet: string; agent: string | null; cwd: string | null; title: string | null; machine_id: string | null; machine_name: string | null };
  const COLS = 'e.session_id, e.dedup_key, e.ts, e.hook_type, e.tool_name, e.summary';
  let rows = await db.query<HitRow>(
    finish(`SELECT ${COLS} FROM (SELECT ${COLS} FROM am_events e WHERE e.summary IS NOT NULL ${cond} ${ORDER} LIMIT ${SEARCH_RECENT_WINDOW}) e
             WHERE ${MATCH} ${ORDER} LIMIT $3`),
    params,
  );
  if (rows.length <= limit) {
    rows = await db.query<HitRow>(finish(`SELECT ${COLS} FROM (SELECT ${COLS} FROM am_events e WHERE e.summary IS NOT NULL AND ${MATCH} ${cond} OFFSET 0) e ${ORDER} LIMIT $3`), params);
  }
  const more = rows.length > limit;
  if (more) rows.length = limit;
  const results: TeamSearchHit[] = rows.map((r) => ({
    session_id: r.session_id,
    key: r.dedup_key,
    hook_type: r.hook_type,
    tool_name: r.tool_name,
    created_at: iso(r.ts)!,
    snippet: r.snippet,
    harness: r.agent === 'codex' || r.agent === 'claude' ? r.agent : null,
    cwd: r.cwd,
    session_name: r.title,
    machine_id: r.machine_id,
    machine_name: r.machine_name,
  }));
  const last = results[results.length - 1];
  const textShared = results.length > 0 || (await teamTextShared(db));
  return { results, next: more && last ? encodeTeamCursor([last.created_at, last.session_id, last.key]) : null, textShared };
}

// ---------- routing ----------

export interface TeamAnswer {
  status: number;
  body: unknown;
}

const NOT_CONFIGURED = {
  code: 'team_not_configured',
  error: 'team sync is not configured: set AGENT_MONITOR_TEAM_VIEW_URL (a role in agent_monitor_reader) or AGENT_MONITOR_TEAM_DB_URL (read with read-only transactions)',
};

/**
 * Answers one team route with a reader (or null when not configured). Exported for the route
 * tests, which run it against a real PostgreSQL; the HTTP side is `teamRoute`.
 */
export async function answerTeam(db: TeamReader | null, url: URL): Promise<TeamAnswer> {
  const p = url.pathname;
  const q = url.searchParams;
  if (p === '/api/team/status') return { status: 200, body: await teamStatus(db) };
  if (!db) return { status: 503, body: NOT_CONFIGURED };
  try {
    if (p === '/api/team/machines') return { status: 200, body: { machines: await teamMachines(db) } };
    if (p === '/api/team/sessions') {
      return { status: 200, body: await teamSessions(db, teamFilterOf(url), decodeTeamCursor(q.get('cursor'), 2), limitOf(q.get('limit'), 50, TEAM_SESSION_PAGE_MAX)) };
    }
    if (p === '/api/team/totals') {
      const by = (q.get('by') ?? 'machine') as TeamTotalsBy;
      if (!TEAM_TOTALS_BY.includes(by)) throw new TeamBadRequest(`by must be one of ${TEAM_TOTALS_BY.join(', ')}`);
      return { status: 200, body: await teamTotals(db, by, teamFilterOf(url)) };
    }
    if (p === '/api/team/daily') {
      const days = Number(q.get('days') ?? 30);
      return { status: 200, body: await teamDaily(db, Number.isFinite(days) && days > 0 ? days : 30, teamFilterOf(url)) };
    }
    if (p === '/api/team/search') {
      return { status: 200, body: await teamSearch(db, q.get('q') ?? '', decodeTeamCursor(q.get('before'), 3, 'before'), limitOf(q.get('limit'), 50, TEAM_SEARCH_MAX)) };
    }
    const m = /^\/api\/team\/sessions\/([^/]+)\/timeline$/.exec(p);
    if (m) {
      let id: string;
      try {
        id = decodeURIComponent(m[1]!);
      } catch {
        throw new TeamBadRequest('the session id in the URL is not valid percent-encoding');
      }
      const page = await teamTimeline(db, id, decodeTeamCursor(q.get('before'), 2, 'before'), limitOf(q.get('limit'), 200, TEAM_TIMELINE_PAGE_MAX));
      return page ? { status: 200, body: page } : { status: 404, body: { error: 'no such session in the team database' } };
    }
    return { status: 404, body: { error: `no route GET ${p}` } };
  } catch (err) {
    if (err instanceof TeamBadRequest) return { status: 400, body: { error: err.message } };
    const problem = teamDbProblem(err);
    return { status: problem.code === 'team_query_failed' ? 500 : 503, body: problem };
  }
}

async function teamStatus(db: TeamReader | null): Promise<TeamStatus> {
  if (!db) return { configured: false, source: null, reachable: false, code: NOT_CONFIGURED.code, error: NOT_CONFIGURED.error, machines: null, textShared: null };
  try {
    const rows = await db.query<{ machines: number }>('SELECT COUNT(*)::float8 AS machines FROM am_machines');
    return { configured: true, source: db.source, reachable: true, code: null, error: null, machines: num(rows[0]?.machines), textShared: await teamTextShared(db) };
  } catch (err) {
    const problem = teamDbProblem(err);
    return { configured: true, source: db.source, reachable: problem.code !== 'team_unreachable', code: problem.code, error: problem.error, machines: null, textShared: null };
  }
}

// The sidecar's reader, opened on the first team request from the environment.
let shared: { url: string; reader: TeamReader } | null = null;

function sharedReader(): TeamReader | null {
  const config = teamViewConfig();
  if (!config) return null;
  if (shared?.url !== config.url) {
    void shared?.reader.close().catch(() => {});
    shared = { url: config.url, reader: openTeamReader(config) };
    console.log(`[agent-monitor-host] team view: reading the team database through ${config.source === 'view-url' ? 'AGENT_MONITOR_TEAM_VIEW_URL' : 'AGENT_MONITOR_TEAM_DB_URL with read-only transactions'}`);
  }
  return shared.reader;
}

/** Closes the sidecar's team pool (on shutdown). */
export async function closeTeamReader(): Promise<void> {
  const s = shared;
  shared = null;
  await s?.reader.close();
}

type Json = (res: ServerResponse, status: number, body: unknown) => void;

/** Answers GET /api/team/*; returns false for any other path. Never blocks: the answer is sent when the database replies. */
export function teamRoute(req: IncomingMessage, res: ServerResponse, url: URL, json: Json): boolean {
  if (!url.pathname.startsWith('/api/team/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    json(res, 405, { error: 'the team view is read-only: GET only' });
    return true;
  }
  answerTeam(sharedReader(), url).then(
    (a) => json(res, a.status, a.body),
    (err: Error) => json(res, 500, { error: err.message }),
  );
  return true;
}
