/**
 * The team choices outside Electron: the headless secrets file (`<data dir>/team-secrets.json`,
 * 0600, never replaced when unreadable), the sidecar environment they map to, and a running
 * sidecar (the real build) restarted by a change so its OTLP export follows the new endpoint.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { createHeadlessSecretStore, TEAM_SECRETS_FILE } from '../../src/core/team-secrets.js';
import { teamEnv, teamLaunchEnv, checkPostgresUrl } from '../../src/core/team-config.js';
import { createMemorySettings, SETTINGS_DEFAULTS } from '../../src/core/settings.js';
import { createAgentMonitorOps } from '../../src/core/agent-monitor-ops.js';
import type { HookService } from '../../src/core/hook-service.js';
import { createSidecarManager } from '../../src/core/sidecar-manager.js';

const REAL_SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/agent-monitor/server/index.js');
const PUSH = 'postgres://me:pa55word@db.internal:5432/agents?sslmode=verify-full';

describe('headless team secrets (<data dir>/team-secrets.json)', () => {
  it('stores and clears the strings in a 0600 file, written whole', () => {
    const dir = tempDir();
    const store = createHeadlessSecretStore({ dataDir: dir });
    expect(store.get()).toEqual({ teamDbUrl: null, teamViewUrl: null });
    expect(store.info()).toMatchObject({ available: true, where: expect.stringContaining('0600') });
    store.set({ teamDbUrl: PUSH });
    const file = path.join(dir, TEAM_SECRETS_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ version: 1, teamDbUrl: PUSH });
    store.set({ teamViewUrl: 'postgres://r:x@db/agents' });
    expect(createHeadlessSecretStore({ dataDir: dir }).get()).toEqual({ teamDbUrl: PUSH, teamViewUrl: 'postgres://r:x@db/agents' });
    store.set({ teamDbUrl: null });
    expect(store.get()).toEqual({ teamDbUrl: null, teamViewUrl: 'postgres://r:x@db/agents' });
    expect(fs.readdirSync(dir)).toEqual([TEAM_SECRETS_FILE]); // no temp file left behind
  });

  it('a file that is not JSON is reported with its path and never overwritten', () => {
    const dir = tempDir();
    const file = path.join(dir, TEAM_SECRETS_FILE);
    fs.writeFileSync(file, '{"teamDbUrl": "postgres://half', { mode: 0o600 });
    const store = createHeadlessSecretStore({ dataDir: dir });
    expect(() => store.get()).toThrow(new RegExp(`${TEAM_SECRETS_FILE} is not valid .*it was not replaced`));
    expect(() => store.set({ teamDbUrl: PUSH })).toThrow(/not valid/);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"teamDbUrl": "postgres://half');
  });

  it('maps the choices to the sidecar environment: every key present, the push URL only while sync is on', () => {
    const secrets = { teamDbUrl: PUSH, teamViewUrl: null };
    expect(teamEnv({ ...SETTINGS_DEFAULTS }, secrets)).toEqual({ AGENT_MONITOR_TEAM_DB_URL: '', AGENT_MONITOR_TEAM_VIEW_URL: '', AGENT_MONITOR_SHARE_TEXT: '', AGENT_MONITOR_OTLP_ENDPOINT: '' });
    expect(teamEnv({ ...SETTINGS_DEFAULTS, teamSyncEnabled: true, shareText: true, otlpEndpoint: 'http://c:4318' }, secrets)).toEqual({
      AGENT_MONITOR_TEAM_DB_URL: PUSH,
      AGENT_MONITOR_TEAM_VIEW_URL: '',
      AGENT_MONITOR_SHARE_TEXT: '1',
      AGENT_MONITOR_OTLP_ENDPOINT: 'http://c:4318',
    });
    expect(checkPostgresUrl('  postgresql://u@h/d ', 'x')).toBe('postgresql://u@h/d');
    expect(() => checkPostgresUrl('postgres://u:p@[bad/d', 'The URL')).toThrow(/not a valid URL \(postgres:\/\/u:\*\*\*@/);
  });
});

describe('a change restarts the sidecar with the new environment', () => {
  it('turning the OTLP export on through the operations reaches the running sidecar', async () => {
    const dataDir = tempDir();
    const settings = createMemorySettings();
    const secrets = createHeadlessSecretStore({ dataDir });
    const mgr = createSidecarManager({
      command: process.execPath,
      args: [REAL_SERVER],
      env: { AGENT_MONITOR_PORT: '0', AGENT_MONITOR_ROLLOUT: 'off', HOME: dataDir },
      launchEnv: teamLaunchEnv({ settings: () => settings.get(), secrets, log: () => {} }),
      dataDir,
      livenessIntervalMs: 0,
    });
    const ops = createAgentMonitorOps({ service: {} as HookService, settings, secrets, onTeamConfigChanged: async () => void (await mgr.restart()) });
    try {
      const first = await mgr.start();
      expect(first.state).toBe('running');
      const status = async (): Promise<{ otlp: { state: string; endpoint: string | null; share_text: boolean } }> => {
        const rt = mgr.snapshot().runtime!;
        const res = await fetch(`http://127.0.0.1:${rt.port}/api/host/status`, { headers: { Authorization: `Bearer ${rt.token}` } });
        return (await res.json()) as { otlp: { state: string; endpoint: string | null; share_text: boolean } };
      };
      expect((await status()).otlp).toMatchObject({ state: 'off', endpoint: null });

      const r = await ops.setOtlpEndpoint('http://127.0.0.1:9');
      expect(r.ok).toBe(true);
      const second = mgr.snapshot();
      expect(second.state).toBe('running');
      expect(second.pid).not.toBe(first.pid);
      expect((await status()).otlp).toMatchObject({ endpoint: 'http://127.0.0.1:9', share_text: false });

      expect((await ops.setShareText(true)).ok).toBe(true);
      expect((await status()).otlp).toMatchObject({ endpoint: 'http://127.0.0.1:9', share_text: true });
    } finally {
      await mgr.stop();
    }
  });

  it('an idle manager stays idle: the change is simply used at the next start', async () => {
    const mgr = createSidecarManager({ command: process.execPath, args: [REAL_SERVER], dataDir: tempDir() });
    expect((await mgr.restart()).state).toBe('idle');
  });
});
