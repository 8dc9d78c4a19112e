/**
 * The durable side of the OTLP export: where it has got to, in the local SQLite, so a collector
 * that is down (or a sidecar that restarts) loses nothing and repeats at most the batch that was
 * in flight (docs/contracts.md "OpenTelemetry export").
 *
 * - `team_outbox(stream, cursor)`: one row per export stream, shared with the team sync (same
 *   DDL, created idempotently by whichever runs first). The OTLP streams are `otlp_logs` (cursor =
 *   the last exported `events.id`) and `otlp_spans` (cursor = the last exported
 *   `otlp_span_queue.seq`). A cursor moves only after the exporter reported success.
 * - `otlp_span_queue(seq, kind, ref)`: spans come from two tables, tool results in `events` and
 *   model calls in `usage_records` (WITHOUT ROWID, so it has no insertion order of its own). Two
 *   triggers append a row per new tool result / usage record in the writer's own transaction, so
 *   `seq` is commit order across every connection (the HTTP thread and the rollout worker), and a
 *   cursor over it never skips a row that commits late. The triggers exist only while the export
 *   is on; `ensureSpanQueue` backfills whatever was stored while they did not.
 */
import type Database from 'better-sqlite3';

export const OTLP_LOGS_STREAM = 'otlp_logs';
export const OTLP_SPANS_STREAM = 'otlp_spans';

/** The hook types that end a tool call, each one `execute_tool` span. */
export const TOOL_RESULT_HOOKS = ['PostToolUse', 'PostToolUseFailure'] as const;
const TOOL_RESULT_SQL = TOOL_RESULT_HOOKS.map((h) => `'${h}'`).join(', ');

/** The shared outbox table (same DDL as the team sync's; whichever starts first creates it). */
export function ensureOutbox(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS team_outbox (stream TEXT PRIMARY KEY, cursor INTEGER NOT NULL DEFAULT 0)');
}

export function readCursor(db: Database.Database, stream: string): number {
  const row = db.prepare('SELECT cursor FROM team_outbox WHERE stream = ?').get(stream) as { cursor: number | null } | undefined;
  return typeof row?.cursor === 'number' ? row.cursor : 0;
}

export function writeCursor(db: Database.Database, stream: string, cursor: number): void {
  db.prepare('INSERT INTO team_outbox (stream, cursor) VALUES (?, ?) ON CONFLICT(stream) DO UPDATE SET cursor = excluded.cursor').run(stream, cursor);
}

/** Creates the span queue and its triggers, and queues what was stored while they were absent. */
export function ensureSpanQueue(db: Database.Database): { backfilled: number } {
  return db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS otlp_span_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,                   -- 'tool': ref = events.id; 'usage': ref = usage_records.usage_key
        ref TEXT NOT NULL,
        UNIQUE (kind, ref)
      );
      CREATE TRIGGER IF NOT EXISTS otlp_span_queue_tool AFTER INSERT ON events
        WHEN NEW.hook_type IN (${TOOL_RESULT_SQL})
        BEGIN INSERT OR IGNORE INTO otlp_span_queue (kind, ref) VALUES ('tool', CAST(NEW.id AS TEXT)); END;
      CREATE TRIGGER IF NOT EXISTS otlp_span_queue_usage AFTER INSERT ON usage_records
        BEGIN INSERT OR IGNORE INTO otlp_span_queue (kind, ref) VALUES ('usage', NEW.usage_key); END;
    `);
    // events.id only grows, so tool results after the highest queued one are the gap.
    const lastTool = db.prepare(`SELECT COALESCE(MAX(CAST(ref AS INTEGER)), 0) AS id FROM otlp_span_queue WHERE kind = 'tool'`).get() as { id: number };
    const tools = db
      .prepare(`INSERT OR IGNORE INTO otlp_span_queue (kind, ref)
                SELECT 'tool', CAST(id AS TEXT) FROM events WHERE id > ? AND hook_type IN (${TOOL_RESULT_SQL}) ORDER BY id`)
      .run(lastTool.id).changes;
    const usage = db
      .prepare(`INSERT OR IGNORE INTO otlp_span_queue (kind, ref)
                SELECT 'usage', u.usage_key FROM usage_records u
                 WHERE NOT EXISTS (SELECT 1 FROM otlp_span_queue q WHERE q.kind = 'usage' AND q.ref = u.usage_key)
                 ORDER BY u.at, u.usage_key`)
      .run().changes;
    return { backfilled: tools + usage };
  })();
}

/** With the export off, the triggers go (no cost on every insert); the queue and cursors stay. */
export function dropSpanQueueTriggers(db: Database.Database): void {
  db.exec('DROP TRIGGER IF EXISTS otlp_span_queue_tool; DROP TRIGGER IF EXISTS otlp_span_queue_usage;');
}
