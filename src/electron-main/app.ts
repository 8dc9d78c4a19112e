/**
 * The Electron app shell (bundled to dist/main.cjs by scripts/build-shell.ts). Deliberately thin:
 * everything testable lives in electron-free modules next to it (ipc-handlers, agent-monitor-ops,
 * sidecar-manager, window-security, settings-store, shell-paths). What only real Electron can
 * exercise is listed in the README and in test/electron-main/electron-smoke.test.ts.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, safeStorage, session } from 'electron';
import { detectCodexVersion } from '../core/codex-diagnostics.js';
import { createHookService } from '../core/hook-service.js';
import { defaultPaths } from '../core/paths.js';
import { AgentMonitorEvent } from '../shared/ipc.js';
import { createRendererSenderCheck, registerAgentMonitorIpc } from './ipc-handlers.js';
import { createElectronStoreSettings } from './settings-store.js';
import { electronDataDir, shellFiles } from './shell-paths.js';
import { createHostStatusReader, createSidecarManager, sidecarLaunchSpec, type SidecarManager } from '../core/sidecar-manager.js';
import { navigationDecision, secureWebPreferences } from './window-security.js';
import { startAttentionFeed, type AttentionFeed } from '../core/attention-feed.js';
import { createAttentionNotifier } from './attention-notifier.js';
import { createSafeStorageSecretStore } from './safe-secrets.js';
import { teamLaunchEnv } from '../core/team-config.js';

// dist/main.cjs → the app root is dist/'s parent. (__dirname exists: this file ships as CommonJS.)
const files = shellFiles({ appRoot: path.resolve(__dirname, '..') });
const rendererUrl = pathToFileURL(files.rendererHtml).href;
const AGENTS_ROUTE = '/settings/agents';
const log = (line: string): void => console.log(`[agent-monitor] ${line}`);

function createWindow({ sidecarUrl }: { sidecarUrl: () => string | null }): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 880,
    title: 'Agent Dashboard',
    show: false,
    webPreferences: secureWebPreferences({ preload: files.preload }),
  });
  const contents = win.webContents;
  // The top-level document never leaves index.html (hash routes are in-page and do not fire this).
  contents.on('will-navigate', (event) => event.preventDefault());
  // Subframes: only the running sidecar's origin, i.e. the embedded dashboard.
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame) return; // handled by will-navigate
    if (navigationDecision({ url: event.url, sidecarUrl: sidecarUrl() }) !== 'allow-embedded') {
      log(`blocked frame navigation to ${event.url}`);
      event.preventDefault();
    }
  });
  // No new windows ever; a sidecar link is shown in the embedded view instead.
  contents.setWindowOpenHandler(({ url }) => {
    if (navigationDecision({ url, sidecarUrl: sidecarUrl() }) === 'allow-embedded') contents.send(AgentMonitorEvent.openInDashboard, url);
    else log(`blocked new window for ${url}`);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadFile(files.rendererHtml, { hash: AGENTS_ROUTE });
  return win;
}

async function boot(): Promise<SidecarManager> {
  await app.whenReady();
  // The page needs no permission (camera, notifications, …): deny every request.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  const env = process.env;
  const dataDir = electronDataDir({ userData: app.getPath('userData'), env });
  const { claudeConfigDir, codexHome } = defaultPaths({ env, homedir: app.getPath('home'), platform: process.platform });
  const settings = createElectronStoreSettings({ cwd: dataDir });
  // Team connection strings: encrypted with the OS keychain, never in settings.json (safe-secrets.ts).
  const secrets = createSafeStorageSecretStore({ dataDir, safeStorage });
  const sidecar = createSidecarManager({
    // Electron's own binary as Node. better-sqlite3 must be rebuilt for Electron's ABI and the
    // RunAsNode fuse must stay enabled in a packaged app (README "Packaging").
    ...sidecarLaunchSpec({
      runtime: 'electron',
      serverEntry: files.serverEntry,
      execPath: process.execPath,
      port: Number(env.AGENT_MONITOR_PORT ?? 4820),
      codexHome,
      claudeConfigDir,
    }),
    // The team choices reach the sidecar as environment, read at every (re)start.
    launchEnv: teamLaunchEnv({ settings: () => settings.get(), secrets, log }),
    dataDir,
    log,
  });
  const service = createHookService({
    settings,
    paths: { dataDir, claudeConfigDir, codexHome },
    handlerSources: { claude: files.claudeHandlerSource, codex: files.codexHandlerSource },
    sidecarStatus: createHostStatusReader({ manager: sidecar }),
    codexVersion: () => detectCodexVersion({ env }),
  });
  registerAgentMonitorIpc({
    ipcMain,
    service,
    settings,
    isTrustedSender: createRendererSenderCheck(rendererUrl),
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
  const win = createWindow({ sidecarUrl: () => sidecar.snapshot().url });

  // Sessions that need the user: desktop notifications and the dock/taskbar badge.
  const notifier = createAttentionNotifier({
    enabled: () => settings.get().agentMonitorEnabled && settings.get().notificationsEnabled,
    showSession: (sessionId) => {
      const url = sidecar.snapshot().url;
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
      if (url) win.webContents.send(AgentMonitorEvent.openInDashboard, `${url.replace(/\/$/, '')}/#session=${encodeURIComponent(sessionId)}`);
    },
    log,
  });
  let feed: AttentionFeed | null = null;
  let feedUrl: string | null = null;
  sidecar.onStateChange((snapshot) => {
    const url = snapshot.state === 'running' ? snapshot.url : null;
    if (url === feedUrl) return;
    feed?.close();
    feed = null;
    notifier.reset();
    feedUrl = url;
    if (url) feed = startAttentionFeed({ baseUrl: url.replace(/\/$/, ''), onSession: (s, initial) => notifier.update(s, initial), log });
  });

  // Boot reconcile happens only inside the master-flag check (test/electron-main/wiring.test.ts checks it).
  if (settings.get().agentMonitorEnabled) {
    await sidecar.start();
    const outcome = await service.syncHooksOnBoot();
    log(`hooks reconciled: claude ${outcome.claude.action}, codex ${outcome.codex.action}`);
  }
  return sidecar;
}

if (!app.requestSingleInstanceLock()) {
  // A second instance would start a second sidecar against the same data dir.
  app.quit();
} else {
  let stopped = false;
  const booted = boot();
  booted.catch((err: unknown) => {
    console.error(`[agent-monitor] boot failed: ${err instanceof Error ? err.message : String(err)}`);
    app.exit(1);
  });
  app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault(); // stop the sidecar cleanly (SIGTERM, grace, SIGKILL) first
    void booted
      .then((sidecar) => sidecar.stop())
      .catch(() => undefined)
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
}
