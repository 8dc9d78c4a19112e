// The data folder holds everything a user typed to an agent (monitor.db and its -wal/-shm, the
// spool, settings.json): readable by its owner only. Folders 0700, files 0600, applied to what a
// folder already holds (installs from before this rule) and, through the umask, to what is created
// later by this process (SQLite gives -wal/-shm the mode of the database file).
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** What tightenPrivateFolder changed, and what it could not (never throws). */
export interface TightenResult {
  changed: string[];
  failed: Array<{ path: string; error: string }>;
}

/**
 * Creates `dir` 0700 if missing, then makes it 0700 and every file under it 0600 (folders 0700),
 * `depth` levels down. Symlinks are left alone (their targets are not ours to change).
 */
export function tightenPrivateFolder(dir: string, depth = 3): TightenResult {
  const result: TightenResult = { changed: [], failed: [] };
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (e) {
    result.failed.push({ path: dir, error: (e as Error).message });
    return result;
  }
  const fix = (p: string, st: fs.Stats, mode: number): void => {
    if ((st.mode & 0o777) === mode) return;
    try {
      fs.chmodSync(p, mode);
      result.changed.push(p);
    } catch (e) {
      result.failed.push({ path: p, error: (e as Error).message });
    }
  };
  const walk = (d: string, level: number): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(d);
    } catch (e) {
      result.failed.push({ path: d, error: (e as Error).message });
      return;
    }
    if (!st.isDirectory()) return;
    fix(d, st, PRIVATE_DIR_MODE);
    if (level >= depth) return;
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch (e) {
      result.failed.push({ path: d, error: (e as Error).message });
      return;
    }
    for (const name of names) {
      const p = path.join(d, name);
      let s: fs.Stats;
      try {
        s = fs.lstatSync(p);
      } catch {
        continue; // vanished
      }
      if (s.isDirectory()) walk(p, level + 1);
      else if (s.isFile()) fix(p, s, PRIVATE_FILE_MODE);
    }
  };
  walk(dir, 0);
  return result;
}

/** New files and folders of this process: no bits for group or others. */
export function privateUmask(): void {
  process.umask(0o077);
}
