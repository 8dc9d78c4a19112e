/**
 * Our entries in Claude Code's user settings, `<claudeConfigDir>/settings.json`
 * (docs/contracts.md "Claude Code hook configuration"). Everything else in that file belongs to the user.
 */
import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { CLAUDE_HTTP_HOOK_PATH } from '../shared/runtime.js';
import { applyHookEntries, commandEntryFor, findOurEntries, removeHookEntries, type EntryFor, type HookEntryLocation, type HookFamily } from './hook-entries.js';
import { editJsonConfig, readJsonConfig } from './json-config.js';

export const CLAUDE_HOOK_EVENTS = [
  'SessionStart',
  'SessionEnd',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'Stop',
  'SubagentStop',
  'Notification',
  'PreCompact',
  // Attention and failures (docs/contracts.md "Attention"): the handler only reports them, it
  // never answers (no stdout, exit 0), so Claude still asks the user.
  'PermissionRequest',
  'PermissionDenied',
  'PostToolUseFailure',
  'StopFailure',
  'Elicitation',
] as const;
export type ClaudeHookEvent = (typeof CLAUDE_HOOK_EVENTS)[number];

export const CLAUDE_HANDLER_FILE = 'hook-handler.js';

const TOOL_EVENTS: ReadonlySet<string> = new Set(['PreToolUse', 'PostToolUse', 'PermissionRequest', 'PermissionDenied', 'PostToolUseFailure']);

export const CLAUDE_HOOK_FAMILY: HookFamily = {
  label: 'Claude Code settings',
  handlerFileName: CLAUDE_HANDLER_FILE,
  events: CLAUDE_HOOK_EVENTS.map((event) => (TOOL_EVENTS.has(event) ? { event, matcher: '*' } : { event })),
  timeout: 5,
  isOurUrl: isOurClaudeHookUrl,
};

/** An `http` entry of ours: a loopback URL whose path is the sidecar's Claude hook route. */
export function isOurClaudeHookUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && u.hostname === '127.0.0.1' && u.pathname === CLAUDE_HTTP_HOOK_PATH;
  } catch {
    return false;
  }
}

export function claudeHookUrl(port: number): string {
  return `http://127.0.0.1:${port}${CLAUDE_HTTP_HOOK_PATH}`;
}

/**
 * Seconds Claude Code waits for the sidecar. It does not retry a failed HTTP hook; what a slow or
 * hung sidecar misses comes from the session files (docs/contracts.md "Claude session files").
 */
export const CLAUDE_HTTP_TIMEOUT_S = 1;

/**
 * Events Claude Code runs no HTTP hook for (2.1.197 skips them with "HTTP hooks are not supported
 * for SessionStart"): these keep the command hook. SessionStart runs once per session, not per tool call.
 */
export const CLAUDE_COMMAND_ONLY_EVENTS: ReadonlySet<string> = new Set(['SessionStart']);

/** The `type: "http"` entry: Claude Code POSTs the hook input itself, no process per event. */
export function claudeHttpEntryFor({ port, secret, handlerPath }: { port: number; secret: string; handlerPath: string }): EntryFor {
  if (!/^[0-9a-f]{64}$/.test(secret)) throw new Error('the hook secret must be 64 hex characters');
  const command = commandEntryFor(CLAUDE_HOOK_FAMILY, handlerPath);
  return (event) =>
    CLAUDE_COMMAND_ONLY_EVENTS.has(event)
      ? command(event)
      : { type: 'http', url: claudeHookUrl(port), headers: { Authorization: `Bearer ${secret}` }, timeout: CLAUDE_HTTP_TIMEOUT_S };
}

export interface HookFileResult {
  path: string;
  changed: boolean;
}

export function claudeSettingsPath({ claudeConfigDir }: { claudeConfigDir: string }): string {
  return path.join(path.resolve(claudeConfigDir), 'settings.json');
}

/**
 * Command entries running `handlerPath`, or — with `http` — `type: "http"` entries carrying the
 * hook secret. Then settings.json holds a secret, so it is written 0600 and a group/other
 * permission found on it later is taken away (and reported through `madePrivate`).
 */
export async function installClaudeHooks({ claudeConfigDir, handlerPath, http }: { claudeConfigDir: string; handlerPath: string; http?: { port: number; secret: string } }): Promise<HookFileResult & { madePrivate?: boolean }> {
  const filePath = claudeSettingsPath({ claudeConfigDir });
  const entryFor = http ? claudeHttpEntryFor({ ...http, handlerPath }) : undefined;
  const r = await editJsonConfig({
    path: filePath,
    privateFile: http !== undefined,
    transform: (doc) => applyHookEntries({ doc, family: CLAUDE_HOOK_FAMILY, handlerPath, entryFor, filePath }),
  });
  let madePrivate = false;
  if (http && process.platform !== 'win32') {
    const mode = (await stat(r.path)).mode & 0o7777;
    if ((mode & 0o077) !== 0) {
      await chmod(r.path, mode & 0o7700);
      madePrivate = true;
    }
  }
  return http ? { path: r.path, changed: r.changed || madePrivate, madePrivate } : { path: r.path, changed: r.changed };
}

export async function uninstallClaudeHooks({ claudeConfigDir }: { claudeConfigDir: string }): Promise<HookFileResult> {
  const filePath = claudeSettingsPath({ claudeConfigDir });
  const r = await editJsonConfig({ path: filePath, transform: (doc) => removeHookEntries({ doc, family: CLAUDE_HOOK_FAMILY }) });
  return { path: r.path, changed: r.changed };
}

/** Our entries as they are in the file now (empty when the file is missing). Throws on a bad file. */
export async function readClaudeHooks({ claudeConfigDir }: { claudeConfigDir: string }): Promise<{ path: string; exists: boolean; entries: HookEntryLocation[] }> {
  const r = await readJsonConfig({ path: claudeSettingsPath({ claudeConfigDir }) });
  return { path: r.path, exists: r.exists, entries: findOurEntries(r.doc, CLAUDE_HOOK_FAMILY) };
}
