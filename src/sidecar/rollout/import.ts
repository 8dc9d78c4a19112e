/**
 * Incremental, idempotent import of one Codex rollout file into the upstream DB.
 *
 * - A byte cursor per file (codex_rollout_files) advances in the SAME transaction as the rows the
 *   consumed lines produced, so a crash at any point neither loses nor repeats work.
 * - Only complete lines (ending in \n) are consumed; a partial last line waits for the next call.
 * - A file that shrank, has a new inode/device, whose first bytes changed, or whose bytes just
 *   before the cursor changed (rewritten in place: truncated and written again longer, or
 *   overwritten without truncation while the first line stayed the same) is re-read from 0; the
 *   dedup keys make that harmless. A rewrite that keeps both the first bytes and the bytes before
 *   the cursor identical but changes the middle is not detected (that would mean re-reading the
 *   whole prefix on every append).
 * - A line that cannot be mapped (e.g. nested so deep that serializing it overflows the stack) is
 *   counted as malformed with its reason, like unparsable JSON; the lines around it are imported.
 * - Every insert is INSERT OR IGNORE on UNIQUE(session_id, dedup_key); a hit on a row some hook
 *   stored only adds 'rollout' to its seen_by. Session counters move only for rows really inserted.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { summarizeEvent, type SessionStatus } from '../../shared/events.js';
import { truncateLargeFields } from '../host/truncate.js';
import { markSeen } from '../schema.js';
import { storeUsage, storeUsageState } from '../usage/records.js';
import { decodeLine, initialParserState, parseRolloutLine, type ParserState, type RolloutRecord } from './parse.js';

export interface ImportChange {
  sessionIds: string[];
  inserted: number;
  /** Bytes of the file this batch consumed (the engine checkpoints the WAL by input volume). */
  bytes?: number;
}

export interface ImportOptions {
  /** Lines per transaction (default 2,000). */
  batchLines?: number;
  /**
   * Bytes of input per transaction (default 1 MiB), whichever limit comes first. Keeps each
   * write-lock hold short so the server's own inserts (hook route) never wait long behind an import.
   */
  batchBytes?: number;
  /** Called after each committed batch that touched something: one coalesced update per batch. */
  onBatch?: (change: ImportChange) => void;
  log?: (msg: string) => void;
}

export interface ImportResult extends ImportChange {
  malformed: number;
}

const DEFAULT_BATCH_LINES = 2_000;
const DEFAULT_BATCH_BYTES = 1024 * 1024;
const READ_CHUNK = 4 * 1024 * 1024;
/** First-line identity: sha256 of up to this many bytes of line 1. */
const HEAD_BYTES = 4_096;
/** Prefix identity at the cursor: sha256 of up to this many bytes just before it. */
const TAIL_BYTES = 4_096;
/** Malformed lines logged per file per call; all are counted. */
const MAX_MALFORMED_LOGS = 20;

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

interface CursorRow {
  path: string;
  dev: string | null;
  ino: string | null;
  size: number;
  mtime_ms: number;
  offset: number;
  line_no: number;
  head_hash: string | null;
  head_len: number;
  tail_hash: string | null;
  tail_len: number;
  session_id: string | null;
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
  tailHash: string | null;
  tailLen: number;
  state: ParserState;
  malformed: number;
}

interface Stmts {
  getCursor: Database.Statement<[string], CursorRow>;
  putCursor: Database.Statement;
  ensureSession: Database.Statement;
  sessionMeta: Database.Statement;
  setModel: Database.Statement;
  setTokens: Database.Statement;
  insertEvent: Database.Statement;
  findPre: Database.Statement<[string, string], { tool_name: string | null; tool_input: string | null }>;
  bumpSession: Database.Statement;
  applyBatch: (path: string, records: Staged[], cursor: Cursor) => { inserted: number; sessionIds: string[] };
}

const stmtCache = new WeakMap<Database.Database, Stmts>();

function prepare(db: Database.Database): Stmts {
  const cached = stmtCache.get(db);
  if (cached) return cached;
  const s = {
    getCursor: db.prepare<[string], CursorRow>('SELECT * FROM codex_rollout_files WHERE path = ?'),
    putCursor: db.prepare(`
      INSERT INTO codex_rollout_files (path, dev, ino, size, mtime_ms, offset, line_no, head_hash, head_len, tail_hash, tail_len, session_id, parser_state, malformed_count, updated_at)
      VALUES (@path, @dev, @ino, @size, @mtimeMs, @offset, @lineNo, @headHash, @headLen, @tailHash, @tailLen, @sessionId, @state, @malformed, @now)
      ON CONFLICT(path) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, size = excluded.size, mtime_ms = excluded.mtime_ms,
        offset = excluded.offset, line_no = excluded.line_no, head_hash = excluded.head_hash, head_len = excluded.head_len,
        tail_hash = excluded.tail_hash, tail_len = excluded.tail_len,
        session_id = excluded.session_id, parser_state = excluded.parser_state, malformed_count = excluded.malformed_count,
        updated_at = excluded.updated_at`),
    ensureSession: db.prepare(`INSERT OR IGNORE INTO sessions (id, status, started_at, updated_at, harness)
                               VALUES (?, 'active', ?, ?, 'codex')`),
    sessionMeta: db.prepare(`
      UPDATE sessions SET harness = 'codex',
             cwd = COALESCE(cwd, @cwd),
             started_at = MIN(started_at, @startedAt),
             transcript_path = @transcriptPath,
             parent_session_id = COALESCE(parent_session_id, @parent)
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
  } as Omit<Stmts, 'applyBatch'> as Stmts;

  s.applyBatch = db.transaction((path: string, records: Staged[], cursor: Cursor) => {
    const ensured = new Set<string>();
    const perSession = new Map<string, { n: number; ts: string; status: SessionStatus | null }>();
    const touched = new Set<string>();
    let inserted = 0;
    const ensure = (id: string, ts: string): void => {
      if (ensured.has(id)) return;
      s.ensureSession.run(id, ts, ts);
      ensured.add(id);
    };
    for (const staged of records) {
      const rec = staged.rec;
      touched.add(rec.sessionId);
      switch (rec.kind) {
        case 'session':
          ensure(rec.sessionId, rec.startedAt);
          s.sessionMeta.run({ id: rec.sessionId, cwd: rec.cwd, startedAt: rec.startedAt, transcriptPath: rec.transcriptPath, parent: rec.parentSessionId });
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
            ({ json, summary } = eventJsonAndSummary(rec.hookType, rec.data));
          }
          const info = s.insertEvent.run(rec.sessionId, rec.hookType, toolName, summary, json, rec.createdAt, rec.dedupKey);
          if (info.changes > 0) {
            inserted++;
            const agg = perSession.get(rec.sessionId) ?? { n: 0, ts: rec.createdAt, status: null };
            agg.n++;
            if (rec.createdAt > agg.ts) agg.ts = rec.createdAt;
            if (rec.status) agg.status = rec.status;
            perSession.set(rec.sessionId, agg);
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
    s.putCursor.run({
      path,
      dev: cursor.dev,
      ino: cursor.ino,
      size: cursor.size,
      mtimeMs: cursor.mtimeMs,
      offset: cursor.offset,
      lineNo: cursor.lineNo,
      headHash: cursor.headHash,
      headLen: cursor.headLen,
      tailHash: cursor.tailHash,
      tailLen: cursor.tailLen,
      sessionId: cursor.state.sessionId,
      state: JSON.stringify(cursor.state),
      malformed: cursor.malformed,
      now: new Date().toISOString(),
    });
    return { inserted, sessionIds: [...touched] };
  });
  stmtCache.set(db, s);
  return s;
}

/** A record plus the work done before the transaction opens (the write lock is held only for SQL). */
interface Staged {
  rec: RolloutRecord;
  json: string | null;
  summary: string | null;
}

function stage(rec: RolloutRecord): Staged {
  // A Post whose call this parser state does not know gets its name from the DB inside the transaction.
  if (rec.kind !== 'event' || (rec.hookType === 'PostToolUse' && rec.toolName === null)) return { rec, json: null, summary: null };
  return { rec, ...eventJsonAndSummary(rec.hookType, rec.data) };
}

/** Stored payload: oversized strings cut and listed in `__truncated`, exactly as the hook route does. */
function eventJsonAndSummary(hookType: string, data: Record<string, unknown>): { json: string; summary: string } {
  const stored = truncateLargeFields(data);
  return { json: JSON.stringify(stored), summary: summarizeEvent(hookType, stored) };
}

function assertNever(x: never): never {
  throw new Error(`[rollout-import] unexpected record ${JSON.stringify(x)}`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function restoreState(row: CursorRow, filePath: string): ParserState {
  if (row.parser_state) {
    const parsed = safeJson(row.parser_state) as ParserState | string;
    if (typeof parsed === 'object' && parsed !== null && parsed.v === 1) return parsed;
  }
  return initialParserState(filePath);
}

function hashBytes(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** sha256 of `len` bytes of the file from `at` (fewer if the file is shorter). */
function readHash(fd: number, at: number, len: number): string {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, at + got);
    if (n <= 0) break;
    got += n;
  }
  return hashBytes(buf.subarray(0, got));
}

/**
 * Import whatever complete lines of `filePath` are new since the stored cursor. Synchronous: call
 * it off the HTTP thread for large files (the rollout worker does).
 */
export function importRolloutFile(db: Database.Database, filePath: string, opts: ImportOptions = {}): ImportResult {
  const result: ImportResult = { inserted: 0, sessionIds: [], malformed: 0 };
  const log = opts.log ?? (() => {});
  const batchLines = Math.max(1, opts.batchLines ?? DEFAULT_BATCH_LINES);
  const batchBytes = Math.max(1, opts.batchBytes ?? DEFAULT_BATCH_BYTES);
  const stmts = prepare(db);

  let fd: number;
  try {
    fd = fs.openSync(filePath, 'r');
  } catch (err) {
    // Gone between discovery and import (archived, deleted): routine, not an error.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    const row = stmts.getCursor.get(filePath);
    const dev = String(st.dev);
    const ino = String(st.ino);
    let cursor: Cursor;
    let fresh = true;
    if (row) {
      let replaced = st.size < row.offset || row.ino !== ino || row.dev !== dev;
      // Same file, same size, same mtime: nothing new (a partial last line may still be waiting). No read.
      if (!replaced && st.size === row.size && st.mtimeMs === row.mtime_ms) return result;
      if (!replaced && row.head_hash !== null) replaced = readHash(fd, 0, row.head_len) !== row.head_hash;
      if (!replaced && row.tail_hash !== null) replaced = readHash(fd, row.offset - row.tail_len, row.tail_len) !== row.tail_hash;
      if (replaced) log(`[rollout] ${filePath} was truncated, replaced or rewritten; re-reading it from the start`);
      else fresh = false;
      cursor = fresh
        ? newCursor(filePath, dev, ino)
        : {
            dev, ino, size: row.size, mtimeMs: row.mtime_ms, offset: row.offset, lineNo: row.line_no,
            headHash: row.head_hash, headLen: row.head_len, tailHash: row.tail_hash, tailLen: row.tail_len,
            state: restoreState(row, filePath), malformed: row.malformed_count,
          };
    } else {
      cursor = newCursor(filePath, dev, ino);
    }
    cursor.mtimeMs = st.mtimeMs;
    const end = st.size; // read only what exists now; later growth is a later change event
    const touched = new Set<string>();
    let records: Staged[] = [];
    let linesInBatch = 0;
    let batchStart = cursor.offset;
    let malformedLogged = 0;

    const commit = (scannedTo: number): void => {
      cursor.size = scannedTo;
      cursor.tailLen = Math.min(TAIL_BYTES, cursor.offset);
      cursor.tailHash = cursor.tailLen > 0 ? readHash(fd, cursor.offset - cursor.tailLen, cursor.tailLen) : null;
      const batch = records;
      records = [];
      linesInBatch = 0;
      const bytes = scannedTo - batchStart;
      batchStart = scannedTo;
      const change: ImportChange = { ...stmts.applyBatch(filePath, batch, cursor), bytes };
      result.inserted += change.inserted;
      for (const id of change.sessionIds) touched.add(id);
      if (batch.length > 0 && opts.onBatch) opts.onBatch(change);
    };

    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, end - cursor.offset)));
    let carry: Buffer | null = null;
    let carryStart = cursor.offset; // file offset of carry[0] (or of the next read when no carry)
    let pos = cursor.offset;
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
        cursor.lineNo++;
        if (lineOffset === 0 && cursor.headHash === null) {
          cursor.headLen = Math.min(nl, HEAD_BYTES);
          cursor.headHash = hashBytes(data.subarray(0, cursor.headLen));
        }
        if (nl > start && !isInertLine(data, start, nl)) {
          let bad: string | null = null;
          try {
            const decoded = decodeLine(data.toString('utf8', start, nl));
            if (decoded.ok) {
              const staged: Staged[] = [];
              // Stage the whole line first: a line that throws half-way adds nothing.
              for (const r of parseRolloutLine(cursor.state, decoded.value, { file: filePath, offset: lineOffset, line: cursor.lineNo })) staged.push(stage(r));
              records.push(...staged);
            } else if (data.subarray(start, nl).toString('utf8').trim()) bad = decoded.reason;
          } catch (err) {
            bad = `could not be mapped: ${(err as Error).message}`;
          }
          if (bad !== null) {
            cursor.malformed++;
            result.malformed++;
            if (malformedLogged++ < MAX_MALFORMED_LOGS) log(`[rollout] malformed line skipped: ${filePath}:${cursor.lineNo} (${bad})`);
          }
        }
        start = nl + 1;
        cursor.offset = dataStart + start;
        if (++linesInBatch >= batchLines || cursor.offset - batchStart >= batchBytes) commit(cursor.offset);
      }
      carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
      carryStart = dataStart + start;
    }
    commit(pos); // everything up to `pos` is scanned; a partial tail stays unconsumed (offset < size)
    result.sessionIds = [...touched];
    return result;
  } finally {
    fs.closeSync(fd);
  }
}

function newCursor(filePath: string, dev: string, ino: string): Cursor {
  return { dev, ino, size: 0, mtimeMs: 0, offset: 0, lineNo: 0, headHash: null, headLen: 0, tailHash: null, tailLen: 0, state: initialParserState(filePath), malformed: 0 };
}
