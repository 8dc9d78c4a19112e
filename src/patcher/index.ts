export { applyPatches, checkRows, checkUpstream, countMarker, formatCheckTable, formatFailures, runGates, tokenStreamSha256, anchorTextPath, specPath } from './engine.js';
export type { GateRun, PatchOutcome } from './engine.js';
export { findAll, findOne, walk } from './locate.js';
export { renderDiff, diffLines } from './diff.js';
export { hashTokens, keysAlone, parseWithTokens, tokenKeys } from './tokens.js';
export { parseFile, parserText, declaredSourceType, syntaxOf } from './parse.js';
export type { Dialect, ParsedFile, SourceType, Syntax } from './parse.js';
export { pinNode, pinText, locateText, pinFromFile, parsePin, serialisePin, firstKeyDifference } from './pin.js';
export type { Pin, PinPart, PinnedPart, Range } from './pin.js';
export { argPath, checkCommand, defaultPatchesDir, defaultUpstreamDir, repinCommand, repoRoot } from './hints.js';
export { displayPath } from './report.js';
export { definePatch } from './types.js';
export type {
  AppliedPatch,
  ApplyResult,
  CheckRow,
  CheckStatus,
  NodeOf,
  NodeType,
  PatchContext,
  PatchFailure,
  PatchFailureKind,
  PatchRunOptions,
  PatchSpec,
} from './types.js';
export { loadPatchList } from './load.js';
export { takePin, PinError } from './take-pin.js';
export type { TakenPin } from './take-pin.js';
