/**
 * A Codex subagent made by the REAL Codex CLI (pinned in test/real-clients, 0.169.0) against the
 * fake model server, with our hooks installed and the real sidecar importing the rollouts.
 *
 * What 0.169.0 needs (found by running it; nothing to configure): the `multi_agent` feature is on
 * by default, so every request offers a `{"type": "namespace", "name": "multi_agent_v1"}` tool
 * entry holding `spawn_agent` (`{"message": string, …}`; returns `{"agent_id", "nickname"}`),
 * `wait_agent` (`{"targets": [id], "timeout_ms"}`), `send_input`, `resume_agent` and
 * `close_agent`. The model's `function_call` must carry `"namespace": "multi_agent_v1"`. The
 * subagent runs as its own thread with its own rollout, whose `session_meta` names the parent in
 * `source.subagent.thread_spawn.parent_thread_id` (and `agent_nickname`).
 *
 * Asserted: the subagent is nested under its parent in the session list, each thread has exactly
 * its scripted tokens, the parent rolls both up, and `ccusage@20.0.24 --offline` agrees on every
 * thread it reports. ccusage 20.0.24 skips a rollout whose `session_meta.source` is a subagent
 * (checked below: the same file with only `source` changed is reported), so it undercounts
 * Codex subagents; the test shows that too.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path, { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultOutDir } from '../../scripts/build-agent-monitor.js';
import { startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { createHookService } from '../../src/core/hook-service.js';
import { createMemorySettings } from '../../src/core/settings.js';
import { costOf, defaultTable, ratesFor } from '../../src/sidecar/pricing/pricing.js';
import { ensureRealClients } from '../real-clients/ensure.js';
import { findRollouts, makeTempLayout, type TempLayout } from '../real-clients/capture-helpers.js';
import { cleanEnv, runCodex, writeCodexConfig, type RunResult } from '../real-clients/run.js';
import { sessionEvents } from '../helpers/api.js';
import { onCleanup } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { CODEX_CHILD_USAGE, CODEX_PARENT_USAGE, CODEX_SUBAGENT_MARKER, startCodexSubagentServer, type CodexSubagentServer } from './real-sessions.js';

const CCUSAGE = path.resolve(import.meta.dirname, '../../node_modules/.bin/ccusage');
const MODEL = 'gpt-5';

interface Tokens { input: number; output: number; cacheRead: number; cacheWrite: number; reasoning: number; total: number }
interface Usage { tokens: Tokens; cost: number | null; unpricedTokens: number; records: number }
interface Node {
  id: string;
  name: string | null;
  parent_session_id: string | null;
  usage: { own: Usage & { exact: boolean }; total: Usage };
  children: Node[];
  parent_unknown: boolean;
}
interface CcCodexSession { sessionId: string; inputTokens: number; outputTokens: number; cacheReadTokens: number; reasoningOutputTokens: number; totalTokens: number; costUSD: number }
interface Meta { payload: { id: string; source: unknown; agent_nickname?: string } }

/** What a thread's scripted responses add up to, in our convention (input net of cached; output includes reasoning). */
function expected(usage: typeof CODEX_PARENT_USAGE, responses: number): Tokens {
  const t = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, total: 0 };
  for (let n = 0; n < responses; n++) {
    const u = usage(n);
    t.input += u.input_tokens - u.cached_tokens;
    t.cacheRead += u.cached_tokens;
    t.output += u.output_tokens;
    t.reasoning += u.reasoning_tokens;
  }
  t.total = t.input + t.output + t.cacheRead;
  return t;
}

function ccusage(codexHome: string, home: string): CcCodexSession[] {
  const out = execFileSync(CCUSAGE, ['codex', 'session', '--json', '--offline'], { env: cleanEnv({ HOME: home, CODEX_HOME: codexHome }), encoding: 'utf8', timeout: 60_000 });
  return (JSON.parse(out) as { sessions: CcCodexSession[] }).sessions;
}

const firstLine = (file: string): Meta => JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Meta;

let layout: TempLayout;
let fake: CodexSubagentServer;
let sidecar: RunningServer;
let result: RunResult;
let parentFile: string;
let childFile: string;
let parentId: string;
let childId: string;

beforeAll(async () => {
  ensureRealClients();
  layout = makeTempLayout('am-codex-subagent-');
  onCleanup(() => layout.cleanup());
  const dataDir = join(layout.root, 'data');
  mkdirSync(dataDir, { recursive: true });
  fake = await startCodexSubagentServer();
  onCleanup(() => fake.server.close());
  writeCodexConfig({ codexHome: layout.codexHome, baseUrl: fake.server.url, model: MODEL });
  sidecar = await startPatched({ dir: dataDir, codexHome: layout.codexHome });
  const service = createHookService({
    settings: createMemorySettings({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true }),
    paths: { dataDir, claudeConfigDir: join(layout.home, '.claude'), codexHome: layout.codexHome },
    handlerSources: { claude: join(defaultOutDir, 'scripts', 'hook-handler.js'), codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js') },
  });
  expect((await service.syncHooksOnBoot()).codex.action).toBe('installed');
  result = await runCodex({
    codexHome: layout.codexHome,
    home: layout.home,
    cwd: layout.cwd,
    prompt: 'Ask a helper agent to run echo sub, wait for it, then say done.',
    bypassHookTrust: true,
    timeoutMs: 120_000,
  });
  expect(result.code, result.stderr).toBe(0);
  const files = findRollouts(layout.codexHome);
  expect(files, 'one rollout per thread').toHaveLength(2);
  childFile = files.find((f) => typeof firstLine(f).payload.source === 'object')!;
  parentFile = files.find((f) => f !== childFile)!;
  parentId = firstLine(parentFile).payload.id;
  childId = firstLine(childFile).payload.id;
}, 300_000);

afterAll(async () => {
  await sidecar?.stop();
});

describe('a Codex subagent spawned by the real CLI', () => {
  test('the model spawned it through multi_agent_v1 and waited; each thread got its scripted responses', () => {
    expect(fake.responses).toEqual({ parent: 3, child: 2 });
    expect(fake.spawnedId()).toBe(childId);
    expect(result.stdout).toContain('All done.');
    // The child's own rollout names its parent thread, as the importer reads it.
    const meta = firstLine(childFile).payload;
    expect(meta.source).toMatchObject({ subagent: { thread_spawn: { parent_thread_id: parentId, depth: 1 } } });
    expect(readFileSync(childFile, 'utf8')).toContain(CODEX_SUBAGENT_MARKER);
  });

  test('the session list nests it under its parent, with exact tokens per thread and the roll-up', async () => {
    const list = await waitFor('both rollouts imported', async () => {
      const page = await sidecar.get<{ sessions: Node[] }>('/api/session-list?harness=codex&limit=50');
      const parent = page.sessions[0];
      const child = parent?.children[0];
      return parent && child && parent.usage.own.records === 3 && child.usage.own.records === 2 ? page : null;
    }, 30_000);
    expect(list.sessions.map((s) => s.id)).toEqual([parentId]);
    const parent = list.sessions[0]!;
    expect(parent.children.map((c) => c.id)).toEqual([childId]);
    const child = parent.children[0]!;
    expect(child).toMatchObject({ parent_session_id: parentId, name: firstLine(childFile).payload.agent_nickname, parent_unknown: false });

    const parentTokens = expected(CODEX_PARENT_USAGE, 3);
    const childTokens = expected(CODEX_CHILD_USAGE, 2);
    // In numbers: 3000/3400/3800 input with 0/500/1000 cached, output 120/135/150 incl. reasoning 40/45/50;
    // the subagent 1500/1700 with 100/400 cached, output 60/67 incl. reasoning 20/23.
    expect(parentTokens).toEqual({ input: 8700, cacheRead: 1500, output: 405, reasoning: 135, cacheWrite: 0, total: 10605 });
    expect(childTokens).toEqual({ input: 2700, cacheRead: 500, output: 127, reasoning: 43, cacheWrite: 0, total: 3327 });
    expect(parent.usage.own.tokens).toEqual(parentTokens);
    expect(child.usage.own.tokens).toEqual(childTokens);
    expect(child.usage.total.tokens).toEqual(childTokens);
    expect(parent.usage.total.tokens).toEqual({
      input: 8700 + 2700, cacheRead: 1500 + 500, output: 405 + 127, reasoning: 135 + 43, cacheWrite: 0, total: 10605 + 3327,
    });
    const rates = ratesFor(defaultTable(), MODEL);
    expect(parent.usage.own.cost).toBeCloseTo(costOf(parentTokens, rates)!, 12);
    expect(child.usage.own.cost).toBeCloseTo(costOf(childTokens, rates)!, 12);
    expect(parent.usage.total.cost).toBeCloseTo(costOf(parentTokens, rates)! + costOf(childTokens, rates)!, 12);

    // The session view of the subagent links its parent, and the parent's lists it.
    const view = await sidecar.get<{ family: { parent: { id: string } | null } }>(`/api/sessions/${childId}/timeline?limit=1`);
    expect(view.family.parent?.id).toBe(parentId);
    const parentView = await sidecar.get<{ family: { children: Node[] } }>(`/api/sessions/${parentId}/timeline?limit=1`);
    expect(parentView.family.children.map((c) => c.id)).toEqual([childId]);
  }, 60_000);

  test("the subagent's tool call is stored under the subagent, seen by its hook (agent_id) and its rollout", async () => {
    const events = await waitFor('the subagent call seen by both sources', async () => {
      const ev = await sessionEvents(sidecar, childId);
      const pre = ev.find((e) => e.dedup_key === 'pre:call_sub_echo');
      return pre?.seen_by === 'hook,rollout' ? ev : null;
    }, 30_000);
    expect(events.filter((e) => e.dedup_key === 'pre:call_sub_echo')).toHaveLength(1);
    const parentEvents = await sessionEvents(sidecar, parentId);
    expect(parentEvents.some((e) => e.dedup_key === 'pre:call_sub_echo')).toBe(false);
  }, 60_000);

  test('ccusage@20.0.24 agrees on every thread it reports, and does not report the subagent rollout', async () => {
    const page = await sidecar.get<{ sessions: Node[] }>('/api/session-list?harness=codex&limit=50');
    const parent = page.sessions[0]!;
    const child = parent.children[0]!;
    const cc = ccusage(layout.codexHome, layout.home);
    expect(cc.map((s) => basename(s.sessionId))).toEqual([basename(parentFile, '.jsonl')]);
    const ccParent = cc[0]!;
    const own = parent.usage.own.tokens;
    expect({ input: own.input, output: own.output, cacheRead: own.cacheRead, reasoning: own.reasoning, total: own.total })
      .toEqual({ input: ccParent.inputTokens, output: ccParent.outputTokens, cacheRead: ccParent.cacheReadTokens, reasoning: ccParent.reasoningOutputTokens, total: ccParent.totalTokens });
    expect(parent.usage.own.cost).toBeCloseTo(ccParent.costUSD, 9); // both tables: gpt-5 at 1.25 / 10 / 0.125 per million
    // ccusage's total misses the subagent: ours is larger by exactly the subagent's tokens.
    expect(parent.usage.total.tokens.total - ccParent.totalTokens).toBe(child.usage.own.tokens.total);

    // Why: the same subagent rollout with only session_meta.source changed to a plain "exec" is
    // reported by ccusage, with the subagent's own numbers (equal to ours).
    const lines = readFileSync(childFile, 'utf8').split('\n');
    const meta = JSON.parse(lines[0]!) as Meta;
    meta.payload.source = 'exec';
    lines[0] = JSON.stringify(meta);
    const home2 = join(layout.root, 'codex-home-source-exec');
    const dir2 = join(home2, 'sessions', ...path.relative(join(layout.codexHome, 'sessions'), path.dirname(childFile)).split(path.sep));
    mkdirSync(dir2, { recursive: true });
    writeFileSync(join(dir2, basename(childFile)), lines.join('\n'));
    const cc2 = ccusage(home2, layout.home);
    expect(cc2).toHaveLength(1);
    const t = child.usage.own.tokens;
    expect({ input: t.input, output: t.output, cacheRead: t.cacheRead, reasoning: t.reasoning, total: t.total })
      .toEqual({ input: cc2[0]!.inputTokens, output: cc2[0]!.outputTokens, cacheRead: cc2[0]!.cacheReadTokens, reasoning: cc2[0]!.reasoningOutputTokens, total: cc2[0]!.totalTokens });
    expect(child.usage.own.cost).toBeCloseTo(cc2[0]!.costUSD, 9);
  }, 60_000);
});
