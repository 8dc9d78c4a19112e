/**
 * The upstream schema exactly as docs/contracts.md "Upstream schema" states it (before our
 * patches), for tests and benchmarks that import into a database without starting the server.
 */
import Database from 'better-sqlite3';
import { migrateHostSchema } from '../../src/sidecar/index.js';

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

/** A database as the patched server opens it: WAL, the upstream tables, then our migration. */
export function openUpstreamDb(dbPath: string): Database.Database {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  createUpstreamSchema(db);
  migrateHostSchema(db);
  return db;
}
