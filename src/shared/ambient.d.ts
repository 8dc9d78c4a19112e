// Types `window.agentMonitor` (installed by src/preload/preload.ts through contextBridge) for the
// TypeScript that runs in the renderer: src/renderer/banner.ts, the code that ships.
import type { AgentMonitorApi } from './ipc.js';

declare global {
  interface Window {
    agentMonitor: AgentMonitorApi;
  }
}

export {};
