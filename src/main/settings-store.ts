/**
 * The settings backend of the Electron app: electron-store with exactly the schema, defaults and
 * file name of src/core/settings.ts (the headless runner uses conf directly on the same file), so
 * the app and `npm run monitor` read and write one `<dataDir>/settings.json`.
 *
 * Why electron-store at all, when conf works: it is what an Electron host plugin is expected to
 * use (it wires `app.getPath('userData')` and the app version for migrations). We always pass an
 * absolute `cwd`, which is also what lets tests run it in plain Node with `electron` mocked.
 */
import Store from 'electron-store';
import {
  SETTINGS_CONFIG_NAME,
  SETTINGS_SCHEMA,
  SettingsError,
  normalizeSettings,
  validateSettingsPatch,
  type MonitorSettings,
  type SettingsBackend,
} from '../core/settings.js';

export function createElectronStoreSettings({ cwd }: { cwd: string }): SettingsBackend {
  const filePath = `${cwd}/${SETTINGS_CONFIG_NAME}.json`;
  const wrap = (error: unknown): SettingsError =>
    new SettingsError({
      path: filePath,
      message: `The settings file ${filePath} could not be used (${error instanceof Error ? error.message : String(error)}). Fix or remove it; it was not replaced.`,
      cause: error,
    });
  let store: Store<MonitorSettings>;
  try {
    store = new Store<MonitorSettings>({
      cwd,
      name: SETTINGS_CONFIG_NAME,
      schema: SETTINGS_SCHEMA,
      // A corrupt settings file is reported, never silently reset (same as createConfSettings).
      clearInvalidConfig: false,
    });
  } catch (error) {
    throw wrap(error);
  }
  return {
    get() {
      try {
        return normalizeSettings(store.store as unknown as Record<string, unknown>);
      } catch (error) {
        throw wrap(error);
      }
    },
    set(patch) {
      const valid = validateSettingsPatch(patch);
      try {
        store.set(valid as MonitorSettings); // writes only the keys present, in one write
      } catch (error) {
        throw wrap(error);
      }
    },
  };
}
