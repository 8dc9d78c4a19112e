/** The careful config editor: format detection, parse errors, refusals, symlinks, no-op skips. */
import { chmod, lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, detectJsonFormat, editJsonConfig, locateJsonError, parseJsonConfig, readJsonConfig, serializeJson } from '../../src/core/json-config.js';
import { createTempDirectory, readText } from './_helpers.js';

describe('format detection round-trips', () => {
  const docs = [{ a: 1, b: { c: [1, 2, { d: 'x' }] }, e: [] , f: {} }];
  const layouts = [
    (d: unknown) => `${JSON.stringify(d, null, 2)}\n`,
    (d: unknown) => `${JSON.stringify(d, null, 4)}\n`,
    (d: unknown) => JSON.stringify(d, null, '\t'),
    (d: unknown) => `\uFEFF${JSON.stringify(d, null, 2).replace(/\n/g, '\r\n')}\r\n`,
  ];
  it.each(layouts.map((l, i) => ({ i, l })))('layout #$i', ({ l }) => {
    for (const d of docs) {
      const text = l(d);
      expect(serializeJson(parseJsonConfig({ path: 'x', text }), detectJsonFormat(text))).toBe(text);
    }
  });
  it('a one-line file gets the default indentation but keeps its missing newline', () => {
    expect(detectJsonFormat('{}')).toEqual({ indent: '  ', trailingNewline: false, eol: '\n', bom: false });
  });
});

describe('parse errors', () => {
  it('gives line and column', () => {
    expect(locateJsonError('{\n  "a": 1,\n}')).toEqual({ line: 3, column: 1 });
    expect(locateJsonError('{"a": [1, 2}')).toEqual({ line: 1, column: 12 });
    expect(locateJsonError('{"a": 1} x')).toEqual({ line: 1, column: 10 });
    expect(locateJsonError('{"a": "\\q"}')).toEqual({ line: 1, column: 9 });
    expect(locateJsonError('{"a": [1, {"b": null}], "c": -1.5e3}')).toBeNull();
  });
  it('an empty or whitespace-only file counts as {}', () => {
    expect(parseJsonConfig({ path: 'x', text: '' })).toEqual({});
    expect(parseJsonConfig({ path: 'x', text: ' \n' })).toEqual({});
  });
  it.each([
    ['null', 'null'],
    ['"str"', 'a string'],
    ['42', 'a number'],
  ])('non-object root %s', (text, what) => {
    expect(() => parseJsonConfig({ path: '/x/settings.json', text })).toThrow(
      `/x/settings.json must hold a JSON object at the top level, but it holds ${what}. Fix or remove it; nothing was changed.`,
    );
  });
});

describe('editJsonConfig', () => {
  it('skips the write when the transform changes nothing (file untouched, even mtime)', async () => {
    const dir = await createTempDirectory('edit-');
    const file = path.join(dir, 'c.json');
    await writeFile(file, '{"a":1}');
    const before = (await stat(file)).mtimeMs;
    const r = await editJsonConfig({ path: file, transform: (d) => ({ ...d }) });
    expect(r).toEqual({ path: file, changed: false, existed: true });
    expect((await stat(file)).mtimeMs).toBe(before);
    expect(await readText(file)).toBe('{"a":1}');
  });

  it('edits a symlinked file where it lives and keeps the link', async () => {
    const dir = await createTempDirectory('edit-');
    const real = path.join(dir, 'dotfiles', 'settings.json');
    await mkdir(path.dirname(real));
    await writeFile(real, '{\n  "a": 1\n}\n');
    const link = path.join(dir, 'settings.json');
    await symlink(real, link);
    const r = await editJsonConfig({ path: link, transform: (d) => ({ ...d, b: 2 }) });
    expect(r.path).toBe(real);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readText(real)).toBe('{\n  "a": 1,\n  "b": 2\n}\n');
  });

  it('creates missing folders for a new file', async () => {
    const dir = await createTempDirectory('edit-');
    const file = path.join(dir, 'a', 'b', 'c.json');
    await editJsonConfig({ path: file, transform: (d) => ({ ...d, x: true }) });
    expect(await readText(file)).toBe('{\n  "x": true\n}\n');
  });

  it('a transform that throws leaves the file untouched and no lock behind', async () => {
    const dir = await createTempDirectory('edit-');
    const file = path.join(dir, 'c.json');
    await writeFile(file, '{}');
    let calls = 0;
    await expect(
      editJsonConfig({
        path: file,
        transform: (d) => {
          if (++calls === 2) throw new Error('boom');
          return { ...d, y: 1 };
        },
      }),
    ).rejects.toThrow('boom');
    expect(await readText(file)).toBe('{}');
    expect(await readdir(dir)).toEqual(['c.json']);
  });

  it('read-only refusal happens before the lock and temp file (folder stays clean)', async () => {
    const dir = await createTempDirectory('edit-');
    const file = path.join(dir, 'c.json');
    await writeFile(file, '{}');
    await chmod(file, 0o400);
    const err = await editJsonConfig({ path: file, transform: (d) => ({ ...d, z: 1 }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigFileError);
    expect((err as ConfigFileError).code).toBe('read-only');
    expect((err as ConfigFileError).path).toBe(file);
    expect(await readdir(dir)).toEqual(['c.json']);
  });

  it('readJsonConfig of a missing file is an empty, absent document', async () => {
    const dir = await createTempDirectory('edit-');
    expect(await readJsonConfig({ path: path.join(dir, 'none.json') })).toMatchObject({ exists: false, doc: {}, text: null });
  });
});
