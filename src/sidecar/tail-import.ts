/**
 * The machinery both transcript importers share (Codex rollouts: src/sidecar/rollout/import.ts,
 * Claude Code transcripts: src/sidecar/claude/import.ts), so the rules below exist once:
 *
 * - A byte cursor per file (a row of the format's cursor table) advances in the SAME transaction as
 *   the rows the consumed lines produced, so a crash at any point neither loses nor repeats work.
 * - Only complete lines (ending in \n) are consumed; a partial last line waits for the next call.
 * - A file that shrank, has a new inode/device, whose first bytes changed, or whose bytes just
 *   before the cursor changed (rewritten in place: truncated and written again longer, or
 *   overwritten without truncation while the first line stayed the same) is re-read from 0; the
 *   formats' dedup keys make that harmless. A rewrite that keeps both the first bytes and the bytes
 *   before the cursor identical but changes the middle is not detected (that would mean re-reading
 *   the whole prefix on every append).
 * - Lines are consumed in batches bounded by a line count and a byte count, whichever comes first,
 *   so each write-lock hold stays short for the hook route's inserts on the HTTP thread.
 * - A line that is not JSON, or that the format cannot map (its parser throws), is counted as
 *   malformed with its reason and logged (the first few per call); the lines around it are imported.
 *   A line's records are collected whole before any is kept: a line that throws half-way adds nothing.
 * - History is imported in two phases (ImportPhase), so that past sessions appear with their
 *   numbers long before their timelines are in: the 'summary' phase applies everything but the
 *   timeline rows (sessions, models, statuses, token usage) and keeps its own cursor in the format's
 *   summary table; the 'full' phase, later, stores the rows too. For the lines the summary phase
 *   already covered (up to its cursor, if that still matches the file), the full phase keeps only
 *   the timeline rows, without their statuses: everything else from those lines is in already, and
 *   applying it again would walk a session's totals, model and status back through its past.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { decodeLine } from './rollout/parse.js';
import { MAX_FIELD_CHARS, truncateIfLarge } from './host/truncate.js';
import { summarizeEvent } from '../shared/events.js';
import type { WriteTurn } from './write-turn.js';

export interface ImportChange {
  sessionIds: string[];
  inserted: number;
  /** Bytes of the file this batch consumed (the engine checkpoints the WAL by input volume). */
  bytes?: number;
}

/**
 * 'full': every record (the default). 'summary': everything but the timeline rows, under the
 * format's summary cursor (history's first phase; see the header).
 */
export type ImportPhase = 'summary' | 'full';

export interface ImportOptions {
  /** Default 'full'. */
  phase?: ImportPhase;
  /** Lines per transaction (default 2,000). */
  batchLines?: number;
  /**
   * Bytes of input per transaction (default: the format's), whichever limit comes first. Keeps each
   * write-lock hold short so the server's own inserts (hook route) never wait long behind an import.
   */
  batchBytes?: number;
  /**
   * Sizes batches by time instead of the fixed `batchBytes` (which is then only the first batch's
   * size): after each commit the cost per input byte is measured and the next batch is sized so
   * that its transaction takes about `targetMs`. Shared across files (the engine keeps one).
   */
  pacer?: BatchPacer;
  /**
   * Longest string stored in an event's payload (default MAX_FIELD_CHARS, as the hook route). The
   * engine passes a short one for history files: the stored row keeps a preview and the line's
   * place in the file (`__transcript` / `__rollout`), from which the detail route reads the rest.
   */
  previewChars?: number;
  /** Called after each committed batch that touched something: one coalesced update per batch. */
  onBatch?: (change: ImportChange) => void;
  log?: (msg: string) => void;
}

export interface BatchPacer {
  targetMs: number;
  minBytes: number;
  maxBytes: number;
  /**
   * Measured input bytes per ms of transaction (smoothed), per format (a rollout byte is mostly
   * skipped, a Claude transcript byte mostly stored: their costs differ tenfold).
   */
  bytesPerMs: Record<string, number>;
  /**
   * The write lock stays free at least this long between two transactions of this pacer's owner
   * (parsing the next batch usually fills it; the shortfall is slept). Another connection waiting
   * in SQLite's busy handler retries after 1, 2, 5, 10… ms: with holds of ≤ targetMs and gaps of
   * ≥ minGapMs it gets the lock at one of its first retries instead of losing every race to a
   * writer that takes the lock back at once.
   */
  minGapMs: number;
  /** performance.now() when the last transaction ended. */
  lastEnd: number;
  /**
   * The HTTP thread's claim on the write lock (src/sidecar/write-turn.ts). When present, the lock is
   * let go between two transactions only while a hook store waits for it (up to `maxYieldMs`),
   * instead of the fixed `minGapMs`.
   */
  turn?: WriteTurn;
}

/** Longest the worker lets the lock go for waiting hook stores before it takes its turn again. */
export const MAX_YIELD_MS = 50;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Before a transaction: let waiting hook stores go first, or wait out the pacer's lock-free gap. */
export function awaitGap(p: BatchPacer): void {
  if (p.turn) {
    p.turn.letWaitersGo(MAX_YIELD_MS);
    return;
  }
  const left = p.lastEnd + p.minGapMs - performance.now();
  if (left > 0.2) Atomics.wait(sleeper, 0, 0, left);
}

/** The next batch's byte limit from the last transaction (bytes consumed, ms it held the lock). */
function pace(p: BatchPacer, tag: string, bytes: number, ms: number): number {
  const prev = p.bytesPerMs[tag];
  if (bytes >= 4096) {
    const rate = bytes / Math.max(ms, 0.05);
    // Smoothed; a slow outlier (a checkpoint, a busy core) shrinks the next batch at once.
    p.bytesPerMs[tag] = prev === undefined ? rate : Math.min(rate, 0.7 * prev + 0.3 * rate);
  }
  const now = p.bytesPerMs[tag];
  if (now === undefined) return p.minBytes;
  return Math.max(p.minBytes, Math.min(p.maxBytes, Math.floor(now * p.targetMs)));
}

export interface ImportResult extends ImportChange {
  malformed: number;
}

/** A row of a cursor table (codex_rollout_files, claude_transcript_files: same columns). */
export interface CursorRow {
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
  parser_state: string | null;
  malformed_count: number;
}

export interface Cursor<S extends { sessionId: string | null }> {
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
  state: S;
  malformed: number;
}

export interface CursorStatements<S extends { sessionId: string | null }> {
  get: Database.Statement<[string], CursorRow>;
  /** Upsert the cursor; call it inside the batch's transaction, after the batch's rows. */
  put: (path: string, cursor: Cursor<S>) => void;
}

/** Read/write statements for a cursor table. `table` is one of the fixed table names above. */
export function cursorStatements<S extends { sessionId: string | null }>(db: Database.Database, table: string): CursorStatements<S> {
  const put = db.prepare(`
    INSERT INTO ${table} (path, dev, ino, size, mtime_ms, offset, line_no, head_hash, head_len, tail_hash, tail_len, session_id, parser_state, malformed_count, updated_at)
    VALUES (@path, @dev, @ino, @size, @mtimeMs, @offset, @lineNo, @headHash, @headLen, @tailHash, @tailLen, @sessionId, @state, @malformed, @now)
    ON CONFLICT(path) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, size = excluded.size, mtime_ms = excluded.mtime_ms,
      offset = excluded.offset, line_no = excluded.line_no, head_hash = excluded.head_hash, head_len = excluded.head_len,
      tail_hash = excluded.tail_hash, tail_len = excluded.tail_len,
      session_id = excluded.session_id, parser_state = excluded.parser_state, malformed_count = excluded.malformed_count,
      updated_at = excluded.updated_at`);
  return {
    get: db.prepare<[string], CursorRow>(`SELECT * FROM ${table} WHERE path = ?`),
    put: (path, c) => {
      put.run({
        path, dev: c.dev, ino: c.ino, size: c.size, mtimeMs: c.mtimeMs, offset: c.offset, lineNo: c.lineNo,
        headHash: c.headHash, headLen: c.headLen, tailHash: c.tailHash, tailLen: c.tailLen,
        sessionId: c.state.sessionId, state: JSON.stringify(c.state), malformed: c.malformed, now: new Date().toISOString(),
      });
    },
  };
}

/** What one transcript format adds to the shared machinery (a constant per format). */
export interface TailFormat<S extends { sessionId: string | null }, R> {
  /** Log prefix, e.g. '[rollout]'. */
  tag: string;
  defaultBatchBytes: number;
  initialState: (file: string) => S;
  /** The stored parser state, or null when it is missing or of an unknown version (start fresh). */
  restoreState: (stored: unknown) => S | null;
  /** True for a line that can never produce a record: skipped without parsing (nor malformed check). */
  isInert: (data: Buffer, start: number, end: number) => boolean;
  /**
   * The records of one decoded line; may throw (the line is then counted as malformed). `store`
   * false: its timeline rows will not be stored (the summary phase), so they need no staging.
   */
  parseLine: (state: S, value: unknown, at: { file: string; offset: number; line: number; previewChars: number; store: boolean }) => Iterable<R>;
  /**
   * What the full phase keeps of a record from a line the summary phase covered: a timeline row
   * without its status, or null for anything else.
   */
  timelineOnly: (record: R) => R | null;
}

/** A format's statements on one DB. */
export interface TailStatements<S extends { sessionId: string | null }, R> {
  cursor: CursorStatements<S>;
  /** The summary phase's cursors (same columns, their own table). */
  summary: CursorStatements<S>;
  /**
   * One transaction: the batch's rows, then the phase's cursor (`cursor.put` or `summary.put`).
   * In the summary phase a timeline record moves only its session's last activity and status.
   */
  apply: (path: string, records: R[], cursor: Cursor<S>, phase: ImportPhase) => { inserted: number; sessionIds: string[] };
}

const DEFAULT_BATCH_LINES = 2_000;
const READ_CHUNK = 4 * 1024 * 1024;
/** First-line identity: sha256 of up to this many bytes of line 1. */
const HEAD_BYTES = 4_096;
/** Prefix identity at the cursor: sha256 of up to this many bytes just before it. */
const TAIL_BYTES = 4_096;

/** An imported event as both parsers produce it (the other record kinds need no staging). */
interface StageableEvent {
  kind: 'event';
  hookType: string;
  toolName: string | null;
  data: Record<string, unknown>;
}

/** A record plus the work done before the transaction opens (the write lock is held only for SQL). */
export interface Staged<R> {
  rec: R;
  json: string | null;
  summary: string | null;
  /** Longest stored string (ImportOptions.previewChars). */
  previewChars: number;
}

/** Stored payload: oversized strings cut and listed in `__truncated`, exactly as the hook route does; the summary of what is stored. */
export function eventJsonAndSummary(hookType: string, data: Record<string, unknown>, previewChars: number): { json: string; summary: string } {
  const stored = truncateIfLarge(data, previewChars);
  return { json: JSON.stringify(stored), summary: summarizeEvent(hookType, stored) };
}

/** Stages one parsed record of either importer (`store` false: a timeline row that will not be stored). */
export function stageRecord<R extends { kind: string }>(rec: R, previewChars: number, store = true): Staged<R> {
  if (rec.kind !== 'event' || !store) return { rec, json: null, summary: null, previewChars };
  const ev = rec as unknown as StageableEvent;
  // A Post whose call this parser state does not know gets its name from the DB inside the transaction.
  if (ev.hookType === 'PostToolUse' && ev.toolName === null) return { rec, json: null, summary: null, previewChars };
  return { rec, previewChars, ...eventJsonAndSummary(ev.hookType, ev.data, previewChars) };
}

/** TailFormat.timelineOnly for both importers: their timeline records carry the status they set. */
export function timelineOnly<R extends { kind: string }>(staged: Staged<R>): Staged<R> | null {
  if (staged.rec.kind !== 'event') return null;
  return { ...staged, rec: { ...staged.rec, status: null } };
}

/** Malformed lines logged per file per call; all are counted. */
const MAX_MALFORMED_LOGS = 20;

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
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

/** The cursor's file is this one: same device and inode, and not shorter than the cursor. */
function sameFile(st: fs.Stats, row: CursorRow): boolean {
  return st.size >= row.offset && row.ino === String(st.ino) && row.dev === String(st.dev);
}

/** …and its first bytes and the bytes just before the cursor are still those the cursor hashed. */
function stillMatches(fd: number, st: fs.Stats, row: CursorRow): boolean {
  if (!sameFile(st, row)) return false;
  if (row.head_hash !== null && readHash(fd, 0, row.head_len) !== row.head_hash) return false;
  return row.tail_hash === null || readHash(fd, row.offset - row.tail_len, row.tail_len) === row.tail_hash;
}

/**
 * Import whatever complete lines of `filePath` are new since its stored cursor. Synchronous: call
 * it off the HTTP thread for large files (the rollout worker does).
 */
export function importTail<S extends { sessionId: string | null }, R>(
  filePath: string, format: TailFormat<S, R>, stmts: TailStatements<S, R>, opts: ImportOptions = {},
): ImportResult {
  const result: ImportResult = { inserted: 0, sessionIds: [], malformed: 0 };
  const log = opts.log ?? (() => {});
  const batchLines = Math.max(1, opts.batchLines ?? DEFAULT_BATCH_LINES);
  let batchBytes = Math.max(1, opts.batchBytes ?? format.defaultBatchBytes);
  const previewChars = Math.max(1, opts.previewChars ?? MAX_FIELD_CHARS);
  const pacer = opts.pacer;
  const phase = opts.phase ?? 'full';
  if (pacer?.bytesPerMs[format.tag] !== undefined) batchBytes = pace(pacer, format.tag, 0, 1);

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
    const cursors = phase === 'summary' ? stmts.summary : stmts.cursor;
    const row = cursors.get.get(filePath);
    const dev = String(st.dev);
    const ino = String(st.ino);
    let cursor: Cursor<S> | null = null;
    if (row) {
      // Same file, same size, same mtime: nothing new (a partial last line may still be waiting). No read.
      if (sameFile(st, row) && st.size === row.size && st.mtimeMs === row.mtime_ms) return result;
      if (!stillMatches(fd, st, row)) log(`${format.tag} ${filePath} was truncated, replaced or rewritten; re-reading it from the start`);
      else {
        cursor = {
          dev, ino, size: row.size, mtimeMs: row.mtime_ms, offset: row.offset, lineNo: row.line_no,
          headHash: row.head_hash, headLen: row.head_len, tailHash: row.tail_hash, tailLen: row.tail_len,
          state: (row.parser_state ? format.restoreState(safeJson(row.parser_state)) : null) ?? format.initialState(filePath),
          malformed: row.malformed_count,
        };
      }
    }
    cursor ??= { dev, ino, size: 0, mtimeMs: 0, offset: 0, lineNo: 0, headHash: null, headLen: 0, tailHash: null, tailLen: 0, state: format.initialState(filePath), malformed: 0 };
    const c = cursor;
    // The full phase after a summary: the lines before this offset only add their timeline rows.
    let summarizedTo = 0;
    if (phase === 'full') {
      const summary = stmts.summary.get.get(filePath);
      if (summary && summary.offset > c.offset && stillMatches(fd, st, summary)) summarizedTo = summary.offset;
    }
    c.mtimeMs = st.mtimeMs;
    const end = st.size; // read only what exists now; later growth is a later change event
    const touched = new Set<string>();
    let records: R[] = [];
    let linesInBatch = 0;
    let batchStart = c.offset;
    let malformedLogged = 0;

    const commit = (scannedTo: number): void => {
      c.size = scannedTo;
      c.tailLen = Math.min(TAIL_BYTES, c.offset);
      c.tailHash = c.tailLen > 0 ? readHash(fd, c.offset - c.tailLen, c.tailLen) : null;
      const batch = records;
      records = [];
      linesInBatch = 0;
      const bytes = scannedTo - batchStart;
      batchStart = scannedTo;
      if (pacer) awaitGap(pacer);
      const t0 = performance.now();
      const change: ImportChange = { ...stmts.apply(filePath, batch, c, phase), bytes };
      if (pacer) {
        pacer.lastEnd = performance.now();
        batchBytes = pace(pacer, format.tag, bytes, pacer.lastEnd - t0);
      }
      result.inserted += change.inserted;
      for (const id of change.sessionIds) touched.add(id);
      if (batch.length > 0 && opts.onBatch) opts.onBatch(change);
    };

    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, end - c.offset)));
    let carry: Buffer | null = null;
    let carryStart = c.offset; // file offset of carry[0] (or of the next read when no carry)
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
        if (nl > start && !format.isInert(data, start, nl)) {
          let bad: string | null = null;
          try {
            const decoded = decodeLine(data.toString('utf8', start, nl));
            if (decoded.ok) {
              // Collect the whole line first: a line that throws half-way adds nothing.
              const lineRecords = [...format.parseLine(c.state, decoded.value, { file: filePath, offset: lineOffset, line: c.lineNo, previewChars, store: phase === 'full' })];
              if (lineOffset < summarizedTo) {
                for (const r of lineRecords) {
                  const kept = format.timelineOnly(r);
                  if (kept !== null) records.push(kept);
                }
              } else for (const r of lineRecords) records.push(r);
            } else if (data.subarray(start, nl).toString('utf8').trim()) bad = decoded.reason;
          } catch (err) {
            bad = `could not be mapped: ${(err as Error).message}`;
          }
          if (bad !== null) {
            c.malformed++;
            result.malformed++;
            if (malformedLogged++ < MAX_MALFORMED_LOGS) log(`${format.tag} malformed line skipped: ${filePath}:${c.lineNo} (${bad})`);
          }
        }
        start = nl + 1;
        c.offset = dataStart + start;
        if (++linesInBatch >= batchLines || c.offset - batchStart >= batchBytes) commit(c.offset);
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
