/**
 * The team channels (sync, shared text, OTLP endpoint) through the real IPC handlers with
 * `electron` mocked: connection strings encrypted with (mocked) safeStorage in
 * `<data dir>/team-secrets.safe.json`, never in settings.json and never back to the renderer in
 * clear; refused when only plain-text storage exists; inputs validated; gated on the master flag;
 * every change restarts the sidecar, whose launch environment follows the saved choices.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { electronState as h } from './_electron-mock.js';

vi.mock('electron', async () => (await import('./_electron-mock.js')).electronModule());

import { ipcMain, safeStorage } from 'electron';
import { createRendererSenderCheck, registerAgentMonitorIpc } from '../../src/electron-main/ipc-handlers.js';
import { createElectronStoreSettings } from '../../src/electron-main/settings-store.js';
import { createSafeStorageSecretStore, PLAIN_TEXT_REFUSAL } from '../../src/electron-main/safe-secrets.js';
import { teamLaunchEnv } from '../../src/core/team-config.js';
import { AgentMonitorChannel, MASTER_DISABLED_ERROR, type TeamSettingResult, type TeamSettings } from '../../src/shared/ipc.js';
import type { SettingsBackend } from '../../src/core/settings.js';
import type { TeamSecretStore } from '../../src/core/team-secrets.js';
import { createTempWorld, realHookService, type TempWorld } from './_env.js';

const RENDERER_URL = pathToFileURL('/opt/agent-dashboard/dist/renderer/index.html').href;
const trusted = { senderFrame: { url: `${RENDERER_URL}#/settings/agents`, parent: null } };
const PUSH = 'postgres://pusher:s3cr%40t-push@db.example.com:5432/agents?sslmode=require';
const VIEW = 'postgresql://reader:v1ew-secret@db.example.com/agents';

let world: TempWorld;
let settings: SettingsBackend;
let secrets: TeamSecretStore;
let restarts: number;

async function invoke<T>(channel: string, ...args: unknown[]): Promise<T> {
  const fn = h.handlers.get(channel);
  if (!fn) throw new Error(`no handler for ${channel}`);
  return (await fn(trusted, ...args)) as T;
}
const secretsFile = (): string => path.join(world.dataDir, 'team-secrets.safe.json');
const filesText = (): string =>
  fs
    .readdirSync(world.dataDir)
    .map((f) => fs.readFileSync(path.join(world.dataDir, f), 'utf8'))
    .join('\n');

beforeEach(() => {
  h.handlers.clear();
  h.safeStorageAvailable = true;
  h.safeStorageBackend = 'gnome_libsecret';
  world = createTempWorld('team-ipc-');
  h.userData = world.root;
  settings = createElectronStoreSettings({ cwd: world.dataDir });
  secrets = createSafeStorageSecretStore({ dataDir: world.dataDir, safeStorage });
  restarts = 0;
  registerAgentMonitorIpc({
    ipcMain,
    service: realHookService(world, settings),
    settings,
    secrets,
    isTrustedSender: createRendererSenderCheck(RENDERER_URL),
    onTeamConfigChanged: () => {
      restarts += 1;
    },
  });
});

describe('team settings over IPC (host: safeStorage)', () => {
  it('stores the connection strings encrypted, shows them only redacted, and the sidecar env carries them', async () => {
    const fresh = await invoke<TeamSettings>(AgentMonitorChannel.getTeamSettings);
    expect(fresh).toMatchObject({ teamSyncEnabled: false, shareText: false, otlpEndpoint: null, teamDbUrl: null, teamViewUrl: null, secretStorage: { available: true } });

    const r1 = await invoke<TeamSettingResult>(AgentMonitorChannel.setTeamDbUrl, PUSH);
    expect(r1.ok).toBe(true);
    expect(r1.settings.teamDbUrl).toBe('postgres://pusher:***@db.example.com:5432/agents?sslmode=require');
    expect(r1.settings.teamSyncEnabled).toBe(false); // a URL alone pushes nothing
    expect((await invoke<TeamSettingResult>(AgentMonitorChannel.setTeamSyncEnabled, true)).settings.teamSyncEnabled).toBe(true);
    expect((await invoke<TeamSettingResult>(AgentMonitorChannel.setTeamViewUrl, VIEW)).settings.teamViewUrl).toBe('postgresql://reader:***@db.example.com/agents');
    expect((await invoke<TeamSettingResult>(AgentMonitorChannel.setShareText, true)).settings.shareText).toBe(true);
    expect((await invoke<TeamSettingResult>(AgentMonitorChannel.setOtlpEndpoint, ' http://127.0.0.1:4318 ')).settings.otlpEndpoint).toBe('http://127.0.0.1:4318');
    expect(restarts).toBe(5);

    // On disk: the secrets only encrypted, in a 0600 file; settings.json holds the choices, no secret.
    expect(fs.statSync(secretsFile()).mode & 0o777).toBe(0o600);
    const all = filesText();
    for (const secret of ['s3cr', 'v1ew-secret', 'pusher', 'reader']) expect(all).not.toContain(secret);
    const stored = JSON.parse(fs.readFileSync(path.join(world.dataDir, 'settings.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ teamSyncEnabled: true, shareText: true, otlpEndpoint: 'http://127.0.0.1:4318' });

    // What the sidecar is launched with (src/core/sidecar-manager.ts launchEnv).
    const env = teamLaunchEnv({ settings: () => settings.get(), secrets, log: () => {} })();
    expect(env).toEqual({
      AGENT_MONITOR_TEAM_DB_URL: PUSH,
      AGENT_MONITOR_TEAM_VIEW_URL: VIEW,
      AGENT_MONITOR_SHARE_TEXT: '1',
      AGENT_MONITOR_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    });

    // Sync off: the push URL is kept but no longer passed; clearing it turns sync off for good.
    await invoke(AgentMonitorChannel.setTeamSyncEnabled, false);
    expect(teamLaunchEnv({ settings: () => settings.get(), secrets, log: () => {} })().AGENT_MONITOR_TEAM_DB_URL).toBe('');
    await invoke(AgentMonitorChannel.setTeamSyncEnabled, true);
    const cleared = await invoke<TeamSettingResult>(AgentMonitorChannel.setTeamDbUrl, '');
    expect(cleared.settings).toMatchObject({ teamDbUrl: null, teamSyncEnabled: false });
    const off = await invoke<TeamSettingResult>(AgentMonitorChannel.setTeamSyncEnabled, true);
    expect(off).toMatchObject({ ok: false, error: expect.stringMatching(/connection string first/) });
  });

  it('refuses to store a connection string when safeStorage cannot encrypt (or is plain text), and says why', async () => {
    h.safeStorageAvailable = false;
    const r = await invoke<TeamSettingResult>(AgentMonitorChannel.setTeamDbUrl, PUSH);
    expect(r).toMatchObject({ ok: false, error: PLAIN_TEXT_REFUSAL, settings: { teamDbUrl: null, secretStorage: { available: false, error: PLAIN_TEXT_REFUSAL } } });
    expect(fs.existsSync(secretsFile())).toBe(false);
    expect(restarts).toBe(0);
    // The choices that are not secrets still work.
    expect((await invoke<TeamSettingResult>(AgentMonitorChannel.setShareText, true)).ok).toBe(true);

    h.safeStorageAvailable = true;
    h.safeStorageBackend = 'basic_text'; // Linux without a keyring: a fixed key, plain text in effect
    const r2 = await invoke<TeamSettingResult>(AgentMonitorChannel.setTeamViewUrl, VIEW);
    if (process.platform === 'linux') expect(r2).toMatchObject({ ok: false, error: PLAIN_TEXT_REFUSAL });
    else expect(r2.ok).toBe(true);
    expect(filesText()).not.toContain('v1ew-secret');
  });

  it('validates what the page sends: types, URL schemes; nothing stored on a refusal', async () => {
    const cases: Array<[string, unknown[], RegExp]> = [
      [AgentMonitorChannel.setTeamDbUrl, [true], /^Expected a string, got boolean/],
      [AgentMonitorChannel.setTeamDbUrl, [], /^Expected a string, got /],
      [AgentMonitorChannel.setTeamDbUrl, ['mysql://x@y/z'], /must be a postgres:\/\/ or postgresql:\/\/ URL/],
      [AgentMonitorChannel.setTeamViewUrl, ['https://db.example.com'], /must be a postgres:\/\//],
      [AgentMonitorChannel.setShareText, ['yes'], /^Expected a boolean, got string/],
      [AgentMonitorChannel.setTeamSyncEnabled, [1], /^Expected a boolean, got number/],
      [AgentMonitorChannel.setOtlpEndpoint, ['ftp://collector:21'], /must be http:\/\/ or https:\/\//],
      [AgentMonitorChannel.setOtlpEndpoint, ['not a url'], /is not a URL/],
      [AgentMonitorChannel.setOtlpEndpoint, ['http://x/' + 'a'.repeat(3000)], /longer than 2048/],
    ];
    for (const [channel, args, error] of cases) {
      const r = await invoke<TeamSettingResult>(channel, ...args);
      expect(r.ok, `${channel} ${JSON.stringify(args).slice(0, 40)}`).toBe(false);
      expect(!r.ok && r.error, channel).toMatch(error);
    }
    expect(restarts).toBe(0);
    expect(fs.existsSync(secretsFile())).toBe(false);
    expect(settings.get()).toMatchObject({ teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
  });

  it('gated on the master flag like every other setter', async () => {
    settings.set({ agentMonitorEnabled: false });
    for (const [channel, arg] of [
      [AgentMonitorChannel.setTeamSyncEnabled, true],
      [AgentMonitorChannel.setTeamDbUrl, PUSH],
      [AgentMonitorChannel.setTeamViewUrl, VIEW],
      [AgentMonitorChannel.setShareText, true],
      [AgentMonitorChannel.setOtlpEndpoint, 'http://127.0.0.1:4318'],
    ] as const) {
      expect(await invoke<TeamSettingResult>(channel, arg)).toMatchObject({ ok: false, error: MASTER_DISABLED_ERROR });
    }
    expect(restarts).toBe(0);
    expect(fs.existsSync(secretsFile())).toBe(false);
  });

  it('a secrets file that cannot be decrypted is reported, not replaced, and the sidecar starts without it', async () => {
    fs.writeFileSync(secretsFile(), JSON.stringify({ version: 1, teamDbUrl: Buffer.from('not ours').toString('base64') }), { mode: 0o600 });
    const t = await invoke<TeamSettings>(AgentMonitorChannel.getTeamSettings);
    expect(t.error).toMatch(/could not be decrypted/);
    const lines: string[] = [];
    const env = teamLaunchEnv({ settings: () => settings.get(), secrets, log: (l) => lines.push(l) })();
    expect(env.AGENT_MONITOR_TEAM_DB_URL).toBe('');
    expect(lines.join('\n')).toMatch(/connection strings not passed/);
  });
});
