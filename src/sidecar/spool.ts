/**
 * The sidecar's side of the hook spool (docs/contracts.md "Spool line").
 *
 * Hook handlers that cannot deliver an event append one JSON line to
 * `<dataDir>/spool/events.jsonl`. The sidecar drains that file at start and whenever it shows up
 * again, storing each line through the same path as a live post. Lossless and in order:
 *
 *   1. A left-over `events.jsonl.draining` (a drain that crashed or hit a busy DB) goes first.
 *   2. `events.jsonl` is renamed to `events.jsonl.draining` (atomic; handlers that open the path
 *      afterwards create a fresh `events.jsonl`).
 *   3. Every complete line is stored in order. A handler that had opened the file before the
 *      rename may still append to it, so after the last line the file is re-stat'ed and any
 *      tail is processed too. Then the draining file is deleted.
 *   4. A malformed line is counted, logged once with its line number and appended verbatim to
 *      `spool/rejected.jsonl`; it never blocks the lines behind it.
 *   5. When store() throws (e.g. SQLITE_BUSY) the drain stops. The draining file is rewritten
 *      (temp + rename) to hold only the lines not yet stored, and the next drain retries them.
 *
 * Re-delivery is harmless (store() dedups on `data.__delivery_id`), but within one drain no line
 * is stored twice.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, fstatSync, renameSync, statSync, unlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SpoolDrainOptions {
  dataDir: string;
  /**
   * Stores one event; throws when it could not (the line is then kept for the next drain).
   * `meta.spooledAt` is the line's `spooled_at` (when the handler gave up posting it), useful to
   * place a late event in the timeline; null when the line has none.
   */
  store: (hookType: string, data: Record<string, unknown>, meta: SpoolLineMeta) => void;
  log?: (msg: string) => void;
}

export interface SpoolLineMeta {
  spooledAt: string | null;
}

export interface SpoolDrainResult {
  /** lines stored */
  drained: number;
  /** lines kept for the next drain because store() threw (the failing line included) */
  failed: number;
  /** lines that were not a valid spool entry, moved to spool/rejected.jsonl */
  malformed: number;
}

export const SPOOL_DIR = 'spool';
export const SPOOL_FILE = 'events.jsonl';
export const DRAINING_FILE = 'events.jsonl.draining';
export const REJECTED_FILE = 'rejected.jsonl';
export const DROPPED_FILE = 'dropped.json';

const NL = 0x0a;

function spoolPaths(dataDir: string) {
  const dir = join(dataDir, SPOOL_DIR);
  return {
    dir,
    live: join(dir, SPOOL_FILE),
    draining: join(dir, DRAINING_FILE),
    rejected: join(dir, REJECTED_FILE),
    dropped: join(dir, DROPPED_FILE),
  };
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return 0;
    throw e;
  }
}

/** Reads bytes [from, EOF) of a file; an empty buffer when the file is gone. */
function readFrom(path: string, from: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return Buffer.alloc(0);
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= from) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(size - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

type ParsedLine =
  | { ok: true; hookType: string; data: Record<string, unknown>; meta: SpoolLineMeta }
  | { ok: false; reason: string };

function parseLine(text: string): ParsedLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message})` };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.hook_type !== 'string' || o.hook_type === '') return { ok: false, reason: 'no "hook_type" string' };
  const d = o.data;
  if (!d || typeof d !== 'object' || Array.isArray(d)) return { ok: false, reason: 'no "data" object' };
  const spooledAt = typeof o.spooled_at === 'string' ? o.spooled_at : null;
  return { ok: true, hookType: o.hook_type, data: d as Record<string, unknown>, meta: { spooledAt } };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Processes the draining file from byte 0 to its end (following late appends). Returns whether
 * it finished (file deleted) and adds to `totals`.
 */
function processDraining(p: ReturnType<typeof spoolPaths>, opts: SpoolDrainOptions, totals: SpoolDrainResult): boolean {
  const log = opts.log ?? (() => {});
  let consumed = 0; // bytes of the draining file fully handled (stored, rejected or blank)
  let lineNo = 0;
  let waitedForTail = false;

  const reject = (line: Buffer, reason: string): void => {
    totals.malformed++;
    log(`[spool] ${DRAINING_FILE} line ${lineNo} is malformed (${reason}); kept in ${p.rejected}`);
    try {
      appendFileSync(p.rejected, Buffer.concat([line, Buffer.from('\n')]), { mode: 0o600 });
    } catch (e) {
      log(`[spool] could not keep malformed line ${lineNo} in ${p.rejected}: ${(e as Error).message}`);
    }
  };

  for (;;) {
    const chunk = readFrom(p.draining, consumed);
    if (chunk.length === 0) break;
    let pos = 0;
    let stopped = false;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NL, pos);
      if (nl < 0) break; // incomplete tail: handled below
      const line = chunk.subarray(pos, nl);
      lineNo++;
      const text = line.toString('utf8').trim();
      if (text !== '') {
        const parsed = parseLine(text);
        if (!parsed.ok) reject(line, parsed.reason);
        else {
          try {
            opts.store(parsed.hookType, parsed.data, parsed.meta);
            totals.drained++;
          } catch (e) {
            log(`[spool] storing line ${lineNo} failed (${(e as Error).message}); it and the lines after it wait for the next drain`);
            keepRemaining(p, consumed + pos, totals);
            stopped = true;
            break;
          }
        }
      }
      pos = nl + 1;
    }
    if (stopped) return false;
    consumed += pos;
    if (pos < chunk.length) {
      // A line without its newline. Handlers write each line with one append, so either a
      // late writer is mid-write or a writer died mid-line. Give a late writer a moment once.
      if (!waitedForTail) {
        waitedForTail = true;
        sleepSync(20);
        continue;
      }
      const rest = readFrom(p.draining, consumed);
      if (rest.indexOf(NL) >= 0) continue; // completed meanwhile
      lineNo++;
      const parsed = parseLine(rest.toString('utf8').trim());
      if (!parsed.ok) reject(rest, `${parsed.reason}; truncated last line`);
      else {
        try {
          opts.store(parsed.hookType, parsed.data, parsed.meta);
          totals.drained++;
        } catch (e) {
          log(`[spool] storing line ${lineNo} failed (${(e as Error).message}); it waits for the next drain`);
          keepRemaining(p, consumed, totals);
          return false;
        }
      }
      consumed += rest.length;
    }
  }
  try {
    unlinkSync(p.draining);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) throw e;
  }
  return true;
}

/** Rewrites the draining file atomically with only the bytes from `from` on. */
function keepRemaining(p: ReturnType<typeof spoolPaths>, from: number, totals: SpoolDrainResult): void {
  const rest = readFrom(p.draining, from); // read last, so late appends are kept as well
  totals.failed += rest.toString('utf8').split('\n').filter((l) => l.trim() !== '').length;
  const tmp = `${p.draining}.${process.pid}.tmp`;
  writeFileSync(tmp, rest, { mode: 0o600 });
  renameSync(tmp, p.draining);
}

/**
 * Drains the spool once (see the module comment for the protocol). A bad line or a failing
 * store() never throws; an unexpected I/O error (e.g. the spool folder is unreadable) does.
 */
export function drainSpool(opts: SpoolDrainOptions): SpoolDrainResult {
  const p = spoolPaths(opts.dataDir);
  const totals: SpoolDrainResult = { drained: 0, failed: 0, malformed: 0 };
  if (existsSync(p.draining)) {
    if (!processDraining(p, opts, totals)) return totals;
  }
  try {
    renameSync(p.live, p.draining);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return totals;
    // Windows refuses to rename a file a handler has open at this instant: try next time.
    if (isErrno(e, 'EPERM') || isErrno(e, 'EBUSY') || isErrno(e, 'EACCES')) {
      opts.log?.(`[spool] ${p.live} is busy (${(e as NodeJS.ErrnoException).code}); will drain it next time`);
      return totals;
    }
    throw e;
  }
  processDraining(p, opts, totals);
  return totals;
}

/**
 * Drains at start, then checks cheaply (two stats) every `intervalMs` (default 1000) and drains
 * when there is something to drain. Errors are logged, never thrown.
 */
export function watchSpool(opts: SpoolDrainOptions & { intervalMs?: number }): { close(): void } {
  const p = spoolPaths(opts.dataDir);
  const log = opts.log ?? (() => {});
  const tick = (): void => {
    try {
      if (fileSize(p.live) === 0 && !existsSync(p.draining)) return;
      const r = drainSpool(opts);
      if (r.drained || r.failed || r.malformed) {
        log(`[spool] drained ${r.drained} event(s)${r.failed ? `, ${r.failed} waiting for retry` : ''}${r.malformed ? `, ${r.malformed} malformed` : ''}`);
      }
    } catch (e) {
      log(`[spool] drain failed: ${(e as Error).message}`);
    }
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs ?? 1000);
  timer.unref();
  return {
    close(): void {
      clearInterval(timer);
    },
  };
}

/** Bytes waiting in the spool (live + draining) and the handlers' drop counter. */
export function spoolStatus(dataDir: string): { pending: number; dropped: number } {
  const p = spoolPaths(dataDir);
  let pending = 0;
  for (const f of [p.live, p.draining]) {
    try {
      pending += fileSize(f);
    } catch {
      /* unreadable: not counted */
    }
  }
  let dropped = 0;
  try {
    const d = JSON.parse(readFileSync(p.dropped, 'utf8')) as { dropped?: unknown };
    if (typeof d.dropped === 'number' && d.dropped > 0) dropped = d.dropped;
  } catch {
    /* missing or malformed: none recorded */
  }
  return { pending, dropped };
}
