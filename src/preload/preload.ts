/**
 * The sandboxed preload (bundled to dist/preload.cjs by scripts/build-shell.ts: one CommonJS file
 * whose only require is `electron`, as sandbox: true demands).
 *
 * It exposes `window.agentMonitor` with one named method per channel of src/shared/ipc.ts and
 * nothing else — never `ipcRenderer` itself, and no generic "invoke any channel" escape hatch, so
 * a compromised page can reach exactly these operations and nothing else. Arguments are passed
 * through untouched: main validates them (a non-boolean is rejected there, not coerced here).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { AgentMonitorChannel, AgentMonitorEvent, type AgentMonitorApi } from '../shared/ipc.js';

const api: AgentMonitorApi = {
  getHooksEnabled: () => ipcRenderer.invoke(AgentMonitorChannel.getHooksEnabled),
  setHooksEnabled: (enabled) => ipcRenderer.invoke(AgentMonitorChannel.setHooksEnabled, enabled),
  getCodexHooksOptIn: () => ipcRenderer.invoke(AgentMonitorChannel.getCodexHooksOptIn),
  setCodexHooksOptIn: (enabled) => ipcRenderer.invoke(AgentMonitorChannel.setCodexHooksOptIn, enabled),
  getCodexStatus: () => ipcRenderer.invoke(AgentMonitorChannel.getCodexStatus),
  getAgentDashboardEnabled: () => ipcRenderer.invoke(AgentMonitorChannel.getAgentDashboardEnabled),
  setAgentDashboardEnabled: (enabled) => ipcRenderer.invoke(AgentMonitorChannel.setAgentDashboardEnabled, enabled),
  getDashboardUrl: () => ipcRenderer.invoke(AgentMonitorChannel.getDashboardUrl),
  getNotificationsEnabled: () => ipcRenderer.invoke(AgentMonitorChannel.getNotificationsEnabled),
  setNotificationsEnabled: (enabled) => ipcRenderer.invoke(AgentMonitorChannel.setNotificationsEnabled, enabled),
  getTeamSettings: () => ipcRenderer.invoke(AgentMonitorChannel.getTeamSettings),
  setTeamSyncEnabled: (enabled) => ipcRenderer.invoke(AgentMonitorChannel.setTeamSyncEnabled, enabled),
  setTeamDbUrl: (url) => ipcRenderer.invoke(AgentMonitorChannel.setTeamDbUrl, url),
  setTeamViewUrl: (url) => ipcRenderer.invoke(AgentMonitorChannel.setTeamViewUrl, url),
  setShareText: (enabled) => ipcRenderer.invoke(AgentMonitorChannel.setShareText, enabled),
  setOtlpEndpoint: (url) => ipcRenderer.invoke(AgentMonitorChannel.setOtlpEndpoint, url),
  onOpenInDashboard: (listener) => {
    // Hand the page only the URL string, never the IpcRendererEvent (it carries `sender`).
    const handler = (_event: IpcRendererEvent, url: unknown): void => {
      if (typeof url === 'string') listener(url);
    };
    ipcRenderer.on(AgentMonitorEvent.openInDashboard, handler);
    return () => {
      ipcRenderer.removeListener(AgentMonitorEvent.openInDashboard, handler);
    };
  },
};

contextBridge.exposeInMainWorld('agentMonitor', api);
