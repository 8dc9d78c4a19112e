/**
 * Whose turn it is at SQLite's one write lock: the HTTP thread's hook stores (small, and someone
 * is waiting for each) or the rollout worker's imports (large, and nobody waits for a single one).
 *
 * SQLite has no queue for its write lock: a connection that finds it taken sleeps in its busy
 * handler and retries, and a writer that commits and begins again at once wins nearly every race.
 * So the HTTP thread says that it waits, in one Int32 of a SharedArrayBuffer both threads see
 * (the number of its stores waiting for the lock), and the worker, before each of its
 * transactions, lets the lock go until that count is zero again (bounded, so a stuck HTTP thread
 * cannot stop imports). The HTTP thread never sleeps in a busy handler: it tries the lock without
 * waiting and, if taken, tries again on a timer (src/sidecar/host/server-host.ts), so its event
 * loop stays free while an import holds the lock.
 *
 * Without a WriteTurn (tests, an importer without an HTTP thread) the worker falls back to a fixed
 * lock-free gap between its transactions (src/sidecar/tail-import.ts BatchPacer.minGapMs).
 */

const WAITING = 0;

export class WriteTurn {
  readonly buffer: SharedArrayBuffer;
  private readonly cell: Int32Array;

  /** A new turn (HTTP thread), or the worker's view of one made elsewhere (its `buffer`). */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(4);
    if (this.buffer.byteLength < 4) throw new Error('WriteTurn: the shared buffer must hold one Int32');
    this.cell = new Int32Array(this.buffer, 0, 1);
  }

  /** HTTP side: a store waits for the lock (call once per store, until `done`). */
  want(): void {
    Atomics.add(this.cell, WAITING, 1);
  }

  /** HTTP side: that store committed or gave up. Wakes the worker if it let the lock go for it. */
  done(): void {
    if (Atomics.sub(this.cell, WAITING, 1) <= 0) Atomics.store(this.cell, WAITING, 0); // never below zero
    Atomics.notify(this.cell, WAITING);
  }

  /** Stores waiting for the lock now. */
  waiting(): number {
    return Atomics.load(this.cell, WAITING);
  }

  /**
   * Worker side, between two of its transactions (the lock is free): block this thread until no
   * store waits any more, at most `maxMs`. Returns the ms waited (0: nobody was waiting).
   */
  letWaitersGo(maxMs: number): number {
    if (Atomics.load(this.cell, WAITING) <= 0) return 0;
    const t0 = performance.now();
    for (;;) {
      const n = Atomics.load(this.cell, WAITING);
      if (n <= 0) break;
      const left = maxMs - (performance.now() - t0);
      if (left <= 0) break;
      Atomics.wait(this.cell, WAITING, n, left);
    }
    return performance.now() - t0;
  }
}

/**
 * A synchronous write on the HTTP thread that may wait in the busy handler (the spool drain, the
 * team and OTLP cursors): while it waits, the worker lets the lock go before its next transaction.
 */
export function withWriteTurn<T>(turn: WriteTurn | null | undefined, write: () => T): T {
  if (!turn) return write();
  turn.want();
  try {
    return write();
  } finally {
    turn.done();
  }
}
