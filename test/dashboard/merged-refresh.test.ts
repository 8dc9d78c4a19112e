import { describe, expect, it } from 'vitest';
import { mergedRefresh } from '../../src/dashboard/merged-refresh.js';

/** A refresh whose calls are recorded and finish only when the test says so. */
function controlled(): { calls: string[][]; finish: (err?: Error) => void; refresh: (ids: string[]) => Promise<void> } {
  const calls: string[][] = [];
  const pending: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const refresh = mergedRefresh(
    (ids) =>
      new Promise<void>((resolve, reject) => {
        calls.push(ids);
        pending.push({ resolve, reject });
      }),
  );
  const finish = (err?: Error): void => {
    const p = pending.shift()!;
    if (err) p.reject(err);
    else p.resolve();
  };
  return { calls, finish, refresh };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

describe('mergedRefresh', () => {
  it('runs one refresh at a time and refreshes the ids that came meanwhile once, right after it', async () => {
    const c = controlled();
    const first = c.refresh(['a']);
    void c.refresh(['b']);
    void c.refresh(['c', 'b']);
    expect(c.calls).toEqual([['a']]);
    c.finish();
    await first;
    await tick();
    expect(c.calls).toEqual([['a'], ['b', 'c']]);
    c.finish();
    await tick();
    expect(c.calls).toHaveLength(2); // nothing else was pending
    void c.refresh(['d']);
    expect(c.calls).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('a failed refresh still runs the merged one after it', async () => {
    const c = controlled();
    const first = c.refresh(['a']);
    void c.refresh(['b']);
    c.finish(new Error('offline'));
    await expect(first).rejects.toThrow('offline');
    await tick();
    expect(c.calls).toEqual([['a'], ['b']]);
  });
});
