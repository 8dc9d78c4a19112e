/**
 * The IPC handlers with `electron` mocked (test/electron-main/_electron-mock.ts), against real settings files
 * (electron-store in a temp dir) and the real HookService on temp Claude/Codex folders.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { electronState as h } from './_electron-mock.js';

vi.mock('electron', async () => (await import('./_electron-mock.js')).electronModule());

import { ipcMain } from 'electron';
import { createRendererSenderCheck, registerAgentMonitorIpc } from '../../src/electron-main/ipc-handlers.js';
import { createElectronStoreSettings } from '../../src/electron-main/settings-store.js';
import { AgentMonitorChannel, MASTER_DISABLED_ERROR } from '../../src/shared/ipc.js';
import type { SettingsBackend } from '../../src/core/settings.js';
import { createTempWorld, codexCommands, ourCommands, realHookService, type TempWorld } from './_env.js';

const RENDERER_URL = pathToFileURL('/opt/agent-dashboard/dist/renderer/index.html').href;
const trusted = { senderFrame: { url: `${RENDERER_URL}#/settings/agents`, parent: null } };

let world: TempWorld;
let settings: SettingsBackend;
let masterChanges: boolean[];

function setup(): void {
  const service = realHookService(world, settings);
  registerAgentMonitorIpc({
    ipcMain,
    service,
    settings,
    isTrustedSender: createRendererSenderCheck(RENDERER_URL),
    onMasterChanged: (enabled) => {
      masterChanges.push(enabled);
    },
    getDashboardInfo: () => ({ url: 'http://127.0.0.1:4820/', state: 'running' }),
  });
}

function invoke(channel: string, ...args: unknown[]): Promise<unknown> {
  return invokeAs(trusted, channel, ...args);
}
async function invokeAs(event: unknown, channel: string, ...args: unknown[]): Promise<unknown> {
  const fn = h.handlers.get(channel);
  if (!fn) throw new Error(`no handler for ${channel}`);
  return fn(event, ...args);
}

beforeEach(() => {
  h.handlers.clear();
  world = createTempWorld('ipc-');
  h.userData = world.root;
  settings = createElectronStoreSettings({ cwd: world.dataDir });
  masterChanges = [];
  setup();
});

describe('registration', () => {
  it('registers exactly one handler per channel of src/shared/ipc.ts, idempotently', () => {
    expect([...h.handlers.keys()].sort()).toEqual(Object.values(AgentMonitorChannel).sort());
    // Registering again (e.g. a re-created window) must not throw "second handler".
    expect(() => setup()).not.toThrow();
    expect(h.handlers.size).toBe(Object.values(AgentMonitorChannel).length);
    for (const channel of Object.values(AgentMonitorChannel)) expect(ipcMain.removeHandler).toHaveBeenCalledWith(channel);
  });

  it('persists to the real electron-store settings file in the data dir', async () => {
    expect(await invoke(AgentMonitorChannel.setHooksEnabled, true)).toEqual({ ok: true, enabled: true });
    const stored = JSON.parse(fs.readFileSync(path.join(world.dataDir, 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(stored.hooksEnabled).toBe(true);
    expect(await invoke(AgentMonitorChannel.getHooksEnabled)).toBe(true);
    expect(ourCommands(world.claudeSettingsFile, 'hook-handler.js').length).toBeGreaterThan(0);
  });
});

describe('sender check', () => {
  const untrusted: Array<[string, unknown]> = [
    ['another page', { senderFrame: { url: 'https://evil.example/index.html', parent: null } }],
    ['the embedded sidecar frame', { senderFrame: { url: 'http://127.0.0.1:4820/', parent: { url: RENDERER_URL } } }],
    ['a subframe with our URL', { senderFrame: { url: RENDERER_URL, parent: { url: RENDERER_URL } } }],
    ['another local file', { senderFrame: { url: pathToFileURL('/tmp/evil.html').href, parent: null } }],
    ['no frame (destroyed)', { senderFrame: null }],
  ];
  it.each(untrusted)('rejects %s and changes nothing', async (_name, event) => {
    for (const channel of Object.values(AgentMonitorChannel)) {
      await expect(invokeAs(event, channel, true)).rejects.toThrow(/untrusted frame/);
    }
    expect(settings.get()).toEqual({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    expect(fs.existsSync(world.claudeSettingsFile)).toBe(false);
    expect(masterChanges).toEqual([]);
  });

  it('accepts our renderer whatever the route (hash) is', async () => {
    await expect(invokeAs({ senderFrame: { url: RENDERER_URL, parent: null } }, AgentMonitorChannel.getHooksEnabled)).resolves.toBe(false);
    await expect(invokeAs({ senderFrame: { url: `${RENDERER_URL}#/elsewhere`, parent: null } }, AgentMonitorChannel.getHooksEnabled)).resolves.toBe(false);
  });
});

describe('argument validation', () => {
  const setters = [AgentMonitorChannel.setHooksEnabled, AgentMonitorChannel.setCodexHooksOptIn, AgentMonitorChannel.setAgentDashboardEnabled];
  const bad: Array<[string, unknown[]]> = [
    ['the string "true"', ['true']],
    ['1', [1]],
    ['0', [0]],
    ['null', [null]],
    ['an object', [{ enabled: true }]],
    ['no argument', []],
    ['two booleans', [true, true]],
  ];
  it.each(bad)('rejects %s without coercing it', async (_name, args) => {
    for (const channel of setters) {
      const result = (await invoke(channel, ...args)) as { ok: boolean; error?: string };
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/^Expected a boolean, got /);
    }
    expect(settings.get()).toEqual({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    expect(fs.existsSync(world.claudeSettingsFile)).toBe(false);
    expect(fs.existsSync(world.codexHooksFile)).toBe(false);
    expect(masterChanges).toEqual([]);
  });
});

describe('master flag gating', () => {
  it('while the master flag is off: setters refuse with the exact error, getters return false', async () => {
    settings.set({ agentMonitorEnabled: false, hooksEnabled: true, codexOptIn: true });
    const refused = { ok: false, enabled: false, error: MASTER_DISABLED_ERROR };
    expect(await invoke(AgentMonitorChannel.setHooksEnabled, true)).toEqual(refused);
    expect(await invoke(AgentMonitorChannel.setCodexHooksOptIn, true)).toEqual(refused);
    expect(await invoke(AgentMonitorChannel.setHooksEnabled, false)).toEqual(refused);
    expect(await invoke(AgentMonitorChannel.getHooksEnabled)).toBe(false);
    expect(await invoke(AgentMonitorChannel.getCodexHooksOptIn)).toBe(false);
    expect(await invoke(AgentMonitorChannel.getCodexStatus)).toBe(false);
    expect(await invoke(AgentMonitorChannel.getDashboardUrl)).toEqual({ url: null, state: 'disabled' });
    expect(await invoke(AgentMonitorChannel.getAgentDashboardEnabled)).toBe(false);
    // Nothing was written and the intent is untouched.
    expect(fs.existsSync(world.claudeSettingsFile)).toBe(false);
    expect(fs.existsSync(world.codexHooksFile)).toBe(false);
    expect(settings.get()).toEqual({ agentMonitorEnabled: false, hooksEnabled: true, codexOptIn: true, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
  });

  it('master off removes installed hooks and stops the sidecar; master on reconciles them back', async () => {
    await invoke(AgentMonitorChannel.setHooksEnabled, true);
    await invoke(AgentMonitorChannel.setCodexHooksOptIn, true);
    expect(codexCommands(world.codexHooksFile).length).toBeGreaterThan(0);

    expect(await invoke(AgentMonitorChannel.setAgentDashboardEnabled, false)).toEqual({ ok: true, enabled: false });
    expect(masterChanges).toEqual([false]);
    expect(ourCommands(world.claudeSettingsFile, 'hook-handler.js')).toEqual([]);
    expect(codexCommands(world.codexHooksFile)).toEqual([]);
    expect(settings.get()).toEqual({ agentMonitorEnabled: false, hooksEnabled: true, codexOptIn: true, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' }); // choices kept

    expect(await invoke(AgentMonitorChannel.setAgentDashboardEnabled, true)).toEqual({ ok: true, enabled: true });
    expect(masterChanges).toEqual([false, true]);
    expect(ourCommands(world.claudeSettingsFile, 'hook-handler.js').length).toBeGreaterThan(0);
    expect(codexCommands(world.codexHooksFile).length).toBeGreaterThan(0);
  });
});

describe('failures keep the intent', () => {
  it('a read-only hooks.json: {ok:false, error}, the opt-in intent stays on for the next boot', async () => {
    await invoke(AgentMonitorChannel.setHooksEnabled, true);
    fs.writeFileSync(world.codexHooksFile, '{\n  "hooks": {}\n}\n');
    fs.chmodSync(world.codexHooksFile, 0o444);
    const result = (await invoke(AgentMonitorChannel.setCodexHooksOptIn, true)) as { ok: boolean; enabled: boolean; error?: string };
    expect(result.ok).toBe(false);
    expect(result.enabled).toBe(true);
    expect(result.error).toMatch(/read-only/);
    expect(settings.get().codexOptIn).toBe(true);
    expect(await invoke(AgentMonitorChannel.getCodexHooksOptIn)).toBe(true);
    expect(fs.readFileSync(world.codexHooksFile, 'utf8')).toBe('{\n  "hooks": {}\n}\n');
  });

  it('a service that throws still yields a ToggleResult, never a rejected invoke', async () => {
    h.handlers.clear();
    const service = realHookService(world, settings);
    service.setHooksEnabled = () => Promise.reject(new Error('disk on fire'));
    registerAgentMonitorIpc({ ipcMain, service, settings, isTrustedSender: () => true });
    expect(await invoke(AgentMonitorChannel.setHooksEnabled, true)).toEqual({ ok: false, enabled: false, error: 'disk on fire' });
  });
});

describe('codex status', () => {
  it('returns the real diagnostics plus the setup paragraph the renderer shows', async () => {
    await invoke(AgentMonitorChannel.setHooksEnabled, true);
    await invoke(AgentMonitorChannel.setCodexHooksOptIn, true);
    const status = (await invoke(AgentMonitorChannel.getCodexStatus)) as { installed: boolean; configPath: string; setupHint: string };
    expect(status.installed).toBe(true);
    expect(status.configPath).toBe(path.join(world.codexHome, 'config.toml'));
    expect(status.setupHint).toContain('[features].hooks');
    expect(status.setupHint).toContain('run /hooks in Codex to trust the command');
  });
});
