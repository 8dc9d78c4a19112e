/**
 * Careful editing of JSON config files that belong to other programs (Claude Code's
 * settings.json, Codex's hooks.json): read → pure transform of the parsed value → only the keys
 * that changed are rewritten in the text (src/core/json-edit.ts) → compare-and-swap write under a
 * lock file. Every byte outside our keys stays as the user wrote it.
 *
 * Bad input never gets overwritten: invalid JSON, a non-object root, a read-only file or folder
 * each raise a ConfigFileError that names the file and the fix, and the file stays byte-for-byte
 * as it was.
 *
 * Other programs do not take our lock, and some rewrite the file in place (truncate, then write).
 * So nothing is ever derived from text that could be half-written: an empty file or one that
 * does not parse is read again until it settles, and an empty file that stays empty is refused
 * rather than treated as `{}`. The file must still hold exactly the bytes we read right before
 * ours replace it; otherwise the edit starts over from the new text. And if another program wrote
 * into the file we had read while our replacement was being put in place (so its write went to
 * the replaced file, not to the path), the edit is redone on top of what it wrote.
 */
import { constants as fsConstants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, chmod, lstat, mkdir, open, readFile, readlink, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { writeFile as atomicWriteFile } from 'atomically';
import { DuplicateKeyError, editJsonText, findJsonSyntaxError, stripBom } from './json-edit.js';

export type JsonObject = { [key: string]: unknown };

export const CONFIG_ERROR_CODES = ['invalid-json', 'not-object', 'invalid-shape', 'read-only', 'locked', 'io', 'empty', 'busy', 'dangling-link'] as const;
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/** Every failure of this module: `path` is the config file, the message ends with the fix. */
export class ConfigFileError extends Error {
  readonly code: ConfigErrorCode;
  readonly path: string;
  constructor({ code, path: filePath, message, cause }: { code: ConfigErrorCode; path: string; message: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ConfigFileError';
    this.code = code;
    this.path = filePath;
  }
}

export interface JsonConfigRead {
  path: string;
  exists: boolean;
  doc: JsonObject;
  /** The raw text, null when the file does not exist. */
  text: string | null;
}

const NOTHING_CHANGED = 'nothing was changed';

/** How a file we create looks: two-space indentation and a final newline, like `JSON.stringify`. */
export function serializeNewJson(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Parses config text as strict JSON (what Claude Code and Codex accept). Empty or
 * whitespace-only text is an error here: it holds nothing, and may be a file caught between
 * another program's truncate and write.
 */
export function parseJsonConfig({ path: filePath, text }: { path: string; text: string }): JsonObject {
  const body = stripBom(text);
  if (body.trim() === '') {
    throw new ConfigFileError({ code: 'empty', path: filePath, message: emptyMessage(filePath) });
  }
  const problem = findJsonSyntaxError(body);
  let value: unknown;
  try {
    if (problem) throw new SyntaxError(problem.what);
    value = JSON.parse(body);
  } catch (error) {
    // jsonc-parser gives the place; JSON.parse backs it up for anything the scanner lets through.
    const detail = problem ? `${problem.what} at line ${problem.line} column ${problem.column}` : (error as Error).message;
    throw new ConfigFileError({
      code: 'invalid-json',
      path: filePath,
      message: `${filePath} is not valid JSON (${detail}). Fix or remove it; ${NOTHING_CHANGED}.`,
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigFileError({
      code: 'not-object',
      path: filePath,
      message: `${filePath} must hold a JSON object at the top level, but it holds ${describeType(value)}. Fix or remove it; ${NOTHING_CHANGED}.`,
    });
  }
  return value as JsonObject;
}

function emptyMessage(filePath: string): string {
  return `${filePath} is empty. Another program may be rewriting it right now, so nothing was written (that could erase what it is about to save). If the file is meant to be empty, put {} in it or delete it, and try again; ${NOTHING_CHANGED}.`;
}

/** How long an empty or unparsable file is re-read, waiting for its writer to finish. */
export const SETTLE_MS = 1_000;

interface Snapshot {
  exists: boolean;
  /** null when missing. */
  text: string | null;
  /** `{}` when missing or empty. */
  doc: JsonObject;
  /** Still empty after SETTLE_MS: nothing may be derived from it. */
  empty: boolean;
  /** The inode that was read, open, so that a write into it after our read can be noticed. */
  handle: FileHandle | null;
  stamp: string | null;
}

async function stampOf(fh: FileHandle): Promise<string> {
  const st = await fh.stat({ bigint: true });
  // Not ctime: our own rename over the file changes its link count, and so its ctime.
  return `${st.ino}:${st.size}:${st.mtimeNs}`;
}

/**
 * Reads the file, or the already open `handle`, until its text can be trusted: an empty file is
 * re-read until `settleMs` has passed, an unparsable one until two reads in a row agree (a file
 * being written changes; a broken one does not). Throws for a broken file.
 */
async function readSettled(filePath: string, { settleMs, handle }: { settleMs: number; handle?: FileHandle }): Promise<Snapshot> {
  const deadline = Date.now() + settleMs;
  let lastBroken: string | null = null;
  for (let attempt = 0; ; attempt++) {
    let fh: FileHandle;
    if (handle) {
      fh = handle;
    } else {
      try {
        fh = await open(filePath, 'r');
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return { exists: false, text: null, doc: {}, empty: false, handle: null, stamp: null };
        throw readError(filePath, error);
      }
    }
    let keep = false;
    try {
      const stamp = await stampOf(fh);
      const text = await readWhole(fh);
      if (stripBom(text).trim() === '') {
        if (Date.now() >= deadline) {
          keep = true;
          return { exists: true, text, doc: {}, empty: true, handle: fh, stamp };
        }
      } else {
        try {
          const doc = parseJsonConfig({ path: filePath, text });
          keep = true;
          return { exists: true, text, doc, empty: false, handle: fh, stamp };
        } catch (error) {
          if (!(error instanceof ConfigFileError) || error.code !== 'invalid-json' || text === lastBroken || Date.now() >= deadline) throw error;
          lastBroken = text;
        }
      }
    } catch (error) {
      throw error instanceof ConfigFileError ? error : readError(filePath, error);
    } finally {
      if (!keep && !handle) await fh.close().catch(() => undefined);
    }
    await sleep(Math.min(5 * 2 ** attempt, 100));
  }
}

/** From the start whatever the handle's position (FileHandle.readFile reads on from it). */
async function readWhole(fh: FileHandle): Promise<string> {
  const chunks: Buffer[] = [];
  for (let pos = 0; ; ) {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function readError(filePath: string, error: unknown): ConfigFileError {
  return new ConfigFileError({
    code: 'io',
    path: filePath,
    message: `${filePath} could not be read (${errText(error)}). Check its permissions; ${NOTHING_CHANGED}.`,
    cause: error,
  });
}

/** Reads a config file: missing → `{}` with `exists: false`; empty → `{}`; anything unreadable throws. */
export async function readJsonConfig({ path: givenPath }: { path: string }): Promise<JsonConfigRead> {
  const filePath = await resolveTarget(path.resolve(givenPath));
  const snap = await readSettled(filePath, { settleMs: 200 });
  await snap.handle?.close();
  return { path: filePath, exists: snap.exists, doc: snap.doc, text: snap.text };
}

export interface EditJsonConfigOptions {
  path: string;
  /** Pure: gets a private deep copy of the document, returns the new one. May throw ConfigFileError. */
  transform: (doc: JsonObject) => JsonObject;
  /** How long to wait for another process's lock before giving up (default 10 s). */
  lockTimeoutMs?: number;
  /** How long an empty or half-written file is waited for (default SETTLE_MS). */
  settleMs?: number;
  /** Write the file without group/other permissions (it will hold a secret). */
  privateFile?: boolean;
}

export interface EditJsonConfigResult {
  path: string;
  changed: boolean;
  /** Whether the file existed before the edit. */
  existed: boolean;
}

/** Rounds of compare-and-swap before giving up on a file that keeps changing under us. */
export const MAX_SWAP_ATTEMPTS = 50;

/**
 * read → transform → write-if-changed. The first pass runs without the lock so that a no-op
 * (already installed, nothing to remove) never needs a writable folder; a real change is
 * recomputed under the lock from a fresh read so that concurrent editors lose nothing.
 */
export async function editJsonConfig({ path: givenPath, transform, lockTimeoutMs = 10_000, settleMs = SETTLE_MS, privateFile = false }: EditJsonConfigOptions): Promise<EditJsonConfigResult> {
  const filePath = await resolveTarget(path.resolve(givenPath));
  const first = await readSettled(filePath, { settleMs });
  await first.handle?.close();
  const firstNext = transform(structuredClone(first.doc));
  if (isDeepStrictEqual(firstNext, first.doc)) return { path: filePath, changed: false, existed: first.exists };
  if (first.empty) throw new ConfigFileError({ code: 'empty', path: filePath, message: emptyMessage(filePath) });

  await assertWritable({ path: filePath, exists: first.exists });
  return withFileLock({ path: filePath, timeoutMs: lockTimeoutMs }, async () => {
    let existed = first.exists;
    let wrote = false;
    // Changes another program wrote into the file we replaced (see recoverOvertaken).
    let lost: LostChanges | null = null;
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt++) {
      const cur = await readSettled(filePath, { settleMs });
      try {
        if (attempt === 0) existed = cur.exists;
        const input = lost ? reapplyLost(cur.doc, lost) : cur.doc;
        const next = transform(structuredClone(input));
        if (isDeepStrictEqual(next, cur.doc)) return { path: filePath, changed: wrote, existed };
        if (cur.empty) throw new ConfigFileError({ code: 'empty', path: filePath, message: emptyMessage(filePath) });
        await assertWritable({ path: filePath, exists: cur.exists });
        const data = cur.text === null ? serializeNewJson(next) : editText(filePath, cur.text, cur.doc, next);
        // Compare: the path must hold exactly what the edit was computed from…
        // Compare-and-swap: the path must hold exactly what the edit was computed from.
        let mode = cur.exists ? (await stat(filePath)).mode & 0o7777 : 0o644;
        // A file that will hold a secret is written 0600 from the start (never readable in between).
        if (privateFile) mode &= 0o7700;
        if (!(await swapIfUnchanged({ path: filePath, data, mode, expected: cur.text }))) {
          await sleep(backoff(attempt));
          continue;
        }
        wrote = true;
        // Did someone write into the file we had read after we read it? That write went to the
        // file we just replaced instead of the path: carry its changes over and go again.
        if (cur.handle && cur.stamp !== null && (await stampOf(cur.handle)) !== cur.stamp) {
          const orphan = await readSettled(filePath, { settleMs, handle: cur.handle });
          // Left empty (truncated, never written): there is nothing of theirs to carry over, and
          // an empty document must not be taken for "they deleted every key".
          if (!orphan.empty) lost = recordLost(lost, { read: cur.doc, theirs: orphan.doc, ours: next });
          continue;
        }
        return { path: filePath, changed: true, existed };
      } finally {
        await cur.handle?.close().catch(() => undefined);
      }
    }
    throw new ConfigFileError({
      code: 'busy',
      path: filePath,
      message: `${filePath} kept changing while we tried to update it (${MAX_SWAP_ATTEMPTS} attempts): another program is rewriting it. Close that program and try again; ${NOTHING_CHANGED}.`,
    });
  });
}

/**
 * Top-level keys another program changed in a file our write replaced: `changes` maps each to
 * its new value (undefined = deleted); `ours` is what we wrote, to tell whether a key has been
 * touched again since.
 */
interface LostChanges {
  changes: Map<string, unknown>;
  ours: JsonObject;
}

function recordLost(prev: LostChanges | null, { read, theirs, ours }: { read: JsonObject; theirs: JsonObject; ours: JsonObject }): LostChanges {
  const changes = new Map(prev?.changes);
  for (const key of new Set([...Object.keys(read), ...Object.keys(theirs)])) {
    if (!isDeepStrictEqual(read[key], theirs[key])) changes.set(key, theirs[key]);
  }
  return { changes, ours };
}

/**
 * Puts the lost changes back into what the path holds now, key by key, where that key still
 * holds what we wrote; a key changed again since keeps its newer value (a later write of the
 * same key supersedes the lost one).
 */
function reapplyLost(doc: JsonObject, lost: LostChanges): JsonObject {
  const out: JsonObject = { ...doc };
  for (const [key, value] of lost.changes) {
    if (!isDeepStrictEqual(doc[key], lost.ours[key])) continue;
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

/**
 * Writes `data` to a temp file next to the target and fsyncs it, then — only if the target still
 * holds `expected` (null: does not exist) — renames it over the target. The comparison sits right
 * before the rename so that the window in which another program's write could be replaced
 * unseen is two system calls wide. This is why config edits do not go through writeFileAtomic:
 * `atomically` has no step between "temp file durable" and "rename".
 */
async function swapIfUnchanged({ path: filePath, data, mode, expected }: { path: string; data: string; mode: number; expected: string | null }): Promise<boolean> {
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let renamed = false;
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode); // the umask may have narrowed the mode given to open()
    if ((await currentText(filePath)) !== expected) return false;
    await renameWithRetry(tmp, filePath);
    renamed = true;
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    throw writeError(filePath, error);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(dir);
  return true;
}

/** Windows refuses to rename over a file another process has open for a moment (EPERM/EBUSY). */
async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const transient = process.platform === 'win32' && (isErrno(error, 'EPERM') || isErrno(error, 'EBUSY') || isErrno(error, 'EACCES'));
      if (!transient || attempt >= 10) throw error;
      await sleep(20 + attempt * 20);
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // folders cannot be opened for fsync there
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Best effort: the rename is already done; some filesystems refuse fsync on a folder.
  }
}

function backoff(attempt: number): number {
  return Math.min(2 + attempt * 3, 50) + Math.floor(Math.random() * 5);
}

async function currentText(filePath: string): Promise<string | null> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw readError(filePath, error);
  }
}

function editText(filePath: string, text: string, before: JsonObject, after: JsonObject): string {
  try {
    return editJsonText({ text, before, after });
  } catch (error) {
    if (error instanceof DuplicateKeyError) {
      throw new ConfigFileError({ code: 'invalid-shape', path: filePath, message: `${filePath}: ${error.message}, so it is unclear which one counts. Remove the duplicate by hand; ${NOTHING_CHANGED}.` });
    }
    throw error;
  }
}

/**
 * A symlinked config (dotfile managers) is edited where it really lives, keeping the link. A
 * dangling link is written through, creating its target as any editor saving through it would,
 * when the target's folder exists; when it does not (an unmounted drive, a dotfiles checkout not
 * there yet) the edit is refused rather than replacing the link with a regular file.
 */
async function resolveTarget(filePath: string): Promise<string> {
  try {
    return await realpath(filePath);
  } catch (error) {
    if (!isErrno(error, 'ENOENT') && !isErrno(error, 'ELOOP')) return filePath;
  }
  let cur = filePath;
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = await lstat(cur);
    } catch {
      break; // `cur` does not exist: it is the file to create
    }
    if (!st.isSymbolicLink()) return cur;
    cur = path.resolve(path.dirname(cur), await readlink(cur));
  }
  if (cur === filePath) return filePath; // a plain missing file
  let dir: string;
  try {
    dir = await realpath(path.dirname(cur));
  } catch {
    throw new ConfigFileError({
      code: 'dangling-link',
      path: filePath,
      message: `${filePath} is a symbolic link to ${cur}, which does not exist, and neither does its folder ${path.dirname(cur)} (or the links loop). Create that folder, or fix or remove the link, and try again; ${NOTHING_CHANGED}.`,
    });
  }
  return path.join(dir, path.basename(cur));
}

/**
 * Refuses before anything is written. Tests (and some users) run as root, where chmod 0444 does
 * not stop a write, so a missing owner write bit counts as read-only whoever we are.
 */
export async function assertWritable({ path: filePath, exists }: { path: string; exists: boolean }): Promise<void> {
  if (exists) {
    const st = await stat(filePath);
    if ((st.mode & 0o200) === 0 || !(await canAccess(filePath, fsConstants.W_OK))) {
      throw new ConfigFileError({
        code: 'read-only',
        path: filePath,
        message: `${filePath} is read-only (mode ${modeText(st.mode)}). Make it writable (chmod u+w "${filePath}") and try again; ${NOTHING_CHANGED}.`,
      });
    }
  }
  // The nearest existing ancestor decides whether the folder (and the temp file) can be created.
  let dir = path.dirname(filePath);
  for (;;) {
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) {
        throw new ConfigFileError({ code: 'io', path: filePath, message: `${dir} is not a folder, so ${filePath} cannot be written. Move it away and try again; ${NOTHING_CHANGED}.` });
      }
      if ((st.mode & 0o200) === 0 || !(await canAccess(dir, fsConstants.W_OK))) {
        throw new ConfigFileError({
          code: 'read-only',
          path: filePath,
          message: `The folder ${dir} is read-only (mode ${modeText(st.mode)}), so ${filePath} cannot be updated. Make the folder writable (chmod u+w "${dir}") and try again; ${NOTHING_CHANGED}.`,
        });
      }
      return;
    } catch (error) {
      if (error instanceof ConfigFileError) throw error;
      if (!isErrno(error, 'ENOENT')) throw ioError(filePath, error);
      const parent = path.dirname(dir);
      if (parent === dir) return;
      dir = parent;
    }
  }
}

async function canAccess(p: string, mode: number): Promise<boolean> {
  try {
    await access(p, mode);
    return true;
  } catch {
    return false;
  }
}

function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** What a failed write of `filePath` means for the user: a read-only file or folder, or another I/O error. */
function writeError(filePath: string, error: unknown): ConfigFileError {
  if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM') || isErrno(error, 'EROFS')) {
    return new ConfigFileError({
      code: 'read-only',
      path: filePath,
      message: `${filePath} could not be written (${errText(error)}). Make it and its folder writable and try again; ${NOTHING_CHANGED}.`,
      cause: error,
    });
  }
  return ioError(filePath, error);
}

/**
 * The one atomic writer of the TypeScript side: `atomically` (temp file in the same folder,
 * fsync, rename; retries the transient errors Windows and busy disks give). A reader sees the old
 * or the new file, never half of one. Creates the folder when missing. Failures become
 * ConfigFileErrors that name the file.
 */
export async function writeFileAtomic({ path: filePath, data, mode = 0o644 }: { path: string; data: string | Uint8Array; mode?: number }): Promise<void> {
  try {
    await mkdir(path.dirname(filePath), { recursive: true });
    await atomicWriteFile(filePath, data, { mode, timeout: 1_000 });
  } catch (error) {
    throw writeError(filePath, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Lock file: `<file>.lock`, created with O_EXCL, holding {pid, host, createdAt}.

export interface LockInfo {
  pid: number;
  host: string;
  createdAt: number;
}

/** A lock older than this is stale whoever holds it: every critical section is milliseconds long. */
export const STALE_LOCK_MS = 15_000;

export async function withFileLock<T>({ path: filePath, timeoutMs = 10_000 }: { path: string; timeoutMs?: number }, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${filePath}.lock`;
  await mkdir(path.dirname(filePath), { recursive: true }).catch((error: unknown) => {
    throw ioError(filePath, error);
  });
  const deadline = Date.now() + timeoutMs;
  const mine: LockInfo = { pid: process.pid, host: hostname(), createdAt: Date.now() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      try {
        mine.createdAt = Date.now();
        await fh.writeFile(JSON.stringify(mine));
      } finally {
        await fh.close();
      }
      break;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) {
        if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM') || isErrno(error, 'EROFS')) {
          throw new ConfigFileError({ code: 'read-only', path: filePath, message: `The lock file ${lockPath} could not be created (${errText(error)}). Make ${path.dirname(filePath)} writable and try again; ${NOTHING_CHANGED}.`, cause: error });
        }
        throw ioError(filePath, error);
      }
      const held = await readLock(lockPath);
      if (held !== 'gone' && isStale(held)) {
        await removeStaleLock(lockPath, held);
        continue;
      }
      if (Date.now() >= deadline) {
        const who = held && held !== 'gone' ? `pid ${held.pid} on ${held.host}` : 'another process';
        throw new ConfigFileError({
          code: 'locked',
          path: filePath,
          message: `${filePath} is locked by ${who} (${lockPath}). If no other installer is running, remove the lock file and try again; ${NOTHING_CHANGED}.`,
        });
      }
      await sleep(5 + Math.floor(Math.random() * 20) + Math.min(attempt, 10) * 5);
    }
  }
  try {
    return await fn();
  } finally {
    // Only remove the lock if it is still ours (a stale-lock breaker may have replaced it).
    const held = await readLock(lockPath);
    if (held && held !== 'gone' && held.pid === mine.pid && held.host === mine.host && held.createdAt === mine.createdAt) {
      await unlink(lockPath).catch(() => undefined);
    }
  }
}

/** 'gone' = vanished meanwhile; null = unreadable/half-written (treated as held until it ages). */
async function readLock(lockPath: string): Promise<LockInfo | null | 'gone'> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath).then((s) => s.mtimeMs)]);
  } catch (error) {
    return isErrno(error, 'ENOENT') ? 'gone' : null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.createdAt === 'number') return v as LockInfo;
  } catch {
    // fall through: a holder that crashed between create and write, or is writing right now
  }
  return { pid: -1, host: '', createdAt: mtimeMs };
}

function isStale(held: LockInfo | null): boolean {
  if (!held) return false;
  if (Date.now() - held.createdAt > STALE_LOCK_MS) return true;
  if (held.pid > 0 && held.host === hostname()) return !pidAlive(held.pid);
  return false;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, 'EPERM'); // exists, owned by someone else
  }
}

async function removeStaleLock(lockPath: string, seen: LockInfo | null): Promise<void> {
  // Re-read right before removing so that we do not delete a fresh lock another breaker just made.
  const now = await readLock(lockPath);
  if (now === 'gone') return;
  if (!isDeepStrictEqual(now, seen)) return;
  await unlink(lockPath).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function errText(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string') return e.message;
  }
  return String(error);
}

function ioError(filePath: string, error: unknown): ConfigFileError {
  if (error instanceof ConfigFileError) return error;
  return new ConfigFileError({ code: 'io', path: filePath, message: `${filePath} could not be updated (${errText(error)}); ${NOTHING_CHANGED}.`, cause: error });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
