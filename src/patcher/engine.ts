/**
 * The patch engine: runs every gate for every patch and collects all failures; writes nothing.
 *
 *   order (order.ts) → per file: read + parse (parse.ts) → pin files agree (gate-pin.ts) and,
 *   independently, the locator matches once and the pin still hashes the same (gate-locate.ts) →
 *   edits without overlap (gate-edit.ts) → output parses, post-gates, markers (gate-output.ts).
 *
 * Messages come from the named builders in messages.ts; command hints from hints.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderDiff } from './diff.js';
import { errorText, fmtLoc, lineIndex } from './file.js';
import type { FileRun } from './file.js';
import { applyEdits } from './gate-edit.js';
import type { EditInput } from './gate-edit.js';
import { checkOutput } from './gate-output.js';
import { foundPin, locate } from './gate-locate.js';
import { readPin } from './gate-pin.js';
import type { PinRead } from './gate-pin.js';
import { repinCommand } from './hints.js';
import type { HintDirs } from './hints.js';
import {
  createAmbiguousFailure,
  createAnchorMissingFailure,
  createDriftedFailure,
  createFileMissingFailure,
  createLocatorThrewFailure,
  createPinMismatchFailure,
  createPinMissingFailure,
  createPinThrewFailure,
  createPinUnreadableFailure,
  createUpstreamParseFailure,
} from './messages.js';
import type { DriftedPart } from './messages.js';
import { orderPatches } from './order.js';
import { parseFile, syntaxOf } from './parse.js';
import type { Dialect } from './parse.js';
import { anchorTextPath, specPath } from './paths.js';
import type { Pin } from './pin.js';
import { displayPath, field, formatCheckTable, formatFailures } from './report.js';
import { preview, suggestCandidates } from './suggest.js';
import { tokenStreamSha256 } from './tokens.js';
import type { AppliedPatch, ApplyResult, CheckRow, CheckStatus, PatchFailure, PatchFailureKind, PatchRunOptions, PatchSpec } from './types.js';

export { formatCheckTable, formatFailures, tokenStreamSha256 };
export { countMarker } from './file.js';
export { anchorTextPath, specPath } from './paths.js';

/** What the engine learned about one patch; shared by applyPatches and checkUpstream. */
export interface PatchOutcome {
  spec: PatchSpec;
  failures: PatchFailure[];
  /** Set once the locator matched exactly once and the pin could be computed. */
  anchor?: { line: number; column: number; start: number; end: number; foundSha256: string; pin: Pin };
  /** Set once the edit went through. */
  edited?: boolean;
}

export interface GateRun {
  /** Topological order the edits were applied in (patches that could not be ordered are left out). */
  order: PatchSpec[];
  outcomes: PatchOutcome[];
  failures: PatchFailure[];
  files: Map<string, string>;
}

interface Ctx {
  upstreamDir: string;
  patchesDir: string;
  hints: HintDirs;
}

/** Runs every gate for every patch and collects all failures; writes nothing. */
export function runGates({ upstreamDir, patches, patchesDir }: PatchRunOptions): GateRun {
  const ctx: Ctx = { upstreamDir, patchesDir, hints: { upstreamDir, patchesDir } };
  const outcomes = new Map<PatchSpec, PatchOutcome>(patches.map((p) => [p, { spec: p, failures: [] }]));
  const { order, failures: orderFailures } = orderPatches(patches, patchesDir);
  for (const { spec, failure } of orderFailures) outcomes.get(spec)!.failures.push(failure);

  // Group by file, keeping the topological order inside each file.
  const byFile = new Map<string, PatchSpec[]>();
  for (const spec of order) byFile.set(spec.file, [...(byFile.get(spec.file) ?? []), spec]);

  const files = new Map<string, string>();
  for (const [file, specs] of byFile) {
    const output = runFile(file, specs, outcomes, ctx);
    if (output !== null) files.set(file, output);
  }

  const ordered = patches.map((p) => outcomes.get(p)!);
  noteFailedPredecessors(ordered);
  return { outcomes: ordered, failures: ordered.flatMap((o) => o.failures), files, order };
}

/** Reports a pin that could not be read or does not agree with its spec (the locator still ran). */
function pinFailure(spec: PatchSpec, read: PinRead, ctx: Ctx, located?: { at: string; sha256: string }): PatchFailure | null {
  if (read.ok) return null;
  const subject = spec;
  const repin = repinCommand(spec.id, ctx.hints);
  const anchorFile = displayPath(anchorTextPath(ctx.patchesDir, spec.id));
  const specFile = displayPath(specPath(ctx.patchesDir, spec.id));
  if (read.problem === 'missing') return createPinMissingFailure({ subject, anchorFile, specFile, expected: spec.anchorSha256, repin });
  if (read.problem === 'unreadable') return createPinUnreadableFailure({ subject, anchorFile, error: read.error, repin });
  return createPinMismatchFailure({ subject, anchorFile, specFile, expected: spec.anchorSha256, textHash: read.pin.sha256, ...(located ? { located } : {}), repin });
}

const firstLines = (text: string, n: number): string => {
  const lines = text.split('\n');
  return lines.slice(0, n).join('\n') + (lines.length > n ? '\n…' : '');
};

function runFile(file: string, specs: PatchSpec[], outcomes: Map<PatchSpec, PatchOutcome>, ctx: Ctx): string | null {
  const absolute = path.join(ctx.upstreamDir, ...file.split('/'));
  const shown = displayPath(absolute);
  const specFileOf = (spec: PatchSpec): string => displayPath(specPath(ctx.patchesDir, spec.id));
  const push = (spec: PatchSpec, f: PatchFailure | null): void => {
    if (f) outcomes.get(spec)!.failures.push(f);
  };

  // Without a parse, pins are still checked, in the dialect the file name implies.
  const pinsOnly = (dialect: Dialect): void => {
    for (const spec of specs) push(spec, pinFailure(spec, readPin(spec, ctx.patchesDir, dialect), ctx));
  };
  let source: string;
  try {
    source = fs.readFileSync(absolute, 'utf8');
  } catch {
    pinsOnly({ sourceType: 'script', syntax: syntaxOf(file) });
    for (const spec of specs) push(spec, createFileMissingFailure({ subject: spec, shown, describe: spec.find.describe, specFile: specFileOf(spec) }));
    return null;
  }
  let run: FileRun;
  try {
    const parsed = parseFile(source, file, { root: ctx.upstreamDir });
    run = { file, shown, source, ast: parsed.ast, tokens: parsed.tokens, dialect: parsed.dialect, at: lineIndex(source) };
  } catch (err) {
    const l = (err as { loc?: { line: number; column: number } }).loc;
    pinsOnly({ sourceType: 'script', syntax: syntaxOf(file) });
    for (const spec of specs) {
      push(spec, createUpstreamParseFailure({ subject: spec, shown, ...(l ? { loc: { line: l.line, column: l.column + 1 } } : {}), error: errorText(err).replace(/ \(\d+:\d+\)$/, '') }));
    }
    return null;
  }

  const toEdit: EditInput[] = [];
  for (const spec of specs) {
    const input = judgeAnchor(spec, run, outcomes.get(spec)!, ctx);
    if (input) toEdit.push(input);
  }

  const { current, ops, failures: editFailures } = applyEdits(run, toEdit);
  for (const [spec, f] of editFailures) push(spec, f);
  const edited = toEdit.filter(({ spec }) => ops.has(spec));
  for (const { spec } of edited) outcomes.get(spec)!.edited = true;
  if (edited.length === 0) return null;
  const output = current.toString();
  for (const [spec, list] of checkOutput(run, output, edited, ops)) for (const f of list) push(spec, f);
  return output;
}

/**
 * Gates 1–3 for one patch: pin files, locator, pin comparison. Records failures (and the anchor,
 * once located) on `outcome`; returns what the edit gate needs when all three hold.
 */
function judgeAnchor(spec: PatchSpec, run: FileRun, outcome: PatchOutcome, ctx: Ctx): EditInput | null {
  const { file, shown, source } = run;
  const add = (f: PatchFailure | null): void => {
    if (f) outcome.failures.push(f);
  };
  const specFile = displayPath(specPath(ctx.patchesDir, spec.id));
  const repin = repinCommand(spec.id, ctx.hints);
  const read = readPin(spec, ctx.patchesDir, run.dialect);
  const pinned = read.ok ? read.pin : read.problem === 'mismatch' ? read.pin : null;
  const located = locate(spec, run);

  if (located.kind === 'threw') {
    add(pinFailure(spec, read, ctx));
    add(createLocatorThrewFailure({ subject: spec, shown, describe: spec.find.describe, type: spec.find.type, error: errorText(located.error), specFile }));
    return null;
  }
  if (located.kind === 'none') {
    add(pinFailure(spec, read, ctx));
    const candidates = pinned
      ? suggestCandidates({ upstreamDir: ctx.upstreamDir, file, own: run, type: spec.find.type, pinnedKeys: pinned.parts.flatMap((p) => p.keys), narrow: pinned.narrow })
      : [];
    add(
      createAnchorMissingFailure({
        subject: spec,
        shown,
        describe: spec.find.describe,
        type: spec.find.type,
        expected: spec.anchorSha256,
        specFile,
        pinnedPreview: read.ok || read.problem === 'mismatch' ? firstLines(read.text, 3) : null,
        candidates: candidates.map((c) => ({
          at: `${displayPath(path.join(ctx.upstreamDir, ...c.file.split('/')))}:${c.line}:${c.column}`,
          similarity: c.similarity,
          preview: c.preview,
        })),
        repin,
      }),
    );
    return null;
  }
  if (located.kind === 'many') {
    add(pinFailure(spec, read, ctx));
    const matches = located.matches.map(({ node, ancestors }) => {
      let pinnedHere = false;
      try {
        pinnedHere = foundPin(spec, run, node, ancestors).sha256 === spec.anchorSha256;
      } catch {
        pinnedHere = false;
      }
      const loc = run.at(node.start);
      return { at: `${shown}:${fmtLoc(loc)}`, loc, preview: preview(source.slice(node.start, node.end)), pinned: pinnedHere };
    });
    add(createAmbiguousFailure({ subject: spec, shown, describe: spec.find.describe, matches, specFile }));
    return null;
  }

  const { node, ancestors } = located;
  const loc = run.at(node.start);
  const at = `${shown}:${fmtLoc(loc)}`;
  let found: Pin;
  try {
    found = foundPin(spec, run, node, ancestors);
  } catch (err) {
    add(pinFailure(spec, read, ctx));
    add(createPinThrewFailure({ subject: spec, at, describe: spec.find.describe, error: errorText(err), specFile }));
    return null;
  }
  outcome.anchor = { ...loc, start: node.start, end: node.end, foundSha256: found.sha256, pin: found };
  if (!read.ok) {
    add(pinFailure(spec, read, ctx, { at, sha256: found.sha256 }));
    return null;
  }
  if (found.sha256 !== spec.anchorSha256) {
    add(
      createDriftedFailure({
        subject: spec,
        at,
        loc,
        describe: spec.find.describe,
        expected: spec.anchorSha256,
        found: found.sha256,
        specFile,
        parts: driftedParts(read.pin, found, run, loc.line),
        repin,
      }),
    );
    return null;
  }
  return { spec, node, ancestors, specFile };
}

/** The pinned parts whose tokens (or text) differ now, each with a diff carrying upstream line numbers. */
function driftedParts(pinned: Pin, found: Pin, run: FileRun, nodeLine: number): DriftedPart[] {
  if (!found.narrow || !pinned.narrow) {
    const before = pinned.parts.map((p) => p.text).join('\n');
    const after = found.parts.map((p) => p.text).join('\n');
    return [{ name: 'whole anchor', at: `${run.shown}:${nodeLine}`, diff: renderDiff(before, after, { afterLine: nodeLine }) }];
  }
  const out: DriftedPart[] = [];
  const n = Math.max(pinned.parts.length, found.parts.length);
  for (let i = 0; i < n; i++) {
    const p = pinned.parts[i];
    const f = found.parts[i];
    if (p && f && p.kind === f.kind && p.keys.join('\n') === f.keys.join('\n')) continue;
    const name = f?.label ?? p?.label ?? `part ${i + 1} (${(f ?? p)!.kind})`;
    const line = f?.start !== undefined ? run.at(f.start).line : nodeLine;
    out.push({
      name,
      at: `${run.shown}:${f?.start !== undefined ? fmtLoc(run.at(f.start)) : line}`,
      diff: renderDiff(p?.text ?? '', f?.text ?? '', { afterLine: line }),
    });
  }
  return out;
}

/**
 * A patch that follows a failed patch often fails its output gates only because its predecessor's
 * edit is missing. Say so, so the reader fixes the root cause first. Done after all files ran,
 * because the predecessor may live in a file processed later.
 */
function noteFailedPredecessors(outcomes: readonly PatchOutcome[]): void {
  const failed = new Set(outcomes.filter((o) => o.failures.length > 0).map((o) => o.spec.id));
  for (const o of outcomes) {
    const deps = (o.spec.after ?? []).filter((id) => failed.has(id) && id !== o.spec.id);
    if (deps.length === 0) continue;
    const note = field('note', `it follows ${deps.map((id) => `"${id}"`).join(', ')}, which also failed; fix that first`);
    for (const f of o.failures) {
      if (f.kind !== 'post-gate' && f.kind !== 'marker' && f.kind !== 'parse-error') continue;
      const lines = f.message.split('\n');
      lines.splice(lines.length - 1, 0, note);
      f.message = lines.join('\n');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/** Runs all gates in memory. On success returns the patched text of every patched file; writes nothing either way. */
export function applyPatches(opts: PatchRunOptions): ApplyResult {
  const run = runGates(opts);
  if (run.failures.length > 0) return { ok: false, failures: run.failures };
  const applied: AppliedPatch[] = [];
  // Report in topological order: the order the edits were applied.
  for (const spec of run.order) {
    const o = run.outcomes.find((x) => x.spec === spec)!;
    applied.push({ id: spec.id, file: spec.file, anchorSha256: spec.anchorSha256, line: o.anchor!.line, column: o.anchor!.column });
  }
  return { ok: true, files: run.files, applied };
}

const STATUS_OF: Record<PatchFailureKind, CheckStatus> = {
  drifted: 'drifted',
  'anchor-missing': 'anchor missing',
  ambiguous: 'ambiguous',
  'post-gate': 'post-gate failed',
  marker: 'post-gate failed',
  'parse-error': 'post-gate failed',
  conflict: 'conflict',
  order: 'error',
  'pin-inconsistent': 'error',
  'file-missing': 'error',
  'patch-error': 'error',
};

/** One row per patch (declaration order): does it still apply to the snapshot in upstreamDir? */
export function checkUpstream(opts: PatchRunOptions): CheckRow[] {
  return checkRows(runGates(opts));
}

/** The check-upstream rows of a gate run. */
export function checkRows(run: GateRun): CheckRow[] {
  return run.outcomes.map((o) => {
    if (o.failures.length === 0) {
      const a = o.anchor!;
      return { id: o.spec.id, file: o.spec.file, status: 'applies', detail: `anchor at ${a.line}:${a.column}, sha256 ${a.foundSha256.slice(0, 12)}…` };
    }
    // A bad pin is reported with the locator's verdict; the locator's is the more telling status.
    const lead = o.failures.find((f) => f.kind !== 'pin-inconsistent') ?? o.failures[0]!;
    return { id: o.spec.id, file: o.spec.file, status: STATUS_OF[lead.kind], detail: o.failures.map((f) => f.summary ?? f.kind).join('; ') };
  });
}
