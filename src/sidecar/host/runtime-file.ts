// runtime.json tells hook handlers where the sidecar listens and which token to send.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIME_FILE, type RuntimeInfo } from '../../shared/runtime.js';


export const newToken = (): string => randomBytes(32).toString('hex');

export function runtimeFilePath(dataDir: string): string {
  return join(dataDir, RUNTIME_FILE);
}

export function writeRuntimeFile(dataDir: string, info: RuntimeInfo & { version: 1 }): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = runtimeFilePath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Removes runtime.json only if it is ours, so a newer sidecar's file survives an old one stopping. */
export function removeRuntimeFile(dataDir: string, pid: number): void {
  const file = runtimeFilePath(dataDir);
  try {
    const current = JSON.parse(readFileSync(file, 'utf8')) as Partial<RuntimeInfo>;
    if (current.pid !== pid) return;
    rmSync(file, { force: true });
  } catch {
    // Missing or unreadable: nothing of ours to remove.
  }
}
