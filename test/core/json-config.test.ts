/** The careful config editor: format detection, parse errors, refusals, symlinks, no-op skips. */
import { chmod, lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, editJsonConfig, parseJsonConfig, readJsonConfig } from '../../src/core/json-config.js';
import { DuplicateKeyError, editJsonText, findJsonSyntaxError } from '../../src/core/json-edit.js';
import { createTempDirectory, readText } from './_helpers.js';

describe('parse errors', () => {
  it('gives what and where (line and column) from jsonc-parser', () => {
    expect(findJsonSyntaxError('{\n  "a": 1,\n}')).toEqual({ what: 'property name expected', line: 3, column: 1 });
    expect(findJsonSyntaxError('{"a": [1, 2}')).toEqual({ what: 'comma expected', line: 1, column: 12 });
    expect(findJsonSyntaxError('{"a": 1} x')).toEqual({ what: 'invalid symbol', line: 1, column: 10 });
    expect(findJsonSyntaxError('{"a": "\\q"}')).toMatchObject({ what: 'invalid escape character', line: 1 });
    expect(findJsonSyntaxError('{\n  // note\n  "a": 1\n}')).toMatchObject({ what: 'invalid comment token', line: 2, column: 3 });
    expect(findJsonSyntaxError('{"a": [1, {"b": null}], "c": -1.5e3}')).toBeNull();
  });
  it('an empty or whitespace-only file is refused, not taken for {}', () => {
    for (const text of ['', ' \n', '\uFEFF']) {
      expect(() => parseJsonConfig({ path: '/x/settings.json', text })).toThrow(/^\/x\/settings\.json is empty\. Another program may be rewriting it right now/);
    }
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

describe('editJsonText', () => {
  const edit = (text: string, f: (d: Record<string, unknown>) => Record<string, unknown>): string => {
    const before = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
    return editJsonText({ text, before, after: f(structuredClone(before)) });
  };
  it('changes one value in place and nothing else', () => {
    const text = '{"big": 12345678901234567890, "f": 1.0, "e": 1e3, "s": "\\u00e9\\n", "dup": 1, "dup": 2, "x": 1}';
    expect(edit(text, (d) => ({ ...d, x: 2 }))).toBe(text.replace('"x": 1', '"x": 2'));
  });
  it('removes the first, a middle and the last item of a one-line array', () => {
    const text = '{"a": [1, 22, 333], "b": true}';
    expect(edit(text, (d) => ({ ...d, a: [22, 333] }))).toBe('{"a": [22, 333], "b": true}');
    expect(edit(text, (d) => ({ ...d, a: [1, 333] }))).toBe('{"a": [1, 333], "b": true}');
    expect(edit(text, (d) => ({ ...d, a: [1, 22] }))).toBe('{"a": [1, 22], "b": true}');
    expect(edit(text, (d) => ({ ...d, a: [] }))).toBe('{"a": [], "b": true}');
  });
  it('removing the first key keeps the next one on its own line', () => {
    expect(edit('{\n  "a": 1,\n  "b": 2\n}\n', (d) => ({ b: d.b }))).toBe('{\n  "b": 2\n}\n');
  });
  it('new keys in a one-line file stay on that line', () => {
    expect(edit('{"a":[1,2]}', (d) => ({ ...d, hooks: { Stop: [] } }))).toBe('{"a":[1,2],"hooks": {"Stop":[]}}');
  });
  it('refuses to edit through a duplicated key (JSON.parse and the edit would disagree on which counts)', () => {
    expect(() => edit('{"hooks": {}, "hooks": {"a": 1}}', (d) => ({ ...d, hooks: { a: 2 } }))).toThrow(DuplicateKeyError);
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

  it('a dangling symlink is written through: its target is created and the link stays a link', async () => {
    const dir = await createTempDirectory('edit-');
    await mkdir(path.join(dir, 'dotfiles'));
    const target = path.join(dir, 'dotfiles', 'settings.json');
    const link = path.join(dir, 'settings.json');
    await symlink(target, link);
    const r = await editJsonConfig({ path: link, transform: (d) => ({ ...d, a: 1 }) });
    expect(r).toEqual({ path: target, changed: true, existed: false });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readText(target)).toBe('{\n  "a": 1\n}\n');
  });

  it('a dangling symlink whose target folder is missing is refused, and the link is left alone', async () => {
    const dir = await createTempDirectory('edit-');
    const target = path.join(dir, 'not-mounted', 'settings.json');
    const link = path.join(dir, 'settings.json');
    await symlink(target, link);
    const err = await editJsonConfig({ path: link, transform: (d) => ({ ...d, a: 1 }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigFileError);
    expect((err as ConfigFileError).code).toBe('dangling-link');
    expect((err as Error).message).toBe(
      `${link} is a symbolic link to ${target}, which does not exist, and neither does its folder ${path.dirname(target)} (or the links loop). Create that folder, or fix or remove the link, and try again; nothing was changed.`,
    );
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readdir(dir)).toEqual(['settings.json']);
  });

  it('an empty file that stays empty is refused for an install, and left alone by a no-op', async () => {
    const dir = await createTempDirectory('edit-');
    const file = path.join(dir, 'c.json');
    await writeFile(file, '');
    const err = await editJsonConfig({ path: file, transform: (d) => ({ ...d, a: 1 }), settleMs: 50 }).catch((e: unknown) => e);
    expect((err as ConfigFileError).code).toBe('empty');
    expect(await editJsonConfig({ path: file, transform: (d) => d, settleMs: 50 })).toEqual({ path: file, changed: false, existed: true });
    expect(await readText(file)).toBe('');
    expect(await readdir(dir)).toEqual(['c.json']);
  });

  it('an empty file that gets its content back while we wait is edited from that content', async () => {
    const dir = await createTempDirectory('edit-');
    const file = path.join(dir, 'c.json');
    await writeFile(file, '');
    setTimeout(() => void writeFile(file, '{"theirs": true}'), 100);
    await editJsonConfig({ path: file, transform: (d) => ({ ...d, ours: 1 }) });
    expect(await readText(file)).toBe('{"theirs": true,"ours": 1}');
  });

  it('readJsonConfig of a missing file is an empty, absent document', async () => {
    const dir = await createTempDirectory('edit-');
    expect(await readJsonConfig({ path: path.join(dir, 'none.json') })).toMatchObject({ exists: false, doc: {}, text: null });
  });
});
