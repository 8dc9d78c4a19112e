// The spool's files as the sidecar, the handlers and the status readers agree on them (layout in
// docs/contracts.md "Spool line"): names, where drops are counted, and the read-only status the
// sidecar, the dashboard banner and `npm run monitor -- status` report. Plain Node, imported by the drain (spool.ts) and by src/core/monitor-health.ts.
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const SPOOL_DIR = 'spool';
export const SPOOL_FILE = 'events.jsonl';
export const DRAINING_FILE = 'events.jsonl.draining';
export const REJECTED_FILE = 'rejected.jsonl';
export const DROPPED_FILE = 'dropped.json';
export const QUARANTINE_FILE = 'quarantined.jsonl';
/** Write-ahead files of the sh Codex handler's background deliveries (src/sidecar/spool.ts). */
export const INFLIGHT_DIR = 'inflight';
/**
 * Where the handlers count drops when the spool folder itself is unusable (read-only, wrong
 * owner, `spool` being a file): next to it in the data folder, and failing that in a private
 * per-user folder under the temp dir (see fallbackDropFile).
 */
export const DATA_DIR_DROPPED_FILE = 'spool-dropped.json';

const NL = 0x0a;

export function spoolPaths(dataDir: string) {
  const dir = join(dataDir, SPOOL_DIR);
  return {
    dir,
    live: join(dir, SPOOL_FILE),
    draining: join(dir, DRAINING_FILE),
    rejected: join(dir, REJECTED_FILE),
    quarantined: join(dir, QUARANTINE_FILE),
    dropped: join(dir, DROPPED_FILE),
    inflight: join(dir, INFLIGHT_DIR),
  };
}

/**
 * The last-resort drop counter the handlers write when neither the spool folder nor the data
 * folder takes a write: `<tmp>/agent-monitor-<uid>/<data dir as a file name>.dropped.json`, in a
 * folder created 0700 by the same user (the handlers check the owner before using it).
 */
export function fallbackDropFile(dataDir: string, tmp = tmpdir()): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmp, `agent-monitor-${uid}`, `${fallbackKey(dataDir)}.dropped.json`);
}

/** The data folder as one file name; the handlers compute the same key by hand. */
export function fallbackKey(dataDir: string): string {
  const key = resolve(dataDir).replace(/[^A-Za-z0-9._-]/g, '_');
  return key.length > 120 ? key.slice(key.length - 120) : key;
}

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === code;
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return 0;
    throw e;
  }
}

export interface SpoolStatus {
  /** bytes waiting in the spool (live + draining) */
  pending: number;
  /** events the handlers could not spool (cap reached, or the spool unwritable), all counters summed */
  dropped: number;
  /** malformed lines kept in spool/rejected.jsonl */
  rejected: number;
  /** lines whose store failed for a reason of their own, kept in spool/quarantined.jsonl with it */
  quarantined: number;
  /** why handlers cannot write the spool (e.g. `spool` is a file, read-only folder), or null */
  unwritable: string | null;
}

function readDropCounter(file: string): number {
  try {
    const d = JSON.parse(readFileSync(file, 'utf8')) as { dropped?: unknown };
    if (typeof d.dropped === 'number' && Number.isFinite(d.dropped) && d.dropped > 0) return Math.floor(d.dropped);
  } catch {
    /* missing or malformed: none recorded */
  }
  return 0;
}

function countLines(file: string): number {
  try {
    const buf = readFileSync(file);
    let n = 0;
    for (let i = buf.indexOf(NL); i >= 0; i = buf.indexOf(NL, i + 1)) n++;
    return n;
  } catch {
    return 0;
  }
}

/**
 * Why a handler running as this user could not append to the spool, or null when it can. Checks
 * what the handlers do: the folder is a folder (or can be created), and a file can be created in
 * it. The probe file is removed at once.
 */
export function spoolWritableProblem(dataDir: string): string | null {
  const p = spoolPaths(dataDir);
  let st;
  try {
    st = statSync(p.dir);
  } catch (e) {
    if (!isErrno(e, 'ENOENT')) return `${p.dir} cannot be read (${(e as NodeJS.ErrnoException).code})`;
    try {
      mkdirSync(p.dir, { recursive: true, mode: 0o700 });
      st = statSync(p.dir);
    } catch (e2) {
      return `${p.dir} cannot be created (${(e2 as NodeJS.ErrnoException).code ?? (e2 as Error).message})`;
    }
  }
  if (!st.isDirectory()) return `${p.dir} is not a folder`;
  const probe = join(p.dir, `.probe-${process.pid}`);
  try {
    writeFileSync(probe, '', { mode: 0o600 });
    unlinkSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return null; // full, not unwritable: reported as a full disk
    return `${p.dir} is not writable (${code ?? (e as Error).message})`;
  }
  return null;
}

/** What the spool holds and what was lost on the way into it; never throws. */
export function spoolStatus(dataDir: string, opts: { tmp?: string; checkWritable?: boolean } = {}): SpoolStatus {
  const p = spoolPaths(dataDir);
  let pending = 0;
  for (const f of [p.live, p.draining]) {
    try {
      pending += fileSize(f);
    } catch {
      /* unreadable: not counted */
    }
  }
  const dropped =
    readDropCounter(p.dropped) + readDropCounter(join(dataDir, DATA_DIR_DROPPED_FILE)) + readDropCounter(fallbackDropFile(dataDir, opts.tmp));
  let unwritable: string | null = null;
  if (opts.checkWritable) {
    try {
      unwritable = spoolWritableProblem(dataDir);
    } catch (e) {
      unwritable = (e as Error).message;
    }
  }
  return { pending, dropped, rejected: countLines(p.rejected), quarantined: countLines(p.quarantined), unwritable };
}
