/**
 * Gates 5–7 on the combined output of a file: it parses (in the dialect the upstream file parsed
 * in; when it does not, the patch that breaks it on its own is blamed), each optional post-gate
 * holds, and each patch's marker appears exactly once.
 */
import type * as acorn from 'acorn';
import { replay } from './edits.js';
import type { RecordedOp } from './edits.js';
import { countMarker, errorText, excerpt, fmtLoc } from './file.js';
import type { FileRun, Loc } from './file.js';
import { createMarkerFailure, createOutputParseFailure, createPostGateFailure } from './messages.js';
import { parseFile } from './parse.js';
import type { PatchFailure, PatchSpec } from './types.js';

export interface Edited {
  spec: PatchSpec;
  node: acorn.AnyNode;
  specFile: string;
}

const DIALECT_NAME = { js: 'JavaScript', jsx: 'JSX', ts: 'TypeScript', tsx: 'TSX' } as const;

export function checkOutput(run: FileRun, output: string, edited: readonly Edited[], ops: Map<PatchSpec, RecordedOp[]>): Map<PatchSpec, PatchFailure[]> {
  const failures = new Map<PatchSpec, PatchFailure[]>();
  const add = (spec: PatchSpec, f: PatchFailure): void => {
    failures.set(spec, [...(failures.get(spec) ?? []), f]);
  };
  const parse = (text: string) => parseFile(text, run.file, { dialect: run.dialect });
  let outAst: acorn.Program | null = null;
  try {
    outAst = parse(output).ast;
  } catch (err) {
    const alone = (spec: PatchSpec): string => replay(run.source, ops.get(spec)!).toString();
    const culprits = edited.filter(({ spec }) => {
      try {
        parse(alone(spec));
        return false;
      } catch {
        return true;
      }
    });
    const blamed = culprits.length ? culprits : edited;
    for (const { spec, specFile } of blamed) {
      const isAlone = culprits.length > 0;
      const text = isAlone ? alone(spec) : output;
      let loc: Loc | undefined;
      let message = errorText(err);
      try {
        parse(text);
      } catch (inner) {
        const l = (inner as { loc?: { line: number; column: number } }).loc;
        if (l) loc = { line: l.line, column: l.column + 1 };
        // acorn appends its own 0-based "(line:col)"; the 1-based position is printed on the file line.
        message = errorText(inner).replace(/ \(\d+:\d+\)$/, '');
      }
      add(
        spec,
        createOutputParseFailure({
          subject: spec,
          shown: run.shown,
          ...(loc ? { loc, excerpt: excerpt(text, loc) } : {}),
          alone: isAlone,
          describe: spec.find.describe,
          error: message,
          others: edited.map((e) => e.spec.id).filter((id) => id !== spec.id),
          dialect: `${run.dialect.sourceType}-mode ${DIALECT_NAME[run.dialect.syntax]}`,
          specFile,
        }),
      );
    }
  }
  for (const { spec, node, specFile } of edited) {
    const loc = run.at(node.start);
    const at = `${run.shown}:${fmtLoc(loc)}`;
    if (outAst && spec.postGate) {
      let verdict: string | null;
      try {
        verdict = spec.postGate(output, outAst);
      } catch (err) {
        verdict = `post-gate threw: ${errorText(err)}`;
      }
      if (verdict !== null) add(spec, createPostGateFailure({ subject: spec, at, loc, describe: spec.find.describe, verdict, specFile }));
    }
    const count = countMarker(output, spec.id);
    if (count !== 1) add(spec, createMarkerFailure({ subject: spec, shown: run.shown, loc, describe: spec.find.describe, count, specFile }));
  }
  return failures;
}
