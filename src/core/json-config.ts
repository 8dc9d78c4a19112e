/**
 * Careful editing of JSON config files that belong to other programs (Claude Code's
 * settings.json, Codex's hooks.json): read → pure transform → skip when unchanged → atomic write
 * under a lock file, keeping the file's indentation, line endings, trailing newline, key order
 * and every key we do not own.
 *
 * Bad input never gets overwritten: invalid JSON, a non-object root, a read-only file or folder
 * each raise a ConfigFileError that names the file and the fix, and the file stays byte-for-byte
 * as it was.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';

export type JsonObject = { [key: string]: unknown };

export const CONFIG_ERROR_CODES = ['invalid-json', 'not-object', 'invalid-shape', 'read-only', 'locked', 'io'] as const;
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

export interface JsonFormat {
  /** '  ', '    ', '\t', … — what one nesting level looks like in the file. */
  indent: string;
  trailingNewline: boolean;
  eol: '\n' | '\r\n';
  bom: boolean;
}

export const DEFAULT_JSON_FORMAT: JsonFormat = { indent: '  ', trailingNewline: true, eol: '\n', bom: false };

export interface JsonConfigRead {
  path: string;
  exists: boolean;
  doc: JsonObject;
  /** The raw text, null when the file does not exist. */
  text: string | null;
  format: JsonFormat;
}

const NOTHING_CHANGED = 'nothing was changed';

/** Looks at the first indented line; a file with no indented line keeps the default. */
export function detectJsonFormat(text: string): JsonFormat {
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  const eol: '\n' | '\r\n' = body.includes('\r\n') ? '\r\n' : '\n';
  const trailingNewline = /\n$/.test(body);
  const m = /\n([ \t]+)\S/.exec(body);
  let indent = DEFAULT_JSON_FORMAT.indent;
  if (m?.[1]) indent = m[1].startsWith('\t') ? '\t' : ' '.repeat(m[1].length);
  return { indent, trailingNewline, eol, bom };
}

export function serializeJson(doc: unknown, format: JsonFormat = DEFAULT_JSON_FORMAT): string {
  let out = JSON.stringify(doc, null, format.indent);
  if (format.eol === '\r\n') out = out.replace(/\n/g, '\r\n');
  if (format.trailingNewline) out += format.eol;
  return (format.bom ? '\uFEFF' : '') + out;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Parses config text. Empty or whitespace-only text counts as `{}`: it holds nothing that could
 * be lost, and editors leave such files behind.
 */
export function parseJsonConfig({ path: filePath, text }: { path: string; text: string }): JsonObject {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const where = locateJsonError(body);
    // V8 says "… in JSON at position 12" or quotes the whole text ("…, "{…" is not valid JSON");
    // keep only the what, and give the where as a line and column.
    const detail = (error as Error).message
      .replace(/ in JSON at position \d+(?: \(line \d+ column \d+\))?$/, '')
      .replace(/, ".*" is not valid JSON$/s, '');
    const at = where ? ` at line ${where.line} column ${where.column}` : '';
    throw new ConfigFileError({
      code: 'invalid-json',
      path: filePath,
      message: `${filePath} is not valid JSON (${detail}${at}). Fix or remove it; ${NOTHING_CHANGED}.`,
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

/** Reads a config file: missing → `{}` with `exists: false`; anything unreadable throws. */
export async function readJsonConfig({ path: filePath }: { path: string }): Promise<JsonConfigRead> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return { path: filePath, exists: false, doc: {}, text: null, format: { ...DEFAULT_JSON_FORMAT } };
    throw new ConfigFileError({
      code: 'io',
      path: filePath,
      message: `${filePath} could not be read (${errText(error)}). Check its permissions; ${NOTHING_CHANGED}.`,
      cause: error,
    });
  }
  return { path: filePath, exists: true, doc: parseJsonConfig({ path: filePath, text }), text, format: detectJsonFormat(text) };
}

export interface EditJsonConfigOptions {
  path: string;
  /** Pure: gets a private deep copy of the document, returns the new one. May throw ConfigFileError. */
  transform: (doc: JsonObject) => JsonObject;
  /** How long to wait for another process's lock before giving up (default 10 s). */
  lockTimeoutMs?: number;
  /** Write the file without group/other permissions (it will hold a secret). */
  privateFile?: boolean;
}

export interface EditJsonConfigResult {
  path: string;
  changed: boolean;
  /** Whether the file existed before the edit. */
  existed: boolean;
}

/**
 * read → transform → write-if-changed. The first pass runs without the lock so that a no-op
 * (already installed, nothing to remove) never needs a writable folder; a real change is
 * recomputed under the lock from a fresh read so that concurrent editors lose nothing.
 */
export async function editJsonConfig({ path: givenPath, transform, lockTimeoutMs = 10_000, privateFile = false }: EditJsonConfigOptions): Promise<EditJsonConfigResult> {
  const filePath = await resolveTarget(path.resolve(givenPath));
  const first = await readJsonConfig({ path: filePath });
  const firstNext = transform(structuredClone(first.doc));
  if (isDeepStrictEqual(firstNext, first.doc)) return { path: filePath, changed: false, existed: first.exists };

  await assertWritable({ path: filePath, exists: first.exists });
  return withFileLock({ path: filePath, timeoutMs: lockTimeoutMs }, async () => {
    const cur = await readJsonConfig({ path: filePath });
    const next = transform(structuredClone(cur.doc));
    if (isDeepStrictEqual(next, cur.doc)) return { path: filePath, changed: false, existed: cur.exists };
    await assertWritable({ path: filePath, exists: cur.exists });
    let mode = cur.exists ? (await stat(filePath)).mode & 0o7777 : 0o644;
    // A file that will hold a secret is written 0600 from the start (never readable in between).
    if (privateFile) mode &= 0o7700;
    await writeFileAtomic({ path: filePath, data: serializeJson(next, cur.format), mode });
    return { path: filePath, changed: true, existed: cur.exists };
  });
}

/** A symlinked config (dotfile managers) is edited where it really lives, keeping the link. */
async function resolveTarget(filePath: string): Promise<string> {
  try {
    return await realpath(filePath);
  } catch {
    return filePath;
  }
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

/**
 * Temp file in the same folder → fsync → rename over the target → fsync the folder. A reader
 * sees the old or the new file, never half of one. Creates the folder when missing.
 */
export async function writeFileAtomic({ path: filePath, data, mode = 0o644 }: { path: string; data: string | Uint8Array; mode?: number }): Promise<void> {
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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
    await renameWithRetry(tmp, filePath);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    if (isErrno(error, 'EACCES') || isErrno(error, 'EPERM') || isErrno(error, 'EROFS')) {
      throw new ConfigFileError({
        code: 'read-only',
        path: filePath,
        message: `${filePath} could not be written (${errText(error)}). Make it and its folder writable and try again; ${NOTHING_CHANGED}.`,
        cause: error,
      });
    }
    throw ioError(filePath, error);
  }
  await fsyncDir(dir);
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

/**
 * Finds where JSON text first goes wrong, as 1-based line and column. V8's messages only
 * sometimes carry a position, and never a line; users need the line.
 */
export function locateJsonError(text: string): { line: number; column: number } | null {
  let i = 0;
  const fail = (): never => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- control flow: the offset is caught below, never escapes
    throw i;
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const lit = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const str = (): void => {
    if (text[i] !== '"') fail();
    i++;
    for (;;) {
      if (i >= text.length) fail();
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < ' ') fail();
      if (ch === '\\') {
        i++;
        const esc = text[i];
        if (esc === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail();
          i += 5;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i++;
        else fail();
      } else i++;
    }
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail();
      }
    } else if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail();
      }
    } else if (ch === '"') str();
    else if (ch === 't') lit('true');
    else if (ch === 'f') lit('false');
    else if (ch === 'n') lit('null');
    else num();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return null;
  } catch (pos) {
    if (typeof pos !== 'number') throw pos;
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - (before.lastIndexOf('\n') + 1) + 1;
    return { line, column };
  }
}
