/**
 * Merges bursts of "these ids changed" into few calls: the first call goes out at once (a single
 * live change shows without delay); the ids of the calls after it, within `intervalMs` of the last
 * send, go out together in one trailing call. No id is dropped.
 */
export class IdCoalescer {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private last = -Infinity;

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  add(ids: readonly string[], send: (ids: string[]) => void): void {
    for (const id of ids) this.pending.add(id);
    if (this.timer || this.pending.size === 0) return;
    const flush = (): void => {
      this.timer = null;
      this.last = this.now();
      const out = [...this.pending];
      this.pending.clear();
      if (out.length) send(out);
    };
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) flush();
    else {
      this.timer = setTimeout(flush, wait);
      this.timer.unref?.();
    }
  }
}
