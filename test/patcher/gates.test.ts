/**
 * Every gate, table-driven: inline patches pinned against the base fixture, each case listing the
 * failures it must produce. Messages are snapshotted for the kinds without a scenario folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPatches, formatFailures } from '../../src/patcher/index.js';
import type { NodeType, PatchSpec } from '../../src/patcher/index.js';
import { createTempDirectory, fixturePatches, fixturePatchesDir, normalise, pinInline, scenario } from './helpers.js';

const upstreamDir = scenario('base');
const DB = 'server/db.js';
const HOOKS = 'server/routes/hooks.js';

type Inline<T extends NodeType> = Omit<PatchSpec<T>, 'anchorSha256'> & { anchorSha256?: string };

/** A patch on one `stmts` property of db.js; `edit` defaults to inserting its marker before the property. */
function onProperty(id: string, key: string, extra: Partial<Inline<'Property'>> = {}): Inline<'Property'> {
  return {
    id,
    file: DB,
    why: 'test patch',
    find: {
      type: 'Property',
      where: (n) => n.key.type === 'Identifier' && n.key.name === key,
      describe: `Property ${key}`,
    },
    edit: (s, n) => {
      s.prependRight(n.start, `/* host-patch:${id} */ `);
    },
    postGate: () => null,
    ...extra,
  };
}

interface Case {
  name: string;
  patches: (dirs: { patchesDir: string }) => PatchSpec[];
  /** `<patchId>:<kind>` of every failure, in report order. */
  expected: string[];
  snapshot?: boolean;
}

const pin = <T extends NodeType>(spec: Inline<T>, patchesDir: string) => pinInline(spec, { upstreamDir, patchesDir });

const cases: Case[] = [
  {
    name: 'two independent patches apply',
    patches: ({ patchesDir }) => [pin(onProperty('a', 'getSession'), patchesDir), pin(onProperty('b', 'addTokens'), patchesDir)],
    expected: [],
  },
  {
    name: 'ambiguous locator lists every match',
    patches: ({ patchesDir }) => [
      pin(
        onProperty('every-prepare', 'getSession', {
          find: {
            type: 'Property',
            where: (n) => n.value.type === 'CallExpression',
            describe: 'Property with a call value',
          },
        }),
        patchesDir,
      ),
    ],
    expected: ['every-prepare:ambiguous'],
    snapshot: true,
  },
  {
    name: '`after` naming an unknown patch',
    patches: ({ patchesDir }) => [pin(onProperty('a', 'getSession', { after: ['no-such-patch'] }), patchesDir)],
    expected: ['a:order'],
    snapshot: true,
  },
  {
    name: '`after` cycle, and a patch stuck behind it',
    patches: ({ patchesDir }) => [
      pin(onProperty('a', 'getSession', { after: ['b'] }), patchesDir),
      pin(onProperty('b', 'addTokens', { after: ['a'] }), patchesDir),
      pin(onProperty('c', 'insertEvent', { after: ['b'] }), patchesDir),
      pin(onProperty('d', 'upsertSession'), patchesDir),
    ],
    expected: ['a:order', 'b:order', 'c:order'],
    snapshot: true,
  },
  {
    name: 'duplicate id',
    patches: ({ patchesDir }) => {
      const a = pin(onProperty('a', 'getSession'), patchesDir);
      return [a, { ...a, why: 'a second patch with the same id' }];
    },
    expected: ['a:order'],
  },
  {
    name: 'marker missing',
    patches: ({ patchesDir }) => [
      pin(
        onProperty('quiet', 'getSession', {
          edit: (s, n) => {
            s.appendLeft(n.end, ' /* no marker */');
          },
        }),
        patchesDir,
      ),
    ],
    expected: ['quiet:marker'],
    snapshot: true,
  },
  {
    name: 'marker twice',
    patches: ({ patchesDir }) => [
      pin(
        onProperty('loud', 'getSession', {
          edit: (s, n) => {
            s.prependRight(n.start, '/* host-patch:loud */ ');
            s.appendLeft(n.end, ' /* host-patch:loud */');
          },
        }),
        patchesDir,
      ),
    ],
    expected: ['loud:marker'],
  },
  {
    name: 'a longer id sharing the prefix does not count as the marker',
    patches: ({ patchesDir }) => [
      pin(onProperty('x', 'getSession', { edit: (s, n) => void s.prependRight(n.start, '/* host-patch:x-y */ ') }), patchesDir),
    ],
    expected: ['x:marker'],
  },
  {
    name: 'post-gate does not hold',
    patches: ({ patchesDir }) => [
      pin(onProperty('gated', 'getSession', { postGate: (out) => (out.includes('setSessionHarness') ? null : 'stmts.setSessionHarness missing') }), patchesDir),
    ],
    expected: ['gated:post-gate'],
    snapshot: true,
  },
  {
    name: 'post-gate that throws is a failed gate',
    patches: ({ patchesDir }) => [
      pin(
        onProperty('throws', 'getSession', {
          postGate: () => {
            throw new Error('boom');
          },
        }),
        patchesDir,
      ),
    ],
    expected: ['throws:post-gate'],
  },
  {
    name: 'output does not parse: blamed on the patch that breaks it alone',
    patches: ({ patchesDir }) => [
      pin(onProperty('fine', 'addTokens'), patchesDir),
      pin(
        onProperty('breaks', 'getSession', {
          edit: (s, n) => {
            s.prependRight(n.start, '/* host-patch:breaks */ ');
            s.update(n.value.start, n.value.end, 'db.prepare(');
          },
        }),
        patchesDir,
      ),
    ],
    expected: ['breaks:parse-error'],
    snapshot: true,
  },
  {
    name: 'overlap: two patches update the same range (magic-string alone would silently keep the last)',
    patches: ({ patchesDir }) => [
      pin(
        onProperty('first', 'getSession', {
          edit: (s, n) => void s.update(n.value.start, n.value.end, "db.prepare('SELECT 1') /* host-patch:first */"),
        }),
        patchesDir,
      ),
      pin(
        onProperty('second', 'getSession', {
          edit: (s, n) => void s.update(n.value.start, n.value.end, "db.prepare('SELECT 2') /* host-patch:second */"),
        }),
        patchesDir,
      ),
    ],
    expected: ['second:conflict'],
    snapshot: true,
  },
  {
    name: 'overlap: an insert inside a range another patch replaced',
    patches: ({ patchesDir }) => [
      pin(
        {
          id: 'whole-object',
          file: DB,
          why: 'test',
          find: { type: 'VariableDeclarator', where: (n) => n.id.type === 'Identifier' && n.id.name === 'stmts', describe: 'VariableDeclarator stmts' },
          edit: (s, n) => void s.update(n.init!.start, n.init!.end, '{} /* host-patch:whole-object */'),
          postGate: () => null,
        },
        patchesDir,
      ),
      pin(onProperty('inner', 'addTokens'), patchesDir),
    ],
    expected: ['inner:conflict'],
  },
  {
    name: 'magic-string refuses an edit that splits an edited chunk',
    patches: ({ patchesDir }) => [
      pin(
        onProperty('self-overlap', 'getSession', {
          edit: (s, n) => {
            s.update(n.value.start, n.value.end, '/* host-patch:self-overlap */ x');
            s.update(n.value.start + 2, n.value.start + 4, 'y');
          },
        }),
        patchesDir,
      ),
    ],
    expected: ['self-overlap:conflict'],
    snapshot: true,
  },
  {
    name: 'pattern-based magic-string methods are rejected',
    patches: ({ patchesDir }) => [
      pin(onProperty('uses-replace', 'getSession', { edit: (s) => void s.replace('stmts', 'x') }), patchesDir),
    ],
    expected: ['uses-replace:patch-error'],
  },
  {
    name: 'upstream file missing',
    patches: ({ patchesDir }) => {
      const spec = pin(onProperty('gone', 'getSession'), patchesDir);
      return [{ ...spec, file: 'server/missing.js' }];
    },
    expected: ['gone:file-missing'],
  },
  {
    name: 'pin files inconsistent: hash in the spec does not match the anchor text',
    patches: ({ patchesDir }) => [pin(onProperty('bad-pin', 'getSession', { anchorSha256: 'f'.repeat(64) }), patchesDir)],
    expected: ['bad-pin:pin-inconsistent'],
    snapshot: true,
  },
  {
    name: 'pin files inconsistent: anchor text missing',
    patches: ({ patchesDir }) => {
      const spec = pin(onProperty('no-anchor', 'getSession'), patchesDir);
      fs.rmSync(path.join(patchesDir, 'anchors', 'no-anchor.js'));
      return [spec];
    },
    expected: ['no-anchor:pin-inconsistent'],
  },
  {
    name: 'all failures are collected: two broken patches, one fine',
    patches: ({ patchesDir }) => [
      pin(onProperty('quiet', 'getSession', { edit: (s, n) => void s.appendLeft(n.end, ' ') }), patchesDir),
      pin(onProperty('fine', 'insertEvent'), patchesDir),
      pin(onProperty('gated', 'addTokens', { postGate: () => 'never holds' }), patchesDir),
    ],
    expected: ['quiet:marker', 'gated:post-gate'],
  },
];

describe('gates', () => {
  // A loop rather than it.each, so snapshot keys carry the full case name.
  for (const { name, patches, expected, snapshot } of cases) it(name, () => {
    const patchesDir = createTempDirectory();
    const result = applyPatches({ upstreamDir, patches: patches({ patchesDir }), patchesDir });
    const failures = result.ok ? [] : result.failures;
    expect(failures.map((f) => `${f.patchId}:${f.kind}`)).toEqual(expected);
    expect(result.ok).toBe(expected.length === 0);
    for (const f of failures) expect(f.message.startsWith(`[monitor-build] patch "${f.patchId}"`)).toBe(true);
    if (snapshot) expect(normalise(formatFailures(failures), patchesDir)).toMatchSnapshot();
  });

  it('fixture patches and inline patches on other files do not interfere', () => {
    const patchesDir = createTempDirectory();
    fs.cpSync(path.join(fixturePatchesDir, 'anchors'), path.join(patchesDir, 'anchors'), { recursive: true });
    const extra = pin(onProperty('extra', 'getSession'), patchesDir);
    const result = applyPatches({ upstreamDir, patches: [...fixturePatches, extra], patchesDir });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.applied.map((a) => a.id)).toEqual(['transcript-outside-tx', 'harness-stamp', 'db-harness-stmt', 'extra']);
      expect(result.files.get(DB)).toContain('/* host-patch:extra */ getSession');
      expect(result.files.get(HOOKS)).toContain('host-patch:harness-stamp');
    }
  });

  it('a dependent patch failing after its predecessor failed says to fix the predecessor first', () => {
    const patchesDir = createTempDirectory();
    const first = pin(onProperty('first', 'getSession', { postGate: () => 'first gate fails' }), patchesDir);
    const second = pin(onProperty('second', 'addTokens', { after: ['first'], postGate: () => 'second gate fails' }), patchesDir);
    const result = applyPatches({ upstreamDir, patches: [second, first], patchesDir });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      const msg = result.failures.find((f) => f.patchId === 'second')!.message;
      expect(msg).toContain('note      it follows "first", which also failed; fix that first');
    }
  });

  it('edits apply in `after` order, not declaration order', () => {
    const patchesDir = createTempDirectory();
    // Both insert at the same index; the one that follows must come out second.
    const mk = (id: string, after?: string[]) =>
      pin(onProperty(id, 'getSession', { ...(after ? { after } : {}), edit: (s, n) => void s.appendLeft(n.start, `/* host-patch:${id} */`) }), patchesDir);
    const result = applyPatches({ upstreamDir, patches: [mk('later', ['earlier']), mk('earlier')], patchesDir });
    if (!result.ok) throw new Error(formatFailures(result.failures));
    expect(result.files.get(DB)).toContain('/* host-patch:earlier *//* host-patch:later */getSession');
    expect(result.applied.map((a) => a.id)).toEqual(['earlier', 'later']);
  });
});
