/**
 * Pins: what a patch records about its anchor, and how that record is checked.
 *
 * By default a patch pins the token stream of its whole located node, and `anchors/<id>.js` holds
 * the node's text. A spec with `pin` instead pins only what its edit depends on: some sub-nodes
 * (token streams) and/or substrings of strings and templates (exact text, line ends normalised to
 * LF). A change elsewhere in the node is then not drift; any change inside a pinned part is. Such
 * an anchor file holds every part after a `//@pin <kind> <length> <label>` header line, so the
 * file can be split back exactly and each part verified on its own.
 */
import type * as acorn from 'acorn';
import { hashKeys, keysAlone, sha256Hex, tokenKeys } from './tokens.js';
import type { Dialect, TokenKey } from './tokens.js';

export type PinKind = 'tokens' | 'text';

/** One pinned region, in ORIGINAL source offsets. */
export interface PinPart {
  kind: PinKind;
  start: number;
  end: number;
  /** Shown in drift reports, e.g. "the INSERT statement". */
  label?: string;
}

export interface Range {
  start: number;
  end: number;
}

/** Pins the token stream of a node (whitespace, comments and trailing commas do not count). */
export function pinNode(node: Range, label?: string): PinPart {
  return { kind: 'tokens', start: node.start, end: node.end, ...(label ? { label } : {}) };
}

/** Pins the exact text of a range, e.g. one statement inside a SQL template (see `locateText`). */
export function pinText(range: Range, label?: string): PinPart {
  return { kind: 'text', start: range.start, end: range.end, ...(label ? { label } : {}) };
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where `needle` occurs in `source` within `within` (default: all of it), in ORIGINAL offsets.
 * A `\n` in the needle matches `\r\n` too, so a spec written with LF finds its text in a CRLF
 * checkout, and the offsets it gets back are right for that checkout (a template's `value.raw` or
 * `value.cooked` normalises CRLF, so offsets computed from them are off by one per line end).
 * Throws unless there is exactly one occurrence: an edit must not guess.
 */
export function locateText(source: string, needle: string, within: Range = { start: 0, end: source.length }): Range {
  if (needle === '') throw new Error('locateText: empty needle');
  const pattern = new RegExp(needle.split(/\r?\n/).map(escapeRegExp).join('\\r?\\n'), 'g');
  const hay = source.slice(within.start, within.end);
  const found: Range[] = [];
  for (const m of hay.matchAll(pattern)) found.push({ start: within.start + m.index, end: within.start + m.index + m[0].length });
  if (found.length !== 1) {
    throw new Error(`expected ${JSON.stringify(needle.length > 60 ? `${needle.slice(0, 57)}…` : needle)} exactly once inside the anchor, found ${found.length}`);
  }
  return found[0]!;
}

/** The line end a file uses (its first one), so inserted text can match it. */
export function eolOf(source: string): '\n' | '\r\n' {
  const at = source.indexOf('\n');
  return at > 0 && source.charCodeAt(at - 1) === 13 ? '\r\n' : '\n';
}

const lf = (text: string): string => text.replace(/\r\n?/g, '\n');

/** A part with its text and identity, as taken from the upstream file or read from an anchor file. */
export interface PinnedPart {
  kind: PinKind;
  label?: string;
  /** The part's text (LF line ends for pinned-format anchors). */
  text: string;
  /** Token keys (tokens parts) or the one text key (text parts). */
  keys: TokenKey[];
  /** Offsets in the upstream file, when taken from it. */
  start?: number;
  end?: number;
}

export interface Pin {
  /** false: the whole node, old single-text format; true: `//@pin` parts. */
  narrow: boolean;
  parts: PinnedPart[];
  sha256: string;
}

function pinSha256(narrow: boolean, parts: readonly PinnedPart[]): string {
  if (!narrow) return hashKeys(parts[0]!.keys);
  return sha256Hex(parts.map((p) => `${p.kind}\n${p.keys.join('\n')}`).join('\n\u0000\n'));
}

/** The pin of a located node, from the parser's own tokens of the whole file. */
export function pinFromFile(
  source: string,
  tokens: readonly acorn.Token[],
  node: Range,
  narrowParts: readonly PinPart[] | undefined,
): Pin {
  if (!narrowParts) {
    const part: PinnedPart = { kind: 'tokens', text: source.slice(node.start, node.end), keys: tokenKeys(tokens, source, node.start, node.end), start: node.start, end: node.end };
    return { narrow: false, parts: [part], sha256: pinSha256(false, [part]) };
  }
  if (narrowParts.length === 0) throw new Error('pin() returned no parts; return at least one pinNode/pinText');
  const parts = narrowParts.map((p): PinnedPart => {
    if (!(p.start >= node.start && p.end <= node.end && p.start < p.end)) {
      throw new Error(`pin part ${p.label ?? p.kind} (${p.start}–${p.end}) is not a non-empty range inside the anchor (${node.start}–${node.end})`);
    }
    const text = lf(source.slice(p.start, p.end));
    const keys = p.kind === 'tokens' ? tokenKeys(tokens, source, p.start, p.end) : [JSON.stringify(text)];
    return { kind: p.kind, text, keys, start: p.start, end: p.end, ...(p.label ? { label: p.label } : {}) };
  });
  return { narrow: true, parts, sha256: pinSha256(true, parts) };
}

const HEADER = /^\/\/@pin (tokens|text) (\d+)(?: (.*))?$/;

/** The text `repin` writes to `anchors/<id>.js`. */
export function serialisePin(pin: Pin): string {
  if (!pin.narrow) return pin.parts[0]!.text;
  return pin.parts.map((p) => `//@pin ${p.kind} ${p.text.length}${p.label ? ` ${p.label.replace(/\n/g, ' ')}` : ''}\n${p.text}\n`).join('');
}

/**
 * Reads an anchor file back into a pin, re-tokenizing each tokens part on its own in `dialect`.
 * Throws with a reason when the file is not in the format `serialisePin` writes.
 */
export function parsePin(text: string, dialect: Dialect): Pin {
  if (!text.startsWith('//@pin ')) {
    const part: PinnedPart = { kind: 'tokens', text, keys: keysAlone(text, dialect) };
    return { narrow: false, parts: [part], sha256: pinSha256(false, [part]) };
  }
  const parts: PinnedPart[] = [];
  let at = 0;
  while (at < text.length) {
    const eol = text.indexOf('\n', at);
    const header = HEADER.exec(text.slice(at, eol < 0 ? text.length : eol));
    if (!header || eol < 0) throw new Error(`malformed //@pin header at offset ${at}`);
    const kind = header[1] as PinKind;
    const length = Number(header[2]);
    const body = text.slice(eol + 1, eol + 1 + length);
    if (body.length !== length || text.charAt(eol + 1 + length) !== '\n') throw new Error(`//@pin part at offset ${at} is not ${length} characters long`);
    const keys = kind === 'tokens' ? keysAlone(body, dialect) : [JSON.stringify(body)];
    parts.push({ kind, text: body, keys, ...(header[3] ? { label: header[3] } : {}) });
    at = eol + 1 + length + 1;
  }
  if (parts.length === 0) throw new Error('no //@pin parts');
  return { narrow: true, parts, sha256: pinSha256(true, parts) };
}

/** The first token where two key lists differ, for messages ("keyword vs name" style problems). */
export function firstKeyDifference(a: readonly TokenKey[], b: readonly TokenKey[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `token ${i + 1}: ${a[i] ?? '(end)'} vs ${b[i] ?? '(end)'}`;
  }
  return null;
}
