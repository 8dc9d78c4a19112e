import { chmod, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { installHandlerFiles } from '../../src/core/handler-files.js';
import { createTempDirectory, readText } from './_helpers.js';

it('copies both handlers into <dataDir>/hooks (0755), rewriting only when bytes differ', async () => {
  const root = await createTempDirectory('handlers-');
  const claudeHandlerSource = path.join(root, 'hook-handler.src.js');
  const codexHandlerSource = path.join(root, 'codex.src.js');
  await writeFile(claudeHandlerSource, 'claude 1');
  await writeFile(codexHandlerSource, 'codex 1');
  const dataDir = path.join(root, 'data');
  const first = await installHandlerFiles({ dataDir, claudeHandlerSource, codexHandlerSource });
  expect(first).toEqual({
    claude: { path: path.join(dataDir, 'hooks', 'hook-handler.js'), changed: true },
    codex: { path: path.join(dataDir, 'hooks', 'codex-hook-handler.js'), changed: true },
  });
  expect(await readText(first.claude.path)).toBe('claude 1');
  expect(await readText(first.codex.path)).toBe('codex 1');
  expect((await stat(first.codex.path)).mode & 0o777).toBe(0o755);

  await chmod(first.claude.path, 0o644); // a mode drift alone is fixed without a rewrite
  const second = await installHandlerFiles({ dataDir, claudeHandlerSource, codexHandlerSource });
  expect([second.claude.changed, second.codex.changed]).toEqual([false, false]);
  expect((await stat(first.claude.path)).mode & 0o777).toBe(0o755);

  await writeFile(codexHandlerSource, 'codex 2');
  const third = await installHandlerFiles({ dataDir, claudeHandlerSource, codexHandlerSource });
  expect([third.claude.changed, third.codex.changed]).toEqual([false, true]);
  expect(await readText(first.codex.path)).toBe('codex 2');
  expect((await readdir(path.join(dataDir, 'hooks'))).sort()).toEqual(['codex-hook-handler.js', 'hook-handler.js']);
});

it('a missing source is a clear error', async () => {
  const root = await createTempDirectory('handlers-');
  await expect(installHandlerFiles({ dataDir: root, claudeHandlerSource: path.join(root, 'nope.js'), codexHandlerSource: path.join(root, 'nope2.js') })).rejects.toThrow(
    `The hook handler source ${path.join(root, 'nope.js')} could not be read`,
  );
});
