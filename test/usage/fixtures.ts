/** Claude transcript and Codex rollout lines for the usage tests, in the shapes the real CLIs write. */
import fs from 'node:fs';
import path from 'node:path';

export const SID = '11111111-2222-4333-8444-555555555555';
export const AGENT = 'a1b2c3d4e5f6a7b8';
export const PROMPT_ID = 'p-0001';
export const PROMPT = 'Count the files, then ask a helper.';

type U = { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };

export function usage(i: number, o: number, cr: number, cw: number): U {
  return { input_tokens: i, output_tokens: o, cache_read_input_tokens: cr, cache_creation_input_tokens: cw };
}

let uuid = 0;
const nextUuid = (): string => `u-${++uuid}`;

export function userPrompt(text: string, at: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ parentUuid: null, isSidechain: false, promptId: PROMPT_ID, type: 'user', message: { role: 'user', content: text }, uuid: nextUuid(), timestamp: at, cwd: '/w', sessionId: SID, ...extra });
}

/** One line of an assistant message: Claude writes one line per content block, each repeating id, requestId and usage. */
export function assistantLine(
  msgId: string, requestId: string | null, model: string, block: Record<string, unknown>, u: U, at: string, extra: Record<string, unknown> = {},
  stop: string | null = null,
): string {
  const line: Record<string, unknown> = {
    parentUuid: 'x', isSidechain: false, type: 'assistant', uuid: nextUuid(), timestamp: at, cwd: '/w', sessionId: SID,
    message: { id: msgId, type: 'message', role: 'assistant', model, content: [block], stop_reason: stop, usage: { ...u, service_tier: 'standard' } },
    ...extra,
  };
  if (requestId) line.requestId = requestId;
  return JSON.stringify(line);
}

export function toolResult(id: string, at: string, isError = false, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    parentUuid: 'x', isSidechain: false, promptId: PROMPT_ID, type: 'user', uuid: nextUuid(), timestamp: at, cwd: '/w', sessionId: SID,
    message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content: 'ok', is_error: isError }] }, ...extra,
  });
}

/** Main transcript: a prompt, a streamed 2-block message (text + tool_use, usage repeated), its result, a final message. */
export function mainTranscript(): string[] {
  return [
    JSON.stringify({ type: 'queue-operation', operation: 'enqueue', timestamp: '2026-11-20T10:00:00.000Z', sessionId: SID, content: PROMPT }),
    userPrompt(PROMPT, '2026-11-20T10:00:00.100Z'),
    assistantLine('msg_1', 'req_1', 'claude-sonnet-4-5-20250929', { type: 'text', text: 'Sure.' }, usage(1000, 50, 200, 300), '2026-11-20T10:00:01.000Z'),
    assistantLine('msg_1', 'req_1', 'claude-sonnet-4-5-20250929', { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls | wc -l' } }, usage(1000, 50, 200, 300), '2026-11-20T10:00:01.001Z', {}, 'tool_use'),
    toolResult('toolu_1', '2026-11-20T10:00:02.000Z'),
    assistantLine('msg_2', 'req_2', 'claude-sonnet-4-5-20250929', { type: 'tool_use', id: 'toolu_2', name: 'Task', input: { prompt: 'help' } }, usage(10, 20, 1300, 40), '2026-11-20T10:00:03.000Z', {}, 'tool_use'),
    toolResult('toolu_2', '2026-11-20T10:00:09.000Z'),
    assistantLine('msg_4', 'req_4', 'claude-sonnet-4-5-20250929', { type: 'text', text: 'Done.' }, usage(5, 7, 1400, 0), '2026-11-20T10:00:10.000Z', {}, 'end_turn'),
  ];
}

/** The subagent's file: its task prompt, one message on a cheaper model with a failing tool call. */
export function agentTranscript(): string[] {
  const side = { isSidechain: true, agentId: AGENT };
  return [
    userPrompt('help', '2026-11-20T10:00:03.500Z', side),
    assistantLine('msg_3', 'req_3', 'claude-haiku-4-5', { type: 'tool_use', id: 'toolu_3', name: 'Read', input: { file_path: '/nope' } }, usage(400, 30, 0, 100), '2026-11-20T10:00:04.000Z', side, 'tool_use'),
    toolResult('toolu_3', '2026-11-20T10:00:05.000Z', true, side),
    assistantLine('msg_5', 'req_5', 'claude-haiku-4-5', { type: 'text', text: 'There is none.' }, usage(450, 60, 0, 0), '2026-11-20T10:00:08.000Z', side, 'end_turn'),
  ];
}

/** Expected exact totals. */
export const EXPECT = {
  main: { input: 1000 + 10 + 5, output: 50 + 20 + 7, cacheRead: 200 + 1300 + 1400, cacheWrite: 300 + 40 },
  agent: { input: 400 + 450, output: 30 + 60, cacheRead: 0, cacheWrite: 100 },
};

export function placeClaude(claudeDir: string, main = mainTranscript(), agent = agentTranscript()): { main: string; agent: string } {
  const proj = path.join(claudeDir, 'projects', '-w');
  fs.mkdirSync(path.join(proj, SID, 'subagents'), { recursive: true });
  const mainFile = path.join(proj, `${SID}.jsonl`);
  const agentFile = path.join(proj, SID, 'subagents', `agent-${AGENT}.jsonl`);
  fs.writeFileSync(mainFile, main.map((l) => `${l}\n`).join(''));
  fs.writeFileSync(agentFile, agent.map((l) => `${l}\n`).join(''));
  return { main: mainFile, agent: agentFile };
}

// ---------------------------------------------------------------- Codex

export const THREAD = '019c0000-1111-7222-8333-444455556666';
export const CHILD = '019c0000-9999-7222-8333-444455556666';

type T = { input_tokens: number; cached_input_tokens: number; output_tokens: number; reasoning_output_tokens: number; total_tokens: number };
const tt = (i: number, c: number, o: number, r: number): T => ({ input_tokens: i, cached_input_tokens: c, output_tokens: o, reasoning_output_tokens: r, total_tokens: i + o });

export function tokenCount(at: string, total: T, last: T, rateLimits: unknown = null, window = 272000): string {
  return JSON.stringify({ timestamp: at, type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: total, last_token_usage: last, model_context_window: window }, rate_limits: rateLimits } });
}

export const RATE_LIMITS = { primary: { used_percent: 42.5, window_minutes: 300, resets_at: 1795000000 }, secondary: { used_percent: 7, window_minutes: 10080, resets_at: 1795500000 } };

export function codexRollout(id = THREAD, parent: string | null = null): string[] {
  const source = parent ? { subagent: { thread_spawn: { parent_thread_id: parent, depth: 1 } } } : 'exec';
  return [
    JSON.stringify({ timestamp: '2026-11-21T09:00:00.000Z', type: 'session_meta', payload: { id, timestamp: '2026-11-21T09:00:00.000Z', cwd: '/w', originator: 'codex_exec', cli_version: '0.169.0', source } }),
    JSON.stringify({ timestamp: '2026-11-21T09:00:00.100Z', type: 'event_msg', payload: { type: 'task_started', turn_id: 't1', model_context_window: 272000 } }),
    JSON.stringify({ timestamp: '2026-11-21T09:00:00.200Z', type: 'turn_context', payload: { turn_id: 't1', cwd: '/w', model: 'gpt-5' } }),
    tokenCount('2026-11-21T09:00:01.000Z', tt(1000, 200, 50, 10), tt(1000, 200, 50, 10)),
    // The same totals again (a rate-limit refresh repeats the info): nothing new.
    tokenCount('2026-11-21T09:00:01.100Z', tt(1000, 200, 50, 10), tt(1000, 200, 50, 10)),
    tokenCount('2026-11-21T09:00:02.000Z', tt(2500, 900, 130, 40), tt(1500, 700, 80, 30), RATE_LIMITS),
    JSON.stringify({ timestamp: '2026-11-21T09:00:03.000Z', type: 'event_msg', payload: { type: 'task_complete', turn_id: 't1', last_agent_message: 'ok' } }),
    JSON.stringify({ timestamp: '2026-11-21T09:01:00.000Z', type: 'event_msg', payload: { type: 'task_started', turn_id: 't2' } }),
    JSON.stringify({ timestamp: '2026-11-21T09:01:00.100Z', type: 'turn_context', payload: { turn_id: 't2', cwd: '/w', model: 'gpt-5-mini' } }),
    tokenCount('2026-11-21T09:01:01.000Z', tt(4000, 1900, 200, 40), tt(1500, 1000, 70, 0)),
    JSON.stringify({ timestamp: '2026-11-21T09:01:02.000Z', type: 'event_msg', payload: { type: 'task_complete', turn_id: 't2', last_agent_message: 'ok' } }),
  ];
}

export function placeCodex(codexHome: string, lines = codexRollout(), id = THREAD): string {
  const dir = path.join(codexHome, 'sessions', '2026', '11', '21');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `rollout-2026-11-21T09-00-00-${id}.jsonl`);
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}
