/**
 * Claude Code's own session files (`<claude config dir>/projects/<munged cwd>/<session>.jsonl`) as
 * a second source of Claude events (docs/contracts.md "Claude session files"): an HTTP hook that
 * fails is not retried by Claude Code, so whatever the file also records is taken from it.
 *
 * Each line is turned into the hook input the matching hook would have carried (session_id,
 * prompt_id, tool_use_id, …) and keyed by the SAME function as a hook post (hookDedupKey), so an
 * event both sources saw is one row (`seen_by: 'hook,rollout'`; "rollout" names the agent's own
 * session file for both agents). Rows are INSERT OR IGNORE on UNIQUE(session_id, dedup_key).
 *
 * Minimal by design: events only (token usage from these files belongs to the usage importer,
 * which can reuse parseClaudeSessionLine and the cursor table). Incremental: a per-file byte
 * cursor in `claude_session_files`; only complete lines are consumed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { hookDedupKey } from '../../shared/dedup.js';
import { HOOK_TYPES, summarizeEvent } from '../../shared/events.js';
import { markSeen } from '../schema.js';
import { truncateLargeFields } from '../host/truncate.js';

type Obj = Record<string, unknown>;

export interface ClaudeFileEvent {
  sessionId: string;
  hookType: string;
  toolName: string | null;
  dedupKey: string;
  createdAt: string;
  data: Obj;
}

/** What a file's earlier lines taught the parser (kept per file between imports). */
export interface ClaudeParserState {
  sessionId: string | null;
  promptId: string | null;
  started: boolean;
  /** tool_use id → tool name and input, for the PostToolUse rows (the result line names neither). */
  calls: Record<string, { name: string; input: unknown }>;
}

export function initialClaudeState(): ClaudeParserState {
  return { sessionId: null, promptId: null, started: false, calls: {} };
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function userText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  if (content.some((b) => isObj(b) && b.type === 'tool_result')) return null;
  const texts = content.filter((b) => isObj(b) && b.type === 'text' && typeof b.text === 'string').map((b) => (b as Obj).text as string);
  return texts.length ? texts.join('\n') : null;
}

/** The events one transcript line stands for (usually none or one). */
export function parseClaudeSessionLine(state: ClaudeParserState, line: Obj, transcriptPath: string): ClaudeFileEvent[] {
  const sessionId = str(line.sessionId) ?? state.sessionId;
  if (!sessionId) return [];
  state.sessionId = sessionId;
  // Subagent (sidechain) lines and injected meta lines are not what the main session's hooks see.
  if (line.isSidechain === true || line.isMeta === true) return [];
  const createdAt = str(line.timestamp) ?? new Date().toISOString();
  const base: Obj = { session_id: sessionId, transcript_path: transcriptPath };
  if (typeof line.cwd === 'string') base.cwd = line.cwd;
  const out: ClaudeFileEvent[] = [];
  const emit = (hookType: string, data: Obj, toolName: string | null = null): void => {
    const full: Obj = { ...base, ...data, hook_event_name: hookType };
    const dedupKey = hookDedupKey(hookType, full);
    if (dedupKey) out.push({ sessionId, hookType, toolName, dedupKey, createdAt, data: full });
  };
  const type = line.type;
  if ((type === 'user' || type === 'assistant') && !state.started) {
    state.started = true;
    emit(HOOK_TYPES.SessionStart, { source: 'startup' });
  }
  const message = isObj(line.message) ? line.message : null;
  if (type === 'user' && message) {
    const promptId = str(line.promptId);
    const text = userText(message.content);
    if (text !== null && promptId && promptId !== state.promptId) {
      state.promptId = promptId;
      emit(HOOK_TYPES.UserPromptSubmit, { prompt_id: promptId, prompt: text });
    } else if (promptId) {
      state.promptId = promptId;
    }
    if (Array.isArray(message.content)) {
      for (const b of message.content) {
        if (!isObj(b) || b.type !== 'tool_result' || !str(b.tool_use_id)) continue;
        const id = b.tool_use_id as string;
        const call = state.calls[id];
        delete state.calls[id];
        emit(HOOK_TYPES.PostToolUse, { prompt_id: state.promptId ?? undefined, tool_name: call?.name, tool_input: call?.input, tool_use_id: id, tool_response: b.content }, call?.name ?? null);
      }
    }
  }
  if (type === 'assistant' && message) {
    const content = Array.isArray(message.content) ? message.content : [];
    for (const b of content) {
      if (!isObj(b) || b.type !== 'tool_use' || !str(b.id) || !str(b.name)) continue;
      state.calls[b.id as string] = { name: b.name as string, input: b.input };
      emit(HOOK_TYPES.PreToolUse, { prompt_id: state.promptId ?? undefined, tool_name: b.name, tool_input: b.input, tool_use_id: b.id }, b.name as string);
    }
    if (message.stop_reason === 'end_turn' && state.promptId) {
      const last = content.filter((b) => isObj(b) && b.type === 'text').map((b) => (b as Obj).text).join('\n');
      emit(HOOK_TYPES.Stop, { prompt_id: state.promptId, stop_hook_active: false, last_assistant_message: last });
    }
  }
  return out;
}

interface Cursor {
  offset: number;
  state: ClaudeParserState;
}

export function migrateClaudeImportSchema(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS claude_session_files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, offset INTEGER NOT NULL, parser_state TEXT NOT NULL, updated_at TEXT NOT NULL)`);
}

/** Imports the complete lines of one session file that are new since its cursor. Returns the sessions touched. */
export function importClaudeSessionFile(db: Database.Database, filePath: string, log: (msg: string) => void = () => {}): { inserted: number; sessionIds: string[] } {
  migrateClaudeImportSchema(db);
  const row = db.prepare('SELECT size, offset, parser_state FROM claude_session_files WHERE path = ?').get(filePath) as { size: number; offset: number; parser_state: string } | undefined;
  let cursor: Cursor = { offset: 0, state: initialClaudeState() };
  if (row) {
    try {
      cursor = { offset: row.offset, state: JSON.parse(row.parser_state) as ClaudeParserState };
    } catch {
      cursor = { offset: 0, state: initialClaudeState() };
    }
  }
  let size: number;
  try {
    size = fs.statSync(filePath).size;
  } catch {
    return { inserted: 0, sessionIds: [] };
  }
  if (size < cursor.offset) cursor = { offset: 0, state: initialClaudeState() }; // rewritten: start over (dedup keeps it exact)
  if (size === cursor.offset) return { inserted: 0, sessionIds: [] };
  const fd = fs.openSync(filePath, 'r');
  let buf: Buffer;
  try {
    buf = Buffer.alloc(size - cursor.offset);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, cursor.offset + got);
      if (n === 0) break;
      got += n;
    }
    buf = buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return { inserted: 0, sessionIds: [] };
  const events: ClaudeFileEvent[] = [];
  let malformed = 0;
  for (const text of buf.subarray(0, end).toString('utf8').split('\n')) {
    if (!text.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      malformed++;
      continue;
    }
    if (isObj(v)) events.push(...parseClaudeSessionLine(cursor.state, v, filePath));
  }
  if (malformed) log(`[claude-import] ${malformed} malformed line(s) skipped in ${filePath}`);
  const newOffset = cursor.offset + end + 1;

  const ensure = db.prepare(`INSERT OR IGNORE INTO sessions (id, status, started_at, updated_at, harness, cwd, transcript_path) VALUES (?, 'active', ?, ?, 'claude', ?, ?)`);
  const insert = db.prepare(`INSERT OR IGNORE INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                             VALUES (?, ?, ?, ?, ?, ?, 'rollout', 'rollout', ?)`);
  const bump = db.prepare('UPDATE sessions SET event_count = event_count + ?, updated_at = MAX(updated_at, ?) WHERE id = ?');
  const put = db.prepare(`INSERT INTO claude_session_files (path, size, offset, parser_state, updated_at) VALUES (?, ?, ?, ?, ?)
                          ON CONFLICT(path) DO UPDATE SET size = excluded.size, offset = excluded.offset, parser_state = excluded.parser_state, updated_at = excluded.updated_at`);
  const touched = new Set<string>();
  let inserted = 0;
  db.transaction(() => {
    for (const e of events) {
      ensure.run(e.sessionId, e.createdAt, e.createdAt, typeof e.data.cwd === 'string' ? e.data.cwd : null, filePath);
      const info = insert.run(e.sessionId, e.hookType, e.toolName, summarizeEvent(e.hookType, e.data), JSON.stringify(truncateLargeFields(e.data)), e.createdAt, e.dedupKey);
      if (info.changes > 0) {
        inserted++;
        touched.add(e.sessionId);
        bump.run(1, e.createdAt, e.sessionId);
      } else {
        markSeen(db, e.sessionId, e.dedupKey, 'rollout');
      }
    }
    put.run(filePath, size, newOffset, JSON.stringify(cursor.state), new Date().toISOString());
  })();
  return { inserted, sessionIds: [...touched] };
}

export interface ClaudeSessionImporter {
  /** One pass now (also what the timer runs). */
  scan(): { inserted: number; sessionIds: string[] };
  close(): void;
}

/**
 * Scans `<claudeConfigDir>/projects/*\/*.jsonl` at start and every `intervalMs`: files changed
 * since the previous pass (and, on the first pass, within `sinceMs` of now) are imported from
 * their cursor. So a session that ran while the sidecar was down is in the store within one pass
 * of it coming back.
 */
export function startClaudeSessionImport({
  db,
  claudeConfigDir,
  intervalMs = 2000,
  sinceMs = 24 * 3600_000,
  log = () => {},
  onChange = () => {},
}: {
  db: Database.Database;
  claudeConfigDir: string;
  intervalMs?: number;
  sinceMs?: number;
  log?: (msg: string) => void;
  onChange?: (sessionIds: string[]) => void;
}): ClaudeSessionImporter {
  const projects = path.join(claudeConfigDir, 'projects');
  const seen = new Map<string, number>(); // path → mtimeMs at the last import
  const floor = Date.now() - sinceMs;
  const scan = (): { inserted: number; sessionIds: string[] } => {
    let inserted = 0;
    const ids = new Set<string>();
    let dirs: string[];
    try {
      dirs = fs.readdirSync(projects);
    } catch {
      return { inserted, sessionIds: [] };
    }
    for (const d of dirs) {
      let names: string[];
      try {
        names = fs.readdirSync(path.join(projects, d));
      } catch {
        continue;
      }
      for (const name of names) {
        if (!name.endsWith('.jsonl')) continue;
        const file = path.join(projects, d, name);
        let mtimeMs: number;
        try {
          mtimeMs = fs.statSync(file).mtimeMs;
        } catch {
          continue;
        }
        if (mtimeMs < floor || seen.get(file) === mtimeMs) continue;
        try {
          const r = importClaudeSessionFile(db, file, log);
          seen.set(file, mtimeMs);
          inserted += r.inserted;
          for (const id of r.sessionIds) ids.add(id);
        } catch (err) {
          log(`[claude-import] ${file}: ${(err as Error).message}`);
        }
      }
    }
    if (ids.size) onChange([...ids]);
    return { inserted, sessionIds: [...ids] };
  };
  scan();
  const timer = setInterval(scan, intervalMs);
  timer.unref();
  return { scan, close: () => clearInterval(timer) };
}
