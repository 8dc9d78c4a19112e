/**
 * Tables and indexes behind the dashboard (docs/contracts.md "Attention", "Search", "Paging"):
 *
 *  - `attention_requests`: one row per request an agent is waiting on the user for (approval,
 *    question, input); open while `cleared_at` is NULL. src/sidecar/attention.ts writes it.
 *  - `sessions.needs_you`: the session's open requests as one JSON value (NULL when none), so
 *    every session row — list pages and live `session_updated` frames — carries it.
 *  - `events_fts`: an FTS5 index over the searchable text of every event. Rows the hook route
 *    inserts are indexed by a trigger (an INSERT OR IGNORE that hit a duplicate fires nothing: no
 *    double index entry); rows the importers insert (source 'rollout') are indexed after the
 *    import by the worker, in steps behind a mark (src/sidecar/search-index.ts).
 *  - indexes for cursor paging of the session list and the timeline.
 *
 * Idempotent; called at the end of migrateHostSchema (src/sidecar/schema.ts).
 */
import type Database from 'better-sqlite3';

/** host_meta key of the deferred index's mark (src/sidecar/search-index.ts). */
export const FTS_MARK_KEY = 'fts_indexed_id';

/** Characters of one field indexed for search (a huge tool output is searchable by its head). */
export const FTS_FIELD_CHARS = 20_000;

/** The searchable text of an events row, as SQL over the row alias `r` (NEW in a trigger). */
export function searchTextSql(r: string): string {
  const j = (path: string): string => `substr(json_extract(${r}.data, '${path}'), 1, ${FTS_FIELD_CHARS})`;
  // tool_response is a string (Codex) or an object (Claude: stdout/stderr, file content, …).
  const response = `CASE json_type(${r}.data, '$.tool_response')
      WHEN 'text' THEN ${j('$.tool_response')}
      ELSE concat_ws(' ', ${j('$.tool_response.stdout')}, ${j('$.tool_response.stderr')}, ${j('$.tool_response.output')},
                     ${j('$.tool_response.error')}, ${j('$.tool_response.file.content')})
    END`;
  // The summary repeats the fields below; it is the fallback when they are all missing.
  return `CASE WHEN json_valid(${r}.data) THEN coalesce(nullif(concat_ws(' ',
      ${j('$.prompt')}, ${j('$.tool_input.command')}, ${j('$.tool_input.file_path')}, ${j('$.tool_input.path')},
      ${j('$.tool_input.pattern')}, ${j('$.tool_input.url')}, ${j('$.tool_input.query')}, ${response},
      ${j('$.last_assistant_message')}, ${j('$.message')}, ${j('$.error')}, ${j('$.reason')}), ''), ${r}.summary)
    ELSE ${r}.summary END`;
}

function hasColumn(db: Database.Database, table: string, column: string): boolean {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).some((c) => c.name === column);
}

export function migrateDashboardSchema(db: Database.Database): void {
  if (!hasColumn(db, 'sessions', 'needs_you')) db.exec('ALTER TABLE sessions ADD COLUMN needs_you TEXT');
  db.exec(`
    CREATE TABLE IF NOT EXISTS attention_requests (
      id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the request's key (one desktop notification per key)
      session_id TEXT NOT NULL,
      kind TEXT NOT NULL,                    -- 'approval' | 'question' | 'input'
      tool_name TEXT,
      call_id TEXT,                          -- the tool call it is about, when known
      turn_id TEXT,
      detail TEXT NOT NULL,                  -- what is pending: the command, path or message
      source_hook TEXT NOT NULL,             -- the hook that opened it
      created_at TEXT NOT NULL,
      cleared_at TEXT,
      cleared_by TEXT                        -- the hook that proved the session moved on
    );
    CREATE INDEX IF NOT EXISTS idx_attention_open ON attention_requests(session_id) WHERE cleared_at IS NULL;
    CREATE INDEX IF NOT EXISTS idx_sessions_needs_you ON sessions(updated_at) WHERE needs_you IS NOT NULL;
    -- Cursor paging of the session list: (updated_at, id) descending.
    CREATE INDEX IF NOT EXISTS idx_sessions_page ON sessions(updated_at, id);
  `);

  const hadFts = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events_fts'").get() !== undefined;
  // Until the mark exists, every row was indexed as it was inserted (the old unconditional
  // trigger) or is indexed just below: the mark starts at the newest row.
  const hadMark = db.prepare(`SELECT 1 FROM host_meta WHERE key = '${FTS_MARK_KEY}'`).get() !== undefined;
  if (!hadFts) {
    db.exec(`CREATE VIRTUAL TABLE events_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')`);
    // Rows stored before this migration.
    db.exec(`INSERT INTO events_fts(rowid, body) SELECT e.id, ${searchTextSql('e')} FROM events e`);
  }
  if (!hadMark) {
    db.exec('DROP TRIGGER IF EXISTS events_fts_insert');
    db.prepare(`INSERT INTO host_meta (key, value) VALUES ('${FTS_MARK_KEY}', (SELECT COALESCE(MAX(id), 0) FROM events))`).run();
  }
  // Hook rows are indexed as they arrive; importer rows by the worker's indexer (src/sidecar/search-index.ts).
  db.exec(`
    CREATE TRIGGER IF NOT EXISTS events_fts_insert_hook AFTER INSERT ON events WHEN NEW.source = 'hook' BEGIN
      INSERT INTO events_fts(rowid, body) VALUES (NEW.id, ${searchTextSql('NEW')});
    END;
    CREATE TRIGGER IF NOT EXISTS events_fts_delete AFTER DELETE ON events BEGIN
      DELETE FROM events_fts WHERE rowid = OLD.id;
    END;
  `);
}
