export { applyPatches, checkUpstream, countMarker, formatCheckTable, formatFailures, runGates, tokenStreamSha256, anchorTextPath, specPath } from './engine.js';
export type { GateRun, PatchOutcome } from './engine.js';
export { findAll, findOne, walk } from './locate.js';
export { renderDiff } from './diff.js';
export { PARSE_OPTIONS, hashTokens, parseWithTokens } from './tokens.js';
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
