/**
 * Gate 4: every edit of a file goes into one MagicString, in original offsets, and no edit
 * overlaps another patch's (edits.ts says what counts as overlapping).
 */
import type * as acorn from 'acorn';
import MagicString, { MagicStringError } from 'magic-string';
import { OverlapSignal, RejectedMethodSignal, recordingProxy } from './edits.js';
import type { Claim, RecordedOp } from './edits.js';
import { errorText, fmtLoc, patchContext } from './file.js';
import type { FileRun } from './file.js';
import { createEditThrewFailure, createMagicStringFailure, createOverlapFailure } from './messages.js';
import type { PatchFailure, PatchSpec } from './types.js';

export interface EditInput {
  spec: PatchSpec;
  node: acorn.AnyNode;
  ancestors: acorn.AnyNode[];
  specFile: string;
}

export interface EditResult {
  current: MagicString;
  /** Recorded operations per patch that edited, for replaying a patch alone. */
  ops: Map<PatchSpec, RecordedOp[]>;
  failures: Map<PatchSpec, PatchFailure>;
}

export function applyEdits(run: FileRun, inputs: readonly EditInput[]): EditResult {
  let current = new MagicString(run.source);
  const claims: Claim[] = [];
  const ops = new Map<PatchSpec, RecordedOp[]>();
  const failures = new Map<PatchSpec, PatchFailure>();
  const range = (c: Claim): string =>
    c.kind === 'range' ? `${fmtLoc(run.at(c.start))}–${fmtLoc(run.at(c.end))} (${c.method})` : `${fmtLoc(run.at(c.start))} (${c.method})`;
  for (const { spec, node, ancestors, specFile } of inputs) {
    const loc = run.at(node.start);
    const at = `${run.shown}:${fmtLoc(loc)}`;
    const others = claims.filter((c) => c.patchId !== spec.id);
    const mine: Claim[] = [];
    const recorded: RecordedOp[] = [];
    // Edit a clone so a patch that fails half-way leaves no partial edit behind for the others' gates.
    const trial = current.clone();
    try {
      spec.edit(recordingProxy(trial, spec.id, others, mine, recorded), node, patchContext(run, ancestors));
    } catch (err) {
      if (err instanceof OverlapSignal) {
        const lostInsert = [err.mine, err.theirs].some((c) => c.method === 'overwrite') && [err.mine, err.theirs].some((c) => c.kind === 'point');
        failures.set(spec, createOverlapFailure({ subject: spec, at, loc, describe: spec.find.describe, mine: range(err.mine), theirs: range(err.theirs), theirId: err.theirs.patchId, lostInsert }));
      } else if (err instanceof MagicStringError) {
        const sameFile = [...new Set(claims.map((c) => c.patchId))].filter((id) => id !== spec.id);
        failures.set(spec, createMagicStringFailure({ subject: spec, at, loc, describe: spec.find.describe, error: errorText(err), others: sameFile }));
      } else {
        failures.set(spec, createEditThrewFailure({ subject: spec, at, loc, describe: spec.find.describe, error: errorText(err), rejected: err instanceof RejectedMethodSignal, specFile }));
      }
      continue;
    }
    current = trial;
    claims.push(...mine);
    ops.set(spec, recorded);
  }
  return { current, ops, failures };
}
