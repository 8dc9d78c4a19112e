/**
 * Codex setup diagnostics from config.toml (feature flag, trust records) and hooks.json
 * (positions of our entries). config.toml is only ever read.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codexEventLabel, codexHooksDefaultEnabled, compareVersions, readCodexDiagnostics } from '../../src/core/codex-diagnostics.js';
import { CODEX_HOOK_EVENTS, installCodexHooks } from '../../src/core/codex-hooks.js';
import { createTempDirectory, readText } from './_helpers.js';

async function home(): Promise<{ codexHome: string; config: string; hooksJson: string; handler: string }> {
  const root = await createTempDirectory('diag-');
  const codexHome = path.join(root, '.codex');
  await mkdir(codexHome);
  return { codexHome, config: path.join(codexHome, 'config.toml'), hooksJson: path.join(codexHome, 'hooks.json'), handler: path.join(root, 'data', 'hooks', 'codex-hook-handler.js') };
}

const LABELS: Record<string, string> = {
  SessionStart: 'session_start',
  UserPromptSubmit: 'user_prompt_submit',
  PreToolUse: 'pre_tool_use',
  PostToolUse: 'post_tool_use',
  Stop: 'stop',
  SubagentStart: 'subagent_start',
  SubagentStop: 'subagent_stop',
  SessionEnd: 'session_end',
  PreCompact: 'pre_compact',
  PostCompact: 'post_compact',
  PermissionRequest: 'permission_request',
  Interrupt: 'interrupt',
};

describe('helpers', () => {
  it('event labels are snake_case', () => {
    for (const e of CODEX_HOOK_EVENTS) expect(codexEventLabel(e)).toBe(LABELS[e]);
  });
  it('version default', () => {
    expect(compareVersions('0.124.0', '0.124.0')).toBe(0);
    expect(compareVersions('codex-cli 0.130.1', '0.124.0')).toBe(1);
    expect(compareVersions('0.99.9', '0.124.0')).toBe(-1);
    expect(codexHooksDefaultEnabled('0.124.0')).toBe(true);
    expect(codexHooksDefaultEnabled('0.123.2')).toBe(false);
    expect(codexHooksDefaultEnabled(null)).toBe(null);
    expect(codexHooksDefaultEnabled('unknown')).toBe(null);
  });
});

describe('feature state', () => {
  const cases: Array<{ label: string; toml: string | null; version: string | null; feature: unknown }> = [
    { label: 'hooks = true', toml: '[features]\nhooks = true\n', version: null, feature: { state: 'enabled', key: 'hooks', defaultEnabled: null } },
    { label: 'hooks = false', toml: '[features]\nhooks = false\n', version: '0.130.0', feature: { state: 'disabled', key: 'hooks', defaultEnabled: true } },
    { label: 'deprecated codex_hooks alias', toml: '[features]\ncodex_hooks = true\n', version: '0.110.0', feature: { state: 'enabled', key: 'codex_hooks', defaultEnabled: false } },
    { label: 'both: canonical wins', toml: '[features]\ncodex_hooks = true\nhooks = false\n', version: null, feature: { state: 'disabled', key: 'hooks', defaultEnabled: null } },
    { label: 'absent key, new Codex', toml: 'model = "gpt-5-codex"\n[features]\nother = true\n', version: '0.124.0', feature: { state: 'default', key: null, defaultEnabled: true } },
    { label: 'absent key, old Codex', toml: 'model = "gpt-5-codex"\n', version: '0.120.3', feature: { state: 'default', key: null, defaultEnabled: false } },
    { label: 'no config.toml, unknown version', toml: null, version: null, feature: { state: 'default', key: null, defaultEnabled: null } },
  ];
  it.each(cases)('$label', async ({ toml, version, feature }) => {
    const h = await home();
    if (toml !== null) await writeFile(h.config, toml);
    const d = await readCodexDiagnostics({ codexHome: h.codexHome, codexVersion: version });
    expect(d.feature).toEqual(feature);
    expect(d.configPath).toBe(h.config);
    expect(d.hooksJsonPath).toBe(h.hooksJson);
    expect(d.installed).toBe(false);
    expect(d.trust).toEqual({ state: 'not-installed', entries: [] });
  });

  it('a non-boolean value is reported, not guessed', async () => {
    const h = await home();
    await writeFile(h.config, '[features]\nhooks = "yes"\n');
    const d = await readCodexDiagnostics({ codexHome: h.codexHome, codexVersion: '0.124.0' });
    expect(d.feature).toEqual({ state: 'default', key: 'hooks', defaultEnabled: true, error: `[features].hooks in ${h.config} must be true or false, not "yes".` });
  });

  it('corrupt TOML gives a status with an error, not a throw, and leaves the file alone', async () => {
    const h = await home();
    const bad = '[features]\nhooks = tru\n';
    await writeFile(h.config, bad);
    await installCodexHooks({ codexHome: h.codexHome, handlerPath: h.handler });
    const d = await readCodexDiagnostics({ codexHome: h.codexHome });
    expect(d.feature).toEqual({
      state: 'default',
      key: null,
      defaultEnabled: null,
      error: `${h.config} is not valid TOML (invalid value at line 2 column 9). Fix it in an editor; Codex will not start with it either.`,
    });
    expect(d.installed).toBe(true);
    expect(d.trust.state).toBe('unknown');
    expect(await readText(h.config)).toBe(bad);
  });
});

describe('trust state of our entries', () => {
  /** A foreign group first, so our PreToolUse entry sits at group 1 and keys must follow it. */
  async function installed(): Promise<Awaited<ReturnType<typeof home>>> {
    const h = await home();
    await writeFile(h.hooksJson, JSON.stringify({ hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: 'echo guard' }] }] } }, null, 2));
    await installCodexHooks({ codexHome: h.codexHome, handlerPath: h.handler });
    return h;
  }
  const keyOf = (h: { hooksJson: string }, event: string): string => `${h.hooksJson}:${LABELS[event]}:${event === 'PreToolUse' ? 1 : 0}:0`;

  it('keys follow the actual positions in hooks.json; none trusted → untrusted', async () => {
    const h = await installed();
    await writeFile(h.config, '[features]\nhooks = true\n\n[hooks.state."/elsewhere/hooks.json:stop:0:0"]\ntrusted_hash = "sha256:00"\n');
    const d = await readCodexDiagnostics({ codexHome: h.codexHome });
    expect(d.installed).toBe(true);
    expect(d.trust).toEqual({
      state: 'untrusted',
      // In file order: PreToolUse already existed (foreign group), the others were appended.
      entries: ['PreToolUse', ...CODEX_HOOK_EVENTS.filter((e) => e !== 'PreToolUse')].map((event) => ({ key: keyOf(h, event), event, trusted: false, disabled: false })),
    });
    // The foreign entry at PreToolUse group 0 is not ours and not listed.
    expect(d.trust.entries.find((e) => e.event === 'PreToolUse')!.key).toBe(`${h.hooksJson}:pre_tool_use:1:0`);
  });

  it('all trusted → trusted; one disabled → partly-trusted', async () => {
    const h = await installed();
    const tables = CODEX_HOOK_EVENTS.map((e) => `[hooks.state."${keyOf(h, e)}"]\ntrusted_hash = "sha256:${'ab'.repeat(32)}"\n`).join('\n');
    await writeFile(h.config, `[features]\nhooks = true\n\n${tables}`);
    let d = await readCodexDiagnostics({ codexHome: h.codexHome });
    expect(d.trust.state).toBe('trusted');
    expect(d.trust.entries.every((e) => e.trusted && !e.disabled)).toBe(true);

    const disabledKey = keyOf(h, 'Stop');
    await writeFile(h.config, `[features]\nhooks = true\n\n${tables.replace(`[hooks.state."${disabledKey}"]\n`, `[hooks.state."${disabledKey}"]\nenabled = false\n`)}`);
    d = await readCodexDiagnostics({ codexHome: h.codexHome });
    expect(d.trust.state).toBe('partly-trusted');
    expect(d.trust.entries.filter((e) => e.disabled)).toEqual([{ key: disabledKey, event: 'Stop', trusted: true, disabled: true }]);
  });

  it('a malformed hooks.json gives trust "unknown" with the reason', async () => {
    const h = await home();
    await writeFile(h.hooksJson, '{"hooks": [}');
    const d = await readCodexDiagnostics({ codexHome: h.codexHome });
    expect(d.installed).toBe(false);
    expect(d.trust).toEqual({ state: 'unknown', entries: [] });
    expect(d.hooksJsonError).toMatch(new RegExp(`^${h.hooksJson.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON \\(value expected at line 1 column 12\\)\\. Fix or remove it; nothing was changed\\.$`));
  });
});
