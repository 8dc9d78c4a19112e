// Small AST helpers shared by the patch specs. Edits use original offsets only.
import { findAll as locateAll } from '../../src/patcher/locate.js';
import type * as acorn from 'acorn';
import type { NodeOf, NodeType } from '../../src/patcher/types.js';

/** Every descendant of `root` (itself included) of `type` for which `pred` holds, in source order. */
export function findAll<T extends NodeType>(root: acorn.Node, type: T, pred: (n: NodeOf<T>) => boolean = () => true): NodeOf<T>[] {
  return locateAll(root as acorn.AnyNode, type, (n) => pred(n)).map((m) => m.node);
}

/** Exactly one descendant, or throw: an edit that cannot find its target must not guess. */
export function findOne<T extends NodeType>(root: acorn.Node, type: T, pred: (n: NodeOf<T>) => boolean, what: string): NodeOf<T> {
  const found = findAll(root, type, pred);
  if (found.length !== 1) throw new Error(`expected exactly one ${what} inside the anchor, found ${found.length}`);
  return found[0]!;
}

export function isIdent(node: acorn.Node | null | undefined, name: string): boolean {
  return !!node && node.type === 'Identifier' && (node as acorn.Identifier).name === name;
}

/** `obj.prop` (non-computed), where obj and prop are identifiers. */
export function isMember(node: acorn.Node | null | undefined, obj: string, prop: string): boolean {
  if (!node || node.type !== 'MemberExpression') return false;
  const m = node as acorn.MemberExpression;
  return !m.computed && isIdent(m.object, obj) && isIdent(m.property, prop);
}

/** `a.b.c(...)` callee check, e.g. isCallOf(n, ['stmts', 'insertEvent', 'run']). */
export function isCallOf(node: acorn.Node | null | undefined, path: string[]): boolean {
  if (!node || node.type !== 'CallExpression') return false;
  let callee: acorn.Node = (node as acorn.CallExpression).callee;
  for (let i = path.length - 1; i > 0; i--) {
    if (callee.type !== 'MemberExpression') return false;
    const m = callee as acorn.MemberExpression;
    if (m.computed || !isIdent(m.property, path[i]!)) return false;
    callee = m.object;
  }
  return isIdent(callee, path[0]!);
}

/** A top-level `const <name> = …` (one declarator), e.g. upstream's `const PORT = …`. */
export function topLevelConst(n: acorn.VariableDeclaration, name: string, ctx: { ancestors: readonly acorn.AnyNode[] }): boolean {
  return ctx.ancestors.length === 1 && n.declarations.length === 1 && declares(n.declarations[0]!, name);
}

/** `const <name> = …` declarator. */
export function declares(node: acorn.VariableDeclarator, name: string): boolean {
  return isIdent(node.id, name);
}

export function propertyNamed(obj: acorn.ObjectExpression, name: string): acorn.Property | undefined {
  return obj.properties.find(
    (p): p is acorn.Property => p.type === 'Property' && !p.computed && (isIdent(p.key, name) || (p.key.type === 'Literal' && p.key.value === name)),
  );
}

/** Marker comment every patch leaves in its output; the engine checks it appears exactly once. */
export const marker = (id: string): string => `/* host-patch:${id} */`;

export function contains(output: string, needle: string): string | null {
  return output.includes(needle) ? null : `expected the output to contain ${JSON.stringify(needle)}`;
}
