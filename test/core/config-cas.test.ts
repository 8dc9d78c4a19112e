/**
 * Another program rewriting settings.json in place (truncate, pause, write) while we install and
 * uninstall our hooks 100 times each: not one of its changes may be lost. Before the
 * compare-and-swap, an install that read the truncated file wrote back only our hooks, and one
 * whose read was overtaken by the other program's write replaced that write.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installClaudeHooks, uninstallClaudeHooks } from '../../src/core/claude-hooks.js';
import { ConfigFileError } from '../../src/core/json-config.js';
import { createTempDirectory, readText } from './_helpers.js';

const rewriter = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'rewriter.mjs');

describe('compare-and-swap against a program rewriting the file in place', () => {
  it('100 installs and 100 uninstalls lose none of its changes', async () => {
    const dir = await createTempDirectory('cas-');
    const settings = path.join(dir, 'settings.json');
    const stop = path.join(dir, 'stop');
    const handler = path.join(dir, 'data', 'hooks', 'hook-handler.js');
    await writeFile(settings, '{\n  "model": "opus"\n}\n');

    const child = spawn(process.execPath, [rewriter, settings, stop], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    const refused: string[] = [];
    let done = 0;
    const killed = (): void => {
      if (child.exitCode === null) child.kill();
    };
    try {
      // Let the other program get going first.
      await new Promise((r) => setTimeout(r, 200));
      for (let i = 0; i < 100; i++) {
        for (const step of [() => installClaudeHooks({ claudeConfigDir: dir, handlerPath: handler }), () => uninstallClaudeHooks({ claudeConfigDir: dir })]) {
          try {
            await step();
            done++;
          } catch (error) {
            // Refusing is allowed (with a clear message); losing the other program's change is not.
            if (!(error instanceof ConfigFileError)) throw error;
            refused.push(`${error.code}: ${error.message}`);
          }
        }
      }
    } catch (error) {
      killed();
      throw error;
    } finally {
      await writeFile(stop, '');
      setTimeout(killed, 5_000).unref();
    }
    expect(await exited, err).toBe(0);
    const { added, unreadable } = JSON.parse(out) as { added: number; unreadable: number };
    expect(unreadable).toBe(0); // we never left a half-written file for it to read
    expect(added).toBeGreaterThan(30); // it really was rewriting the file throughout

    const doc = JSON.parse(await readText(settings)) as Record<string, unknown>;
    const lost = Array.from({ length: added }, (_, i) => `foreign${i}`).filter((k) => doc[k] === undefined);
    expect(lost).toEqual([]);
    expect(doc.model).toBe('opus');
    expect(refused.every((m) => /^(busy|empty): /.test(m))).toBe(true);
    expect(done).toBeGreaterThanOrEqual(150);
  }, 120_000);
});
