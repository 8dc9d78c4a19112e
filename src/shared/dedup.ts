/**
 * The ONE place that computes event dedup keys, for both the hook route and the rollout importer
 * (docs/contracts.md "Dedup keys"). Keys are built only from
 * ids the two sources share — never from tool names or timestamps.
 */
import { createHash } from 'node:crypto';
import { HOOK_TYPES } from './events.js';

/** First 16 hex chars of sha256 of the UTF-8 text. */
export function sha16(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
}

export const dedupKeys = {
  start: (sessionId: string): string => `start:${sessionId}`,
  /** A SessionStart that is not the thread's first (resume/compact): one row per delivery. */
  restart: (sessionId: string, source: string, deliveryId: string): string => `start:${sessionId}:${source}:${deliveryId}`,
  prompt: (turnId: string, prompt: string): string => `prompt:${turnId}:${sha16(prompt)}`,
  pre: (callId: string): string => `pre:${callId}`,
  post: (callId: string): string => `post:${callId}`,
  stop: (turnId: string): string => `stop:${turnId}`,
  stopContinuation: (turnId: string, lastAssistantMessage: string | null): string =>
    `stop:${turnId}:cont:${sha16(lastAssistantMessage ?? '')}`,
  delivery: (deliveryId: string): string => `delivery:${deliveryId}`,
  line: (byteOffset: number): string => `line:${byteOffset}`,
} as const;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function isCodex(data: Record<string, unknown>): boolean {
  return data.__provider === 'codex';
}

/**
 * The session a hook payload belongs to. Codex: `agent_id` (a thread-spawned subagent's own
 * thread, whose rollout has that id) else `session_id` (docs/contracts.md "Codex sessions and
 * subagents"). Claude: `session_id`.
 */
export function hookSessionId(data: Record<string, unknown>): string | null {
  if (isCodex(data)) return str(data.agent_id) ?? str(data.session_id);
  return str(data.session_id);
}

/**
 * Claude Code: ids its session file shares with the hook input (docs/contracts.md "Claude session
 * files"). `prompt_id` (every hook input since the first prompt) is the `promptId` of the
 * transcript's user lines: it names the turn, as Codex's `turn_id` does.
 */
function claudeHookDedupKey(hookType: string, data: Record<string, unknown>, byDelivery: string | null): string | null {
  const toolUseId = str(data.tool_use_id);
  const promptId = str(data.prompt_id);
  const sessionId = str(data.session_id);
  switch (hookType) {
    case HOOK_TYPES.PreToolUse:
      return toolUseId ? dedupKeys.pre(toolUseId) : byDelivery;
    case HOOK_TYPES.PostToolUse:
    case 'PostToolUseFailure':
      // A failed call's PostToolUseFailure is that call's post, as its transcript tool_result
      // (`is_error: true`) is: one row per call whichever hook fired.
      return toolUseId ? dedupKeys.post(toolUseId) : byDelivery;
    case HOOK_TYPES.SessionStart:
      // A fresh session's start; resume/clear/compact starts are one row per delivery.
      return sessionId && data.source === 'startup' ? dedupKeys.start(sessionId) : byDelivery;
    case HOOK_TYPES.UserPromptSubmit:
      return promptId && typeof data.prompt === 'string' ? dedupKeys.prompt(promptId, data.prompt) : byDelivery;
    case HOOK_TYPES.Stop:
      if (!promptId) return byDelivery;
      if (data.stop_hook_active === true) return byDelivery;
      return dedupKeys.stop(promptId);
    default:
      return byDelivery;
  }
}

/**
 * Dedup key of a hook delivery (`data` is the posted payload incl. `__provider`/`__delivery_id`).
 * Returns null when the payload carries no usable id (the row is then never deduplicated).
 */
export function hookDedupKey(hookType: string, data: Record<string, unknown>): string | null {
  const delivery = str(data.__delivery_id);
  const byDelivery = delivery ? dedupKeys.delivery(delivery) : null;
  const toolUseId = str(data.tool_use_id);

  if (!isCodex(data)) return claudeHookDedupKey(hookType, data, byDelivery);

  const sessionId = hookSessionId(data);
  const turnId = str(data.turn_id);
  switch (hookType) {
    case HOOK_TYPES.SessionStart: {
      if (!sessionId) return byDelivery;
      const source = str(data.source);
      // `resume` (contract) and `compact` (same thread, later start; our addition) are extra
      // starts of an existing thread: the rollout has no line for them, keep each delivery.
      if (source === 'resume' || source === 'compact') {
        return delivery ? dedupKeys.restart(sessionId, source, delivery) : null;
      }
      return dedupKeys.start(sessionId);
    }
    case HOOK_TYPES.UserPromptSubmit:
      return turnId && typeof data.prompt === 'string' ? dedupKeys.prompt(turnId, data.prompt) : byDelivery;
    case HOOK_TYPES.PreToolUse:
      return toolUseId ? dedupKeys.pre(toolUseId) : byDelivery;
    case HOOK_TYPES.PostToolUse:
      return toolUseId ? dedupKeys.post(toolUseId) : byDelivery;
    case HOOK_TYPES.Stop: {
      if (!turnId) return byDelivery;
      if (data.stop_hook_active === true) {
        const last = typeof data.last_assistant_message === 'string' ? data.last_assistant_message : null;
        return dedupKeys.stopContinuation(turnId, last);
      }
      return dedupKeys.stop(turnId);
    }
    default:
      return byDelivery;
  }
}
