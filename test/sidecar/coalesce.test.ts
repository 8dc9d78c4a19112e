/** sessions_changed frames during an import: few, none lost (src/sidecar/coalesce.ts). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdCoalescer } from '../../src/sidecar/coalesce.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('IdCoalescer', () => {
  it('sends the first change at once, merges a burst into one trailing call, drops no id', () => {
    vi.useFakeTimers();
    const sent: string[][] = [];
    const c = new IdCoalescer(250);
    const send = (ids: string[]): void => void sent.push(ids);
    c.add(['a'], send);
    expect(sent).toEqual([['a']]); // no delay for a lone change
    for (let i = 0; i < 40; i++) {
      vi.advanceTimersByTime(5); // a batch every 5 ms, as an import commits them
      c.add([i % 2 ? 'b' : 'c', `s${i}`], send);
    }
    expect(sent).toHaveLength(1);
    vi.advanceTimersByTime(250);
    expect(sent).toHaveLength(2);
    expect(new Set(sent[1])).toEqual(new Set(['b', 'c', ...Array.from({ length: 40 }, (_, i) => `s${i}`)]));
    vi.advanceTimersByTime(1_000);
    c.add(['d'], send); // quiet again: at once
    expect(sent).toHaveLength(3);
    expect(sent[2]).toEqual(['d']);
  });
});
