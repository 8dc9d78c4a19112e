import type MagicString from 'magic-string';
import type * as acorn from 'acorn';
import type { PinPart, Range } from './pin.js';
import type { Dialect } from './parse.js';

/** ESTree node types acorn's typings know. */
export type EstreeNodeType = acorn.AnyNode['type'];
/**
 * A node of the TypeScript or JSX dialects (parse.ts). acorn's typings do not describe them, so
 * they are typed loosely; their shape is the ESTree shape of @sveltejs/acorn-typescript / acorn-jsx.
 */
export interface DialectNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}
export type NodeType = EstreeNodeType | `JSX${string}` | `TS${string}`;
export type NodeOf<T extends NodeType> = T extends EstreeNodeType ? Extract<acorn.AnyNode, { type: T }> : DialectNode & { type: T };

export interface PatchContext {
  /** The upstream file's ORIGINAL text: CRLF line ends and a BOM are kept; every offset refers to it. */
  source: string;
  ast: acorn.Program;
  /** Path relative to the upstream root, posix separators. */
  file: string;
  /** Ancestors of the node being tested/edited, outermost (Program) first; the node itself is not included. */
  ancestors: acorn.AnyNode[];
  /** How the file was parsed (sourceType, and js/jsx/ts/tsx). */
  dialect: Dialect;
  /** The file's line end, so inserted text can match it. */
  eol: '\n' | '\r\n';
  /** The original text of a node or range (CRLF kept, unlike a template's `value.raw`). */
  textOf: (range: Range) => string;
  /**
   * Original offsets of the one occurrence of `needle` inside `within` (a `\n` in the needle
   * matches `\r\n` too). Throws unless it occurs exactly once. Use it for edits and pins inside
   * strings and templates instead of offsets computed from `value.raw`/`value.cooked`.
   */
  locateText: (needle: string, within?: Range) => Range;
}

export interface PatchSpec<T extends NodeType = NodeType> {
  id: string; // kebab-case, unique
  file: string; // path relative to the upstream root, posix separators, e.g. 'server/routes/hooks.js'
  why: string; // one line
  after?: string[]; // ids of patches that must be applied before this one (must exist; no cycles)
  find: {
    type: T;
    where: (node: NodeOf<T>, ctx: PatchContext) => boolean;
    describe: string; // e.g. "VariableDeclarator processEvent"
  };
  /**
   * Narrow anchor: the parts of the located node the edit depends on (pinNode/pinText from
   * src/patcher/pin.ts). Without it the whole node is pinned. A change outside these parts is not
   * drift; any token (or, for pinText, character) change inside one is.
   */
  pin?: (node: NodeOf<T>, ctx: PatchContext) => PinPart[];
  anchorSha256: string; // pinned hash of the located node (or of its `pin` parts)
  /**
   * Offsets are ORIGINAL source offsets. Use the offset-based MagicString methods only
   * (update/overwrite/remove/appendLeft/appendRight/prependLeft/prependRight/move, plus
   * prepend/append): the engine records them to detect overlaps between patches, and rejects
   * pattern-based ones (replace, replaceAll, indent, trim*, reset) whose ranges it cannot see.
   */
  edit: (s: MagicString, node: NodeOf<T>, ctx: PatchContext) => void;
  /**
   * Optional invariant on the patched output of the file: null = holds; a string says why not.
   * Only for what the marker gate does not already prove (it proves the edit's text landed once):
   * an order between statements, a call that must be gone, a shape the rest of the code needs.
   */
  postGate?: (output: string, outAst: acorn.Program) => string | null;
}

/**
 * Typing helper: checks `where`/`edit` against the concrete node type, then widens the spec so
 * specs of different node types fit in one `PatchSpec[]`. The cast is sound because the engine
 * only ever calls `where`/`edit` with nodes whose `type` equals `find.type`.
 */
export function definePatch<T extends NodeType>(spec: PatchSpec<T>): PatchSpec {
  return spec as unknown as PatchSpec;
}

export type PatchFailureKind =
  | 'anchor-missing'
  | 'ambiguous'
  | 'drifted'
  | 'conflict'
  | 'parse-error'
  | 'post-gate'
  | 'marker'
  | 'order'
  | 'pin-inconsistent'
  | 'file-missing'
  // The patch's own code threw (where/edit), as opposed to the upstream having changed.
  | 'patch-error';

export interface PatchFailure {
  patchId: string;
  file: string;
  kind: PatchFailureKind;
  /** Full multi-line human text, starting with "[monitor-build] ". */
  message: string;
  /** One line, for the check-upstream table. */
  summary?: string;
  /** 1-based line in the upstream file (or, for parse errors, in the patched output). */
  line?: number;
  /** 1-based column, as editors show it. */
  column?: number;
  expectedSha256?: string;
  foundSha256?: string;
  diff?: string;
  /** For conflicts: the other patches whose edits overlap this one. */
  conflictsWith?: string[];
}

export interface AppliedPatch {
  id: string;
  file: string;
  anchorSha256: string;
  /** 1-based location of the anchor in the upstream file. */
  line: number;
  column: number;
}

export type ApplyResult =
  | { ok: true; files: Map<string, string>; applied: AppliedPatch[] }
  | { ok: false; failures: PatchFailure[] };

export interface PatchRunOptions {
  /** Root of the upstream snapshot (e.g. vendor/agent-monitor). */
  upstreamDir: string;
  patches: PatchSpec[];
  /** Folder holding the spec files and `anchors/<id>.js`. */
  patchesDir: string;
}

export type CheckStatus = 'applies' | 'drifted' | 'anchor missing' | 'ambiguous' | 'post-gate failed' | 'conflict' | 'error';

export interface CheckRow {
  id: string;
  file: string;
  status: CheckStatus;
  detail: string;
}
