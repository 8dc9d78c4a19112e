import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

afterEach(async () => {
  for (const dir of created.splice(0)) {
    // Tests make folders read-only; give write back so the cleanup can remove them.
    await chmodTree(dir).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

async function chmodTree(dir: string): Promise<void> {
  const { readdir, lstat } = await import('node:fs/promises');
  await chmod(dir, 0o755);
  for (const name of await readdir(dir)) {
    const p = path.join(dir, name);
    const st = await lstat(p);
    if (st.isDirectory()) await chmodTree(p);
  }
}

/** A fresh, empty folder removed after the current test. */
export async function createTempDirectory(prefix = 'core-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `amh-${prefix}`));
  created.push(dir);
  return dir;
}

export async function readText(p: string): Promise<string> {
  return readFile(p, 'utf8');
}

export async function exists(p: string): Promise<boolean> {
  try {
    await readFile(p);
    return true;
  } catch {
    return false;
  }
}
