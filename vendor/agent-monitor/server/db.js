'use strict';

// SQLite storage for sessions and hook events.

const path = require('path');
const fs = require('fs');
const Database = require('better-sqlite3');

const DB_PATH = process.env.AGENT_MONITOR_DB || path.join(__dirname, '..', 'data', 'monitor.db');

fs.mkdirSync(path.dirname(DB_PATH), { recursive: true });

const db = new Database(DB_PATH);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');

const SCHEMA_VERSION = 3;

function migrate() {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (
      key TEXT PRIMARY KEY,
      value TEXT
    );
    CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      name TEXT,
      status TEXT NOT NULL DEFAULT 'active',
      cwd TEXT,
      model TEXT,
      transcript_path TEXT,
      started_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      ended_at TEXT,
      input_tokens INTEGER NOT NULL DEFAULT 0,
      output_tokens INTEGER NOT NULL DEFAULT 0,
      cache_read_tokens INTEGER NOT NULL DEFAULT 0,
      cache_write_tokens INTEGER NOT NULL DEFAULT 0,
      event_count INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      session_id TEXT NOT NULL,
      hook_type TEXT NOT NULL,
      tool_name TEXT,
      summary TEXT,
      data TEXT,
      created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS idx_events_session ON events(session_id, created_at);
    CREATE INDEX IF NOT EXISTS idx_sessions_updated ON sessions(updated_at);
  `);

  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version');
  const current = row ? Number(row.value) : 0;
  if (current < 2) {
    // v2 added cache token columns; databases created by 1.2.x lack them.
    const cols = db.prepare('PRAGMA table_info(sessions)').all().map((c) => c.name);
    if (!cols.includes('cache_read_tokens')) {
      db.exec('ALTER TABLE sessions ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0');
    }
    if (!cols.includes('cache_write_tokens')) {
      db.exec('ALTER TABLE sessions ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0');
    }
  }
  if (current < 3) {
    const cols = db.prepare('PRAGMA table_info(sessions)').all().map((c) => c.name);
    if (!cols.includes('event_count')) {
      db.exec('ALTER TABLE sessions ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0');
      db.exec('UPDATE sessions SET event_count = (SELECT COUNT(*) FROM events WHERE events.session_id = sessions.id)');
    }
  }
  db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
}

migrate();

const stmts = {
  getSession: db.prepare('SELECT * FROM sessions WHERE id = ?'),
  insertSession: db.prepare(`
    INSERT OR IGNORE INTO sessions (id, name, status, cwd, model, transcript_path, started_at, updated_at)
    VALUES (@id, @name, 'active', @cwd, @model, @transcript_path, @now, @now)
  `),
  touchSession: db.prepare(`
    UPDATE sessions
       SET updated_at = @now,
           event_count = event_count + 1,
           cwd = COALESCE(cwd, @cwd),
           transcript_path = COALESCE(@transcript_path, transcript_path)
     WHERE id = @id
  `),
  setSessionStatus: db.prepare('UPDATE sessions SET status = @status, ended_at = @ended_at WHERE id = @id'),
  setSessionModel: db.prepare('UPDATE sessions SET model = @model WHERE id = @id AND (model IS NULL OR model <> @model)'),
  setSessionUsage: db.prepare(`
    UPDATE sessions
       SET input_tokens = @input_tokens,
           output_tokens = @output_tokens,
           cache_read_tokens = @cache_read_tokens,
           cache_write_tokens = @cache_write_tokens
     WHERE id = @id
  `),
  insertEvent: db.prepare(`
    INSERT INTO events (session_id, hook_type, tool_name, summary, data, created_at)
    VALUES (@session_id, @hook_type, @tool_name, @summary, @data, @created_at)
  `),
  listSessions: db.prepare('SELECT * FROM sessions ORDER BY updated_at DESC LIMIT @limit'),
  listEvents: db.prepare(`
    SELECT * FROM events
     WHERE session_id = @session_id AND id > @after
     ORDER BY created_at ASC, id ASC
     LIMIT @limit
  `),
  countSessions: db.prepare('SELECT COUNT(*) AS n FROM sessions'),
  countEvents: db.prepare('SELECT COUNT(*) AS n FROM events'),
};

module.exports = { db, stmts, DB_PATH };
