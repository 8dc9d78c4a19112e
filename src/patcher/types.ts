import type MagicString from 'magic-string';
import type * as acorn from 'acorn';

export type NodeType = acorn.AnyNode['type'];
export type NodeOf<T extends NodeType> = Extract<acorn.AnyNode, { type: T }>;

export interface PatchContext {
  source: string;
  ast: acorn.Program;
  /** Path relative to the upstream root, posix separators. */
  file: string;
  /** Ancestors of the node being tested/edited, outermost (Program) first; the node itself is not included. */
  ancestors: acorn.AnyNode[];
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
  anchorSha256: string; // pinned token-stream hash of the located node
  /**
   * Offsets are ORIGINAL source offsets. Use the offset-based MagicString methods only
   * (update/overwrite/remove/appendLeft/appendRight/prependLeft/prependRight/move, plus
   * prepend/append): the engine records them to detect overlaps between patches, and rejects
   * pattern-based ones (replace, replaceAll, indent, trim*, reset) whose ranges it cannot see.
   */
  edit: (s: MagicString, node: NodeOf<T>, ctx: PatchContext) => void;
  postGate: (output: string, outAst: acorn.Program) => string | null; // null = holds; string = why it does not
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

export type CheckStatus = 'applies' | 'drifted' | 'anchor missing' | 'post-gate failed' | 'conflict' | 'error';

export interface CheckRow {
  id: string;
  file: string;
  status: CheckStatus;
  detail: string;
}
