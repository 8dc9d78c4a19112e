/**
 * The consent model (docs/contracts.md "Consent model"): three flags with one JSON schema, stored by `conf` when
 * headless and by electron-store (built by the Electron main from the same schema) in the app.
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
}

/**
 * The `schema` option of conf and electron-store (the `properties` of the root schema), and the
 * one place the defaults are written: everything below derives from it.
 */
export const SETTINGS_SCHEMA = {
  agentMonitorEnabled: { type: 'boolean', default: true },
  hooksEnabled: { type: 'boolean', default: false },
  codexOptIn: { type: 'boolean', default: false },
  notificationsEnabled: { type: 'boolean', default: true },
} as const satisfies Record<keyof MonitorSettings, { type: 'boolean'; default: boolean }>;

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

/** Rejects anything but known keys with boolean values, before anything is stored. */
export function validateSettingsPatch(patch: unknown): Partial<MonitorSettings> {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new TypeError('Expected a settings object');
  const out: Partial<MonitorSettings> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (!(SETTINGS_KEYS as readonly string[]).includes(k)) throw new TypeError(`Unknown setting \`${k}\``);
    if (typeof v !== 'boolean') throw new TypeError(`Setting \`${k}\` must be a boolean, got ${typeof v}`);
    out[k as keyof MonitorSettings] = v;
  }
  return out;
}

/** Picks the three flags out of a stored object, defaults filling gaps. */
export function normalizeSettings(stored: Partial<Record<string, unknown>>): MonitorSettings {
  const out = { ...SETTINGS_DEFAULTS };
  for (const k of SETTINGS_KEYS) {
    const v = stored[k];
    if (typeof v === 'boolean') out[k] = v;
  }
  return out;
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
