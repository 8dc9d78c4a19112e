/** The consent settings backed by conf in a temp data dir (never the real home). */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConfSettings, createMemorySettings, SETTINGS_DEFAULTS, SETTINGS_SCHEMA, SettingsError } from '../../src/core/settings.js';
import { createTempDirectory, readText } from './_helpers.js';

describe('conf settings', () => {
  it('starts with the defaults and stores them in <dataDir>/settings.json', async () => {
    const dir = path.join(await createTempDirectory('set-'), 'data');
    const s = createConfSettings({ cwd: dir });
    expect(s.get()).toEqual({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    expect(SETTINGS_DEFAULTS).toEqual(s.get());
    expect(await readdir(dir)).toEqual(['settings.json']);
    expect(JSON.parse(await readText(path.join(dir, 'settings.json')))).toEqual(SETTINGS_DEFAULTS);
  });

  it('persists a patch; a second instance (next boot) reads it; unknown keys survive', async () => {
    const dir = await createTempDirectory('set-');
    await writeFile(path.join(dir, 'settings.json'), JSON.stringify({ hostOwned: 'x', hooksEnabled: true }));
    const s = createConfSettings({ cwd: dir });
    s.set({ codexOptIn: true });
    expect(createConfSettings({ cwd: dir }).get()).toEqual({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    expect(JSON.parse(await readText(path.join(dir, 'settings.json')))).toEqual({ hostOwned: 'x', agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
  });

  it('rejects non-boolean and unknown values before storing', async () => {
    const s = createConfSettings({ cwd: await createTempDirectory('set-') });
    expect(() => s.set({ hooksEnabled: 'yes' as unknown as boolean })).toThrow('Setting `hooksEnabled` must be a boolean, got string');
    expect(() => s.set({ nope: true } as never)).toThrow('Unknown setting `nope`');
    expect(s.get().hooksEnabled).toBe(false);
  });

  it('a corrupt settings.json is not replaced: a clear error names the file and the fix', async () => {
    const dir = await createTempDirectory('set-');
    const file = path.join(dir, 'settings.json');
    await writeFile(file, '{"hooksEnabled": tru');
    expect(() => createConfSettings({ cwd: dir })).toThrow(SettingsError);
    expect(() => createConfSettings({ cwd: dir })).toThrow(new RegExp(`^The settings file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} could not be used \\(.+\\)\\. Fix or remove it; it was not replaced\\.$`));
    expect(await readText(file)).toBe('{"hooksEnabled": tru');
  });

  it('a schema violation in the file is not replaced either', async () => {
    const dir = await createTempDirectory('set-');
    const file = path.join(dir, 'settings.json');
    await writeFile(file, '{"codexOptIn": "yes"}');
    expect(() => createConfSettings({ cwd: dir })).toThrow(/Config schema violation/);
    expect(await readText(file)).toBe('{"codexOptIn": "yes"}');
  });

  it('a file broken after start surfaces on get() and set() without being overwritten', async () => {
    const dir = await createTempDirectory('set-');
    const s = createConfSettings({ cwd: dir });
    const file = path.join(dir, 'settings.json');
    await writeFile(file, 'garbage');
    expect(() => s.get()).toThrow(SettingsError);
    expect(() => s.set({ hooksEnabled: true })).toThrow(SettingsError);
    expect(await readText(file)).toBe('garbage');
  });

  it('the schema carries the defaults: dashboard on, tracking off until the user consents, notifications on once it does', () => {
    expect(SETTINGS_DEFAULTS).toEqual({ agentMonitorEnabled: true, hooksEnabled: false, codexOptIn: false, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    expect(Object.keys(SETTINGS_SCHEMA)).toEqual(Object.keys(SETTINGS_DEFAULTS));
    expect(Object.isFrozen(SETTINGS_DEFAULTS)).toBe(true);
  });
});

describe('memory settings', () => {
  it('behaves like the conf backend', () => {
    const s = createMemorySettings({ hooksEnabled: true });
    expect(s.get()).toEqual({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: false, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    s.set({ agentMonitorEnabled: false });
    expect(s.get().agentMonitorEnabled).toBe(false);
  });
});

it('creates the data dir when missing', async () => {
  const dir = path.join(await createTempDirectory('set-'), 'a', 'b');
  createConfSettings({ cwd: dir }).set({ hooksEnabled: true });
  await mkdir(dir, { recursive: true });
  expect(JSON.parse(await readText(path.join(dir, 'settings.json'))).hooksEnabled).toBe(true);
});
