import { createHash } from 'node:crypto';
import * as acorn from 'acorn';
import { parseFile, tokenizeAlone } from './parse.js';
import type { Dialect, ParsedFile } from './parse.js';

export type { Dialect, ParsedFile };

/**
 * Token identity for hashing. Exact where it matters, blind where the difference is cosmetic or
 * an artefact of how the text was tokenized:
 *
 * - words: a keyword and an identifier of the same text are one kind (`word`). acorn labels
 *   `.finally(`, `{ default: … }` or `map.delete(` as names inside a whole-file parse (the grammar
 *   allows a keyword as a property name there) but as keywords when the same text is tokenized on
 *   its own, so a label-based key made pins taken from the file disagree with their own text.
 *   JSX tag and attribute names are words too.
 * - punctuation by its source text (`=>`, `<`, `${`), not acorn's context-dependent label (a `<`
 *   is `jsxTagStart` in one context and a relational operator in another).
 * - strings and templates by their cooked value (quote style and CRLF vs LF line ends are
 *   cosmetic), numbers and regexes by value.
 * - a comma directly before `)`, `]` or `}` does not count: a trailing comma is formatting
 *   (Prettier 3's default `trailingComma: "all"` adds them everywhere).
 *
 * Comments and whitespace are not tokens, so they never count.
 */
export type TokenKey = string;

const WORD_LABELS = new Set(['name', 'jsxName', 'privateId']);

function valueText(token: acorn.Token): string | null {
  // acorn.d.ts omits Token#value, but every token carries it (undefined for punctuation).
  const value: unknown = (token as acorn.Token & { value?: unknown }).value;
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') return `${value.toString()}n`;
  if (value instanceof RegExp) return value.toString();
  if (typeof value === 'object' && 'pattern' in value && 'flags' in value) {
    // Regex tokens carry {pattern, flags, value}; value may be null when the runtime lacks a flag.
    const r = value as { pattern: string; flags: string };
    return `/${r.pattern}/${r.flags}`;
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- acorn's other token values are strings, numbers and booleans
  return String(value);
}

export function tokenKey(token: acorn.Token, source: string): TokenKey {
  const type = token.type;
  const raw = source.slice(token.start, token.end);
  let kind: string;
  let text: string;
  if (type.keyword !== undefined || WORD_LABELS.has(type.label)) {
    kind = 'word';
    text = valueText(token) ?? raw;
  } else if (type === acorn.tokTypes.string) {
    kind = 'string';
    text = valueText(token) ?? raw;
  } else if (type === acorn.tokTypes.template || type.label === 'jsxText' || type === acorn.tokTypes.invalidTemplate) {
    // Cooked value; an invalid escape (tagged templates) has none, so its raw text with LF ends.
    kind = 'text';
    text = valueText(token) ?? raw.replace(/\r\n?/g, '\n');
  } else if (type === acorn.tokTypes.num) {
    kind = 'num';
    text = valueText(token) ?? raw;
  } else if (type === acorn.tokTypes.regexp) {
    kind = 'regexp';
    text = valueText(token) ?? raw;
  } else {
    kind = 'punct';
    text = raw;
  }
  // JSON escapes newlines, so the '\n' separator used by hashKeys never occurs inside one key.
  return `${kind} ${JSON.stringify(text)}`;
}

const CLOSERS = new Set(['punct ")"', 'punct "]"', 'punct "}"']);
const COMMA = 'punct ","';

/** Keys of the tokens lying fully inside [start, end) of `source`, trailing commas dropped. */
export function tokenKeys(tokens: readonly acorn.Token[], source: string, start: number, end: number): TokenKey[] {
  // Tokens are in source order: binary-search the first one at or after `start`.
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.start < start) lo = mid + 1;
    else hi = mid;
  }
  const keys: TokenKey[] = [];
  for (let i = lo; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.end > end || token.start >= end) break;
    if (token.type === acorn.tokTypes.eof) continue;
    keys.push(tokenKey(token, source));
  }
  return keys.filter((k, i) => !(k === COMMA && i + 1 < keys.length && CLOSERS.has(keys[i + 1]!)));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function hashKeys(keys: readonly TokenKey[]): string {
  return sha256Hex(keys.join('\n'));
}

/** sha256 over the keys of the tokens lying fully inside [start, end). */
export function hashTokens(tokens: readonly acorn.Token[], source: string, start: number, end: number): string {
  return hashKeys(tokenKeys(tokens, source, start, end));
}

const JS: Dialect = { sourceType: 'script', syntax: 'js' };

/** Keys of a text tokenized on its own (a pinned anchor) in `dialect`. */
export function keysAlone(text: string, dialect: Dialect = JS): TokenKey[] {
  return tokenKeys(tokenizeAlone(text, dialect), text, 0, text.length);
}

/**
 * Hash of the tokens inside [start, end) of `source`, tokenized on its own (no parse), as the pin
 * check does for an anchor text. Comments and whitespace do not count.
 */
export function tokenStreamSha256(source: string, start: number, end: number, dialect: Dialect = JS): string {
  return hashKeys(tokenKeys(tokenizeAlone(source, dialect), source, start, end));
}

/** Parses a whole file once and keeps its tokens (see parse.ts for the dialects). */
export function parseWithTokens(source: string, file = 'file.js', opts: { root?: string; dialect?: Dialect } = {}): ParsedFile {
  return parseFile(source, file, opts);
}
