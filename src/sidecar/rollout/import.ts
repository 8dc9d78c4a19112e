/**
 * Incremental, idempotent import of one Codex rollout file into the upstream DB. The cursor,
 * rewrite detection, batching and malformed-line counting are src/sidecar/tail-import.ts (shared
 * with the Claude importer); this file maps a rollout's lines to rows:
 *
 * - Every insert is INSERT OR IGNORE on UNIQUE(session_id, dedup_key); a hit on a row some hook
 *   stored only adds 'rollout' to its seen_by. Session counters move only for rows really inserted.
 */
import type Database from 'better-sqlite3';
import type { SessionStatus } from '../../shared/events.js';
import { markSeen } from '../schema.js';
import { storeUsage, storeUsageState } from '../usage/records.js';
import { cursorStatements, eventJsonAndSummary, importTail, safeJson, stageRecord, timelineOnly, type Staged as StagedOf, type Cursor as TailCursor, type CursorStatements, type ImportOptions, type ImportPhase, type ImportResult, type TailFormat } from '../tail-import.js';
import { initialParserState, parseRolloutLine, type EventRecord, type ParserState, type RolloutRecord } from './parse.js';

export type { ImportChange, ImportOptions, ImportResult } from '../tail-import.js';

const DEFAULT_BATCH_BYTES = 1024 * 1024;

/**
 * Lines that can never produce a record and are most of a rollout's bytes (model-visible messages,
 * encrypted reasoning, world-state snapshots, per-response usage records): recognised by their
 * envelope in the first bytes and skipped without JSON.parse. Outside JSON strings quotes are never
 * escaped, so these byte sequences can only be the line's own structure. Such a line is not checked
 * for being malformed — it would be ignored anyway.
 */
const INERT_PREFIXES = [
  '"type":"response_item","payload":{"type":"message"',
  '"type":"response_item","payload":{"type":"reasoning"',
  '"type":"world_state"',
  '"type":"token_usage_record"',
].map((p) => Buffer.from(p));
const INERT_WINDOW = 160;

function isInertLine(data: Buffer, start: number, end: number): boolean {
  const head = data.subarray(start, Math.min(end, start + INERT_WINDOW));
  for (const p of INERT_PREFIXES) if (head.indexOf(p) !== -1) return true;
  return false;
}

type Cursor = TailCursor<ParserState>;

interface Stmts {
  cursor: CursorStatements<ParserState>;
  summary: CursorStatements<ParserState>;
  ensureSession: Database.Statement;
  sessionMeta: Database.Statement;
  setModel: Database.Statement;
  setTokens: Database.Statement;
  insertEvent: Database.Statement;
  findPre: Database.Statement<[string, string], { tool_name: string | null; tool_input: string | null }>;
  bumpSession: Database.Statement;
  apply: (path: string, records: Staged[], cursor: Cursor, phase: ImportPhase) => { inserted: number; sessionIds: string[] };
}

const stmtCache = new WeakMap<Database.Database, Stmts>();

function prepare(db: Database.Database): Stmts {
  const cached = stmtCache.get(db);
  if (cached) return cached;
  const s = {
    cursor: cursorStatements<ParserState>(db, 'codex_rollout_files'),
    summary: cursorStatements<ParserState>(db, 'codex_rollout_summaries'),
    ensureSession: db.prepare(`INSERT OR IGNORE INTO sessions (id, status, started_at, updated_at, harness)
                               VALUES (?, 'active', ?, ?, 'codex')`),
    sessionMeta: db.prepare(`
      UPDATE sessions SET harness = 'codex',
             cwd = COALESCE(cwd, @cwd),
             started_at = MIN(started_at, @startedAt),
             transcript_path = @transcriptPath,
             -- The rollout names the immediate parent thread; a hook only knew the root (its session_id).
             parent_session_id = COALESCE(@parent, parent_session_id),
             name = COALESCE(name, @name)
       WHERE id = @id`),
    setModel: db.prepare('UPDATE sessions SET model = ? WHERE id = ? AND (model IS NULL OR model <> ?)'),
    // Cumulative totals from token_count: set, never add.
    setTokens: db.prepare(`UPDATE sessions SET input_tokens = ?, cache_read_tokens = ?, output_tokens = ?,
                                  cache_write_tokens = COALESCE(?, cache_write_tokens) WHERE id = ?`),
    insertEvent: db.prepare(`
      INSERT OR IGNORE INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
      VALUES (?, ?, ?, ?, ?, ?, 'rollout', 'rollout', ?)`),
    findPre: db.prepare<[string, string], { tool_name: string | null; tool_input: string | null }>(
      `SELECT tool_name, json_extract(data, '$.tool_input') AS tool_input FROM events WHERE session_id = ? AND dedup_key = ?`,
    ),
    bumpSession: db.prepare(`
      UPDATE sessions SET event_count = event_count + @n,
             updated_at = MAX(updated_at, @ts),
             status = COALESCE(@status, status)
       WHERE id = @id`),
  } as Omit<Stmts, 'apply'> as Stmts;

  s.apply = db.transaction((path: string, records: Staged[], cursor: Cursor, phase: ImportPhase) => {
    const ensured = new Set<string>();
    const perSession = new Map<string, { n: number; ts: string; status: SessionStatus | null }>();
    const touched = new Set<string>();
    let inserted = 0;
    const ensure = (id: string, ts: string): void => {
      if (ensured.has(id)) return;
      s.ensureSession.run(id, ts, ts);
      ensured.add(id);
    };
    /** An event of the session: its last activity, its status, and `stored` more rows (0 or 1). */
    const noteEvent = (rec: EventRecord, stored: number): void => {
      const agg = perSession.get(rec.sessionId) ?? { n: 0, ts: rec.createdAt, status: null };
      agg.n += stored;
      if (rec.createdAt > agg.ts) agg.ts = rec.createdAt;
      if (rec.status) agg.status = rec.status;
      perSession.set(rec.sessionId, agg);
    };
    for (const staged of records) {
      const rec = staged.rec;
      touched.add(rec.sessionId);
      switch (rec.kind) {
        case 'session':
          ensure(rec.sessionId, rec.startedAt);
          s.sessionMeta.run({ id: rec.sessionId, cwd: rec.cwd, startedAt: rec.startedAt, transcriptPath: rec.transcriptPath, parent: rec.parentSessionId, name: rec.name });
          break;
        case 'model':
          ensure(rec.sessionId, new Date().toISOString());
          s.setModel.run(rec.model, rec.sessionId, rec.model);
          break;
        case 'tokens':
          ensure(rec.sessionId, new Date().toISOString());
          s.setTokens.run(rec.inputTokens, rec.cacheReadTokens, rec.outputTokens, rec.cacheWriteTokens, rec.sessionId);
          break;
        case 'event': {
          ensure(rec.sessionId, rec.createdAt);
          if (phase === 'summary') {
            noteEvent(rec, 0); // not stored yet (the full phase does that)
            break;
          }
          let toolName = rec.toolName;
          let { json, summary } = staged;
          if (json === null || summary === null) {
            if (rec.hookType === 'PostToolUse' && toolName === null && typeof rec.data.tool_use_id === 'string') {
            // The call is older than this parser state remembers: take name/input from its stored Pre row.
              const pre = s.findPre.get(rec.sessionId, `pre:${rec.data.tool_use_id}`);
              if (pre) {
                toolName = pre.tool_name;
                rec.data.tool_name = toolName;
                if (pre.tool_input !== null) rec.data.tool_input = safeJson(pre.tool_input);
              }
            }
            ({ json, summary } = eventJsonAndSummary(rec.hookType, rec.data, staged.previewChars));
          }
          const info = s.insertEvent.run(rec.sessionId, rec.hookType, toolName, summary, json, rec.createdAt, rec.dedupKey);
          if (info.changes > 0) {
            inserted++;
            noteEvent(rec, 1);
          } else {
            markSeen(db, rec.sessionId, rec.dedupKey, 'rollout');
          }
          break;
        }
        case 'usage':
          ensure(rec.sessionId, rec.at);
          storeUsage(db, rec);
          break;
        case 'usage-state':
          storeUsageState(db, rec);
          break;
        default:
          assertNever(rec);
      }
    }
    for (const [id, agg] of perSession) s.bumpSession.run({ id, n: agg.n, ts: agg.ts, status: agg.status });
    (phase === 'summary' ? s.summary : s.cursor).put(path, cursor);
    return { inserted, sessionIds: [...touched] };
  });
  stmtCache.set(db, s);
  return s;
}

type Staged = StagedOf<RolloutRecord>;

function assertNever(x: never): never {
  throw new Error(`[rollout-import] unexpected record ${JSON.stringify(x)}`);
}

const ROLLOUT_FORMAT: TailFormat<ParserState, Staged> = {
  tag: '[rollout]',
  defaultBatchBytes: DEFAULT_BATCH_BYTES,
  initialState: initialParserState,
  restoreState: (stored) => (typeof stored === 'object' && stored !== null && (stored as ParserState).v === 1 ? (stored as ParserState) : null),
  isInert: isInertLine,
  parseLine: (state, value, at) => Array.from(parseRolloutLine(state, value, { ...at, lean: !at.store }), (r) => stageRecord(r, at.previewChars, at.store)),
  timelineOnly,
};

/**
 * Import whatever complete lines of `filePath` are new since the stored cursor. Synchronous: call
 * it off the HTTP thread for large files (the rollout worker does).
 */
export function importRolloutFile(db: Database.Database, filePath: string, opts: ImportOptions = {}): ImportResult {
  return importTail(filePath, ROLLOUT_FORMAT, prepare(db), opts);
}
