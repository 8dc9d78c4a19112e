/**
 * The persistent hook secret (docs/contracts.md "Claude Code over HTTP hooks"): what Claude Code's
 * `type: "http"` hook entries send as `Authorization: Bearer <secret>`. It lives in
 * `<dataDir>/hook-secret` (0600, in the 0700 data dir) and in the user's Claude settings.json,
 * which the installer keeps at 0600 while it holds the secret. The sidecar reads the same file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { HOOK_SECRET_FILE } from '../shared/runtime.js';
import { isErrno } from './json-config.js';

const SECRET_RE = /^[0-9a-f]{64}$/;

export function hookSecretPath({ dataDir }: { dataDir: string }): string {
  return path.join(path.resolve(dataDir), HOOK_SECRET_FILE);
}

/** Reads the secret, creating it (0600, exclusive) when missing; repairs a too-open mode. */
export async function ensureHookSecret({ dataDir }: { dataDir: string }): Promise<string> {
  const file = hookSecretPath({ dataDir });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const text = (await readFile(file, 'utf8')).trim();
      if (!SECRET_RE.test(text)) {
        throw new Error(`${file} does not hold a hook secret (64 hex characters). Delete it and turn Claude tracking on again; a new secret will be made.`);
      }
      const st = await stat(file);
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) await chmod(file, 0o600);
      return text;
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      const fh = await open(file, 'wx', 0o600);
      try {
        await fh.writeFile(`${randomBytes(32).toString('hex')}\n`);
      } finally {
        await fh.close();
      }
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error; // another installer won the race: read theirs
    }
  }
  throw new Error(`${file} could not be created.`);
}
