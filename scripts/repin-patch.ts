/**
 * `npm run repin -- <patch-id> [--upstream <dir>]`: after a human has reviewed an upstream change
 * to a patch's anchor, pins the current anchor: rewrites the `anchorSha256` literal in
 * `patches/<id>.ts` and the anchor text in `patches/anchors/<id>.js`, printing the diff it pins.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  anchorTextPath,
  displayPath,
  findAll,
  hashTokens,
  loadPatchList,
  parseWithTokens,
  renderDiff,
  runGates,
  specPath,
} from '../src/patcher/index.js';
import type { PatchSpec } from '../src/patcher/index.js';
import { isMainModule } from './lib/is-main.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = '[monitor-build]';
const HASH_LITERAL = /anchorSha256:\s*(['"])([0-9a-fA-F]*)\1/g;

export interface RepinResult {
  id: string;
  /** The hash in the spec file before re-pinning. */
  oldSha256: string;
  newSha256: string;
  changed: boolean;
  /** Line diff pinned anchor text → current anchor text ('' when equal). */
  diff: string;
  specFile: string;
  anchorFile: string;
  /** Whether every gate of this patch holds with the new pin (other patches are not judged). */
  appliesNow: boolean;
  report: string;
}

export class RepinError extends Error {}

/** Writes through a temp file and a rename, so an interrupted re-pin never leaves half a spec. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function repinPatch({
  id,
  patches,
  patchesDir,
  upstreamDir,
}: {
  id: string;
  patches: PatchSpec[];
  patchesDir: string;
  upstreamDir: string;
}): RepinResult {
  const spec = patches.find((p) => p.id === id);
  if (!spec) throw new RepinError(`${PREFIX} no patch "${id}". Known patches: ${patches.map((p) => p.id).join(', ')}`);

  const specFile = specPath(patchesDir, id);
  let specText: string;
  try {
    specText = fs.readFileSync(specFile, 'utf8');
  } catch {
    throw new RepinError(`${PREFIX} cannot re-pin "${id}": ${displayPath(specFile)} does not exist (the spec file must be named after its id)`);
  }
  const literals = [...specText.matchAll(HASH_LITERAL)];
  if (literals.length !== 1) {
    throw new RepinError(
      `${PREFIX} cannot re-pin "${id}": expected one \`anchorSha256: '<hex>'\` literal in ${displayPath(specFile)}, found ${literals.length}`,
    );
  }
  const oldSha256 = literals[0]![2]!;

  const upstreamFile = path.join(upstreamDir, ...spec.file.split('/'));
  let source: string;
  try {
    source = fs.readFileSync(upstreamFile, 'utf8');
  } catch {
    throw new RepinError(`${PREFIX} cannot re-pin "${id}": ${displayPath(upstreamFile)} does not exist`);
  }
  const { ast, tokens } = parseWithTokens(source);
  const matches = findAll(ast, spec.find.type, (node, ancestors) =>
    spec.find.where(node, { source, ast, file: spec.file, ancestors: [...ancestors] }),
  );
  if (matches.length !== 1) {
    throw new RepinError(
      [
        `${PREFIX} cannot re-pin "${id}": the locator matches ${matches.length} nodes, expected 1`,
        `  file      ${displayPath(upstreamFile)}`,
        `  anchor    ${spec.find.describe}`,
        'Re-pinning only records a new hash; fix the locator in the spec first.',
      ].join('\n'),
    );
  }
  const node = matches[0]!.node;
  const newText = source.slice(node.start, node.end);
  const newSha256 = hashTokens(tokens, node.start, node.end);
  const anchorFile = anchorTextPath(patchesDir, id);
  const oldText = fs.existsSync(anchorFile) ? fs.readFileSync(anchorFile, 'utf8') : null;
  const diff = oldText === null ? '' : renderDiff(oldText, newText);
  const changed = newSha256 !== oldSha256 || oldText !== newText;

  if (changed) {
    const literal = literals[0]!;
    const quote = literal[1]!;
    const at = literal.index;
    const replaced = `anchorSha256: ${quote}${newSha256}${quote}`;
    writeAtomic(specFile, specText.slice(0, at) + replaced + specText.slice(at + literal[0].length));
    writeAtomic(anchorFile, newText);
  }

  // Judge the patch alone with the new pin: does its whole gate chain hold now?
  const run = runGates({ upstreamDir, patchesDir, patches: patches.map((p) => (p.id === id ? { ...p, anchorSha256: newSha256 } : p)) });
  const outcome = run.outcomes.find((o) => o.spec.id === id)!;
  const appliesNow = outcome.failures.length === 0;

  const line = source.slice(0, node.start).split('\n');
  const report = [
    `${PREFIX} ${changed ? 're-pinned' : 'pin unchanged for'} "${id}"`,
    `  file      ${displayPath(upstreamFile)}:${line.length}:${line[line.length - 1]!.length + 1}`,
    `  anchor    ${spec.find.describe}`,
    `  old       sha256 ${oldSha256}`,
    `  new       sha256 ${newSha256}`,
    ...(oldText === null
      ? ['  diff      (no previous anchor text)']
      : diff === ''
        ? ['  diff      (no line differences)']
        : ['  diff (pinned anchor → current):', diff]),
    appliesNow
      ? `  gates     all gates of "${id}" hold with the new pin`
      : `  gates     still failing: ${outcome.failures.map((f) => f.summary ?? f.kind).join('; ')}`,
    changed
      ? `Wrote ${displayPath(specFile)} and ${displayPath(anchorFile)}. Check that the edit still fits the new anchor, then rerun the build.`
      : 'Nothing to write.',
  ].join('\n');
  return { id, oldSha256, newSha256, changed, diff, specFile, anchorFile, appliesNow, report };
}

async function main(argv: string[]): Promise<number> {
  let upstream = path.join(repoRoot, 'vendor', 'agent-monitor');
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--upstream') {
      const v = argv[++i];
      if (!v) throw new RepinError('--upstream needs a directory');
      upstream = path.resolve(v);
    } else if (a.startsWith('--upstream=')) upstream = path.resolve(a.slice('--upstream='.length));
    else positional.push(a);
  }
  const id = positional[0];
  if (!id || positional.length > 1) {
    process.stderr.write('usage: npm run repin -- <patch-id> [--upstream <dir>]\n');
    return 2;
  }
  const patchesDir = path.join(repoRoot, 'patches');
  const result = repinPatch({ id, patches: await loadPatchList(patchesDir), patchesDir, upstreamDir: upstream });
  process.stdout.write(`${result.report}\n`);
  return result.appliesNow ? 0 : 1;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
