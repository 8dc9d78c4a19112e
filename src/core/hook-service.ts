/**
 * What the IPC handlers and the headless runner call (docs/contracts.md "Hook service";
 * "Consent model"). Intent lives in the settings; files follow intent:
 *   Claude hooks installed ⇔ agentMonitorEnabled && hooksEnabled
 *   Codex hooks installed  ⇔ agentMonitorEnabled && hooksEnabled && codexOptIn
 * A setter persists the intent first, then applies it; a failed side effect is reported with
 * ok:false and the intent is kept, so the next boot tries again.
 */
import type { CodexStatus, ToggleResult } from '../shared/ipc.js';
import { CLAUDE_COMMAND_ONLY_EVENTS, installClaudeHooks, uninstallClaudeHooks, claudeSettingsPath, readClaudeHooks } from './claude-hooks.js';
import { ensureHookSecret } from './hook-secret.js';
import { readRuntimeFile } from './sidecar-manager.js';
import { DEFAULT_PORT } from '../shared/runtime.js';
import { readCodexDiagnostics, recordCodexTrust, type CodexDiagnostics } from './codex-diagnostics.js';
import { CODEX_SH_HANDLER_FILE, codexHooksJsonPath, installCodexHooks, readCodexHooks, uninstallCodexHooks } from './codex-hooks.js';
import { claudeHandlerPath, codexHandlerPath, codexShHandlerPath, codexShHandlerSource, installHandlerFile } from './handler-files.js';
import { chooseClaudeTransport, chooseCodexTransport, type ClaudeTransport, type CodexTransport, type TransportChoice } from './hook-transport.js';
import type { MonitorSettings, SettingsBackend } from './settings.js';

export type { CodexStatus, ToggleResult };

export type FamilyOutcome = { action: 'installed' | 'removed' | 'unchanged' | 'failed'; path: string; error?: string };
export type HookFamilyName = 'claude' | 'codex';

export interface HookService {
  /** Claude tracking intent. */
  getHooksEnabled(): boolean;
  setHooksEnabled(enabled: boolean): Promise<ToggleResult>;
  getCodexOptIn(): boolean;
  setCodexOptIn(enabled: boolean): Promise<ToggleResult>;
  getCodexStatus(): Promise<CodexStatus & { hooksJsonError?: string }>;
  syncHooksOnBoot(): Promise<{ claude: FamilyOutcome; codex: FamilyOutcome }>;
  /** Master switch off: take every entry of ours out, leave the intent flags as they are. */
  removeAllHooks(): Promise<{ claude: FamilyOutcome; codex: FamilyOutcome }>;
  /** Which transport Claude Code's hooks use and why. */
  getClaudeTransport(): Promise<ClaudeTransportStatus>;
}

export interface SidecarHostStatus {
  lastCodexHookEventAt: string | null;
  watcher: { running: boolean; files: number; behindBytes: number; lastImportAt?: string | null } | null;
}

export interface HookServiceOptions {
  settings: SettingsBackend;
  paths: { dataDir: string; claudeConfigDir: string; codexHome: string };
  /** Absolute paths of the handler scripts to copy into `<dataDir>/hooks/`. */
  handlerSources: { claude: string; codex: string };
  /** `GET /api/host/status` of the running sidecar; null (or a throw) when it is not reachable. */
  sidecarStatus?: () => Promise<SidecarHostStatus | null>;
  /** Installed Codex CLI version, for the default of the hooks feature; null when unknown. */
  /**
   * Installed Codex CLI version, for the default of the hooks feature; null when unknown. A
   * function is called once, on the first status request (e.g. detectCodexVersion), so start-up
   * never waits for a `codex --version`.
   */
  codexVersion?: string | null | (() => Promise<string | null>);
  /** Decides the Codex hook transport at install time (default: chooseCodexTransport()). */
  codexTransport?: () => Promise<TransportChoice<CodexTransport>>;
  /** Decides the Claude hook transport at install time (default: chooseClaudeTransport()). */
  claudeTransport?: () => Promise<TransportChoice<ClaudeTransport>>;
  /**
   * The port Claude's HTTP hook URL names. Default: the port of the running sidecar (runtime.json),
   * else AGENT_MONITOR_PORT, else 4820 — so every boot sync points the URL at where the sidecar is.
   */
  hookPort?: () => number;
}

export interface ClaudeTransportStatus {
  /** What settings.json has now (null: not installed). */
  installed: ClaudeTransport | null;
  /** What an install would choose on this machine, and why. */
  preferred: ClaudeTransport;
  reason: string;
  /** The URL of our http entries, when installed as http. */
  url: string | null;
}

export function claudeIntended(s: MonitorSettings): boolean {
  return s.agentMonitorEnabled && s.hooksEnabled;
}

export function codexIntended(s: MonitorSettings): boolean {
  return s.agentMonitorEnabled && s.hooksEnabled && s.codexOptIn;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function defaultHookPort(dataDir: string): number {
  const rt = readRuntimeFile(dataDir);
  if (rt && rt.port > 0) return rt.port;
  const env = Number(process.env.AGENT_MONITOR_PORT);
  return Number.isInteger(env) && env > 0 && env < 65536 ? env : DEFAULT_PORT;
}

export function createHookService({
  settings,
  paths,
  handlerSources,
  sidecarStatus,
  codexVersion = null,
  codexTransport = () => chooseCodexTransport(),
  claudeTransport = () => chooseClaudeTransport(),
  hookPort = () => defaultHookPort(paths.dataDir),
}: HookServiceOptions): HookService {
  let codexVersionOnce: Promise<string | null> | null = null;
  let codexChoiceOnce: Promise<TransportChoice<CodexTransport>> | null = null;
  let claudeChoiceOnce: Promise<TransportChoice<ClaudeTransport>> | null = null;
  const installedCodexVersion = (): Promise<string | null> =>
    (codexVersionOnce ??= typeof codexVersion === 'function' ? codexVersion().catch(() => null) : Promise.resolve(codexVersion));
  const claudeFile = claudeSettingsPath({ claudeConfigDir: paths.claudeConfigDir });
  const codexFile = codexHooksJsonPath({ codexHome: paths.codexHome });

  // One operation at a time, so a fast on/off/on from the UI applies in order and the files end
  // up matching the last intent. (Other processes are kept out by the config file lock.)
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  async function apply(family: HookFamilyName, install: boolean): Promise<FamilyOutcome> {
    const file = family === 'claude' ? claudeFile : codexFile;
    try {
      if (install && family === 'claude') {
        // The command handler is deployed either way: switching back needs no other step.
        const handler = claudeHandlerPath({ dataDir: paths.dataDir });
        await installHandlerFile({ source: handlerSources.claude, target: handler });
        const choice = await (claudeChoiceOnce ??= claudeTransport());
        const http = choice.transport === 'http' ? { port: hookPort(), secret: await ensureHookSecret({ dataDir: paths.dataDir }) } : undefined;
        const r = await installClaudeHooks({ claudeConfigDir: paths.claudeConfigDir, handlerPath: handler, http });
        return { action: r.changed ? 'installed' : 'unchanged', path: r.path };
      }
      if (install) {
        // Both handlers are deployed, so a hook command of either kind always finds its file.
        const choice = await codexTransport();
        const nodeHandler = codexHandlerPath({ dataDir: paths.dataDir });
        const shHandler = codexShHandlerPath({ dataDir: paths.dataDir });
        await installHandlerFile({ source: handlerSources.codex, target: nodeHandler });
        if (choice.transport === 'sh-curl') await installHandlerFile({ source: codexShHandlerSource(handlerSources.codex), target: shHandler });
        // Before the commands may change: which command each current trust hash belongs to.
        await recordCodexTrust({ codexHome: paths.codexHome, dataDir: paths.dataDir });
        const r = await installCodexHooks({ codexHome: paths.codexHome, handlerPath: choice.transport === 'sh-curl' ? shHandler : nodeHandler });
        return { action: r.changed ? 'installed' : 'unchanged', path: r.path };
      }
      const r = family === 'claude'
        ? await uninstallClaudeHooks({ claudeConfigDir: paths.claudeConfigDir })
        : await uninstallCodexHooks({ codexHome: paths.codexHome });
      return { action: r.changed ? 'removed' : 'unchanged', path: r.path };
    } catch (error) {
      return { action: 'failed', path: file, error: errorText(error) };
    }
  }

  async function reconcile(): Promise<{ claude: FamilyOutcome; codex: FamilyOutcome }> {
    const s = settings.get();
    const claude = await apply('claude', claudeIntended(s));
    const codex = await apply('codex', codexIntended(s));
    return { claude, codex };
  }

  function toggleResult(enabled: boolean, outcomes: FamilyOutcome[]): ToggleResult {
    const failed = outcomes.filter((o) => o.action === 'failed');
    if (failed.length === 0) return { ok: true, enabled };
    return { ok: false, enabled, error: failed.map((o) => o.error ?? `${o.path} could not be updated.`).join(' ') };
  }

  /** Persist first; if even that fails, report the intent that is actually stored. */
  function persist(patch: Partial<MonitorSettings>, key: 'hooksEnabled' | 'codexOptIn'): ToggleResult | null {
    try {
      settings.set(patch);
      return null;
    } catch (error) {
      let stored = false;
      try {
        stored = settings.get()[key];
      } catch {
        // the settings file is unreadable; report the flag as off
      }
      return { ok: false, enabled: stored, error: errorText(error) };
    }
  }

  return {
    getHooksEnabled: () => settings.get().hooksEnabled,
    getCodexOptIn: () => settings.get().codexOptIn,

    setHooksEnabled: (enabled) =>
      serial(async () => {
        const failed = persist({ hooksEnabled: enabled }, 'hooksEnabled');
        if (failed) return failed;
        // Codex tracking needs Claude tracking on, so this toggle drives both files; the Codex
        // opt-in intent itself stays as it was.
        const { claude, codex } = await reconcile();
        return toggleResult(enabled, [claude, codex]);
      }),

    setCodexOptIn: (enabled) =>
      serial(async () => {
        const failed = persist({ codexOptIn: enabled }, 'codexOptIn');
        if (failed) return failed;
        const codex = await apply('codex', codexIntended(settings.get()));
        return toggleResult(enabled, [codex]);
      }),

    getCodexStatus: async () => {
      const diag: CodexDiagnostics = await readCodexDiagnostics({ codexHome: paths.codexHome, codexVersion: await installedCodexVersion(), dataDir: paths.dataDir });
      let side: SidecarHostStatus | null = null;
      if (sidecarStatus) {
        try {
          side = await sidecarStatus();
        } catch {
          side = null;
        }
      }
      const w = side?.watcher ?? null;
      const choice = await (codexChoiceOnce ??= codexTransport());
      let installedTransport: CodexTransport | null = null;
      try {
        const { entries } = await readCodexHooks({ codexHome: paths.codexHome });
        if (entries.length > 0) installedTransport = entries.every((e) => e.command.includes(`${CODEX_SH_HANDLER_FILE}"`)) ? 'sh-curl' : 'node';
      } catch {
        // hooks.json unreadable: diag already says so
      }
      return {
        ...diag,
        transport: { installed: installedTransport, preferred: choice.transport, reason: choice.reason },
        lastEventAt: side?.lastCodexHookEventAt ?? null,
        sidecarReachable: side !== null,
        watcher: w ? { running: w.running, files: w.files, behindBytes: w.behindBytes } : null,
      };
    },

    syncHooksOnBoot: () => serial(reconcile),

    getClaudeTransport: async () => {
      const choice = await (claudeChoiceOnce ??= claudeTransport());
      let installed: ClaudeTransport | null = null;
      let url: string | null = null;
      try {
        const { entries } = await readClaudeHooks({ claudeConfigDir: paths.claudeConfigDir });
        // SessionStart stays a command hook under either transport (CLAUDE_COMMAND_ONLY_EVENTS).
        const http = entries.filter((e) => e.type === 'http');
        if (entries.length > 0) installed = http.length > 0 && http.length === entries.filter((e) => !CLAUDE_COMMAND_ONLY_EVENTS.has(e.event)).length ? 'http' : 'command';
        if (installed === 'http') url = http[0]!.command;
      } catch {
        // settings.json unreadable: installed stays unknown (null)
      }
      return { installed, preferred: choice.transport, reason: choice.reason, url };
    },

    removeAllHooks: () =>
      serial(async () => {
        const claude = await apply('claude', false);
        const codex = await apply('codex', false);
        return { claude, codex };
      }),
  };
}

/**
 * The one paragraph the UI shows under the Codex toggle while Codex tracking is on: is the hooks
 * feature on (and where to turn it on), and are our entries trusted (run /hooks in Codex).
 */
export function formatCodexSetupHint(status: CodexStatus & { hooksJsonError?: string }): string {
  const parts: string[] = [];
  const { feature, trust, configPath, hooksJsonPath } = status;
  const enableIt = `add \`hooks = true\` under \`[features]\` in ${configPath}`;

  if (feature.error) {
    parts.push(`Could not read the Codex hooks setting: ${feature.error}`);
  } else {
    switch (feature.state) {
      case 'enabled':
        parts.push(feature.key === 'codex_hooks'
          ? `Codex hooks are on through the deprecated \`[features].codex_hooks\` in ${configPath}; newer Codex versions read \`[features].hooks\`, so consider renaming it.`
          : `Codex hooks are on (\`[features].hooks = true\` in ${configPath}).`);
        break;
      case 'disabled':
        parts.push(`Codex hooks are turned off by \`[features].${feature.key ?? 'hooks'} = false\` in ${configPath}; set \`hooks = true\` under \`[features]\` to let Codex run them.`);
        break;
      case 'default':
        if (feature.defaultEnabled === true) parts.push(`Codex hooks are on by default in this Codex version (\`[features].hooks\` is not set in ${configPath}).`);
        else if (feature.defaultEnabled === false) parts.push(`This Codex version has hooks off by default: ${enableIt}.`);
        else parts.push(`\`[features].hooks\` is not set in ${configPath}; recent Codex versions turn hooks on by default, older ones need you to ${enableIt}.`);
        break;
      default:
        assertNever(feature.state);
    }
  }

  const modified = trust.entries.filter((e) => e.modified);
  const untrusted = trust.entries.filter((e) => !e.trusted && !e.modified).length;
  const disabled = trust.entries.filter((e) => e.disabled).length;
  switch (trust.state) {
    case 'trusted':
      parts.push('Our hook entries are trusted.');
      break;
    case 'untrusted':
    case 'partly-trusted':
      if (modified.length > 0) {
        const m = modified[0]!.modified!;
        parts.push(`${modified.length} of ${trust.entries.length} hook entries were trusted for a different command than the one installed now (trusted: \`${m.trustedCommand}\`; installed: \`${m.installedCommand}\`), as after a switch of the hook transport: Codex skips them until you trust them again in /hooks.`);
      }
      if (untrusted > 0) {
        parts.push(`${untrusted} of ${trust.entries.length} hook entries are not trusted yet: run /hooks in Codex to trust the command (Codex skips untrusted hooks silently).`);
      }
      if (disabled > 0) parts.push(`${disabled} of our hook entries are disabled in /hooks; enable them there.`);
      break;
    case 'not-installed':
      parts.push(`Our hooks are not in ${hooksJsonPath} yet; Claude Code session tracking must be on as well.`);
      break;
    case 'unknown':
      parts.push(status.hooksJsonError
        ? `Could not check the hook entries: ${status.hooksJsonError}`
        : 'Could not tell whether our hook entries are trusted; run /hooks in Codex to check.');
      break;
    default:
      assertNever(trust.state);
  }
  if (status.lastEventAt) parts.push(`Last Codex hook event received ${status.lastEventAt}.`);
  const working = trust.state === 'trusted' && !feature.error && (feature.state === 'enabled' || (feature.state === 'default' && feature.defaultEnabled !== false));
  if (!working) parts.push('Until the hooks run, Codex sessions still appear from its rollout files, with a short delay.');
  return parts.join(' ');
}

function assertNever(x: never): never {
  throw new Error(`Unexpected value: ${String(x)}`);
}
