/**
 * The three team choices (team sync, shared text, OTLP endpoint) as the sidecar receives them:
 * environment variables set at each launch (docs/contracts.md "Team settings"). A child's
 * environment is readable only by the same user, so the connection strings travel there and are
 * never written to a command line or a log. Also the checks every entry point applies to what a
 * user typed, so the Settings page and the runner refuse the same inputs with the same words.
 */
import { redactUrl } from '../shared/redact-url.js';
import type { TeamSettings } from '../shared/ipc.js';
import type { MonitorSettings } from './settings.js';
import type { TeamSecretStore, TeamSecrets } from './team-secrets.js';

export const MAX_URL_CHARS = 2048;

/** The environment variables the sidecar reads (TEAM-sync, team view, text, OTLP). */
export const TEAM_ENV_KEYS = ['AGENT_MONITOR_TEAM_DB_URL', 'AGENT_MONITOR_TEAM_VIEW_URL', 'AGENT_MONITOR_SHARE_TEXT', 'AGENT_MONITOR_OTLP_ENDPOINT'] as const;

/** '' (clear) or a postgres:// / postgresql:// URL; returns it trimmed, or throws a message for the user. */
export function checkPostgresUrl(input: string, what: string): string {
  const v = input.trim();
  if (v === '') return '';
  if (v.length > MAX_URL_CHARS) throw new Error(`${what} is longer than ${MAX_URL_CHARS} characters.`);
  if (!/^postgres(ql)?:\/\//i.test(v)) throw new Error(`${what} must be a postgres:// or postgresql:// URL, e.g. postgres://me:secret@db.example.com:5432/agents?sslmode=require`);
  try {
    new URL(v);
  } catch {
    throw new Error(`${what} is not a valid URL (${redactUrl(v)}); a password with special characters must be percent-encoded.`);
  }
  return v;
}

/** '' (off) or an http(s) base URL of an OTLP/HTTP receiver. */
export function checkOtlpEndpoint(input: string): string {
  const v = input.trim();
  if (v === '') return '';
  if (v.length > MAX_URL_CHARS) throw new Error(`The OTLP endpoint is longer than ${MAX_URL_CHARS} characters.`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Error(`The OTLP endpoint is not a URL: ${redactUrl(v)} (expected e.g. http://127.0.0.1:4318).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`The OTLP endpoint must be http:// or https:// (OTLP over HTTP/protobuf), got ${url.protocol}`);
  return v;
}

/**
 * The sidecar's team environment: every key is present (empty = off) so a launch never inherits a
 * stale value from the parent's environment. The push URL only while team sync is on; the view
 * URL whenever one is stored (reading sends nothing of this machine's).
 */
export function teamEnv(settings: MonitorSettings, secrets: TeamSecrets): Record<(typeof TEAM_ENV_KEYS)[number], string> {
  return {
    AGENT_MONITOR_TEAM_DB_URL: settings.teamSyncEnabled && secrets.teamDbUrl ? secrets.teamDbUrl : '',
    AGENT_MONITOR_TEAM_VIEW_URL: secrets.teamViewUrl ?? '',
    AGENT_MONITOR_SHARE_TEXT: settings.shareText ? '1' : '',
    AGENT_MONITOR_OTLP_ENDPOINT: settings.otlpEndpoint,
  };
}

/** The view the Settings page and `status` show: secrets redacted. */
export function teamSettingsView(settings: MonitorSettings, store: TeamSecretStore): TeamSettings {
  const info = store.info();
  let secrets: TeamSecrets = { teamDbUrl: null, teamViewUrl: null };
  let error: string | undefined;
  try {
    secrets = store.get();
  } catch (err) {
    error = (err as Error).message;
  }
  return {
    teamSyncEnabled: settings.teamSyncEnabled,
    shareText: settings.shareText,
    otlpEndpoint: settings.otlpEndpoint ? redactUrl(settings.otlpEndpoint) : null,
    teamDbUrl: secrets.teamDbUrl ? redactUrl(secrets.teamDbUrl) : null,
    teamViewUrl: secrets.teamViewUrl ? redactUrl(secrets.teamViewUrl) : null,
    secretStorage: { available: info.available, where: info.where, ...(info.error ? { error: info.error } : {}) },
    ...(error ? { error } : {}),
  };
}

/** What leaves the machine, in the words the Settings page and the runner both show. */
export const TEAM_CONSENT_TEXT = {
  sync:
    'Team sync pushes this machine\'s sessions, events and token counts with API list-price cost estimates (not what a subscription bills) to the PostgreSQL database you name, outbound only, with this machine\'s name, your user name and a random machine id. Everyone who can read that database sees them.',
  text:
    'Off by default: only metadata, tool names, token counts and costs leave the machine. On: prompts, agent answers, commands, file paths and tool input and output are sent too (team sync and OpenTelemetry export).',
  otlp:
    'Sends the same events as OpenTelemetry logs and spans (OTLP over HTTP) to the collector you name, with this machine\'s name and id. Leave empty to send nothing.',
} as const;

/**
 * `launchEnv` for the sidecar manager: the team environment from the saved choices. A secrets
 * file that cannot be read starts the sidecar without the connection strings (sync and view off)
 * and says why, rather than not starting the monitor at all.
 */
export function teamLaunchEnv({ settings, secrets, log }: { settings: () => MonitorSettings; secrets: TeamSecretStore; log: (line: string) => void }): () => NodeJS.ProcessEnv {
  return () => {
    const s = settings();
    let stored: TeamSecrets = { teamDbUrl: null, teamViewUrl: null };
    try {
      stored = secrets.get();
    } catch (err) {
      log(`[team] connection strings not passed to the monitor: ${(err as Error).message}`);
    }
    return teamEnv(s, stored);
  };
}
