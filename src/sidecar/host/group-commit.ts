/**
 * The HTTP thread's write path for hook events: group commit, and a write lock taken without
 * ever blocking the event loop.
 *
 * - Group commit: items submitted in the same event-loop turn are stored in one write transaction,
 *   each in its own savepoint, so one bad item cannot undo the others. Each submitter's promise
 *   settles only after that transaction committed (or failed).
 * - No busy wait: SQLite's busy handler sleeps the calling thread while another connection (the
 *   rollout worker's import) holds the write lock, and on the HTTP thread that sleep stalls every
 *   request. So the transaction begins with `BEGIN IMMEDIATE` under a zero busy timeout: if the lock
 *   is taken, the batch stays queued, the WriteTurn says a store is waiting (the worker lets the
 *   lock go before its next transaction, src/sidecar/write-turn.ts), and the attempt is repeated on a
 *   timer. Items arriving meanwhile join the batch. After `maxWaitMs` without the lock the batch
 *   fails with SQLITE_BUSY, as the connection's own busy timeout would have failed it.
 */
import type Database from 'better-sqlite3';
import type { WriteTurn } from '../write-turn.js';

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

export interface GroupCommitOptions {
  /** Says "a store waits" to the worker while the lock is taken; null: nobody to tell. */
  turn?: WriteTurn | null;
  /** Give up on the lock after this long (default: the connection's busy_timeout, or 5,000 ms). */
  maxWaitMs?: number;
  /** Retry delay while the lock is taken (default 1 ms: a retry costs a few microseconds). */
  retryMs?: number;
}

/** Counters for status and benchmarks. */
export interface GroupCommitStats {
  /** Transactions committed. */
  commits: number;
  /** Attempts that found the write lock taken and were retried on a timer. */
  busyRetries: number;
  /** Batches failed because the lock stayed taken for maxWaitMs. */
  busyTimeouts: number;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY_'));
}

export class GroupCommit<I, R> {
  private pending: Array<Pending<I, R>> = [];
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  /** When the current batch first found the lock taken (performance.now()), or null. */
  private waitingSince: number | null = null;
  private readonly retryMs: number;
  private readonly maxWaitMs: number;
  private readonly busyTimeoutMs: number;
  readonly stats: GroupCommitStats = { commits: 0, busyRetries: 0, busyTimeouts: 0 };

  constructor(
    private readonly db: Database.Database,
    private readonly store: (item: I) => R,
    private readonly opts: GroupCommitOptions = {},
  ) {
    this.busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true })) || 0;
    this.maxWaitMs = opts.maxWaitMs ?? (this.busyTimeoutMs || 5_000);
    this.retryMs = opts.retryMs ?? 1;
  }

  /** Stores `item` in the next write transaction; settles after its commit. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Stops retrying; what is still queued fails (the sidecar is stopping). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const left = this.pending;
    this.pending = [];
    this.endWait();
    for (const p of left) p.reject(new Error('the store is closing'));
  }

  private flush(): void {
    this.timer = null;
    if (this.pending.length === 0) {
      this.scheduled = false;
      return;
    }
    let began: boolean;
    try {
      began = this.tryBegin();
    } catch (err) {
      return this.settleAll(err as Error);
    }
    if (!began) return this.retryLater();
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    const results: Array<{ ok: true; value: R } | { ok: false; error: Error }> = [];
    for (const p of batch) {
      try {
        // A savepoint per item (better-sqlite3 nests a transaction function inside an open one).
        results.push({ ok: true, value: this.db.transaction(() => this.store(p.item))() });
      } catch (err) {
        results.push({ ok: false, error: err as Error });
      }
    }
    try {
      this.db.exec('COMMIT');
      this.stats.commits++;
    } catch (err) {
      // The commit itself failed: nothing in this batch is stored.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.endWait();
      for (const p of batch) p.reject(err as Error);
      return;
    }
    this.endWait();
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.ok) p.resolve(r.value);
      else p.reject(r.error);
    });
  }

  /** BEGIN IMMEDIATE without waiting: true with the write lock held, false if another writer has it. */
  private tryBegin(): boolean {
    if (this.busyTimeoutMs) this.db.pragma('busy_timeout = 0');
    try {
      this.db.exec('BEGIN IMMEDIATE');
      return true;
    } catch (err) {
      if (isBusy(err)) return false;
      throw err;
    } finally {
      if (this.busyTimeoutMs) this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
  }

  private retryLater(): void {
    const now = performance.now();
    if (this.waitingSince === null) {
      this.waitingSince = now;
      this.opts.turn?.want();
    } else if (now - this.waitingSince >= this.maxWaitMs) {
      this.stats.busyTimeouts++;
      const err = Object.assign(new Error(`database is locked: no write lock within ${this.maxWaitMs} ms`), { code: 'SQLITE_BUSY' });
      return this.settleAll(err);
    }
    this.stats.busyRetries++;
    this.timer = setTimeout(() => this.flush(), this.retryMs);
  }

  private settleAll(err: Error): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    this.endWait();
    for (const p of batch) p.reject(err);
  }

  private endWait(): void {
    if (this.waitingSince !== null) {
      this.waitingSince = null;
      this.opts.turn?.done();
    }
  }
}
