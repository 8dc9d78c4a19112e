/**
 * The IPC contract between the Electron main process, the preload bridge and the renderer.
 * Channel names and payload types live here once; main (src/electron-main/ipc-handlers.ts), the preload
 * (src/preload/preload.ts) and the renderer (src/renderer/banner.ts) all follow it, and
 * test/electron-main/wiring.test.ts fails when any of the three drifts from this file.
 *
 * docs/contracts.md "Hook service" and "Consent model".
 */

/** Request/response channels (ipcRenderer.invoke ↔ ipcMain.handle). */
export const AgentMonitorChannel = {
  /** Claude Code session tracking intent (`hooksEnabled`). Gated on the master flag. */
  getHooksEnabled: 'desktop:get-agent-monitor-hooks-enabled',
  setHooksEnabled: 'desktop:set-agent-monitor-hooks-enabled',
  /** Codex CLI session tracking opt-in (`codexOptIn`). Gated on the master flag. */
  getCodexHooksOptIn: 'desktop:get-agent-monitor-codex-hooks-opt-in',
  setCodexHooksOptIn: 'desktop:set-agent-monitor-codex-hooks-opt-in',
  /** Read-only Codex setup diagnostics (installed, `[features].hooks`, trust, last event). */
  getCodexStatus: 'desktop:get-agent-monitor-codex-status',
  /**
   * The master "Agent Dashboard" flag (`agentMonitorEnabled`). In a real host this is the host's
   * own setting; the standalone shell shows it in a Settings section of the same page.
   * Never gated (it is the gate).
   */
  getAgentDashboardEnabled: 'desktop:get-agent-dashboard-enabled',
  setAgentDashboardEnabled: 'desktop:set-agent-dashboard-enabled',
  /** Where the embedded dashboard lives (the sidecar's loopback origin) and the sidecar's state. */
  getDashboardUrl: 'desktop:get-agent-monitor-dashboard-url',
  /** Desktop notifications when a session needs the user (`notificationsEnabled`). Gated on the master flag. */
  getNotificationsEnabled: 'desktop:get-agent-monitor-notifications-enabled',
  setNotificationsEnabled: 'desktop:set-agent-monitor-notifications-enabled',
  /**
   * The team choices (docs/contracts.md "Team settings"): sync to PostgreSQL, shared text, OTLP
   * endpoint. The getter returns connection strings only redacted; the secrets never reach the
   * renderer. Setters are gated on the master flag and restart a running sidecar.
   */
  getTeamSettings: 'desktop:get-agent-monitor-team-settings',
  setTeamSyncEnabled: 'desktop:set-agent-monitor-team-sync-enabled',
  setTeamDbUrl: 'desktop:set-agent-monitor-team-db-url',
  setTeamViewUrl: 'desktop:set-agent-monitor-team-view-url',
  setShareText: 'desktop:set-agent-monitor-share-text',
  setOtlpEndpoint: 'desktop:set-agent-monitor-otlp-endpoint',
} as const;

export type AgentMonitorChannelKey = keyof typeof AgentMonitorChannel;
export type AgentMonitorChannelName = (typeof AgentMonitorChannel)[AgentMonitorChannelKey];

/** Main → renderer push channels (webContents.send ↔ ipcRenderer.on). */
export const AgentMonitorEvent = {
  /** A sidecar-origin link asked for a new window: show it in the embedded dashboard instead. */
  openInDashboard: 'desktop:agent-monitor-open-in-dashboard',
} as const;

export type AgentMonitorEventName = (typeof AgentMonitorEvent)[keyof typeof AgentMonitorEvent];

/** The exact error every gated setter returns while the master flag is off. */
export const MASTER_DISABLED_ERROR = 'Agent Dashboard is disabled in Settings.';

export type ToggleResult =
  | { ok: true; enabled: boolean }
  | { ok: false; enabled: boolean; error: string };

export type CodexFeatureState = 'enabled' | 'disabled' | 'default';
export type CodexTrustState = 'trusted' | 'untrusted' | 'partly-trusted' | 'not-installed' | 'unknown';

/** docs/contracts.md CodexStatus, as it crosses the bridge (structured-clone safe). */
export interface CodexStatus {
  installed: boolean;
  hooksJsonPath: string;
  configPath: string;
  feature: {
    state: CodexFeatureState;
    key: 'hooks' | 'codex_hooks' | null;
    defaultEnabled: boolean | null;
    error?: string;
  };
  trust: {
    state: CodexTrustState;
    entries: Array<{
      key: string;
      event: string;
      trusted: boolean;
      disabled: boolean;
      /**
       * Set when the entry's trust was given to a different command than the one installed now
       * (a transport switch rewrote it): Codex treats it as modified and skips it (`trusted` is false).
       */
      modified?: { trustedCommand: string; installedCommand: string };
    }>;
  };
  lastEventAt: string | null;
  /**
   * How the hooks reach the sidecar: `installed` is what hooks.json runs now (null: not
   * installed), `preferred` what an install would choose on this machine, `reason` why.
   */
  transport?: { installed: 'sh-curl' | 'node' | null; preferred: 'sh-curl' | 'node'; reason: string };
  sidecarReachable: boolean;
  watcher: { running: boolean; files: number; behindBytes: number } | null;
  /** Why `<codexHome>/hooks.json` could not be read, when it could not. */
  hooksJsonError?: string;
}

/**
 * What the status channel returns: the status plus the setup paragraph the renderer shows under
 * the Codex toggle, written once by src/core (formatCodexSetupHint) so the headless runner prints
 * the very same text. Inline `code` is marked with backticks.
 */
export type CodexStatusPayload = CodexStatus & { setupHint: string };

/** The sidecar manager's states (src/core/sidecar-manager.ts), plus 'disabled' for master off. */
export const SidecarStates = ['idle', 'starting', 'running', 'backoff', 'unavailable', 'stopping', 'stopped'] as const;
export type SidecarState = (typeof SidecarStates)[number];

export interface DashboardInfo {
  /** `http://127.0.0.1:<port>/` once the sidecar is healthy, otherwise null. */
  url: string | null;
  state: SidecarState | 'disabled';
  /** Why the dashboard is not available (last sidecar error), if known. */
  error?: string;
}

/** The team choices as the Settings page sees them: secrets only redacted (src/shared/redact-url.ts). */
export interface TeamSettings {
  teamSyncEnabled: boolean;
  shareText: boolean;
  /** The OTLP/HTTP endpoint (redacted); null = the export is off. */
  otlpEndpoint: string | null;
  /** The push connection string with its password masked; null = none stored. */
  teamDbUrl: string | null;
  /** The team view's read-only connection string, masked; null = the view uses the push URL read-only. */
  teamViewUrl: string | null;
  /** Where connection strings are kept, and whether they can be stored at all. */
  secretStorage: { available: boolean; where: string; error?: string };
  /** Why the stored values could not be read, when they could not. */
  error?: string;
}

export type TeamSettingResult = { ok: true; settings: TeamSettings } | { ok: false; error: string; settings: TeamSettings };

/** What each invoke channel takes and returns. Getters take no argument. */
export interface AgentMonitorIpcContract {
  [AgentMonitorChannel.getHooksEnabled]: { arg: void; result: boolean };
  [AgentMonitorChannel.setHooksEnabled]: { arg: boolean; result: ToggleResult };
  [AgentMonitorChannel.getCodexHooksOptIn]: { arg: void; result: boolean };
  [AgentMonitorChannel.setCodexHooksOptIn]: { arg: boolean; result: ToggleResult };
  [AgentMonitorChannel.getCodexStatus]: { arg: void; result: CodexStatusPayload | false };
  [AgentMonitorChannel.getAgentDashboardEnabled]: { arg: void; result: boolean };
  [AgentMonitorChannel.setAgentDashboardEnabled]: { arg: boolean; result: ToggleResult };
  [AgentMonitorChannel.getDashboardUrl]: { arg: void; result: DashboardInfo };
  [AgentMonitorChannel.getNotificationsEnabled]: { arg: void; result: boolean };
  [AgentMonitorChannel.setNotificationsEnabled]: { arg: boolean; result: ToggleResult };
  [AgentMonitorChannel.getTeamSettings]: { arg: void; result: TeamSettings };
  [AgentMonitorChannel.setTeamSyncEnabled]: { arg: boolean; result: TeamSettingResult };
  [AgentMonitorChannel.setTeamDbUrl]: { arg: string; result: TeamSettingResult };
  [AgentMonitorChannel.setTeamViewUrl]: { arg: string; result: TeamSettingResult };
  [AgentMonitorChannel.setShareText]: { arg: boolean; result: TeamSettingResult };
  [AgentMonitorChannel.setOtlpEndpoint]: { arg: string; result: TeamSettingResult };
}

/**
 * `window.agentMonitor`: one named method per channel, exposed by src/preload/preload.ts through
 * contextBridge. The method names are the keys of AgentMonitorChannel (wiring.test.ts checks it).
 */
export interface AgentMonitorApi {
  getHooksEnabled(): Promise<boolean>;
  setHooksEnabled(enabled: boolean): Promise<ToggleResult>;
  getCodexHooksOptIn(): Promise<boolean>;
  setCodexHooksOptIn(enabled: boolean): Promise<ToggleResult>;
  /** `false` while the master flag is off (gated getters return false). */
  getCodexStatus(): Promise<CodexStatusPayload | false>;
  getAgentDashboardEnabled(): Promise<boolean>;
  setAgentDashboardEnabled(enabled: boolean): Promise<ToggleResult>;
  getDashboardUrl(): Promise<DashboardInfo>;
  getNotificationsEnabled(): Promise<boolean>;
  setNotificationsEnabled(enabled: boolean): Promise<ToggleResult>;
  getTeamSettings(): Promise<TeamSettings>;
  setTeamSyncEnabled(enabled: boolean): Promise<TeamSettingResult>;
  /** A postgres:// URL; '' clears it (and turns the sync off). */
  setTeamDbUrl(url: string): Promise<TeamSettingResult>;
  /** A postgres:// URL of a read-only role; '' clears it. */
  setTeamViewUrl(url: string): Promise<TeamSettingResult>;
  setShareText(enabled: boolean): Promise<TeamSettingResult>;
  /** An http(s) URL; '' turns the export off. */
  setOtlpEndpoint(url: string): Promise<TeamSettingResult>;
  /** Subscribe to AgentMonitorEvent.openInDashboard; returns an unsubscribe function. */
  onOpenInDashboard(listener: (url: string) => void): () => void;
}

/** Compile-time check: every channel key has a bridge method of the same name. */
type MissingBridgeMethods = Exclude<AgentMonitorChannelKey, keyof AgentMonitorApi>;
export const bridgeCoversEveryChannel: MissingBridgeMethods extends never ? true : never = true;
