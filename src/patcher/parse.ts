/**
 * Parsing upstream files in every module format upstream ships.
 *
 * - sourceType per file: `module` for `.mjs`/`.mts`, for files under a package.json with
 *   `"type": "module"`, and for files whose import/export syntax only parses as a module;
 *   `script` for `.cjs`/`.cts`, under `"type": "commonjs"`, and everything else.
 * - TypeScript (`.ts`, `.mts`, `.cts`, `.tsx`) through @sveltejs/acorn-typescript and JSX (`.jsx`,
 *   or a `.js` file that only parses with JSX) through acorn-jsx. Both are acorn plugins, so every
 *   dialect yields the same ESTree node shape with `start`/`end` offsets and the same acorn token
 *   objects the locators and the token hash already use (see docs/upgrading.md, "Parsers").
 * - A UTF-8 BOM (and a shebang after it) is masked with same-length text for the parser, so every
 *   offset still refers to the original text; edits go to the original text, so the BOM stays.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as acorn from 'acorn';
import jsx from 'acorn-jsx';
import { tsPlugin } from '@sveltejs/acorn-typescript';

export type SourceType = 'script' | 'module';
export type Syntax = 'js' | 'jsx' | 'ts' | 'tsx';

export interface Dialect {
  sourceType: SourceType;
  syntax: Syntax;
}

export interface ParsedFile {
  ast: acorn.Program;
  tokens: acorn.Token[];
  dialect: Dialect;
}

const parsers: Record<Syntax, typeof acorn.Parser> = {
  js: acorn.Parser,
  jsx: acorn.Parser.extend(jsx()),
  ts: acorn.Parser.extend(tsPlugin()),
  tsx: acorn.Parser.extend(tsPlugin({ jsx: true })),
};

export function parserOptions(sourceType: SourceType): acorn.Options {
  return { ecmaVersion: 'latest', sourceType, locations: true, allowHashBang: true };
}

/**
 * The text the parser sees: a BOM becomes a space, and a shebang right after a BOM becomes a line
 * comment of the same length (`\uFEFF#!` → ` //`). Node runs such a file; acorn alone would not
 * parse it. Offsets and line numbers are unchanged.
 */
export function parserText(source: string): string {
  if (source.charCodeAt(0) !== 0xfeff) return source;
  if (source.startsWith('\uFEFF#!')) return ` //${source.slice(3)}`;
  return ` ${source.slice(1)}`;
}

/** Syntax from the file name alone; `.js` files may still turn out to hold JSX (see parseFile). */
export function syntaxOf(file: string): Syntax {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return 'ts';
  if (ext === '.tsx') return 'tsx';
  if (ext === '.jsx') return 'jsx';
  return 'js';
}

/**
 * The sourceType a file declares without looking at its syntax: the extension first, then the
 * `type` field of the nearest package.json between the file and `root` (inclusive). `undefined`
 * when nothing declares it (no package.json, or one without `type`); the parser then tries script
 * first and module second, as Node's syntax detection does.
 */
export function declaredSourceType(file: string, root?: string): SourceType | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.mjs' || ext === '.mts') return 'module';
  if (ext === '.cjs' || ext === '.cts') return 'script';
  if (!root) return undefined;
  const top = path.resolve(root);
  for (let dir = path.dirname(path.resolve(root, file)); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        const type = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { type?: unknown }).type;
        // No "type" field: Node detects the format from the syntax, and so do we (parseFile).
        return type === 'module' ? 'module' : type === 'commonjs' ? 'script' : undefined;
      } catch {
        return undefined;
      }
    }
    if (dir === top || path.dirname(dir) === dir || !dir.startsWith(top)) return undefined;
  }
}

function parseAs(source: string, dialect: Dialect): ParsedFile {
  const tokens: acorn.Token[] = [];
  const ast = parsers[dialect.syntax].parse(parserText(source), { ...parserOptions(dialect.sourceType), onToken: tokens });
  return { ast, tokens, dialect };
}

/**
 * Parses `source` (the text of `file`, a path relative to `root`) in the first dialect that
 * accepts it. With a known dialect (e.g. the one the upstream file parsed in, for the patched
 * output) only that one is tried. The error thrown is the one of the most likely dialect.
 */
export function parseFile(source: string, file: string, { root, dialect }: { root?: string; dialect?: Dialect } = {}): ParsedFile {
  if (dialect) return parseAs(source, dialect);
  const syntax = syntaxOf(file);
  const declared = declaredSourceType(file, root);
  const types: SourceType[] = declared ? [declared] : ['script', 'module'];
  const syntaxes: Syntax[] = syntax === 'js' ? ['js', 'jsx'] : [syntax];
  let first: unknown;
  for (const s of syntaxes) {
    for (const sourceType of types) {
      try {
        return parseAs(source, { sourceType, syntax: s });
      } catch (err) {
        first ??= err;
      }
    }
  }
  throw first;
}

/** Tokens of a text on its own (a pinned anchor), in the dialect of the file it was taken from. */
export function tokenizeAlone(text: string, dialect: Dialect): acorn.Token[] {
  const tokens: acorn.Token[] = [];
  for (const token of parsers[dialect.syntax].tokenizer(parserText(text), parserOptions(dialect.sourceType))) tokens.push(token);
  return tokens;
}
