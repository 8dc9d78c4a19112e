/**
 * Taking a pin from an upstream snapshot (what `npm run repin` writes, and what tests use to pin
 * inline patches). The pin is computed from the parser's own tokens of the whole file, then
 * verified: the anchor text it would write must hash to the same sha256 when tokenized on its own,
 * as the pin gate will do on every build. A pin that cannot be verified is not written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as acorn from 'acorn';
import { fmtLoc, lineIndex } from './file.js';
import type { FileRun } from './file.js';
import { foundPin, locate } from './gate-locate.js';
import { parseFile } from './parse.js';
import { firstKeyDifference, parsePin, serialisePin } from './pin.js';
import type { Pin } from './pin.js';
import { displayPath } from './report.js';
import type { PatchSpec } from './types.js';

export interface TakenPin {
  pin: Pin;
  /** What `anchors/<id>.js` must hold. */
  text: string;
  node: acorn.AnyNode;
  run: FileRun;
  /** 1-based position of the anchor, "line:column". */
  at: string;
}

export class PinError extends Error {}

export function takePin(spec: PatchSpec, upstreamDir: string): TakenPin {
  const absolute = path.join(upstreamDir, ...spec.file.split('/'));
  let source: string;
  try {
    source = fs.readFileSync(absolute, 'utf8');
  } catch {
    throw new PinError(`${displayPath(absolute)} does not exist`);
  }
  const parsed = parseFile(source, spec.file, { root: upstreamDir });
  const run: FileRun = { file: spec.file, shown: displayPath(absolute), source, ast: parsed.ast, tokens: parsed.tokens, dialect: parsed.dialect, at: lineIndex(source) };
  const located = locate(spec, run);
  if (located.kind !== 'one') {
    const count = located.kind === 'none' ? 0 : located.kind === 'many' ? located.matches.length : 'no';
    throw new PinError(
      located.kind === 'threw'
        ? `the locator threw: ${located.error instanceof Error ? located.error.message : String(located.error)}`
        : `the locator matches ${count} nodes, expected 1${located.kind === 'many' ? ` (at ${located.matches.map((m) => fmtLoc(run.at(m.node.start))).join(', ')})` : ''}`,
    );
  }
  const pin = foundPin(spec, run, located.node, located.ancestors);
  const text = serialisePin(pin);
  const reread = parsePin(text, run.dialect);
  if (reread.sha256 !== pin.sha256) {
    const diffs = pin.parts.map((p, i) => firstKeyDifference(p.keys, reread.parts[i]?.keys ?? [])).filter(Boolean);
    throw new PinError(
      `the anchor text tokenized on its own does not reproduce the tokens of the file (${diffs[0] ?? 'different parts'}); ` +
        'pin narrower parts with pin() (whole statements or expressions, or pinText for text inside strings and templates)',
    );
  }
  return { pin, text, node: located.node, run, at: fmtLoc(run.at(located.node.start)) };
}
