/**
 * Stored-event vocabulary shared by the hook route (via gated patches) and the Codex rollout
 * importer: event names, sources, the canonical tool names and the one-line summary.
 * See docs/contracts.md "Stored events".
 */

export const HOOK_TYPES = {
  SessionStart: 'SessionStart',
  UserPromptSubmit: 'UserPromptSubmit',
  PreToolUse: 'PreToolUse',
  PostToolUse: 'PostToolUse',
  Stop: 'Stop',
  /** A turn that failed (Claude's StopFailure hook; a Codex rollout `error` event, e.g. an API error). */
  StopFailure: 'StopFailure',
} as const;
/** The hook types the rollout importer produces (hooks may deliver more). */
export type RolloutHookType = (typeof HOOK_TYPES)[keyof typeof HOOK_TYPES];

export const EVENT_SOURCES = { hook: 'hook', rollout: 'rollout' } as const;
export type EventSource = (typeof EVENT_SOURCES)[keyof typeof EVENT_SOURCES];
/** `seen_by` column values. */
export type SeenBy = EventSource | 'hook,rollout';

export const SESSION_STATUS = { active: 'active', waiting: 'waiting', completed: 'completed' } as const;
export type SessionStatus = (typeof SESSION_STATUS)[keyof typeof SESSION_STATUS];

export const HARNESS = { claude: 'claude', codex: 'codex' } as const;
export type Harness = (typeof HARNESS)[keyof typeof HARNESS];

/** Rollout tool names that the Codex hooks report as `Bash` (docs/contracts.md "Codex rollout lines"). */
const BASH_TOOL_NAMES: ReadonlySet<string> = new Set(['exec_command', 'shell', 'shell_command', 'local_shell_call']);

/**
 * The tool name as the hook names it, whatever the source: `exec_command`, `shell`,
 * `shell_command`, `local_shell_call` → `Bash`; an MCP tool given as `namespace` + `name` →
 * `mcp__<namespace>__<name>`; everything else unchanged.
 */
export function canonicalToolName(name: string, namespace?: string | null): string {
  if (namespace) {
    // A namespace that already carries the prefix (`mcp__srv`) must not get it twice.
    const ns = namespace.startsWith('mcp__') ? namespace.slice('mcp__'.length) : namespace;
    return `mcp__${ns}__${name}`;
  }
  return BASH_TOOL_NAMES.has(name) ? 'Bash' : name;
}

const SUMMARY_CHARS = 200;

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > SUMMARY_CHARS ? `${flat.slice(0, SUMMARY_CHARS - 1)}…` : flat;
}

function describeInput(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    for (const k of ['command', 'file_path', 'path', 'pattern', 'url', 'query', 'prompt', 'description']) {
      if (typeof o[k] === 'string') return o[k];
    }
    return JSON.stringify(input);
  }
  return '';
}

/** One-line text for the `summary` column, the same for hook and rollout rows of one event. */
export function summarizeEvent(hookType: string, data: Record<string, unknown>): string {
  const tool = typeof data.tool_name === 'string' ? data.tool_name : null;
  switch (hookType) {
    case HOOK_TYPES.SessionStart:
      return `Session started${typeof data.source === 'string' ? ` (${data.source})` : ''}`;
    case HOOK_TYPES.UserPromptSubmit:
      return oneLine(typeof data.prompt === 'string' ? data.prompt : '');
    case HOOK_TYPES.PreToolUse:
    case HOOK_TYPES.PostToolUse: {
      const detail = oneLine(describeInput(data.tool_input));
      return detail ? `${tool ?? 'tool'}: ${detail}` : (tool ?? 'tool');
    }
    case HOOK_TYPES.Stop:
      return typeof data.last_assistant_message === 'string' ? oneLine(data.last_assistant_message) : 'Stopped';
    // Attention and failures (docs/contracts.md "Attention").
    case 'PermissionRequest':
    case 'PermissionDenied':
    case 'PostToolUseFailure': {
      const detail = oneLine(describeInput(data.tool_input));
      return `${tool ?? 'tool'}${detail ? `: ${detail}` : ''}`;
    }
    case 'Notification':
    case 'Elicitation':
      return typeof data.message === 'string' && data.message ? oneLine(data.message) : hookType;
    case 'StopFailure':
      return typeof data.error === 'string' && data.error ? oneLine(data.error) : 'Turn failed';
    case 'Interrupt':
      return 'Interrupted by the user';
    default:
      return hookType;
  }
}
