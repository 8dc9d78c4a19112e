/**
 * Gives the rollout worker's V8 heap back after bulk work (a history import, its search indexing,
 * a full sweep of every file), so that an idle sidecar's memory does not depend on how much
 * history it once imported (docs/benchmarks.md "Run 9 — idle").
 *
 * Why a forced collection: with 50,000 history files imported, the worker's heap stayed at
 * 49–165 MB for minutes while 17 MB of it was live. V8's memory reducer runs at most a few
 * collections after allocation slows down and is re-armed only by the next mark-compact; once the
 * worker is idle nothing allocates, so nothing collects, and the garbage of the import stays
 * resident. Two full collections (the second compacts the pages the first left sparse) take it
 * to about twice the live size (measured: 164 MB -> 35 MB with 17.5 MB live; V8's own reducer
 * shrinks the young generation later), in tens of ms of CPU, once per `growthBytes` of heap
 * growth: far less than the work that grew it, and nothing while a live session only appends.
 *
 * `gc` exists only where V8 exposes it (the worker: src/sidecar/rollout/watcher.ts turns
 * `--expose-gc` on before it creates the worker's isolate); elsewhere (inline engines in tests)
 * this does nothing.
 */
import v8 from 'node:v8';

/** Heap growth since the last release (or the smallest size seen since) that makes the next call collect. */
export const HEAP_RELEASE_GROWTH_BYTES = 16 * 1024 * 1024;

export interface HeapRelease {
  /** Committed heap (V8 total_heap_size) before and after, in bytes. */
  before: number;
  after: number;
}

export function exposedGc(): (() => void) | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? (gc as () => void) : null;
}

export class HeapReleaser {
  private baseline: number;

  constructor(
    private readonly growthBytes: number = HEAP_RELEASE_GROWTH_BYTES,
    private readonly gc: (() => void) | null = exposedGc(),
    private readonly heapBytes: () => number = () => v8.getHeapStatistics().total_heap_size,
  ) {
    this.baseline = heapBytes();
  }

  /** Whether a collection can happen at all (V8 exposes `gc` to this isolate). */
  get available(): boolean {
    return this.gc !== null;
  }

  /**
   * Call when the bulk work is done (nothing queued). Collects when the committed heap grew by at
   * least `growthBytes` over the smallest size seen since the last release; returns the sizes then.
   */
  release(): HeapRelease | null {
    const before = this.heapBytes();
    this.baseline = Math.min(this.baseline, before); // V8 shrank it by itself meanwhile
    if (!this.gc || before - this.baseline < this.growthBytes) return null;
    this.gc();
    this.gc();
    const after = this.heapBytes();
    this.baseline = after;
    return { before, after };
  }
}
