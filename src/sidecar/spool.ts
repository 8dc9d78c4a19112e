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
 *   5. When store() throws because the store is unavailable (SQLITE_BUSY, a full or read-only
 *      disk, …: see isStoreUnavailable) the drain stops. The draining file is rewritten (temp +
 *      rename) to hold only the lines not yet stored, and the next drain retries them.
 *   6. When store() throws for any other reason the line itself is the problem (a poison line):
 *      it is quarantined in `spool/quarantined.jsonl` with the reason and counted, and the drain
 *      goes on, so one bad line never blocks the ones after it. If even the quarantine cannot be
 *      written, the line is kept as in 5.
 *
 * Re-delivery is harmless (store() dedups on `data.__delivery_id`), but within one drain no line
 * is stored twice.
 *
 * Write-ahead files. The sh Codex handler (src/handlers/codex-hook.sh) writes each post body to
 * `spool/inflight/<delivery id>.json` before it returns, and its background delivery removes the
 * file once the event is posted or spooled. A file still there after INFLIGHT_STALE_MS means that
 * delivery was killed: recoverInflight stores it like a spool line (its mtime as `spooled_at`)
 * and removes it. A delivery that was only slow and finishes later is deduped by its id.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, fstatSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, watch, writeFileSync, appendFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { DRAINING_FILE, fileSize, isErrno, spoolPaths } from './spool-files.js';

// The file names, drop counters and status live in spool-files.ts (the runner's status reads them too).
export * from './spool-files.js';

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
  /** valid lines whose store() threw for a reason of their own, moved to spool/quarantined.jsonl */
  quarantined: number;
}

const NL = 0x0a;

/**
 * Whether an error from store() means the store as a whole is unavailable right now (busy,
 * locked, disk full, read-only, I/O error, not attached yet): the line is fine and must wait.
 * Anything else is taken to be about the line itself.
 */
export function isStoreUnavailable(e: unknown): boolean {
  const rawCode = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  const code = typeof rawCode === 'string' ? rawCode : '';
  const msg = e instanceof Error ? e.message : String(e);
  const text = `${code} ${msg}`;
  return (
    /SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|NOMEM|PROTOCOL|CORRUPT|NOTADB|INTERRUPT)/.test(text) ||
    /\b(ENOSPC|EROFS|EIO|EDQUOT|EACCES|EPERM)\b/.test(text) ||
    /database is (locked|closed)|disk is full|host not attached|readonly database/i.test(text)
  );
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

  /** Quarantines a line whose store() threw for its own reason; false when that failed too. */
  const quarantine = (line: Buffer, err: unknown): boolean => {
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const record = JSON.stringify({ quarantined_at: new Date().toISOString(), reason: reason.slice(0, 2000), line: line.toString('utf8') });
    try {
      appendFileSync(p.quarantined, `${record}\n`, { mode: 0o600 });
    } catch (e) {
      log(`[spool] could not quarantine line ${lineNo} in ${p.quarantined}: ${(e as Error).message}; it waits for the next drain`);
      return false;
    }
    totals.quarantined++;
    log(`[spool] line ${lineNo} could not be stored (${reason}); quarantined in ${p.quarantined}`);
    return true;
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
            if (isStoreUnavailable(e) || !quarantine(line, e)) {
              log(`[spool] storing line ${lineNo} failed (${(e as Error).message}); it and the lines after it wait for the next drain`);
              keepRemaining(p, consumed + pos, totals);
              stopped = true;
              break;
            }
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
          if (isStoreUnavailable(e) || !quarantine(rest, e)) {
            log(`[spool] storing line ${lineNo} failed (${(e as Error).message}); it waits for the next drain`);
            keepRemaining(p, consumed, totals);
            return false;
          }
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
 * Older than this, a write-ahead file's background delivery is gone: the sh handler's delivery
 * waits at most AGENT_MONITOR_HOOK_WAIT_MS (1 s by default) per post, twice, then spools.
 */
export const INFLIGHT_STALE_MS = 60_000;

/**
 * Stores the write-ahead files whose delivery was killed (see the module comment): each one
 * older than `staleMs`, then removes it. A file that is not a spool entry is moved to
 * spool/rejected.jsonl (counted as malformed). When store() reports the store unavailable the
 * file stays for the next pass. Returns how many were stored.
 */
export function recoverInflight(opts: SpoolDrainOptions & { staleMs?: number; now?: number }, totals?: SpoolDrainResult): number {
  const p = spoolPaths(opts.dataDir);
  const log = opts.log ?? (() => {});
  const t = totals ?? { drained: 0, failed: 0, malformed: 0, quarantined: 0 };
  let names: string[];
  try {
    names = readdirSync(p.inflight);
  } catch (e) {
    if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return 0;
    throw e;
  }
  const cutoff = (opts.now ?? Date.now()) - (opts.staleMs ?? INFLIGHT_STALE_MS);
  let stored = 0;
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = join(p.inflight, name);
    let text: string;
    let mtime: number;
    try {
      mtime = statSync(file).mtimeMs;
      if (mtime > cutoff) continue;
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) continue; // its delivery finished meanwhile
      throw e;
    }
    const parsed = parseLine(text.trim());
    if (!parsed.ok) {
      t.malformed++;
      log(`[spool] write-ahead file ${name} is malformed (${parsed.reason}); kept in ${p.rejected}`);
      appendFileSync(p.rejected, `${text.replace(/\n/g, ' ')}\n`, { mode: 0o600 });
    } else {
      try {
        opts.store(parsed.hookType, parsed.data, { spooledAt: parsed.meta.spooledAt ?? new Date(mtime).toISOString() });
        t.drained++;
        stored++;
      } catch (e) {
        if (isStoreUnavailable(e)) {
          t.failed++;
          log(`[spool] storing write-ahead file ${name} failed (${(e as Error).message}); it waits for the next pass`);
          return stored;
        }
        const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        appendFileSync(p.quarantined, `${JSON.stringify({ quarantined_at: new Date().toISOString(), reason: reason.slice(0, 2000), line: text })}\n`, { mode: 0o600 });
        t.quarantined++;
        log(`[spool] write-ahead file ${name} could not be stored (${reason}); quarantined in ${p.quarantined}`);
      }
    }
    try {
      unlinkSync(file);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
  }
  return stored;
}

/**
 * Drains the spool once (see the module comment for the protocol). A bad line or a failing
 * store() never throws; an unexpected I/O error (e.g. the spool folder is unreadable) does.
 */
export function drainSpool(opts: SpoolDrainOptions): SpoolDrainResult {
  const p = spoolPaths(opts.dataDir);
  const totals: SpoolDrainResult = { drained: 0, failed: 0, malformed: 0, quarantined: 0 };
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

/** Safety-net poll of watchSpool when the folder watch works (it also ages the write-ahead files). */
export const SPOOL_POLL_MS = 30_000;

/**
 * Drains at start, then whenever the spool folder changes (a folder watch: a handler appended to
 * events.jsonl, or wrote or removed a write-ahead file), and on a slow poll as a safety net for a
 * missed watch event and to store write-ahead files once they are INFLIGHT_STALE_MS old. Without a
 * working folder watch it polls every `intervalMs` (default 1000) instead. Each check is cheap (a
 * readdir and two stats). An idle sidecar thus wakes for the spool every 30 s, not every second:
 * on an idle machine every wakeup costs CPU. Errors are logged, never thrown.
 */
export function watchSpool(opts: SpoolDrainOptions & { intervalMs?: number; onDrainError?: (error: string | null) => void }): { close(): void } {
  const p = spoolPaths(opts.dataDir);
  const log = opts.log ?? (() => {});
  let lastError: string | null = null;
  let closed = false;
  const tick = (): void => {
    try {
      const r: SpoolDrainResult = { drained: 0, failed: 0, malformed: 0, quarantined: 0 };
      recoverInflight(opts, r);
      if (fileSize(p.live) !== 0 || existsSync(p.draining)) {
        const d = drainSpool(opts);
        r.drained += d.drained;
        r.failed += d.failed;
        r.malformed += d.malformed;
        r.quarantined += d.quarantined;
      }
      lastError = null;
      if (r.drained || r.failed || r.malformed || r.quarantined) {
        log(`[spool] drained ${r.drained} event(s)${r.failed ? `, ${r.failed} waiting for retry` : ''}${r.malformed ? `, ${r.malformed} malformed` : ''}${r.quarantined ? `, ${r.quarantined} quarantined` : ''}`);
      }
    } catch (e) {
      const msg = (e as Error).message;
      if (msg !== lastError) log(`[spool] drain failed: ${msg}`);
      lastError = msg;
    }
    opts.onDrainError?.(lastError);
  };
  // One check shortly after a burst of folder events (a handler's append is several events).
  let soon: NodeJS.Timeout | null = null;
  const tickSoon = (): void => {
    if (soon || closed) return;
    soon = setTimeout(() => {
      soon = null;
      if (!closed) tick();
    }, 25);
  };
  let timer: NodeJS.Timeout | null = null;
  const poll = (ms: number): void => {
    if (timer) clearInterval(timer);
    if (closed) return;
    timer = setInterval(tick, ms);
    timer.unref();
  };
  let watcher: FSWatcher | null = null;
  try {
    mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    watcher = watch(p.dir, tickSoon);
    watcher.on('error', () => {
      // The folder went away (or the watch failed): fall back to the fast poll.
      watcher?.close();
      watcher = null;
      poll(opts.intervalMs ?? 1000);
    });
  } catch {
    watcher = null; // a read-only data dir, a platform without watches: poll
  }
  tick();
  poll(watcher ? Math.max(opts.intervalMs ?? 1000, SPOOL_POLL_MS) : opts.intervalMs ?? 1000);
  return {
    close(): void {
      closed = true;
      if (timer) clearInterval(timer);
      if (soon) clearTimeout(soon);
      watcher?.close();
    },
  };
}
