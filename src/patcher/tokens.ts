import { createHash } from 'node:crypto';
import * as acorn from 'acorn';

/**
 * One set of parser options for upstream files, patched output and anchor texts, so a token
 * stream hashed at pin time and at build time is produced by the same tokenizer settings.
 */
export const PARSE_OPTIONS = {
  ecmaVersion: 'latest',
  sourceType: 'script',
  locations: true,
  allowHashBang: true,
} as const satisfies acorn.Options;

export interface ParsedFile {
  ast: acorn.Program;
  tokens: acorn.Token[];
}

/** Parses once and keeps the token list, so locating and hashing share one pass over the file. */
export function parseWithTokens(source: string): ParsedFile {
  const tokens: acorn.Token[] = [];
  const ast = acorn.parse(source, { ...PARSE_OPTIONS, onToken: tokens });
  return { ast, tokens };
}

/**
 * A token's identity for hashing: its type label plus its value. The label keeps `a` (name) and
 * `'a'` (string) apart; using the cooked value (not the raw text) means `'a'` and `"a"` hash the
 * same, which is a cosmetic difference just like whitespace.
 */
function tokenKey(token: acorn.Token): string {
  const label = token.type.label;
  // acorn.d.ts omits Token#value, but every token carries it (undefined for punctuation).
  const value: unknown = (token as acorn.Token & { value?: unknown }).value;
  let text: string;
  if (value === undefined || value === null) text = '';
  else if (typeof value === 'bigint') text = `${value.toString()}n`;
  else if (value instanceof RegExp) text = value.toString();
  else if (typeof value === 'object' && 'pattern' in value && 'flags' in value) {
    // Regex tokens carry {pattern, flags, value}; value may be null when the runtime lacks a flag.
    const r = value as { pattern: string; flags: string };
    text = `/${r.pattern}/${r.flags}`;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- acorn's other token values are strings, numbers and booleans
  } else text = String(value);
  // JSON escapes newlines, so the '\n' separator below can never occur inside one token's key.
  return `${JSON.stringify(label)} ${JSON.stringify(text)}`;
}

/** sha256 over the keys of the tokens lying fully inside [start, end). */
export function hashTokens(tokens: readonly acorn.Token[], start: number, end: number): string {
  const hash = createHash('sha256');
  let first = true;
  for (const token of tokens) {
    if (token.start < start || token.end > end) continue;
    if (token.type === acorn.tokTypes.eof) continue;
    if (!first) hash.update('\n');
    hash.update(tokenKey(token));
    first = false;
  }
  return hash.digest('hex');
}

/** Tokenizes the whole source (not just the slice) so regex/division and template contexts are resolved as in a full parse. */
export function tokenize(source: string): acorn.Token[] {
  const tokens: acorn.Token[] = [];
  for (const token of acorn.tokenizer(source, PARSE_OPTIONS)) tokens.push(token);
  return tokens;
}

/**
 * Hash of the acorn tokens inside [start, end) of `source`. Comments and whitespace do not count,
 * so a cosmetic upstream change keeps the hash, and any change of a token changes it.
 */
export function tokenStreamSha256(source: string, start: number, end: number): string {
  return hashTokens(tokenize(source), start, end);
}
