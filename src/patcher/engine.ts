import fs from 'node:fs';
import path from 'node:path';
import type * as acorn from 'acorn';
import MagicString, { MagicStringError } from 'magic-string';
import { renderDiff } from './diff.js';
import { findAll } from './locate.js';
import { PREFIX, displayPath, field, formatCheckTable, formatFailures, repinCommand } from './report.js';
import { hashTokens, parseWithTokens, tokenStreamSha256 } from './tokens.js';
import type {
  AppliedPatch,
  ApplyResult,
  CheckRow,
  CheckStatus,
  PatchContext,
  PatchFailure,
  PatchFailureKind,
  PatchRunOptions,
  PatchSpec,
} from './types.js';

export { formatCheckTable, formatFailures, tokenStreamSha256 };

// ---------------------------------------------------------------------------------------------
// Small helpers

type Loc = { line: number; column: number };

/** Maps original offsets to 1-based line:column (acorn's own columns are 0-based). */
function lineIndex(source: string): (offset: number) => Loc {
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

const fmtLoc = (l: Loc): string => `${l.line}:${l.column}`;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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

export function anchorTextPath(patchesDir: string, id: string): string {
  return path.join(patchesDir, 'anchors', `${id}.js`);
}

export function specPath(patchesDir: string, id: string): string {
  return path.join(patchesDir, `${id}.ts`);
}

// ---------------------------------------------------------------------------------------------
// Recording edits, to detect overlaps that magic-string itself accepts silently

/**
 * magic-string only throws when an edit has to split an already edited chunk. Two patches that
 * update the exact same range, or where a later update swallows an earlier one, succeed silently
 * and the first patch's edit is lost. So the engine records every offset-based operation per patch
 * and checks it against the other patches' claims before letting it through.
 */
type Claim = { patchId: string; method: string; kind: 'range' | 'point'; start: number; end: number };
type RecordedOp = { method: string; args: unknown[] };

const RANGE_METHODS = new Set(['update', 'overwrite', 'remove']);
const POINT_METHODS = new Set(['appendLeft', 'appendRight', 'prependLeft', 'prependRight']);
const REJECTED_METHODS = new Set(['replace', 'replaceAll', 'indent', 'trim', 'trimStart', 'trimEnd', 'trimLines', 'reset', 'insert']);
/** Mutating methods with no offsets to check (intro/outro); recorded so a replay reproduces them. */
const FREE_METHODS = new Set(['prepend', 'append']);

class OverlapSignal extends Error {
  constructor(
    readonly mine: Claim,
    readonly theirs: Claim,
  ) {
    super('overlap');
  }
}

class RejectedMethodSignal extends Error {}

function overlaps(a: Claim, b: Claim): boolean {
  if (a.kind === 'range' && b.kind === 'range') return a.start < b.end && b.start < a.end;
  if (a.kind === 'range' && b.kind === 'point') return a.start < b.start && b.start < a.end;
  if (a.kind === 'point' && b.kind === 'range') return b.start < a.start && a.start < b.end;
  return false; // two inserts at one index both survive, in patch order
}

function resolveIndex(index: unknown, length: number): number {
  const n = Number(index);
  return n < 0 ? Math.max(0, n + length) : n;
}

function claimsOf(patchId: string, method: string, args: unknown[], length: number): Claim[] {
  if (RANGE_METHODS.has(method)) {
    return [{ patchId, method, kind: 'range', start: resolveIndex(args[0], length), end: resolveIndex(args[1], length) }];
  }
  if (POINT_METHODS.has(method)) {
    const at = resolveIndex(args[0], length);
    return [{ patchId, method, kind: 'point', start: at, end: at }];
  }
  if (method === 'move') {
    const at = resolveIndex(args[2], length);
    return [
      { patchId, method, kind: 'range', start: resolveIndex(args[0], length), end: resolveIndex(args[1], length) },
      { patchId, method, kind: 'point', start: at, end: at },
    ];
  }
  return [];
}

function recordingProxy(target: MagicString, patchId: string, others: readonly Claim[], mine: Claim[], ops: RecordedOp[]): MagicString {
  const length = target.original.length;
  const proxy: MagicString = new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof prop !== 'string' || typeof value !== 'function') return value;
      if (REJECTED_METHODS.has(prop)) {
        return () => {
          throw new RejectedMethodSignal(
            `MagicString.${prop}() is not allowed in a patch edit: the engine cannot see which original range it touches. Use update/remove/appendLeft/prependRight with node offsets.`,
          );
        };
      }
      const recorded = RANGE_METHODS.has(prop) || POINT_METHODS.has(prop) || prop === 'move' || FREE_METHODS.has(prop);
      if (!recorded) return (value as (...a: unknown[]) => unknown).bind(obj);
      return (...args: unknown[]) => {
        const claims = claimsOf(patchId, prop, args, length);
        for (const claim of claims) {
          const hit = others.find((other) => overlaps(claim, other));
          if (hit) throw new OverlapSignal(claim, hit);
        }
        (value as (...a: unknown[]) => unknown).apply(obj, args);
        mine.push(...claims);
        ops.push({ method: prop, args });
        // Keep chaining (s.update(...).appendLeft(...)) on the proxy, not the raw object.
        return proxy;
      };
    },
  });
  return proxy;
}

function replay(source: string, ops: readonly RecordedOp[]): MagicString {
  const s = new MagicString(source);
  for (const op of ops) (s as unknown as Record<string, (...a: unknown[]) => unknown>)[op.method]!.apply(s, op.args);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Ordering

interface Ordered {
  order: PatchSpec[];
  failures: Array<{ spec: PatchSpec; failure: PatchFailure }>;
}

function orderFailure(spec: PatchSpec, headline: string, details: string[], next: string): { spec: PatchSpec; failure: PatchFailure } {
  return { spec, failure: {
    patchId: spec.id,
    file: spec.file,
    kind: 'order',
    summary: headline,
    message: [`${PREFIX} patch "${spec.id}" cannot be ordered: ${headline}`, ...details, next].join('\n'),
  } };
}

/** Kahn's algorithm, breaking ties by declaration order so the edit order (and the output) is deterministic. */
function orderPatches(patches: readonly PatchSpec[], patchesDir: string): Ordered {
  const failures: Ordered['failures'] = [];
  const byId = new Map<string, PatchSpec>();
  const index = new Map<PatchSpec, number>();
  patches.forEach((p, i) => index.set(p, i));
  const usable: PatchSpec[] = [];
  for (const p of patches) {
    if (byId.has(p.id)) {
      failures.push(
        orderFailure(p, `id "${p.id}" is declared twice`, [field('file', p.file)], `Give each patch a unique id (patch list order: ${patches.map((x) => x.id).join(', ')}).`),
      );
      continue;
    }
    byId.set(p.id, p);
    usable.push(p);
  }
  const deps = new Map<PatchSpec, PatchSpec[]>();
  const bad = new Set<PatchSpec>();
  for (const p of usable) {
    const list: PatchSpec[] = [];
    for (const dep of p.after ?? []) {
      const target = byId.get(dep);
      if (!target) {
        failures.push(
          orderFailure(
            p,
            `after "${dep}" names no known patch`,
            [field('known', [...byId.keys()].join(', '))],
            `Fix the \`after\` list in ${displayPath(specPath(patchesDir, p.id))}.`,
          ),
        );
        bad.add(p);
      } else if (target === p) {
        failures.push(orderFailure(p, `it lists itself in \`after\``, [], `Remove "${p.id}" from its own \`after\` list.`));
        bad.add(p);
      } else list.push(target);
    }
    deps.set(p, list);
  }
  const placed = new Set<PatchSpec>();
  const order: PatchSpec[] = [];
  const pending = usable.filter((p) => !bad.has(p));
  for (;;) {
    const ready = pending.filter((p) => !placed.has(p) && deps.get(p)!.every((d) => placed.has(d) || bad.has(d)));
    if (ready.length === 0) break;
    ready.sort((a, b) => index.get(a)! - index.get(b)!);
    const next = ready[0]!;
    placed.add(next);
    order.push(next);
  }
  const stuck = pending.filter((p) => !placed.has(p));
  for (const p of stuck) {
    const cycle = findCycle(p, deps, new Set(stuck));
    if (cycle) {
      failures.push(
        orderFailure(
          p,
          'its `after` list forms a cycle',
          [field('cycle', cycle.map((c) => c.id).join(' → '))],
          'Break the cycle: one of these patches must not list the other in `after`.',
        ),
      );
    } else {
      const blockers = deps.get(p)!.filter((d) => stuck.includes(d));
      failures.push(
        orderFailure(
          p,
          `it follows ${blockers.map((b) => `"${b.id}"`).join(', ')}, which cannot be ordered`,
          [],
          'Fix the cycle reported for that patch first.',
        ),
      );
    }
  }
  return { order, failures };
}

/** A path p → … → p through `after` edges, or null when p only leads into someone else's cycle. */
function findCycle(start: PatchSpec, deps: Map<PatchSpec, PatchSpec[]>, within: Set<PatchSpec>): PatchSpec[] | null {
  const stack: PatchSpec[] = [];
  const seen = new Set<PatchSpec>();
  const visit = (p: PatchSpec): PatchSpec[] | null => {
    stack.push(p);
    for (const d of deps.get(p) ?? []) {
      if (!within.has(d)) continue;
      if (d === start) return [...stack, start];
      if (seen.has(d)) continue;
      seen.add(d);
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    return null;
  };
  return visit(start);
}

// ---------------------------------------------------------------------------------------------
// The gates

/** What the engine learned about one patch; shared by applyPatches and checkUpstream. */
export interface PatchOutcome {
  spec: PatchSpec;
  failures: PatchFailure[];
  /** Set once the locator matched exactly once. */
  anchor?: { line: number; column: number; start: number; end: number; foundSha256: string };
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
}

function fail(
  outcome: PatchOutcome,
  kind: PatchFailureKind,
  headline: string,
  details: string[],
  next: string,
  extra: Partial<PatchFailure> = {},
): PatchFailure {
  const failure: PatchFailure = {
    patchId: outcome.spec.id,
    file: outcome.spec.file,
    kind,
    summary: extra.summary ?? headline,
    message: [`${PREFIX} patch "${outcome.spec.id}" did not apply: ${headline}`, ...details, next].join('\n'),
    ...extra,
  };
  outcome.failures.push(failure);
  return failure;
}

function readPin(outcome: PatchOutcome, ctx: Ctx): string | null {
  const { spec } = outcome;
  const anchorFile = anchorTextPath(ctx.patchesDir, spec.id);
  const specFile = displayPath(specPath(ctx.patchesDir, spec.id));
  let text: string;
  try {
    text = fs.readFileSync(anchorFile, 'utf8');
  } catch {
    fail(
      outcome,
      'pin-inconsistent',
      'pin files inconsistent: the pinned anchor text is missing',
      [field('missing', displayPath(anchorFile)), field('pinned', `sha256 ${spec.anchorSha256} (in ${specFile})`)],
      `Re-pin after reviewing the anchor: ${repinCommand(spec.id)}`,
      { expectedSha256: spec.anchorSha256, summary: `anchors/${spec.id}.js missing` },
    );
    return null;
  }
  let textHash: string;
  try {
    textHash = tokenStreamSha256(text, 0, text.length);
  } catch (err) {
    fail(
      outcome,
      'pin-inconsistent',
      'pin files inconsistent: the pinned anchor text does not tokenize',
      [field('anchor', displayPath(anchorFile)), field('error', errorText(err))],
      `Re-pin after reviewing the anchor: ${repinCommand(spec.id)}`,
      { summary: `anchors/${spec.id}.js does not tokenize` },
    );
    return null;
  }
  if (textHash !== spec.anchorSha256) {
    fail(
      outcome,
      'pin-inconsistent',
      'pin files inconsistent: the anchor text does not hash to the pinned sha256',
      [
        field('pinned', `sha256 ${spec.anchorSha256} (in ${specFile})`),
        field('text', `sha256 ${textHash} (${displayPath(anchorFile)})`),
      ],
      `Both files are written by the re-pin command; re-pin after reviewing the anchor: ${repinCommand(spec.id)}`,
      { expectedSha256: spec.anchorSha256, foundSha256: textHash, summary: 'anchor text and pinned hash disagree' },
    );
    return null;
  }
  return text;
}

const firstLines = (text: string, n: number): string => {
  const lines = text.split('\n');
  return lines.slice(0, n).join('\n') + (lines.length > n ? '\n…' : '');
};

/** Runs every gate for every patch and collects all failures; writes nothing. */
export function runGates({ upstreamDir, patches, patchesDir }: PatchRunOptions): GateRun {
  const ctx: Ctx = { upstreamDir, patchesDir };
  const outcomes = new Map<PatchSpec, PatchOutcome>(patches.map((p) => [p, { spec: p, failures: [] }]));
  const { order, failures: orderFailures } = orderPatches(patches, patchesDir);
  for (const { spec, failure } of orderFailures) outcomes.get(spec)!.failures.push(failure);
  const pins = new Map<PatchSpec, string>();
  for (const spec of order) {
    const text = readPin(outcomes.get(spec)!, ctx);
    if (text !== null) pins.set(spec, text);
  }

  // Group by file, keeping the topological order inside each file.
  const byFile = new Map<string, PatchSpec[]>();
  for (const spec of order) {
    if (!pins.has(spec)) continue;
    const list = byFile.get(spec.file) ?? [];
    list.push(spec);
    byFile.set(spec.file, list);
  }

  const files = new Map<string, string>();
  for (const [file, specs] of byFile) {
    const output = runFile(file, specs, outcomes, pins, ctx);
    if (output !== null) files.set(file, output);
  }

  const ordered = patches.map((p) => outcomes.get(p)!);
  noteFailedPredecessors(ordered);
  return { outcomes: ordered, failures: ordered.flatMap((o) => o.failures), files, order };
}

function runFile(
  file: string,
  specs: PatchSpec[],
  outcomes: Map<PatchSpec, PatchOutcome>,
  pins: Map<PatchSpec, string>,
  ctx: Ctx,
): string | null {
  const absolute = path.join(ctx.upstreamDir, ...file.split('/'));
  const shown = displayPath(absolute);
  let source: string;
  try {
    source = fs.readFileSync(absolute, 'utf8');
  } catch {
    for (const spec of specs) {
      fail(
        outcomes.get(spec)!,
        'file-missing',
        'the upstream file does not exist',
        [field('file', shown), field('anchor', spec.find.describe)],
        `The upstream moved or removed the file. Review the upstream change, then update \`file\` in ${displayPath(specPath(ctx.patchesDir, spec.id))}.`,
        { summary: 'file not found' },
      );
    }
    return null;
  }
  let parsed: ReturnType<typeof parseWithTokens>;
  try {
    parsed = parseWithTokens(source);
  } catch (err) {
    const loc = (err as { loc?: { line: number; column: number } }).loc;
    for (const spec of specs) {
      fail(
        outcomes.get(spec)!,
        'parse-error',
        'the upstream file does not parse',
        [field('file', loc ? `${shown}:${loc.line}:${loc.column + 1}` : shown), field('error', errorText(err))],
        'The snapshot is not plain script-mode JavaScript; check that the right upstream folder was given.',
        { summary: `upstream does not parse: ${errorText(err)}`, ...(loc ? { line: loc.line, column: loc.column + 1 } : {}) },
      );
    }
    return null;
  }
  const { ast, tokens } = parsed;
  const at = lineIndex(source);

  // Gate 1 + 2: locate exactly once, then compare the token hash with the pin.
  type Located = { spec: PatchSpec; node: acorn.AnyNode; ancestors: acorn.AnyNode[] };
  const located: Located[] = [];
  for (const spec of specs) {
    const outcome = outcomes.get(spec)!;
    const specFile = displayPath(specPath(ctx.patchesDir, spec.id));
    let matches: ReturnType<typeof findAll>;
    try {
      matches = findAll(ast, spec.find.type, (node, ancestors) =>
        spec.find.where(node, { source, ast, file, ancestors: [...ancestors] }),
      );
    } catch (err) {
      fail(
        outcome,
        'patch-error',
        'its locator threw',
        [field('file', shown), field('anchor', spec.find.describe), field('error', errorText(err))],
        `Fix find.where in ${specFile}; it must return a boolean for every ${spec.find.type} without throwing.`,
      );
      continue;
    }
    if (matches.length === 0) {
      fail(
        outcome,
        'anchor-missing',
        'upstream no longer has the anchor',
        [
          field('file', shown),
          field('anchor', `${spec.find.describe}: 0 matches, expected 1`),
          field('expected', `sha256 ${spec.anchorSha256} (pinned in ${specFile})`),
          field('pinned', firstLines(pins.get(spec)!, 3)),
        ],
        `Review the upstream change, update the locator in ${specFile}, then re-pin after review: ${repinCommand(spec.id)}`,
        { expectedSha256: spec.anchorSha256, summary: `${spec.find.describe}: 0 matches` },
      );
      continue;
    }
    if (matches.length > 1) {
      const where = matches.map((m) => fmtLoc(at(m.node.start))).join(', ');
      fail(
        outcome,
        'ambiguous',
        `the anchor matches ${matches.length} nodes`,
        [field('file', shown), field('anchor', `${spec.find.describe}: ${matches.length} matches, expected 1`), field('matches', where)],
        `Make the locator in ${specFile} more specific (use ctx.ancestors or the node's surroundings) so it matches exactly once.`,
        { summary: `${spec.find.describe}: ${matches.length} matches at ${where}`, ...at(matches[0]!.node.start) },
      );
      continue;
    }
    const { node, ancestors } = matches[0]!;
    const loc = at(node.start);
    const found = hashTokens(tokens, node.start, node.end);
    outcome.anchor = { ...loc, start: node.start, end: node.end, foundSha256: found };
    if (found !== spec.anchorSha256) {
      const diff = renderDiff(pins.get(spec)!, source.slice(node.start, node.end));
      fail(
        outcome,
        'drifted',
        'upstream changed the anchor',
        [
          field('file', `${shown}:${fmtLoc(loc)}`),
          field('anchor', spec.find.describe),
          field('expected', `sha256 ${spec.anchorSha256} (pinned in ${specFile})`),
          field('found', `sha256 ${found}`),
          `  diff (pinned anchor → current):`,
          diff === '' ? '    (no line differences after normalising indentation; the tokens differ within a line)' : diff,
        ],
        `Review the upstream change, then re-pin after review: ${repinCommand(spec.id)}`,
        {
          ...loc,
          expectedSha256: spec.anchorSha256,
          foundSha256: found,
          diff,
          summary: `${fmtLoc(loc)} expected ${spec.anchorSha256.slice(0, 12)}… found ${found.slice(0, 12)}…`,
        },
      );
      continue;
    }
    located.push({ spec, node, ancestors });
  }

  // Gate 3: every edit into one MagicString, in original offsets, no overlap between patches.
  let current = new MagicString(source);
  const claims: Claim[] = [];
  const opsOf = new Map<PatchSpec, RecordedOp[]>();
  for (const { spec, node, ancestors } of located) {
    const outcome = outcomes.get(spec)!;
    const specFile = displayPath(specPath(ctx.patchesDir, spec.id));
    const loc = at(node.start);
    const others = claims.filter((c) => c.patchId !== spec.id);
    const mine: Claim[] = [];
    const ops: RecordedOp[] = [];
    // Edit a clone so a patch that fails half-way leaves no partial edit behind for the others' gates.
    const trial = current.clone();
    const pctx: PatchContext = { source, ast, file, ancestors };
    try {
      spec.edit(recordingProxy(trial, spec.id, others, mine, ops), node, pctx);
    } catch (err) {
      const range = (c: Claim) =>
        c.kind === 'range' ? `${fmtLoc(at(c.start))}–${fmtLoc(at(c.end))} (${c.method})` : `${fmtLoc(at(c.start))} (${c.method})`;
      if (err instanceof OverlapSignal) {
        fail(
          outcome,
          'conflict',
          `its edit overlaps patch "${err.theirs.patchId}"`,
          [
            field('file', `${shown}:${fmtLoc(loc)}`),
            field('anchor', spec.find.describe),
            field('range', `${range(err.mine)}, already edited by "${err.theirs.patchId}" at ${range(err.theirs)}`),
          ],
          'Edits use original offsets, so `after` cannot order overlapping edits. Make the two patches edit disjoint ranges, or merge them into one patch.',
          { ...loc, conflictsWith: [err.theirs.patchId], summary: `overlaps "${err.theirs.patchId}" at ${range(err.mine)}` },
        );
      } else if (err instanceof MagicStringError) {
        const sameFile = [...new Set(claims.map((c) => c.patchId))].filter((id) => id !== spec.id);
        fail(
          outcome,
          'conflict',
          'magic-string refused its edit',
          [
            field('file', `${shown}:${fmtLoc(loc)}`),
            field('anchor', spec.find.describe),
            field('error', errorText(err)),
            field('others', sameFile.length ? `already edited this file: ${sameFile.map((id) => `"${id}"`).join(', ')}` : 'no other patch edited this file first (the edit overlaps itself)'),
          ],
          'Make the edits of these patches touch disjoint ranges of the original source, or merge them into one patch.',
          { ...loc, conflictsWith: sameFile, summary: `magic-string: ${errorText(err)}` },
        );
      } else {
        fail(
          outcome,
          'patch-error',
          err instanceof RejectedMethodSignal ? 'its edit used a method the engine cannot check' : 'its edit threw',
          [field('file', `${shown}:${fmtLoc(loc)}`), field('anchor', spec.find.describe), field('error', errorText(err))],
          `Fix the edit in ${specFile}.`,
          { ...loc, summary: `edit threw: ${errorText(err)}` },
        );
      }
      continue;
    }
    current = trial;
    claims.push(...mine);
    opsOf.set(spec, ops);
    outcome.edited = true;
  }

  const edited = located.filter(({ spec }) => outcomes.get(spec)!.edited);
  if (edited.length === 0) return null;
  const output = current.toString();

  // Gate 4: the patched output parses. If it does not, find which patch breaks it on its own.
  let outAst: acorn.Program | null = null;
  try {
    outAst = parseWithTokens(output).ast;
  } catch (err) {
    const culprits = edited.filter(({ spec }) => {
      try {
        parseWithTokens(replay(source, opsOf.get(spec)!).toString());
        return false;
      } catch {
        return true;
      }
    });
    const blamed = culprits.length ? culprits : edited;
    for (const { spec } of blamed) {
      const alone = culprits.length > 0;
      const text = alone ? replay(source, opsOf.get(spec)!).toString() : output;
      let loc: Loc | undefined;
      let message = errorText(err);
      try {
        parseWithTokens(text);
      } catch (inner) {
        const l = (inner as { loc?: { line: number; column: number } }).loc;
        if (l) loc = { line: l.line, column: l.column + 1 };
        // acorn appends its own 0-based "(line:col)"; the 1-based position is printed on the file line.
        message = errorText(inner).replace(/ \(\d+:\d+\)$/, '');
      }
      const others = edited.map((e) => e.spec.id).filter((id) => id !== spec.id);
      fail(
        outcomes.get(spec)!,
        'parse-error',
        alone ? 'the patched output does not parse' : 'the patched output does not parse (only with all patches of this file combined)',
        [
          field('file', `${shown}${loc ? `:${fmtLoc(loc)}` : ''} (in the output${alone ? ` of "${spec.id}" alone` : ''})`),
          field('anchor', spec.find.describe),
          field('error', message),
          ...(loc ? [field('output', excerpt(text, loc))] : []),
          ...(!alone && others.length ? [field('with', others.map((id) => `"${id}"`).join(', '))] : []),
        ],
        `Fix the edit in ${displayPath(specPath(ctx.patchesDir, spec.id))} so its output is valid script-mode JavaScript.`,
        { ...(loc ?? {}), summary: `output does not parse: ${message}` },
      );
    }
  }

  // Gate 5 + 6: post-gates on the combined output, then each marker exactly once.
  for (const { spec, node } of edited) {
    const outcome = outcomes.get(spec)!;
    const specFile = displayPath(specPath(ctx.patchesDir, spec.id));
    const loc = at(node.start);
    if (outAst) {
      let verdict: string | null;
      try {
        verdict = spec.postGate(output, outAst);
      } catch (err) {
        verdict = `post-gate threw: ${errorText(err)}`;
      }
      if (verdict !== null) {
        fail(
          outcome,
          'post-gate',
          'its post-gate does not hold on the patched output',
          [field('file', `${shown}:${fmtLoc(loc)}`), field('anchor', spec.find.describe), field('gate', verdict)],
          `The edit did not produce what the patch promises. Fix the edit or the gate in ${specFile}.`,
          { ...loc, summary: `post-gate: ${verdict}` },
        );
      }
    }
    const count = countMarker(output, spec.id);
    if (count !== 1) {
      fail(
        outcome,
        'marker',
        `marker "host-patch:${spec.id}" found ${count} times in the output, expected 1`,
        [field('file', shown), field('anchor', spec.find.describe)],
        count === 0
          ? `The edit in ${specFile} must insert the marker once, e.g. as a comment /* host-patch:${spec.id} */.`
          : `The marker must appear exactly once; check the edit in ${specFile} and whether the upstream snapshot is already patched.`,
        { ...loc, summary: `marker found ${count} times` },
      );
    }
  }
  return output;
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

/** Two lines of output before the error position plus a caret, for parse errors. */
function excerpt(text: string, loc: Loc): string {
  const lines = text.split('\n');
  const from = Math.max(0, loc.line - 3);
  const width = String(loc.line).length;
  const shown = lines.slice(from, loc.line).map((l, i) => `${String(from + i + 1).padStart(width)} | ${l}`.replace(/\s+$/, ''));
  shown.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, loc.column - 1))}^`);
  return shown.join('\n');
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
  ambiguous: 'anchor missing',
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
  const run = runGates(opts);
  return run.outcomes.map((o) => {
    const first = o.failures[0];
    if (!first) {
      const a = o.anchor!;
      return { id: o.spec.id, file: o.spec.file, status: 'applies', detail: `anchor at ${a.line}:${a.column}, sha256 ${a.foundSha256.slice(0, 12)}…` };
    }
    return {
      id: o.spec.id,
      file: o.spec.file,
      status: STATUS_OF[first.kind],
      detail: o.failures.map((f) => f.summary ?? f.kind).join('; '),
    };
  });
}
