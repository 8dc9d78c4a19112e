/** One upstream file as the gates see it: original text, parse, positions, and the context patches get. */
import type * as acorn from 'acorn';
import { eolOf, locateText } from './pin.js';
import type { Range } from './pin.js';
import type { Dialect } from './parse.js';
import type { PatchContext } from './types.js';

export type Loc = { line: number; column: number };

export const fmtLoc = (l: Loc): string => `${l.line}:${l.column}`;

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Maps original offsets to 1-based line:column (acorn's own columns are 0-based). */
export function lineIndex(source: string): (offset: number) => Loc {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}

export interface FileRun {
  /** Relative to the upstream root, posix separators. */
  file: string;
  /** As printed in messages. */
  shown: string;
  source: string;
  ast: acorn.Program;
  tokens: acorn.Token[];
  dialect: Dialect;
  at: (offset: number) => Loc;
}

export function patchContext(run: FileRun, ancestors: readonly acorn.AnyNode[]): PatchContext {
  return {
    source: run.source,
    ast: run.ast,
    file: run.file,
    ancestors: [...ancestors],
    dialect: run.dialect,
    eol: eolOf(run.source),
    textOf: (r: Range) => run.source.slice(r.start, r.end),
    locateText: (needle: string, within?: Range) => locateText(run.source, needle, within),
  };
}

/** A few lines of text before a position plus a caret, for parse errors. */
export function excerpt(text: string, loc: Loc): string {
  const lines = text.split('\n');
  const from = Math.max(0, loc.line - 3);
  const width = String(loc.line).length;
  const shown = lines.slice(from, loc.line).map((l, i) => `${String(from + i + 1).padStart(width)} | ${l}`.replace(/\s+$/, ''));
  shown.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, loc.column - 1))}^`);
  return shown.join('\n');
}

/** Counts `host-patch:<id>` occurrences that are not the prefix of a longer id (`host-patch:a` vs `host-patch:a-b`). */
export function countMarker(output: string, id: string): number {
  const marker = `host-patch:${id}`;
  let count = 0;
  for (let at = output.indexOf(marker); at !== -1; at = output.indexOf(marker, at + 1)) {
    const next = output.charAt(at + marker.length);
    if (!/[A-Za-z0-9_-]/.test(next)) count++;
  }
  return count;
}
