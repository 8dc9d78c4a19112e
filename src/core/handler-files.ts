/**
 * The hook commands point at copies of the handler scripts inside the data folder, so hooks keep
 * working when the app is moved or updated. A copy is rewritten only when its bytes differ.
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CLAUDE_HANDLER_FILE } from './claude-hooks.js';
import { CODEX_HANDLER_FILE, CODEX_SH_HANDLER_FILE } from './codex-hooks.js';
import { isErrno, writeFileAtomic } from './json-config.js';

export const HANDLER_MODE = 0o755;

export interface HandlerFileResult {
  path: string;
  changed: boolean;
}

export function hooksDir({ dataDir }: { dataDir: string }): string {
  return path.join(path.resolve(dataDir), 'hooks');
}

export function claudeHandlerPath({ dataDir }: { dataDir: string }): string {
  return path.join(hooksDir({ dataDir }), CLAUDE_HANDLER_FILE);
}

export function codexHandlerPath({ dataDir }: { dataDir: string }): string {
  return path.join(hooksDir({ dataDir }), CODEX_HANDLER_FILE);
}

export function codexShHandlerPath({ dataDir }: { dataDir: string }): string {
  return path.join(hooksDir({ dataDir }), CODEX_SH_HANDLER_FILE);
}

/** The sh handler ships next to the Node one (build/agent-monitor/scripts/, src/handlers/). */
export function codexShHandlerSource(codexNodeHandlerSource: string): string {
  return path.join(path.dirname(codexNodeHandlerSource), CODEX_SH_HANDLER_FILE);
}

/** Copies `source` to `target` (atomic, mode 0755) unless the bytes are already the same. */
export async function installHandlerFile({ source, target }: { source: string; target: string }): Promise<HandlerFileResult> {
  let data: Buffer;
  try {
    data = await readFile(source);
  } catch (error) {
    throw new Error(`The hook handler source ${source} could not be read (${(error as Error).message}). Rebuild the app (npm run build) and try again.`, { cause: error });
  }
  let current: Buffer | null = null;
  try {
    current = await readFile(target);
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error;
  }
  if (current !== null && current.equals(data)) {
    if (process.platform !== 'win32' && ((await stat(target)).mode & 0o777) !== HANDLER_MODE) await chmod(target, HANDLER_MODE);
    return { path: target, changed: false };
  }
  await writeFileAtomic({ path: target, data, mode: HANDLER_MODE });
  return { path: target, changed: true };
}

export async function installClaudeHandler({ dataDir, source }: { dataDir: string; source: string }): Promise<HandlerFileResult> {
  return installHandlerFile({ source, target: claudeHandlerPath({ dataDir }) });
}

export async function installCodexHandler({ dataDir, source }: { dataDir: string; source: string }): Promise<HandlerFileResult> {
  return installHandlerFile({ source, target: codexHandlerPath({ dataDir }) });
}

export async function installHandlerFiles({ dataDir, claudeHandlerSource, codexHandlerSource }: { dataDir: string; claudeHandlerSource: string; codexHandlerSource: string }): Promise<{ claude: HandlerFileResult; codex: HandlerFileResult }> {
  const claude = await installClaudeHandler({ dataDir, source: claudeHandlerSource });
  const codex = await installCodexHandler({ dataDir, source: codexHandlerSource });
  return { claude, codex };
}
