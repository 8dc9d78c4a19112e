/**
 * Gate 2: the locator matches exactly one node; gate 3: that node's pin (the whole node, or the
 * parts `pin()` names) hashes to the pinned sha256, from the parser's own tokens of the file.
 */
import type * as acorn from 'acorn';
import { patchContext } from './file.js';
import type { FileRun } from './file.js';
import { findAll } from './locate.js';
import { pinFromFile } from './pin.js';
import type { Pin } from './pin.js';
import type { PatchSpec } from './types.js';

export type Located =
  | { kind: 'threw'; error: unknown }
  | { kind: 'none' }
  | { kind: 'many'; matches: Array<{ node: acorn.AnyNode; ancestors: acorn.AnyNode[] }> }
  | { kind: 'one'; node: acorn.AnyNode; ancestors: acorn.AnyNode[] };

export function locate(spec: PatchSpec, run: FileRun): Located {
  let matches: ReturnType<typeof findAll>;
  try {
    matches = findAll(run.ast, spec.find.type, (node, ancestors) => spec.find.where(node as never, patchContext(run, ancestors)));
  } catch (error) {
    return { kind: 'threw', error };
  }
  if (matches.length === 0) return { kind: 'none' };
  if (matches.length > 1) return { kind: 'many', matches: matches.map((m) => ({ node: m.node as acorn.AnyNode, ancestors: m.ancestors })) };
  return { kind: 'one', node: matches[0]!.node as acorn.AnyNode, ancestors: matches[0]!.ancestors };
}

/** The pin of a located node as found in the file now; throws when the spec's pin() throws. */
export function foundPin(spec: PatchSpec, run: FileRun, node: acorn.AnyNode, ancestors: readonly acorn.AnyNode[]): Pin {
  const parts = spec.pin ? spec.pin(node, patchContext(run, ancestors)) : undefined;
  return pinFromFile(run.source, run.tokens, node, parts);
}
