/**
 * The timeline's row shape (docs/contracts.md "Timeline rows"): a stored event plus the facts the
 * dashboard needs to pair and colour it, computed from the event's `data` once on the server —
 * for API pages and for live `new_event` frames alike.
 */
import type { SourceReadBack } from './source-readback.js';

export interface TimelineRow {
  id: number;
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  summary: string | null;
  created_at: string;
  source: string | null;
  seen_by: string | null;
  /** The tool call id (`tool_use_id` / rollout `call_id`): pairs PreToolUse with PostToolUse. */
  call_id: string | null;
  turn_id: string | null;
  /** Why this event is a failure, or null: the dashboard marks these rows. */
  failure: string | null;
  exit_code: number | null;
  /** The tool's own duration when the agent reports it (Claude `duration_ms`). */
  duration_ms: number | null;
  /** Prompt / final message / notification text, clipped (the full event is GET /api/events/:id). */
  text: string | null;
}

/** GET /api/events/:id: the row plus the event's full `data`. */
export interface EventDetail extends TimelineRow {
  data: Record<string, unknown>;
  /** For a history row whose long fields were cut at import: reading them back from the file (src/sidecar/host/source-readback.ts). */
  readBack?: SourceReadBack | null;
}

export const ROW_TEXT_CHARS = 4000;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function clip(text: string | null): string | null {
  if (text === null) return null;
  return text.length > ROW_TEXT_CHARS ? `${text.slice(0, ROW_TEXT_CHARS - 1)}…` : text;
}

/** A shell exit code reported in a tool response: a number field, or Codex's text forms. */
export function exitCodeOf(response: unknown): number | null {
  if (response && typeof response === 'object') {
    const o = response as Record<string, unknown>;
    for (const k of ['exit_code', 'exitCode', 'returncode']) {
      const v = o[k];
      if (typeof v === 'number') return v;
    }
    return null;
  }
  if (typeof response === 'string') {
    const m = /(?:exit code|exited with code|exit status)[:\s]+(-?\d+)/i.exec(response.slice(0, 2000));
    if (m) return Number(m[1]);
  }
  return null;
}

export function failureOf(hookType: string, data: Record<string, unknown>, exitCode: number | null): string | null {
  switch (hookType) {
    case 'PostToolUseFailure':
      return data.is_interrupt === true ? 'interrupted' : (str(data.error) ?? 'tool failed');
    case 'PermissionDenied':
      return `denied${str(data.reason) ? `: ${str(data.reason)}` : ''}`;
    case 'StopFailure':
      return str(data.error) ?? 'turn failed';
    case 'Interrupt':
      return 'interrupted by the user';
    case 'Stop':
      if (data.turn_aborted === true) return `turn aborted${str(data.reason) ? ` (${str(data.reason)})` : ''}`;
      if (str(data.api_error)) return str(data.api_error);
      return null;
    case 'PostToolUse': {
      if (exitCode !== null && exitCode !== 0) return `exit code ${exitCode}`;
      const r = data.tool_response;
      if (r && typeof r === 'object') {
        const o = r as Record<string, unknown>;
        if (o.interrupted === true) return 'interrupted';
        if (o.is_error === true || o.isError === true) return str(o.error) ?? 'tool error';
      }
      return null;
    }
    default:
      return null;
  }
}

function textOf(hookType: string, data: Record<string, unknown>): string | null {
  switch (hookType) {
    case 'UserPromptSubmit':
      return str(data.prompt);
    case 'Stop':
    case 'SubagentStop':
    case 'StopFailure':
      return str(data.last_assistant_message) ?? str(data.error);
    case 'Notification':
    case 'Elicitation':
      return str(data.message);
    default:
      return null;
  }
}

export interface StoredRow {
  id: number;
  session_id: string;
  hook_type: string;
  tool_name?: string | null;
  summary?: string | null;
  created_at: string;
  source?: string | null;
  seen_by?: string | null;
}

export function parseData(raw: unknown): Record<string, unknown> {
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, unknown>;
  if (typeof raw !== 'string') return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function timelineRow(row: StoredRow, data: Record<string, unknown>): TimelineRow {
  const exit = row.hook_type === 'PostToolUse' ? exitCodeOf(data.tool_response) : null;
  return {
    id: row.id,
    session_id: row.session_id,
    hook_type: row.hook_type,
    tool_name: row.tool_name ?? null,
    summary: row.summary ?? null,
    created_at: row.created_at,
    source: row.source ?? null,
    seen_by: row.seen_by ?? null,
    call_id: str(data.tool_use_id),
    turn_id: str(data.turn_id),
    failure: failureOf(row.hook_type, data, exit),
    exit_code: exit,
    duration_ms: typeof data.duration_ms === 'number' ? data.duration_ms : null,
    text: clip(textOf(row.hook_type, data)),
  };
}
