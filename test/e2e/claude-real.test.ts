// The real Claude Code CLI (pinned in test/real-clients) against a fake Messages server on
// loopback, with our installer writing $HOME/.claude/settings.json, the materialized upstream
// handler (patched: token, delivery id, spool) and the real sidecar.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { defaultOutDir } from '../../scripts/build-agent-monitor.js';
import { createHookService } from '../../src/core/hook-service.js';
import { chooseClaudeTransport } from '../../src/core/hook-transport.js';
import { readClaudeHooks } from '../../src/core/claude-hooks.js';
import { createMemorySettings } from '../../src/core/settings.js';
import { sidecarLaunchSpec } from '../../src/core/sidecar-manager.js';
import { ensureRealClients } from '../real-clients/ensure.js';
import { claudeToolScript, startFakeAnthropic } from '../real-clients/fake-anthropic.js';
import { makeTempLayout } from '../real-clients/capture-helpers.js';
import { runClaude } from '../real-clients/run.js';
import { sessionEvents, type ApiSession } from '../helpers/api.js';
import { startPatched } from '../../scripts/lib/servers.js';
import { waitFor } from '../helpers/wait.js';
import { onCleanup } from '../helpers/temp.js';

/** Events a Claude session file also records (docs/contracts.md "Claude session files"). */
const FILE_VISIBLE = new Set(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']);

/**
 * The sidecar's environment as the host launches it (sidecarLaunchSpec: CLAUDE_CONFIG_DIR,
 * AGENT_MONITOR_CLAUDE_DIR, CODEX_HOME), with the consent the host saved in `<dataDir>/settings.json`
 * (Claude tracking on): its worker imports this Claude config dir's session files, as for a user.
 */
function hostEnv(dataDir: string, claudeConfigDir: string, codexHome: string, extra: Record<string, string> = {}): { codexHome: string; env: Record<string, string> } {
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: false }));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(sidecarLaunchSpec({ runtime: 'node', serverEntry: '', claudeConfigDir, codexHome }).env)) if (v !== undefined) env[k] = v;
  return { codexHome, env: { ...env, ...extra } };
}


beforeAll(() => {
  ensureRealClients();
}, 300_000);

describe('real Claude Code CLI end to end', () => {
  test('one scripted session with a tool call appears in the API with its events, each once', async () => {
    const layout = makeTempLayout('am-e2e-claude-');
    onCleanup(() => layout.cleanup());
    const dataDir = join(layout.root, 'data');
    mkdirSync(dataDir, { recursive: true });
    const fake = await startFakeAnthropic({ script: claudeToolScript({ commands: ['echo hello'] }) });
    onCleanup(() => fake.close());
    const sidecar = await startPatched({ dir: dataDir });
    onCleanup(async () => void (await sidecar.stop()));

    const service = createHookService({
      settings: createMemorySettings({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: false }),
      paths: { dataDir, claudeConfigDir: join(layout.home, '.claude'), codexHome: layout.codexHome },
      handlerSources: {
        claude: join(defaultOutDir, 'scripts', 'hook-handler.js'),
        codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js'),
      },
    });
    expect((await service.syncHooksOnBoot()).claude.action).toBe('installed');

    const result = await runClaude({
      home: layout.home,
      cwd: layout.cwd,
      prompt: 'Run echo hello and tell me what it printed.',
      baseUrl: fake.url,
      allowedTools: ['Bash'],
      timeoutMs: 90_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.issuedToolUseIds).toHaveLength(1);

    const { sessions } = await waitFor('the session row', async () => {
      const doc = await sidecar.get<{ sessions: ApiSession[] }>('/api/sessions');
      return doc.sessions.length ? doc : null;
    });
    expect(sessions).toHaveLength(1);
    const session = sessions[0]!;
    expect(session.harness).toBe('claude');
    expect(session.cwd).toBe(layout.cwd);

    const events = await waitFor('SessionEnd', async () => {
      const evs = await sessionEvents(sidecar, session.id);
      return evs.some((e) => e.hook_type === 'SessionEnd') ? evs : null;
    });
    const types = events.map((e) => e.hook_type);
    for (const t of ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd']) {
      expect(types.filter((x) => x === t), t).toHaveLength(1);
    }
    const pre = events.find((e) => e.hook_type === 'PreToolUse')!;
    expect(pre.tool_name).toBe('Bash');
    expect(pre.dedup_key).toBe(`pre:${fake.issuedToolUseIds[0]}`);
    expect(events.every((e) => e.source === 'hook' && e.seen_by === 'hook')).toBe(true);
    // The patched handler stamped a delivery id on every event; the Codex tag never appears.
    for (const e of events) {
      expect(typeof e.data?.__delivery_id).toBe('string');
      expect(e.data?.__provider).toBeUndefined();
    }
    // Model and tokens come from the transcript, read outside the write transaction.
    const after = await sidecar.get<{ session: ApiSession }>(`/api/sessions/${session.id}`);
    expect(after.session.model).toBeTruthy();
    expect(after.session.input_tokens).toBeGreaterThan(0);
    // Nothing was spooled: the sidecar was up for every event.
    const host = await sidecar.get<{ spool: { pending: number } }>('/api/host/status');
    expect(host.spool.pending).toBe(0);
  }, 180_000);

  test('HTTP hooks (type: "http", detected from the real CLI): every event once, posted by Claude Code itself', async () => {
    const { claudeBin, claudeVersion } = ensureRealClients();
    const layout = makeTempLayout('am-e2e-claude-http-');
    onCleanup(() => layout.cleanup());
    const dataDir = join(layout.root, 'data');
    mkdirSync(dataDir, { recursive: true });
    const fake = await startFakeAnthropic({ script: claudeToolScript({ commands: ['echo hello', 'echo again'] }) });
    onCleanup(() => fake.close());
    const claudeConfigDir = join(layout.home, '.claude');
    // The sidecar also imports this Claude config dir's session files, as it does for a user.
    const sidecar = await startPatched({ dir: dataDir, ...hostEnv(dataDir, claudeConfigDir, layout.codexHome) });
    onCleanup(async () => void (await sidecar.stop()));

    const service = createHookService({
      settings: createMemorySettings({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: false }),
      paths: { dataDir, claudeConfigDir, codexHome: layout.codexHome },
      handlerSources: {
        claude: join(defaultOutDir, 'scripts', 'hook-handler.js'),
        codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js'),
      },
      claudeTransport: () => chooseClaudeTransport({ command: claudeBin, env: {} }),
    });
    expect((await service.syncHooksOnBoot()).claude.action).toBe('installed');
    const transport = await service.getClaudeTransport();
    expect(transport, claudeVersion).toMatchObject({ installed: 'http', preferred: 'http', url: `http://127.0.0.1:${sidecar.port}/api/hooks/claude` });
    const entries = (await readClaudeHooks({ claudeConfigDir })).entries;
    expect(entries.length).toBeGreaterThan(0);
    // Claude Code runs no HTTP hook for SessionStart, so that one stays a command hook.
    expect(entries.filter((e) => e.type !== 'http').map((e) => e.event)).toEqual(['SessionStart']);

    const result = await runClaude({
      home: layout.home,
      cwd: layout.cwd,
      prompt: 'Run both commands and tell me what they printed.',
      baseUrl: fake.url,
      allowedTools: ['Bash'],
      timeoutMs: 90_000,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.issuedToolUseIds).toHaveLength(2);

    const { sessions } = await waitFor('the session row', async () => {
      const doc = await sidecar.get<{ sessions: ApiSession[] }>('/api/sessions');
      return doc.sessions.length ? doc : null;
    });
    expect(sessions).toHaveLength(1);
    const session = sessions[0]!;
    expect(session.harness).toBe('claude');
    // Settled: SessionEnd arrived and the session file import has seen every event it can see.
    const events = await waitFor('SessionEnd and the session-file import', async () => {
      const evs = await sessionEvents(sidecar, session.id);
      const fileVisible = evs.filter((e) => FILE_VISIBLE.has(e.hook_type));
      return evs.some((e) => e.hook_type === 'SessionEnd') && fileVisible.length === 7 && fileVisible.every((e) => e.seen_by === 'hook,rollout') ? evs : null;
    });
    const count = (t: string): number => events.filter((e) => e.hook_type === t).length;
    expect({ SessionStart: count('SessionStart'), UserPromptSubmit: count('UserPromptSubmit'), PreToolUse: count('PreToolUse'), PostToolUse: count('PostToolUse'), Stop: count('Stop'), SessionEnd: count('SessionEnd') }).toEqual({
      SessionStart: 1,
      UserPromptSubmit: 1,
      PreToolUse: 2,
      PostToolUse: 2,
      Stop: 1,
      SessionEnd: 1,
    });
    expect(events.filter((e) => e.hook_type === 'PreToolUse').map((e) => e.dedup_key).sort()).toEqual(fake.issuedToolUseIds.map((id) => `pre:${id}`).sort());
    // Posted by Claude Code itself (no handler ran, so no delivery id), except SessionStart; nothing spooled.
    // Exact dedup against the session file: one row per event, seen by both.
    const keys = events.map((e) => e.dedup_key).filter(Boolean);
    expect(new Set(keys).size).toBe(keys.length);
    expect(events.filter((e) => e.hook_type === 'SessionEnd').map((e) => e.seen_by)).toEqual(['hook']);
    const host = await sidecar.get<{ spool: { pending: number } }>('/api/host/status');
    expect(host.spool.pending).toBe(0);
  }, 180_000);

  test('HTTP hooks with the sidecar down for the whole session, started afterwards: every event from the session files, none twice', async () => {
    const { claudeBin } = ensureRealClients();
    const layout = makeTempLayout('am-e2e-claude-down-');
    onCleanup(() => layout.cleanup());
    const dataDir = join(layout.root, 'data');
    mkdirSync(dataDir, { recursive: true });
    const fake = await startFakeAnthropic({ script: claudeToolScript({ commands: ['echo hello', 'echo again'] }) });
    onCleanup(() => fake.close());
    const claudeConfigDir = join(layout.home, '.claude');
    // Where the sidecar will listen: nothing listens there during the session.
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const service = createHookService({
      settings: createMemorySettings({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: false }),
      paths: { dataDir, claudeConfigDir, codexHome: layout.codexHome },
      handlerSources: { claude: join(defaultOutDir, 'scripts', 'hook-handler.js'), codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js') },
      claudeTransport: () => chooseClaudeTransport({ command: claudeBin, env: {} }),
      hookPort: () => port,
    });
    expect((await service.syncHooksOnBoot()).claude.action).toBe('installed');
    expect((await service.getClaudeTransport()).installed).toBe('http');

    const result = await runClaude({ home: layout.home, cwd: layout.cwd, prompt: 'Run both commands and tell me what they printed.', baseUrl: fake.url, allowedTools: ['Bash'], timeoutMs: 90_000 });
    // A failed HTTP hook is a non-blocking error for Claude Code: the session ran normally.
    expect(result.code, result.stderr).toBe(0);
    expect(fake.issuedToolUseIds).toHaveLength(2);

    const sidecar = await startPatched({ dir: dataDir, ...hostEnv(dataDir, claudeConfigDir, layout.codexHome, { AGENT_MONITOR_PORT: String(port) }) });
    onCleanup(async () => void (await sidecar.stop()));
    const { sessions } = await waitFor('the session row', async () => {
      const doc = await sidecar.get<{ sessions: ApiSession[] }>('/api/sessions');
      return doc.sessions.length ? doc : null;
    });
    expect(sessions).toHaveLength(1);
    const session = sessions[0]!;
    expect(session.harness).toBe('claude');
    const events = await waitFor('every file-visible event', async () => {
      const evs = await sessionEvents(sidecar, session.id);
      // SessionStart is a command hook: spooled while the sidecar was down, drained, and also in the file.
      const start = evs.find((e) => e.hook_type === 'SessionStart');
      return evs.filter((e) => FILE_VISIBLE.has(e.hook_type)).length >= 7 && start?.seen_by === 'hook,rollout' ? evs : null;
    }, 20_000);
    const count = (t: string): number => events.filter((e) => e.hook_type === t).length;
    expect({ SessionStart: count('SessionStart'), UserPromptSubmit: count('UserPromptSubmit'), PreToolUse: count('PreToolUse'), PostToolUse: count('PostToolUse'), Stop: count('Stop') }).toEqual({
      SessionStart: 1,
      UserPromptSubmit: 1,
      PreToolUse: 2,
      PostToolUse: 2,
      Stop: 1,
    });
    const keys = events.map((e) => e.dedup_key).filter(Boolean);
    expect(new Set(keys).size).toBe(keys.length);
    expect(events.filter((e) => e.hook_type === 'PreToolUse').map((e) => e.dedup_key).sort()).toEqual(fake.issuedToolUseIds.map((id) => `pre:${id}`).sort());
    for (const e of events.filter((x) => x.hook_type.endsWith('ToolUse'))) expect(e.tool_name).toBe('Bash');
    expect(events.find((e) => e.hook_type === 'UserPromptSubmit')!.data?.prompt).toBe('Run both commands and tell me what they printed.');
    // The known gap: SessionEnd has no line in the file, and its HTTP hook failed.
    expect(count('SessionEnd')).toBe(0);
    // A restart imports nothing twice.
    await sidecar.stop();
    const again = await startPatched({ dir: dataDir, ...hostEnv(dataDir, claudeConfigDir, layout.codexHome) });
    onCleanup(async () => void (await again.stop()));
    await new Promise((r) => setTimeout(r, 2500));
    const after = await sessionEvents(again, session.id);
    expect(after.map((e) => e.dedup_key).sort()).toEqual(events.map((e) => e.dedup_key).sort());
  }, 180_000);
});
