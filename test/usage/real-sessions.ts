/**
 * Produce Claude Code and Codex session files with the REAL CLIs against the fake model servers,
 * with scripted usage numbers: streamed messages that repeat their usage (a text block and a
 * tool_use block in one message), a Claude subagent (the Agent tool), cached and reasoning tokens.
 * Every folder is a temp dir passed in; nothing touches the real home folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startFakeAnthropic, type FakeAnthropicStep } from '../real-clients/fake-anthropic.js';
import { startFakeOpenAI, toolScript, type FakeOpenAI, type FakeOpenAIStep, type FakeUsage } from '../real-clients/fake-openai.js';
import { runClaude, runCodex, writeCodexConfig, type RunResult } from '../real-clients/run.js';

export const SUBAGENT_MARKER = 'SUBTASK-7Q';
export const CLAUDE_MODEL = 'claude-sonnet-4-5';
export const CODEX_MODEL = 'gpt-5';

function firstUserText(body: Record<string, unknown>): string {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return '';
  const first = messages.find((m) => typeof m === 'object' && m !== null && (m as { role?: unknown }).role === 'user') as { content?: unknown } | undefined;
  if (!first) return '';
  if (typeof first.content === 'string') return first.content;
  if (Array.isArray(first.content)) return first.content.map((b) => (typeof b === 'object' && b && typeof (b as { text?: unknown }).text === 'string' ? (b as { text: string }).text : '')).join('\n');
  return '';
}

function agentToolName(body: Record<string, unknown>): string {
  const tools = Array.isArray(body['tools']) ? (body['tools'] as Array<{ name?: unknown }>) : [];
  const names = tools.map((t) => t.name);
  return names.includes('Agent') ? 'Agent' : names.includes('Task') ? 'Task' : 'Agent';
}

export interface ClaudeRun {
  home: string;
  claudeDir: string;
  result: RunResult;
  agentToolUsed: boolean;
}

/** One Claude Code turn: Bash (text + tool_use in one streamed message), then a subagent, then an answer. */
export async function runClaudeSession(root: string): Promise<ClaudeRun> {
  const home = path.join(root, 'claude-home');
  const cwd = path.join(root, 'claude-work');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(cwd, { recursive: true });
  let agentToolUsed = false;
  const server = await startFakeAnthropic({
    requestIds: true,
    script: ({ body, answeredToolUseIds }): FakeAnthropicStep => {
      if (firstUserText(body).includes(SUBAGENT_MARKER)) {
        // Inside the subagent: one tool call, then its answer.
        if (!answeredToolUseIds.has('toolu_sub_bash')) return { type: 'tools', text: 'Checking.', calls: [{ id: 'toolu_sub_bash', command: 'echo sub' }] };
        return { type: 'message', text: 'Subagent finished.' };
      }
      if (!answeredToolUseIds.has('toolu_main_bash')) return { type: 'tools', text: 'Running it.', calls: [{ id: 'toolu_main_bash', command: 'echo main' }] };
      if (!answeredToolUseIds.has('toolu_main_agent')) {
        agentToolUsed = true;
        return {
          type: 'tools',
          text: 'Delegating.',
          calls: [{ id: 'toolu_main_agent', name: agentToolName(body), input: { description: 'Helper task', prompt: `${SUBAGENT_MARKER}: run echo sub and report`, subagent_type: 'general-purpose' } }],
        };
      }
      return { type: 'message', text: 'All done.' };
    },
    usageFor: (n) => ({ input_tokens: 1200 + 37 * n, output_tokens: 40 + 3 * n, cache_read_input_tokens: 500 * n, cache_creation_input_tokens: n % 2 === 0 ? 300 : 0 }),
  });
  try {
    const result = await runClaude({
      home,
      cwd,
      prompt: 'Run echo main, then ask a helper to run echo sub.',
      baseUrl: server.url,
      allowedTools: ['Bash', 'Agent', 'Task'],
      timeoutMs: 90_000,
      extraArgs: ['--model', CLAUDE_MODEL],
    });
    return { home, claudeDir: path.join(home, '.claude'), result, agentToolUsed };
  } finally {
    await server.close();
  }
}

export interface CodexRun {
  codexHome: string;
  result: RunResult;
}

/** One Codex turn with two tool calls: three responses, each with cached and reasoning tokens. */
export async function runCodexSession(root: string): Promise<CodexRun> {
  const codexHome = path.join(root, 'codex-home');
  const cwd = path.join(root, 'codex-work');
  fs.mkdirSync(codexHome, { recursive: true });
  fs.mkdirSync(cwd, { recursive: true });
  const server = await startFakeOpenAI({
    script: toolScript({ commands: ['echo one', 'echo two'], mode: 'sequential' }),
    usageFor: (n) => ({ input_tokens: 2000 + 250 * n, cached_tokens: 600 * n, output_tokens: 90 + 11 * n, reasoning_tokens: 30 + 5 * n }),
  });
  try {
    writeCodexConfig({ codexHome, baseUrl: server.url, model: CODEX_MODEL, extraToml: '[features]\nhooks = false' });
    const result = await runCodex({ codexHome, home: path.join(root, 'codex-user-home'), cwd, prompt: 'Run echo one, then echo two, then say done.', bypassHookTrust: false, timeoutMs: 90_000 });
    return { codexHome, result };
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------- Codex with a subagent

/** Marks the subagent's task: the fake model tells the two threads apart by it. */
export const CODEX_SUBAGENT_MARKER = 'SUBTASK-CX9';
/** Codex 0.169.0 offers its multi-agent tools in this namespace of `tools` (multi_agent v1, on by default). */
export const MULTI_AGENT_NAMESPACE = 'multi_agent_v1';

/** Scripted usage of the n-th response of each thread (0-based), and the sums the tests expect. */
export const CODEX_PARENT_USAGE = (n: number): FakeUsage => ({ input_tokens: 3000 + 400 * n, cached_tokens: 500 * n, output_tokens: 120 + 15 * n, reasoning_tokens: 40 + 5 * n });
export const CODEX_CHILD_USAGE = (n: number): FakeUsage => ({ input_tokens: 1500 + 200 * n, cached_tokens: 300 * n + 100, output_tokens: 60 + 7 * n, reasoning_tokens: 20 + 3 * n });

function userText(body: Record<string, unknown>): string {
  const input = Array.isArray(body['input']) ? (body['input'] as Array<Record<string, unknown>>) : [];
  return input
    .filter((i) => i['type'] === 'message' && i['role'] === 'user')
    .flatMap((i) => (Array.isArray(i['content']) ? (i['content'] as Array<Record<string, unknown>>) : []))
    .map((c) => (typeof c['text'] === 'string' ? c['text'] : ''))
    .join('\n');
}

function callOutput(body: Record<string, unknown>, callId: string): string | null {
  const input = Array.isArray(body['input']) ? (body['input'] as Array<Record<string, unknown>>) : [];
  const item = input.find((i) => i['type'] === 'function_call_output' && i['call_id'] === callId);
  if (!item) return null;
  return typeof item['output'] === 'string' ? item['output'] : JSON.stringify(item['output']);
}

export interface CodexSubagentServer {
  server: FakeOpenAI;
  /** Responses served per thread (each one's usage is CODEX_*_USAGE(index)). */
  responses: { parent: number; child: number };
  /** The subagent id Codex returned from spawn_agent (its thread id), once spawned. */
  spawnedId: () => string | null;
}

/**
 * A fake model for one Codex turn that delegates: the parent calls `spawn_agent` (namespace
 * multi_agent_v1, `{"message": …}`), then `wait_agent` on the id the spawn returned, then answers;
 * the subagent (its first user message carries the marker) runs `echo sub`, then answers. Each
 * response carries the thread's scripted usage.
 */
export async function startCodexSubagentServer(): Promise<CodexSubagentServer> {
  const responses = { parent: 0, child: 0 };
  let spawned: string | null = null;
  const isChild = (body: Record<string, unknown>): boolean => userText(body).includes(CODEX_SUBAGENT_MARKER);
  const server = await startFakeOpenAI({
    usageFor: (_i, body) => (isChild(body) ? CODEX_CHILD_USAGE(responses.child++) : CODEX_PARENT_USAGE(responses.parent++)),
    script: ({ body, answeredCallIds }): FakeOpenAIStep => {
      if (isChild(body)) {
        if (!answeredCallIds.has('call_sub_echo')) return { type: 'tools', calls: [{ cmd: 'echo sub', callId: 'call_sub_echo' }] };
        return { type: 'message', text: 'Subagent finished.' };
      }
      if (!answeredCallIds.has('call_spawn')) {
        return { type: 'tools', calls: [{ name: 'spawn_agent', namespace: MULTI_AGENT_NAMESPACE, callId: 'call_spawn', arguments: JSON.stringify({ message: `${CODEX_SUBAGENT_MARKER}: run echo sub and report` }) }] };
      }
      if (!answeredCallIds.has('call_wait')) {
        // The spawn's output: {"agent_id": "<thread id>", "nickname": "…"}.
        const out = callOutput(body, 'call_spawn') ?? '';
        try {
          spawned = (JSON.parse(out) as { agent_id?: string }).agent_id ?? null;
        } catch {
          spawned = null;
        }
        return { type: 'tools', calls: [{ name: 'wait_agent', namespace: MULTI_AGENT_NAMESPACE, callId: 'call_wait', arguments: JSON.stringify({ targets: [spawned ?? ''], timeout_ms: 60_000 }) }] };
      }
      return { type: 'message', text: 'All done.' };
    },
  });
  return { server, responses, spawnedId: () => spawned };
}
