/**
 * Usage records shared by both importers (Codex rollouts, Claude transcripts) and the one place
 * that stores them. docs/contracts.md "Token accounting" fixes the keys.
 */
import type Database from 'better-sqlite3';

export interface UsageRecord {
  kind: 'usage';
  /** Globally unique: `claude:<message.id>:<requestId>` or `codex:<thread>:<cumulative totals>`. */
  key: string;
  /** The session that spent the tokens (a Claude subagent's own session id for a sidechain file). */
  sessionId: string;
  harness: 'claude' | 'codex';
  model: string | null;
  turnId: string | null;
  at: string;
  /** Input not read from cache. */
  input: number;
  /** Output, including reasoning (billed as output). */
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
  /** Tokens in this request's context (gauge), when known. */
  contextTokens: number | null;
  sourceFile: string;
}

/** A stored `usage_records` row, as the exporters (team sync, OTLP) read it back. */
export interface UsageRecordRow {
  usage_key: string;
  session_id: string;
  harness: string;
  model: string | null;
  turn_id: string | null;
  at: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
}

export interface UsageStateRecord {
  kind: 'usage-state';
  sessionId: string;
  model: string | null;
  contextTokens: number | null;
  contextWindow: number | null;
  /** Latest Codex rate_limits that carry at least one window; null leaves the stored one. */
  rateLimits: unknown;
  at: string;
}

interface UsageStmts {
  insert: Database.Statement;
  state: Database.Statement;
}

const cache = new WeakMap<Database.Database, UsageStmts>();

function stmts(db: Database.Database): UsageStmts {
  let s = cache.get(db);
  if (!s) {
    s = {
      insert: db.prepare(`INSERT OR IGNORE INTO usage_records
        (usage_key, session_id, harness, model, turn_id, at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, context_tokens, source_file)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // Only a newer reading replaces an older one (a re-import of old lines never rolls a gauge back).
      state: db.prepare(`INSERT INTO usage_session_state (session_id, model, context_tokens, context_window, rate_limits, at)
        VALUES (@sessionId, @model, @contextTokens, @contextWindow, @rateLimits, @at)
        ON CONFLICT(session_id) DO UPDATE SET
          model = COALESCE(excluded.model, model),
          context_tokens = COALESCE(excluded.context_tokens, context_tokens),
          context_window = COALESCE(excluded.context_window, context_window),
          rate_limits = COALESCE(excluded.rate_limits, rate_limits),
          at = excluded.at
        WHERE excluded.at >= COALESCE(usage_session_state.at, '')`),
    };
    cache.set(db, s);
  }
  return s;
}

/** INSERT OR IGNORE by key. Returns true when the row is new (its tokens were not counted before). */
export function storeUsage(db: Database.Database, rec: UsageRecord): boolean {
  // Positional: the importers store a row per model response, and binding by name costs more.
  return stmts(db).insert.run(rec.key, rec.sessionId, rec.harness, rec.model, rec.turnId, rec.at, rec.input, rec.output, rec.cacheRead, rec.cacheWrite, rec.reasoning, rec.contextTokens, rec.sourceFile).changes > 0;
}

export function storeUsageState(db: Database.Database, rec: UsageStateRecord): void {
  stmts(db).state.run({
    sessionId: rec.sessionId,
    model: rec.model,
    contextTokens: rec.contextTokens,
    contextWindow: rec.contextWindow,
    rateLimits: rec.rateLimits === null || rec.rateLimits === undefined ? null : JSON.stringify(rec.rateLimits),
    at: rec.at,
  });
}
