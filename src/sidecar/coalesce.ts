/**
 * Merges bursts of "these ids changed" into few calls: the first call goes out at once (a single
 * live change shows without delay); the ids of the calls after it, within `intervalMs` of the last
 * send, go out together in one trailing call. No id is dropped. Used by the rollout worker for the
 * import changes it tells the HTTP thread about (src/sidecar/rollout/worker.ts).
 */
export class IdCoalescer {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private last = -Infinity;
  private send: ((ids: string[]) => void) | null = null;

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  add(ids: readonly string[], send: (ids: string[]) => void): void {
    for (const id of ids) this.pending.add(id);
    this.send = send;
    if (this.timer || this.pending.size === 0) return;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else {
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref?.();
    }
  }

  /** Sends what is pending now (before answering "everything so far is announced"). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.last = this.now();
    const out = [...this.pending];
    this.pending.clear();
    if (out.length) this.send?.(out);
  }
}
