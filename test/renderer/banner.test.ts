/**
 * The consent banner in REAL headless Chromium: the built index.html (with its
 * real CSP), the REAL bundled preload evaluated with a stand-in `require('electron')` whose
 * ipcRenderer.invoke is routed through a Playwright binding to the REAL IPC handlers registered
 * here (electron mocked), with real settings files, the real HookService on a temp Claude dir and
 * CODEX_HOME, and a real sidecar child (the contract fixture) behind the embedded dashboard.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Frame, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { electronState as h } from '../electron-main/_electron-mock.js';

vi.mock('electron', async () => (await import('../electron-main/_electron-mock.js')).electronModule());

import { ipcMain, safeStorage } from 'electron';
import { createSafeStorageSecretStore, PLAIN_TEXT_REFUSAL } from '../../src/electron-main/safe-secrets.js';
import { teamLaunchEnv } from '../../src/core/team-config.js';
import { buildShell } from '../../scripts/build-shell.js';
import type { SettingsBackend } from '../../src/core/settings.js';
import { createRendererSenderCheck, registerAgentMonitorIpc } from '../../src/electron-main/ipc-handlers.js';
import { createElectronStoreSettings } from '../../src/electron-main/settings-store.js';
import { createHostStatusReader, createSidecarManager, type SidecarManager } from '../../src/core/sidecar-manager.js';
import { AgentMonitorChannel } from '../../src/shared/ipc.js';
import { launchChromium } from '../../scripts/lib/browser.js';
import { createTempWorld, ourCommands, realHookService, type TempWorld } from '../electron-main/_env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURE_SIDECAR = path.join(ROOT, 'test/helpers/fake-sidecar.mjs');
// The real materialized server when it has been built (test/helpers/global-setup.ts builds it),
// else the contract fixture (SKIP_MONITOR_BUILD=1 on a fresh checkout).
const REAL_SERVER = path.join(ROOT, 'build/agent-monitor/server/index.js');
const SIDECAR_ENTRY = fs.existsSync(REAL_SERVER) ? REAL_SERVER : FIXTURE_SIDECAR;
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'renderer');
const DOC_SCREENSHOT = path.join(ROOT, 'docs', 'screenshots', 'consent-banner.png');

let browser: Browser;
let outDir: string;
let rendererHtml: string;
let preloadCode: string;

// Per test
let world: TempWorld;
let settings: SettingsBackend;
let sidecar: SidecarManager;
let page: Page;
let pageErrors: string[];
/** Lets a test hold a channel's reply to observe the pending state. */
let hold: { channel: string; release: Promise<void> } | null;

/** The real preload bundle, run the way Electron runs a sandboxed preload: a CJS wrapper with a
 *  `require` that only knows `electron`. Installed in the top frame only (Electron's default:
 *  no preload in subframes). */
function preloadInitScript(code: string): string {
  return `(() => {
  if (window.top !== window) return;
  const listeners = new Map();
  const electron = {
    contextBridge: {
      exposeInMainWorld(key, api) {
        Object.defineProperty(window, key, { value: Object.freeze({ ...api }), enumerable: true, configurable: false, writable: false });
      },
    },
    ipcRenderer: {
      invoke: (channel, ...args) => window.__agentMonitorIpc(channel, args),
      on(channel, fn) { (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)).add(fn); },
      removeListener(channel, fn) { listeners.get(channel)?.delete(fn); },
    },
  };
  window.__agentMonitorEmit = (channel, ...args) => { for (const fn of listeners.get(channel) ?? []) fn({}, ...args); };
  const module = { exports: {} };
  const require = (name) => { if (name === 'electron') return electron; throw new Error('a sandboxed preload cannot require ' + name); };
  (function (require, module, exports) {\n${code}\n})(require, module, module.exports);
})();`;
}

function senderEventFor(frame: Frame): unknown {
  const parent = frame.parentFrame();
  return { senderFrame: { url: frame.url(), parent: parent ? { url: parent.url() } : null } };
}

async function shot(name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The embedded dashboard frame has loaded the sidecar's page. */
async function dashboardLoaded(): Promise<Frame> {
  await page.locator('#dashboardFrame:not([hidden])').waitFor({ timeout: 10_000 });
  const url = sidecar.snapshot().url!;
  await expect.poll(() => page.frames().some((f) => f.url().startsWith(url)), { timeout: 10_000 }).toBe(true);
  const frame = page.frames().find((f) => f.url().startsWith(url))!;
  await frame.waitForLoadState('load');
  expect((await frame.locator('body').innerText()).trim().length).toBeGreaterThan(0);
  return frame;
}

const hintState = (id: string): Promise<string | undefined> => page.$eval(`#${id}`, (el) => (el as HTMLElement).dataset.state);
const waitHint = (id: string, state: string): Promise<void> => page.locator(`#${id}[data-state="${state}"]`).waitFor({ timeout: 10_000 });
const hintText = (id: string): Promise<string> => page.locator(`#${id}`).innerText();
const isChecked = (id: string): Promise<boolean> => page.locator(`#${id}`).isChecked();
const isDisabled = (id: string): Promise<boolean> => page.locator(`#${id}`).isDisabled();

async function openPage(): Promise<void> {
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  await page.exposeBinding('__agentMonitorIpc', async ({ frame }, channel: string, args: unknown[]) => {
    const handler = h.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    if (hold && hold.channel === channel) await hold.release;
    return handler(senderEventFor(frame), ...args);
  });
  await page.addInitScript({ content: preloadInitScript(preloadCode) });
  await page.goto(pathToFileURL(rendererHtml).href);
  try {
    await page.locator('#claudeDashHint[data-state]').waitFor({ timeout: 10_000 });
    await page.locator('#codexDashHint[data-state]').waitFor({ timeout: 10_000 });
  } catch (err) {
    throw new Error(`the banner did not render: ${String(err)}\npage errors: ${pageErrors.join('\n')}`);
  }
}

describe('consent banner in headless Chromium', () => {
  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shell-dist-'));
    const built = await buildShell({ outDir, targets: ['preload', 'renderer'] });
    rendererHtml = built.files.renderer!;
    preloadCode = fs.readFileSync(built.files.preload!, 'utf8');
    ({ browser } = await launchChromium());
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    h.handlers.clear();
    hold = null;
    world = createTempWorld('banner-');
    h.userData = world.root;
    settings = createElectronStoreSettings({ cwd: world.dataDir });
    h.safeStorageAvailable = true;
    const secrets = createSafeStorageSecretStore({ dataDir: world.dataDir, safeStorage });
    sidecar = createSidecarManager({
      command: process.execPath,
      args: [SIDECAR_ENTRY],
      env: { AGENT_MONITOR_PORT: '0', CODEX_HOME: world.codexHome },
      launchEnv: teamLaunchEnv({ settings: () => settings.get(), secrets, log: () => {} }),
      dataDir: world.dataDir,
      healthTimeoutMs: 15_000,
    });
    const service = realHookService(world, settings, { sidecarStatus: createHostStatusReader({ manager: sidecar }) });
    registerAgentMonitorIpc({
      ipcMain,
      service,
      settings,
      isTrustedSender: createRendererSenderCheck(pathToFileURL(rendererHtml).href),
      getDashboardInfo: () => sidecar.dashboardInfo(),
      onMasterChanged: async (enabled) => {
        if (enabled) await sidecar.start();
        else await sidecar.stop();
      },
      secrets,
      onTeamConfigChanged: async () => {
        await sidecar.restart();
      },
    });
    await sidecar.start(); // what boot does while the master flag is on
    await openPage();
  });
  afterEach(async () => {
    await page?.close();
    await sidecar?.stop();
  });

  it('Claude then Codex toggle: hooks.json gains our entries and the hints turn on; again: removed', async () => {
    // Initial: Claude off, Codex waits for Claude, dashboard embedded.
    expect(await isChecked('claudeDashConsent')).toBe(false);
    expect(await hintState('claudeDashHint')).toBe('off');
    expect(await isDisabled('codexDashConsent')).toBe(true);
    expect(await hintText('codexDashHint')).toMatch(/Needs Claude Code session tracking/);
    expect(await hintText('codexDashHint')).toMatch(/rollout-file watcher continues/);
    await dashboardLoaded();
    expect(await page.locator('#sidecarPill').innerText()).toBe('Monitor running');
    await shot('01-initial');

    await page.click('#claudeDashConsent');
    await waitHint('claudeDashHint', 'on');
    expect(await isChecked('claudeDashConsent')).toBe(true);
    expect(ourCommands(world.claudeSettingsFile, 'hook-handler.js').length).toBeGreaterThan(0);
    // Toggling Claude refreshed the Codex row: now enabled, off, and it says the watcher continues.
    await waitHint('codexDashHint', 'off');
    expect(await isDisabled('codexDashConsent')).toBe(false);
    expect(await hintText('codexDashHint')).toMatch(/^Off: no Codex hooks installed; the rollout-file watcher continues/);
    await shot('02-claude-on');

    await page.click('#codexDashConsent');
    await waitHint('codexDashHint', 'on');
    expect(await isChecked('codexDashConsent')).toBe(true);
    expect([...ourCommands(world.codexHooksFile, 'codex-hook-handler.js'), ...ourCommands(world.codexHooksFile, 'codex-hook.sh')].length).toBeGreaterThan(0);
    const codexHint = await hintText('codexDashHint');
    expect(codexHint).toContain(`On: our hooks are in ${world.codexHooksFile}.`);
    expect(codexHint).toContain('[features].hooks');
    expect(codexHint).toContain(path.join(world.codexHome, 'config.toml'));
    expect(codexHint).toContain('run /hooks in Codex to trust the command');
    const good = await shot('03-codex-on');
    if (!fs.existsSync(DOC_SCREENSHOT) || process.env.UPDATE_DOC_SCREENSHOTS === '1') {
      fs.mkdirSync(path.dirname(DOC_SCREENSHOT), { recursive: true });
      fs.copyFileSync(good, DOC_SCREENSHOT);
    }

    await page.click('#codexDashConsent');
    await waitHint('codexDashHint', 'off');
    expect(await isChecked('codexDashConsent')).toBe(false);
    expect([...ourCommands(world.codexHooksFile, 'codex-hook-handler.js'), ...ourCommands(world.codexHooksFile, 'codex-hook.sh')]).toEqual([]);

    await page.click('#claudeDashConsent');
    await waitHint('claudeDashHint', 'off');
    expect(ourCommands(world.claudeSettingsFile, 'hook-handler.js')).toEqual([]);
    await waitHint('codexDashHint', 'blocked');
    expect(await isDisabled('codexDashConsent')).toBe(true);
    expect(settings.get()).toEqual({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    expect(pageErrors).toEqual([]);
  });

  it('team section: consent wording, a connection string saved encrypted and shown only masked, sync on, OTLP endpoint reaches the sidecar', async () => {
    const push = 'postgres://pusher:Pu5h-S3cret@db.example.com:5432/agents?sslmode=require';
    // The consent a user needs, before anything is on.
    expect(await page.locator('#teamSyncConsent').innerText()).toMatch(/API list-price cost estimates.*outbound only.*machine's name, your user name/s);
    expect(await page.locator('#shareTextConsent').innerText()).toMatch(/^Off by default: only metadata, tool names, token counts and costs leave the machine/);
    expect(await page.locator('#otlpConsent').innerText()).toMatch(/Leave empty to send nothing/);
    expect(await isChecked('teamSyncEnabled')).toBe(false);
    expect(await isChecked('shareTextEnabled')).toBe(false);
    expect(await hintText('teamSyncHint')).toMatch(/Off: enter a connection string below/);
    expect(await page.locator('#teamSecretsNote').innerText()).toMatch(/encrypted with the OS keychain/);

    // An empty Save never clears what is stored.
    await page.click('#teamDbUrlSave');
    await page.locator('#teamSecretsNote[data-state="failed"]').waitFor();
    expect(await page.locator('#teamSecretsNote').innerText()).toMatch(/Type a value first/);

    await page.fill('#teamDbUrl', push);
    await page.click('#teamDbUrlSave');
    await page.locator('#teamDbUrl[placeholder^="postgres://pusher:***@"]').waitFor();
    expect(await page.inputValue('#teamDbUrl')).toBe(''); // not kept in the page
    const onDisk = fs.readFileSync(path.join(world.dataDir, 'team-secrets.safe.json'), 'utf8');
    expect(onDisk).not.toContain('Pu5h-S3cret');
    expect(onDisk).not.toContain('pusher');

    await page.click('#teamSyncEnabled');
    await waitHint('teamSyncHint', 'on');
    expect(await hintText('teamSyncHint')).toContain('On: pushing to postgres://pusher:***@db.example.com:5432/agents?sslmode=require');

    const pid = sidecar.snapshot().pid;
    await page.fill('#otlpEndpoint', 'http://127.0.0.1:9');
    await page.press('#otlpEndpoint', 'Enter');
    await page.locator('#otlpHint[data-state="on"]').waitFor();
    expect(await page.locator('#otlpHint').innerText()).toBe('On: exporting to http://127.0.0.1:9.');
    expect(sidecar.snapshot().pid).not.toBe(pid); // restarted to apply it
    if (SIDECAR_ENTRY === REAL_SERVER) {
      const rt = sidecar.snapshot().runtime!;
      const status = (await (await fetch(`http://127.0.0.1:${rt.port}/api/host/status`, { headers: { Authorization: `Bearer ${rt.token}` } })).json()) as { otlp: { endpoint: string } };
      expect(status.otlp.endpoint).toBe('http://127.0.0.1:9');
    }

    // No keychain: the page says so, and nothing is stored.
    h.safeStorageAvailable = false;
    await page.fill('#teamViewUrl', 'postgres://reader:V13w-S3cret@db.example.com/agents');
    await page.click('#teamViewUrlSave');
    await page.locator('#teamSecretsNote[data-state="failed"]').waitFor();
    expect(await page.locator('#teamSecretsNote').innerText()).toBe(`Failed: ${PLAIN_TEXT_REFUSAL}`);
    expect(fs.readFileSync(path.join(world.dataDir, 'team-secrets.safe.json'), 'utf8')).not.toContain('V13w');
    h.safeStorageAvailable = true;

    await page.click('#otlpEndpointClear');
    await page.locator('#otlpHint[data-state="off"]').waitFor();
    expect(settings.get()).toMatchObject({ teamSyncEnabled: true, shareText: false, otlpEndpoint: '' });
    await shot('06-team');
    // Each change restarts the sidecar (on a new port: AGENT_MONITOR_PORT=0), so the embedded
    // dashboard of the old one may log failed fetches until the frame follows; nothing else.
    // Chromium names a connection to a stopped server by when it noticed (refused, reset, "not
    // connected", an event stream cut mid-chunk, …): any transport error (net::ERR_*) is that; an
    // HTTP error status, a script error or a console error is not, and fails the test.
    const gone = /^Failed to load resource: net::ERR_[A-Z_]+$|^Failed to fetch$/;
    expect(pageErrors.filter((e) => !gone.test(e))).toEqual([]);
  });

  it('shows "Enabling…" while the call is in flight, and is keyboard operable', async () => {
    let release!: () => void;
    hold = { channel: AgentMonitorChannel.setHooksEnabled, release: new Promise<void>((r) => (release = r)) };
    await page.focus('#claudeDashConsent');
    await page.keyboard.press('Space');
    await waitHint('claudeDashHint', 'pending');
    expect(await hintText('claudeDashHint')).toBe('Enabling…');
    expect(await page.locator('#claudeDashConsent').getAttribute('aria-busy')).toBe('true');
    expect(await page.locator('#claudeDashConsent').getAttribute('aria-disabled')).toBe('true');
    // Focus never leaves the switch while the call is in flight, so a keyboard user is not lost.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('claudeDashConsent');
    await page.keyboard.press('Space'); // a second press meanwhile is undone, not queued
    expect(await isChecked('claudeDashConsent')).toBe(true);
    await shot('04-enabling');
    release();
    await waitHint('claudeDashHint', 'on');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('claudeDashConsent');
    expect(ourCommands(world.claudeSettingsFile, 'hook-handler.js').length).toBeGreaterThan(0);
  });

  it('master off (after an in-page confirmation): both rows disabled, hooks removed, sidecar stopped; on again restores', async () => {
    await page.click('#claudeDashConsent');
    await waitHint('claudeDashHint', 'on');
    await page.click('#codexDashConsent');
    await waitHint('codexDashHint', 'on');

    // Cancel keeps everything.
    await page.click('#agentDashboardEnabled');
    await page.locator('#confirmMasterOff[open]').waitFor();
    await shot('05-confirm-master-off');
    await page.click('#confirmMasterOffCancel');
    expect(await page.locator('#confirmMasterOff').getAttribute('open')).toBeNull();
    expect(await isChecked('agentDashboardEnabled')).toBe(true);
    expect(settings.get().agentMonitorEnabled).toBe(true);

    await page.click('#agentDashboardEnabled');
    await page.click('#confirmMasterOffConfirm');
    await waitHint('agentDashboardHint', 'off');
    await waitHint('claudeDashHint', 'blocked');
    await waitHint('codexDashHint', 'blocked');
    for (const id of ['claudeDashConsent', 'codexDashConsent']) {
      expect(await isDisabled(id)).toBe(true);
      expect(await isChecked(id)).toBe(false);
    }
    expect(await hintText('claudeDashHint')).toContain('enable Agent Dashboard in Settings');
    expect(await hintText('codexDashHint')).toContain('enable Agent Dashboard in Settings');
    expect(ourCommands(world.claudeSettingsFile, 'hook-handler.js')).toEqual([]);
    expect([...ourCommands(world.codexHooksFile, 'codex-hook-handler.js'), ...ourCommands(world.codexHooksFile, 'codex-hook.sh')]).toEqual([]);
    expect(sidecar.state()).toBe('stopped');
    await page.locator('#dashboardFrame[hidden]').waitFor({ state: 'attached' });
    expect(await page.locator('#dashboardPlaceholder').innerText()).toMatch(/Agent Dashboard is off/);
    expect(settings.get()).toEqual({ agentMonitorEnabled: false, hooksEnabled: true, codexOptIn: true, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    await shot('06-master-off');

    // A direct call is refused by main too, not only hidden by the UI.
    expect(await page.evaluate(() => window.agentMonitor.setHooksEnabled(true))).toEqual({ ok: false, enabled: false, error: 'Agent Dashboard is disabled in Settings.' });

    await page.click('#agentDashboardEnabled'); // no confirmation to turn it on
    await waitHint('agentDashboardHint', 'on');
    await waitHint('codexDashHint', 'on');
    expect(await isChecked('claudeDashConsent')).toBe(true);
    expect([...ourCommands(world.codexHooksFile, 'codex-hook-handler.js'), ...ourCommands(world.codexHooksFile, 'codex-hook.sh')].length).toBeGreaterThan(0);
    expect(sidecar.state()).toBe('running');
    await dashboardLoaded();
  });

  it('a failing install (read-only hooks.json): the checkbox reverts and the error is shown', async () => {
    await page.click('#claudeDashConsent');
    await waitHint('codexDashHint', 'off');
    fs.writeFileSync(world.codexHooksFile, '{\n  "hooks": {}\n}\n');
    fs.chmodSync(world.codexHooksFile, 0o444);

    await page.click('#codexDashConsent');
    await waitHint('codexDashHint', 'failed');
    expect(await isChecked('codexDashConsent')).toBe(false);
    expect(await isDisabled('codexDashConsent')).toBe(false);
    const hint = await hintText('codexDashHint');
    expect(hint).toMatch(/^Failed: /);
    expect(hint).toContain('read-only');
    expect(fs.readFileSync(world.codexHooksFile, 'utf8')).toBe('{\n  "hooks": {}\n}\n');
    expect(settings.get().codexOptIn).toBe(true); // the intent is kept for the next boot
    await shot('07-install-failed');
  });

  it('main rejects a non-boolean from the page instead of coercing it', async () => {
    const result = await page.evaluate(() => (window.agentMonitor.setHooksEnabled as (v: unknown) => Promise<unknown>)('yes'));
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^Expected a boolean, got string/) });
    expect(settings.get().hooksEnabled).toBe(false);
  });

  it('security: the real CSP blocks unhashed inline script; the embedded sidecar frame has no bridge and is refused by main', async () => {
    const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.getAttribute('content'));
    expect(csp).toMatch(/script-src 'sha256-[^']+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain('frame-src http://127.0.0.1:*');
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true;';
      document.body.appendChild(s);
      await new Promise((r) => setTimeout(r, 50));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    expect(Object.keys(await page.evaluate(() => Object.keys(window.agentMonitor))).length).toBeGreaterThan(0);
    expect(await page.evaluate(() => Object.keys(window.agentMonitor).sort())).toEqual([...Object.keys(AgentMonitorChannel), 'onOpenInDashboard'].sort());
    expect(await page.evaluate(() => 'ipcRenderer' in window || 'require' in window)).toBe(false);

    const sub = await dashboardLoaded();
    expect(await sub.evaluate(() => 'agentMonitor' in window)).toBe(false);
    // Even with a raw line to main, the sidecar frame is not our renderer.
    const refused = await sub.evaluate(() =>
      (window as unknown as { __agentMonitorIpc: (c: string, a: unknown[]) => Promise<unknown> })
        .__agentMonitorIpc('desktop:set-agent-monitor-hooks-enabled', [true])
        .then(() => 'accepted', (e: Error) => String(e.message)),
    );
    expect(refused).toMatch(/untrusted frame http:\/\/127\.0\.0\.1/);
    expect(settings.get().hooksEnabled).toBe(false);
  });

  it('a sidecar link that asked for a new window opens in the embedded view; others are ignored', async () => {
    await dashboardLoaded();
    const url = sidecar.snapshot().url!;
    await page.evaluate(([u]) => (window as unknown as { __agentMonitorEmit: (c: string, u: string) => void }).__agentMonitorEmit('desktop:agent-monitor-open-in-dashboard', u!), [`${url}index.html`]);
    await expect.poll(() => page.$eval('#dashboardFrame', (f) => (f as HTMLIFrameElement).src)).toBe(`${url}index.html`);
    await page.evaluate(() => (window as unknown as { __agentMonitorEmit: (c: string, u: string) => void }).__agentMonitorEmit('desktop:agent-monitor-open-in-dashboard', 'https://example.com/'));
    expect(await page.$eval('#dashboardFrame', (f) => (f as HTMLIFrameElement).src)).toBe(`${url}index.html`);
  });
});
