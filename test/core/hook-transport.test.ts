/**
 * The install-time transport choice (src/core/hook-transport.ts) with real executables: stand-in
 * `curl` / `claude` scripts on a temp PATH that print a version, or that are missing or broken.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseClaudeTransport, chooseCodexTransport, compareVersions } from '../../src/core/hook-transport.js';
import { tempDir } from '../helpers/temp.js';

/** A folder with an executable `name` that prints `output` for --version (exit `code`). */
function fakeBin(name: string, output: string, code = 0): string {
  const dir = path.join(tempDir(), 'bin');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' '${output}'\nexit ${code}\n`);
  chmodSync(file, 0o755);
  return dir;
}

describe.runIf(process.platform !== 'win32')('chooseCodexTransport', () => {
  it('sh + curl when /bin/sh and a new enough curl are there, saying which', async () => {
    const dir = fakeBin('curl', 'curl 8.5.0 (x86_64-pc-linux-gnu) libcurl/8.5.0');
    const c = await chooseCodexTransport({ env: { PATH: dir } });
    expect(c.transport).toBe('sh-curl');
    expect(c.reason).toContain('curl 8.5.0');
  });

  it('falls back to Node: no curl, a curl that does not run, an old curl, no sh, Windows, or asked to', async () => {
    const empty = path.join(tempDir(), 'empty');
    mkdirSync(empty);
    const cases: Array<[Parameters<typeof chooseCodexTransport>[0], RegExp]> = [
      [{ env: { PATH: empty } }, /curl is not on PATH/],
      [{ env: { PATH: fakeBin('curl', 'broken', 1) } }, /did not run/],
      [{ env: { PATH: fakeBin('curl', 'curl 7.29.0') } }, /older than 7\.32\.0/],
      [{ env: { PATH: fakeBin('curl', 'curl 8.5.0') }, shPath: path.join(empty, 'no-sh') }, /is missing/],
      [{ env: { PATH: fakeBin('curl', 'curl 8.5.0') }, platform: 'win32' }, /Windows/],
      [{ env: { PATH: fakeBin('curl', 'curl 8.5.0'), AGENT_MONITOR_CODEX_HOOK: 'node' } }, /asked for/],
    ];
    for (const [opts, reason] of cases) {
      const c = await chooseCodexTransport(opts);
      expect(c.transport, reason.source).toBe('node');
      expect(c.reason).toMatch(reason);
    }
  });
});

describe.runIf(process.platform !== 'win32')('chooseClaudeTransport', () => {
  it('http from the version the installed Claude Code reports; command when older, absent, or asked to', async () => {
    const ok = path.join(fakeBin('claude', '2.1.197 (Claude Code)'), 'claude');
    expect(await chooseClaudeTransport({ command: ok, env: {} })).toMatchObject({ transport: 'http', reason: expect.stringContaining('2.1.197') });
    const newer = path.join(fakeBin('claude', '2.3.0 (Claude Code)'), 'claude');
    expect((await chooseClaudeTransport({ command: newer, env: {} })).transport).toBe('http');
    const old = path.join(fakeBin('claude', '2.0.14 (Claude Code)'), 'claude');
    expect(await chooseClaudeTransport({ command: old, env: {} })).toMatchObject({ transport: 'command', reason: expect.stringMatching(/older than 2\.1\.197/) });
    expect(await chooseClaudeTransport({ command: path.join(tempDir(), 'no-claude'), env: {} })).toMatchObject({ transport: 'command', reason: expect.stringMatching(/did not run/) });
    expect((await chooseClaudeTransport({ command: ok, env: { AGENT_MONITOR_CLAUDE_HOOK: 'command' } })).transport).toBe('command');
  });

  it('compares versions numerically', () => {
    expect(compareVersions('2.1.197', '2.1.20')).toBeGreaterThan(0);
    expect(compareVersions('7.32.0', '7.32')).toBe(0);
    expect(compareVersions('10.0.0', '9.9.9')).toBeGreaterThan(0);
  });
});
