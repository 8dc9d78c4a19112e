/**
 * Text-level edits of another program's JSON file. The caller says what the document should be
 * (old and new value, both parsed from / derived from the text); only the places that differ are
 * rewritten, through jsonc-parser's `modify` + `applyEdits`, so every byte outside them — layout,
 * one-line arrays, key order, number spellings (`1.0`, `1e3`, 12345678901234567890), escapes,
 * duplicate keys elsewhere — stays exactly as the user wrote it.
 */
import { applyEdits, findNodeAtLocation, format, modify, parseTree, printParseErrorCode, type Edit, type FormattingOptions, type JSONPath, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { isDeepStrictEqual } from 'node:util';

export interface JsonTextFormat {
  /** '  ', '    ', '\t', … — what one nesting level looks like in the file. */
  indent: string;
  eol: '\n' | '\r\n';
  /** The whole document is on one line: new content is inserted compact, on that line. */
  compact: boolean;
}

export function detectTextFormat(text: string): JsonTextFormat {
  const body = stripBom(text);
  const eol: '\n' | '\r\n' = body.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(body);
  let indent = '  ';
  if (m?.[1]) indent = m[1].startsWith('\t') ? '\t' : ' '.repeat(m[1].length);
  return { indent, eol, compact: !body.trim().includes('\n') };
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export interface JsonSyntaxProblem {
  /** e.g. "property name expected" */
  what: string;
  line: number;
  column: number;
}

/**
 * The first syntax error of strict JSON (no comments, no trailing commas), with a 1-based line
 * and column, or null when the text parses. `text` must not start with a BOM.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return null;
  const { line, column } = lineColumn(text, first.offset);
  return { what: humanize(printParseErrorCode(first.error)), line, column };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastBreak };
}

/** 'PropertyNameExpected' → 'property name expected'. */
function humanize(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Thrown when the edit would have to go through a key that appears more than once. */
export class DuplicateKeyError extends Error {
  readonly keyPath: JSONPath;
  constructor(keyPath: JSONPath) {
    super(`the key ${keyPath.map((k) => JSON.stringify(k)).join(' → ')} appears more than once`);
    this.name = 'DuplicateKeyError';
    this.keyPath = keyPath;
  }
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isContainer(v: Json): boolean {
  return typeof v === 'object' && v !== null;
}

/**
 * Rewrites `text` (whose parsed value is `before`) so that it parses to `after`, touching only
 * what differs. The result is checked: it must parse back to exactly `after`.
 */
export function editJsonText({ text, before, after }: { text: string; before: Json; after: Json }): string {
  const bom = text.charCodeAt(0) === 0xfeff ? '\uFEFF' : '';
  const fmt = detectTextFormat(text);
  const formatting: FormattingOptions | undefined = fmt.compact
    ? undefined
    : { insertSpaces: fmt.indent !== '\t', tabSize: fmt.indent === '\t' ? 4 : fmt.indent.length, eol: fmt.eol };
  let cur = stripBom(text);

  const apply = (path: JSONPath, value: Json, isArrayInsertion = false): void => {
    assertUniqueKeys(cur, path);
    const edits = value === undefined ? removeItem(cur, path) : modify(cur, path, value, { isArrayInsertion });
    for (const edit of edits) cur = applyFormatted(cur, edit, formatting);
  };
  diff([], before, after, apply);

  const out = bom + cur;
  let check: unknown;
  try {
    check = JSON.parse(cur);
  } catch (error) {
    throw new Error(`internal error: the edited JSON does not parse (${(error as Error).message})`, { cause: error });
  }
  if (!isDeepStrictEqual(check, after)) throw new Error('internal error: the edited JSON does not hold the intended value');
  return out;
}

/** Applies one edit; new content is laid out like the rest of the file (only inside itself). */
function applyFormatted(text: string, edit: Edit, formatting: FormattingOptions | undefined): string {
  let out = applyEdits(text, [edit]);
  if (formatting && edit.content.length > 0) {
    const layout = format(out, { offset: edit.offset, length: edit.content.length }, { ...formatting, keepLines: false });
    out = applyEdits(out, layout);
  }
  return out;
}

/**
 * The value at `path` must be reachable through keys that each appear once: JSON.parse keeps the
 * last of duplicates while an edit would land on the first, so the two would disagree.
 */
function assertUniqueKeys(text: string, path: JSONPath): void {
  const root = parseTree(text);
  let node: JsonNode | undefined = root;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i]!;
    if (node.type === 'object' && typeof seg === 'string') {
      const props = (node.children ?? []).filter((p) => p.children?.[0]?.value === seg);
      if (props.length > 1) throw new DuplicateKeyError(path.slice(0, i + 1));
    }
    node = findNodeAtLocation(node, [seg]);
  }
}

/**
 * Removal is done here rather than by `modify`: jsonc-parser 3.3.1 miscounts the removal of the
 * last item of a one-line array (`[1, 22]` loses the wrong characters) and pulls the next key onto
 * the `{` line when the first key goes. An item goes with the comma before it; the first item
 * with the comma and the space after it; the only item with everything inside the brackets.
 */
function removeItem(text: string, path: JSONPath): Edit[] {
  const root = parseTree(text);
  const container = root && findNodeAtLocation(root, path.slice(0, -1));
  const valueNode = root && findNodeAtLocation(root, path);
  const item = container?.type === 'object' ? valueNode?.parent : valueNode;
  const items = container?.children ?? [];
  const index = item ? items.indexOf(item) : -1;
  if (!container || !item || index < 0) return [];
  if (items.length === 1) return [{ offset: container.offset + 1, length: container.length - 2, content: '' }];
  if (index > 0) {
    const prev = items[index - 1]!;
    const start = prev.offset + prev.length;
    return [{ offset: start, length: item.offset + item.length - start, content: '' }];
  }
  const next = items[1]!;
  return [{ offset: item.offset, length: next.offset - item.offset, content: '' }];
}

type Apply = (path: JSONPath, value: Json, isArrayInsertion?: boolean) => void;

function diff(path: JSONPath, a: Json, b: Json, apply: Apply): void {
  if (isDeepStrictEqual(a, b)) return;
  if (isObject(a) && isObject(b) && Object.keys(a).length > 0) {
    diffObject(path, a, b, apply);
  } else if (Array.isArray(a) && Array.isArray(b) && a.length > 0) {
    diffArray(path, a, b, apply);
  } else {
    // A scalar, a change of kind, or an empty container being filled: replace the value whole.
    apply(path, b);
  }
}

function diffObject(path: JSONPath, a: Record<string, Json>, b: Record<string, Json>, apply: Apply): void {
  for (const key of Object.keys(a)) {
    if (!Object.hasOwn(b, key)) apply([...path, key], undefined);
  }
  for (const [key, value] of Object.entries(b)) {
    if (Object.hasOwn(a, key)) diff([...path, key], a[key], value, apply);
    else apply([...path, key], value);
  }
}

/**
 * Longest common subsequence of deep-equal items: kept items are not touched, a removed item
 * directly followed by an added container item is edited in place (recursively), the rest are
 * removed or inserted. Arrays in config files are short, so the quadratic table is fine.
 */
function diffArray(path: JSONPath, a: Json[], b: Json[], apply: Apply): void {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = isDeepStrictEqual(a[i], b[j]) ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  let k = 0; // index in the array as it is in the text right now
  while (i < n || j < m) {
    if (i < n && j < m && isDeepStrictEqual(a[i], b[j])) {
      i++;
      j++;
      k++;
    } else if (i < n && j < m && isContainer(a[i]) && isContainer(b[j]) && Array.isArray(a[i]) === Array.isArray(b[j]) && lcs[i + 1]![j + 1] === lcs[i]![j]) {
      diff([...path, k], a[i], b[j], apply);
      i++;
      j++;
      k++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      apply([...path, k], undefined);
      i++;
    } else {
      apply([...path, k], b[j], true);
      j++;
      k++;
    }
  }
}
