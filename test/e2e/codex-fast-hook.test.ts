// The real Codex CLI (pinned in test/real-clients) running our POSIX sh + curl hook
// (src/handlers/codex-hook.sh, installed by the hook service) against a fake model server on
// loopback: with the sidecar up every event is stored once; with the sidecar down every event is
// spooled and drained exactly once when it starts; with the sidecar hung every hook returns at
// once and its background delivery gives up on its own (its bound) and spools.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { defaultOutDir } from '../../scripts/build-agent-monitor.js';
import { startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { readCodexHooks } from '../../src/core/codex-hooks.js';
import { createHookService } from '../../src/core/hook-service.js';
import { chooseCodexTransport } from '../../src/core/hook-transport.js';
import { createMemorySettings } from '../../src/core/settings.js';
import { writeRuntimeFile } from '../../src/sidecar/host/runtime-file.js';
import { sessionEvents, type ApiEvent } from '../helpers/api.js';
import { waitFor } from '../helpers/wait.js';
import { findRollouts, makeTempLayout, type TempLayout } from '../real-clients/capture-helpers.js';
import { ensureRealClients } from '../real-clients/ensure.js';
import { startFakeOpenAI, toolScript, type FakeOpenAI } from '../real-clients/fake-openai.js';
import { runCodex, writeCodexConfig } from '../real-clients/run.js';
import { onCleanup } from '../helpers/temp.js';


beforeAll(() => {
  ensureRealClients();
}, 300_000);

const COMMANDS = ['echo hello', 'echo again'];
/** The hook events of one turn with two tool calls (Codex 0.169 fires these). */
const EXPECTED = { SessionStart: 1, UserPromptSubmit: 1, PreToolUse: 2, PostToolUse: 2, Stop: 1 };

interface Setup {
  layout: TempLayout;
  dataDir: string;
  fake: FakeOpenAI;
}

/** Temp folders, the fake model, and our hooks installed with the sh + curl transport. */
async function setup(prefix: string): Promise<Setup> {
  const layout = makeTempLayout(prefix);
  onCleanup(() => layout.cleanup());
  const dataDir = join(layout.root, 'data');
  mkdirSync(dataDir, { recursive: true });
  const fake = await startFakeOpenAI({ script: toolScript({ commands: COMMANDS }) });
  onCleanup(() => fake.close());
  writeCodexConfig({ codexHome: layout.codexHome, baseUrl: fake.url });
  const service = createHookService({
    settings: createMemorySettings({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true }),
    paths: { dataDir, claudeConfigDir: join(layout.home, '.claude'), codexHome: layout.codexHome },
    handlerSources: { claude: join(defaultOutDir, 'scripts', 'hook-handler.js'), codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js') },
    codexTransport: () => chooseCodexTransport(),
  });
  expect((await service.syncHooksOnBoot()).codex.action).toBe('installed');
  const { entries } = await readCodexHooks({ codexHome: layout.codexHome });
  expect(entries.length).toBeGreaterThan(0);
  for (const e of entries) expect(e.command).toMatch(/^\/bin\/sh ".*\/hooks\/codex-hook\.sh" \w+$/);
  return { layout, dataDir, fake };
}

async function run(s: Setup, env: Record<string, string> = {}): Promise<string> {
  const result = await runCodex({ codexHome: s.layout.codexHome, home: s.layout.home, cwd: s.layout.cwd, prompt: 'Run the commands and report.', bypassHookTrust: true, timeoutMs: 120_000, env });
  expect(result.code, result.stderr).toBe(0);
  const [rollout] = findRollouts(s.layout.codexHome);
  return (JSON.parse(readFileSync(rollout!, 'utf8').split('\n')[0]!) as { payload: { id: string } }).payload.id;
}

function spooled(dataDir: string): Array<{ hook_type: string; data: Record<string, unknown> }> {
  const f = join(dataDir, 'spool', 'events.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { hook_type: string; data: Record<string, unknown> });
}

/**
 * The hook returns before its background delivery ends (docs/contracts.md "Codex hook
 * execution"): wait until every write-ahead file is gone, i.e. every event posted or spooled.
 */
async function deliveriesDone(dataDir: string): Promise<void> {
  const dir = join(dataDir, 'spool', 'inflight');
  await waitFor('every background delivery to finish', () => (!existsSync(dir) || readdirSync(dir).length === 0 ? true : null), 15_000);
}

function counts(types: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of types) if (t in EXPECTED) out[t] = (out[t] ?? 0) + 1;
  return out;
}

/** Every event seen by the hook, each once, and the rollout importer caught up (one row per key). */
async function settled(sidecar: RunningServer, sessionId: string): Promise<ApiEvent[]> {
  return waitFor('every hook event once, merged with the rollout', async () => {
    const events = await sessionEvents(sidecar, sessionId).catch(() => [] as ApiEvent[]);
    const fromHook = events.filter((e) => e.seen_by.includes('hook'));
    const stop = events.find((e) => e.hook_type === 'Stop');
    const got = counts(fromHook.map((e) => e.hook_type));
    const complete = Object.entries(EXPECTED).every(([k, n]) => got[k] === n);
    if (!stop?.seen_by.includes('rollout') || !complete) return null;
    return events;
  }, 30_000);
}

function expectEachOnce(events: ApiEvent[]): void {
  expect(counts(events.map((e) => e.hook_type))).toEqual(EXPECTED);
  const keys = events.map((e) => e.dedup_key).filter(Boolean);
  expect(new Set(keys).size).toBe(keys.length);
  for (const e of events.filter((x) => x.hook_type in EXPECTED)) expect(e.seen_by, `${e.hook_type} ${e.dedup_key}`).toBe('hook,rollout');
}

describe.runIf(process.platform !== 'win32')('real Codex CLI with the sh + curl hook', () => {
  test('sidecar up: every event once, posted live (nothing spooled)', async () => {
    const s = await setup('am-e2e-codex-sh-up-');
    const sidecar = await startPatched({ dir: s.dataDir, codexHome: s.layout.codexHome });
    onCleanup(async () => void (await sidecar.stop()));
    // A patient wait (Codex passes its environment to hooks), so a loaded machine does not turn
    // a live post into a spooled one; the default wait is what the benchmark measures.
    const sessionId = await run(s, { AGENT_MONITOR_HOOK_WAIT_MS: '5000' });
    expectEachOnce(await settled(sidecar, sessionId));
    const host = await sidecar.get<{ lastCodexHookEventAt: string | null; spool: { pending: number } }>('/api/host/status');
    expect(host.lastCodexHookEventAt).not.toBeNull();
    expect(host.spool.pending).toBe(0);
  }, 240_000);

  test('sidecar down during the session: every event spooled, then drained exactly once when it starts', async () => {
    const s = await setup('am-e2e-codex-sh-down-');
    const sessionId = await run(s);
    await deliveriesDone(s.dataDir);
    const lines = spooled(s.dataDir);
    expect(counts(lines.map((l) => l.hook_type))).toEqual(EXPECTED);
    expect(new Set(lines.map((l) => l.data.__delivery_id)).size).toBe(lines.length);

    const sidecar = await startPatched({ dir: s.dataDir, codexHome: s.layout.codexHome });
    onCleanup(async () => void (await sidecar.stop()));
    const events = await settled(sidecar, sessionId);
    expectEachOnce(events);
    await waitFor('the spool to be drained', async () => ((await sidecar.get<{ spool: { pending: number } }>('/api/host/status')).spool.pending === 0 ? true : null), 10_000);
    expect(existsSync(join(s.dataDir, 'spool', 'events.jsonl.draining'))).toBe(false);
    // A restart drains nothing twice.
    await sidecar.stop();
    const again = await startPatched({ dir: s.dataDir, codexHome: s.layout.codexHome });
    onCleanup(async () => void (await again.stop()));
    expectEachOnce(await settled(again, sessionId));
  }, 240_000);

  test('sidecar hung (accepts, never answers): each hook gives up within its bound and spools; Codex reports no hook timeout', async () => {
    const s = await setup('am-e2e-codex-sh-hung-');
    const sockets: net.Socket[] = [];
    const hung = net.createServer((sock) => {
      sock.on('error', () => {});
      sockets.push(sock);
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise<void>((r) => { for (const x of sockets) x.destroy(); hung.close(() => r()); }));
    const port = (hung.address() as net.AddressInfo).port;
    // What a live sidecar would have written, naming this (live) process and the hung port.
    writeRuntimeFile(s.dataDir, { version: 1, port, pid: process.pid, token: 'b2'.repeat(32), startedAt: new Date().toISOString() });

    const result = await runCodex({ codexHome: s.layout.codexHome, home: s.layout.home, cwd: s.layout.cwd, prompt: 'Run the commands and report.', bypassHookTrust: true, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(`${result.stdout}\n${result.stderr}`).not.toMatch(/hook[^\n]*timed out/i);
    // Each hook returned at once; its background delivery connected (the sidecar was "there"),
    // waited its bound and spooled.
    await deliveriesDone(s.dataDir);
    expect(sockets.length).toBeGreaterThanOrEqual(Object.values(EXPECTED).reduce((a, b) => a + b, 0));
    expect(counts(spooled(s.dataDir).map((l) => l.hook_type))).toEqual(EXPECTED);
  }, 240_000);
});
