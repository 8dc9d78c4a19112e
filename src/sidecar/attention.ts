/**
 * Which sessions wait on the user, and on what (docs/contracts.md "Attention").
 *
 * Opened by hooks that mean "the agent is blocked on a person":
 *  - Claude `PermissionRequest` (an approval dialog), `Elicitation` (an MCP server asks a
 *    question), `Notification` with `notification_type` `permission_prompt`, `elicitation_dialog`
 *    or `idle_prompt`;
 *  - Codex `PermissionRequest` (no `tool_use_id`: it is tied to its session and `turn_id`).
 * Cleared by the session's next event that proves it moved on:
 *  - the tool call ran or was refused: `PostToolUse` / `PostToolUseFailure` / `PermissionDenied`
 *    of that call (Claude: by the call id of the `PreToolUse` that preceded the request; Codex:
 *    same turn and tool), or a `PreToolUse` of another call (the agent went on to something else);
 *  - the turn ended or was interrupted, or a new prompt came: `Stop`, `StopFailure`, `Interrupt`,
 *    `UserPromptSubmit`, `SessionEnd` clear everything open in the session;
 *  - a question or an idle prompt also clears on any tool activity.
 *
 * Runs inside the hook post's write transaction, for every post — also a duplicate one, because
 * the rollout importer may have stored the clearing event (a Codex Stop) first. Only a newly
 * stored event opens a request (a re-delivered PermissionRequest is the same request).
 */
import type Database from 'better-sqlite3';
import { hookSessionId } from '../shared/dedup.js';

export type AttentionKind = 'approval' | 'question' | 'input';

/** `sessions.needs_you`, parsed: the oldest open request, and how many are open. */
export interface NeedsYou {
  /** attention_requests.id of the oldest open request: stable, one notification per key. */
  key: number;
  kind: AttentionKind;
  tool: string | null;
  detail: string;
  since: string;
  count: number;
}

interface OpenRequest {
  id: number;
  kind: AttentionKind;
  tool_name: string | null;
  call_id: string | null;
  turn_id: string | null;
  detail: string;
  created_at: string;
}

const DETAIL_CHARS = 500;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > DETAIL_CHARS ? `${flat.slice(0, DETAIL_CHARS - 1)}…` : flat;
}

/** What a tool call would do, in one line: the command, the path, else the input as JSON. */
export function describeToolInput(input: unknown): string {
  if (typeof input === 'string') return clip(input);
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    for (const k of ['command', 'file_path', 'path', 'url', 'pattern', 'query', 'description']) {
      const v = o[k];
      if (typeof v === 'string' && v) return clip(v);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return clip(v.join(' '));
    }
    return clip(JSON.stringify(input));
  }
  return '';
}

interface Statements {
  open: Database.Statement;
  insert: Database.Statement;
  clear: Database.Statement;
  latestPre: Database.Statement;
  setNeedsYou: Database.Statement;
}

const cache = new WeakMap<Database.Database, Statements>();

function statements(db: Database.Database): Statements {
  let s = cache.get(db);
  if (!s) {
    s = {
      open: db.prepare('SELECT id, kind, tool_name, call_id, turn_id, detail, created_at FROM attention_requests WHERE session_id = ? AND cleared_at IS NULL ORDER BY id'),
      insert: db.prepare(`INSERT INTO attention_requests (session_id, kind, tool_name, call_id, turn_id, detail, source_hook, created_at)
                          VALUES (@session_id, @kind, @tool_name, @call_id, @turn_id, @detail, @source_hook, @created_at)`),
      clear: db.prepare('UPDATE attention_requests SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL'),
      // The call a Claude PermissionRequest is about: the newest PreToolUse of that tool with the
      // same input and no PostToolUse yet (Claude runs PreToolUse hooks before it asks).
      latestPre: db.prepare(`SELECT json_extract(p.data, '$.tool_use_id') AS call_id, json_extract(p.data, '$.tool_input') AS input
                               FROM events p
                              WHERE p.session_id = ? AND p.hook_type = 'PreToolUse' AND p.tool_name IS ?
                                AND NOT EXISTS (SELECT 1 FROM events q WHERE q.session_id = p.session_id
                                                 AND q.dedup_key = 'post:' || json_extract(p.data, '$.tool_use_id'))
                              ORDER BY p.id DESC LIMIT 20`),
      setNeedsYou: db.prepare('UPDATE sessions SET needs_you = ? WHERE id = ? AND needs_you IS NOT ?'),
    };
    cache.set(db, s);
  }
  return s;
}

function sameJson(a: unknown, text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    return JSON.stringify(a) === JSON.stringify(JSON.parse(text));
  } catch {
    return false;
  }
}

/** Opening: which request this hook means, or null. */
function opening(hookType: string, data: Record<string, unknown>): { kind: AttentionKind; tool: string | null; detail: string } | null {
  const tool = str(data.tool_name);
  switch (hookType) {
    case 'PermissionRequest':
      return { kind: 'approval', tool, detail: describeToolInput(data.tool_input) || (tool ?? 'a tool call') };
    case 'Elicitation': {
      const server = str(data.mcp_server_name);
      const message = str(data.message) ?? 'a question';
      return { kind: 'question', tool: server, detail: clip(message) };
    }
    case 'Notification': {
      const message = clip(str(data.message) ?? '');
      switch (data.notification_type) {
        case 'permission_prompt':
          return { kind: 'approval', tool: null, detail: message || 'permission needed' };
        case 'elicitation_dialog':
          return { kind: 'question', tool: null, detail: message || 'a question' };
        case 'idle_prompt':
          return { kind: 'input', tool: null, detail: message || 'waiting for your input' };
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

const TURN_OVER = new Set(['Stop', 'StopFailure', 'Interrupt', 'UserPromptSubmit', 'SessionEnd']);
const CALL_DONE = new Set(['PostToolUse', 'PostToolUseFailure', 'PermissionDenied']);

/** Which open requests this event clears. */
function cleared(hookType: string, data: Record<string, unknown>, open: OpenRequest[]): OpenRequest[] {
  if (TURN_OVER.has(hookType)) return open;
  const isTool = hookType === 'PreToolUse' || CALL_DONE.has(hookType);
  if (!isTool) return [];
  const callId = str(data.tool_use_id);
  const turnId = str(data.turn_id);
  const tool = str(data.tool_name);
  const out: OpenRequest[] = [];
  for (const r of open) {
    if (r.kind !== 'approval') {
      out.push(r); // tool activity: the question was answered / the user is back
      continue;
    }
    if (hookType === 'PreToolUse') {
      // A call other than the one asked about started: the agent moved on (a Claude PreToolUse
      // of the very call comes before its request, never after).
      if (r.call_id === null || r.call_id !== callId) out.push(r);
      continue;
    }
    // Post / failure / denial of a call.
    if (r.call_id !== null) {
      if (r.call_id === callId) out.push(r);
    } else if (r.turn_id !== null) {
      if (r.turn_id === turnId && (r.tool_name === null || r.tool_name === tool)) out.push(r);
    } else if (r.tool_name === null || r.tool_name === tool) {
      out.push(r);
    }
  }
  return out;
}

function needsYouValue(open: OpenRequest[]): string | null {
  const first = open[0];
  if (!first) return null;
  const value: NeedsYou = { key: first.id, kind: first.kind, tool: first.tool_name, detail: first.detail, since: first.created_at, count: open.length };
  return JSON.stringify(value);
}

/**
 * Applies one hook post to the attention state. Returns the session id when its `needs_you`
 * changed (the caller announces the session), else null.
 */
export function trackAttention(db: Database.Database, hookType: string, data: Record<string, unknown>, at: string, stored: boolean): string | null {
  const sessionId = hookSessionId(data) ?? 'unknown';
  const s = statements(db);
  let open = s.open.all(sessionId) as OpenRequest[];
  let changed = false;

  const toClear = open.length ? cleared(hookType, data, open) : [];
  for (const r of toClear) changed = s.clear.run(at, hookType, r.id).changes > 0 || changed;
  if (toClear.length) open = open.filter((r) => !toClear.includes(r));

  const want = stored ? opening(hookType, data) : null;
  if (want) {
    const turnId = str(data.turn_id);
    // A Notification repeats what a PermissionRequest / Elicitation already opened.
    const duplicate = hookType === 'Notification' && open.some((r) => r.kind === want.kind);
    if (!duplicate) {
      let callId: string | null = null;
      if (hookType === 'PermissionRequest' && data.__provider !== 'codex') {
        const candidates = s.latestPre.all(sessionId, want.tool) as Array<{ call_id: string | null; input: unknown }>;
        callId = candidates.find((c) => sameJson(data.tool_input, c.input))?.call_id ?? null;
      }
      s.insert.run({ session_id: sessionId, kind: want.kind, tool_name: want.tool, call_id: callId, turn_id: turnId, detail: want.detail, source_hook: hookType, created_at: at });
      open = s.open.all(sessionId) as OpenRequest[];
      changed = true;
    }
  }
  if (!changed) return null;
  s.setNeedsYou.run(needsYouValue(open), sessionId, needsYouValue(open));
  return sessionId;
}
