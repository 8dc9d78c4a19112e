/**
 * Read side of token accounting: per session (own + subagent roll-up), per model, per turn, per
 * day, tool statistics, gauges. Costs are priced per model with the current price table; a model
 * without a price contributes tokens but no cost, and the result says so (`unpricedTokens`).
 */
import type Database from 'better-sqlite3';
import { costOf, loadPricing, PRICE_LABEL, ratesFor, type PriceTable, type TokenCounts } from '../pricing/pricing.js';

export interface Tokens extends TokenCounts {
  reasoning: number;
  total: number;
}

export interface Money {
  /** USD of the priced part; null when no token of it has a price. */
  cost: number | null;
  /** Tokens of models without a price (not in `cost`). */
  unpricedTokens: number;
}

export interface ModelUsage extends Money {
  model: string | null;
  tokens: Tokens;
  messages: number;
}

export interface SessionUsage {
  id: string;
  parentId: string | null;
  harness: string;
  name: string | null;
  cwd: string | null;
  model: string | null;
  status: string | null;
  startedAt: string | null;
  own: Money & { tokens: Tokens; models: ModelUsage[] };
  /** Own plus every descendant's. */
  total: Money & { tokens: Tokens };
  children: string[];
}

const zero = (): Tokens => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, total: 0 });

function add(a: Tokens, b: Tokens): void {
  a.input += b.input;
  a.output += b.output;
  a.cacheRead += b.cacheRead;
  a.cacheWrite += b.cacheWrite;
  a.reasoning += b.reasoning;
  a.total += b.total;
}

function addMoney(a: Money, b: Money): void {
  a.cost = a.cost === null ? b.cost : b.cost === null ? a.cost : a.cost + b.cost;
  a.unpricedTokens += b.unpricedTokens;
}

/** Token sums as the queries name them (input, output, cache read, cache write, reasoning, rows). */
export interface SumRow {
  i: number;
  o: number;
  cr: number;
  cw: number;
  r: number;
  n: number;
}

function tokensOf(r: SumRow): Tokens {
  return { input: r.i, output: r.o, cacheRead: r.cr, cacheWrite: r.cw, reasoning: r.r, total: r.i + r.o + r.cr + r.cw };
}

function price(table: PriceTable, model: string | null, t: Tokens): Money {
  const cost = costOf(t, ratesFor(table, model));
  return cost === null ? { cost: null, unpricedTokens: t.total } : { cost, unpricedTokens: 0 };
}

const SUMS = `SUM(input_tokens) AS i, SUM(output_tokens) AS o, SUM(cache_read_tokens) AS cr, SUM(cache_write_tokens) AS cw, SUM(reasoning_tokens) AS r, COUNT(*) AS n`;

/** One session's own tokens and cost (no subagents), and how many usage records it has. */
export interface OwnUsage extends Money {
  tokens: Tokens;
  records: number;
}

export const zeroUsage = (): OwnUsage => ({ tokens: zero(), cost: null, unpricedTokens: 0, records: 0 });

/** Adds `b` into `a` (tokens and money; the record counts too). */
export function addUsage(a: OwnUsage, b: OwnUsage): void {
  add(a.tokens, b.tokens);
  addMoney(a, b);
  a.records += b.records;
}

/**
 * Own usage of the given sessions, priced per model (one grouped query; the ids go in as one
 * JSON array, so a page of any size is one statement). Sessions without records are absent.
 */
export function ownUsageOf(db: Database.Database, ids: readonly string[], table = loadPricing(db)): Map<string, OwnUsage> {
  const out = new Map<string, OwnUsage>();
  if (ids.length === 0) return out;
  const rows = db
    .prepare(`SELECT session_id, model, ${SUMS} FROM usage_records WHERE session_id IN (SELECT value FROM json_each(?)) GROUP BY session_id, model`)
    .all(JSON.stringify(ids)) as Array<SumRow & { session_id: string; model: string | null }>;
  for (const r of rows) {
    let u = out.get(r.session_id);
    if (!u) out.set(r.session_id, (u = zeroUsage()));
    const t = tokensOf(r);
    add(u.tokens, t);
    addMoney(u, price(table, r.model, t));
    u.records += r.n;
  }
  return out;
}

export function sessionsUsage(db: Database.Database, table = loadPricing(db)): { label: string; sessions: SessionUsage[] } {
  const rows = db.prepare(`SELECT session_id, model, ${SUMS} FROM usage_records GROUP BY session_id, model`).all() as Array<SumRow & { session_id: string; model: string | null }>;
  const sessions = db.prepare(`SELECT id, parent_session_id, harness, name, cwd, model, status, started_at FROM sessions ORDER BY updated_at DESC`).all() as Array<{
    id: string; parent_session_id: string | null; harness: string | null; name: string | null; cwd: string | null; model: string | null; status: string | null; started_at: string | null;
  }>;
  const byId = new Map<string, SessionUsage>();
  for (const s of sessions) {
    byId.set(s.id, {
      id: s.id, parentId: s.parent_session_id, harness: s.harness ?? 'claude', name: s.name, cwd: s.cwd, model: s.model, status: s.status, startedAt: s.started_at,
      own: { tokens: zero(), cost: null, unpricedTokens: 0, models: [] },
      total: { tokens: zero(), cost: null, unpricedTokens: 0 },
      children: [],
    });
  }
  for (const r of rows) {
    const s = byId.get(r.session_id);
    if (!s) continue;
    const t = tokensOf(r);
    const m = price(table, r.model, t);
    s.own.models.push({ model: r.model, tokens: t, messages: r.n, ...m });
    add(s.own.tokens, t);
    addMoney(s.own, m);
  }
  for (const s of byId.values()) if (s.parentId && byId.has(s.parentId) && s.parentId !== s.id) byId.get(s.parentId)!.children.push(s.id);
  // Roll-up with a visited set: a cycle in parent ids (bad data) cannot loop.
  const done = new Set<string>();
  const roll = (s: SessionUsage, path: Set<string>): void => {
    if (done.has(s.id)) return;
    add(s.total.tokens, s.own.tokens);
    addMoney(s.total, s.own);
    path.add(s.id);
    for (const cid of s.children) {
      const c = byId.get(cid)!;
      if (path.has(cid)) continue;
      roll(c, path);
      add(s.total.tokens, c.total.tokens);
      addMoney(s.total, c.total);
    }
    path.delete(s.id);
    done.add(s.id);
  };
  for (const s of byId.values()) roll(s, new Set());
  return { label: PRICE_LABEL, sessions: [...byId.values()] };
}

export interface TurnUsage extends Money {
  turnId: string | null;
  at: string;
  models: string[];
  tokens: Tokens;
}

/** GET /api/usage/session: one session's usage, per turn, with its context gauge and sub-agents. */
export interface SessionDetail {
  label: string;
  session: SessionUsage | null;
  turns: TurnUsage[];
  gauge: { model: string | null; contextTokens: number | null; contextWindow: number | null; at: string | null };
  rateLimits: unknown;
  descendants: SessionUsage[];
}

export function sessionDetail(db: Database.Database, id: string, table = loadPricing(db)): SessionDetail {
  const all = sessionsUsage(db, table);
  const byId = new Map(all.sessions.map((s) => [s.id, s]));
  const session = byId.get(id) ?? null;
  const rows = db.prepare(`SELECT turn_id, model, MIN(at) AS at, ${SUMS} FROM usage_records WHERE session_id = ? GROUP BY turn_id, model ORDER BY MIN(at)`).all(id) as Array<SumRow & { turn_id: string | null; model: string | null; at: string }>;
  const turns = new Map<string, TurnUsage>();
  for (const r of rows) {
    const key = r.turn_id ?? `(no turn)`;
    let t = turns.get(key);
    if (!t) {
      t = { turnId: r.turn_id, at: r.at, models: [], tokens: zero(), cost: null, unpricedTokens: 0 };
      turns.set(key, t);
    }
    const tok = tokensOf(r);
    add(t.tokens, tok);
    addMoney(t, price(table, r.model, tok));
    if (r.model && !t.models.includes(r.model)) t.models.push(r.model);
    if (r.at < t.at) t.at = r.at;
  }
  const st = db.prepare('SELECT model, context_tokens, context_window, rate_limits, at FROM usage_session_state WHERE session_id = ?').get(id) as
    | { model: string | null; context_tokens: number | null; context_window: number | null; rate_limits: string | null; at: string | null }
    | undefined;
  const model = st?.model ?? session?.model ?? null;
  // Codex states its window; for Claude it comes from the price table's data.
  const window = st?.context_window ?? ratesFor(table, model)?.contextWindow ?? null;
  let rateLimits: unknown = null;
  if (st?.rate_limits) {
    try {
      rateLimits = JSON.parse(st.rate_limits);
    } catch {
      rateLimits = null;
    }
  }
  const descendants: SessionUsage[] = [];
  const walk = (s: SessionUsage, seen: Set<string>): void => {
    for (const cid of s.children) {
      if (seen.has(cid)) continue;
      seen.add(cid);
      const c = byId.get(cid);
      if (c) {
        descendants.push(c);
        walk(c, seen);
      }
    }
  };
  if (session) walk(session, new Set([session.id]));
  return {
    label: PRICE_LABEL,
    session,
    turns: [...turns.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
    gauge: { model, contextTokens: st?.context_tokens ?? null, contextWindow: window, at: st?.at ?? null },
    rateLimits,
    descendants,
  };
}

export interface DailySeries {
  harness: string;
  model: string | null;
  tokens: number[];
  cost: Array<number | null>;
}

/** Per UTC day for the last `days` days (oldest first), one series per agent + model. */
export function dailyUsage(db: Database.Database, days: number, now = new Date(), table = loadPricing(db)): { label: string; days: string[]; series: DailySeries[] } {
  const n = Math.max(1, Math.min(3660, Math.floor(days)));
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dayList: string[] = [];
  for (let i = n - 1; i >= 0; i--) dayList.push(new Date(end - i * 86_400_000).toISOString().slice(0, 10));
  const index = new Map(dayList.map((d, i) => [d, i]));
  const rows = db.prepare(`SELECT substr(at, 1, 10) AS day, harness, model, ${SUMS} FROM usage_records WHERE at >= ? GROUP BY day, harness, model`).all(dayList[0]!) as Array<
    SumRow & { day: string; harness: string; model: string | null }
  >;
  const series = new Map<string, DailySeries>();
  for (const r of rows) {
    const i = index.get(r.day);
    if (i === undefined) continue;
    const key = `${r.harness}\u0000${r.model ?? ''}`;
    let s = series.get(key);
    if (!s) {
      s = { harness: r.harness, model: r.model, tokens: new Array<number>(n).fill(0), cost: new Array<number | null>(n).fill(null) };
      series.set(key, s);
    }
    const t = tokensOf(r);
    s.tokens[i] = t.total;
    s.cost[i] = costOf(t, ratesFor(table, r.model));
  }
  return { label: PRICE_LABEL, days: dayList, series: [...series.values()].sort((a, b) => (a.harness + (a.model ?? '')).localeCompare(b.harness + (b.model ?? ''))) };
}

export interface ToolStats {
  tool: string;
  calls: number;
  completed: number;
  failures: number;
  failureRate: number;
  totalMs: number;
  avgMs: number | null;
}

/**
 * Tool calls by tool: a call is a `pre:<id>` row; its result is the `post:<id>` row of the same
 * session. Failed: a PostToolUseFailure hook, or a transcript tool_result with is_error.
 */
export function toolStats(db: Database.Database, sessionId: string | null): ToolStats[] {
  const rows = db.prepare(`
    SELECT COALESCE(pre.tool_name, 'unknown') AS tool, COUNT(*) AS calls, COUNT(post.id) AS completed,
           SUM(CASE WHEN post.hook_type = 'PostToolUseFailure' OR json_extract(post.data, '$.is_error') = 1 THEN 1 ELSE 0 END) AS failures,
           COALESCE(SUM(CASE WHEN post.id IS NOT NULL THEN MAX(0, (julianday(post.created_at) - julianday(pre.created_at)) * 86400000.0) END), 0) AS ms
      FROM events pre
      LEFT JOIN events post ON post.session_id = pre.session_id AND post.dedup_key = 'post:' || substr(pre.dedup_key, 5)
     WHERE pre.dedup_key LIKE 'pre:%' AND (@s IS NULL OR pre.session_id = @s)
     GROUP BY tool ORDER BY calls DESC`).all({ s: sessionId }) as Array<{ tool: string; calls: number; completed: number; failures: number; ms: number }>;
  return rows.map((r) => ({
    tool: r.tool, calls: r.calls, completed: r.completed, failures: r.failures,
    failureRate: r.completed > 0 ? r.failures / r.completed : 0,
    totalMs: Math.round(r.ms), avgMs: r.completed > 0 ? Math.round(r.ms / r.completed) : null,
  }));
}
