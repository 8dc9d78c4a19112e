/**
 * Line diffs for drift messages: Myers' O((N+M)·D) algorithm after trimming the common prefix and
 * suffix, with a cap on D, so a 4,000-line anchor with a one-line change costs a few thousand
 * steps (the old LCS table was N×M cells), and a wholesale rewrite costs a bounded amount of work.
 */

export type DiffLine = { op: ' ' | '-' | '+'; text: string };

/** Above this many differing lines the middle is reported as one replaced block (bounded work). */
export const MAX_EDIT_DISTANCE = 2000;

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

/** Myers' greedy shortest edit script on a[lo..] / b[lo..], or null when it needs more than maxD edits. */
function myers(a: readonly string[], b: readonly string[], maxD: number): DiffLine[] | null {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds v[k] for k in [-d, d] before step d+1, enough to walk back.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d, k);
    }
  }
  return null;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], dEnd: number, kEnd: number): DiffLine[] {
  const out: DiffLine[] = [];
  let x = a.length;
  let y = b.length;
  let k = kEnd;
  for (let d = dEnd; d > 0; d--) {
    const prev = trace[d]!; // v before step d, k in [-d, d] stored at index k + d
    const at = (kk: number): number => prev[kk + d]!;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: ' ', text: a[--x]! });
      y--;
    }
    if (down) out.push({ op: '+', text: b[--y]! });
    else out.push({ op: '-', text: a[--x]! });
    k = prevK;
  }
  while (x > 0 && y > 0) {
    out.push({ op: ' ', text: a[--x]! });
    y--;
  }
  return out.reverse();
}

export function diffLines(a: readonly string[], b: readonly string[], maxD = MAX_EDIT_DISTANCE): DiffLine[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const midA = a.slice(pre, a.length - suf);
  const midB = b.slice(pre, b.length - suf);
  const middle = myers(midA, midB, maxD) ?? [
    ...midA.map((text): DiffLine => ({ op: '-', text })),
    ...midB.map((text): DiffLine => ({ op: '+', text })),
  ];
  return [
    ...a.slice(0, pre).map((text): DiffLine => ({ op: ' ', text })),
    ...middle,
    ...a.slice(a.length - suf).map((text): DiffLine => ({ op: ' ', text })),
  ];
}

/** Lines longer than this are cut to the region that changed. */
export const MAX_LINE = 160;

function cut(text: string, from: number, to: number): string {
  const start = Math.max(0, from);
  const end = Math.min(text.length, to);
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? `… (${text.length} chars)` : ''}`;
}

/** Shortens a changed line to the region where it differs from its counterpart (if any). */
function shorten(text: string, other: string | undefined, width = MAX_LINE): string {
  if (text.length <= width) return text;
  if (other === undefined) return cut(text, 0, width);
  let pre = 0;
  while (pre < text.length && pre < other.length && text[pre] === other[pre]) pre++;
  let suf = 0;
  while (suf < text.length - pre && suf < other.length - pre && text[text.length - 1 - suf] === other[other.length - 1 - suf]) suf++;
  const changedEnd = text.length - suf;
  const room = Math.max(20, Math.floor((width - Math.min(width, changedEnd - pre)) / 2));
  return cut(text, pre - room, Math.min(changedEnd + room, pre - room + width + 2 * room));
}

export interface RenderOptions {
  indent?: string;
  context?: number;
  /** Line of the pinned text's first line (1 by default: the anchor file's own numbering). */
  beforeLine?: number;
  /** Line of the current text's first line in the upstream file, so hunks carry upstream lines. */
  afterLine?: number;
}

/**
 * Renders hunks of changed lines plus `context` unchanged lines around them, each headed
 * `@@ -<pinned line>,<count> +<upstream line>,<count> @@`. Returns '' when the texts are equal
 * after normalisation (a token-level change hidden by normalisation is still reported by the hash,
 * just with an empty diff).
 */
export function renderDiff(before: string, after: string, { indent = '    ', context = 2, beforeLine = 1, afterLine = 1 }: RenderOptions = {}): string {
  const lines = diffLines(normaliseAnchorText(before), normaliseAnchorText(after));
  if (!lines.some((l) => l.op !== ' ')) return '';
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((l, idx) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, idx - context); k <= Math.min(lines.length - 1, idx + context); k++) keep[k] = true;
  });
  // Line numbers of each diff line on both sides.
  const aLine: number[] = [];
  const bLine: number[] = [];
  let ai = beforeLine;
  let bi = afterLine;
  for (const l of lines) {
    aLine.push(ai);
    bLine.push(bi);
    if (l.op !== '+') ai++;
    if (l.op !== '-') bi++;
  }
  const out: string[] = [];
  let idx = 0;
  while (idx < lines.length) {
    if (!keep[idx]) {
      idx++;
      continue;
    }
    let end = idx;
    while (end < lines.length && keep[end]) end++;
    const hunk = lines.slice(idx, end);
    const aCount = hunk.filter((l) => l.op !== '+').length;
    const bCount = hunk.filter((l) => l.op !== '-').length;
    out.push(`${indent}@@ -${aLine[idx]},${aCount} +${bLine[idx]},${bCount} @@`);
    // Pair each run of '-' lines with the '+' run after it, to cut long lines to what changed.
    for (let i = 0; i < hunk.length; i++) {
      const l = hunk[i]!;
      let other: string | undefined;
      if (l.op !== ' ') {
        let j = i;
        while (j > 0 && hunk[j - 1]!.op !== ' ') j--; // start of this change block
        const minus: string[] = [];
        const plus: string[] = [];
        for (let q = j; q < hunk.length && hunk[q]!.op !== ' '; q++) (hunk[q]!.op === '-' ? minus : plus).push(hunk[q]!.text);
        const pos = l.op === '-' ? minus.indexOf(l.text) : plus.indexOf(l.text);
        other = l.op === '-' ? plus[pos] : minus[pos];
      }
      out.push(`${indent}${l.op} ${shorten(l.text, other)}`.replace(/\s+$/, ''));
    }
    idx = end;
  }
  return out.join('\n');
}
