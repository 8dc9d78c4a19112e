// Oversized or absurdly nested payloads keep their event: long strings are cut, objects and arrays
// nested deeper than MAX_DEPTH are replaced by a note, and every cut field is listed in
// `__truncated`, so nothing is silently dropped and the row stays a sane size (and serializable:
// JSON.stringify recurses, and a value nested ~10,000 deep overflows its stack).

export const MAX_FIELD_CHARS = 64 * 1024;
/** Containers nested deeper than this (counting from the payload's top level) are cut. */
export const MAX_DEPTH = 64;

/** Sets an own enumerable property, even for keys such as `__proto__` (never the prototype). */
function own(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

export function truncateLargeFields(data: Record<string, unknown>, maxChars = MAX_FIELD_CHARS, maxDepth = MAX_DEPTH): Record<string, unknown> {
  const cut: string[] = [];
  const visit = (value: unknown, path: string, depth: number): unknown => {
    if (typeof value === 'string') {
      if (value.length <= maxChars) return value;
      cut.push(path);
      return `${value.slice(0, maxChars)}… [truncated ${value.length - maxChars} of ${value.length} chars]`;
    }
    if (value === null || typeof value !== 'object') return value;
    if (depth >= maxDepth) {
      cut.push(path);
      return `[truncated: nested more than ${maxDepth} levels deep]`;
    }
    if (Array.isArray(value)) return value.map((v, i) => visit(v, `${path}[${i}]`, depth + 1));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) own(out, k, visit((value as Record<string, unknown>)[k], path ? `${path}.${k}` : k, depth + 1));
    return out;
  };
  const result = visit(data, '', 0) as Record<string, unknown>;
  if (cut.length) {
    const earlier = Array.isArray(data.__truncated) ? data.__truncated.filter((p): p is string => typeof p === 'string') : [];
    own(result, '__truncated', [...earlier, ...cut]);
  }
  return result;
}

/** True when truncateLargeFields would cut something (a long string or a container nested too deep). */
function needsCut(value: unknown, maxChars: number, depth: number, maxDepth: number): boolean {
  if (typeof value === 'string') return value.length > maxChars;
  if (value === null || typeof value !== 'object') return false;
  if (depth >= maxDepth) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (needsCut(v, maxChars, depth + 1, maxDepth)) return true;
    return false;
  }
  for (const k in value) {
    if (Object.prototype.hasOwnProperty.call(value, k) && needsCut((value as Record<string, unknown>)[k], maxChars, depth + 1, maxDepth)) return true;
  }
  return false;
}

/**
 * truncateLargeFields without the copy when nothing needs cutting (nearly every payload): the
 * object itself is returned, so the caller must not mutate the result. For the importers, whose
 * per-line copy of every payload was a fifth of an import's time.
 */
export function truncateIfLarge(data: Record<string, unknown>, maxChars = MAX_FIELD_CHARS, maxDepth = MAX_DEPTH): Record<string, unknown> {
  return needsCut(data, maxChars, 0, maxDepth) ? truncateLargeFields(data, maxChars, maxDepth) : data;
}

/**
 * How deep the JSON text nests ({ and [ outside strings), scanning at most until `stopAbove` is
 * exceeded. Cheap enough to run on every small body, where the full walk is skipped.
 */
export function jsonTextDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
