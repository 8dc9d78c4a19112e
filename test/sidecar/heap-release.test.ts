/**
 * HeapReleaser (src/sidecar/rollout/heap-release.ts): when the rollout worker collects after bulk
 * work. The heap sizes and the collector are injected; the real worker is covered in watcher.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { HeapReleaser } from '../../src/sidecar/rollout/heap-release.js';

const MB = 1024 * 1024;

function fake(startMb: number): { heap: { mb: number; collections: number }; releaser: (growthMb: number) => HeapReleaser } {
  const heap = { mb: startMb, collections: 0 };
  return {
    heap,
    releaser: (growthMb) =>
      new HeapReleaser(
        growthMb * MB,
        () => {
          heap.collections++;
          heap.mb = Math.min(heap.mb, 20); // what a full collection leaves: the live size
        },
        () => heap.mb * MB,
      ),
  };
}

describe('HeapReleaser', () => {
  it('collects only once the heap grew by the threshold, then measures growth from the collected size', () => {
    const { heap, releaser } = fake(10);
    const r = releaser(16);
    heap.mb = 25; // grew 15 MB: below the threshold
    expect(r.release()).toBeNull();
    expect(heap.collections).toBe(0);
    heap.mb = 90;
    expect(r.release()).toEqual({ before: 90 * MB, after: 20 * MB });
    expect(heap.collections).toBe(2); // the second one compacts what the first left sparse
    heap.mb = 30; // 10 MB over the collected 20 MB
    expect(r.release()).toBeNull();
    heap.mb = 36;
    expect(r.release()).not.toBeNull();
    expect(heap.collections).toBe(4);
  });

  it('measures from the smallest size seen, so a heap V8 shrank by itself does not hide new growth', () => {
    const { heap, releaser } = fake(60);
    const r = releaser(16);
    heap.mb = 12; // V8's memory reducer shrank it
    expect(r.release()).toBeNull();
    heap.mb = 29;
    expect(r.release()).toEqual({ before: 29 * MB, after: 20 * MB });
  });

  it('does nothing where V8 does not expose gc', () => {
    let heapMb = 10;
    const r = new HeapReleaser(MB, null, () => heapMb * MB);
    heapMb = 500;
    expect(r.available).toBe(false);
    expect(r.release()).toBeNull();
  });
});
