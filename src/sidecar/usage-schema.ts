/**
 * Token accounting tables (docs/contracts.md "Token accounting"). Registered from
 * migrateHostSchema; idempotent like it.
 *
 * - usage_records: one row per model response — a Claude assistant message (key
 *   `claude:<message.id>:<requestId>`) or a Codex `token_count` step (key
 *   `codex:<thread>:<cumulative totals>`). The key is the PRIMARY KEY and every insert is
 *   INSERT OR IGNORE, so a re-import, a restart or a second file repeating the same message can
 *   never count a token twice. `session_id` is the session that spent the tokens (a subagent's own
 *   session for a Claude sidechain file); roll-ups into the parent are computed, never stored.
 * - usage_session_state: the latest context-window reading and Codex rate-limit windows.
 * - claude_transcript_files: the Claude importer's byte cursors (same shape and rule as
 *   codex_rollout_files: advanced in the same transaction as the rows; src/sidecar/tail-import.ts).
 *   Its tail_hash/tail_len columns are added by migrateHostSchema, as for codex_rollout_files.
 * - pricing_overrides: the user's edits of the shipped price table.
 */
import type Database from 'better-sqlite3';

export function migrateUsageSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS usage_records (
      usage_key TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      harness TEXT NOT NULL,                 -- 'claude' | 'codex'
      model TEXT,                            -- null: not known (priced as "no price")
      turn_id TEXT,                          -- Codex turn id; Claude promptId
      at TEXT NOT NULL,                      -- ISO-8601 UTC of the line
      input_tokens INTEGER NOT NULL DEFAULT 0,        -- input NOT read from cache (Codex: input - cached)
      output_tokens INTEGER NOT NULL DEFAULT 0,       -- Codex: includes reasoning, as OpenAI bills it
      cache_read_tokens INTEGER NOT NULL DEFAULT 0,
      cache_write_tokens INTEGER NOT NULL DEFAULT 0,
      reasoning_tokens INTEGER NOT NULL DEFAULT 0,    -- part of output_tokens, shown separately
      context_tokens INTEGER,                -- tokens in the context of this request (gauge)
      source_file TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS idx_usage_session ON usage_records(session_id, at);
    CREATE INDEX IF NOT EXISTS idx_usage_day ON usage_records(at);
    CREATE TABLE IF NOT EXISTS usage_session_state (
      session_id TEXT PRIMARY KEY,
      model TEXT,
      context_tokens INTEGER,
      context_window INTEGER,               -- Codex model_context_window; null for Claude (from the price table)
      rate_limits TEXT,                     -- JSON of the latest Codex rate_limits with a window
      at TEXT
    );
    CREATE TABLE IF NOT EXISTS claude_transcript_files (
      path TEXT PRIMARY KEY,
      dev TEXT,
      ino TEXT,
      size INTEGER NOT NULL DEFAULT 0,
      mtime_ms REAL NOT NULL DEFAULT 0,
      offset INTEGER NOT NULL DEFAULT 0,
      line_no INTEGER NOT NULL DEFAULT 0,
      head_hash TEXT,
      head_len INTEGER NOT NULL DEFAULT 0,
      session_id TEXT,
      parser_state TEXT,
      malformed_count INTEGER NOT NULL DEFAULT 0,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS pricing_overrides (
      model TEXT PRIMARY KEY,
      rates TEXT NOT NULL,                  -- JSON {input, output, cacheWrite, cacheRead, contextWindow?} per million tokens
      updated_at TEXT NOT NULL
    );
  `);
}
