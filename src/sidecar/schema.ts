/**
 * Host additions to the upstream SQLite schema (docs/contracts.md "Stored events"). Idempotent:
 * safe on a fresh upstream DB, on one that already holds rows (they get the column defaults), and
 * on one migrated before.
 */
import type Database from 'better-sqlite3';
import type { EventSource } from '../shared/events.js';
import { migrateUsageSchema } from './usage-schema.js';
import { migrateDashboardSchema } from './dashboard-schema.js';
import { migrateOutboxSchema } from './team/outbox.js';

export const HOST_SCHEMA_VERSION = 2;

function columns(db: Database.Database, table: string): Set<string> {
  const rows = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  return new Set(rows.map((r) => r.name));
}

export function migrateHostSchema(db: Database.Database): void {
  db.transaction(() => {
    const sessionCols = columns(db, 'sessions');
    const eventCols = columns(db, 'events');
    if (sessionCols.size === 0 || eventCols.size === 0) {
      throw new Error('[host-schema] the upstream tables `sessions` and `events` do not exist yet; open the upstream DB first');
    }
    if (!sessionCols.has('harness')) db.exec(`ALTER TABLE sessions ADD COLUMN harness TEXT NOT NULL DEFAULT 'claude'`);
    // A thread-spawned Codex subagent's parent thread (docs/contracts.md "Codex sessions and subagents").
    if (!sessionCols.has('parent_session_id')) db.exec('ALTER TABLE sessions ADD COLUMN parent_session_id TEXT');
    if (!eventCols.has('source')) db.exec(`ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'hook'`);
    if (!eventCols.has('seen_by')) db.exec(`ALTER TABLE events ADD COLUMN seen_by TEXT NOT NULL DEFAULT 'hook'`);
    if (!eventCols.has('dedup_key')) db.exec('ALTER TABLE events ADD COLUMN dedup_key TEXT');
    db.exec(`
      CREATE UNIQUE INDEX IF NOT EXISTS idx_events_dedup ON events(session_id, dedup_key);
      -- A session's sources (src/sidecar/host/session-sql.ts) are two index seeks, not a scan
      -- of all its events, on every live update.
      CREATE INDEX IF NOT EXISTS idx_events_seen ON events(session_id, seen_by);
      -- A page of the session list fetches the subagents of its sessions (dashboard-routes.ts).
      CREATE INDEX IF NOT EXISTS idx_sessions_parent ON sessions(parent_session_id);
      CREATE TABLE IF NOT EXISTS codex_rollout_files (
        path TEXT PRIMARY KEY,
        dev TEXT,
        ino TEXT,
        size INTEGER NOT NULL DEFAULT 0,       -- file size when last read (sweep compares stat to this)
        mtime_ms REAL NOT NULL DEFAULT 0,
        offset INTEGER NOT NULL DEFAULT 0,     -- byte offset after the last consumed complete line
        line_no INTEGER NOT NULL DEFAULT 0,    -- number of lines consumed (for file:line in logs)
        head_hash TEXT,                        -- sha256 of the first head_len bytes (replacement check)
        head_len INTEGER NOT NULL DEFAULT 0,
        session_id TEXT,
        parser_state TEXT,
        malformed_count INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS host_meta (key TEXT PRIMARY KEY, value TEXT);
    `);
    migrateUsageSchema(db);
    migrateDashboardSchema(db);
    // Cursors of team sync and export (src/sidecar/team/outbox.ts).
    migrateOutboxSchema(db);
    // v2: the hash of the bytes just before the cursor, to notice a file rewritten in place (both
    // importers' cursor tables: src/sidecar/tail-import.ts). Added by column, so no version bump.
    for (const table of ['codex_rollout_files', 'claude_transcript_files']) {
      const cursorCols = columns(db, table);
      if (!cursorCols.has('tail_hash')) db.exec(`ALTER TABLE ${table} ADD COLUMN tail_hash TEXT`);
      if (!cursorCols.has('tail_len')) db.exec(`ALTER TABLE ${table} ADD COLUMN tail_len INTEGER NOT NULL DEFAULT 0`);
    }
    // The history import's first-phase cursors (src/sidecar/tail-import.ts, ImportPhase): same columns.
    for (const table of ['codex_rollout_summaries', 'claude_transcript_summaries']) {
      db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
        path TEXT PRIMARY KEY, dev TEXT, ino TEXT, size INTEGER NOT NULL DEFAULT 0, mtime_ms REAL NOT NULL DEFAULT 0,
        offset INTEGER NOT NULL DEFAULT 0, line_no INTEGER NOT NULL DEFAULT 0, head_hash TEXT, head_len INTEGER NOT NULL DEFAULT 0,
        tail_hash TEXT, tail_len INTEGER NOT NULL DEFAULT 0, session_id TEXT, parser_state TEXT,
        malformed_count INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS idx_${table}_session ON ${table}(session_id)`);
    }
    // Written only when it changes: a start must not need a write (it may be on a full disk).
    const current = db.prepare("SELECT value FROM host_meta WHERE key = 'host_schema_version'").get() as { value: string } | undefined;
    if (current?.value !== String(HOST_SCHEMA_VERSION)) {
      db.prepare('INSERT OR REPLACE INTO host_meta (key, value) VALUES (?, ?)').run('host_schema_version', String(HOST_SCHEMA_VERSION));
    }
  })();
}

const markSeenStmts = new WeakMap<Database.Database, Database.Statement>();

/**
 * Record that `source` also saw the event stored under (sessionId, dedupKey). Idempotent; a no-op
 * when there is no such row or the source is already listed.
 */
export function markSeen(db: Database.Database, sessionId: string, dedupKey: string, source: EventSource): void {
  let stmt = markSeenStmts.get(db);
  if (!stmt) {
    // Two sources only: a row seen by the other one becomes 'hook,rollout'.
    stmt = db.prepare(`UPDATE events SET seen_by = 'hook,rollout'
                        WHERE session_id = ? AND dedup_key = ? AND seen_by <> 'hook,rollout' AND seen_by <> ?`);
    markSeenStmts.set(db, stmt);
  }
  stmt.run(sessionId, dedupKey, source);
}
