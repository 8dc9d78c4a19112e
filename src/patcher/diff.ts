/**
 * A small LCS line diff for drift messages. Anchors are single AST nodes (tens to a few hundred
 * lines), so the quadratic table is cheap and keeps this dependency-free.
 */

export type DiffLine = { op: ' ' | '-' | '+'; text: string };

/**
 * A located node's text starts mid-line (its first line has no indentation) while its later lines
 * carry the file's indentation. Removing the common indentation of the later lines makes a pinned
 * anchor and a re-indented upstream anchor compare equal line by line.
 */
export function normaliseAnchorText(text: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.replace(/\s+$/, ''));
  let indent = Infinity;
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    indent = Math.min(indent, line.length - line.trimStart().length);
  }
  if (!Number.isFinite(indent)) return lines;
  return lines.map((l, i) => (i === 0 ? l : l.slice(Math.min(indent, l.length - l.trimStart().length))));
}

export function diffLines(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      out.push({ op: '-', text: a[i]! });
      i++;
    } else {
      out.push({ op: '+', text: b[j]! });
      j++;
    }
  }
  while (i < n) out.push({ op: '-', text: a[i++]! });
  while (j < m) out.push({ op: '+', text: b[j++]! });
  return out;
}

/**
 * Renders only the changed lines plus `context` unchanged lines around them; skipped runs become
 * a single "…" line. Returns '' when the texts are equal after normalisation (a token-level
 * change hidden by normalisation is still reported by the hash, just with an empty diff).
 */
export function renderDiff(before: string, after: string, { indent = '    ', context = 2 } = {}): string {
  const lines = diffLines(normaliseAnchorText(before), normaliseAnchorText(after));
  if (!lines.some((l) => l.op !== ' ')) return '';
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, idx) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, idx - context); k <= Math.min(lines.length - 1, idx + context); k++) keep[k] = true;
  });
  const out: string[] = [];
  let skipped = false;
  lines.forEach((l, idx) => {
    if (!keep[idx]) {
      skipped = true;
      return;
    }
    if (skipped) out.push(`${indent}  …`);
    skipped = false;
    out.push(`${indent}${l.op} ${l.text}`.replace(/\s+$/, ''));
  });
  if (skipped) out.push(`${indent}  …`);
  return out.join('\n');
}
