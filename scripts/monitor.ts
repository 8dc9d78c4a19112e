// Headless runner: what the Electron shell does, without a window. `serve` builds the sidecar if
// needed, starts it, reconciles hook files with the saved consent settings, prints the dashboard
// URL and runs until Ctrl-C. The other subcommands reach the operations the IPC layer offers and
// return: they change or report settings and files, and never start the server.
//
//   npm run monitor                         serve (default)
//   npm run monitor -- serve --claude on --codex on --port 4820
//   npm run monitor -- serve --team-db postgres://… --share-text off --otlp-endpoint http://127.0.0.1:4318
//   npm run monitor -- status
//   npm run monitor -- enable|disable claude|codex|dashboard
//
// Folders come from the environment at this edge only: AGENT_MONITOR_DATA_DIR, CLAUDE_CONFIG_DIR,
// CODEX_HOME (or --data-dir / --claude-dir / --codex-home), defaulting as docs/contracts.md says.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { buildAgentMonitor, defaultOutDir } from './build-agent-monitor.js';
import { defaultPaths, type HostPaths } from '../src/core/paths.js';
import { createConfSettings } from '../src/core/settings.js';
import { detectCodexVersion } from '../src/core/codex-diagnostics.js';
import { createHookService, type FamilyOutcome, type HookService } from '../src/core/hook-service.js';
import { createAgentMonitorOps, type AgentMonitorOps } from '../src/core/agent-monitor-ops.js';
import { createHostStatusReader, createSidecarManager, sidecarLaunchSpec, type SidecarManager } from '../src/core/sidecar-manager.js';
import type { ToggleResult } from '../src/shared/ipc.js';
import { parseCli, runCli, UsageError } from './lib/cli.js';
import { isMainModule } from './lib/is-main.js';
import { formatExportHealth, formatMonitorHealth, readMonitorHealth } from '../src/core/monitor-health.js';
import { createHeadlessSecretStore } from '../src/core/team-secrets.js';
import { TEAM_CONSENT_TEXT, teamLaunchEnv } from '../src/core/team-config.js';
import type { TeamSettingResult } from '../src/shared/ipc.js';

const USAGE = `usage: npm run monitor -- [serve|status|enable <family>|disable <family>] [options]
  families: claude, codex, dashboard
  options:  --data-dir <dir>  --claude-dir <dir>  --codex-home <dir>  --port <n> (0 = any free port)
            serve only: --claude on|off  --codex on|off   (saved, then applied)
                        --team-db <postgres url>|off      push to a team PostgreSQL (off: stop, forget the URL)
                        --team-view-db <postgres url>|off read-only role for the team view
                        --share-text on|off               include prompt/output/tool text (default off)
                        --otlp-endpoint <http url>|off    export OpenTelemetry logs and spans
            connection strings are kept in <data dir>/team-secrets.json (0600), never in settings.json`;

export interface RunnerContext {
  paths: HostPaths;
  ops: AgentMonitorOps;
  service: HookService;
  manager: SidecarManager;
}

/**
 * `serve` owns a sidecar: turning the dashboard on or off starts or stops it. The one-shot
 * commands only save the setting and reconcile the hook files (a running `serve` applies the
 * setting at its next start).
 */
export function createRunner({ paths, port, serving }: { paths: HostPaths; port: number; serving: boolean }): RunnerContext {
  const serverEntry = join(defaultOutDir, 'server', 'index.js');
  const spec = sidecarLaunchSpec({ runtime: 'node', serverEntry, execPath: process.execPath, port, codexHome: paths.codexHome, claudeConfigDir: paths.claudeConfigDir, dbPath: join(paths.dataDir, 'monitor.db') });
  const settings = createConfSettings({ cwd: paths.dataDir });
  const secrets = createHeadlessSecretStore({ dataDir: paths.dataDir });
  const manager = createSidecarManager({
    ...spec,
    launchEnv: teamLaunchEnv({ settings: () => settings.get(), secrets, log: (line) => console.log(line) }),
    dataDir: paths.dataDir,
    log: (line) => console.log(line),
  });
  const service = createHookService({
    settings,
    paths,
    handlerSources: {
      claude: join(defaultOutDir, 'scripts', 'hook-handler.js'),
      codex: join(defaultOutDir, 'scripts', 'codex-hook-handler.js'),
    },
    sidecarStatus: createHostStatusReader({ manager }),
    codexVersion: () => detectCodexVersion(),
  });
  const ops = createAgentMonitorOps({
    service,
    settings,
    onMasterChanged: serving
      ? async (enabled) => {
          if (enabled) await manager.start();
          else await manager.stop();
        }
      : undefined,
    getDashboardInfo: () => manager.dashboardInfo(),
    secrets,
    onTeamConfigChanged: serving
      ? async () => {
          await manager.restart();
        }
      : undefined,
  });
  return { paths, ops, service, manager };
}

function describeToggle(what: string, r: ToggleResult): string {
  return r.ok ? `${what}: ${r.enabled ? 'on' : 'off'}` : `${what}: FAILED (${r.error}); saved intent: ${r.enabled ? 'on' : 'off'}`;
}

function describeOutcome(name: string, o: FamilyOutcome): string {
  return `  ${name.padEnd(7)} ${o.action}${o.error ? `: ${o.error}` : ''} (${o.path})`;
}

async function ensureBuilt(): Promise<void> {
  const res = await buildAgentMonitor({ quiet: false });
  if (!res.ok) {
    console.error(res.report);
    process.exit(1);
  }
}

async function setFamily(ops: AgentMonitorOps, family: string, enabled: boolean): Promise<ToggleResult> {
  switch (family) {
    case 'claude':
      return ops.setHooksEnabled(enabled);
    case 'codex':
      return ops.setCodexHooksOptIn(enabled);
    case 'dashboard':
      return ops.setAgentDashboardEnabled(enabled);
    default:
      throw usageError(`unknown family "${family}"`);
  }
}

async function printStatus(ctx: RunnerContext): Promise<void> {
  const { ops, paths } = ctx;
  console.log(`data dir       ${paths.dataDir}`);
  console.log(`Agent Dashboard ${ops.isMasterEnabled() ? 'on' : 'off'}`);
  console.log(`Claude hooks   ${ops.getHooksEnabled() ? 'on' : 'off'}  (${join(paths.claudeConfigDir, 'settings.json')})`);
  console.log(`Codex hooks    ${ops.getCodexHooksOptIn() ? 'on' : 'off'}  (${join(paths.codexHome, 'hooks.json')})`);
  const claude = await ctx.service.getClaudeTransport();
  console.log(`Claude transport ${claude.installed ?? 'not installed'}${claude.url ? ` (${claude.url})` : ''}; an install here uses ${claude.preferred}: ${claude.reason}`);
  const status = await ops.getCodexStatus();
  if (status && status.transport) {
    const t = status.transport;
    console.log(`Codex transport ${t.installed ?? 'not installed'}; an install here uses ${t.preferred}: ${t.reason}`);
  }
  if (status) {
    console.log(`Codex feature  ${status.feature.state}${status.feature.key ? ` ([features].${status.feature.key})` : ''}`);
    const modified = status.trust.entries.filter((e) => e.modified).length;
    console.log(`Codex trust    ${status.trust.state}${modified ? ` (${modified} entries trusted for a different command than the installed one: trust them again in /hooks)` : ''}`);
    console.log(`last Codex hook event ${status.lastEventAt ?? 'none'}; sidecar ${status.sidecarReachable ? 'reachable' : 'not running'}`);
    console.log(status.setupHint);
  }
  const health = await readMonitorHealth(paths.dataDir);
  for (const line of formatMonitorHealth(health)) console.log(line);
  for (const line of describeTeam(ops)) console.log(line);
  for (const line of formatExportHealth(health)) console.log(line);
}

/** The team choices, secrets redacted (src/shared/redact-url.ts). */
export function describeTeam(ops: AgentMonitorOps): string[] {
  const t = ops.getTeamSettings();
  const lines = [
    `Team sync      ${t.teamSyncEnabled ? 'on' : 'off'}${t.teamDbUrl ? `  (${t.teamDbUrl})` : ''}`,
    `Team view      ${t.teamViewUrl ?? (t.teamDbUrl ? 'the push URL, read-only' : 'not set')}`,
    `Shared text    ${t.shareText ? 'on: prompts, answers, commands and tool output leave the machine' : 'off: metadata, tool names, token counts and costs only'}`,
    `OTLP export    ${t.otlpEndpoint ? `on  (${t.otlpEndpoint})` : 'off'}`,
    `Team secrets   ${t.secretStorage.where}`,
  ];
  if (t.error) lines.push(`Team secrets   PROBLEM: ${t.error}`);
  return lines;
}

export interface TeamFlags {
  teamDb?: string;
  teamViewDb?: string;
  shareText?: string;
  otlpEndpoint?: string;
}

/** Applies the team flags of `serve` (saved, like --claude/--codex); returns what to print, or throws on a refusal. */
export async function applyTeamFlags(ops: AgentMonitorOps, flags: TeamFlags): Promise<string[]> {
  const out: string[] = [];
  const check = (what: string, r: TeamSettingResult): void => {
    if (!r.ok) throw new Error(`${what}: ${r.error}`);
  };
  if (flags.teamDb !== undefined) {
    if (flags.teamDb === 'off') {
      check('--team-db', await ops.setTeamSyncEnabled(false));
      check('--team-db', await ops.setTeamDbUrl(''));
      out.push('team sync: off');
    } else {
      check('--team-db', await ops.setTeamDbUrl(flags.teamDb));
      check('--team-db', await ops.setTeamSyncEnabled(true));
      out.push(`team sync: on (${ops.getTeamSettings().teamDbUrl})`);
      out.push(`  ${TEAM_CONSENT_TEXT.sync}`);
    }
  }
  if (flags.teamViewDb !== undefined) {
    check('--team-view-db', await ops.setTeamViewUrl(flags.teamViewDb === 'off' ? '' : flags.teamViewDb));
    out.push(`team view: ${ops.getTeamSettings().teamViewUrl ?? 'off'}`);
  }
  if (flags.shareText !== undefined) {
    check('--share-text', await ops.setShareText(flags.shareText === 'on'));
    out.push(`shared text: ${flags.shareText}`);
    if (flags.shareText === 'on') out.push(`  ${TEAM_CONSENT_TEXT.text}`);
  }
  if (flags.otlpEndpoint !== undefined) {
    check('--otlp-endpoint', await ops.setOtlpEndpoint(flags.otlpEndpoint === 'off' ? '' : flags.otlpEndpoint));
    out.push(`OTLP export: ${ops.getTeamSettings().otlpEndpoint ?? 'off'}`);
    if (flags.otlpEndpoint !== 'off') out.push(`  ${TEAM_CONSENT_TEXT.otlp}`);
  }
  return out;
}

async function serve(ctx: RunnerContext, flags: { claude?: string; codex?: string } & TeamFlags): Promise<void> {
  const { ops, manager } = ctx;
  if (!ops.isMasterEnabled()) {
    console.log('Agent Dashboard is disabled in the saved settings; enable it with: npm run monitor -- enable dashboard');
    return;
  }
  // Saved before the sidecar starts, so its first launch already has them (no restart).
  for (const line of await applyTeamFlags(ops, flags)) console.log(line);
  await ensureBuilt();
  const snap = await manager.start();
  if (snap.state !== 'running') {
    console.error(`[monitor] the sidecar is ${snap.state}: ${snap.lastError ?? 'unknown error'}`);
    process.exit(1);
  }
  for (const [family, value] of [['claude', flags.claude], ['codex', flags.codex]] as const) {
    if (value === undefined) continue;
    console.log(describeToggle(`${family} hooks`, await setFamily(ops, family, value === 'on')));
  }
  // Boot reconcile: files follow the saved intent (install intended, remove stale, repair moved).
  const outcome = await ctx.service.syncHooksOnBoot();
  console.log('[monitor] hook files:');
  console.log(describeOutcome('claude', outcome.claude));
  console.log(describeOutcome('codex', outcome.codex));
  console.log(`[monitor] dashboard: ${snap.url}`);
  console.log(`[monitor] hooks: Claude ${ops.getHooksEnabled() ? 'on' : 'off'}, Codex ${ops.getCodexHooksOptIn() ? 'on' : 'off'} — Ctrl-C stops the sidecar`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      console.log('\n[monitor] stopping…');
      manager.stop().then(resolve, resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

const usageError = (message: string): UsageError => new UsageError(message, USAGE);

const COMMAND_ARITY: Record<string, number> = { serve: 0, status: 0, enable: 1, disable: 1 };

export async function main(argv: string[]): Promise<void> {
  // Unknown options, and options missing their value (`--port` at the end, `--port --claude`).
  const { values, positionals } = parseCli({
    argv,
    usage: USAGE,
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      'claude-dir': { type: 'string' },
      'codex-home': { type: 'string' },
      port: { type: 'string' },
      claude: { type: 'string' },
      codex: { type: 'string' },
      'team-db': { type: 'string' },
      'team-view-db': { type: 'string' },
      'share-text': { type: 'string' },
      'otlp-endpoint': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(USAGE);
  const [command = 'serve', ...rest] = positionals;
  const arity = COMMAND_ARITY[command];
  if (arity === undefined) throw usageError(`unknown command "${command}"`);
  if (rest.length !== arity) throw usageError(arity === 0 ? `${command} takes no arguments, got "${rest.join(' ')}"` : `${command} needs exactly one family`);
  if (command !== 'serve' && (values.claude !== undefined || values.codex !== undefined)) throw usageError('--claude and --codex are for serve');
  for (const [name, value] of [['claude', values.claude], ['codex', values.codex], ['share-text', values['share-text']]] as const) {
    if (value !== undefined && value !== 'on' && value !== 'off') throw usageError(`--${name} takes on or off`);
  }
  const teamFlags = (['team-db', 'team-view-db', 'share-text', 'otlp-endpoint'] as const).filter((k) => values[k] !== undefined);
  if (command !== 'serve' && teamFlags.length > 0) throw usageError(`${teamFlags.map((k) => `--${k}`).join(', ')}: for serve`);
  const env = { ...process.env };
  if (values['data-dir']) env.AGENT_MONITOR_DATA_DIR = values['data-dir'];
  if (values['claude-dir']) env.CLAUDE_CONFIG_DIR = values['claude-dir'];
  if (values['codex-home']) env.CODEX_HOME = values['codex-home'];
  const paths = defaultPaths({ env, homedir: homedir(), platform: process.platform });
  const portText = values.port ?? process.env.AGENT_MONITOR_PORT ?? '4820';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw usageError(`--port must be 0–65535, got "${portText}"`);
  const ctx = createRunner({ paths, port, serving: command === 'serve' });

  const family = rest[0];
  switch (command) {
    case 'serve':
      return serve(ctx, {
        claude: values.claude,
        codex: values.codex,
        teamDb: values['team-db'],
        teamViewDb: values['team-view-db'],
        shareText: values['share-text'],
        otlpEndpoint: values['otlp-endpoint'],
      });
    case 'status':
      return printStatus(ctx);
    case 'enable':
    case 'disable': {
      if (family !== 'claude' && family !== 'codex' && family !== 'dashboard') throw usageError(`unknown family "${family}"`);
      if (family !== 'dashboard') await ensureBuilt(); // installers copy the materialized handlers
      const r = await setFamily(ctx.ops, family, command === 'enable');
      console.log(describeToggle(family, r));
      if (r.ok && family === 'dashboard' && command === 'enable') console.log('  serve it with: npm run monitor');
      if (!r.ok) process.exitCode = 1;
      return;
    }
  }
}

if (isMainModule(import.meta.url)) {
  runCli(() => main(process.argv.slice(2)), { prefix: '[monitor] ' });
}
