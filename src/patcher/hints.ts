/**
 * Commands printed as hints. Each must do what it says when pasted: `npm run` runs a script with
 * the package root as its working directory wherever in the repo it is typed, and the scripts
 * resolve their arguments against that directory, so paths inside the repo print relative to
 * the repo root and paths outside it print absolute.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const defaultPatchesDir = path.join(repoRoot, 'patches');
export const defaultUpstreamDir = path.join(repoRoot, 'vendor', 'agent-monitor');

/** A path as an argument of an `npm run` command (relative to the repo root when inside it). */
export function argPath(absolute: string): string {
  const rel = path.relative(repoRoot, path.resolve(absolute));
  const shown = rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(absolute) : rel;
  const posix = shown.split(path.sep).join('/');
  return /^[\w./@+-]+$/.test(posix) ? posix : `'${posix.replace(/'/g, `'\\''`)}'`;
}

export interface HintDirs {
  upstreamDir: string;
  patchesDir: string;
}

const patchesArg = (patchesDir: string): string =>
  path.resolve(patchesDir) === defaultPatchesDir ? '' : ` --patches ${argPath(patchesDir)}`;

export function repinCommand(id: string, { upstreamDir, patchesDir }: HintDirs): string {
  return `npm run repin -- ${id} --upstream ${argPath(upstreamDir)}${patchesArg(patchesDir)}`;
}

export function checkCommand({ upstreamDir, patchesDir }: HintDirs): string {
  return `npm run check-upstream -- ${argPath(upstreamDir)}${patchesArg(patchesDir)}`;
}
