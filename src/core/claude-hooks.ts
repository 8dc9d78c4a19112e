/**
 * Our entries in Claude Code's user settings, `<claudeConfigDir>/settings.json`
 * (docs/contracts.md "Claude Code hook configuration"). Everything else in that file belongs to the user.
 */
import path from 'node:path';
import { applyHookEntries, findOurEntries, removeHookEntries, type HookEntryLocation, type HookFamily } from './hook-entries.js';
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
] as const;
export type ClaudeHookEvent = (typeof CLAUDE_HOOK_EVENTS)[number];

export const CLAUDE_HANDLER_FILE = 'hook-handler.js';

const TOOL_EVENTS: ReadonlySet<string> = new Set(['PreToolUse', 'PostToolUse']);

export const CLAUDE_HOOK_FAMILY: HookFamily = {
  label: 'Claude Code settings',
  handlerFileName: CLAUDE_HANDLER_FILE,
  events: CLAUDE_HOOK_EVENTS.map((event) => (TOOL_EVENTS.has(event) ? { event, matcher: '*' } : { event })),
  timeout: 5,
};

export interface HookFileResult {
  path: string;
  changed: boolean;
}

export function claudeSettingsPath({ claudeConfigDir }: { claudeConfigDir: string }): string {
  return path.join(path.resolve(claudeConfigDir), 'settings.json');
}

export async function installClaudeHooks({ claudeConfigDir, handlerPath }: { claudeConfigDir: string; handlerPath: string }): Promise<HookFileResult> {
  const filePath = claudeSettingsPath({ claudeConfigDir });
  const r = await editJsonConfig({ path: filePath, transform: (doc) => applyHookEntries({ doc, family: CLAUDE_HOOK_FAMILY, handlerPath, filePath }) });
  return { path: r.path, changed: r.changed };
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
