/**
 * The bundled dist/main.cjs, run in plain Node against a stand-in `electron`
 * (test/electron-main/fixtures/stub-electron): proves the CommonJS bundle loads with electron-store/conf
 * inlined, and that the shell boots in the right order — window with the secure preferences,
 * every channel registered, sidecar started and hooks reconciled while the master flag is on,
 * navigation locked, sidecar stopped before quitting. Real Electron is still needed for what the
 * stub cannot show (electron-smoke.test.ts, README).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShell } from '../../scripts/build-shell.js';
import { AgentMonitorChannel, AgentMonitorEvent } from '../../src/shared/ipc.js';
import { codexCommands, ourCommands } from './_env.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
let root: string;
let report: {
  windows: Array<{ options: { webPreferences: Record<string, unknown> }; loaded: { file: string; opts: { hash: string } } }>;
  channels: string[];
  calls: Record<string, unknown>;
  navigation: Record<string, unknown>;
  quit: Record<string, unknown> | null;
  logs: string[];
  error?: string;
};

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'main-bundle-'));
  // An app root laid out like the real one: dist/ (built now), build/agent-monitor/ (the contract
  // fixture stands in for the materialized server), build/agent-monitor/scripts/ (both Codex handlers).
  await buildShell({ outDir: path.join(root, 'dist') });
  const server = path.join(root, 'build/agent-monitor/server');
  fs.mkdirSync(server, { recursive: true });
  fs.copyFileSync(path.join(HERE, '../helpers/fake-sidecar.mjs'), path.join(server, 'index.js'));
  fs.writeFileSync(path.join(server, 'package.json'), '{"type":"module"}\n');
  fs.mkdirSync(path.join(root, 'build/agent-monitor/scripts'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build/agent-monitor/scripts/hook-handler.js'), '// stand-in\n');
  fs.writeFileSync(path.join(root, 'build/agent-monitor/scripts/codex-hook-handler.js'), '// stand-in\n');
  fs.writeFileSync(path.join(root, 'build/agent-monitor/scripts/codex-hook.sh'), '# stand-in\n');
  const modules = path.join(root, 'stub_modules');
  fs.mkdirSync(path.join(modules, 'electron'), { recursive: true });
  fs.copyFileSync(path.join(HERE, 'fixtures/stub-electron/index.js'), path.join(modules, 'electron/index.js'));
  for (const d of ['home', 'userData', 'claude', 'codex']) fs.mkdirSync(path.join(root, d));

  const reportFile = path.join(root, 'report.json');
  const run = spawnSync(process.execPath, [path.join(root, 'dist/main.cjs')], {
    env: {
      ...process.env,
      NODE_PATH: modules,
      STUB_ELECTRON_REPORT: reportFile,
      STUB_USER_DATA: path.join(root, 'userData'),
      STUB_HOME: path.join(root, 'home'),
      CLAUDE_CONFIG_DIR: path.join(root, 'claude'),
      CODEX_HOME: path.join(root, 'codex'),
      AGENT_MONITOR_PORT: '0',
      AGENT_MONITOR_DATA_DIR: '',
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (!fs.existsSync(reportFile)) throw new Error(`main.cjs produced no report (status ${run.status}):\n${run.stdout}\n${run.stderr}`);
  report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as typeof report;
  if (report.error) throw new Error(report.error);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('dist/main.cjs under a stand-in electron', () => {
  it('opens one locked-down window on the agent-settings route with the bundled preload', () => {
    expect(report.windows).toHaveLength(1);
    const [win] = report.windows;
    expect(win!.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: path.join(root, 'dist/preload.cjs') });
    expect(win!.loaded).toEqual({ file: path.join(root, 'dist/renderer/index.html'), opts: { hash: '/settings/agents' } });
  });

  it('registers every channel and serves them from the data dir under userData', () => {
    expect([...report.channels].sort()).toEqual(Object.values(AgentMonitorChannel).sort());
    expect(report.calls.setHooks).toEqual({ ok: true, enabled: true });
    expect(report.calls.setCodex).toEqual({ ok: true, enabled: true });
    expect(report.calls.badArg).toMatchObject({ ok: false, error: expect.stringMatching(/^Expected a boolean/) });
    expect(report.calls.untrusted).toMatch(/untrusted frame https:\/\/evil\.example/);
    const dataDir = path.join(root, 'userData', 'agent-monitor');
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8'))).toMatchObject({ hooksEnabled: true, codexOptIn: true });
    expect(ourCommands(path.join(root, 'claude/settings.json'), 'hook-handler.js').length).toBeGreaterThan(0);
    expect(codexCommands(path.join(root, 'codex/hooks.json')).length).toBeGreaterThan(0);
  });

  it('boots the sidecar and reconciles hooks while the master flag is on', () => {
    expect(report.calls.dashboardUrl).toMatchObject({ state: 'running', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/) });
    const i = report.logs.findIndex((l) => l.includes('state → running'));
    const j = report.logs.findIndex((l) => l.includes('hooks reconciled: claude unchanged, codex unchanged'));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(j).toBeGreaterThan(i);
  });

  it('blocks navigation except the sidecar inside the embedded view; no new windows', () => {
    const url = (report.calls.dashboardUrl as { url: string }).url;
    expect(report.navigation).toEqual({
      topLevelToSidecar: true,
      subframeToSidecar: false,
      subframeElsewhere: true,
      webviewAttach: true,
      openSidecar: { action: 'deny' },
      openElsewhere: { action: 'deny' },
      sent: [[AgentMonitorEvent.openInDashboard, `${url}x`]],
    });
  });

  it('stops the sidecar before quitting', () => {
    expect(report.quit).toEqual({ deferredForSidecarStop: true, done: true });
    expect(report.logs.some((l) => l.includes('state → stopped'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'userData', 'agent-monitor', 'runtime.json'))).toBe(false);
  });
});
