/**
 * Recording edits, to detect overlaps that magic-string itself accepts silently.
 *
 * magic-string only throws when an edit has to split an already edited chunk. Two patches that
 * update the exact same range, or where a later update swallows an earlier one, succeed silently
 * and the first patch's edit is lost. `overwrite` also drops text another patch inserted at the
 * ends of its range earlier (`prependRight(n.start)` followed by `overwrite(n.start, …)` loses the
 * insert); `update` keeps such inserts. So the engine records every offset-based operation per
 * patch and checks it against the other patches' claims before letting it through.
 */
import MagicString from 'magic-string';

export type Claim = { patchId: string; method: string; kind: 'range' | 'point'; start: number; end: number };
export type RecordedOp = { method: string; args: unknown[] };

const RANGE_METHODS = new Set(['update', 'overwrite', 'remove']);
const POINT_METHODS = new Set(['appendLeft', 'appendRight', 'prependLeft', 'prependRight']);
const REJECTED_METHODS = new Set(['replace', 'replaceAll', 'indent', 'trim', 'trimStart', 'trimEnd', 'trimLines', 'reset', 'insert']);
/** Mutating methods with no offsets to check (intro/outro); recorded so a replay reproduces them. */
const FREE_METHODS = new Set(['prepend', 'append']);

export class OverlapSignal extends Error {
  constructor(
    readonly mine: Claim,
    readonly theirs: Claim,
  ) {
    super('overlap');
  }
}

export class RejectedMethodSignal extends Error {}

/** A point insert and a range: inside it always overlaps; at its ends only when `overwrite` would drop it. */
function pointInRange(point: Claim, range: Claim): boolean {
  if (range.method === 'overwrite') return range.start <= point.start && point.start <= range.end;
  return range.start < point.start && point.start < range.end;
}

export function overlaps(a: Claim, b: Claim): boolean {
  if (a.kind === 'range' && b.kind === 'range') return a.start < b.end && b.start < a.end;
  if (a.kind === 'range' && b.kind === 'point') return pointInRange(b, a);
  if (a.kind === 'point' && b.kind === 'range') return pointInRange(a, b);
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

export function recordingProxy(target: MagicString, patchId: string, others: readonly Claim[], mine: Claim[], ops: RecordedOp[]): MagicString {
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

export function replay(source: string, ops: readonly RecordedOp[]): MagicString {
  const s = new MagicString(source);
  for (const op of ops) (s as unknown as Record<string, (...a: unknown[]) => unknown>)[op.method]!.apply(s, op.args);
  return s;
}
