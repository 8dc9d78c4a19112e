// The real Codex CLI (pinned in test/real-clients) against a fake model server on loopback, with
// our installer, our handler and the real materialized sidecar. Asserts on what the product
// shows: the session row and its timeline, with hooks on, with hooks off, and untrusted.
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { defaultOutDir } from '../../scripts/build-agent-monitor.js';
import { createHookService } from '../../src/core/hook-service.js';
import { detectCodexVersion } from '../../src/core/codex-diagnostics.js';
import { createMemorySettings } from '../../src/core/settings.js';
import { ensureRealClients } from '../real-clients/ensure.js';
import { startFakeOpenAI, toolScript, type FakeOpenAI } from '../real-clients/fake-openai.js';
import { findRollouts, makeTempLayout, type TempLayout } from '../real-clients/capture-helpers.js';
import { runCodex, writeCodexConfig } from '../real-clients/run.js';
import { sessionEvents, type ApiEvent, type ApiSession } from '../helpers/api.js';
import { startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { waitFor } from '../helpers/wait.js';
import { onCleanup } from '../helpers/temp.js';


beforeAll(() => {
  ensureRealClients();
}, 300_000);

/** Events a Codex rollout can also produce; SessionEnd only ever comes from a hook. */
const BOTH_SOURCES = new Set(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']);

interface Run {
  layout: TempLayout;
  sidecar: RunningServer;
  fake: FakeOpenAI;
  sessionId: string;
  service: ReturnType<typeof createHookService>;
}

async function runScriptedSession(opts: { hooks: boolean; bypassTrust: boolean; commands: string[] }): Promise<Run> {
  const layout = makeTempLayout('am-e2e-codex-');
  onCleanup(() => layout.cleanup());
  const dataDir = join(layout.root, 'data');
  mkdirSync(dataDir, { recursive: true });
  const fake = await startFakeOpenAI({ script: toolScript({ commands: opts.commands }) });
  onCleanup(() => fake.close());
  writeCodexConfig({ codexHome: layout.codexHome, baseUrl: fake.url });
  const sidecar = await startPatched({ dir: dataDir, codexHome: layout.codexHome });
  onCleanup(async () => void (await sidecar.stop()));

  const service = createHookService({
    settings: createMemorySettings({ agentMonitorEnabled: true, hooksEnabled: opts.hooks, codexOptIn: opts.hooks }),
    paths: { dataDir, claudeConfigDir: join(layout.home, '.claude'), codexHome: layout.codexHome },
    handlerSources: {
      claude: join(defaultOutDir, 'scripts', 'hook-handler.js'),
      codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js'),
    },
  });
  const outcome = await service.syncHooksOnBoot();
  expect(outcome.codex.action).toBe(opts.hooks ? 'installed' : 'unchanged');

  const result = await runCodex({
    codexHome: layout.codexHome,
    home: layout.home,
    cwd: layout.cwd,
    prompt: 'Run the command and report.',
    bypassHookTrust: opts.bypassTrust,
    timeoutMs: 90_000,
  });
  expect(result.code, result.stderr).toBe(0);

  const [rollout] = findRollouts(layout.codexHome);
  expect(rollout).toBeDefined();
  const meta = JSON.parse(readFileSync(rollout!, 'utf8').split('\n')[0]!) as { payload: { id: string } };
  return { layout, sidecar, fake, sessionId: meta.payload.id, service };
}

/** Waits until the timeline has the expected rows, the watcher has caught up with the rollout and the spool is drained. */
async function settledTimeline(run: Run, expectedToolCalls: number): Promise<ApiEvent[]> {
  return waitFor('the timeline to settle', async () => {
    const events = await sessionEvents(run.sidecar, run.sessionId).catch(() => [] as ApiEvent[]);
    const stop = events.find((e) => e.hook_type === 'Stop');
    const posts = events.filter((e) => e.hook_type === 'PostToolUse');
    // The rollout's task_complete is the last line Codex writes for the turn: once the Stop row
    // says the rollout saw it, the importer has consumed the whole turn.
    if (!stop || !stop.seen_by.includes('rollout') || posts.length < expectedToolCalls) return null;
    // A hook post that missed the handler's reply window (a loaded machine) was spooled; the row
    // says "hook" only once the spool is drained.
    const status = await run.sidecar.get<{ watcher: { behindBytes: number }; spool: { pending: number } }>('/api/host/status');
    return status.watcher.behindBytes === 0 && status.spool.pending === 0 ? events : null;
  }, 30_000);
}

const shape = (events: ApiEvent[]): string[] => events.filter((e) => BOTH_SOURCES.has(e.hook_type)).map((e) => `${e.hook_type}${e.tool_name ? `:${e.tool_name}` : ''}`);

describe('real Codex CLI end to end', () => {
  test('hooks on: the session shows harness=codex and every event once, merged with the rollout; hooks off gives the same timeline', async () => {
    const commands = ['echo hello', 'echo again', 'echo third'];
    const on = await runScriptedSession({ hooks: true, bypassTrust: true, commands });

    const session = await on.sidecar.get<{ session: ApiSession }>(`/api/sessions/${on.sessionId}`);
    expect(session.session.harness).toBe('codex');
    expect(session.session.model).toBe('fake-model');

    const events = await settledTimeline(on, commands.length);
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.hook_type, (counts.get(e.hook_type) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toMatchObject({ SessionStart: 1, UserPromptSubmit: 1, PreToolUse: 3, PostToolUse: 3, Stop: 1 });
    // No duplicate dedup keys, every tool row named the way the hook names it, and every event
    // both sources can see was seen by both.
    const keys = events.map((e) => e.dedup_key).filter(Boolean);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of events.filter((x) => x.hook_type.endsWith('ToolUse'))) expect(e.tool_name).toBe('Bash');
    for (const e of events.filter((x) => BOTH_SOURCES.has(x.hook_type))) expect(e.seen_by, `${e.hook_type} ${e.dedup_key}`).toBe('hook,rollout');
    const calls = events.filter((e) => e.hook_type === 'PreToolUse').map((e) => e.dedup_key);
    expect(calls.sort()).toEqual(on.fake.issuedCallIds.map((id) => `pre:${id}`).sort());

    // Same scripted session, hooks off: the rollout alone gives the same timeline.
    const off = await runScriptedSession({ hooks: false, bypassTrust: true, commands });
    const offEvents = await settledTimeline(off, commands.length);
    for (const e of offEvents) expect(e.seen_by).toBe('rollout');
    expect(shape(offEvents)).toEqual(shape(events));
    const offSession = await off.sidecar.get<{ session: ApiSession }>(`/api/sessions/${off.sessionId}`);
    expect(offSession.session.harness).toBe('codex');
    expect(offSession.session.input_tokens + offSession.session.cache_read_tokens).toBeGreaterThan(0);
  }, 240_000);

  test('the installed Codex version is read from the real CLI, and an absent CLI gives null', async () => {
    const { codexBin, codexVersion } = ensureRealClients();
    expect(await detectCodexVersion({ command: codexBin })).toBe(codexVersion.replace(/^codex-cli /, ''));
    expect(await detectCodexVersion({ command: join(tmpdir(), 'no-such-codex-binary') })).toBeNull();
  });

  test('without the bypass flag our entries are reported untrusted and no hook event arrives', async () => {
    const run = await runScriptedSession({ hooks: true, bypassTrust: false, commands: ['echo hello'] });
    const status = await run.service.getCodexStatus();
    expect(status.installed).toBe(true);
    expect(status.trust.state).toBe('untrusted');
    expect(status.trust.entries.length).toBeGreaterThan(0);
    expect(status.trust.entries.every((e) => !e.trusted)).toBe(true);
    // The rollout watcher still shows the session; nothing came from a hook.
    const events = await settledTimeline(run, 1);
    expect(events.every((e) => e.seen_by === 'rollout')).toBe(true);
    const host = await run.sidecar.get<{ lastCodexHookEventAt: string | null }>('/api/host/status');
    expect(host.lastCodexHookEventAt).toBeNull();
  }, 180_000);
});
