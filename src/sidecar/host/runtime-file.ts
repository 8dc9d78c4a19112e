// runtime.json tells hook handlers where the sidecar listens and which token to send.
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIME_CURL_FILE, RUNTIME_CURL_FIRST_LINE_PREFIX, RUNTIME_FILE, type RuntimeInfo } from '../../shared/runtime.js';


export const newToken = (): string => randomBytes(32).toString('hex');

export function runtimeFilePath(dataDir: string): string {
  return join(dataDir, RUNTIME_FILE);
}

/**
 * The same facts for the POSIX sh Codex handler (src/handlers/codex-hook.sh), as a curl config
 * file: curl reads the URL and the token from it, so the token is never on a command line and
 * the script parses no JSON. Its first line carries the pid for the stale-file check.
 */
export function runtimeCurlConfig(info: Pick<RuntimeInfo, 'port' | 'pid' | 'token'>): string {
  if (!/^[0-9a-f]+$/i.test(info.token)) throw new Error('the hook token must be hex');
  return (
    `${RUNTIME_CURL_FIRST_LINE_PREFIX}${info.pid}\n` +
    `url = "http://127.0.0.1:${info.port}/api/hooks/event"\n` +
    `header = "Authorization: Bearer ${info.token}"\n` +
    'header = "Content-Type: application/json"\n'
  );
}

function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT') throw err;
    // A full disk has no block for a new file, but one left by a sidecar that died still has its
    // own: overwrite it in place (not atomic; a reader that catches it half-written takes the
    // sidecar for down and spools, which is safe).
    overwriteInPlace(file, text);
  }
}

/** runtime.json and runtime-curl.conf, each written atomically with mode 0600. */
export function writeRuntimeFile(dataDir: string, info: RuntimeInfo & { version: 1 }): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writePrivate(join(dataDir, RUNTIME_CURL_FILE), runtimeCurlConfig(info));
  writePrivate(runtimeFilePath(dataDir), `${JSON.stringify(info, null, 2)}\n`);
}

function overwriteInPlace(file: string, text: string): void {
  const fd = openSync(file, 'r+'); // throws ENOENT when there is no old file to reuse
  try {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, off);
    ftruncateSync(fd, buf.length);
  } finally {
    closeSync(fd);
  }
}

/** Removes runtime.json only if it is ours, so a newer sidecar's file survives an old one stopping. */
export function removeRuntimeFile(dataDir: string, pid: number): void {
  const file = runtimeFilePath(dataDir);
  try {
    const current = JSON.parse(readFileSync(file, 'utf8')) as Partial<RuntimeInfo>;
    if (current.pid !== pid) return;
    rmSync(join(dataDir, RUNTIME_CURL_FILE), { force: true });
    rmSync(file, { force: true });
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}
