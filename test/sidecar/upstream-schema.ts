/** The upstream schema exactly as docs/contracts.md "Upstream schema" states it (before our patches). */
import type Database from 'better-sqlite3';

export function createUpstreamSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY, name TEXT, status TEXT NOT NULL DEFAULT 'active',
      cwd TEXT, model TEXT, transcript_path TEXT, started_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      ended_at TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
      cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
      event_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, hook_type TEXT NOT NULL,
      tool_name TEXT, summary TEXT, data TEXT, created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS idx_events_session ON events(session_id, created_at);
  `);
}
