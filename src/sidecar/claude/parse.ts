/**
 * Pure mapping of Claude Code transcript lines (`<claude config dir>/projects/<project>/<session>.jsonl`
 * and subagent files `<session>/subagents/agent-<id>.jsonl`) to what the importer stores:
 * usage records (one per assistant message), hook-shaped events sharing the hooks' dedup keys,
 * and session facts. No I/O, no DB. docs/contracts.md "Token accounting" and "Dedup keys".
 *
 * - An assistant message is written on several lines when it has several content blocks, each
 *   line repeating `message.id`, `requestId` and the same `usage`: its usage key
 *   `claude:<message.id>:<requestId>` makes it count once, wherever it is seen.
 * - Sidechain lines (`isSidechain: true` with an `agentId`) spend tokens in the subagent's own
 *   session (id = `agentId`, parent = `sessionId`); their tool events stay under the parent session,
 *   where the Claude hooks (which name the parent `session_id`) put them.
 * - Every event a main-session line stands for is the hook input its hook would have carried
 *   (SessionStart, UserPromptSubmit, Pre/PostToolUse, Stop; docs/contracts.md "Claude session
 *   files"), under the key hookDedupKey gives that input, so a hook post and the file make one row.
 */
import { dedupKeys, hookDedupKey } from '../../shared/dedup.js';
import { HOOK_TYPES, SESSION_STATUS, type SessionStatus } from '../../shared/events.js';
import type { UsageRecord, UsageStateRecord } from '../usage/records.js';

type Obj = Record<string, unknown>;

export interface ClaudeParserState {
  v: 1;
  /** Main session of the file (the lines' `sessionId`). */
  sessionId: string | null;
  /** Set for a subagent file / sidechain lines: the subagent's session id. */
  agentId: string | null;
  cwd: string | null;
  promptId: string | null;
  model: string | null;
  /** tool_use id → name/input, so a tool_result is shaped like the PostToolUse hook. */
  pending: Record<string, { tool_name: string; tool_input: unknown }>;
  /** The subagent's first prompt was seen (it names the child session). */
  agentNamed: boolean;
  /** The file's first main-session line was seen (it stands for the `startup` SessionStart). */
  started?: boolean;
  /** Last model of the subagent's lines. */
  agentModel?: string | null;
  /** Usage key of the previous assistant line. */
  lastUsageKey?: string | null;
}

const MAX_PENDING = 256;

export function initialClaudeState(): ClaudeParserState {
  return { v: 1, sessionId: null, agentId: null, cwd: null, promptId: null, model: null, pending: {}, agentNamed: false };
}

export interface ClaudeSessionRecord {
  kind: 'session';
  sessionId: string;
  parentSessionId: string | null;
  startedAt: string;
  cwd: string | null;
  transcriptPath: string;
  name: string | null;
}

export interface ClaudeModelRecord {
  kind: 'model';
  sessionId: string;
  model: string;
}

export interface ClaudeEventRecord {
  kind: 'event';
  sessionId: string;
  hookType: string;
  toolName: string | null;
  dedupKey: string;
  createdAt: string;
  data: Obj;
  status: SessionStatus | null;
}

export interface ClaudeStatusRecord {
  kind: 'status';
  sessionId: string;
  at: string;
  status: SessionStatus;
}

export type ClaudeRecord = ClaudeStatusRecord | ClaudeSessionRecord | ClaudeModelRecord | ClaudeEventRecord | UsageRecord | UsageStateRecord;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function remember(state: ClaudeParserState, id: string, name: string, input: unknown): void {
  state.pending[id] = { tool_name: name, tool_input: input };
  const keys = Object.keys(state.pending);
  if (keys.length > MAX_PENDING) delete state.pending[keys[0]!];
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => (isObj(c) && typeof c.text === 'string' ? c.text : '')).join('\n');
  return content === undefined || content === null ? '' : JSON.stringify(content);
}

/** The prompt text of a user line, or null when it is not a typed prompt (tool results, meta). */
function promptText(message: Obj): string | null {
  const c = message.content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c) || c.length === 0) return null;
  if (c.some((b) => isObj(b) && b.type === 'tool_result')) return null;
  const texts = c.filter((b): b is Obj => isObj(b) && b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string);
  return texts.length > 0 ? texts.join('\n') : null;
}

/**
 * Map one parsed transcript line. Mutates `state`. `offset` is the line's byte offset. `lean`: the
 * history import's summary phase (src/sidecar/tail-import.ts ImportPhase), which stores no timeline
 * rows — event records then carry only their session, time and status (empty data, no key).
 */
export function parseClaudeLine(state: ClaudeParserState, value: unknown, file: string, offset: number, lean = false): ClaudeRecord[] {
  if (!isObj(value)) return [];
  const type = value.type;
  if (type !== 'user' && type !== 'assistant') return [];
  const sessionId = str(value.sessionId) ?? state.sessionId;
  if (!sessionId) return [];
  const out: ClaudeRecord[] = [];
  const at = str(value.timestamp) ?? new Date(0).toISOString();
  const sidechainAgent = value.isSidechain === true ? str(value.agentId) ?? state.agentId : null;
  if (state.sessionId !== sessionId || (sidechainAgent && state.agentId !== sidechainAgent)) {
    state.sessionId = sessionId;
    state.cwd = str(value.cwd) ?? state.cwd;
    if (sidechainAgent) state.agentId = sidechainAgent;
    out.push({ kind: 'session', sessionId, parentSessionId: null, startedAt: at, cwd: state.cwd, transcriptPath: file, name: null });
  }
  state.cwd = str(value.cwd) ?? state.cwd;
  const spender = sidechainAgent ?? sessionId;
  if (sidechainAgent && out.length > 0) {
    out.push({ kind: 'session', sessionId: sidechainAgent, parentSessionId: sessionId, startedAt: at, cwd: state.cwd, transcriptPath: file, name: null });
  }
  const message = isObj(value.message) ? value.message : null;
  if (!message) return out;
  const base = (hookType: string): Obj => {
    if (lean) return {};
    const d: Obj = { session_id: sessionId, transcript_path: file, hook_event_name: hookType };
    if (state.cwd) d.cwd = state.cwd;
    if (sidechainAgent) d.agent_id = sidechainAgent;
    // The line's place for the detail route's read-back; the file is `transcript_path` above.
    d.__transcript = { offset };
    return d;
  };

  if (type === 'user' && value.isMeta === true) return out;
  if (!sidechainAgent && !state.started) {
    // The session's first line: what its `startup` SessionStart hook stands for (same key).
    state.started = true;
    const data = base(HOOK_TYPES.SessionStart);
    data.source = 'startup';
    const key = lean ? '' : hookDedupKey(HOOK_TYPES.SessionStart, data);
    if (key !== null) out.push({ kind: 'event', sessionId, hookType: HOOK_TYPES.SessionStart, toolName: null, dedupKey: key, createdAt: at, data, status: SESSION_STATUS.active });
  }

  if (type === 'user') {
    const promptId = str(value.promptId);
    const text = promptText(message);
    if (text !== null) {
      if (sidechainAgent) {
        // A subagent's first "prompt" is the task its parent gave it: it names the child session.
        if (!state.agentNamed) {
          state.agentNamed = true;
          out.push({ kind: 'session', sessionId: sidechainAgent, parentSessionId: sessionId, startedAt: at, cwd: state.cwd, transcriptPath: file, name: clip(text, 80) });
        }
        return out;
      }
      // One UserPromptSubmit per prompt: a later text line of the same turn (same promptId) is not
      // a prompt the user submitted, and no hook fired for it.
      if (promptId && promptId === state.promptId) return out;
      if (promptId) state.promptId = promptId;
      const data = base(HOOK_TYPES.UserPromptSubmit);
      if (promptId) data.prompt_id = promptId;
      data.prompt = text;
      // Without a promptId (older CLIs) no hook input shares an id with the line: keyed by its offset.
      const key = lean ? '' : (promptId ? hookDedupKey(HOOK_TYPES.UserPromptSubmit, data) : null) ?? dedupKeys.line(offset);
      out.push({ kind: 'event', sessionId, hookType: HOOK_TYPES.UserPromptSubmit, toolName: null, dedupKey: key, createdAt: at, data, status: SESSION_STATUS.active });
      return out;
    }
    if (promptId && !sidechainAgent) state.promptId = promptId;
    if (Array.isArray(message.content)) {
      for (const b of message.content) {
        if (!isObj(b) || b.type !== 'tool_result') continue;
        const id = str(b.tool_use_id);
        if (!id) continue;
        const call = state.pending[id];
        delete state.pending[id];
        const data = base(HOOK_TYPES.PostToolUse);
        if (call) {
          data.tool_name = call.tool_name;
          data.tool_input = call.tool_input;
        }
        data.tool_use_id = id;
        if (!lean) data.tool_response = toolResultText(b.content);
        if (b.is_error === true) data.is_error = true;
        out.push({ kind: 'event', sessionId, hookType: HOOK_TYPES.PostToolUse, toolName: call?.tool_name ?? null, dedupKey: dedupKeys.post(id), createdAt: at, data, status: null });
      }
    }
    return out;
  }

  // assistant
  const model = str(message.model);
  const realModel = model && model !== '<synthetic>' ? model : null;
  if (realModel && !sidechainAgent && realModel !== state.model) {
    state.model = realModel;
    out.push({ kind: 'model', sessionId, model: realModel });
  }
  if (realModel && sidechainAgent && realModel !== state.agentModel) {
    state.agentModel = realModel;
    out.push({ kind: 'model', sessionId: sidechainAgent, model: realModel });
  }
  const u = isObj(message.usage) ? message.usage : null;
  if (u) {
    const input = num(u.input_tokens);
    const output = num(u.output_tokens);
    const cacheRead = num(u.cache_read_input_tokens);
    const cacheWrite = num(u.cache_creation_input_tokens);
    const msgId = str(message.id);
    const requestId = str(value.requestId);
    // Without both ids the line cannot be matched with another copy of it: key it by its own uuid.
    const key = msgId && requestId ? `claude:${msgId}:${requestId}` : msgId ? `claude:${msgId}` : `claude-line:${str(value.uuid) ?? `${file}:${offset}`}`;
    // The next line of the same message repeats its usage: it was just counted (the key would
    // dedup it anyway; this saves the insert attempt).
    const repeat = key === state.lastUsageKey;
    state.lastUsageKey = key;
    if (!repeat && input + output + cacheRead + cacheWrite > 0) {
      out.push({
        kind: 'usage', key, sessionId: spender, harness: 'claude', model: realModel, turnId: state.promptId, at,
        input, output, cacheRead, cacheWrite, reasoning: 0, contextTokens: input + cacheRead + cacheWrite, sourceFile: file,
      });
      out.push({ kind: 'usage-state', sessionId: spender, model: realModel, contextTokens: input + cacheRead + cacheWrite, contextWindow: null, rateLimits: null, at });
    }
  }
  if (Array.isArray(message.content)) {
    for (const b of message.content) {
      if (!isObj(b) || b.type !== 'tool_use') continue;
      const id = str(b.id);
      const name = str(b.name) ?? 'unknown';
      if (!id) continue;
      remember(state, id, name, b.input ?? {});
      const data = base(HOOK_TYPES.PreToolUse);
      data.tool_name = name;
      data.tool_input = b.input ?? {};
      data.tool_use_id = id;
      out.push({ kind: 'event', sessionId, hookType: HOOK_TYPES.PreToolUse, toolName: name, dedupKey: dedupKeys.pre(id), createdAt: at, data, status: SESSION_STATUS.active });
    }
  }
  if (message.stop_reason === 'end_turn' && !sidechainAgent) {
    // The turn ended: the session waits for the user. With the turn's promptId this is the Stop
    // hook's row (`stop:<prompt_id>`, the key of a non-continuation Stop input); without one there
    // is no id to share with the hook, so only the status follows.
    const data = base(HOOK_TYPES.Stop);
    const key = state.promptId ? (lean ? '' : hookDedupKey(HOOK_TYPES.Stop, { ...data, prompt_id: state.promptId, stop_hook_active: false })) : null;
    if (key !== null && state.promptId) {
      data.prompt_id = state.promptId;
      data.stop_hook_active = false;
      const content = Array.isArray(message.content) ? message.content : [];
      if (!lean) data.last_assistant_message = content.filter((b): b is Obj => isObj(b) && b.type === 'text' && typeof b.text === 'string').map((b) => b.text as string).join('\n');
      out.push({ kind: 'event', sessionId, hookType: HOOK_TYPES.Stop, toolName: null, dedupKey: key, createdAt: at, data, status: SESSION_STATUS.waiting });
    } else {
      out.push({ kind: 'status', sessionId, at, status: SESSION_STATUS.waiting });
    }
  }
  return out;
}
