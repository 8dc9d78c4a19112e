/**
 * "Anchor missing" suggestions: the nodes of the locator's type that look most like the pinned
 * anchor, in the patch's file and in its sibling files (same folder, any parsable extension), so
 * a rename or a move to a neighbouring file shows up as a candidate to review.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as acorn from 'acorn';
import { walk } from './locate.js';
import { parseFile } from './parse.js';
import { tokenKeys } from './tokens.js';
import type { TokenKey } from './tokens.js';

export interface Suggestion {
  file: string;
  start: number;
  line: number;
  column: number;
  similarity: number;
  preview: string;
}

const SOURCE_EXT = /\.(?:[cm]?[jt]s|[jt]sx)$/i;

function bag(keys: readonly TokenKey[]): Map<TokenKey, number> {
  const m = new Map<TokenKey, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/**
 * Similarity of a candidate to the pin: for a whole-node pin, Dice's coefficient over token
 * multisets; for a narrow pin (the pinned parts are a subset of the node), the share of pinned
 * tokens the candidate contains.
 */
function similarity(pinned: Map<TokenKey, number>, pinnedSize: number, keys: readonly TokenKey[], narrow: boolean): number {
  if (pinnedSize === 0 || keys.length === 0) return 0;
  let common = 0;
  const seen = new Map<TokenKey, number>();
  for (const k of keys) {
    const used = seen.get(k) ?? 0;
    if (used < (pinned.get(k) ?? 0)) common++;
    seen.set(k, used + 1);
  }
  return narrow ? common / pinnedSize : (2 * common) / (pinnedSize + keys.length);
}

export function preview(text: string, width = 70): string {
  const line = text.split(/\r?\n/, 1)[0]!.trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

function lineCol(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

/**
 * Up to `limit` nodes of `type` most similar to the pinned tokens, best first, at least
 * `threshold` similar. `ownFile` is already parsed; siblings are parsed here (unparsable ones are
 * skipped: a suggestion is a courtesy, not a gate).
 */
export function suggestCandidates(a: {
  upstreamDir: string;
  file: string;
  own: { source: string; ast: acorn.Program; tokens: acorn.Token[] } | null;
  type: string;
  pinnedKeys: readonly TokenKey[];
  narrow: boolean;
  limit?: number;
  threshold?: number;
}): Suggestion[] {
  const pinned = bag(a.pinnedKeys);
  const size = a.pinnedKeys.length;
  const out: Suggestion[] = [];
  const scan = (file: string, source: string, ast: acorn.Program, tokens: acorn.Token[]): void => {
    walk(ast, (node) => {
      if (node.type !== a.type) return;
      const keys = tokenKeys(tokens, source, node.start, node.end);
      // Cheap bounds first: a node far larger or smaller than the pin cannot be close.
      if (!a.narrow && (keys.length > size * 4 || keys.length * 4 < size)) return;
      const s = similarity(pinned, size, keys, a.narrow);
      if (s >= (a.threshold ?? 0.5)) out.push({ file, start: node.start, ...lineCol(source, node.start), similarity: s, preview: preview(source.slice(node.start, node.end)) });
    });
  };
  if (a.own) scan(a.file, a.own.source, a.own.ast, a.own.tokens);
  const dir = path.posix.dirname(a.file);
  let siblings: string[] = [];
  try {
    siblings = fs.readdirSync(path.join(a.upstreamDir, ...dir.split('/'))).filter((f) => SOURCE_EXT.test(f)).sort();
  } catch {
    siblings = [];
  }
  for (const name of siblings) {
    const rel = dir === '.' ? name : `${dir}/${name}`;
    if (rel === a.file) continue;
    try {
      const source = fs.readFileSync(path.join(a.upstreamDir, ...rel.split('/')), 'utf8');
      const { ast, tokens } = parseFile(source, rel, { root: a.upstreamDir });
      scan(rel, source, ast, tokens);
    } catch {
      // not parsable: no suggestions from it
    }
  }
  // Best first; ties: the patch's own file, then source order.
  out.sort((x, y) => y.similarity - x.similarity || Number(y.file === a.file) - Number(x.file === a.file) || x.file.localeCompare(y.file) || x.start - y.start);
  return out.slice(0, a.limit ?? 3);
}
