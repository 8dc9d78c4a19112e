import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main as checkMain, runCheckUpstream } from '../../scripts/check-upstream.js';
import { RepinError, main as repinMain, repinPatch } from '../../scripts/repin-patch.js';
import { applyPatches, argPath, definePatch, formatFailures, repinCommand } from '../../src/patcher/index.js';
import type { PatchSpec } from '../../src/patcher/index.js';
import { copyDir, createTempDirectory, fixturePatches, fixturePatchesDir, normalise, pinInline, repoRoot, scenario } from './helpers.js';

describe('check-upstream', () => {
  const table: Array<{ name: Parameters<typeof scenario>[0]; exitCode: 0 | 1; statuses: string[] }> = [
    { name: 'base', exitCode: 0, statuses: ['applies', 'applies', 'applies'] },
    { name: 'comments-only', exitCode: 0, statuses: ['applies', 'applies', 'applies'] },
    { name: 'logic-changed', exitCode: 1, statuses: ['drifted', 'applies', 'applies'] },
    { name: 'anchor-renamed', exitCode: 1, statuses: ['anchor missing', 'applies', 'applies'] },
  ];
  it.each(table)('$name → $statuses', async ({ name, exitCode, statuses }) => {
    const run = await runCheckUpstream({ upstreamDir: scenario(name), patches: fixturePatches, patchesDir: fixturePatchesDir });
    expect(run.rows.map((r) => r.status)).toEqual(statuses);
    expect(run.exitCode).toBe(exitCode);
  });

  it('prints one row per patch with status and detail', async () => {
    const run = await runCheckUpstream({ upstreamDir: scenario('logic-changed'), patches: fixturePatches, patchesDir: fixturePatchesDir });
    expect(run.table).toMatchInlineSnapshot(`
      "PATCH                  FILE                    STATUS   DETAIL
      transcript-outside-tx  server/routes/hooks.js  drifted  9:7 expected 02e95b1c19e3… found cd5471230a98…
      harness-stamp          server/routes/hooks.js  applies  anchor at 17:3, sha256 a2b3b532179c…
      db-harness-stmt        server/db.js            applies  anchor at 8:7, sha256 48376a552211…

      2 of 3 patches apply."
    `);
  });

  it('reports post-gate failed, conflict and error rows', async () => {
    const patchesDir = createTempDirectory();
    const upstreamDir = scenario('base');
    const prop = (id: string, key: string, over: Partial<PatchSpec<'Property'>> = {}) =>
      pinInline<'Property'>(
        {
          id,
          file: 'server/db.js',
          why: 'test',
          find: { type: 'Property', where: (n) => n.key.type === 'Identifier' && n.key.name === key, describe: `Property ${key}` },
          edit: (s, n) => void s.update(n.value.start, n.value.end, `null /* host-patch:${id} */`),
          postGate: () => null,
          ...over,
        },
        { upstreamDir, patchesDir },
      );
    const patches = [
      prop('ok', 'getSession'),
      prop('gate-fails', 'addTokens', { postGate: () => 'addTokens must stay a prepared statement' }),
      prop('overlaps', 'getSession'),
      { ...prop('elsewhere', 'insertEvent'), file: 'server/nope.js' },
    ];
    const run = await runCheckUpstream({ upstreamDir, patches, patchesDir });
    expect(run.rows.map((r) => `${r.id}: ${r.status}`)).toEqual([
      'ok: applies',
      'gate-fails: post-gate failed',
      'overlaps: conflict',
      'elsewhere: error',
    ]);
    expect(run.exitCode).toBe(1);
    expect(normalise(run.table, patchesDir)).toMatchInlineSnapshot(`
      "PATCH       FILE            STATUS            DETAIL
      ok          server/db.js    applies           anchor at 9:3, sha256 d05681a00342…
      gate-fails  server/db.js    post-gate failed  post-gate: addTokens must stay a prepared statement
      overlaps    server/db.js    conflict          overlaps "ok" at 9:15–9:64 (update)
      elsewhere   server/nope.js  error             file not found

      1 of 4 patches apply."
    `);
  });
});

describe('repin', () => {
  /** A writable copy of the fixture patches (spec files + anchors) and of one upstream scenario. */
  function tempCopies(name: Parameters<typeof scenario>[0]): { patchesDir: string; upstreamDir: string } {
    const root = createTempDirectory();
    const patchesDir = path.join(root, 'patches');
    const upstreamDir = path.join(root, 'upstream');
    copyDir(fixturePatchesDir, patchesDir);
    copyDir(scenario(name), upstreamDir);
    return { patchesDir, upstreamDir };
  }

  it('makes a drifted patch apply again, rewriting only the hash literal and the anchor text', async () => {
    const { patchesDir, upstreamDir } = tempCopies('logic-changed');
    const before = applyPatches({ upstreamDir, patches: fixturePatches, patchesDir });
    expect(before.ok ? [] : before.failures.map((f) => f.kind)).toEqual(['drifted']);

    const specFile = path.join(patchesDir, 'transcript-outside-tx.ts');
    const specBefore = fs.readFileSync(specFile, 'utf8');
    const result = repinPatch({ id: 'transcript-outside-tx', patches: fixturePatches, patchesDir, upstreamDir });
    expect(result.changed).toBe(true);
    expect(result.appliesNow).toBe(true);
    expect(result.oldSha256).toBe(fixturePatches[0]!.anchorSha256);
    expect(normalise(result.report, path.dirname(patchesDir))).toMatchInlineSnapshot(`
      "[monitor-build] re-pinned "transcript-outside-tx"
        file      <tmp>/upstream/server/routes/hooks.js:9:7
        anchor    VariableDeclarator processEvent
        old       sha256 02e95b1c19e32b69a705a71ba6695979c4e63b7fc72949ce4c9cfa0b55d21624
        new       sha256 cd5471230a9813c26c3156e82278d31c602f47b9c31b5ef3672fe38c2adfc849
        diff (pinned anchor → current):
          @@ -4,5 +12,5 @@
              // The real upstream reads the transcript while holding the write lock.
              const usage = readTranscriptUsage(data.transcript_path);
          -   if (usage) {
          +   if (usage && usage.input > 0) {
                stmts.addTokens.run(usage.input, usage.output, data.session_id);
              }
        gates     all gates of "transcript-outside-tx" hold with the new pin
      Wrote <tmp>/patches/transcript-outside-tx.ts and <tmp>/patches/anchors/transcript-outside-tx.js. Check that the edit still fits the new anchor, then rerun the build."
    `);

    const specAfter = fs.readFileSync(specFile, 'utf8');
    expect(specAfter).toBe(specBefore.replace(result.oldSha256, result.newSha256));
    expect(fs.readFileSync(path.join(patchesDir, 'anchors', 'transcript-outside-tx.js'), 'utf8')).toContain('if (usage && usage.input > 0)');

    // Load the rewritten spec file itself, proving the file on disk (not just the result) is fixed.
    const mod = (await import(pathToFileURL(specFile).href)) as { default: PatchSpec<'VariableDeclarator'> };
    expect(mod.default.anchorSha256).toBe(result.newSha256);
    const repinned = [definePatch(mod.default), ...fixturePatches.slice(1)];
    const after = applyPatches({ upstreamDir, patches: repinned, patchesDir });
    if (!after.ok) throw new Error(formatFailures(after.failures));
    expect(after.files.get('server/routes/hooks.js')).toContain('if (usage && usage.input > 0)');

    // A second re-pin has nothing to do.
    const again = repinPatch({ id: 'transcript-outside-tx', patches: repinned, patchesDir, upstreamDir });
    expect(again.changed).toBe(false);
  });

  it('refuses when the locator does not match once, and writes nothing', () => {
    const { patchesDir, upstreamDir } = tempCopies('anchor-renamed');
    const specFile = path.join(patchesDir, 'transcript-outside-tx.ts');
    const before = fs.readFileSync(specFile, 'utf8');
    expect(() => repinPatch({ id: 'transcript-outside-tx', patches: fixturePatches, patchesDir, upstreamDir })).toThrow(RepinError);
    expect(() => repinPatch({ id: 'transcript-outside-tx', patches: fixturePatches, patchesDir, upstreamDir })).toThrow(
      /matches 0 nodes, expected 1/,
    );
    expect(fs.readFileSync(specFile, 'utf8')).toBe(before);
  });

  it('refuses to write a pin it cannot verify (a TemplateElement: its text alone is not JavaScript)', () => {
    const root = createTempDirectory();
    const upstreamDir = path.join(root, 'upstream');
    const patchesDir = path.join(root, 'patches');
    fs.mkdirSync(path.join(upstreamDir, 'server'), { recursive: true });
    fs.writeFileSync(path.join(upstreamDir, 'server', 'schema.js'), 'db.exec(`\n  CREATE TABLE t (id TEXT);\n`);\n');
    fs.mkdirSync(path.join(patchesDir, 'anchors'), { recursive: true });
    const specText = "export default { anchorSha256: '' };\n";
    fs.writeFileSync(path.join(patchesDir, 'schema.ts'), specText);
    const spec = definePatch({
      id: 'schema',
      file: 'server/schema.js',
      why: 'test',
      find: { type: 'TemplateElement', describe: 'the schema text', where: () => true },
      anchorSha256: '',
      edit: () => undefined,
    });
    expect(() => repinPatch({ id: 'schema', patches: [spec], patchesDir, upstreamDir })).toThrow(/does not reproduce the tokens of the file[\s\S]*Nothing was written/);
    expect(fs.readFileSync(path.join(patchesDir, 'schema.ts'), 'utf8')).toBe(specText);
    expect(fs.existsSync(path.join(patchesDir, 'anchors', 'schema.js'))).toBe(false);
  });

  it('refuses an unknown id', () => {
    const { patchesDir, upstreamDir } = tempCopies('base');
    expect(() => repinPatch({ id: 'nope', patches: fixturePatches, patchesDir, upstreamDir })).toThrow(/no patch "nope"/);
  });
});

describe('CLI: --patches, --upstream, and hints that work when pasted', () => {
  const capture = () => {
    let out = '';
    let err = '';
    return { out: (s: string) => void (out += s), err: (s: string) => void (err += s), get: () => ({ out, err }) };
  };
  /** A writable patch set with an index.ts, so the scripts can load it from --patches. */
  function patchSet(): { patchesDir: string; upstreamDir: string } {
    const root = createTempDirectory();
    const patchesDir = path.join(root, 'patches');
    const upstreamDir = path.join(root, 'upstream');
    copyDir(fixturePatchesDir, patchesDir);
    copyDir(scenario('logic-changed'), upstreamDir);
    fs.writeFileSync(
      path.join(patchesDir, 'index.ts'),
      "import a from './transcript-outside-tx.ts';\nimport b from './harness-stamp.ts';\nimport c from './db-harness-stmt.ts';\nexport const allPatches = [a, b, c];\n",
    );
    return { patchesDir, upstreamDir };
  }

  it('check-upstream -- <dir> --patches <dir> checks that patch set, prints the table and every failure in full', async () => {
    const { patchesDir, upstreamDir } = patchSet();
    const io = capture();
    expect(await checkMain([upstreamDir, '--patches', patchesDir], io.out, io.err)).toBe(1);
    const { out } = io.get();
    expect(out).toContain('transcript-outside-tx  server/routes/hooks.js  drifted');
    expect(out).toContain('2 of 3 patches apply.');
    expect(out).toContain(`npm run repin -- transcript-outside-tx --upstream ${argPath(upstreamDir)} --patches ${argPath(patchesDir)}`);
  });

  it('repin without --upstream is refused (it used to pin against vendor/ silently)', async () => {
    const io = capture();
    expect(await repinMain(['transcript-outside-tx'], io.out, io.err)).toBe(2);
    expect(io.get().err).toContain('--upstream vendor/agent-monitor for the vendored one');
    expect(await checkMain(['--nope', 'x'], io.out, io.err)).toBe(2);
  });

  it('the printed re-pin hint, pasted into a shell in a subfolder of the repo, re-pins the right snapshot in the right patch set', async () => {
    const { patchesDir, upstreamDir } = patchSet();
    const io = capture();
    await checkMain([upstreamDir, '--patches', patchesDir], io.out, io.err);
    const hint = /npm run repin -- .+$/m.exec(io.get().out)![0];
    const pasted = spawnSync('sh', ['-c', hint], { cwd: path.join(repoRoot, 'test'), encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } });
    expect(pasted.status, pasted.stdout + pasted.stderr).toBe(0);
    expect(pasted.stdout).toContain('re-pinned "transcript-outside-tx"');
    // A fresh process (the module cache of this one still holds the old spec) sees the patch set apply.
    const check = spawnSync('sh', ['-c', `npm run check-upstream -- ${argPath(upstreamDir)} --patches ${argPath(patchesDir)}`], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('3 of 3 patches apply.');
  }, 60_000);

  it('hint paths: repo-relative inside the repo, absolute outside, quoted when the shell needs it', () => {
    expect(argPath(path.join(repoRoot, 'vendor', 'agent-monitor'))).toBe('vendor/agent-monitor');
    expect(argPath('/tmp/some dir')).toBe("'/tmp/some dir'");
    expect(repinCommand('x', { upstreamDir: path.join(repoRoot, 'vendor', 'agent-monitor'), patchesDir: path.join(repoRoot, 'patches') })).toBe(
      'npm run repin -- x --upstream vendor/agent-monitor',
    );
  });
});
