/**
 * Every failure message the engine prints, one named builder per failure (in the style of
 * patch-package's `createPatchApplicationFailureError({...})`): the gates decide, these say it.
 * Each message is a headline, aligned detail fields, and one last line saying what to do next;
 * a command in that line works when pasted (hints.ts).
 */
import { PREFIX, field } from './report.js';
import type { PatchFailure, PatchFailureKind } from './types.js';

export interface Subject {
  id: string;
  file: string;
}

type Loc = { line: number; column: number };
const fmtLoc = (l: Loc): string => `${l.line}:${l.column}`;

function failure(subject: Subject, kind: PatchFailureKind, headline: string, details: string[], next: string, extra: Partial<PatchFailure> = {}): PatchFailure {
  return {
    patchId: subject.id,
    file: subject.file,
    kind,
    summary: extra.summary ?? headline,
    message: [`${PREFIX} patch "${subject.id}" did not apply: ${headline}`, ...details, next].join('\n'),
    ...extra,
  };
}

export function createOrderFailure({ subject, headline, details, next }: { subject: Subject; headline: string; details: string[]; next: string }): PatchFailure {
  return {
    patchId: subject.id,
    file: subject.file,
    kind: 'order',
    summary: headline,
    message: [`${PREFIX} patch "${subject.id}" cannot be ordered: ${headline}`, ...details, next].join('\n'),
  };
}

// --- pin files -------------------------------------------------------------------------------

export function createPinMissingFailure(a: { subject: Subject; anchorFile: string; specFile: string; expected: string; repin: string }): PatchFailure {
  return failure(
    a.subject,
    'pin-inconsistent',
    'pin files inconsistent: the pinned anchor text is missing',
    [field('missing', a.anchorFile), field('pinned', `sha256 ${a.expected} (in ${a.specFile})`)],
    `Re-pin after reviewing the anchor: ${a.repin}`,
    { expectedSha256: a.expected, summary: `${a.anchorFile} missing` },
  );
}

export function createPinUnreadableFailure(a: { subject: Subject; anchorFile: string; error: string; repin: string }): PatchFailure {
  return failure(
    a.subject,
    'pin-inconsistent',
    'pin files inconsistent: the pinned anchor text does not tokenize',
    [field('anchor', a.anchorFile), field('error', a.error)],
    `Re-pin after reviewing the anchor: ${a.repin}`,
    { summary: `${a.anchorFile} does not tokenize` },
  );
}

export function createPinMismatchFailure(a: {
  subject: Subject;
  anchorFile: string;
  specFile: string;
  expected: string;
  textHash: string;
  /** What the located anchor hashes to now, when the locator found it. */
  located?: { at: string; sha256: string };
  repin: string;
}): PatchFailure {
  const located = a.located
    ? [field('upstream', `${a.located.at} hashes to sha256 ${a.located.sha256}${a.located.sha256 === a.expected ? ' (= the pinned hash: only the anchor text is off)' : ''}`)]
    : [];
  return failure(
    a.subject,
    'pin-inconsistent',
    'pin files inconsistent: the anchor text does not hash to the pinned sha256',
    [field('pinned', `sha256 ${a.expected} (in ${a.specFile})`), field('text', `sha256 ${a.textHash} (${a.anchorFile})`), ...located],
    `Both files are written by the re-pin command; re-pin after reviewing the anchor: ${a.repin}`,
    { expectedSha256: a.expected, foundSha256: a.textHash, summary: 'anchor text and pinned hash disagree' },
  );
}

// --- the upstream file -----------------------------------------------------------------------

export function createFileMissingFailure(a: { subject: Subject; shown: string; describe: string; specFile: string }): PatchFailure {
  return failure(
    a.subject,
    'file-missing',
    'the upstream file does not exist',
    [field('file', a.shown), field('anchor', a.describe)],
    `The upstream moved or removed the file. Review the upstream change, then update \`file\` in ${a.specFile}.`,
    { summary: 'file not found' },
  );
}

export function createUpstreamParseFailure(a: { subject: Subject; shown: string; loc?: Loc; error: string }): PatchFailure {
  return failure(
    a.subject,
    'parse-error',
    'the upstream file does not parse',
    [field('file', a.loc ? `${a.shown}:${fmtLoc(a.loc)}` : a.shown), field('error', a.error)],
    'The file is not JavaScript, TypeScript or JSX any of the parsers accept (see docs/upgrading.md, "Parsers"); check that the right upstream folder was given.',
    { summary: `upstream does not parse: ${a.error}`, ...(a.loc ?? {}) },
  );
}

// --- locating --------------------------------------------------------------------------------

export function createLocatorThrewFailure(a: { subject: Subject; shown: string; describe: string; type: string; error: string; specFile: string }): PatchFailure {
  return failure(
    a.subject,
    'patch-error',
    'its locator threw',
    [field('file', a.shown), field('anchor', a.describe), field('error', a.error)],
    `Fix find.where in ${a.specFile}; it must return a boolean for every ${a.type} without throwing.`,
    { summary: `locator threw: ${a.error}` },
  );
}

export interface Candidate {
  at: string;
  similarity: number;
  preview: string;
}

export function createAnchorMissingFailure(a: {
  subject: Subject;
  shown: string;
  describe: string;
  type: string;
  expected: string;
  specFile: string;
  pinnedPreview: string | null;
  candidates: Candidate[];
  repin: string;
}): PatchFailure {
  const closest = a.candidates.length
    ? field('closest', a.candidates.map((c) => `${c.at}  ${Math.round(c.similarity * 100)}% similar  ${c.preview}`).join('\n'))
    : field('closest', `no ${a.type} in this file or its siblings resembles the pinned anchor`);
  return failure(
    a.subject,
    'anchor-missing',
    'upstream no longer has the anchor',
    [
      field('file', a.shown),
      field('anchor', `${a.describe}: 0 matches, expected 1`),
      field('expected', `sha256 ${a.expected} (pinned in ${a.specFile})`),
      ...(a.pinnedPreview !== null ? [field('pinned', a.pinnedPreview)] : []),
      closest,
    ],
    `Review the upstream change, update the locator in ${a.specFile}, then re-pin after review: ${a.repin}`,
    {
      expectedSha256: a.expected,
      summary: `${a.describe}: 0 matches${a.candidates[0] ? `; closest ${a.candidates[0].at} (${Math.round(a.candidates[0].similarity * 100)}%)` : ''}`,
    },
  );
}

export function createAmbiguousFailure(a: {
  subject: Subject;
  shown: string;
  describe: string;
  matches: Array<{ at: string; loc: Loc; preview: string; pinned: boolean }>;
  specFile: string;
}): PatchFailure {
  const list = a.matches.map((m) => `${m.at}  ${m.preview}${m.pinned ? '  ← hashes to the pin' : ''}`).join('\n');
  return failure(
    a.subject,
    'ambiguous',
    `the anchor matches ${a.matches.length} nodes`,
    [field('file', a.shown), field('anchor', `${a.describe}: ${a.matches.length} matches, expected 1`), field('matches', list)],
    `Make the locator in ${a.specFile} more specific (use ctx.ancestors or the node's surroundings) so it matches exactly once.`,
    { summary: `${a.describe}: ${a.matches.length} matches at ${a.matches.map((m) => fmtLoc(m.loc)).join(', ')}`, ...a.matches[0]!.loc },
  );
}

export function createPinThrewFailure(a: { subject: Subject; at: string; describe: string; error: string; specFile: string }): PatchFailure {
  return failure(
    a.subject,
    'patch-error',
    'its pin() threw',
    [field('file', a.at), field('anchor', a.describe), field('error', a.error)],
    `Fix pin() in ${a.specFile}: it must return the parts of the anchor the edit depends on.`,
    { summary: `pin() threw: ${a.error}` },
  );
}

export interface DriftedPart {
  /** "whole anchor" or the part's label. */
  name: string;
  at: string;
  diff: string;
}

export function createDriftedFailure(a: {
  subject: Subject;
  at: string;
  loc: Loc;
  describe: string;
  expected: string;
  found: string;
  specFile: string;
  parts: DriftedPart[];
  repin: string;
}): PatchFailure {
  const diffs: string[] = [];
  for (const p of a.parts) {
    diffs.push(a.parts.length === 1 && p.name === 'whole anchor' ? '  diff (pinned anchor → current):' : `  diff of pinned part "${p.name}" at ${p.at} (pinned → current):`);
    diffs.push(p.diff === '' ? '    (no line differences after normalising indentation; the tokens differ within a line)' : p.diff);
  }
  return failure(
    a.subject,
    'drifted',
    'upstream changed the anchor',
    [field('file', a.at), field('anchor', a.describe), field('expected', `sha256 ${a.expected} (pinned in ${a.specFile})`), field('found', `sha256 ${a.found}`), ...diffs],
    `Review the upstream change, then re-pin after review: ${a.repin}`,
    {
      ...a.loc,
      expectedSha256: a.expected,
      foundSha256: a.found,
      diff: a.parts.map((p) => p.diff).join('\n'),
      summary: `${fmtLoc(a.loc)} expected ${a.expected.slice(0, 12)}… found ${a.found.slice(0, 12)}…${a.parts.length > 1 || a.parts[0]?.name !== 'whole anchor' ? ` (${a.parts.map((p) => `"${p.name}"`).join(', ')} changed)` : ''}`,
    },
  );
}

// --- editing ---------------------------------------------------------------------------------

export function createOverlapFailure(a: { subject: Subject; at: string; loc: Loc; describe: string; mine: string; theirs: string; theirId: string; lostInsert: boolean }): PatchFailure {
  return failure(
    a.subject,
    'conflict',
    `its edit overlaps patch "${a.theirId}"`,
    [field('file', a.at), field('anchor', a.describe), field('range', `${a.mine}, already edited by "${a.theirId}" at ${a.theirs}`)],
    a.lostInsert
      ? 'overwrite() drops text inserted at the ends of its range, so one edit would vanish from the output. Use update() (it keeps such inserts), or make the edits disjoint.'
      : 'Edits use original offsets, so `after` cannot order overlapping edits. Make the two patches edit disjoint ranges, or merge them into one patch.',
    { ...a.loc, conflictsWith: [a.theirId], summary: `overlaps "${a.theirId}" at ${a.mine}` },
  );
}

export function createMagicStringFailure(a: { subject: Subject; at: string; loc: Loc; describe: string; error: string; others: string[] }): PatchFailure {
  return failure(
    a.subject,
    'conflict',
    'magic-string refused its edit',
    [
      field('file', a.at),
      field('anchor', a.describe),
      field('error', a.error),
      field('others', a.others.length ? `already edited this file: ${a.others.map((id) => `"${id}"`).join(', ')}` : 'no other patch edited this file first (the edit overlaps itself)'),
    ],
    'Make the edits of these patches touch disjoint ranges of the original source, or merge them into one patch.',
    { ...a.loc, conflictsWith: a.others, summary: `magic-string: ${a.error}` },
  );
}

export function createEditThrewFailure(a: { subject: Subject; at: string; loc: Loc; describe: string; error: string; rejected: boolean; specFile: string }): PatchFailure {
  return failure(
    a.subject,
    'patch-error',
    a.rejected ? 'its edit used a method the engine cannot check' : 'its edit threw',
    [field('file', a.at), field('anchor', a.describe), field('error', a.error)],
    `Fix the edit in ${a.specFile}.`,
    { ...a.loc, summary: `edit threw: ${a.error}` },
  );
}

// --- the output ------------------------------------------------------------------------------

export function createOutputParseFailure(a: {
  subject: Subject;
  shown: string;
  loc?: Loc;
  alone: boolean;
  describe: string;
  error: string;
  excerpt?: string;
  others: string[];
  dialect: string;
  specFile: string;
}): PatchFailure {
  return failure(
    a.subject,
    'parse-error',
    a.alone ? 'the patched output does not parse' : 'the patched output does not parse (only with all patches of this file combined)',
    [
      field('file', `${a.shown}${a.loc ? `:${fmtLoc(a.loc)}` : ''} (in the output${a.alone ? ` of "${a.subject.id}" alone` : ''})`),
      field('anchor', a.describe),
      field('error', a.error),
      ...(a.excerpt ? [field('output', a.excerpt)] : []),
      ...(!a.alone && a.others.length ? [field('with', a.others.map((id) => `"${id}"`).join(', '))] : []),
    ],
    `Fix the edit in ${a.specFile} so its output is valid ${a.dialect}.`,
    { ...(a.loc ?? {}), summary: `output does not parse: ${a.error}` },
  );
}

export function createPostGateFailure(a: { subject: Subject; at: string; loc: Loc; describe: string; verdict: string; specFile: string }): PatchFailure {
  return failure(
    a.subject,
    'post-gate',
    'its post-gate does not hold on the patched output',
    [field('file', a.at), field('anchor', a.describe), field('gate', a.verdict)],
    `The edit did not produce what the patch promises. Fix the edit or the gate in ${a.specFile}.`,
    { ...a.loc, summary: `post-gate: ${a.verdict}` },
  );
}

export function createMarkerFailure(a: { subject: Subject; shown: string; loc: Loc; describe: string; count: number; specFile: string }): PatchFailure {
  return failure(
    a.subject,
    'marker',
    `marker "host-patch:${a.subject.id}" found ${a.count} times in the output, expected 1`,
    [field('file', a.shown), field('anchor', a.describe)],
    a.count === 0
      ? `The edit in ${a.specFile} must insert the marker once, e.g. as a comment /* host-patch:${a.subject.id} */.`
      : `The marker must appear exactly once; check the edit in ${a.specFile} and whether the upstream snapshot is already patched.`,
    { ...a.loc, summary: `marker found ${a.count} times` },
  );
}
