/**
 * Incremental, idempotent import of one Claude Code transcript (main or subagent file). The cursor
 * (claude_transcript_files), rewrite detection, batching and malformed-line counting are
 * src/sidecar/tail-import.ts, shared with the Codex rollout importer; this file maps the lines:
 *
 * - events are INSERT OR IGNORE on UNIQUE(session_id, dedup_key) with the hooks' keys (a hit only
 *   adds to seen_by); usage rows are INSERT OR IGNORE on their global key. Nothing counts twice.
 */
import type Database from 'better-sqlite3';
import type { SessionStatus } from '../../shared/events.js';
import { markSeen } from '../schema.js';
import { storeUsage, storeUsageState, type UsageStateRecord } from '../usage/records.js';
import { cursorStatements, eventJsonAndSummary, importTail, safeJson, stageRecord, timelineOnly, type Staged as StagedOf, type Cursor as TailCursor, type ImportOptions, type ImportPhase, type ImportResult, type TailFormat, type TailStatements } from '../tail-import.js';
import { initialClaudeState, parseClaudeLine, type ClaudeEventRecord, type ClaudeParserState, type ClaudeRecord } from './parse.js';

/**
 * Smaller than the rollout importer's 1 MiB: a Claude transcript's lines are nearly all stored
 * (tool results go into the timeline rows), so a batch costs more per byte, and each write-lock
 * hold must stay short for the hook route's inserts on the HTTP thread.
 */
const DEFAULT_BATCH_BYTES = 128 * 1024;
/** Only these lines can produce a record; the rest (attachments, queue operations, summaries…) are skipped unparsed. */
const USEFUL = [Buffer.from('"type":"assistant"'), Buffer.from('"type":"user"')];

type Cursor = TailCursor<ClaudeParserState>;

type Stmts = TailStatements<ClaudeParserState, Staged>;

type Staged = StagedOf<ClaudeRecord>;

const cache = new WeakMap<Database.Database, Stmts>();

function prepare(db: Database.Database): Stmts {
  const hit = cache.get(db);
  if (hit) return hit;
  const cursorStmts = cursorStatements<ClaudeParserState>(db, 'claude_transcript_files');
  const summaryStmts = cursorStatements<ClaudeParserState>(db, 'claude_transcript_summaries');
  const ensureSession = db.prepare(`INSERT OR IGNORE INTO sessions (id, status, started_at, updated_at, harness) VALUES (?, 'active', ?, ?, 'claude')`);
  const sessionMeta = db.prepare(`
    UPDATE sessions SET cwd = COALESCE(cwd, @cwd), started_at = MIN(started_at, @startedAt),
           transcript_path = COALESCE(transcript_path, @transcriptPath),
           parent_session_id = COALESCE(parent_session_id, @parent), name = COALESCE(name, @name)
     WHERE id = @id`);
  const setModel = db.prepare('UPDATE sessions SET model = ? WHERE id = ? AND (model IS NULL OR model <> ?)');
  const insertEvent = db.prepare(`
    INSERT OR IGNORE INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
    VALUES (?, ?, ?, ?, ?, ?, 'rollout', 'rollout', ?)`);
  const findPre = db.prepare<[string, string], { tool_name: string | null; tool_input: string | null }>(
    `SELECT tool_name, json_extract(data, '$.tool_input') AS tool_input FROM events WHERE session_id = ? AND dedup_key = ?`);
  const bump = db.prepare(`UPDATE sessions SET event_count = event_count + @n, updated_at = MAX(updated_at, @ts) WHERE id = @id`);
  // A status only from a line newer than anything the session has: an old file never reopens a session.
  const setStatus = db.prepare(`UPDATE sessions SET status = @status, updated_at = MAX(updated_at, @ts) WHERE id = @id AND updated_at <= @ts AND status <> 'completed'`);
  const sumTokens = db.prepare(`
    UPDATE sessions SET
      input_tokens = (SELECT COALESCE(SUM(input_tokens), 0) FROM usage_records WHERE session_id = @id),
      output_tokens = (SELECT COALESCE(SUM(output_tokens), 0) FROM usage_records WHERE session_id = @id),
      cache_read_tokens = (SELECT COALESCE(SUM(cache_read_tokens), 0) FROM usage_records WHERE session_id = @id),
      cache_write_tokens = (SELECT COALESCE(SUM(cache_write_tokens), 0) FROM usage_records WHERE session_id = @id)
    WHERE id = @id`);

  const apply = db.transaction((path: string, records: Staged[], cursor: Cursor, phase: ImportPhase) => {
    const ensured = new Set<string>();
    const touched = new Set<string>();
    const spent = new Set<string>();
    const counts = new Map<string, { n: number; ts: string }>();
    const statuses = new Map<string, { status: SessionStatus; ts: string }>();
    const states = new Map<string, UsageStateRecord>();
    let inserted = 0;
    const ensure = (id: string, ts: string): void => {
      if (ensured.has(id)) return;
      ensureSession.run(id, ts, ts);
      ensured.add(id);
    };
    const noteStatus = (id: string, status: SessionStatus, at: string): void => {
      const prev = statuses.get(id);
      if (!prev || at >= prev.ts) statuses.set(id, { status, ts: at });
    };
    /** An event of the session: its last activity, its status, and `stored` more rows (0 or 1). */
    const noteEvent = (rec: ClaudeEventRecord, stored: number): void => {
      const c = counts.get(rec.sessionId) ?? { n: 0, ts: rec.createdAt };
      c.n += stored;
      if (rec.createdAt > c.ts) c.ts = rec.createdAt;
      counts.set(rec.sessionId, c);
      if (rec.status) noteStatus(rec.sessionId, rec.status, rec.createdAt);
    };
    for (const staged of records) {
      const rec = staged.rec;
      touched.add(rec.sessionId);
      switch (rec.kind) {
        case 'session':
          ensure(rec.sessionId, rec.startedAt);
          sessionMeta.run({ id: rec.sessionId, cwd: rec.cwd, startedAt: rec.startedAt, transcriptPath: rec.transcriptPath, parent: rec.parentSessionId, name: rec.name });
          break;
        case 'model':
          ensure(rec.sessionId, new Date().toISOString());
          setModel.run(rec.model, rec.sessionId, rec.model);
          break;
        case 'usage':
          ensure(rec.sessionId, rec.at);
          if (storeUsage(db, rec)) spent.add(rec.sessionId);
          break;
        case 'usage-state': {
          // Only the newest reading per session counts: one write per session per batch.
          const prev = states.get(rec.sessionId);
          if (!prev || rec.at >= prev.at) states.set(rec.sessionId, rec);
          break;
        }
        case 'status':
          noteStatus(rec.sessionId, rec.status, rec.at);
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
              const pre = findPre.get(rec.sessionId, `pre:${rec.data.tool_use_id}`);
              if (pre) {
                toolName = pre.tool_name;
                rec.data.tool_name = toolName;
                if (pre.tool_input !== null) rec.data.tool_input = safeJson(pre.tool_input);
              }
            }
            ({ json, summary } = eventJsonAndSummary(rec.hookType, rec.data, staged.previewChars));
          }
          const info = insertEvent.run(rec.sessionId, rec.hookType, toolName, summary, json, rec.createdAt, rec.dedupKey);
          if (info.changes > 0) {
            inserted++;
            noteEvent(rec, 1);
          } else {
            markSeen(db, rec.sessionId, rec.dedupKey, 'rollout');
          }
          break;
        }
        default: {
          const never: never = rec;
          throw new Error(`[claude-import] unexpected record ${JSON.stringify(never)}`);
        }
      }
    }
    for (const [id, c] of counts) bump.run({ id, n: c.n, ts: c.ts });
    for (const [id, s] of statuses) setStatus.run({ id, status: s.status, ts: s.ts });
    for (const id of spent) sumTokens.run({ id });
    for (const st of states.values()) storeUsageState(db, st);
    (phase === 'summary' ? summaryStmts : cursorStmts).put(path, cursor);
    return { inserted, sessionIds: [...touched] };
  });
  const s: Stmts = { cursor: cursorStmts, summary: summaryStmts, apply };
  cache.set(db, s);
  return s;
}

function restoreState(stored: unknown): ClaudeParserState | null {
  if (typeof stored !== 'object' || stored === null || (stored as ClaudeParserState).v !== 1) return null;
  const parsed = stored as ClaudeParserState;
  // A cursor stored before the parser emitted SessionStart rows: its first line is behind it.
  parsed.started ??= parsed.sessionId !== null;
  return parsed;
}

/** A user line names its type before its (long) message; an assistant line after it. */
const HEAD_WINDOW = 512;

function useful(data: Buffer, start: number, end: number): boolean {
  // Look through the whole line only when the first bytes miss: a tool result's line is mostly
  // output, and is not scanned twice for a type it does not have.
  const head = data.subarray(start, Math.min(end, start + HEAD_WINDOW));
  if (head.indexOf(USEFUL[1]!) !== -1 || head.indexOf(USEFUL[0]!) !== -1) return true;
  if (end - start <= HEAD_WINDOW) return false;
  const line = data.subarray(start, end);
  return line.indexOf(USEFUL[0]!) !== -1 || line.indexOf(USEFUL[1]!) !== -1;
}

const CLAUDE_FORMAT: TailFormat<ClaudeParserState, Staged> = {
  tag: '[claude]',
  defaultBatchBytes: DEFAULT_BATCH_BYTES,
  initialState: initialClaudeState,
  restoreState,
  isInert: (data, start, end) => !useful(data, start, end),
  parseLine: (state, value, at) => parseClaudeLine(state, value, at.file, at.offset, !at.store).map((r) => stageRecord(r, at.previewChars, at.store)),
  timelineOnly,
};

/** Import whatever complete lines of `filePath` are new since its stored cursor. Synchronous (run it in the worker). */
export function importClaudeFile(db: Database.Database, filePath: string, opts: ImportOptions = {}): ImportResult {
  return importTail(filePath, CLAUDE_FORMAT, prepare(db), opts);
}
