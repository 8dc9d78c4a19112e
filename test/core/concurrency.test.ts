/**
 * Two real processes editing the same config file at once lose nothing (the `<file>.lock` around
 * read-transform-write), and a lock left by a dead process does not block forever.
 */
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installClaudeHooks } from '../../src/core/claude-hooks.js';
import { installCodexHooks } from '../../src/core/codex-hooks.js';
import { editJsonConfig, withFileLock, ConfigFileError } from '../../src/core/json-config.js';
import { createTempDirectory, readText } from './_helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const worker = path.join(repoRoot, 'test/core/_concurrent-worker.ts');

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${args[0]} exited ${code}: ${err}`))));
  });
}

/** Far enough ahead that both children have started (tsx start-up) before either edits. */
const startAt = (): string => String(Date.now() + 2500);

describe('concurrent edits from two processes', () => {
  it('two processes doing 40 read-modify-writes each on one file keep all 80 keys and the foreign ones', async () => {
    const dir = await createTempDirectory('conc-');
    const file = path.join(dir, 'settings.json');
    await writeFile(file, '{\n    "foreign": true\n}\n');
    const at = startAt();
    await Promise.all([run(['counter', file, 'a', '40', at]), run(['counter', file, 'b', '40', at])]);
    const doc = JSON.parse(await readText(file)) as Record<string, unknown>;
    const expected: Record<string, unknown> = { foreign: true };
    for (let i = 0; i < 40; i++) {
      expected[`a${i}`] = i;
      expected[`b${i}`] = i;
    }
    expect(doc).toEqual(expected);
    expect((await readText(file)).startsWith('{\n    "foreign": true,\n')).toBe(true);
    expect(await readdir(dir)).toEqual(['settings.json']);
  });

  it('a Claude install racing another editor of settings.json, and a Codex install in the same folder, lose nothing', async () => {
    const dir = await createTempDirectory('conc2-');
    const claudeHandler = path.join(dir, 'data', 'hooks', 'hook-handler.js');
    const codexHandler = path.join(dir, 'data', 'hooks', 'codex-hook-handler.js');
    const settings = path.join(dir, 'settings.json');
    await writeFile(settings, '{\n  "model": "opus"\n}\n');
    const at = startAt();
    await Promise.all([
      run(['claude', dir, claudeHandler, at]),
      run(['counter', settings, 'k', '25', at]),
      run(['codex', dir, codexHandler, at]),
    ]);

    // What a lone install would have produced, computed in this process on copies.
    const refDir = await createTempDirectory('conc2-ref-');
    await installClaudeHooks({ claudeConfigDir: refDir, handlerPath: claudeHandler });
    await installCodexHooks({ codexHome: refDir, handlerPath: codexHandler });
    const refClaude = JSON.parse(await readText(path.join(refDir, 'settings.json'))) as { hooks: unknown };
    const doc = JSON.parse(await readText(settings)) as Record<string, unknown>;
    expect(doc.model).toBe('opus');
    expect(doc.hooks).toEqual(refClaude.hooks);
    for (let i = 0; i < 25; i++) expect(doc[`k${i}`]).toBe(i);
    expect(Object.keys(doc)).toHaveLength(27);
    expect(await readText(path.join(dir, 'hooks.json'))).toBe(await readText(path.join(refDir, 'hooks.json')));
    expect((await readdir(dir)).sort()).toEqual(['hooks.json', 'settings.json']);
  });
});

describe('lock file', () => {
  it('breaks a lock left by a process that no longer exists', async () => {
    const dir = await createTempDirectory('lock-');
    const file = path.join(dir, 'hooks.json');
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
    const { hostname } = await import('node:os');
    await writeFile(`${file}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), createdAt: Date.now() }));
    const r = await editJsonConfig({ path: file, transform: (d) => ({ ...d, x: 1 }), lockTimeoutMs: 2000 });
    expect(r.changed).toBe(true);
    expect(await readText(file)).toBe('{\n  "x": 1\n}\n');
    expect(await readdir(dir)).toEqual(['hooks.json']);
  });

  it('breaks a lock older than the stale limit even if its pid is alive', async () => {
    const dir = await createTempDirectory('lock-');
    const file = path.join(dir, 'hooks.json');
    const { hostname } = await import('node:os');
    await writeFile(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), createdAt: Date.now() - 60_000 }));
    await editJsonConfig({ path: file, transform: (d) => ({ ...d, y: 2 }), lockTimeoutMs: 2000 });
    expect(await readText(file)).toBe('{\n  "y": 2\n}\n');
  });

  it('waits for a live lock, then gives up with a clear error and changes nothing', async () => {
    const dir = await createTempDirectory('lock-');
    const file = path.join(dir, 'hooks.json');
    await writeFile(file, '{}\n');
    await withFileLock({ path: file }, async () => {
      const err = await editJsonConfig({ path: file, transform: (d) => ({ ...d, z: 3 }), lockTimeoutMs: 150 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigFileError);
      expect((err as ConfigFileError).code).toBe('locked');
      expect((err as Error).message).toMatch(
        new RegExp(`^${escape(file)} is locked by pid ${process.pid} on .+ \\(${escape(file)}\\.lock\\)\\. If no other installer is running, remove the lock file and try again; nothing was changed\\.$`),
      );
    });
    expect(await readText(file)).toBe('{}\n');
    expect(await readdir(dir)).toEqual(['hooks.json']);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
