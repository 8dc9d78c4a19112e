/**
 * Installer matrix for both hook families, round-trip style in temp dirs (install/uninstall must restore bytes):
 * fresh install, idempotency, exact restore on uninstall, in-place repair, foreign entries,
 * family independence, and refusals that leave the file byte-for-byte untouched.
 */
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLAUDE_HOOK_EVENTS, installClaudeHooks, readClaudeHooks, uninstallClaudeHooks } from '../../src/core/claude-hooks.js';
import { CODEX_HOOK_EVENTS, installCodexHooks, readCodexHooks, uninstallCodexHooks } from '../../src/core/codex-hooks.js';
import { isOurCommand } from '../../src/core/hook-entries.js';
import { ConfigFileError } from '../../src/core/json-config.js';
import { createTempDirectory, exists, readText } from './_helpers.js';

type Doc = Record<string, unknown>;

interface FamilyCase {
  name: 'claude' | 'codex';
  fileName: string;
  handlerFile: string;
  otherHandlerFile: string;
  install(dir: string, handlerPath: string): Promise<{ path: string; changed: boolean }>;
  uninstall(dir: string): Promise<{ path: string; changed: boolean }>;
  /** The exact `hooks` object a fresh install writes. */
  expectedHooks(handlerPath: string): Doc;
}

const cmd = (handlerPath: string, event: string): string => `node "${handlerPath}" ${event}`;
const entry = (handlerPath: string, event: string): Doc => ({ type: 'command', command: cmd(handlerPath, event), timeout: 5 });

const claudeExpected = (h: string): Doc => ({
  SessionStart: [{ hooks: [entry(h, 'SessionStart')] }],
  SessionEnd: [{ hooks: [entry(h, 'SessionEnd')] }],
  UserPromptSubmit: [{ hooks: [entry(h, 'UserPromptSubmit')] }],
  PreToolUse: [{ matcher: '*', hooks: [entry(h, 'PreToolUse')] }],
  PostToolUse: [{ matcher: '*', hooks: [entry(h, 'PostToolUse')] }],
  Stop: [{ hooks: [entry(h, 'Stop')] }],
  SubagentStop: [{ hooks: [entry(h, 'SubagentStop')] }],
  Notification: [{ hooks: [entry(h, 'Notification')] }],
  PreCompact: [{ hooks: [entry(h, 'PreCompact')] }],
  PermissionRequest: [{ matcher: '*', hooks: [entry(h, 'PermissionRequest')] }],
  PermissionDenied: [{ matcher: '*', hooks: [entry(h, 'PermissionDenied')] }],
  PostToolUseFailure: [{ matcher: '*', hooks: [entry(h, 'PostToolUseFailure')] }],
  StopFailure: [{ hooks: [entry(h, 'StopFailure')] }],
  Elicitation: [{ hooks: [entry(h, 'Elicitation')] }],
});

const codexExpected = (h: string): Doc => ({
  SessionStart: [{ matcher: 'startup|resume', hooks: [entry(h, 'SessionStart')] }],
  UserPromptSubmit: [{ hooks: [entry(h, 'UserPromptSubmit')] }],
  PreToolUse: [{ matcher: '*', hooks: [entry(h, 'PreToolUse')] }],
  PostToolUse: [{ matcher: '*', hooks: [entry(h, 'PostToolUse')] }],
  Stop: [{ hooks: [entry(h, 'Stop')] }],
  SubagentStart: [{ hooks: [entry(h, 'SubagentStart')] }],
  SubagentStop: [{ hooks: [entry(h, 'SubagentStop')] }],
  SessionEnd: [{ hooks: [entry(h, 'SessionEnd')] }],
  PreCompact: [{ hooks: [entry(h, 'PreCompact')] }],
  PostCompact: [{ hooks: [entry(h, 'PostCompact')] }],
  PermissionRequest: [{ matcher: '*', hooks: [entry(h, 'PermissionRequest')] }],
  Interrupt: [{ hooks: [entry(h, 'Interrupt')] }],
});

const FAMILIES: FamilyCase[] = [
  {
    name: 'claude',
    fileName: 'settings.json',
    handlerFile: 'hook-handler.js',
    otherHandlerFile: 'codex-hook-handler.js',
    install: (dir, handlerPath) => installClaudeHooks({ claudeConfigDir: dir, handlerPath }),
    uninstall: (dir) => uninstallClaudeHooks({ claudeConfigDir: dir }),
    expectedHooks: claudeExpected,
  },
  {
    name: 'codex',
    fileName: 'hooks.json',
    handlerFile: 'codex-hook-handler.js',
    otherHandlerFile: 'hook-handler.js',
    install: (dir, handlerPath) => installCodexHooks({ codexHome: dir, handlerPath }),
    uninstall: (dir) => uninstallCodexHooks({ codexHome: dir }),
    expectedHooks: codexExpected,
  },
];

it('event lists match the issue', () => {
  expect([...CLAUDE_HOOK_EVENTS]).toEqual(Object.keys(claudeExpected('x')));
  expect([...CODEX_HOOK_EVENTS]).toEqual(Object.keys(codexExpected('x')));
});

/** A user's file: unknown keys, and foreign hooks in an event we also use. */
function foreignDoc(f: FamilyCase): Doc {
  return {
    model: 'opus',
    permissions: { allow: ['Bash(git *)'], deny: [] },
    hooks: {
      PreToolUse: [
        { matcher: 'Bash', hooks: [{ type: 'command', command: 'node "/opt/guard/my-hook-handler.js" PreToolUse', timeout: 30 }] },
        // The other family's handler must never be taken for ours.
        { matcher: '*', hooks: [{ type: 'command', command: `node "/opt/other/${f.otherHandlerFile}" PreToolUse` }] },
      ],
      Stop: [{ hooks: [{ type: 'command', command: 'say done', async: true }] }],
    },
    zeta: { nested: [1, 2, { deep: null }] },
  };
}

describe.each(FAMILIES)('$name installer', (f) => {
  async function setup(): Promise<{ dir: string; file: string; handler: string }> {
    const root = await createTempDirectory(`${f.name}-`);
    const dir = path.join(root, 'config');
    return { dir, file: path.join(dir, f.fileName), handler: path.join(root, 'data dir', 'hooks', f.handlerFile) };
  }

  it('fresh install creates the folder and the file with exactly our entries', async () => {
    const { dir, file, handler } = await setup();
    const r = await f.install(dir, handler);
    expect(r).toEqual({ path: file, changed: true });
    expect(await readText(file)).toBe(`${JSON.stringify({ hooks: f.expectedHooks(handler) }, null, 2)}\n`);
    expect(await readdir(dir)).toEqual([f.fileName]); // no temp or lock file left behind
  });

  it('install twice gives identical bytes and reports no change', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    await writeFile(file, `${JSON.stringify(foreignDoc(f), null, 2)}\n`);
    await f.install(dir, handler);
    const once = await readText(file);
    const r = await f.install(dir, handler);
    expect(r.changed).toBe(false);
    expect(await readText(file)).toBe(once);
  });

  const layouts: Array<{ label: string; serialize: (d: Doc) => string }> = [
    { label: '2 spaces', serialize: (d) => `${JSON.stringify(d, null, 2)}\n` },
    { label: '4 spaces', serialize: (d) => `${JSON.stringify(d, null, 4)}\n` },
    { label: 'tabs, no trailing newline', serialize: (d) => JSON.stringify(d, null, '\t') },
    { label: 'CRLF line endings', serialize: (d) => `${JSON.stringify(d, null, 2).replace(/\n/g, '\r\n')}\r\n` },
  ];

  it.each(layouts)('install keeps foreign entries, unknown keys and layout ($label); uninstall restores the bytes', async ({ serialize }) => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const original = serialize(foreignDoc(f));
    await writeFile(file, original);

    await f.install(dir, handler);
    const ours = f.expectedHooks(handler);
    const foreign = foreignDoc(f);
    const foreignHooks = foreign.hooks as Record<string, unknown[]>;
    // Foreign events keep their place; ours are appended inside them, new events go at the end.
    const expectedHooks: Doc = {
      PreToolUse: [...foreignHooks.PreToolUse!, ...(ours.PreToolUse as unknown[])],
      Stop: [...foreignHooks.Stop!, ...(ours.Stop as unknown[])],
    };
    for (const [k, v] of Object.entries(ours)) if (!(k in expectedHooks)) expectedHooks[k] = v;
    expect(await readText(file)).toBe(serialize({ ...foreign, hooks: expectedHooks }));

    const r = await f.uninstall(dir);
    expect(r.changed).toBe(true);
    expect(await readText(file)).toBe(original);
  });

  it('install then uninstall on a file without hooks restores it exactly (hooks key dropped again)', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const original = '{\n    "theme": "dark",\n    "env": {\n        "A": "1"\n    }\n}\n';
    await writeFile(file, original);
    await f.install(dir, handler);
    await f.uninstall(dir);
    expect(await readText(file)).toBe(original);
  });

  it('uninstall of a missing file creates nothing; uninstall of a file without our entries writes nothing', async () => {
    const { dir, file } = await setup();
    expect(await f.uninstall(dir)).toEqual({ path: file, changed: false });
    expect(await exists(file)).toBe(false);
    await mkdir(dir, { recursive: true });
    const original = `${JSON.stringify(foreignDoc(f), null, 2)}\n`;
    await writeFile(file, original);
    await chmod(file, 0o444); // nothing to do, so even a read-only file is fine
    expect((await f.uninstall(dir)).changed).toBe(false);
    expect(await readText(file)).toBe(original);
  });

  it('repairs a moved handler path in place, keeping its position between foreign groups', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const oldHandler = `/Applications/Old App.app/Contents/Resources/hooks/${f.handlerFile}`;
    const before = {
      hooks: {
        PreToolUse: [
          { matcher: 'Bash', hooks: [{ type: 'command', command: 'echo first' }] },
          { matcher: '*', hooks: [{ type: 'command', command: cmd(oldHandler, 'PreToolUse'), timeout: 5 }] },
          { matcher: 'Edit', hooks: [{ type: 'command', command: 'echo last' }] },
        ],
      },
    };
    await writeFile(file, `${JSON.stringify(before, null, 2)}\n`);
    await f.install(dir, handler);
    const after = JSON.parse(await readText(file)) as { hooks: Record<string, Doc[]> };
    expect(after.hooks.PreToolUse).toEqual([
      before.hooks.PreToolUse[0],
      { matcher: '*', hooks: [entry(handler, 'PreToolUse')] },
      before.hooks.PreToolUse[2],
    ]);
    expect(Object.keys(after.hooks)).toEqual(['PreToolUse', ...Object.keys(f.expectedHooks(handler)).filter((k) => k !== 'PreToolUse')]);
    const read = f.name === 'claude' ? await readClaudeHooks({ claudeConfigDir: dir }) : await readCodexHooks({ codexHome: dir });
    expect(read.entries.filter((e) => e.command.includes(oldHandler))).toEqual([]);
    expect(read.entries.find((e) => e.event === 'PreToolUse')).toMatchObject({ groupIndex: 1, handlerIndex: 0 });
  });

  it('keeps a foreign entry that shares a group with ours, and drops duplicates of ours', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const before = {
      hooks: {
        Stop: [
          { hooks: [{ type: 'command', command: 'echo mine' }, { type: 'command', command: cmd('/old/place/hooks/' + f.handlerFile, 'Stop'), timeout: 9, statusMessage: 'kept' }] },
          { hooks: [{ type: 'command', command: cmd('/dup/' + f.handlerFile, 'Stop') }] },
        ],
      },
    };
    await writeFile(file, JSON.stringify(before, null, 2));
    await f.install(dir, handler);
    const after = JSON.parse(await readText(file)) as { hooks: Record<string, unknown> };
    expect(after.hooks.Stop).toEqual([
      { hooks: [{ type: 'command', command: 'echo mine' }, { type: 'command', command: cmd(handler, 'Stop'), timeout: 5, statusMessage: 'kept' }] },
    ]);
    await f.uninstall(dir);
    expect(JSON.parse(await readText(file))).toEqual({ hooks: { Stop: [{ hooks: [{ type: 'command', command: 'echo mine' }] }] } });
  });

  it('rejects malformed JSON with the file, the line and the fix, and changes nothing', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const bad = '{\n  "a": 1,\n}\n';
    await writeFile(file, bad);
    await expect(f.install(dir, handler)).rejects.toThrow(
      new ConfigFileError({ code: 'invalid-json', path: file, message: `${file} is not valid JSON (property name expected at line 3 column 1). Fix or remove it; nothing was changed.` }),
    );
    await expect(f.uninstall(dir)).rejects.toBeInstanceOf(ConfigFileError);
    expect(await readText(file)).toBe(bad);
    expect(await readdir(dir)).toEqual([f.fileName]);
  });

  it('rejects a non-object root ([]) and changes nothing', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    await writeFile(file, '[]\n');
    await expect(f.install(dir, handler)).rejects.toThrow(
      `${file} must hold a JSON object at the top level, but it holds an array. Fix or remove it; nothing was changed.`,
    );
    expect(await readText(file)).toBe('[]\n');
  });

  it('rejects a "hooks" value of the wrong shape and changes nothing', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const text = '{\n  "hooks": {\n    "Stop": {\n      "command": "x"\n    }\n  }\n}\n';
    await writeFile(file, text);
    await expect(f.install(dir, handler)).rejects.toThrow(
      `${file}: "hooks.Stop" must be an array of matcher groups, but it is an object. Fix it by hand (or remove that key); nothing was changed.`,
    );
    expect(await readText(file)).toBe(text);
  });

  it('rejects a read-only file (mode 0444) and leaves it byte-for-byte untouched', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const original = `${JSON.stringify(foreignDoc(f), null, 2)}\n`;
    await writeFile(file, original);
    await chmod(file, 0o444);
    await expect(f.install(dir, handler)).rejects.toThrow(
      `${file} is read-only (mode 0444). Make it writable (chmod u+w "${file}") and try again; nothing was changed.`,
    );
    expect(await readText(file)).toBe(original);
    expect(await readdir(dir)).toEqual([f.fileName]);
  });

  it('rejects a read-only folder and leaves the file byte-for-byte untouched', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    const original = `${JSON.stringify(foreignDoc(f), null, 2)}\n`;
    await writeFile(file, original);
    await chmod(dir, 0o555);
    await expect(f.install(dir, handler)).rejects.toThrow(
      `The folder ${dir} is read-only (mode 0555), so ${file} cannot be updated. Make the folder writable (chmod u+w "${dir}") and try again; nothing was changed.`,
    );
    expect(await readText(file)).toBe(original);
    expect(await readdir(dir)).toEqual([f.fileName]);
  });

  it('keeps the file mode of an existing file', async () => {
    const { dir, file, handler } = await setup();
    await mkdir(dir, { recursive: true });
    await writeFile(file, '{}\n', { mode: 0o600 });
    await chmod(file, 0o600);
    await f.install(dir, handler);
    const { stat } = await import('node:fs/promises');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

describe('Claude and Codex files are independent', () => {
  it('installing one family never touches the other file, even in the same folder', async () => {
    const root = await createTempDirectory('indep-');
    const dir = path.join(root, 'same');
    const claudeHandler = path.join(root, 'data', 'hooks', 'hook-handler.js');
    const codexHandler = path.join(root, 'data', 'hooks', 'codex-hook-handler.js');

    await installClaudeHooks({ claudeConfigDir: dir, handlerPath: claudeHandler });
    expect(await exists(path.join(dir, 'hooks.json'))).toBe(false);
    const claudeBytes = await readText(path.join(dir, 'settings.json'));

    await installCodexHooks({ codexHome: dir, handlerPath: codexHandler });
    expect(await readText(path.join(dir, 'settings.json'))).toBe(claudeBytes);
    const codexBytes = await readText(path.join(dir, 'hooks.json'));

    await uninstallClaudeHooks({ claudeConfigDir: dir });
    expect(await readText(path.join(dir, 'hooks.json'))).toBe(codexBytes);
    expect(await readText(path.join(dir, 'settings.json'))).toBe('{}\n');
    await uninstallCodexHooks({ codexHome: dir });
    expect(await readText(path.join(dir, 'hooks.json'))).toBe('{}\n');
  });

  it('hook-handler.js and codex-hook-handler.js entries are never confused within one file', async () => {
    const root = await createTempDirectory('confuse-');
    const claudeHandler = path.join(root, 'data', 'hooks', 'hook-handler.js');
    const codexHandler = path.join(root, 'data', 'hooks', 'codex-hook-handler.js');
    // Someone put both families' entries into one file: each installer only sees its own.
    await installClaudeHooks({ claudeConfigDir: root, handlerPath: claudeHandler });
    const settings = path.join(root, 'settings.json');
    const withCodexInside = JSON.parse(await readText(settings)) as { hooks: Record<string, unknown[]> };
    withCodexInside.hooks.Stop!.push({ hooks: [entry(codexHandler, 'Stop')] });
    await writeFile(settings, `${JSON.stringify(withCodexInside, null, 2)}\n`);
    const expectedAfterUninstall = `${JSON.stringify({ hooks: { Stop: [{ hooks: [entry(codexHandler, 'Stop')] }] } }, null, 2)}\n`;

    // Re-installing Claude keeps the Codex-looking entry and adds nothing.
    expect((await installClaudeHooks({ claudeConfigDir: root, handlerPath: claudeHandler })).changed).toBe(false);
    expect((await readClaudeHooks({ claudeConfigDir: root })).entries.every((e) => e.command.includes(`${path.sep}hook-handler.js"`) && !e.command.includes('codex-'))).toBe(true);
    await uninstallClaudeHooks({ claudeConfigDir: root });
    expect(await readText(settings)).toBe(expectedAfterUninstall);
  });
});

describe('recognition by file name at a path boundary', () => {
  it.each([
    ['node "/a/b/hook-handler.js" Stop', 'hook-handler.js', true],
    ['node "C:\\Users\\a\\AppData\\Roaming\\x\\hooks\\hook-handler.js" Stop', 'hook-handler.js', true],
    ['node "/a/b/codex-hook-handler.js" Stop', 'hook-handler.js', false],
    ['node "C:\\x\\codex-hook-handler.js" Stop', 'hook-handler.js', false],
    ['node "/a/b/hook-handler.js" Stop', 'codex-hook-handler.js', false],
    ['node "/a/b/codex-hook-handler.js" Stop', 'codex-hook-handler.js', true],
    ['node /a/b/hook-handler.js Stop', 'hook-handler.js', false], // not our (quoted) form
    ['node "/a/b/hook-handler.jsx" Stop', 'hook-handler.js', false],
  ])('%s vs %s → %s', (command, file, want) => {
    expect(isOurCommand(command, file)).toBe(want);
  });
});
