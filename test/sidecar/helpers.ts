/** Shared helpers for the sidecar tests: temp dirs, DBs, a simulated hook route, waitFor. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { onCleanup, tempDir } from '../helpers/temp.js';
import { hookDedupKey, hookSessionId, markSeen, migrateHostSchema, summarizeEvent } from '../../src/sidecar/index.js';
import { createUpstreamSchema } from '../../scripts/lib/upstream-schema.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/rollout');
export const REAL_CODEX = path.resolve(import.meta.dirname, '../fixtures/real/codex');
export const F8_NAME = 'rollout-2026-09-14T12-21-07-019b4c2e-5f10-7a3b-9c4d-2e8f1a6b7c90.jsonl';
export const SID = '019b4c2e-5f10-7a3b-9c4d-2e8f1a6b7c90';
export const TURN = '019b4c2e-6a21-7b44-8d15-3f9a0b1c2d3e';
export const BASH_CALL = 'call_7HqLm2Rt9XwZ4pNc1VbK8sYd';
export const PATCH_CALL = 'call_Pa3Tc9Hm1QeW6rYu2ZoI5xLs';
export const PROMPT = 'Run the unit tests and fix the failing parser test.';

export function createTempDirectory(prefix = 'rollout-test-'): string {
  return tempDir(prefix);
}

/** A fresh upstream DB file with the host migration applied (what the sidecar has at start). */
export function openTestDb(dir = createTempDirectory()): { db: Database.Database; dbPath: string } {
  const dbPath = path.join(dir, 'monitor.db');
  const db = openDb(dbPath);
  createUpstreamSchema(db);
  migrateHostSchema(db);
  return { db, dbPath };
}

export function openDb(dbPath: string): Database.Database {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  onCleanup(() => db.open && db.close());
  return db;
}

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

export function codexHook(name: string): Record<string, unknown> {
  return readJson(path.join(FIXTURES, `${name}.json`));
}

/**
 * What the patched hook route does: ensure the session, INSERT OR IGNORE with the shared dedup key,
 * markSeen on conflict. `data` gets `__provider`/`__delivery_id` like the Codex handler adds them.
 */
export function insertHook(
  db: Database.Database,
  hookType: string,
  payload: Record<string, unknown>,
  opts: { provider?: 'codex' | 'claude'; createdAt?: string } = {},
): { stored: boolean; key: string | null } {
  const data: Record<string, unknown> = { ...payload, __delivery_id: randomUUID() };
  if ((opts.provider ?? 'codex') === 'codex') data.__provider = 'codex';
  const sessionId = hookSessionId(data);
  if (!sessionId) throw new Error('hook payload without a session id');
  const key = hookDedupKey(hookType, data);
  const now = opts.createdAt ?? new Date().toISOString();
  db.prepare(`INSERT OR IGNORE INTO sessions (id, status, cwd, model, transcript_path, started_at, updated_at, harness)
              VALUES (?, 'active', ?, ?, ?, ?, ?, ?)`).run(
    sessionId, data.cwd ?? null, data.model ?? null, data.transcript_path ?? null, now, now,
    data.__provider === 'codex' ? 'codex' : 'claude');
  const toolName = typeof data.tool_name === 'string' ? data.tool_name : null;
  const info = db.prepare(`INSERT OR IGNORE INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                           VALUES (?, ?, ?, ?, ?, ?, 'hook', 'hook', ?)`).run(
    sessionId, hookType, toolName, summarizeEvent(hookType, data), JSON.stringify(data), now, key);
  if (info.changes > 0) {
    db.prepare('UPDATE sessions SET event_count = event_count + 1, updated_at = ? WHERE id = ?').run(now, sessionId);
  } else if (key) {
    markSeen(db, sessionId, key, 'hook');
  }
  return { stored: info.changes > 0, key };
}

/** F2–F7 as the hooks deliver them, in order. */
export const F_HOOKS: Array<[string, string]> = [
  ['SessionStart', 'f2-session-start'],
  ['UserPromptSubmit', 'f3-user-prompt-submit'],
  ['PreToolUse', 'f4-pre-tool-use-bash'],
  ['PostToolUse', 'f5-post-tool-use-bash'],
  ['PreToolUse', 'f6-pre-tool-use-apply-patch'],
  ['Stop', 'f7-stop'],
];

export interface Row {
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  dedup_key: string | null;
  source: string;
  seen_by: string;
}

export function rows(db: Database.Database, sessionId?: string): Array<Omit<Row, 'session_id'>> {
  const all = db.prepare('SELECT session_id, hook_type, tool_name, dedup_key, source, seen_by FROM events ORDER BY id').all() as Row[];
  return all.filter((r) => !sessionId || r.session_id === sessionId).map(({ session_id: _s, ...r }) => r);
}

export function row(hook_type: string, tool_name: string | null, dedup_key: string, source: string, seen_by: string): Omit<Row, 'session_id'> {
  return { hook_type, tool_name, dedup_key, source, seen_by };
}

/** Put the F8 rollout into a CODEX_HOME-like tree; returns its path. */
export function placeF8(codexHome: string, text = fs.readFileSync(path.join(FIXTURES, F8_NAME), 'utf8')): string {
  const dir = path.join(codexHome, 'sessions', '2026', '09', '14');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, F8_NAME);
  fs.writeFileSync(file, text);
  return file;
}

export function f8Text(): string {
  return fs.readFileSync(path.join(FIXTURES, F8_NAME), 'utf8');
}

