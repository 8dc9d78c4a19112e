/**
 * The local side of team sync and export (docs/contracts.md "Team sync: the local outbox"):
 *
 *  - `team_outbox(stream, cursor)`: one row per stream; a stream's cursor moves ONLY after its rows
 *    were committed on the other side. At-least-once from here, exactly once with the server's
 *    ON CONFLICT. Created by migrateHostSchema (the OTLP exporter keeps its own streams here too).
 *  - The change feeds a rowid cannot give, created only when a pusher starts
 *    (`ensureTeamChangeFeeds`), so a sidecar that never syncs pays nothing for them:
 *      `team_session_rev(session_id, rev)`: sessions are updated in place; triggers on `sessions`
 *        give every inserted or updated session the next rev (one row per session).
 *      `team_usage_log(seq, usage_key)`: usage_records is WITHOUT ROWID; a trigger appends each new
 *        key. INSERT OR IGNORE that hit an existing key fires nothing.
 *    Events need no feed: `events.id` is AUTOINCREMENT and SQLite has one writer at a time, so ids
 *    become visible in increasing order and `id > cursor` never skips a row.
 */
import type Database from 'better-sqlite3';

export function migrateOutboxSchema(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS team_outbox (stream TEXT PRIMARY KEY, cursor INTEGER NOT NULL DEFAULT 0)');
}

/** Creates the feeds and their triggers, and enters rows that existed before them. Idempotent. */
export function ensureTeamChangeFeeds(db: Database.Database): void {
  db.transaction(() => {
    migrateOutboxSchema(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS team_session_rev (session_id TEXT PRIMARY KEY, rev INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS idx_team_session_rev ON team_session_rev(rev);
      CREATE TABLE IF NOT EXISTS team_usage_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, usage_key TEXT NOT NULL);
      CREATE TRIGGER IF NOT EXISTS team_session_insert AFTER INSERT ON sessions BEGIN
        INSERT INTO team_session_rev (session_id, rev) VALUES (NEW.id, (SELECT COALESCE(MAX(rev), 0) + 1 FROM team_session_rev))
          ON CONFLICT(session_id) DO UPDATE SET rev = excluded.rev;
      END;
      CREATE TRIGGER IF NOT EXISTS team_session_update AFTER UPDATE ON sessions BEGIN
        INSERT INTO team_session_rev (session_id, rev) VALUES (NEW.id, (SELECT COALESCE(MAX(rev), 0) + 1 FROM team_session_rev))
          ON CONFLICT(session_id) DO UPDATE SET rev = excluded.rev;
      END;
      CREATE TRIGGER IF NOT EXISTS team_usage_insert AFTER INSERT ON usage_records BEGIN
        INSERT INTO team_usage_log (usage_key) VALUES (NEW.usage_key);
      END;
    `);
    // Sessions and usage rows from before the feeds existed (or from a sidecar that never synced).
    db.exec(`
      INSERT INTO team_session_rev (session_id, rev)
        SELECT s.id, (SELECT COALESCE(MAX(rev), 0) FROM team_session_rev) + ROW_NUMBER() OVER (ORDER BY s.rowid)
          FROM sessions s WHERE NOT EXISTS (SELECT 1 FROM team_session_rev r WHERE r.session_id = s.id);
    `);
    const seeded = db.prepare("SELECT cursor FROM team_outbox WHERE stream = 'team_usage_seeded'").get() as { cursor: number } | undefined;
    if (!seeded) {
      db.exec('INSERT INTO team_usage_log (usage_key) SELECT usage_key FROM usage_records ORDER BY at, usage_key');
      db.exec("INSERT INTO team_outbox (stream, cursor) VALUES ('team_usage_seeded', 1)");
    }
  })();
}

export function readCursor(db: Database.Database, stream: string): number {
  const row = db.prepare('SELECT cursor FROM team_outbox WHERE stream = ?').get(stream) as { cursor: number } | undefined;
  return row?.cursor ?? 0;
}

/** Moves a cursor forward (never back: a late write of an older position is ignored). */
export function advanceCursor(db: Database.Database, stream: string, cursor: number): void {
  db.prepare(`INSERT INTO team_outbox (stream, cursor) VALUES (?, ?)
              ON CONFLICT(stream) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)`).run(stream, cursor);
}
