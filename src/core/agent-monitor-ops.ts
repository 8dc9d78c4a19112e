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
import { MASTER_DISABLED_ERROR, type CodexStatusPayload, type DashboardInfo, type ToggleResult } from '../shared/ipc.js';

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
  };
}
