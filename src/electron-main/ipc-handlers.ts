/**
 * Main-process IPC handlers for the Agent Dashboard (src/shared/ipc.ts). Electron-free at run time: the
 * caller passes `ipcMain` in, so tests drive these handlers with a mocked electron and the
 * browser e2e test routes the real preload's `ipcRenderer.invoke` here.
 *
 * Main trusts nothing (a compromised renderer gets no further than these checks):
 *  - handlers are registered idempotently (removeHandler first);
 *  - every call's sender frame must be our renderer (isTrustedSender), else the invoke rejects;
 *  - setter arguments must be a boolean (a string for the team URLs); anything else is rejected
 *    with an error, never coerced;
 *  - everything but the master flag itself is gated on the master flag (agent-monitor-ops.ts).
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { AgentMonitorChannel, type AgentMonitorChannelKey, type AgentMonitorIpcContract, type TeamSettingResult, type ToggleResult } from '../shared/ipc.js';
import { createAgentMonitorOps, type AgentMonitorOps, type AgentMonitorOpsOptions } from '../core/agent-monitor-ops.js';

/** The part of IpcMainInvokeEvent the sender check reads (a plain object in tests). */
export type SenderEvent = { senderFrame?: { url: string; parent: unknown } | null };
export type IsTrustedSender = (event: SenderEvent) => boolean;
type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;

export interface RegisterAgentMonitorIpcOptions extends AgentMonitorOpsOptions {
  ipcMain: IpcMainLike;
  isTrustedSender: IsTrustedSender;
}

/**
 * Sender check for a renderer loaded from `rendererUrl` (our index.html, a file: URL): the call
 * must come from the top-level frame of that document. Hash and query are ignored (the hash is
 * the in-page route); an embedded frame — the sidecar dashboard — is never trusted.
 */
export function createRendererSenderCheck(rendererUrl: string): IsTrustedSender {
  const expected = stripRoute(rendererUrl);
  return (event) => {
    const frame = event.senderFrame as { url?: unknown; parent?: unknown } | null | undefined;
    if (!frame || typeof frame.url !== 'string') return false;
    if (frame.parent !== null && frame.parent !== undefined) return false;
    return stripRoute(frame.url) === expected;
  };
}

function stripRoute(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return null;
  }
}

export function invalidBooleanError(value: unknown): string {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `Expected a boolean, got ${got}. Nothing was changed.`;
}

type Result<K extends AgentMonitorChannelKey> = AgentMonitorIpcContract[(typeof AgentMonitorChannel)[K]]['result'];
type Handler<K extends AgentMonitorChannelKey> = (args: unknown[]) => Result<K> | Promise<Result<K>>;

/** Wraps a boolean setter: exactly one boolean argument, else `{ok:false}` with the current state. */
function booleanSetter(set: (enabled: boolean) => Promise<ToggleResult>, current: () => boolean) {
  return (args: unknown[]): Promise<ToggleResult> | ToggleResult => {
    if (args.length !== 1 || typeof args[0] !== 'boolean') {
      return { ok: false, enabled: current(), error: invalidBooleanError(args.length === 1 ? args[0] : `${args.length} arguments`) };
    }
    return set(args[0]);
  };
}

export function invalidStringError(value: unknown): string {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  return `Expected a string, got ${got}. Nothing was changed.`;
}

/** Wraps a team setter: exactly one argument of `kind`, else `{ok:false}` with the current team settings. */
function teamSetter<T extends boolean | string>(kind: 'boolean' | 'string', set: (value: T) => Promise<TeamSettingResult>, ops: AgentMonitorOps) {
  return (args: unknown[]): Promise<TeamSettingResult> | TeamSettingResult => {
    if (args.length !== 1 || typeof args[0] !== kind) {
      const got = args.length === 1 ? args[0] : `${args.length} arguments`;
      return { ok: false, error: kind === 'boolean' ? invalidBooleanError(got) : invalidStringError(got), settings: ops.getTeamSettings() };
    }
    return set(args[0] as T);
  };
}

function buildHandlers(ops: AgentMonitorOps): { [K in AgentMonitorChannelKey]: Handler<K> } {
  return {
    getHooksEnabled: () => ops.getHooksEnabled(),
    setHooksEnabled: booleanSetter((enabled) => ops.setHooksEnabled(enabled), () => ops.getHooksEnabled()),
    getCodexHooksOptIn: () => ops.getCodexHooksOptIn(),
    setCodexHooksOptIn: booleanSetter((enabled) => ops.setCodexHooksOptIn(enabled), () => ops.getCodexHooksOptIn()),
    getCodexStatus: () => ops.getCodexStatus(),
    getAgentDashboardEnabled: () => ops.getAgentDashboardEnabled(),
    setAgentDashboardEnabled: booleanSetter((enabled) => ops.setAgentDashboardEnabled(enabled), () => ops.getAgentDashboardEnabled()),
    getDashboardUrl: () => ops.getDashboardUrl(),
    getNotificationsEnabled: () => ops.getNotificationsEnabled(),
    setNotificationsEnabled: booleanSetter((enabled) => ops.setNotificationsEnabled(enabled), () => ops.getNotificationsEnabled()),
    getTeamSettings: () => ops.getTeamSettings(),
    setTeamSyncEnabled: teamSetter<boolean>('boolean', (v) => ops.setTeamSyncEnabled(v), ops),
    setTeamDbUrl: teamSetter<string>('string', (v) => ops.setTeamDbUrl(v), ops),
    setTeamViewUrl: teamSetter<string>('string', (v) => ops.setTeamViewUrl(v), ops),
    setShareText: teamSetter<boolean>('boolean', (v) => ops.setShareText(v), ops),
    setOtlpEndpoint: teamSetter<string>('string', (v) => ops.setOtlpEndpoint(v), ops),
  };
}

/**
 * Registers one `ipcMain.handle` per channel of src/shared/ipc.ts. Safe to call again (e.g. on
 * window re-creation): existing handlers are removed first. Returns the ops (for the app shell's
 * own use) and an `unregister` function.
 */
export function registerAgentMonitorIpc({
  ipcMain,
  isTrustedSender,
  ...opsOptions
}: RegisterAgentMonitorIpcOptions): { ops: AgentMonitorOps; unregister: () => void } {
  const ops = createAgentMonitorOps(opsOptions);
  const handlers = buildHandlers(ops);
  const registered: string[] = [];
  const register = <K extends AgentMonitorChannelKey>(key: K, channel: (typeof AgentMonitorChannel)[K]): void => {
    ipcMain.removeHandler(channel);
    ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!isTrustedSender(event)) {
        const url = event.senderFrame?.url ?? '<no frame>';
        throw new Error(`[agent-monitor ipc] rejected ${channel} from untrusted frame ${url}`);
      }
      return handlers[key](args);
    });
    registered.push(channel);
  };
  // One explicit line per channel (test/electron-main/wiring.test.ts reads these).
  register('getHooksEnabled', AgentMonitorChannel.getHooksEnabled);
  register('setHooksEnabled', AgentMonitorChannel.setHooksEnabled);
  register('getCodexHooksOptIn', AgentMonitorChannel.getCodexHooksOptIn);
  register('setCodexHooksOptIn', AgentMonitorChannel.setCodexHooksOptIn);
  register('getCodexStatus', AgentMonitorChannel.getCodexStatus);
  register('getAgentDashboardEnabled', AgentMonitorChannel.getAgentDashboardEnabled);
  register('setAgentDashboardEnabled', AgentMonitorChannel.setAgentDashboardEnabled);
  register('getDashboardUrl', AgentMonitorChannel.getDashboardUrl);
  register('getNotificationsEnabled', AgentMonitorChannel.getNotificationsEnabled);
  register('setNotificationsEnabled', AgentMonitorChannel.setNotificationsEnabled);
  register('getTeamSettings', AgentMonitorChannel.getTeamSettings);
  register('setTeamSyncEnabled', AgentMonitorChannel.setTeamSyncEnabled);
  register('setTeamDbUrl', AgentMonitorChannel.setTeamDbUrl);
  register('setTeamViewUrl', AgentMonitorChannel.setTeamViewUrl);
  register('setShareText', AgentMonitorChannel.setShareText);
  register('setOtlpEndpoint', AgentMonitorChannel.setOtlpEndpoint);
  return {
    ops,
    unregister: () => {
      for (const channel of registered) ipcMain.removeHandler(channel);
    },
  };
}
