/**
 * `npm run repin -- <patch-id> --upstream <dir> [--patches <dir>]`: after a human has reviewed an
 * upstream change to a patch's anchor, pins the current anchor: rewrites the `anchorSha256`
 * literal in `<patches>/<id>.ts` and the anchor text in `<patches>/anchors/<id>.js`, printing the
 * diff it pins. `--upstream` is required (re-pinning against the wrong snapshot is the mistake
 * to avoid); `--patches` defaults to patches/. A pin whose anchor text does not reproduce the
 * file's tokens is refused, not written (src/patcher/take-pin.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileSync as atomicWriteFileSync } from 'atomically';
import {
  PinError,
  anchorTextPath,
  defaultPatchesDir,
  displayPath,
  loadPatchList,
  parsePin,
  renderDiff,
  runGates,
  specPath,
  takePin,
} from '../src/patcher/index.js';
import type { PatchSpec } from '../src/patcher/index.js';
import { UsageError, parseFolderCli } from './lib/cli.js';
import { isMainModule } from './lib/is-main.js';

const PREFIX = '[monitor-build]';
const HASH_LITERAL = /anchorSha256:\s*(['"])([0-9a-fA-F]*)\1/g;
const USAGE = 'usage: npm run repin -- <patch-id> --upstream <upstream snapshot dir> [--patches <patches dir>]';

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

/** Through `atomically` (temp file, fsync, rename), so an interrupted re-pin never leaves half a spec. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  atomicWriteFileSync(file, text);
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
  let taken: ReturnType<typeof takePin>;
  try {
    taken = takePin(spec, upstreamDir);
  } catch (err) {
    if (!(err instanceof PinError)) throw err;
    throw new RepinError(
      [
        `${PREFIX} cannot re-pin "${id}": ${err.message}`,
        `  file      ${displayPath(upstreamFile)}`,
        `  anchor    ${spec.find.describe}`,
        'Nothing was written. Re-pinning only records what the spec locates; fix the spec first.',
      ].join('\n'),
    );
  }
  const newText = taken.text;
  const newSha256 = taken.pin.sha256;
  const anchorFile = anchorTextPath(patchesDir, id);
  const oldText = fs.existsSync(anchorFile) ? fs.readFileSync(anchorFile, 'utf8') : null;
  const diff = oldText === null ? '' : pinDiff(oldText, taken, (text) => parsePin(text, taken.run.dialect));
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

  const report = [
    `${PREFIX} ${changed ? 're-pinned' : 'pin unchanged for'} "${id}"`,
    `  file      ${displayPath(upstreamFile)}:${taken.at}`,
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

/** Diff of the old anchor text against the new pin, part by part for narrow pins. */
function pinDiff(oldText: string, taken: ReturnType<typeof takePin>, parse: (text: string) => ReturnType<typeof parsePin>): string {
  let old: ReturnType<typeof parsePin> | null = null;
  try {
    old = parse(oldText);
  } catch {
    old = null;
  }
  const line = taken.run.at(taken.node.start).line;
  if (old && old.narrow !== taken.pin.narrow) {
    // Whole node ↔ narrow parts: a line diff of the two formats says nothing; list what is pinned now.
    const parts = taken.pin.parts.map((p, i) => `    ${p.kind === 'text' ? 'text' : 'tokens'} part ${i + 1}${p.label ? ` "${p.label}"` : ''} at ${taken.run.shown}:${p.start !== undefined ? line + taken.run.source.slice(taken.node.start, p.start).split('\n').length - 1 : line}: ${p.text.split('\n')[0]}${p.text.includes('\n') ? ' …' : ''}`);
    return [taken.pin.narrow ? '    (the whole anchor was pinned; now only these parts are)' : '    (only parts were pinned; now the whole anchor is)', ...parts].join('\n');
  }
  if (!old || !old.narrow || !taken.pin.narrow) return renderDiff(oldText, taken.text, { afterLine: line });
  const out: string[] = [];
  const n = Math.max(old.parts.length, taken.pin.parts.length);
  for (let i = 0; i < n; i++) {
    const before = old.parts[i]?.text ?? '';
    const part = taken.pin.parts[i];
    const d = renderDiff(before, part?.text ?? '', { afterLine: part?.start !== undefined ? taken.run.at(part.start).line : line });
    if (d) out.push(`    part ${i + 1}${part?.label ? ` "${part.label}"` : ''}:`, d);
  }
  return out.join('\n');
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let args: ReturnType<typeof parseFolderCli<'upstream' | 'patches'>>;
  try {
    args = parseFolderCli({ argv, usage: USAGE, folders: ['upstream', 'patches'] });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n`);
    return 2;
  }
  const id = args.positional[0];
  const upstream = args.folders.upstream;
  if (!id || args.positional.length > 1 || args.help || !upstream) {
    err(`${USAGE}\n${!upstream && id ? 'The upstream snapshot to pin against must be named: --upstream vendor/agent-monitor for the vendored one.\n' : ''}`);
    return 2;
  }
  const patchesDir = args.folders.patches ?? defaultPatchesDir;
  const result = repinPatch({ id, patches: await loadPatchList(patchesDir), patchesDir, upstreamDir: upstream });
  out(`${result.report}\n`);
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
