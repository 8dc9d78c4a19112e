/**
 * The consent model (docs/contracts.md "Consent model"): the flags and the team choices with one
 * JSON schema, stored by `conf` when headless and by electron-store (built by the Electron main
 * from the same schema) in the app. Connection strings are secrets and never live here: see
 * src/core/team-secrets.ts.
 */
import path from 'node:path';
import Conf from 'conf';

export interface MonitorSettings {
  /** Master switch: the monitor runs at all. */
  agentMonitorEnabled: boolean;
  /** Claude Code session tracking (hooks in ~/.claude/settings.json). */
  hooksEnabled: boolean;
  /** Codex CLI session tracking (hooks in ~/.codex/hooks.json); needs the two above as well. */
  codexOptIn: boolean;
  /** Desktop notifications when a session starts needing the user (src/electron-main/attention-notifier.ts). */
  notificationsEnabled: boolean;
  /** Push sessions, events and token/cost facts to the team's PostgreSQL (its URL is a secret). Off by default. */
  teamSyncEnabled: boolean;
  /** Include prompt, output and tool-input text in the team sync and the OTLP export. Off by default. */
  shareText: boolean;
  /** OTLP/HTTP receiver base URL (`http://127.0.0.1:4318`); '' = the OpenTelemetry export is off. */
  otlpEndpoint: string;
}

type SettingSchema = { type: 'boolean'; default: boolean } | { type: 'string'; default: string; maxLength: number };
type SchemaFor<T> = { [K in keyof T]: T[K] extends boolean ? { type: 'boolean'; default: boolean } : { type: 'string'; default: string; maxLength: number } };

/**
 * The `schema` option of conf and electron-store (the `properties` of the root schema), and the
 * one place the defaults are written: everything below derives from it.
 */
export const SETTINGS_SCHEMA = {
  agentMonitorEnabled: { type: 'boolean', default: true },
  hooksEnabled: { type: 'boolean', default: false },
  codexOptIn: { type: 'boolean', default: false },
  notificationsEnabled: { type: 'boolean', default: true },
  teamSyncEnabled: { type: 'boolean', default: false },
  shareText: { type: 'boolean', default: false },
  otlpEndpoint: { type: 'string', default: '', maxLength: 2048 },
} as const satisfies SchemaFor<MonitorSettings>;

export const SETTINGS_KEYS = Object.keys(SETTINGS_SCHEMA) as (keyof MonitorSettings)[];

/** What a fresh install has: the schema's defaults. */
export const SETTINGS_DEFAULTS: Readonly<MonitorSettings> = Object.freeze(
  Object.fromEntries(SETTINGS_KEYS.map((k) => [k, SETTINGS_SCHEMA[k].default])) as unknown as MonitorSettings,
);

export const SETTINGS_PROJECT_NAME = 'agent-monitor-host';
export const SETTINGS_CONFIG_NAME = 'settings';

export interface SettingsBackend {
  get(): MonitorSettings;
  set(patch: Partial<MonitorSettings>): void;
}

export class SettingsError extends Error {
  readonly path: string;
  constructor({ path: filePath, message, cause }: { path: string; message: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'SettingsError';
    this.path = filePath;
  }
}

const schemaOf = (k: keyof MonitorSettings): SettingSchema => SETTINGS_SCHEMA[k];

function fits(k: keyof MonitorSettings, v: unknown): boolean {
  const schema = schemaOf(k);
  if (schema.type === 'boolean') return typeof v === 'boolean';
  return typeof v === 'string' && v.length <= schema.maxLength;
}

/** Rejects anything but known keys with values of their type, before anything is stored. */
export function validateSettingsPatch(patch: unknown): Partial<MonitorSettings> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new TypeError('Expected a settings object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (!(SETTINGS_KEYS as readonly string[]).includes(k)) throw new TypeError(`Unknown setting \`${k}\``);
    const key = k as keyof MonitorSettings;
    if (!fits(key, v)) {
      const schema = schemaOf(key);
      throw new TypeError(
        schema.type === 'boolean'
          ? `Setting \`${k}\` must be a boolean, got ${typeof v}`
          : `Setting \`${k}\` must be a string of at most ${schema.maxLength} characters, got ${typeof v === 'string' ? `${v.length} characters` : typeof v}`,
      );
    }
    out[k] = v;
  }
  return out;
}

/** Picks the known settings out of a stored object, defaults filling gaps (and values of the wrong type). */
export function normalizeSettings(stored: Partial<Record<string, unknown>>): MonitorSettings {
  const out: Record<string, unknown> = { ...SETTINGS_DEFAULTS };
  for (const k of SETTINGS_KEYS) {
    const v = stored[k];
    if (fits(k, v)) out[k] = v;
  }
  return out as unknown as MonitorSettings;
}

/** What conf and electron-store have in common, as far as the settings need. */
export interface ConfLikeStore {
  readonly store: unknown;
  set(value: Partial<MonitorSettings>): void;
}

/**
 * A SettingsBackend over a conf-like store (conf headless, electron-store in the app), so both
 * validate and report a corrupt file the same way: every call surfaces a SettingsError that
 * names the file and the fix, and the file is never replaced (open it with clearInvalidConfig: false).
 */
export function settingsOverStore({ filePath, open }: { filePath: string; open: () => ConfLikeStore }): SettingsBackend {
  const wrap = (error: unknown): SettingsError => {
    const detail = error instanceof Error ? error.message : String(error);
    return new SettingsError({
      path: filePath,
      message: `The settings file ${filePath} could not be used (${detail}). Fix or remove it; it was not replaced.`,
      cause: error,
    });
  };
  let store: ConfLikeStore;
  try {
    store = open();
  } catch (error) {
    throw wrap(error);
  }
  return {
    get() {
      try {
        return normalizeSettings(store.store as Record<string, unknown>);
      } catch (error) {
        throw wrap(error);
      }
    },
    set(patch) {
      const valid = validateSettingsPatch(patch);
      try {
        // Writes only the keys present, in one write.
        store.set(valid);
      } catch (error) {
        throw wrap(error);
      }
    },
  };
}

/** `<cwd>/settings.json` through conf (the headless runner). */
export function createConfSettings({ cwd }: { cwd: string }): SettingsBackend {
  const dir = path.resolve(cwd);
  return settingsOverStore({
    filePath: path.join(dir, `${SETTINGS_CONFIG_NAME}.json`),
    open: () =>
      new Conf<MonitorSettings>({
        projectName: SETTINGS_PROJECT_NAME,
        projectSuffix: '',
        configName: SETTINGS_CONFIG_NAME,
        cwd: dir,
        schema: SETTINGS_SCHEMA,
        clearInvalidConfig: false,
        configFileMode: 0o600, // what the user chose is nobody else's business
      }),
  });
}

/** For tests and one-shot runs: nothing on disk. */
export function createMemorySettings(initial: Partial<MonitorSettings> = {}): SettingsBackend {
  let state = normalizeSettings(validateSettingsPatch(initial));
  return {
    get: () => ({ ...state }),
    set(patch) {
      state = { ...state, ...validateSettingsPatch(patch) };
    },
  };
}
