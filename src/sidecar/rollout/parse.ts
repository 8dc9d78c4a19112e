/**
 * Pure mapping of Codex rollout lines (docs/contracts.md "Codex rollout lines") to the records the importer stores:
 * hook-shaped events (same names, shapes and dedup keys as the Codex hooks, "Dedup keys") plus session
 * facts the hooks lack (model, token usage, cwd). No I/O, no DB: the importer owns both.
 *
 * The parser is a state machine over the lines of ONE file, in file order. Its state is JSON so the
 * importer can persist it next to the byte cursor and the next batch continues where this one
 * stopped (current turn id, calls awaiting their output, …).
 */
import { dedupKeys } from '../../shared/dedup.js';
import { truncateLargeFields } from '../host/truncate.js';
import {
  canonicalToolName,
  HOOK_TYPES,
  SESSION_STATUS,
  type RolloutHookType,
  type SessionStatus,
} from '../../shared/events.js';
import { codexUsageRecords, type CodexUsageTotals } from '../usage/codex.js';
import type { UsageRecord, UsageStateRecord } from '../usage/records.js';

export interface PendingCall {
  tool_name: string;
  tool_input: unknown;
}

export interface ParserState {
  v: 1;
  /** Thread id of the file: the FIRST session_meta's id (falls back to the filename uuid). */
  sessionId: string | null;
  metaSeen: boolean;
  /** Current turn (task_started / turn_context); rollout lines carry no turn id of their own. */
  turnId: string | null;
  model: string | null;
  cwd: string | null;
  /** Timestamp of the last line that had one (for lines without). */
  lastTs: string | null;
  /** call_id → canonical tool name/input, so the *_output event is shaped like the hook's. */
  pending: Record<string, PendingCall>;
  /** Last cumulative token_count totals (src/sidecar/usage/codex.ts); absent before the first. */
  usageTotal?: CodexUsageTotals;
}

/** Calls still waiting for their output that we remember; older ones are looked up in the DB. */
const MAX_PENDING = 256;

const UUID_IN_NAME = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;

export function initialParserState(filePath?: string): ParserState {
  const m = filePath ? UUID_IN_NAME.exec(filePath) : null;
  return { v: 1, sessionId: m ? m[1]!.toLowerCase() : null, metaSeen: false, turnId: null, model: null, cwd: null, lastTs: null, pending: {} };
}

export interface LinePos {
  file: string;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** 1-based line number. */
  line: number;
  /**
   * The history import's summary phase (src/sidecar/tail-import.ts ImportPhase) stores no timeline
   * rows: event records then carry only their session, time and status (empty data, no key), and
   * what only their payload needs (tool inputs, outputs, prompt hashes) is not computed.
   */
  lean?: boolean;
}

export interface EventRecord {
  kind: 'event';
  sessionId: string;
  hookType: RolloutHookType;
  /** Canonical (hook) name; null on a PostToolUse whose call was not seen in this file part. */
  toolName: string | null;
  dedupKey: string;
  createdAt: string;
  /** Hook-shaped payload plus `__rollout: {line, offset}` (the file is `transcript_path`). */
  data: Record<string, unknown>;
  /** Status the session moves to when this row is newly stored. */
  status: SessionStatus | null;
}

export interface SessionRecord {
  kind: 'session';
  sessionId: string;
  startedAt: string;
  cwd: string | null;
  transcriptPath: string;
  parentSessionId: string | null;
  /** A thread-spawned subagent's nickname (`agent_nickname`), shown as its session name. */
  name: string | null;
}

export interface ModelRecord {
  kind: 'model';
  sessionId: string;
  model: string;
}

export interface TokensRecord {
  kind: 'tokens';
  sessionId: string;
  inputTokens: number;
  cacheReadTokens: number;
  outputTokens: number;
  /** Newer CLIs report cache writes (`cache_write_input_tokens`); null when absent. */
  cacheWriteTokens: number | null;
}

export type RolloutRecord = EventRecord | SessionRecord | ModelRecord | TokensRecord | UsageRecord | UsageStateRecord;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash']);

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** argv → the one command string the Bash hook shows (`bash -lc "<script>"` → `<script>`). */
export function argvToCommand(argv: unknown[]): string {
  const parts = argv.map((a) => String(a));
  if (parts.length === 3 && SHELLS.has(parts[0]!.split('/').pop()!) && (parts[1] === '-lc' || parts[1] === '-c')) return parts[2]!;
  return parts.map(quoteArg).join(' ');
}

function parseArguments(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw ?? {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** `tool_input` shaped as the PreToolUse hook shows it (docs/contracts.md "Codex hook payloads"). */
export function hookToolInput(rawName: string, args: unknown): unknown {
  const a = isObj(args) ? args : null;
  switch (rawName) {
    case 'exec_command': {
      const cmd = a ? a.cmd ?? a.command : args;
      return { command: Array.isArray(cmd) ? argvToCommand(cmd) : typeof cmd === 'string' ? cmd : JSON.stringify(cmd ?? '') };
    }
    case 'shell':
    case 'shell_command':
    case 'local_shell_call': {
      const cmd = a ? a.command : args;
      return { command: Array.isArray(cmd) ? argvToCommand(cmd) : typeof cmd === 'string' ? cmd : JSON.stringify(cmd ?? '') };
    }
    case 'apply_patch': {
      const patch = a ? a.input ?? a.patch : args;
      return { command: typeof patch === 'string' ? patch : JSON.stringify(patch ?? '') };
    }
    default:
      return args;
  }
}

/** A tool output as the hook's `tool_response` string (rollouts have a string, content array or {content}). */
export function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output
      .map((item) => (isObj(item) ? (typeof item.text === 'string' ? item.text : item.type === 'input_image' ? '[image]' : '') : String(item)))
      .join('\n');
  }
  if (isObj(output) && typeof output.content === 'string') return output.content;
  return output === undefined || output === null ? '' : JSON.stringify(output);
}

function remember(state: ParserState, callId: string, call: PendingCall): void {
  // The state is persisted as JSON: keep an input nested absurdly deep from making it unserializable.
  state.pending[callId] = { tool_name: call.tool_name, tool_input: truncateLargeFields({ tool_input: call.tool_input }).tool_input };
  const keys = Object.keys(state.pending);
  if (keys.length > MAX_PENDING) delete state.pending[keys[0]!];
}

/**
 * Map one parsed rollout line. Mutates `state`. Unknown line types, payload kinds and fields yield
 * nothing. `value` is whatever JSON.parse returned for the line.
 */
export function parseRolloutLine(state: ParserState, value: unknown, pos: LinePos): RolloutRecord[] {
  if (!isObj(value)) return [];
  const ts = str(value.timestamp) ?? state.lastTs;
  if (str(value.timestamp)) state.lastTs = ts;
  const payload = value.payload;
  if (!isObj(payload)) return [];
  const createdAt = ts ?? new Date(0).toISOString();

  const lineType = value.type;
  if (lineType === 'session_meta') return onSessionMeta(state, payload, createdAt, pos);
  if (lineType === 'turn_context') {
    state.turnId = str(payload.turn_id) ?? state.turnId;
    state.cwd = str(payload.cwd) ?? state.cwd;
    const model = str(payload.model);
    if (model && state.sessionId) {
      state.model = model;
      return [{ kind: 'model', sessionId: state.sessionId, model }];
    }
    return [];
  }
  if (lineType === 'event_msg') return onEventMsg(state, payload, createdAt, pos);
  if (lineType === 'response_item') return onResponseItem(state, payload, createdAt, pos);
  // compacted (incl. replacement_history: a snapshot of old items, never new activity) and every
  // newer or unknown line type (world_state, token_usage_record, …): nothing.
  return [];
}

function base(state: ParserState, hookEventName: string, pos: LinePos): Obj {
  const d: Obj = { session_id: state.sessionId, transcript_path: pos.file, hook_event_name: hookEventName };
  if (state.turnId) d.turn_id = state.turnId;
  if (state.cwd) d.cwd = state.cwd;
  if (state.model) d.model = state.model;
  d.__provider = 'codex';
  // Where the line is: the timeline detail reads a field cut at import back from it
  // (src/sidecar/host/source-readback.ts). The file is `transcript_path`, not repeated here.
  d.__rollout = { line: pos.line, offset: pos.offset };
  return d;
}

function event(
  state: ParserState,
  hookType: RolloutHookType,
  dedupKey: string,
  toolName: string | null,
  createdAt: string,
  data: Obj,
  status: SessionStatus | null,
): EventRecord {
  return { kind: 'event', sessionId: state.sessionId!, hookType, toolName, dedupKey, createdAt, data, status };
}

function onSessionMeta(state: ParserState, p: Obj, createdAt: string, pos: LinePos): RolloutRecord[] {
  // Only the first session_meta names the file's thread. Later copies (resume, fork history) add nothing.
  if (state.metaSeen) return [];
  state.metaSeen = true;
  state.sessionId = str(p.id) ?? state.sessionId;
  if (!state.sessionId) return [];
  state.cwd = str(p.cwd) ?? state.cwd;
  const source = p.source;
  const spawn = isObj(source) && isObj(source.subagent) && isObj(source.subagent.thread_spawn) ? source.subagent.thread_spawn : null;
  const parent = str(spawn?.parent_thread_id) ?? str(p.parent_thread_id);
  const startedAt = str(p.timestamp) ?? createdAt;
  const data = base(state, HOOK_TYPES.SessionStart, pos);
  data.source = 'startup';
  const meta: Obj = {};
  for (const k of ['originator', 'cli_version', 'source', 'model_provider', 'forked_from_id', 'parent_thread_id', 'agent_nickname', 'agent_role', 'thread_source', 'git']) {
    if (p[k] !== undefined) meta[k] = p[k];
  }
  data.session_meta = meta;
  return [
    { kind: 'session', sessionId: state.sessionId, startedAt, cwd: state.cwd, transcriptPath: pos.file, parentSessionId: parent, name: str(p.agent_nickname) ?? str(spawn?.agent_nickname) },
    event(state, HOOK_TYPES.SessionStart, dedupKeys.start(state.sessionId), null, createdAt, data, SESSION_STATUS.active),
  ];
}

function onEventMsg(state: ParserState, p: Obj, createdAt: string, pos: LinePos): RolloutRecord[] {
  switch (p.type) {
    case 'task_started':
    case 'turn_started':
      state.turnId = str(p.turn_id) ?? state.turnId;
      return [];
    case 'user_message':
      // Older CLIs: the typed prompt, no turn id (it belongs to the current turn).
      return typeof p.message === 'string' ? userPrompt(state, p.message, null, createdAt, pos) : [];
    case 'item_completed': {
      // Newer CLIs (0.169 checked, test/fixtures/real/codex) persist no user_message; the typed
      // prompt is an item_completed UserMessage that carries its turn id. Both forms give the same
      // key, so a version writing both still stores one row.
      const item = p.item;
      if (!isObj(item) || item.type !== 'UserMessage' || !Array.isArray(item.content)) return [];
      const texts = item.content.filter((c): c is Obj => isObj(c) && typeof c.text === 'string').map((c) => c.text as string);
      return texts.length > 0 ? userPrompt(state, texts.join('\n'), str(p.turn_id), createdAt, pos) : [];
    }
    case 'task_complete':
    case 'turn_complete':
    case 'turn_aborted': {
      if (!state.sessionId) return [];
      const turnId = str(p.turn_id) ?? state.turnId;
      const data = base(state, HOOK_TYPES.Stop, pos);
      if (turnId) data.turn_id = turnId;
      data.stop_hook_active = false;
      data.last_assistant_message = typeof p.last_agent_message === 'string' ? p.last_agent_message : null;
      // An interrupted turn ends like a completed one for the timeline: a Stop row (same key, so a
      // Stop hook for that turn, if Codex ever fires one, merges), marked as aborted.
      if (p.type === 'turn_aborted') {
        data.turn_aborted = true;
        if (typeof p.reason === 'string') data.reason = p.reason;
      }
      const key = turnId ? dedupKeys.stop(turnId) : dedupKeys.line(pos.offset);
      return [event(state, HOOK_TYPES.Stop, key, null, createdAt, data, SESSION_STATUS.waiting)];
    }
    case 'error': {
      // An error the CLI reported for the turn (e.g. the model API failed): a failed-turn row.
      if (!state.sessionId) return [];
      const data = base(state, HOOK_TYPES.StopFailure, pos);
      data.error = typeof p.message === 'string' ? p.message : JSON.stringify(p);
      return [event(state, HOOK_TYPES.StopFailure, dedupKeys.line(pos.offset), null, createdAt, data, null)];
    }
    case 'token_count': {
      // Exact per-step usage, context and rate limits (src/sidecar/usage/codex.ts).
      const usage = codexUsageRecords(state, p, createdAt, pos.file);
      if (!state.sessionId || !isObj(p.info) || !isObj(p.info.total_token_usage)) return usage;
      const u = p.info.total_token_usage;
      const cached = num(u.cached_input_tokens);
      return [...usage, {
        kind: 'tokens',
        sessionId: state.sessionId,
        inputTokens: Math.max(0, num(u.input_tokens) - cached),
        cacheReadTokens: cached,
        outputTokens: num(u.output_tokens),
        cacheWriteTokens: u.cache_write_input_tokens === undefined ? null : num(u.cache_write_input_tokens),
      }];
    }
    default:
      return [];
  }
}

function userPrompt(state: ParserState, prompt: string, turnId: string | null, createdAt: string, pos: LinePos): RolloutRecord[] {
  if (!state.sessionId) return [];
  if (pos.lean) return [event(state, HOOK_TYPES.UserPromptSubmit, '', null, createdAt, {}, SESSION_STATUS.active)];
  const turn = turnId ?? state.turnId;
  const data = base(state, HOOK_TYPES.UserPromptSubmit, pos);
  if (turn) data.turn_id = turn;
  data.prompt = prompt;
  const key = turn ? dedupKeys.prompt(turn, prompt) : dedupKeys.line(pos.offset);
  return [event(state, HOOK_TYPES.UserPromptSubmit, key, null, createdAt, data, SESSION_STATUS.active)];
}

function onResponseItem(state: ParserState, p: Obj, createdAt: string, pos: LinePos): RolloutRecord[] {
  if (!state.sessionId) return [];
  switch (p.type) {
    case 'function_call':
    case 'custom_tool_call':
    case 'local_shell_call': {
      const rawName = p.type === 'local_shell_call' ? 'local_shell_call' : str(p.name) ?? 'unknown';
      const toolName = canonicalToolName(rawName, str(p.namespace));
      if (pos.lean) return [event(state, HOOK_TYPES.PreToolUse, '', toolName, createdAt, {}, null)];
      let input: unknown;
      if (p.type === 'function_call') input = hookToolInput(rawName, parseArguments(p.arguments));
      else if (p.type === 'local_shell_call') input = hookToolInput(rawName, isObj(p.action) ? { command: p.action.command } : {});
      else input = rawName === 'apply_patch' ? hookToolInput(rawName, p.input) : { input: p.input };
      const callId = str(p.call_id);
      const data = base(state, HOOK_TYPES.PreToolUse, pos);
      data.tool_name = toolName;
      data.tool_input = input;
      if (callId) {
        data.tool_use_id = callId;
        remember(state, callId, { tool_name: toolName, tool_input: input });
      }
      const key = callId ? dedupKeys.pre(callId) : dedupKeys.line(pos.offset);
      return [event(state, HOOK_TYPES.PreToolUse, key, toolName, createdAt, data, null)];
    }
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'local_shell_call_output': {
      const callId = str(p.call_id);
      if (!callId) return [];
      const call = state.pending[callId];
      delete state.pending[callId];
      if (pos.lean) return [event(state, HOOK_TYPES.PostToolUse, '', call ? call.tool_name : null, createdAt, {}, null)];
      const data = base(state, HOOK_TYPES.PostToolUse, pos);
      if (call) {
        data.tool_name = call.tool_name;
        data.tool_input = call.tool_input;
      }
      data.tool_response = outputText(p.output);
      data.tool_use_id = callId;
      return [event(state, HOOK_TYPES.PostToolUse, dedupKeys.post(callId), call ? call.tool_name : null, createdAt, data, null)];
    }
    default:
      // message, reasoning, web_search_call (no call_id, fires no hooks), compaction items, …
      return [];
  }
}

/** A complete line's JSON, or why it is malformed (valid JSON that is not an object counts too). */
export function decodeLine(text: string): { ok: true; value: Obj } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return isObj(value) ? { ok: true, value } : { ok: false, reason: 'not a JSON object' };
}

/** Parse a whole rollout text (complete lines only), for tests and tools. */
export function parseRolloutText(text: string, file = 'rollout.jsonl'): { records: RolloutRecord[]; malformed: number; state: ParserState } {
  const state = initialParserState(file);
  const records: RolloutRecord[] = [];
  let malformed = 0;
  let byteOffset = 0;
  let line = 0;
  for (const raw of text.split('\n').slice(0, -1)) {
    line++;
    if (raw.trim()) {
      const decoded = decodeLine(raw);
      if (decoded.ok) records.push(...parseRolloutLine(state, decoded.value, { file, offset: byteOffset, line }));
      else malformed++;
    }
    byteOffset += Buffer.byteLength(raw) + 1;
  }
  return { records, malformed, state };
}
