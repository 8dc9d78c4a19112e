/**
 * The full text of an imported event's cut fields, read back from the agent's own file.
 *
 * History files are imported with short payload strings (src/sidecar/rollout/engine.ts
 * HISTORY_PREVIEW_CHARS): the row keeps a preview, the list of cut fields (`__truncated`) and the
 * line's place (`__transcript: {offset}` for Claude Code, `__rollout: {line, offset}` for Codex; the
 * file is the row's `transcript_path`, or the place's `file` in rows stored before it stopped being
 * repeated there). On a detail request the line is read again, mapped by the same parser, and the record
 * with the row's dedup key gives the cut fields whole. Only importer rows (source 'rollout') are read
 * back: their place was written by the importer, not by a hook post.
 */
import fs from 'node:fs';
import { initialClaudeState, parseClaudeLine } from '../claude/parse.js';
import { decodeLine, initialParserState, parseRolloutLine } from '../rollout/parse.js';

export interface SourceReadBack {
  file: string;
  offset: number;
  /**
   * complete: every cut field was read back; partial: some could not be (the line holds them no
   * more, or the parser needs context from earlier lines); missing: the file is gone or unreadable;
   * changed: the bytes at that place are no longer the line the row came from.
   */
  state: 'complete' | 'partial' | 'missing' | 'changed';
}

/** A line longer than this is not read back (the stored preview stays). */
const MAX_LINE_BYTES = 256 * 1024 * 1024;
const CHUNK = 1024 * 1024;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The line starting at `offset` (without its newline), or null when the file cannot be read. */
function readLineAt(file: string, offset: number): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const parts: Buffer[] = [];
    let pos = offset;
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = fs.readSync(fd, buf, 0, CHUNK, pos);
      if (n <= 0) break;
      const nl = buf.subarray(0, n).indexOf(10);
      parts.push(buf.subarray(0, nl === -1 ? n : nl));
      total += nl === -1 ? n : nl;
      if (nl !== -1 || total > MAX_LINE_BYTES) break;
      pos += n;
    }
    return Buffer.concat(parts).toString('utf8');
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** `a.b[2].c` → ['a', 'b', 2, 'c'] (the paths truncateLargeFields lists). */
function pathParts(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function getAt(root: unknown, parts: Array<string | number>): unknown {
  let v = root;
  for (const p of parts) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function setAt(root: Obj, parts: Array<string | number>, value: unknown): boolean {
  let v: unknown = root;
  for (const p of parts.slice(0, -1)) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<string | number, unknown>)[p];
  }
  if (v === null || typeof v !== 'object') return false;
  Object.defineProperty(v, parts[parts.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
  return true;
}

/** The event data the line maps to under `dedupKey`, or null. */
function remap(kind: 'claude' | 'codex', value: Obj, file: string, offset: number, line: number, sessionId: string, stored: Obj, dedupKey: string): Obj | null {
  if (kind === 'claude') {
    const recs = parseClaudeLine(initialClaudeState(), value, file, offset);
    for (const r of recs) if (r.kind === 'event' && r.dedupKey === dedupKey) return r.data;
    return null;
  }
  const state = initialParserState(file);
  state.sessionId = sessionId;
  if (typeof stored.turn_id === 'string') state.turnId = stored.turn_id;
  for (const r of parseRolloutLine(state, value, { file, offset, line })) if (r.kind === 'event' && r.dedupKey === dedupKey) return r.data;
  return null;
}

/**
 * `data` with its cut fields read back whole from the source line, and what happened; null when
 * there is nothing to read back (no cut field, not an importer row, or no place recorded).
 */
export function readBackCutFields(row: { session_id: string; dedup_key: string | null; source: string }, data: Obj): { data: Obj; source: SourceReadBack } | null {
  const cut = Array.isArray(data.__truncated) ? data.__truncated.filter((p): p is string => typeof p === 'string') : [];
  if (cut.length === 0 || row.source !== 'rollout' || !row.dedup_key) return null;
  const claude = isObj(data.__transcript) ? data.__transcript : null;
  const codex = isObj(data.__rollout) ? data.__rollout : null;
  const place = claude ?? codex;
  // The file: `transcript_path` (rows imported since the place stopped repeating it), or the
  // place's own `file` (rows stored before).
  const file = typeof place?.file === 'string' ? place.file : data.transcript_path;
  if (!place || typeof file !== 'string' || typeof place.offset !== 'number') return null;
  const offset = place.offset;
  const text = readLineAt(file, offset);
  if (text === null) return { data, source: { file, offset, state: 'missing' } };
  const decoded = decodeLine(text);
  const full = decoded.ok ? remap(claude ? 'claude' : 'codex', decoded.value, file, offset, typeof place.line === 'number' ? place.line : 0, row.session_id, data, row.dedup_key) : null;
  if (!full) return { data, source: { file, offset, state: 'changed' } };
  const out: Obj = { ...data };
  const left: string[] = [];
  for (const p of cut) {
    const parts = pathParts(p);
    const whole = getAt(full, parts);
    if (whole === undefined || parts.length === 0) {
      left.push(p);
      continue;
    }
    // Copy the containers on the way so the stored object is not modified.
    let target: Obj = out;
    for (const part of parts.slice(0, -1)) {
      const child = (target as Record<string | number, unknown>)[part];
      if (child === null || typeof child !== 'object') break;
      const copy: Obj = Array.isArray(child) ? ([...(child as unknown[])] as unknown as Obj) : { ...(child as Obj) };
      setAt(target, [part], copy);
      target = copy;
    }
    if (!setAt(out, parts, whole)) left.push(p);
  }
  if (left.length) out.__truncated = left;
  else delete out.__truncated;
  return { data: out, source: { file, offset, state: left.length ? 'partial' : 'complete' } };
}
