/**
 * Our entries in Codex's user hooks file, `<codexHome>/hooks.json` (docs/contracts.md "Codex hook configuration").
 * Codex ignores event keys it does not know, so the newer events are safe on older CLIs.
 */
import path from 'node:path';
import type { HookFileResult } from './claude-hooks.js';
import { applyHookEntries, findOurEntries, removeHookEntries, type HookEntryLocation, type HookFamily } from './hook-entries.js';
import { editJsonConfig, readJsonConfig } from './json-config.js';

export const CODEX_HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'Stop',
  'SubagentStart',
  'SubagentStop',
  'SessionEnd',
  'PreCompact',
  'PostCompact',
  // Attention (docs/contracts.md "Attention"): reported only, never answered, so Codex still asks.
  'PermissionRequest',
  'Interrupt',
] as const;
export type CodexHookEvent = (typeof CODEX_HOOK_EVENTS)[number];

export const CODEX_HANDLER_FILE = 'codex-hook-handler.js';
/** The POSIX sh + curl handler (src/handlers/codex-hook.sh), used where sh and curl are there. */
export const CODEX_SH_HANDLER_FILE = 'codex-hook.sh';

const MATCHERS: Partial<Record<CodexHookEvent, string>> = {
  SessionStart: 'startup|resume',
  PreToolUse: '*',
  PostToolUse: '*',
  PermissionRequest: '*',
};

export const CODEX_HOOK_FAMILY: HookFamily = {
  label: 'Codex hooks',
  handlerFileName: CODEX_HANDLER_FILE,
  altHandlerFileNames: [CODEX_SH_HANDLER_FILE],
  events: CODEX_HOOK_EVENTS.map((event) => {
    const matcher = MATCHERS[event];
    return matcher === undefined ? { event } : { event, matcher };
  }),
  // Seconds. Codex blocks the turn while a synchronous hook runs; the handler needs milliseconds.
  timeout: 5,
};

export function codexHooksJsonPath({ codexHome }: { codexHome: string }): string {
  return path.join(path.resolve(codexHome), 'hooks.json');
}

export async function installCodexHooks({ codexHome, handlerPath }: { codexHome: string; handlerPath: string }): Promise<HookFileResult> {
  const filePath = codexHooksJsonPath({ codexHome });
  const r = await editJsonConfig({ path: filePath, transform: (doc) => applyHookEntries({ doc, family: CODEX_HOOK_FAMILY, handlerPath, filePath }) });
  return { path: r.path, changed: r.changed };
}

export async function uninstallCodexHooks({ codexHome }: { codexHome: string }): Promise<HookFileResult> {
  const filePath = codexHooksJsonPath({ codexHome });
  const r = await editJsonConfig({ path: filePath, transform: (doc) => removeHookEntries({ doc, family: CODEX_HOOK_FAMILY }) });
  return { path: r.path, changed: r.changed };
}

export async function readCodexHooks({ codexHome }: { codexHome: string }): Promise<{ path: string; exists: boolean; entries: HookEntryLocation[] }> {
  const r = await readJsonConfig({ path: codexHooksJsonPath({ codexHome }) });
  return { path: r.path, exists: r.exists, entries: findOurEntries(r.doc, CODEX_HOOK_FAMILY) };
}
