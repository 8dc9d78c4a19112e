import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { PinError, definePatch, findAll, keysAlone, parseFile, takePin } from '../../src/patcher/index.js';
import { hashKeys } from '../../src/patcher/tokens.js';
import type { NodeType, PatchSpec } from '../../src/patcher/index.js';
import dbHarnessStmt from '../fixtures/drift/patches/db-harness-stmt.js';
import harnessStamp from '../fixtures/drift/patches/harness-stamp.js';
import transcriptOutsideTx from '../fixtures/drift/patches/transcript-outside-tx.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const driftDir = path.join(repoRoot, 'test', 'fixtures', 'drift');
export const fixturePatchesDir = path.join(driftDir, 'patches');
export const scenario = (name: 'base' | 'comments-only' | 'logic-changed' | 'anchor-renamed'): string => path.join(driftDir, name);

/** The three fixture patches, in the order a real patches/index.ts would list them. */
export const fixturePatches: PatchSpec[] = [definePatch(transcriptOutsideTx), definePatch(harnessStamp), definePatch(dbHarnessStmt)];

/** A fresh directory per call, removed after the test. */
export function createTempDirectory(): string {
  return tempDir('patcher-test-');
}

/** Replaces a temp dir in messages with a stable token, so snapshots do not depend on mkdtemp names. */
export function normalise(text: string, ...dirs: string[]): string {
  let out = text;
  for (const dir of dirs) out = out.split(dir).join('<tmp>');
  return out;
}

/**
 * Pins an inline test patch against an upstream folder the way `repin` would: locates its anchor,
 * writes `<patchesDir>/anchors/<id>.js` and returns the spec with the matching hash. With
 * `anchorSha256` already set, only the anchor text is written (for tests of inconsistent pins).
 */
export function pinInline<T extends NodeType>(
  spec: Omit<PatchSpec<T>, 'anchorSha256'> & { anchorSha256?: string },
  { upstreamDir, patchesDir }: { upstreamDir: string; patchesDir: string },
): PatchSpec {
  const widened = definePatch({ ...spec, anchorSha256: spec.anchorSha256 ?? '' });
  fs.mkdirSync(path.join(patchesDir, 'anchors'), { recursive: true });
  const anchorFile = path.join(patchesDir, 'anchors', `${spec.id}.js`);
  try {
    const taken = takePin(widened, upstreamDir);
    fs.writeFileSync(anchorFile, taken.text);
    return { ...widened, anchorSha256: spec.anchorSha256 ?? taken.pin.sha256 };
  } catch (err) {
    if (!(err instanceof PinError)) throw err;
  }
  // Ambiguous or missing anchors still get an anchor file (from the first match), so their gate can be tested.
  const source = fs.readFileSync(path.join(upstreamDir, spec.file), 'utf8');
  const { ast } = parseFile(source, spec.file, { root: upstreamDir });
  const ctx = { source, ast, file: spec.file, dialect: { sourceType: 'script', syntax: 'js' }, eol: '\n', textOf: () => '', locateText: () => ({ start: 0, end: 0 }) } as const;
  const node = findAll(ast, spec.find.type, (n, ancestors) => spec.find.where(n as never, { ...ctx, ancestors: [...ancestors] }))[0]?.node;
  const text = node ? source.slice(node.start, node.end) : '/* no anchor */';
  fs.writeFileSync(anchorFile, text);
  return { ...widened, anchorSha256: spec.anchorSha256 ?? hashKeys(keysAlone(text)) };
}

/** Copies a folder tree (fixtures to temp). */
export function copyDir(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}
