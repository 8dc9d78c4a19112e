/**
 * Incremental, idempotent import of one Claude Code transcript (main or subagent file), by the
 * same rules as the Codex rollout importer (src/sidecar/rollout/import.ts):
 *
 * - the byte cursor (claude_transcript_files) advances in the SAME transaction as the rows the
 *   consumed lines produced; only complete lines are consumed;
 * - a file that shrank, changed inode/device or whose first bytes changed is re-read from 0;
 * - events are INSERT OR IGNORE on UNIQUE(session_id, dedup_key) with the hooks' keys (a hit only
 *   adds to seen_by); usage rows are INSERT OR IGNORE on their global key. Nothing counts twice.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { summarizeEvent, type SessionStatus } from '../../shared/events.js';
import { truncateLargeFields } from '../host/truncate.js';
import { markSeen } from '../schema.js';
import { storeUsage, storeUsageState, type UsageStateRecord } from '../usage/records.js';
import { decodeLine } from '../rollout/parse.js';
import type { ImportChange, ImportOptions, ImportResult } from '../rollout/import.js';
import { initialClaudeState, parseClaudeLine, type ClaudeParserState, type ClaudeRecord } from './parse.js';

const DEFAULT_BATCH_LINES = 2_000;
/**
 * Smaller than the rollout importer's 1 MiB: a Claude transcript's lines are nearly all stored
 * (tool results go into the timeline rows), so a batch costs more per byte, and each write-lock
 * hold must stay short for the hook route's inserts on the HTTP thread.
 */
const DEFAULT_BATCH_BYTES = 128 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;
const HEAD_BYTES = 4_096;
const MAX_MALFORMED_LOGS = 20;
/** Only these lines can produce a record; the rest (attachments, queue operations, summaries…) are skipped unparsed. */
const USEFUL = [Buffer.from('"type":"assistant"'), Buffer.from('"type":"user"')];

interface CursorRow {
  dev: string | null;
  ino: string | null;
  size: number;
  offset: number;
  line_no: number;
  head_hash: string | null;
  head_len: number;
  parser_state: string | null;
  malformed_count: number;
}

interface Cursor {
  dev: string;
  ino: string;
  size: number;
  mtimeMs: number;
  offset: number;
  lineNo: number;
  headHash: string | null;
  headLen: number;
  state: ClaudeParserState;
  malformed: number;
}

interface Stmts {
  getCursor: Database.Statement<[string], CursorRow>;
  apply: (path: string, records: ClaudeRecord[], cursor: Cursor) => { inserted: number; sessionIds: string[] };
}

const cache = new WeakMap<Database.Database, Stmts>();

function prepare(db: Database.Database): Stmts {
  const hit = cache.get(db);
  if (hit) return hit;
  const putCursor = db.prepare(`
    INSERT INTO claude_transcript_files (path, dev, ino, size, mtime_ms, offset, line_no, head_hash, head_len, session_id, parser_state, malformed_count, updated_at)
    VALUES (@path, @dev, @ino, @size, @mtimeMs, @offset, @lineNo, @headHash, @headLen, @sessionId, @state, @malformed, @now)
    ON CONFLICT(path) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, size = excluded.size, mtime_ms = excluded.mtime_ms,
      offset = excluded.offset, line_no = excluded.line_no, head_hash = excluded.head_hash, head_len = excluded.head_len,
      session_id = excluded.session_id, parser_state = excluded.parser_state, malformed_count = excluded.malformed_count, updated_at = excluded.updated_at`);
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

  const apply = db.transaction((path: string, records: ClaudeRecord[], cursor: Cursor) => {
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
    for (const rec of records) {
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
        case 'status': {
          const prev = statuses.get(rec.sessionId);
          if (!prev || rec.at >= prev.ts) statuses.set(rec.sessionId, { status: rec.status, ts: rec.at });
          break;
        }
        case 'event': {
          ensure(rec.sessionId, rec.createdAt);
          let toolName = rec.toolName;
          if (rec.hookType === 'PostToolUse' && toolName === null && typeof rec.data.tool_use_id === 'string') {
            const pre = findPre.get(rec.sessionId, `pre:${rec.data.tool_use_id}`);
            if (pre) {
              toolName = pre.tool_name;
              rec.data.tool_name = toolName;
              if (pre.tool_input !== null) rec.data.tool_input = safeJson(pre.tool_input);
            }
          }
          const info = insertEvent.run(rec.sessionId, rec.hookType, toolName, summarizeEvent(rec.hookType, rec.data),
            JSON.stringify(truncateLargeFields(rec.data)), rec.createdAt, rec.dedupKey);
          if (info.changes > 0) {
            inserted++;
            const c = counts.get(rec.sessionId) ?? { n: 0, ts: rec.createdAt };
            c.n++;
            if (rec.createdAt > c.ts) c.ts = rec.createdAt;
            counts.set(rec.sessionId, c);
            if (rec.status) {
              const prev = statuses.get(rec.sessionId);
              if (!prev || rec.createdAt >= prev.ts) statuses.set(rec.sessionId, { status: rec.status, ts: rec.createdAt });
            }
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
    putCursor.run({
      path, dev: cursor.dev, ino: cursor.ino, size: cursor.size, mtimeMs: cursor.mtimeMs, offset: cursor.offset, lineNo: cursor.lineNo,
      headHash: cursor.headHash, headLen: cursor.headLen, sessionId: cursor.state.sessionId, state: JSON.stringify(cursor.state),
      malformed: cursor.malformed, now: new Date().toISOString(),
    });
    return { inserted, sessionIds: [...touched] };
  });
  const s: Stmts = { getCursor: db.prepare<[string], CursorRow>('SELECT * FROM claude_transcript_files WHERE path = ?'), apply };
  cache.set(db, s);
  return s;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const hashBytes = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

function restoreState(row: CursorRow): ClaudeParserState {
  if (row.parser_state) {
    const parsed = safeJson(row.parser_state) as ClaudeParserState | string;
    if (typeof parsed === 'object' && parsed !== null && parsed.v === 1) {
      // A cursor stored before the parser emitted SessionStart rows: its first line is behind it.
      parsed.started ??= parsed.sessionId !== null;
      return parsed;
    }
  }
  return initialClaudeState();
}

function useful(data: Buffer, start: number, end: number): boolean {
  // The line type sits in the first bytes of every record line Claude Code writes, but not always
  // first: look through the whole line only when the window misses.
  const line = data.subarray(start, end);
  return line.indexOf(USEFUL[0]!) !== -1 || line.indexOf(USEFUL[1]!) !== -1;
}

/** Import whatever complete lines of `filePath` are new since its stored cursor. Synchronous (run it in the worker). */
export function importClaudeFile(db: Database.Database, filePath: string, opts: ImportOptions = {}): ImportResult {
  const result: ImportResult = { inserted: 0, sessionIds: [], malformed: 0 };
  const log = opts.log ?? (() => {});
  const batchLines = Math.max(1, opts.batchLines ?? DEFAULT_BATCH_LINES);
  const batchBytes = Math.max(1, opts.batchBytes ?? DEFAULT_BATCH_BYTES);
  const stmts = prepare(db);
  let fd: number;
  try {
    fd = fs.openSync(filePath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    const row = stmts.getCursor.get(filePath);
    const dev = String(st.dev);
    const ino = String(st.ino);
    let cursor: Cursor | null = null;
    if (row) {
      let replaced = st.size < row.offset || row.ino !== ino || row.dev !== dev;
      if (!replaced && st.size === row.size) return result;
      if (!replaced && row.head_hash !== null) {
        const head = Buffer.alloc(row.head_len);
        const n = fs.readSync(fd, head, 0, row.head_len, 0);
        replaced = hashBytes(head.subarray(0, n)) !== row.head_hash;
      }
      if (replaced) log(`[claude] ${filePath} was truncated or replaced; re-reading it from the start`);
      else {
        cursor = { dev, ino, size: row.size, mtimeMs: st.mtimeMs, offset: row.offset, lineNo: row.line_no, headHash: row.head_hash,
          headLen: row.head_len, state: restoreState(row), malformed: row.malformed_count };
      }
    }
    cursor ??= { dev, ino, size: 0, mtimeMs: st.mtimeMs, offset: 0, lineNo: 0, headHash: null, headLen: 0, state: initialClaudeState(), malformed: 0 };
    const c = cursor;
    const end = st.size;
    const touched = new Set<string>();
    let records: ClaudeRecord[] = [];
    let lines = 0;
    let batchStart = c.offset;
    let malformedLogged = 0;
    const commit = (scannedTo: number): void => {
      c.size = scannedTo;
      const batch = records;
      records = [];
      lines = 0;
      const bytes = scannedTo - batchStart;
      batchStart = scannedTo;
      const change: ImportChange = { ...stmts.apply(filePath, batch, c), bytes };
      result.inserted += change.inserted;
      for (const id of change.sessionIds) touched.add(id);
      if (batch.length > 0 && opts.onBatch) opts.onBatch(change);
    };
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, end - c.offset)));
    let carry: Buffer | null = null;
    let carryStart = c.offset;
    let pos = c.offset;
    while (pos < end) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (n <= 0) break;
      pos += n;
      const data: Buffer = carry ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      const dataStart = carryStart;
      let start = 0;
      for (;;) {
        const nl = data.indexOf(10, start);
        if (nl === -1) break;
        const lineOffset = dataStart + start;
        c.lineNo++;
        if (lineOffset === 0 && c.headHash === null) {
          c.headLen = Math.min(nl, HEAD_BYTES);
          c.headHash = hashBytes(data.subarray(0, c.headLen));
        }
        if (nl > start && useful(data, start, nl)) {
          const decoded = decodeLine(data.toString('utf8', start, nl));
          if (decoded.ok) {
            for (const r of parseClaudeLine(c.state, decoded.value, filePath, lineOffset)) records.push(r);
          } else {
            c.malformed++;
            result.malformed++;
            if (malformedLogged++ < MAX_MALFORMED_LOGS) log(`[claude] malformed line skipped: ${filePath}:${c.lineNo} (${decoded.reason})`);
          }
        }
        start = nl + 1;
        c.offset = dataStart + start;
        if (++lines >= batchLines || c.offset - batchStart >= batchBytes) commit(c.offset);
      }
      carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
      carryStart = dataStart + start;
    }
    commit(pos);
    result.sessionIds = [...touched];
    return result;
  } finally {
    fs.closeSync(fd);
  }
}
