import type * as acorn from 'acorn';
import type { NodeOf, NodeType } from './types.js';

function isNode(value: unknown): value is acorn.AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
    && typeof (value as { start?: unknown }).start === 'number';
}

/**
 * Visits every node under `root` (root included) in source order, with its ancestors (outermost
 * first, the node itself excluded). A generic key walk rather than acorn-walk's per-type base
 * visitors: it cannot miss a child position (e.g. a pattern or a class key) when the locator asks
 * for an unusual node type.
 */
export function walk(root: acorn.AnyNode, visit: (node: acorn.AnyNode, ancestors: readonly acorn.AnyNode[]) => void, ancestors: acorn.AnyNode[] = []): void {
  visit(root, ancestors);
  ancestors.push(root);
  for (const key of Object.keys(root)) {
    if (key === 'loc') continue;
    const value = (root as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) walk(item, visit, ancestors);
    } else if (isNode(value)) {
      walk(value, visit, ancestors);
    }
  }
  ancestors.pop();
}

export interface Match<T extends NodeType> {
  node: NodeOf<T>;
  ancestors: acorn.AnyNode[];
}

/**
 * All nodes of `type` under `root` for which `where` holds, in source order. Exported for patch
 * authors too: an edit that needs a node inside its anchor (say, one call in a function body)
 * can search the anchor with the same semantics the engine uses.
 */
export function findAll<T extends NodeType>(
  root: acorn.AnyNode,
  type: T,
  where: (node: NodeOf<T>, ancestors: readonly acorn.AnyNode[]) => boolean = () => true,
): Array<Match<T>> {
  const found: Array<Match<T>> = [];
  walk(root, (node, ancestors) => {
    if (node.type !== type) return;
    const typed = node as NodeOf<T>;
    if (where(typed, ancestors)) found.push({ node: typed, ancestors: [...ancestors] });
  });
  return found.sort((a, b) => a.node.start - b.node.start);
}

/** Exactly one match or a thrown Error; for patch authors locating sub-nodes inside their anchor. */
export function findOne<T extends NodeType>(
  root: acorn.AnyNode,
  type: T,
  where: (node: NodeOf<T>, ancestors: readonly acorn.AnyNode[]) => boolean = () => true,
): NodeOf<T> {
  const found = findAll(root, type, where);
  if (found.length !== 1) throw new Error(`expected exactly one ${type} inside the anchor, found ${found.length}`);
  return found[0]!.node;
}
