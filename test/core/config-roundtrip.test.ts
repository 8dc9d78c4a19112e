/**
 * Round trips through both installers on files laid out the way users really have them: compact
 * one-line arrays, tabs, CRLF, a BOM, odd key order, unknown keys, numbers JSON.parse cannot keep
 * (12345678901234567890, 1.0, 1e3), escapes, duplicate keys. Install only inserts (every byte of
 * the original is still there, in order, and nothing else but our hooks was added); uninstall
 * gives back the original bytes exactly.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLAUDE_HOOK_EVENTS, installClaudeHooks, readClaudeHooks, uninstallClaudeHooks } from '../../src/core/claude-hooks.js';
import { CODEX_HOOK_EVENTS, installCodexHooks, readCodexHooks, uninstallCodexHooks } from '../../src/core/codex-hooks.js';
import { createTempDirectory, readText } from './_helpers.js';

const FAMILIES = [
  {
    name: 'claude',
    fileName: 'settings.json',
    handlerFile: 'hook-handler.js',
    events: CLAUDE_HOOK_EVENTS.length,
    install: (dir: string, handlerPath: string) => installClaudeHooks({ claudeConfigDir: dir, handlerPath }),
    uninstall: (dir: string) => uninstallClaudeHooks({ claudeConfigDir: dir }),
    read: (dir: string) => readClaudeHooks({ claudeConfigDir: dir }),
  },
  {
    name: 'codex',
    fileName: 'hooks.json',
    handlerFile: 'codex-hook-handler.js',
    events: CODEX_HOOK_EVENTS.length,
    install: (dir: string, handlerPath: string) => installCodexHooks({ codexHome: dir, handlerPath }),
    uninstall: (dir: string) => uninstallCodexHooks({ codexHome: dir }),
    read: (dir: string) => readCodexHooks({ codexHome: dir }),
  },
];

const FOREIGN_HOOK = '{"matcher": "Bash", "hooks": [{"type": "command", "command": "node \\"/opt/guard/my-hook-handler.js\\" PreToolUse", "timeout": 30}]}';

const FILES: Array<{ label: string; text: string }> = [
  {
    label: 'compact, one line, values JSON.parse would change',
    text: '{"permissions":{"allow":["Bash(ls)","Read"],"deny":[]},"big":12345678901234567890,"one":1.0,"thousand":1e3,"esc":"caf\\u00e9 \\"q\\"\\/","dup":1,"dup":2,"model":"opus"}',
  },
  {
    label: 'pretty with one-line arrays kept by hand',
    text: '{\n  "permissions": { "allow": ["Bash(ls)", "Read"] },\n  "env": {"A": "1"},\n  "n": [1.50, 2e-3]\n}\n',
  },
  { label: 'tabs, no final newline', text: '{\n\t"zeta": true,\n\t"alpha": {\n\t\t"list": [1, 2, 3]\n\t}\n}' },
  { label: 'CRLF', text: '{\r\n    "theme": "dark",\r\n    "allow": ["a", "b"]\r\n}\r\n' },
  { label: 'BOM', text: '\uFEFF{\n  "x": 1\n}\n' },
  { label: 'foreign hooks, compact', text: `{"hooks":{"PreToolUse":[${FOREIGN_HOOK}],"Custom":[]},"z":0}` },
  { label: 'foreign hooks, pretty, hooks first', text: `{\n  "hooks": {\n    "Stop": [\n      {"hooks": [{"type": "command", "command": "say done"}]}\n    ]\n  },\n  "model": "opus"\n}\n` },
  { label: 'empty object', text: '{}' },
];

/** True when `edited` is `original` with characters inserted and none removed or changed. */
function onlyInsertions(original: string, edited: string): boolean {
  let i = 0;
  for (let j = 0; j < edited.length && i < original.length; j++) if (edited[j] === original[i]) i++;
  return i === original.length;
}

function withoutHooks(text: string): unknown {
  const doc = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  delete doc.hooks;
  return doc;
}

describe.each(FAMILIES)('$name round trips', (f) => {
  it.each(FILES)('$label', async ({ text }) => {
    const dir = path.join(await createTempDirectory(`rt-${f.name}-`), 'config');
    await mkdir(dir);
    const file = path.join(dir, f.fileName);
    const handler = path.join(dir, '..', 'data', 'hooks', f.handlerFile);
    await writeFile(file, text);

    expect((await f.install(dir, handler)).changed).toBe(true);
    const installed = await readText(file);
    expect(onlyInsertions(text, installed)).toBe(true);
    expect(installed.startsWith('\uFEFF')).toBe(text.startsWith('\uFEFF'));
    expect(withoutHooks(installed)).toEqual(withoutHooks(text));
    expect((await f.read(dir)).entries).toHaveLength(f.events);
    if (text.includes('\r\n')) expect(installed.replace(/\r\n/g, '')).not.toContain('\n');
    if (!text.trim().includes('\n')) expect(installed.trim()).not.toContain('\n');

    expect((await f.install(dir, handler)).changed).toBe(false);
    expect(await readText(file)).toBe(installed);

    expect((await f.uninstall(dir)).changed).toBe(true);
    expect(await readText(file)).toBe(text);
    expect(await readdir(dir)).toEqual([f.fileName]);
  });
});
