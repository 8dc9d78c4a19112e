/**
 * Consent semantics (docs/contracts.md "Consent model") through the hook service, on real files in temp dirs:
 * files follow intent, intent is persisted before side effects and kept on failure, and boot
 * reconciles stale, missing and unintended installs.
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLAUDE_HOOK_EVENTS, installClaudeHooks, readClaudeHooks } from '../../src/core/claude-hooks.js';
import { CODEX_HOOK_EVENTS, installCodexHooks, readCodexHooks } from '../../src/core/codex-hooks.js';
import { createHookService, formatCodexSetupHint, type HookService } from '../../src/core/hook-service.js';
import { createConfSettings, createMemorySettings, SETTINGS_DEFAULTS, type MonitorSettings, type SettingsBackend } from '../../src/core/settings.js';
import type { CodexStatus } from '../../src/shared/ipc.js';
import { createTempDirectory, exists, readText } from './_helpers.js';

interface World {
  root: string;
  paths: { dataDir: string; claudeConfigDir: string; codexHome: string };
  sources: { claude: string; codex: string };
  claudeFile: string;
  codexFile: string;
  claudeHandler: string;
  codexHandler: string;
}

async function world(): Promise<World> {
  const root = await createTempDirectory('svc-');
  const src = path.join(root, 'app', 'build');
  await mkdir(src, { recursive: true });
  const sources = { claude: path.join(src, 'hook-handler.js'), codex: path.join(src, 'codex-hook-handler.js') };
  await writeFile(sources.claude, '// claude handler v1\n');
  await writeFile(sources.codex, '// codex handler v1\n');
  await writeFile(path.join(src, 'codex-hook.sh'), '# codex sh handler v1\n');
  const paths = { dataDir: path.join(root, 'data'), claudeConfigDir: path.join(root, 'home', '.claude'), codexHome: path.join(root, 'home', '.codex') };
  return {
    root,
    paths,
    sources,
    claudeFile: path.join(paths.claudeConfigDir, 'settings.json'),
    codexFile: path.join(paths.codexHome, 'hooks.json'),
    claudeHandler: path.join(paths.dataDir, 'hooks', 'hook-handler.js'),
    codexHandler: path.join(paths.dataDir, 'hooks', 'codex-hook-handler.js'),
  };
}

function service(w: World, settings: SettingsBackend, extra: Partial<Parameters<typeof createHookService>[0]> = {}): HookService {
  // The Node transport unless a test asks for another: what the older tests here exercise.
  const codexTransport = async () => ({ transport: 'node' as const, reason: 'the Node handler (test)' });
  const claudeTransport = async () => ({ transport: 'command' as const, reason: 'command hooks (test)' });
  return createHookService({ settings, paths: w.paths, handlerSources: w.sources, codexTransport, claudeTransport, ...extra });
}

async function ourCommands(w: World): Promise<{ claude: string[]; codex: string[] }> {
  const claude = (await exists(w.claudeFile)) ? (await readClaudeHooks({ claudeConfigDir: w.paths.claudeConfigDir })).entries.map((e) => e.command) : [];
  const codex = (await exists(w.codexFile)) ? (await readCodexHooks({ codexHome: w.paths.codexHome })).entries.map((e) => e.command) : [];
  return { claude, codex };
}

describe('every combination of the three flags → the expected files after boot', () => {
  const combos: MonitorSettings[] = [];
  for (const agentMonitorEnabled of [false, true]) for (const hooksEnabled of [false, true]) for (const codexOptIn of [false, true]) combos.push({ ...SETTINGS_DEFAULTS, agentMonitorEnabled, hooksEnabled, codexOptIn, notificationsEnabled: true });

  it.each(combos)('master=$agentMonitorEnabled hooks=$hooksEnabled codex=$codexOptIn', async (flags) => {
    const w = await world();
    const svc = service(w, createMemorySettings(flags));
    const wantClaude = flags.agentMonitorEnabled && flags.hooksEnabled;
    const wantCodex = wantClaude && flags.codexOptIn;
    const out = await svc.syncHooksOnBoot();
    expect(out).toEqual({
      claude: { action: wantClaude ? 'installed' : 'unchanged', path: w.claudeFile },
      codex: { action: wantCodex ? 'installed' : 'unchanged', path: w.codexFile },
    });
    expect(await exists(w.claudeFile)).toBe(wantClaude);
    expect(await exists(w.codexFile)).toBe(wantCodex);
    expect(await exists(w.claudeHandler)).toBe(wantClaude);
    expect(await exists(w.codexHandler)).toBe(wantCodex);
    const cmds = await ourCommands(w);
    expect(cmds.claude).toHaveLength(wantClaude ? CLAUDE_HOOK_EVENTS.length : 0);
    expect(cmds.codex).toHaveLength(wantCodex ? CODEX_HOOK_EVENTS.length : 0);
    expect(cmds.claude.every((c) => c.startsWith(`node "${w.claudeHandler}" `))).toBe(true);
    expect(cmds.codex.every((c) => c.startsWith(`node "${w.codexHandler}" `))).toBe(true);
    if (wantClaude) {
      expect(await readFile(w.claudeHandler, 'utf8')).toBe('// claude handler v1\n');
      expect((await stat(w.claudeHandler)).mode & 0o777).toBe(0o755);
    }
    // A second boot changes nothing.
    const again = await svc.syncHooksOnBoot();
    expect(again.claude.action).toBe('unchanged');
    expect(again.codex.action).toBe('unchanged');
  });
});

describe('toggles', () => {
  it('setHooksEnabled(false) also removes Codex hooks but keeps the Codex intent; turning it back on restores both', async () => {
    const w = await world();
    const settings = createConfSettings({ cwd: w.paths.dataDir });
    const svc = service(w, settings);
    expect(await svc.setHooksEnabled(true)).toEqual({ ok: true, enabled: true });
    expect(await svc.setCodexOptIn(true)).toEqual({ ok: true, enabled: true });
    expect((await ourCommands(w)).codex).toHaveLength(CODEX_HOOK_EVENTS.length);

    expect(await svc.setHooksEnabled(false)).toEqual({ ok: true, enabled: false });
    expect(await ourCommands(w)).toEqual({ claude: [], codex: [] });
    expect(svc.getCodexOptIn()).toBe(true);
    expect(svc.getHooksEnabled()).toBe(false);
    expect(await readText(w.claudeFile)).toBe('{}\n');

    expect(await svc.setHooksEnabled(true)).toEqual({ ok: true, enabled: true });
    const cmds = await ourCommands(w);
    expect(cmds.claude).toHaveLength(CLAUDE_HOOK_EVENTS.length);
    expect(cmds.codex).toHaveLength(CODEX_HOOK_EVENTS.length);
  });

  it('setCodexOptIn(true) with Claude tracking off stores the intent and installs nothing', async () => {
    const w = await world();
    const svc = service(w, createMemorySettings());
    expect(await svc.setCodexOptIn(true)).toEqual({ ok: true, enabled: true });
    expect(svc.getCodexOptIn()).toBe(true);
    expect(await exists(w.codexFile)).toBe(false);
  });

  it('opt-in intent is persisted first and kept when the install fails (read-only hooks.json)', async () => {
    const w = await world();
    const settings = createConfSettings({ cwd: w.paths.dataDir });
    settings.set({ hooksEnabled: true });
    await mkdir(w.paths.codexHome, { recursive: true });
    await writeFile(w.codexFile, '{}\n');
    await chmod(w.codexFile, 0o444);
    const svc = service(w, settings);

    const r = await svc.setCodexOptIn(true);
    expect(r).toEqual({
      ok: false,
      enabled: true,
      error: `${w.codexFile} is read-only (mode 0444). Make it writable (chmod u+w "${w.codexFile}") and try again; nothing was changed.`,
    });
    expect(svc.getCodexOptIn()).toBe(true);
    expect(createConfSettings({ cwd: w.paths.dataDir }).get().codexOptIn).toBe(true); // on disk
    expect(await readText(w.codexFile)).toBe('{}\n');

    // The next boot tries again, and succeeds once the file is writable.
    const failedBoot = await svc.syncHooksOnBoot();
    expect(failedBoot.codex.action).toBe('failed');
    expect(failedBoot.claude.action).toBe('installed'); // hooksEnabled was set behind the service's back
    await chmod(w.codexFile, 0o644);
    const boot = await service(w, createConfSettings({ cwd: w.paths.dataDir })).syncHooksOnBoot();
    expect(boot.codex).toEqual({ action: 'installed', path: w.codexFile });
  });

  it('a settings store that cannot persist reports ok:false with the stored intent and touches no file', async () => {
    const w = await world();
    const broken: SettingsBackend = {
      get: () => ({ ...SETTINGS_DEFAULTS, agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: false, notificationsEnabled: true }),
      set: () => {
        throw new Error('disk full');
      },
    };
    expect(await service(w, broken).setCodexOptIn(true)).toEqual({ ok: false, enabled: false, error: 'disk full' });
    expect(await exists(w.codexFile)).toBe(false);
  });

  it('rapid toggles apply in order and the files end up matching the last intent', async () => {
    const w = await world();
    const svc = service(w, createMemorySettings({ hooksEnabled: true }));
    const results = await Promise.all([svc.setCodexOptIn(true), svc.setCodexOptIn(false), svc.setCodexOptIn(true), svc.setCodexOptIn(false)]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect((await ourCommands(w)).codex).toEqual([]);
    expect(svc.getCodexOptIn()).toBe(false);
  });
});

describe('boot reconcile', () => {
  it('repairs a stale install (moved handler), installs an intended-but-missing one, removes an unintended one', async () => {
    const w = await world();
    // Claude: installed by an older app at another place, next to a foreign hook.
    await mkdir(w.paths.claudeConfigDir, { recursive: true });
    await writeFile(w.claudeFile, `${JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'echo bye' }] }] } }, null, 2)}\n`);
    await installClaudeHooks({ claudeConfigDir: w.paths.claudeConfigDir, handlerPath: '/old/app/data/hooks/hook-handler.js' });
    const svc1 = service(w, createMemorySettings({ hooksEnabled: true, codexOptIn: true }));
    // Codex intended but hooks.json missing.
    const out = await svc1.syncHooksOnBoot();
    expect(out).toEqual({ claude: { action: 'installed', path: w.claudeFile }, codex: { action: 'installed', path: w.codexFile } });
    const cmds = await ourCommands(w);
    expect(cmds.claude.every((c) => c.startsWith(`node "${w.claudeHandler}" `))).toBe(true);
    expect(cmds.claude).toHaveLength(CLAUDE_HOOK_EVENTS.length);
    const doc = JSON.parse(await readText(w.claudeFile)) as { hooks: { Stop: unknown[] } };
    expect(doc.hooks.Stop[0]).toEqual({ hooks: [{ type: 'command', command: 'echo bye' }] });

    // Codex entries present but no longer intended → removed; Claude untouched.
    const claudeBytes = await readText(w.claudeFile);
    const out2 = await service(w, createMemorySettings({ hooksEnabled: true, codexOptIn: false })).syncHooksOnBoot();
    expect(out2).toEqual({ claude: { action: 'unchanged', path: w.claudeFile }, codex: { action: 'removed', path: w.codexFile } });
    expect(await readText(w.codexFile)).toBe('{}\n');
    expect(await readText(w.claudeFile)).toBe(claudeBytes);
  });

  it('re-copies a handler whose bytes changed (app update) and leaves an identical one alone', async () => {
    const w = await world();
    const svc = service(w, createMemorySettings({ hooksEnabled: true }));
    await svc.syncHooksOnBoot();
    const before = (await stat(w.claudeHandler)).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await svc.syncHooksOnBoot();
    expect((await stat(w.claudeHandler)).mtimeMs).toBe(before);
    await writeFile(w.sources.claude, '// claude handler v2\n');
    await svc.syncHooksOnBoot();
    expect(await readText(w.claudeHandler)).toBe('// claude handler v2\n');
  });

  it('a malformed settings.json is reported as failed and left alone', async () => {
    const w = await world();
    await mkdir(w.paths.claudeConfigDir, { recursive: true });
    await writeFile(w.claudeFile, '{ nope');
    const out = await service(w, createMemorySettings({ hooksEnabled: true })).syncHooksOnBoot();
    expect(out.claude.action).toBe('failed');
    expect(out.claude.error).toMatch(/is not valid JSON .* Fix or remove it; nothing was changed\.$/);
    expect(await readText(w.claudeFile)).toBe('{ nope');
  });

  it('removeAllHooks (master off) removes both families and keeps the intents', async () => {
    const w = await world();
    const settings = createMemorySettings({ hooksEnabled: true, codexOptIn: true });
    const svc = service(w, settings);
    await svc.syncHooksOnBoot();
    expect(await svc.removeAllHooks()).toEqual({ claude: { action: 'removed', path: w.claudeFile }, codex: { action: 'removed', path: w.codexFile } });
    expect(await ourCommands(w)).toEqual({ claude: [], codex: [] });
    expect(settings.get()).toEqual({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true, notificationsEnabled: true, teamSyncEnabled: false, shareText: false, otlpEndpoint: '' });
    await installCodexHooks({ codexHome: w.paths.codexHome, handlerPath: w.codexHandler });
    expect((await svc.removeAllHooks()).codex.action).toBe('removed');
  });
});

describe('Codex hook transport (sh + curl vs Node)', () => {
  const sh = async () => ({ transport: 'sh-curl' as const, reason: '/bin/sh and curl 8.0.0 are there (test)' });
  const node = async () => ({ transport: 'node' as const, reason: 'curl is not on PATH (test)' });

  it('sh-curl: installs codex-hook.sh (and the Node handler), commands run /bin/sh, status says which and why', async () => {
    const w = await world();
    const svc = service(w, createMemorySettings({ hooksEnabled: true, codexOptIn: true }), { codexTransport: sh });
    expect((await svc.syncHooksOnBoot()).codex.action).toBe('installed');
    const shHandler = path.join(w.paths.dataDir, 'hooks', 'codex-hook.sh');
    expect(await readText(shHandler)).toBe('# codex sh handler v1\n');
    expect(await exists(w.codexHandler)).toBe(true);
    const { codex } = await ourCommands(w);
    expect(codex).toHaveLength(CODEX_HOOK_EVENTS.length);
    for (const c of codex) expect(c).toMatch(new RegExp(`^/bin/sh "${shHandler.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" [A-Za-z]+$`));
    const st = await svc.getCodexStatus();
    expect(st.transport).toEqual({ installed: 'sh-curl', preferred: 'sh-curl', reason: '/bin/sh and curl 8.0.0 are there (test)' });
  });

  it('switching node → sh-curl → node rewrites our entries in place; foreign entries and formatting stay', async () => {
    const w = await world();
    const settings = createMemorySettings({ hooksEnabled: true, codexOptIn: true });
    await service(w, settings, { codexTransport: node }).syncHooksOnBoot();
    // A user adds a foreign hook next to ours and re-indents the file with tabs.
    const doc = JSON.parse(await readText(w.codexFile)) as { hooks: Record<string, Array<{ hooks: unknown[] }>> };
    doc.hooks.Stop![0]!.hooks.push({ type: 'command', command: 'echo mine', timeout: 1 });
    await writeFile(w.codexFile, JSON.stringify(doc, null, '\t') + '\n');
    const before = await ourCommands(w);

    expect((await service(w, settings, { codexTransport: sh }).syncHooksOnBoot()).codex.action).toBe('installed');
    const mid = await ourCommands(w);
    expect(mid.codex).toEqual(before.codex.map((c) => c.replace(/^node "(.*)codex-hook-handler\.js"/, '/bin/sh "$1codex-hook.sh"')));
    const text = await readText(w.codexFile);
    expect(text).toContain('\t"hooks": {');
    expect(text).toContain('"command": "echo mine"');

    expect((await service(w, settings, { codexTransport: node }).syncHooksOnBoot()).codex.action).toBe('installed');
    expect(await ourCommands(w)).toEqual(before);
    expect(await readText(w.codexFile)).toContain('"command": "echo mine"');
    // Once in place, the same choice changes nothing.
    expect((await service(w, settings, { codexTransport: node }).syncHooksOnBoot()).codex.action).toBe('unchanged');
  });

  it('trust given to the Node command does not count for the sh command after a switch: the status names both; trusting again or switching back clears it', async () => {
    const w = await world();
    const settings = createMemorySettings({ hooksEnabled: true, codexOptIn: true });
    await service(w, settings, { codexTransport: node }).syncHooksOnBoot();
    const nodeCommands = (await ourCommands(w)).codex;
    // The user trusts every entry in /hooks: Codex writes a hash per positional key.
    const configPath = path.join(w.paths.codexHome, 'config.toml');
    const trustAll = async (hash: string): Promise<void> => {
      const { entries } = await readCodexHooks({ codexHome: w.paths.codexHome });
      const label = (e: string): string => e.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
      const tables = entries.map((e) => `[hooks.state."${w.codexFile}:${label(e.event)}:${e.groupIndex}:${e.handlerIndex}"]\ntrusted_hash = "sha256:${hash}"\n`);
      await writeFile(configPath, `[features]\nhooks = true\n\n${tables.join('\n')}`);
    };
    await trustAll('11'.repeat(32));
    let st = await service(w, settings, { codexTransport: node }).getCodexStatus();
    expect(st.trust.state).toBe('trusted');

    // Switch to sh + curl: same keys, same stored hashes, different commands.
    await service(w, settings, { codexTransport: sh }).syncHooksOnBoot();
    const shCommands = (await ourCommands(w)).codex;
    st = await service(w, settings, { codexTransport: sh }).getCodexStatus();
    expect(st.trust.state).toBe('untrusted');
    expect(st.trust.entries.map((e) => e.modified)).toEqual(nodeCommands.map((c, i) => ({ trustedCommand: c, installedCommand: shCommands[i] })));
    expect(st.trust.entries.every((e) => !e.trusted)).toBe(true);
    const hint = formatCodexSetupHint(st);
    expect(hint).toContain(`trusted for a different command than the one installed now (trusted: \`${nodeCommands[0]}\`; installed: \`${shCommands[0]}\`)`);
    expect(hint).toContain('trust them again in /hooks');

    // Switching back: the stored hashes belong to these commands again.
    await service(w, settings, { codexTransport: node }).syncHooksOnBoot();
    st = await service(w, settings, { codexTransport: node }).getCodexStatus();
    expect(st.trust.state).toBe('trusted');
    expect(st.trust.entries.some((e) => e.modified)).toBe(false);

    // Forward again, and this time the user trusts the sh commands: a new hash, trusted.
    await service(w, settings, { codexTransport: sh }).syncHooksOnBoot();
    expect((await service(w, settings, { codexTransport: sh }).getCodexStatus()).trust.state).toBe('untrusted');
    await trustAll('22'.repeat(32));
    st = await service(w, settings, { codexTransport: sh }).getCodexStatus();
    expect(st.trust.state).toBe('trusted');
    expect(st.trust.entries.some((e) => e.modified)).toBe(false);
    // The record is private.
    expect((await stat(path.join(w.paths.dataDir, 'codex-trust.json'))).mode & 0o777).toBe(0o600);
  });
});

describe('Claude hook transport (http vs command)', () => {
  const http = async () => ({ transport: 'http' as const, reason: 'Claude Code 2.1.197 supports HTTP hooks (test)' });
  const command = async () => ({ transport: 'command' as const, reason: 'claude not found (test)' });

  it('http: entries post to the sidecar route with the persistent secret; settings.json and the secret file are 0600', async () => {
    const w = await world();
    const svc = service(w, createMemorySettings({ hooksEnabled: true }), { claudeTransport: http, hookPort: () => 4999 });
    expect((await svc.syncHooksOnBoot()).claude.action).toBe('installed');
    const secret = (await readText(path.join(w.paths.dataDir, 'hook-secret'))).trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const doc = JSON.parse(await readText(w.claudeFile)) as { hooks: Record<string, Array<{ matcher?: string; hooks: Array<Record<string, unknown>> }>> };
    expect(Object.keys(doc.hooks)).toHaveLength(CLAUDE_HOOK_EVENTS.length);
    for (const [event, groups] of Object.entries(doc.hooks)) {
      // Claude Code runs no HTTP hook for SessionStart: that one stays a command hook.
      if (event === 'SessionStart') expect(groups[0]!.hooks).toEqual([{ type: 'command', command: `node "${w.claudeHandler}" SessionStart`, timeout: 5 }]);
      else expect(groups[0]!.hooks).toEqual([{ type: 'http', url: 'http://127.0.0.1:4999/api/hooks/claude', headers: { Authorization: `Bearer ${secret}` }, timeout: 1 }]);
    }
    if (process.platform !== 'win32') {
      expect((await stat(w.claudeFile)).mode & 0o777).toBe(0o600);
      expect((await stat(path.join(w.paths.dataDir, 'hook-secret'))).mode & 0o777).toBe(0o600);
    }
    expect(await svc.getClaudeTransport()).toEqual({ installed: 'http', preferred: 'http', reason: 'Claude Code 2.1.197 supports HTTP hooks (test)', url: 'http://127.0.0.1:4999/api/hooks/claude' });
    // The same secret across reinstalls: the URL and header in settings.json stay valid.
    await service(w, createMemorySettings({ hooksEnabled: true }), { claudeTransport: http, hookPort: () => 4999 }).syncHooksOnBoot();
    expect((await readText(path.join(w.paths.dataDir, 'hook-secret'))).trim()).toBe(secret);
  });

  it('an existing 0644 settings.json is made 0600 when it gets the secret', async () => {
    if (process.platform === 'win32') return;
    const w = await world();
    await mkdir(w.paths.claudeConfigDir, { recursive: true });
    await writeFile(w.claudeFile, '{\n  "model": "opus"\n}\n', { mode: 0o644 });
    await chmod(w.claudeFile, 0o644);
    await service(w, createMemorySettings({ hooksEnabled: true }), { claudeTransport: http }).syncHooksOnBoot();
    expect((await stat(w.claudeFile)).mode & 0o777).toBe(0o600);
    expect(await readText(w.claudeFile)).toContain('"model": "opus"');
  });

  it('switching command → http → command rewrites our entries in place, a moved port is repaired, foreign entries and formatting stay', async () => {
    const w = await world();
    const settings = createMemorySettings({ hooksEnabled: true });
    await service(w, settings, { claudeTransport: command }).syncHooksOnBoot();
    const doc = JSON.parse(await readText(w.claudeFile)) as { hooks: Record<string, Array<{ hooks: unknown[] }>> };
    doc.hooks.Stop![0]!.hooks.push({ type: 'command', command: 'echo mine' });
    (doc as Record<string, unknown>).theme = 'dark';
    await writeFile(w.claudeFile, JSON.stringify(doc, null, 4) + '\n');
    const before = await readText(w.claudeFile);

    await service(w, settings, { claudeTransport: http, hookPort: () => 4821 }).syncHooksOnBoot();
    let text = await readText(w.claudeFile);
    expect(text).toContain('"command": "echo mine"');
    expect(text).toContain('    "theme": "dark"');
    let entries = (await readClaudeHooks({ claudeConfigDir: w.paths.claudeConfigDir })).entries;
    expect(entries.filter((e) => e.type === 'command').map((e) => e.event)).toEqual(['SessionStart']);
    expect(entries.filter((e) => e.type === 'http').every((e) => e.command === 'http://127.0.0.1:4821/api/hooks/claude')).toBe(true);
    // The sidecar came up on another port: the next boot sync points the URL there, in place.
    await service(w, settings, { claudeTransport: http, hookPort: () => 4822 }).syncHooksOnBoot();
    entries = (await readClaudeHooks({ claudeConfigDir: w.paths.claudeConfigDir })).entries;
    expect(entries).toHaveLength(CLAUDE_HOOK_EVENTS.length);
    expect(new Set(entries.filter((e) => e.type === 'http').map((e) => e.command))).toEqual(new Set(['http://127.0.0.1:4822/api/hooks/claude']));

    await service(w, settings, { claudeTransport: command }).syncHooksOnBoot();
    text = await readText(w.claudeFile);
    expect(text).not.toContain('"url"');
    expect(text).not.toContain('Bearer');
    expect(JSON.parse(text)).toEqual(JSON.parse(before));
    // Uninstall takes http entries out as well.
    await service(w, settings, { claudeTransport: http }).syncHooksOnBoot();
    await service(w, createMemorySettings({ hooksEnabled: false }), { claudeTransport: http }).syncHooksOnBoot();
    expect((await readClaudeHooks({ claudeConfigDir: w.paths.claudeConfigDir })).entries).toEqual([]);
    expect(await readText(w.claudeFile)).toContain('"command": "echo mine"');
  });
});

describe('getCodexStatus and the setup hint', () => {
  it('combines diagnostics with the sidecar status', async () => {
    const w = await world();
    const svc = service(w, createMemorySettings({ hooksEnabled: true, codexOptIn: true }), {
      codexVersion: '0.125.0',
      sidecarStatus: async () => ({ lastCodexHookEventAt: '2026-11-24T04:00:00.000Z', watcher: { running: true, files: 3, behindBytes: 0, lastImportAt: null } }),
    });
    await svc.syncHooksOnBoot();
    const st = await svc.getCodexStatus();
    expect(st).toMatchObject({
      installed: true,
      hooksJsonPath: w.codexFile,
      configPath: path.join(w.paths.codexHome, 'config.toml'),
      feature: { state: 'default', key: null, defaultEnabled: true },
      lastEventAt: '2026-11-24T04:00:00.000Z',
      sidecarReachable: true,
      watcher: { running: true, files: 3, behindBytes: 0 },
    });
    expect(st.trust.state).toBe('untrusted');
    expect(st.trust.entries).toHaveLength(CODEX_HOOK_EVENTS.length);
  });

  it('a sidecar that is down (null or throwing) is reported as unreachable', async () => {
    const w = await world();
    for (const sidecarStatus of [async () => null, async () => Promise.reject(new Error('ECONNREFUSED'))]) {
      const st = await service(w, createMemorySettings(), { sidecarStatus }).getCodexStatus();
      expect(st).toMatchObject({ installed: false, sidecarReachable: false, lastEventAt: null, watcher: null, trust: { state: 'not-installed', entries: [] } });
    }
  });

  const base: CodexStatus = {
    installed: true,
    hooksJsonPath: '/home/alex/.codex/hooks.json',
    configPath: '/home/alex/.codex/config.toml',
    feature: { state: 'enabled', key: 'hooks', defaultEnabled: true },
    trust: { state: 'untrusted', entries: [{ key: 'k1', event: 'Stop', trusted: false, disabled: false }, { key: 'k2', event: 'PreToolUse', trusted: false, disabled: false }] },
    lastEventAt: null,
    sidecarReachable: true,
    watcher: null,
  };

  it('untrusted entries: tells the user to run /hooks', () => {
    expect(formatCodexSetupHint(base)).toBe(
      'Codex hooks are on (`[features].hooks = true` in /home/alex/.codex/config.toml). 2 of 2 hook entries are not trusted yet: run /hooks in Codex to trust the command (Codex skips untrusted hooks silently). Until the hooks run, Codex sessions still appear from its rollout files, with a short delay.',
    );
  });

  it('feature off via the alias, trusted entries', () => {
    const st: CodexStatus = {
      ...base,
      feature: { state: 'disabled', key: 'codex_hooks', defaultEnabled: null },
      trust: { state: 'trusted', entries: [{ key: 'k1', event: 'Stop', trusted: true, disabled: false }] },
      lastEventAt: '2026-11-24T04:00:00.000Z',
    };
    expect(formatCodexSetupHint(st)).toBe(
      'Codex hooks are turned off by `[features].codex_hooks = false` in /home/alex/.codex/config.toml; set `hooks = true` under `[features]` to let Codex run them. Our hook entries are trusted. Last Codex hook event received 2026-11-24T04:00:00.000Z. Until the hooks run, Codex sessions still appear from its rollout files, with a short delay.',
    );
  });

  it('all good: default-on Codex, trusted', () => {
    const st: CodexStatus = { ...base, feature: { state: 'default', key: null, defaultEnabled: true }, trust: { state: 'trusted', entries: [] } };
    expect(formatCodexSetupHint(st)).toBe(
      'Codex hooks are on by default in this Codex version (`[features].hooks` is not set in /home/alex/.codex/config.toml). Our hook entries are trusted.',
    );
  });

  it('old Codex, not installed', () => {
    const st: CodexStatus = { ...base, installed: false, feature: { state: 'default', key: null, defaultEnabled: false }, trust: { state: 'not-installed', entries: [] } };
    expect(formatCodexSetupHint(st)).toBe(
      'This Codex version has hooks off by default: add `hooks = true` under `[features]` in /home/alex/.codex/config.toml. Our hooks are not in /home/alex/.codex/hooks.json yet; Claude Code session tracking must be on as well. Until the hooks run, Codex sessions still appear from its rollout files, with a short delay.',
    );
  });
});
