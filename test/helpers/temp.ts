/**
 * The one temp-folder helper of the test suite, and the cleanup registry behind it.
 *
 * Whatever is registered while a test runs (in the test body or its beforeEach) is undone when that
 * test finishes; whatever is registered outside a test (beforeAll, module level) when the test file
 * is done. Cleanups run in reverse order, so a server started after its folder stops before the
 * folder goes. Folders that a test made read-only get their write bit back first.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

type Cleanup = () => unknown;

const fileScoped: Cleanup[] = [];

afterAll(async () => {
  await runAll(fileScoped);
});

async function quietly(fn: Cleanup): Promise<void> {
  try {
    await fn();
  } catch {
    // best effort: one failed cleanup must not keep the others from running
  }
}

async function runAll(list: Cleanup[]): Promise<void> {
  while (list.length) await quietly(list.pop()!);
}

/** Runs `fn` when the current test finishes, or when the file's tests are done outside a test. */
export function onCleanup(fn: Cleanup): void {
  try {
    onTestFinished(() => quietly(fn));
  } catch {
    fileScoped.push(fn);
  }
}

function restoreWriteBits(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  try {
    fs.chmodSync(dir, 0o700);
  } catch {
    return;
  }
  for (const name of fs.readdirSync(dir)) restoreWriteBits(path.join(dir, name));
}

/** A fresh, empty folder under the OS temp dir, removed by {@link onCleanup}'s rules. */
export function tempDir(prefix = 'am-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => {
    restoreWriteBits(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
