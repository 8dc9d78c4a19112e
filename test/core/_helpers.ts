import { readFile } from 'node:fs/promises';
import { tempDir } from '../helpers/temp.js';

/** A fresh, empty folder removed after the current test (read-only folders included). */
export async function createTempDirectory(prefix = 'core-'): Promise<string> {
  return tempDir(`amh-${prefix}`);
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
