/**
 * Bulk rows for browser tests and benchmarks: sessions and tool-call events written straight into
 * a sidecar database (WAL, so the running server sees them), in the row shape the hook route
 * stores (docs/contracts.md "Stored events"). The search index is kept by the schema's triggers,
 * exactly as for posted events.
 */
import Database from 'better-sqlite3';
import { summarizeEvent } from '../../src/shared/events.js';

export interface SeedSessionOptions {
  sessionId: string;
  harness?: 'claude' | 'codex';
  cwd?: string;
  /** Number of tool calls; each is a PreToolUse + PostToolUse pair (2 events). */
  calls: number;
  /** Time of the first event; each following event is 1 s later. */
  start?: Date;
  /** Command of call i. */
  command?: (i: number) => string;
  /** Output of call i. */
  output?: (i: number) => string;
}

export function openDb(dbPath: string): Database.Database {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  return db;
}

/** One session with `calls` tool calls, in one transaction. Returns the session's last event time. */
export function seedSession(db: Database.Database, o: SeedSessionOptions): string {
  const harness = o.harness ?? 'claude';
  const cwd = o.cwd ?? '/home/dev/src/app';
  const t0 = (o.start ?? new Date(Date.now() - o.calls * 2000)).getTime();
  const at = (k: number): string => new Date(t0 + k * 1000).toISOString();
  const command = o.command ?? ((i: number) => `npm run step-${i}`);
  const output = o.output ?? ((i: number) => `step ${i} ok`);
  const insertEvent = db.prepare(`INSERT OR IGNORE INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                                  VALUES (?, ?, ?, ?, ?, ?, 'hook', 'hook', ?)`);
  let last = at(0);
  db.transaction(() => {
    db.prepare(`INSERT OR IGNORE INTO sessions (id, status, cwd, model, started_at, updated_at, harness, event_count)
                VALUES (?, 'active', ?, ?, ?, ?, ?, 0)`).run(o.sessionId, cwd, harness === 'codex' ? 'gpt-5-codex' : 'claude-sonnet-4-5', at(0), at(0), harness);
    for (let i = 0; i < o.calls; i++) {
      const callId = `${o.sessionId}-call-${i}`;
      const base = { session_id: o.sessionId, cwd, tool_name: 'Bash', tool_use_id: callId, tool_input: { command: command(i) } };
      const pre = base;
      const post = { ...base, tool_response: harness === 'codex' ? output(i) : { stdout: output(i), stderr: '', interrupted: false } };
      insertEvent.run(o.sessionId, 'PreToolUse', 'Bash', summarizeEvent('PreToolUse', pre), JSON.stringify(pre), at(2 * i), `pre:${callId}`);
      last = at(2 * i + 1);
      insertEvent.run(o.sessionId, 'PostToolUse', 'Bash', summarizeEvent('PostToolUse', post), JSON.stringify(post), last, `post:${callId}`);
    }
    db.prepare('UPDATE sessions SET event_count = event_count + ?, updated_at = ? WHERE id = ?').run(o.calls * 2, last, o.sessionId);
  })();
  return last;
}

/** `count` small sessions (one prompt each), spread over the last `days` days; for list paging. */
export function seedManySessions(db: Database.Database, count: number, opts: { days?: number; prefix?: string } = {}): void {
  const days = opts.days ?? 60;
  const now = Date.now();
  const insertSession = db.prepare(`INSERT OR IGNORE INTO sessions (id, status, cwd, model, started_at, updated_at, harness, event_count)
                                    VALUES (?, ?, ?, ?, ?, ?, ?, 1)`);
  const insertEvent = db.prepare(`INSERT OR IGNORE INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                                  VALUES (?, 'UserPromptSubmit', NULL, ?, ?, ?, 'hook', 'hook', ?)`);
  const statuses = ['active', 'waiting', 'completed', 'completed'];
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `${opts.prefix ?? 'bulk'}-${i}`;
      const t = new Date(now - ((i * 7919) % (days * 86_400)) * 1000).toISOString();
      const harness = i % 3 === 0 ? 'codex' : 'claude';
      const cwd = `/home/dev/src/project-${i % 40}`;
      const prompt = `task ${i}: refactor module ${i % 97} and run the tests`;
      insertSession.run(id, statuses[i % 4], cwd, harness === 'codex' ? 'gpt-5-codex' : 'claude-sonnet-4-5', t, t, harness);
      insertEvent.run(id, prompt, JSON.stringify({ session_id: id, prompt }), t, `delivery:${id}`);
    }
  })();
}

/** One session of a subagent tree, with its token usage records (one per entry of `usage`). */
export interface SeedTreeSession {
  id: string;
  /** Parent session id (a subagent); it need not exist (an orphan). */
  parent?: string | null;
  harness?: 'claude' | 'codex';
  name?: string | null;
  model?: string;
  cwd?: string;
  status?: string;
  /** ISO time of the last activity (list order); default now. */
  updatedAt?: string;
  usage?: Array<{ model?: string | null; input: number; output: number; cacheRead?: number; cacheWrite?: number; reasoning?: number }>;
}

/**
 * Sessions with parent links and exact usage records (docs/contracts.md "Token accounting": one
 * row per model response, keyed uniquely), as the importers store them. One transaction.
 */
export function seedSessionTree(db: Database.Database, sessions: SeedTreeSession[]): void {
  const insertSession = db.prepare(`INSERT OR IGNORE INTO sessions (id, name, status, cwd, model, started_at, updated_at, harness, parent_session_id, event_count)
                                    VALUES (@id, @name, @status, @cwd, @model, @at, @at, @harness, @parent, 0)`);
  const insertUsage = db.prepare(`INSERT OR IGNORE INTO usage_records
      (usage_key, session_id, harness, model, turn_id, at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, context_tokens, source_file)
      VALUES (@key, @session, @harness, @model, NULL, @at, @input, @output, @cacheRead, @cacheWrite, @reasoning, NULL, 'seed')`);
  db.transaction(() => {
    for (const s of sessions) {
      const harness = s.harness ?? 'claude';
      const model = s.model ?? (harness === 'codex' ? 'gpt-5' : 'claude-sonnet-4-5');
      const at = s.updatedAt ?? new Date().toISOString();
      insertSession.run({ id: s.id, name: s.name ?? null, status: s.status ?? 'completed', cwd: s.cwd ?? '/home/dev/src/app', model, at, harness, parent: s.parent ?? null });
      // The session's running counters, as the importers keep them next to the records.
      const sum = (k: 'input' | 'output' | 'cacheRead' | 'cacheWrite'): number => (s.usage ?? []).reduce((n, u) => n + (u[k] ?? 0), 0);
      db.prepare('UPDATE sessions SET input_tokens = ?, output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ? WHERE id = ?')
        .run(sum('input'), sum('output'), sum('cacheRead'), sum('cacheWrite'), s.id);
      (s.usage ?? []).forEach((u, i) => {
        insertUsage.run({
          key: `seed:${s.id}:${i}`, session: s.id, harness, model: u.model === undefined ? model : u.model, at,
          input: u.input, output: u.output, cacheRead: u.cacheRead ?? 0, cacheWrite: u.cacheWrite ?? 0, reasoning: u.reasoning ?? 0,
        });
      });
    }
  })();
}
