// Proves the real-client harness: the pinned Codex and Claude Code CLIs run offline against the
// fake model servers, fire their lifecycle hooks, and write rollouts/transcripts that agree with
// the hook payloads. With UPDATE_REAL_FIXTURES=1 the captured data is also saved (paths replaced
// by /tmp/FIXTURE) into test/fixtures/real/.
//
// Never skipped: if the CLIs cannot be installed, beforeAll throws and every test fails with why.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  countByEvent,
  findRollouts,
  lineEndOffsets,
  makeTempLayout,
  readCaptured,
  readJsonl,
  saveHookFixtures,
  saveTextFixture,
  writeClaudeCaptureHooks,
  writeCodexCaptureHooks,
  type CapturedHook,
  type JsonLine,
  type TempLayout,
} from './capture-helpers.js';
import { ensureRealClients, type RealClients } from './ensure.js';
import { claudeToolScript, startFakeAnthropic } from './fake-anthropic.js';
import { startFakeOpenAI, toolScript } from './fake-openai.js';
import { codexArgs, runClaude, runCodex, writeCodexConfig, type RunResult } from './run.js';

const UPDATE = process.env['UPDATE_REAL_FIXTURES'] === '1';
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'real');
const RUN_TIMEOUT = 45_000;
const TEST_TIMEOUT = 60_000;
const PROMPT = 'Run echo hello, then say done.';

let clients: RealClients;
const layouts: TempLayout[] = [];

beforeAll(() => {
  const t0 = Date.now();
  clients = ensureRealClients();
  console.log(`[real-clients] codex ${clients.codexVersion}, claude ${clients.claudeVersion} ready in ${Date.now() - t0} ms`);
}, 900_000);

afterEach(() => {
  if (!process.env['KEEP_REAL_TMP']) for (const l of layouts.splice(0)) l.cleanup();
});

function newLayout(): TempLayout {
  const l = makeTempLayout();
  layouts.push(l);
  return l;
}

function explain(r: RunResult, hooks: CapturedHook[]): string {
  return `exit ${String(r.code)}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}\n--- hooks\n${hooks
    .map((h) => h.event)
    .join(', ')}`;
}

function one(hooks: CapturedHook[], event: string): Record<string, unknown> {
  const found = hooks.filter((h) => h.event === event);
  expect(found, `${event} hook deliveries`).toHaveLength(1);
  return found[0]!.payload;
}

function payloadType(l: JsonLine): string | undefined {
  const t = l.payload?.['type'];
  return typeof t === 'string' ? t : undefined;
}

function lineLabel(l: JsonLine): string {
  const pt = payloadType(l);
  const base = pt ? `${String(l.type)}:${pt}` : String(l.type);
  if (pt === 'message') return `${base}(${String(l.payload?.['role'])})`;
  if (pt === 'item_completed') {
    const item = l.payload?.['item'] as Record<string, unknown> | undefined;
    return `${base}(${String(item?.['type'])})`;
  }
  return base;
}

interface CodexRun {
  layout: TempLayout;
  result: RunResult;
  hooks: CapturedHook[];
  rolloutPath: string;
  rollout: JsonLine[];
  issuedCallIds: string[];
}

async function codexRun(opts: { commands: string[]; mode: 'sequential' | 'parallel'; bypass: boolean }): Promise<CodexRun> {
  const layout = newLayout();
  const server = await startFakeOpenAI({ script: toolScript({ commands: opts.commands, mode: opts.mode }) });
  try {
    writeCodexConfig({ codexHome: layout.codexHome, baseUrl: server.url });
    writeCodexCaptureHooks(layout.codexHome, layout.hooksOut);
    const result = await runCodex({
      codexHome: layout.codexHome,
      home: layout.home,
      cwd: layout.cwd,
      prompt: PROMPT,
      bypassHookTrust: opts.bypass,
      timeoutMs: RUN_TIMEOUT,
    });
    const hooks = readCaptured(layout.hooksOut);
    expect(result.code, explain(result, hooks)).toBe(0);
    const rollouts = findRollouts(layout.codexHome);
    expect(rollouts, 'exactly one rollout file').toHaveLength(1);
    const rolloutPath = rollouts[0]!;
    return { layout, result, hooks, rolloutPath, rollout: readJsonl(rolloutPath), issuedCallIds: [...server.issuedCallIds] };
  } finally {
    await server.close();
  }
}

/** The checks every Codex run with bypassed trust must pass; returns observations for the report. */
function checkCodexRun(run: CodexRun, toolCalls: number): Record<string, unknown> {
  const { hooks, rollout, rolloutPath, layout } = run;
  const counts = countByEvent(hooks);
  for (const e of ['SessionStart', 'UserPromptSubmit', 'Stop']) expect(counts[e], `${e} count`).toBe(1);
  expect(counts['PreToolUse'], 'PreToolUse count').toBe(toolCalls);
  expect(counts['PostToolUse'], 'PostToolUse count').toBe(toolCalls);

  const start = one(hooks, 'SessionStart');
  const prompt = one(hooks, 'UserPromptSubmit');
  const stop = one(hooks, 'Stop');
  const sessionId = start['session_id'];
  expect(typeof sessionId).toBe('string');
  for (const h of hooks) expect(h.payload['session_id'], `${h.event} session_id`).toBe(sessionId);
  expect(start['transcript_path']).toBe(rolloutPath);
  expect(start['source']).toBe('startup');
  expect(start['model']).toBe('fake-model');

  // Rollout location: $CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl
  const rel = relative(layout.codexHome, rolloutPath).split('\\').join('/');
  expect(rel).toMatch(/^sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.jsonl$/);
  expect(basename(rolloutPath)).toContain(String(sessionId));
  const meta = rollout[0]!;
  expect(meta.type).toBe('session_meta');
  expect(meta.payload?.['id']).toBe(sessionId);

  // Tool calls: hook tool_use_id == model call_id == rollout function_call.call_id == output call_id.
  const pre = hooks.filter((h) => h.event === 'PreToolUse').map((h) => h.payload);
  const post = hooks.filter((h) => h.event === 'PostToolUse').map((h) => h.payload);
  expect(pre.map((p) => p['tool_use_id']).sort()).toEqual([...run.issuedCallIds].sort());
  expect(post.map((p) => p['tool_use_id']).sort()).toEqual([...run.issuedCallIds].sort());
  for (const p of pre) expect(p['tool_name']).toBe('Bash');
  const calls = rollout.filter((l) => l.type === 'response_item' && payloadType(l) === 'function_call');
  const outputs = rollout.filter((l) => l.type === 'response_item' && payloadType(l) === 'function_call_output');
  expect(calls.map((l) => l.payload?.['call_id']).sort()).toEqual([...run.issuedCallIds].sort());
  expect(outputs.map((l) => l.payload?.['call_id']).sort()).toEqual([...run.issuedCallIds].sort());
  for (const c of calls) expect(c.payload?.['name']).toBe('exec_command');

  // Turn ids.
  const turnId = prompt['turn_id'];
  expect(typeof turnId).toBe('string');
  for (const h of hooks.filter((x) => !['SessionStart', 'SessionEnd'].includes(x.event))) {
    expect(h.payload['turn_id'], `${h.event} turn_id`).toBe(turnId);
  }
  const turnContext = rollout.find((l) => l.type === 'turn_context');
  const taskStarted = rollout.find((l) => l.type === 'event_msg' && payloadType(l) === 'task_started');
  const taskComplete = rollout.find((l) => l.type === 'event_msg' && payloadType(l) === 'task_complete');
  expect(turnContext?.payload?.['turn_id']).toBe(turnId);
  expect(taskStarted?.payload?.['turn_id']).toBe(turnId);
  expect(taskComplete?.payload?.['turn_id']).toBe(turnId);
  expect(taskComplete?.payload?.['last_agent_message']).toBe(stop['last_assistant_message']);

  // The prompt: hook text vs rollout carriers.
  const hookPrompt = prompt['prompt'];
  expect(hookPrompt).toBe(PROMPT);
  const userMessages = rollout.filter((l) => l.type === 'event_msg' && payloadType(l) === 'user_message');
  const userItems = rollout.filter(
    (l) => l.type === 'response_item' && payloadType(l) === 'message' && l.payload?.['role'] === 'user',
  );
  const promptItem = userItems.find((l) => {
    const content = l.payload?.['content'];
    return Array.isArray(content) && content.some((c) => (c as Record<string, unknown>)['text'] === hookPrompt);
  });
  const userItemCompleted = rollout.find(
    (l) =>
      l.type === 'event_msg' &&
      payloadType(l) === 'item_completed' &&
      (l.payload?.['item'] as Record<string, unknown> | undefined)?.['type'] === 'UserMessage',
  );
  const promptCarriers = {
    eventMsgUserMessageCount: userMessages.length,
    eventMsgUserMessageEqualsPrompt: userMessages.map((l) => l.payload?.['message'] === hookPrompt),
    responseItemUserMessageEqualsPrompt: promptItem !== undefined,
    responseItemUserMessageTurnId: (promptItem?.payload?.['internal_chat_message_metadata_passthrough'] as Record<string, unknown> | undefined)?.[
      'turn_id'
    ],
    itemCompletedUserMessageTurnId: userItemCompleted?.payload?.['turn_id'],
  };
  // Whatever carries the prompt in this version must carry it byte for byte.
  expect(userMessages.length > 0 || promptItem !== undefined, 'some rollout line carries the prompt text').toBe(true);
  for (const l of userMessages) expect(l.payload?.['message']).toBe(hookPrompt);

  // What was already on disk when each hook ran (rollout writes are asynchronous).
  const ends = lineEndOffsets(rolloutPath);
  const labels = rollout.map(lineLabel);
  const onDiskAtHook = hooks.map((h) => {
    const bytes = h.transcriptBytes;
    const complete = bytes === null || bytes < 0 ? 0 : ends.filter((e) => e <= bytes).length;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- tool_use_id is a string in every hook payload that has one
    return `${h.event}${h.payload['tool_use_id'] ? `(${String(h.payload['tool_use_id'])})` : ''}: ${
      bytes === -1 ? 'file absent' : `${complete} lines, last=${complete > 0 ? labels[complete - 1] : '-'}`
    }`;
  });

  return {
    sessionId,
    turnId,
    promptCarriers,
    onDiskAtHook,
    order: rollout.map(lineLabel),
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- tool_use_id is a string in every hook payload that has one
    hookOrder: hooks.map((h) => `${h.event}${h.payload['tool_use_id'] ? `(${String(h.payload['tool_use_id'])})` : ''}`),
  };
}

function saveCodexFixtures(name: string, run: CodexRun, scenario: Record<string, unknown>, observations: Record<string, unknown>): void {
  const dir = join(FIXTURES, 'codex', name);
  saveHookFixtures(dir, run.hooks, run.layout.root);
  saveTextFixture(join(dir, 'rollout.jsonl'), readFileSync(run.rolloutPath, 'utf8'), run.layout.root);
  saveTextFixture(
    join(dir, 'meta.json'),
    JSON.stringify(
      {
        cli: '@openai/codex',
        version: clients.codexVersion,
        capturedAt: new Date().toISOString(),
        command: ['codex', ...codexArgs({ prompt: PROMPT, bypassHookTrust: true })],
        env: { CODEX_HOME: '/tmp/FIXTURE/codex-home', HOME: '/tmp/FIXTURE/home' },
        cwd: '/tmp/FIXTURE/work',
        rolloutFile: relative(run.layout.codexHome, run.rolloutPath),
        scenario,
        observations,
      },
      null,
      2,
    ) + '\n',
    run.layout.root,
  );
}

describe('real Codex CLI (offline, fake Responses API)', () => {
  it(
    'one tool call: all hooks fire once, ids agree with the rollout',
    async () => {
      const run = await codexRun({ commands: ['echo hello'], mode: 'sequential', bypass: true });
      expect(run.issuedCallIds).toEqual(['call_fake_0_0']);
      const obs = checkCodexRun(run, 1);
      const pre = one(run.hooks, 'PreToolUse');
      expect(pre['tool_input']).toEqual({ command: 'echo hello' });
      expect(one(run.hooks, 'PostToolUse')['tool_response']).toBe('hello\n');
      console.log('[real-clients] codex one-call observations', JSON.stringify(obs, null, 1));
      if (UPDATE) saveCodexFixtures('one-call', run, { toolCalls: 1, mode: 'sequential', commands: ['echo hello'] }, obs);
    },
    TEST_TIMEOUT,
  );

  it(
    'three tool calls in one response (parallel function_call items)',
    async () => {
      const commands = ['echo one', 'echo two', 'echo three'];
      const run = await codexRun({ commands, mode: 'parallel', bypass: true });
      expect(run.issuedCallIds).toEqual(['call_fake_0_0', 'call_fake_0_1', 'call_fake_0_2']);
      const obs = checkCodexRun(run, 3);
      console.log('[real-clients] codex three-calls-parallel observations', JSON.stringify(obs, null, 1));
      if (UPDATE) saveCodexFixtures('three-calls-parallel', run, { toolCalls: 3, mode: 'parallel', commands }, obs);
    },
    TEST_TIMEOUT,
  );

  it(
    'three tool calls in sequential rounds of one turn',
    async () => {
      const commands = ['echo one', 'echo two', 'echo three'];
      const run = await codexRun({ commands, mode: 'sequential', bypass: true });
      expect(run.issuedCallIds).toEqual(['call_fake_0_0', 'call_fake_1_0', 'call_fake_2_0']);
      const obs = checkCodexRun(run, 3);
      if (UPDATE) saveCodexFixtures('three-calls-sequential', run, { toolCalls: 3, mode: 'sequential', commands }, obs);
    },
    TEST_TIMEOUT,
  );

  it(
    'without --dangerously-bypass-hook-trust the untrusted hooks do not run, silently',
    async () => {
      const run = await codexRun({ commands: ['echo hello'], mode: 'sequential', bypass: false });
      // The session itself runs normally and is recorded in the rollout ...
      expect(run.rollout[0]?.type).toBe('session_meta');
      expect(run.rollout.some((l) => l.type === 'response_item' && payloadType(l) === 'function_call')).toBe(true);
      // ... but none of the freshly installed (never trusted) hooks ran,
      expect(run.hooks).toEqual([]);
      // and Codex said nothing about skipping them (observed on 0.169.0).
      expect(run.result.stderr).not.toMatch(/hook/i);
      expect(run.result.stdout).not.toMatch(/hook/i);
    },
    TEST_TIMEOUT,
  );
});

describe('real Claude Code CLI (offline, fake Messages API)', () => {
  it(
    'one Bash call: hooks fire once each, tool_use_id matches, transcript agrees',
    async () => {
      const layout = newLayout();
      const server = await startFakeAnthropic({ script: claudeToolScript({ commands: ['echo hello'] }) });
      let result: RunResult;
      try {
        writeClaudeCaptureHooks(layout.home, layout.hooksOut);
        result = await runClaude({
          home: layout.home,
          cwd: layout.cwd,
          prompt: PROMPT,
          baseUrl: server.url,
          allowedTools: ['Bash'],
          timeoutMs: RUN_TIMEOUT,
        });
      } finally {
        await server.close();
      }
      const hooks = readCaptured(layout.hooksOut);
      expect(result.code, explain(result, hooks)).toBe(0);
      expect(result.stdout.trim()).toBe('Done.');
      const counts = countByEvent(hooks);
      for (const e of ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']) {
        expect(counts[e], `${e} count (all: ${JSON.stringify(counts)})`).toBe(1);
      }
      const start = one(hooks, 'SessionStart');
      const pre = one(hooks, 'PreToolUse');
      const post = one(hooks, 'PostToolUse');
      expect(pre['tool_use_id']).toBe(server.issuedToolUseIds[0]);
      expect(pre['tool_use_id']).toBe('toolu_fake_0_0');
      expect(post['tool_use_id']).toBe('toolu_fake_0_0');
      expect(pre['tool_name']).toBe('Bash');
      expect(one(hooks, 'UserPromptSubmit')['prompt']).toBe(PROMPT);
      const sessionId = start['session_id'];
      for (const h of hooks) expect(h.payload['session_id']).toBe(sessionId);

      const transcriptPath = String(start['transcript_path']);
      expect(transcriptPath.startsWith(join(layout.home, '.claude', 'projects'))).toBe(true);
      expect(basename(transcriptPath)).toBe(`${String(sessionId)}.jsonl`);
      expect(existsSync(transcriptPath)).toBe(true);
      const transcript = readJsonl(transcriptPath);
      const blocks = transcript.flatMap((l) => {
        const content = (l['message'] as Record<string, unknown> | undefined)?.['content'];
        return Array.isArray(content) ? (content as Record<string, unknown>[]) : [];
      });
      expect(blocks.some((b) => b['type'] === 'tool_use' && b['id'] === 'toolu_fake_0_0')).toBe(true);
      expect(blocks.some((b) => b['type'] === 'tool_result' && b['tool_use_id'] === 'toolu_fake_0_0')).toBe(true);
      const requests = server.requests.map((r) => `${r.method} ${r.url} -> ${r.answeredWith}`);
      const ends = lineEndOffsets(transcriptPath);
      const onDiskAtHook = hooks.map((h) => {
        const bytes = h.transcriptBytes;
        const complete = bytes === null || bytes < 0 ? 0 : ends.filter((e) => e <= bytes).length;
        return `${h.event}: ${bytes === -1 ? 'file absent' : `${complete} lines, last=${complete > 0 ? String(transcript[complete - 1]!.type) : '-'}`}`;
      });
      console.log('[real-clients] claude requests', requests, 'hooks', hooks.map((h) => h.event));

      if (UPDATE) {
        const dir = join(FIXTURES, 'claude', 'one-call');
        saveHookFixtures(dir, hooks, layout.root);
        saveTextFixture(join(dir, 'transcript.jsonl'), readFileSync(transcriptPath, 'utf8'), layout.root);
        saveTextFixture(
          join(dir, 'meta.json'),
          JSON.stringify(
            {
              cli: '@anthropic-ai/claude-code',
              version: clients.claudeVersion,
              capturedAt: new Date().toISOString(),
              command: ['claude', '-p', PROMPT, '--allowedTools', 'Bash'],
              env: { HOME: '/tmp/FIXTURE/home', ANTHROPIC_BASE_URL: 'http://127.0.0.1:<port>', ANTHROPIC_API_KEY: 'test', IS_SANDBOX: '1' },
              cwd: '/tmp/FIXTURE/work',
              transcriptFile: relative(layout.home, transcriptPath),
              requests,
              hookOrder: hooks.map((h) => h.event),
              transcriptOrder: transcript.map((l) => String(l.type)),
              onDiskAtHook,
            },
            null,
            2,
          ) + '\n',
          layout.root,
        );
      }
    },
    TEST_TIMEOUT,
  );
});

