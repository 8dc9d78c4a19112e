/**
 * Before/after scenario folders, one drift case each: each folder under test/fixtures/drift is a full
 * upstream copy with one change, run through the fixture patches.
 */
import { describe, expect, it } from 'vitest';
import { applyPatches, formatFailures, tokenStreamSha256 } from '../../src/patcher/index.js';
import type { ApplyResult, PatchFailure } from '../../src/patcher/index.js';
import { fixturePatches, fixturePatchesDir, scenario } from './helpers.js';

const run = (name: Parameters<typeof scenario>[0]): ApplyResult =>
  applyPatches({ upstreamDir: scenario(name), patches: fixturePatches, patchesDir: fixturePatchesDir });

const failuresOf = (r: ApplyResult): PatchFailure[] => (r.ok ? [] : r.failures);

describe('drift scenarios', () => {
  const table: Array<{ name: Parameters<typeof scenario>[0]; ok: boolean; kinds: string[] }> = [
    { name: 'base', ok: true, kinds: [] },
    { name: 'comments-only', ok: true, kinds: [] },
    { name: 'logic-changed', ok: false, kinds: ['transcript-outside-tx:drifted'] },
    { name: 'anchor-renamed', ok: false, kinds: ['transcript-outside-tx:anchor-missing'] },
  ];
  it.each(table)('$name → ok=$ok $kinds', ({ name, ok, kinds }) => {
    const result = run(name);
    expect(result.ok).toBe(ok);
    expect(failuresOf(result).map((f) => `${f.patchId}:${f.kind}`)).toEqual(kinds);
    // Nothing written: a failed run hands back no file contents at all.
    if (!result.ok) expect('files' in result).toBe(false);
  });

  it('base: patches apply in `after` order and produce the expected files', () => {
    const result = run('base');
    if (!result.ok) throw new Error(formatFailures(result.failures));
    expect(result.applied.map((a) => `${a.id} ${a.file}:${a.line}:${a.column}`)).toEqual([
      'transcript-outside-tx server/routes/hooks.js:9:7',
      'harness-stamp server/routes/hooks.js:17:3',
      'db-harness-stmt server/db.js:8:7',
    ]);
    expect([...result.files.keys()].sort()).toEqual(['server/db.js', 'server/routes/hooks.js']);
    expect(result.files.get('server/routes/hooks.js')).toMatchInlineSnapshot(`
      "'use strict';

      const express = require('express');
      const { db, stmts } = require('../db');
      const { readTranscriptUsage } = require('../transcript');

      const router = express.Router();

      const processEventCore = db.transaction((hookType, data, transcriptData) => {
        const now = new Date().toISOString();
        stmts.upsertSession.run({ id: data.session_id, cwd: data.cwd || null, now });
        // The real upstream reads the transcript while holding the write lock.
        const usage = transcriptData;
        if (usage) {
          stmts.addTokens.run(usage.input, usage.output, data.session_id);
        }
        stmts.insertEvent.run(data.session_id, hookType, data.tool_name || null, JSON.stringify(data), now);
        if (data.__provider === 'codex') stmts.setSessionHarness.run('codex', data.session_id); /* host-patch:harness-stamp */
        return { ok: true };
      });

      /* host-patch:transcript-outside-tx */
      const processEvent = (hookType, data) =>
        processEventCore(hookType, data, readTranscriptUsage(data.transcript_path));

      router.post('/event', (req, res) => {
        const { hook_type: hookType, data } = req.body || {};
        if (!hookType || !data) return res.status(400).json({ error: 'hook_type and data required' });
        res.json(processEvent(hookType, data));
      });

      module.exports = router;
      "
    `);
  });

  it('comments-only: applies, and the output differs from base only in comments and whitespace', () => {
    const base = run('base');
    const cosmetic = run('comments-only');
    if (!base.ok || !cosmetic.ok) throw new Error('expected both to apply');
    for (const [file, text] of base.files) {
      const other = cosmetic.files.get(file)!;
      expect(tokenStreamSha256(other, 0, other.length)).toBe(tokenStreamSha256(text, 0, text.length));
    }
    expect(cosmetic.files.get('server/routes/hooks.js')).not.toBe(base.files.get('server/routes/hooks.js'));
  });

  it('logic-changed: the drift message names the patch, both hashes, the diff and the re-pin command', () => {
    const result = run('logic-changed');
    const [failure] = failuresOf(result);
    expect(failure).toMatchObject({
      patchId: 'transcript-outside-tx',
      kind: 'drifted',
      line: 9,
      column: 7,
      expectedSha256: fixturePatches[0]!.anchorSha256,
    });
    expect(failure!.foundSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(failure!.foundSha256).not.toBe(failure!.expectedSha256);
    expect(formatFailures(failuresOf(result))).toMatchInlineSnapshot(`
      "[monitor-build] patch "transcript-outside-tx" did not apply: upstream changed the anchor
        file      test/fixtures/drift/logic-changed/server/routes/hooks.js:9:7
        anchor    VariableDeclarator processEvent
        expected  sha256 02e95b1c19e32b69a705a71ba6695979c4e63b7fc72949ce4c9cfa0b55d21624 (pinned in test/fixtures/drift/patches/transcript-outside-tx.ts)
        found     sha256 cd5471230a9813c26c3156e82278d31c602f47b9c31b5ef3672fe38c2adfc849
        diff (pinned anchor → current):
          @@ -4,5 +12,5 @@
              // The real upstream reads the transcript while holding the write lock.
              const usage = readTranscriptUsage(data.transcript_path);
          -   if (usage) {
          +   if (usage && usage.input > 0) {
                stmts.addTokens.run(usage.input, usage.output, data.session_id);
              }
      Review the upstream change, then re-pin after review: npm run repin -- transcript-outside-tx --upstream test/fixtures/drift/logic-changed --patches test/fixtures/drift/patches

      1 patch failed. Nothing was written."
    `);
  });

  it('anchor-renamed: the message says the anchor is gone and how to proceed', () => {
    expect(formatFailures(failuresOf(run('anchor-renamed')))).toMatchInlineSnapshot(`
      "[monitor-build] patch "transcript-outside-tx" did not apply: upstream no longer has the anchor
        file      test/fixtures/drift/anchor-renamed/server/routes/hooks.js
        anchor    VariableDeclarator processEvent: 0 matches, expected 1
        expected  sha256 02e95b1c19e32b69a705a71ba6695979c4e63b7fc72949ce4c9cfa0b55d21624 (pinned in test/fixtures/drift/patches/transcript-outside-tx.ts)
        pinned    processEvent = db.transaction((hookType, data) => {
                    const now = new Date().toISOString();
                    stmts.upsertSession.run({ id: data.session_id, cwd: data.cwd || null, now });
                  …
        closest   test/fixtures/drift/anchor-renamed/server/routes/hooks.js:9:7  99% similar  handleHookEvent = db.transaction((hookType, data) => {
      Review the upstream change, update the locator in test/fixtures/drift/patches/transcript-outside-tx.ts, then re-pin after review: npm run repin -- transcript-outside-tx --upstream test/fixtures/drift/anchor-renamed --patches test/fixtures/drift/patches

      1 patch failed. Nothing was written."
    `);
  });
});
