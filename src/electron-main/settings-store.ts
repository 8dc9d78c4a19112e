/**
 * The settings backend of the Electron app: electron-store with exactly the schema, defaults and
 * file name of src/core/settings.ts (the headless runner uses conf directly on the same file), so
 * the app and `npm run monitor` read and write one `<dataDir>/settings.json`.
 *
 * Why electron-store at all, when conf works: it is what an Electron host plugin is expected to
 * use (it wires `app.getPath('userData')` and the app version for migrations). We always pass an
 * absolute `cwd`, which is also what lets tests run it in plain Node with `electron` mocked.
 */
import path from 'node:path';
import Store from 'electron-store';
import { SETTINGS_CONFIG_NAME, SETTINGS_SCHEMA, settingsOverStore, type MonitorSettings, type SettingsBackend } from '../core/settings.js';

export function createElectronStoreSettings({ cwd }: { cwd: string }): SettingsBackend {
  return settingsOverStore({
    filePath: path.join(cwd, `${SETTINGS_CONFIG_NAME}.json`),
    // A corrupt settings file is reported, never silently reset (same as createConfSettings).
    open: () => new Store<MonitorSettings>({ cwd, name: SETTINGS_CONFIG_NAME, schema: SETTINGS_SCHEMA, clearInvalidConfig: false, configFileMode: 0o600 }),
  });
}
