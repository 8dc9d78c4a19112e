/**
 * The operations behind every IPC channel, electron-free, so the headless runner
 * (scripts/monitor.ts) can offer the same commands (status, enable/disable each family, master
 * switch) through the very same code the Electron shell uses. The IPC layer
 * (ipc-handlers.ts) adds only what is specific to IPC: the sender check and argument validation.
 *
 * Everything is gated on the master flag `agentMonitorEnabled` (docs/contracts.md "Consent model"): while it is off,
 * setters return `{ok:false, enabled:false, error: MASTER_DISABLED_ERROR}` and getters `false`.
 */
import { formatCodexSetupHint, type HookService } from './hook-service.js';
import type { SettingsBackend } from './settings.js';
import { MASTER_DISABLED_ERROR, type CodexStatusPayload, type DashboardInfo, type TeamSettingResult, type TeamSettings, type ToggleResult } from '../shared/ipc.js';
import { checkOtlpEndpoint, checkPostgresUrl, teamSettingsView } from './team-config.js';
import { createMemorySecretStore, type TeamSecretStore } from './team-secrets.js';

export type { FamilyOutcome, HookService } from './hook-service.js';
export type ReconcileOutcome = Awaited<ReturnType<HookService['syncHooksOnBoot']>>;

export interface AgentMonitorOpsOptions {
  service: HookService;
  settings: SettingsBackend;
  /**
   * Called after the master flag was persisted: start the sidecar (true) or stop it (false).
   * Hook files are handled here, not by the callback: on → reconcile, off → remove all.
   */
  onMasterChanged?: (enabled: boolean) => Promise<void> | void;
  /** The sidecar's dashboard URL and state; absent = no sidecar managed by this process. */
  getDashboardInfo?: () => DashboardInfo;
  /** Where the team connection strings live (src/core/team-secrets.ts); default: memory only. */
  secrets?: TeamSecretStore;
  /**
   * Called after a team choice was persisted: the sidecar reads them from its environment at
   * launch, so a running one is restarted (src/core/sidecar-manager.ts `restart`).
   */
  onTeamConfigChanged?: () => Promise<void> | void;
}

export interface AgentMonitorOps {
  isMasterEnabled(): boolean;
  getHooksEnabled(): boolean;
  setHooksEnabled(enabled: boolean): Promise<ToggleResult>;
  getCodexHooksOptIn(): boolean;
  setCodexHooksOptIn(enabled: boolean): Promise<ToggleResult>;
  getCodexStatus(): Promise<CodexStatusPayload | false>;
  getAgentDashboardEnabled(): boolean;
  setAgentDashboardEnabled(enabled: boolean): Promise<ToggleResult>;
  getDashboardUrl(): DashboardInfo;
  getNotificationsEnabled(): boolean;
  setNotificationsEnabled(enabled: boolean): Promise<ToggleResult>;
  getTeamSettings(): TeamSettings;
  setTeamSyncEnabled(enabled: boolean): Promise<TeamSettingResult>;
  setTeamDbUrl(url: string): Promise<TeamSettingResult>;
  setTeamViewUrl(url: string): Promise<TeamSettingResult>;
  setShareText(enabled: boolean): Promise<TeamSettingResult>;
  setOtlpEndpoint(url: string): Promise<TeamSettingResult>;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeFailures(outcome: ReconcileOutcome): string | null {
  const failed = (['claude', 'codex'] as const)
    .filter((family) => outcome[family].action === 'failed')
    .map((family) => `${family === 'claude' ? 'Claude Code' : 'Codex'}: ${outcome[family].error ?? 'failed'} (${outcome[family].path})`);
  return failed.length > 0 ? failed.join('; ') : null;
}

export function createAgentMonitorOps({
  service,
  settings,
  onMasterChanged,
  getDashboardInfo,
  secrets = createMemorySecretStore(),
  onTeamConfigChanged,
}: AgentMonitorOpsOptions): AgentMonitorOps {
  const isMasterEnabled = (): boolean => settings.get().agentMonitorEnabled === true;
  const disabled = (): ToggleResult => ({ ok: false, enabled: false, error: MASTER_DISABLED_ERROR });

  /** A service that throws instead of returning {ok:false} still yields a ToggleResult. */
  async function guarded(run: () => Promise<ToggleResult>, current: () => boolean): Promise<ToggleResult> {
    try {
      return await run();
    } catch (err) {
      return { ok: false, enabled: current(), error: errorMessage(err) };
    }
  }

  const teamView = (): TeamSettings => teamSettingsView(settings.get(), secrets);

  /**
   * A team change: gated on the master flag, persisted by `apply` (which throws a message for the
   * user on bad input, storing nothing), then the sidecar restarted so its environment follows.
   */
  async function teamChange(apply: () => void): Promise<TeamSettingResult> {
    const fail = (error: string): TeamSettingResult => {
      let view: TeamSettings;
      try {
        view = teamView();
      } catch (err) {
        view = { teamSyncEnabled: false, shareText: false, otlpEndpoint: null, teamDbUrl: null, teamViewUrl: null, secretStorage: secrets.info(), error: errorMessage(err) };
      }
      return { ok: false, error, settings: view };
    };
    if (!isMasterEnabled()) return fail(MASTER_DISABLED_ERROR);
    try {
      apply();
    } catch (err) {
      return fail(errorMessage(err));
    }
    try {
      await onTeamConfigChanged?.();
    } catch (err) {
      return fail(`Saved, but the monitor could not restart with it: ${errorMessage(err)}`);
    }
    return { ok: true, settings: teamView() };
  }

  return {
    isMasterEnabled,
    getHooksEnabled: () => isMasterEnabled() && service.getHooksEnabled(),
    setHooksEnabled: async (enabled) =>
      isMasterEnabled() ? guarded(() => service.setHooksEnabled(enabled), () => service.getHooksEnabled()) : disabled(),
    getCodexHooksOptIn: () => isMasterEnabled() && service.getCodexOptIn(),
    setCodexHooksOptIn: async (enabled) =>
      isMasterEnabled() ? guarded(() => service.setCodexOptIn(enabled), () => service.getCodexOptIn()) : disabled(),
    async getCodexStatus() {
      if (!isMasterEnabled()) return false;
      const status = await service.getCodexStatus();
      return { ...status, setupHint: formatCodexSetupHint(status) };
    },
    getAgentDashboardEnabled: isMasterEnabled,
    async setAgentDashboardEnabled(enabled) {
      // Persist the intent first (docs/contracts.md "Consent model"), then the side effects.
      settings.set({ agentMonitorEnabled: enabled });
      const errors: string[] = [];
      if (enabled) {
        try {
          await onMasterChanged?.(true);
        } catch (err) {
          errors.push(`sidecar: ${errorMessage(err)}`);
        }
        try {
          const failures = describeFailures(await service.syncHooksOnBoot());
          if (failures) errors.push(failures);
        } catch (err) {
          errors.push(errorMessage(err));
        }
      } else {
        // Remove our hook entries first so no new events are produced, then stop the sidecar.
        try {
          const failures = describeFailures(await service.removeAllHooks());
          if (failures) errors.push(failures);
        } catch (err) {
          errors.push(errorMessage(err));
        }
        try {
          await onMasterChanged?.(false);
        } catch (err) {
          errors.push(`sidecar: ${errorMessage(err)}`);
        }
      }
      return errors.length === 0 ? { ok: true, enabled } : { ok: false, enabled, error: errors.join('; ') };
    },
    getDashboardUrl: () => {
      if (!isMasterEnabled()) return { url: null, state: 'disabled' };
      return getDashboardInfo?.() ?? { url: null, state: 'idle' };
    },
    getNotificationsEnabled: () => isMasterEnabled() && settings.get().notificationsEnabled,
    async setNotificationsEnabled(enabled) {
      if (!isMasterEnabled()) return disabled();
      return guarded(() => {
        settings.set({ notificationsEnabled: enabled });
        return Promise.resolve({ ok: true, enabled });
      }, () => settings.get().notificationsEnabled);
    },
    getTeamSettings: teamView,
    setTeamSyncEnabled: (enabled) =>
      teamChange(() => {
        if (enabled && !secrets.get().teamDbUrl) throw new Error('Enter the team database connection string first; team sync needs somewhere to push to.');
        settings.set({ teamSyncEnabled: enabled });
      }),
    setTeamDbUrl: (url) =>
      teamChange(() => {
        const v = checkPostgresUrl(url, 'The team database connection string');
        secrets.set({ teamDbUrl: v || null });
        // No URL, no sync: clearing it turns the sync off rather than leaving a switch that cannot work.
        if (!v && settings.get().teamSyncEnabled) settings.set({ teamSyncEnabled: false });
      }),
    setTeamViewUrl: (url) =>
      teamChange(() => {
        secrets.set({ teamViewUrl: checkPostgresUrl(url, 'The team view connection string') || null });
      }),
    setShareText: (enabled) => teamChange(() => settings.set({ shareText: enabled })),
    setOtlpEndpoint: (url) => teamChange(() => settings.set({ otlpEndpoint: checkOtlpEndpoint(url) })),
  };
}
