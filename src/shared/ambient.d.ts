// Types `window.agentMonitor` (installed by src/preload/preload.ts through contextBridge) for any
// TypeScript that runs in the renderer. The shipped renderer is inline JS in index.html.
import type { AgentMonitorApi } from './ipc.js';

declare global {
  interface Window {
    agentMonitor: AgentMonitorApi;
  }
}

export {};
