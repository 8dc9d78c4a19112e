// Oversized hook payloads keep their event: long strings are cut and the cut fields are listed
// in `__truncated`, so nothing is silently dropped and the row stays a sane size.

export const MAX_FIELD_CHARS = 64 * 1024;

export function truncateLargeFields(data: Record<string, unknown>, maxChars = MAX_FIELD_CHARS): Record<string, unknown> {
  const cut: string[] = [];
  const visit = (value: unknown, path: string, depth: number): unknown => {
    if (typeof value === 'string') {
      if (value.length <= maxChars) return value;
      cut.push(path);
      return `${value.slice(0, maxChars)}… [truncated ${value.length - maxChars} of ${value.length} chars]`;
    }
    if (depth > 8 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v, i) => visit(v, `${path}[${i}]`, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = visit(v, path ? `${path}.${k}` : k, depth + 1);
    return out;
  };
  const result = visit(data, '', 0) as Record<string, unknown>;
  if (cut.length) result.__truncated = cut;
  return result;
}
