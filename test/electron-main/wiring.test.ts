/**
 * Static wiring: every channel of src/shared/ipc.ts is handled in main, bridged by the preload and
 * used by the renderer code that ships (src/renderer/banner.ts as scripts/build-shell.ts bundles
 * it, read as a syntax tree); the banner ids exist in order; boot reconcile sits inside the master
 * flag block; the window is locked down. Each check is also run on a drifted copy to prove it fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleRendererScript } from '../../scripts/build-shell.js';
import { secureWebPreferences } from '../../src/electron-main/window-security.js';
import { AgentMonitorChannel } from '../../src/shared/ipc.js';
import { checkBootReconcile, checkChannelWiring, checkRendererIds, checkSecurePreferences, checkWindowUsesSecurePreferences, type Sources } from './_wiring-checks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');

const sources: Sources = {
  channels: { ...AgentMonitorChannel },
  handlers: read('src/electron-main/ipc-handlers.ts'),
  preload: read('src/preload/preload.ts'),
  renderer: await bundleRendererScript(ROOT),
};
const html = read('src/renderer/index.html');
const app = read('src/electron-main/app.ts');

describe('channel wiring', () => {
  it('every channel has a main handler, a preload method and a renderer call', () => {
    expect(checkChannelWiring(sources)).toEqual([]);
  });

  it('fails when a name drifts anywhere', () => {
    // A channel added to the contract but wired nowhere.
    expect(checkChannelWiring({ ...sources, channels: { ...sources.channels, getNewThing: 'desktop:get-new-thing' } })).toEqual([
      "main: no register('getNewThing', AgentMonitorChannel.getNewThing) in ipc-handlers.ts",
      'preload: no method getNewThing invoking AgentMonitorChannel.getNewThing',
      'renderer: the bundle never uses api.getNewThing',
    ]);
    // The preload renames a method.
    const preload = sources.preload.replace('getCodexStatus: () =>', 'getCodexState: () =>');
    expect(checkChannelWiring({ ...sources, preload })).toContain('preload: no method getCodexStatus invoking AgentMonitorChannel.getCodexStatus');
    // Main drops a registration.
    const handlers = sources.handlers.replace("register('setCodexHooksOptIn', AgentMonitorChannel.setCodexHooksOptIn);", '');
    expect(checkChannelWiring({ ...sources, handlers })).toContain("main: no register('setCodexHooksOptIn', AgentMonitorChannel.setCodexHooksOptIn) in ipc-handlers.ts");
    // The renderer calls a misspelt method.
    const renderer = sources.renderer.replace('api.setCodexHooksOptIn(', 'api.setCodexHookOptIn(');
    expect(checkChannelWiring({ ...sources, renderer })).toEqual(
      expect.arrayContaining(['renderer: the bundle never uses api.setCodexHooksOptIn', 'renderer bundle: unknown channel/method setCodexHookOptIn']),
    );
    // The renderer reaches around the bound name, or hands the whole bridge on.
    const around = sources.renderer.replace('api.getDashboardUrl()', 'window.agentMonitor.getDashboardUrl()');
    expect(checkChannelWiring({ ...sources, renderer: around })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^renderer: window\.agentMonitor used other than as/), 'renderer: the bundle never uses api.getDashboardUrl']),
    );
    const escapes = sources.renderer.replace('api.getDashboardUrl()', 'Reflect.get(api, "getDashboardUrl")()');
    expect(checkChannelWiring({ ...sources, renderer: escapes })).toEqual(expect.arrayContaining([expect.stringMatching(/^renderer: the bridge object escapes/)]));
    // A comment or string mentioning the call does not count as using it.
    const commented = sources.renderer.replace('api.getDashboardUrl()', '/* api.getDashboardUrl() */ Promise.resolve({ url: null, state: "idle" })');
    expect(checkChannelWiring({ ...sources, renderer: commented })).toContain('renderer: the bundle never uses api.getDashboardUrl');
    // A hard-coded channel string.
    const hard = sources.preload.replace('ipcRenderer.invoke(AgentMonitorChannel.getDashboardUrl)', "ipcRenderer.invoke('desktop:get-agent-monitor-dashboard-url')");
    expect(checkChannelWiring({ ...sources, preload: hard })).toEqual(expect.arrayContaining([expect.stringMatching(/hard-coded channel name/)]));
    // Exposing ipcRenderer.
    const leaky = sources.preload.replace("exposeInMainWorld('agentMonitor', api)", "exposeInMainWorld('agentMonitor', { ...api, ipcRenderer })");
    expect(checkChannelWiring({ ...sources, preload: leaky })).toContain('preload: exposes ipcRenderer');
  });
});

describe('renderer ids', () => {
  it('#claudeDashConsent and directly below it #codexDashConsent, labelled, with live hints', () => {
    expect(checkRendererIds(html, sources.renderer)).toEqual([]);
  });

  it('fails when an id drifts or the order flips', () => {
    expect(checkRendererIds(html.replaceAll('codexDashConsent', 'codexConsent'), sources.renderer)).toContain('renderer: #codexDashConsent is missing');
    expect(checkRendererIds(html, sources.renderer.replaceAll('"codexDashConsent"', '"codexConsent"'))).toContain('renderer: the bundle never looks up #codexDashConsent');
    const claudeRow = /<div class="toggle-row" id="claudeRow">[\s\S]*?<\/div>\n\s*<\/div>/.exec(html)![0];
    const codexRow = /<div class="toggle-row" id="codexRow">[\s\S]*?<\/div>\n\s*<\/div>/.exec(html)![0];
    expect(claudeRow).toContain('claudeDashConsent');
    expect(codexRow).toContain('codexDashConsent');
    const swapped = html.replace(claudeRow, '@@CLAUDE@@').replace(codexRow, claudeRow).replace('@@CLAUDE@@', codexRow);
    expect(checkRendererIds(swapped, sources.renderer)).toContain('renderer: #codexDashConsent must come after #claudeDashConsent');
    const wedged = html.replace('<div class="toggle-row" id="codexRow">', '<button type="button">x</button><div class="toggle-row" id="codexRow">');
    expect(checkRendererIds(wedged, sources.renderer)).toContain('renderer: another control sits between the Claude and Codex toggles');
    const noLive = html.replace('<div class="hint" id="codexDashHint" aria-live="polite">', '<div class="hint" id="codexDashHint">');
    expect(checkRendererIds(noLive, sources.renderer)).toContain('renderer: #codexDashConsent has no aria-live="polite" hint');
  });
});

describe('boot', () => {
  it('reconciles hooks only inside the agentMonitorEnabled block', () => {
    expect(app).toContain('if (settings.get().agentMonitorEnabled) {');
    expect(checkBootReconcile(app)).toEqual([]);
  });

  it('fails when the reconcile call moves out of the block', () => {
    const moved = app.replace(/(\n\s*)(const outcome = await service\.syncHooksOnBoot\(\);)/, '$1// moved').replace('createWindow({ sidecarUrl', 'await service.syncHooksOnBoot();\n  createWindow({ sidecarUrl');
    expect(checkBootReconcile(moved)).toEqual([expect.stringMatching(/syncHooksOnBoot\(\) is not inside/)]);
    const negated = app.replace('if (settings.get().agentMonitorEnabled) {', 'if (!settings.get().agentMonitorEnabled) {');
    expect(checkBootReconcile(negated)).toHaveLength(1);
    const gone = app.replace('await service.syncHooksOnBoot()', 'await Promise.resolve({ claude: { action: "unchanged" }, codex: { action: "unchanged" } })');
    expect(checkBootReconcile(gone)).toEqual(['app.ts: boot never calls service.syncHooksOnBoot()']);
  });
});

describe('BrowserWindow security', () => {
  it('the window uses secureWebPreferences, which isolates, sandboxes and disables Node', () => {
    expect(checkWindowUsesSecurePreferences(app)).toEqual([]);
    const prefs = secureWebPreferences({ preload: '/app/dist/preload.cjs' });
    expect(checkSecurePreferences(prefs as Record<string, unknown>)).toEqual([]);
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
  });

  it('fails on a weakened window', () => {
    expect(checkSecurePreferences({ ...secureWebPreferences({ preload: '/x/preload.cjs' }), sandbox: false })).toEqual(['webPreferences.sandbox must be true, is false']);
    expect(checkSecurePreferences({ ...secureWebPreferences({ preload: '/x/preload.cjs' }), nodeIntegration: true })).toEqual(['webPreferences.nodeIntegration must be false, is true']);
    const inline = app.replace('webPreferences: secureWebPreferences({ preload: files.preload })', 'webPreferences: { preload: files.preload, sandbox: false }');
    expect(checkWindowUsesSecurePreferences(inline)).toEqual(['app.ts: BrowserWindow webPreferences must be secureWebPreferences({ preload })']);
  });
});
