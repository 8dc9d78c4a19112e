/**
 * Team sync end to end: three real sidecars (scripts/lib/servers.ts) with their own data dirs push
 * to one real PostgreSQL (scripts/lib/postgres.ts).
 *
 *  - A and B both import the same Claude transcript and the same Codex rollout (the files are in
 *    both machines' watched folders); only A got the Claude session's hooks. B and C have sessions
 *    of their own (hooks + transcript).
 *  - C is SIGKILLed while it still has rows to push, and restarted on the same data dir.
 *  - PostgreSQL is stopped while A and B get new work, then started again: both catch up.
 *
 * Then every fact is in PostgreSQL exactly once (the union of the three local stores, by key),
 * per-machine token totals equal the local stores' sums for the sessions each machine owns, the
 * schema version table is right, no text column is filled by default, and a fourth sidecar with
 * AGENT_MONITOR_SHARE_TEXT=1 fills them (rows PostgreSQL refuses are skipped and counted; NULs
 * cleaned), a newer schema is refused untouched. The connection string's password never reaches a log
 * line or the status document.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postHook, preToolUse, startPatched, writeClaudeTranscript, type RunningServer } from '../../scripts/lib/servers.js';
import { startPostgres, TEST_PG_PASSWORD, type TestPostgres } from '../../scripts/lib/postgres.js';
import { rolloutLines, rolloutName } from '../../scripts/lib/rollout-gen.js';
import { TEAM_MIGRATIONS } from '../../src/sidecar/team/pg-schema.js';
import { onCleanup, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

interface TeamSync {
  state: string;
  last_push_at: string | null;
  pending: number;
  last_error: string | null;
  machine_id?: string;
  pushed?: { sessions: number; events: number; usage: number };
  skipped?: number;
}

interface Machine {
  name: string;
  dir: string;
  claudeDir: string;
  codexHome: string;
  env: Record<string, string>;
  server: RunningServer;
}

let pgServer: TestPostgres;
const S1 = '11111111-1111-4111-8111-111111111111'; // A's live Claude session, imported by B too
const S3 = '33333333-3333-4333-8333-333333333333'; // B's own
const S3B = '33333333-bbbb-4333-8333-333333333333'; // B's, imported during the outage
const S4 = '44444444-4444-4444-8444-444444444444'; // C's own
const CODEX = '019b4c2e-cccc-7b44-8d15-3f9a0b1c2d3e'; // a Codex rollout only imported, by A and B

function transcriptPath(m: { claudeDir: string }, sid: string): string {
  return path.join(m.claudeDir, 'projects', '-tmp-demo', `${sid}.jsonl`);
}

function prepare(name: string, dbName: string, extraEnv: Record<string, string> = {}): Omit<Machine, 'server'> {
  const dir = tempDir(`am-team-${name}-`);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { recursive: true });
  // Claude tracking on: the importer reads <claude dir>/projects.
  fs.writeFileSync(path.join(data, 'settings.json'), JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: true, codexOptIn: true }));
  const claudeDir = path.join(dir, 'claude');
  const codexHome = path.join(dir, 'codex');
  fs.mkdirSync(path.join(codexHome, 'sessions', '2026', '11', '27'), { recursive: true });
  return {
    name,
    dir: data,
    claudeDir,
    codexHome,
    env: {
      AGENT_MONITOR_CLAUDE_DIR: claudeDir,
      AGENT_MONITOR_TEAM_DB_URL: pgServer.url(dbName),
      AGENT_MONITOR_MACHINE_NAME: name,
      AGENT_MONITOR_PERSON: `person-${name}`,
      AGENT_MONITOR_TEAM_PUSH_INTERVAL_MS: '150',
      AGENT_MONITOR_TEAM_BACKOFF_MAX_MS: '400',
      ...extraEnv,
    },
  };
}

async function start(m: Omit<Machine, 'server'>): Promise<Machine> {
  const server = await startPatched({ dir: m.dir, codexHome: m.codexHome, env: m.env });
  onCleanup(() => server.stop());
  return { ...m, server };
}

async function teamSync(m: Machine): Promise<TeamSync> {
  return (await m.server.get<{ team_sync: TeamSync }>('/api/host/status')).team_sync;
}

/** Imports done and nothing left to push, seen twice a push interval apart. */
async function caughtUp(m: Machine, timeoutMs = 60_000): Promise<void> {
  let streak = 0;
  await waitFor(
    `${m.name} caught up`,
    async () => {
      const s = await m.server.get<{ team_sync: TeamSync; watcher: { behindBytes: number } }>('/api/host/status');
      streak = s.team_sync.state === 'idle' && s.team_sync.pending === 0 && s.watcher.behindBytes === 0 ? streak + 1 : 0;
      return streak >= 3;
    },
    timeoutMs,
    200,
  );
}

function writeCodexRollout(m: { codexHome: string }, calls: number): void {
  const file = path.join(m.codexHome, 'sessions', '2026', '11', '27', rolloutName(CODEX));
  fs.writeFileSync(file, `${rolloutLines(0, calls, { sid: CODEX }).join('\n')}\n`);
}

async function hookCalls(m: Machine, sid: string, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const r = await postHook(m.server, 'PreToolUse', preToolUse(sid, `toolu_${m.name}_${i}`, transcriptPath(m, sid)));
    expect(r.status).toBe(200);
  }
}

interface LocalFacts {
  events: Set<string>;
  usage: Map<string, { session: string; tokens: number }>;
  live: Set<string>;
  sessions: Set<string>;
}

function localFacts(m: Machine): LocalFacts {
  const db = new Database(m.server.dbPath, { readonly: true });
  try {
    const events = new Set((db.prepare('SELECT session_id, dedup_key FROM events').all() as Array<{ session_id: string; dedup_key: string }>).map((r) => `${r.session_id}|${r.dedup_key}`));
    const usage = new Map(
      (db.prepare('SELECT usage_key, session_id, input_tokens + output_tokens + cache_read_tokens + cache_write_tokens AS t FROM usage_records').all() as Array<{ usage_key: string; session_id: string; t: number }>).map((r) => [
        `${r.session_id}|${r.usage_key}`,
        { session: r.session_id, tokens: r.t },
      ]),
    );
    const live = new Set((db.prepare(`SELECT DISTINCT session_id AS s FROM events WHERE seen_by IN ('hook', 'hook,rollout')`).all() as Array<{ s: string }>).map((r) => r.s));
    const sessions = new Set((db.prepare('SELECT id FROM sessions').all() as Array<{ id: string }>).map((r) => r.id));
    return { events, usage, live, sessions };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  pgServer = await startPostgres();
});

afterAll(async () => {
  await pgServer?.destroy();
});

describe('team sync to PostgreSQL', () => {
  it('three machines, overlapping imports, a SIGKILL and an outage: every fact exactly once, per-machine totals exact', async () => {
    const admin = await pgServer.connect('postgres');
    await admin.query('CREATE DATABASE team_main');
    await admin.end();

    const a0 = prepare('alpha', 'team_main');
    const b0 = prepare('bravo', 'team_main');
    // C pushes in small batches so that a SIGKILL lands while rows are still pending.
    const c0 = prepare('charlie', 'team_main', { AGENT_MONITOR_TEAM_BATCH_ROWS: '25' });

    // The same transcript of S1 and the same Codex rollout in A's and B's folders.
    writeClaudeTranscript(transcriptPath(a0, S1), 120_000, { sessionId: S1, idPrefix: 's1' });
    fs.mkdirSync(path.dirname(transcriptPath(b0, S1)), { recursive: true });
    fs.copyFileSync(transcriptPath(a0, S1), transcriptPath(b0, S1));
    writeCodexRollout(a0, 40);
    writeCodexRollout(b0, 40);
    writeClaudeTranscript(transcriptPath(b0, S3), 60_000, { sessionId: S3, model: 'claude-haiku-4-5', idPrefix: 's3' });
    writeClaudeTranscript(transcriptPath(c0, S4), 400_000, { sessionId: S4, idPrefix: 's4' });

    // B first, so B pushes S1 (imported, not live) before A does: A must take it over.
    const b = await start(b0);
    await hookCalls(b, S3, 0, 5);
    await caughtUp(b);
    const a = await start(a0);
    await hookCalls(a, S1, 0, 10);
    const c = await start(c0);
    await hookCalls(c, S4, 0, 5);

    // C: killed mid-push, then restarted on the same data.
    const atKill = await waitFor('C has pushed some rows and has more to push', async () => {
      const s = await teamSync(c);
      return (s.pushed?.events ?? 0) > 0 && s.pending > 50 ? s : null;
    }, 30_000, 5);
    c.server.child.kill('SIGKILL');
    await new Promise((r) => c.server.child.once('exit', r));
    expect(atKill.pending).toBeGreaterThan(50);
    const c2 = await start(c0);
    await hookCalls(c2, S4, 5, 3);

    await caughtUp(a);
    await caughtUp(c2);

    // The database goes away; A and B keep working.
    await pgServer.stop();
    await hookCalls(a, S1, 10, 6);
    await hookCalls(b, S3, 5, 4);
    // A transcript B imports while the database is away (tokens to catch up on, owned by B).
    writeClaudeTranscript(transcriptPath(b, S3B), 30_000, { sessionId: S3B, model: 'claude-haiku-4-5', idPrefix: 's3b' });
    const offline = await waitFor('A reports the outage with rows waiting', async () => {
      const s = await teamSync(a);
      return s.state === 'offline' && s.pending > 0 && s.last_error ? s : null;
    }, 30_000, 50);
    expect(offline.last_error).not.toContain(TEST_PG_PASSWORD);
    await pgServer.start();
    for (const m of [a, b, c2]) await caughtUp(m);

    const machines = [a, b, c2];
    const ids = new Map<string, string>();
    for (const m of machines) ids.set(m.name, (await teamSync(m)).machine_id!);
    for (const m of machines) await m.server.stop();

    // --- what the three local stores hold
    const local = new Map(machines.map((m) => [m.name, localFacts(m)]));
    const union = { events: new Set<string>(), usage: new Map<string, { session: string; tokens: number }>(), sessions: new Set<string>() };
    for (const f of local.values()) {
      f.events.forEach((k) => union.events.add(k));
      f.usage.forEach((v, k) => union.usage.set(k, v));
      f.sessions.forEach((s) => union.sessions.add(s));
    }
    expect(local.get('alpha')!.live.has(S1)).toBe(true);
    expect(local.get('bravo')!.sessions.has(S1)).toBe(true);
    expect(local.get('bravo')!.live.has(S1)).toBe(false);
    expect(union.usage.size).toBeGreaterThan(300);

    // --- what PostgreSQL holds
    const q = await pgServer.connect('team_main');
    try {
      const pgEvents = (await q.query<{ k: string }>(`SELECT session_id || '|' || dedup_key AS k FROM am_events`)).rows.map((r) => r.k);
      expect(pgEvents.length).toBe(union.events.size);
      expect(new Set(pgEvents)).toEqual(union.events);
      const pgUsage = (await q.query<{ k: string }>(`SELECT session_id || '|' || dedup_key AS k FROM am_usage`)).rows.map((r) => r.k);
      expect(pgUsage.length).toBe(union.usage.size);
      expect(new Set(pgUsage)).toEqual(new Set(union.usage.keys()));
      const pgSessions = (await q.query<{ session_id: string; machine_id: string; seen_live: boolean }>('SELECT session_id, machine_id, seen_live FROM am_sessions')).rows;
      expect(new Set(pgSessions.map((s) => s.session_id))).toEqual(union.sessions);

      // Owners: the live machine; for a session nobody saw live, the first pusher (A or B here).
      const owner = new Map(pgSessions.map((s) => [s.session_id, s.machine_id]));
      expect(owner.get(S1)).toBe(ids.get('alpha'));
      expect(owner.get(S3)).toBe(ids.get('bravo'));
      expect(owner.get(S4)).toBe(ids.get('charlie'));
      expect(owner.get(S3B)).toBe(ids.get('bravo'));
      expect([ids.get('alpha'), ids.get('bravo')]).toContain(owner.get(CODEX));
      expect(pgSessions.find((s) => s.session_id === S1)!.seen_live).toBe(true);

      // Per-machine token totals equal each local store's sum over the sessions that machine owns.
      const totals = new Map(
        (await q.query<{ machine_id: string; t: string }>(
          `SELECT s.machine_id, sum(u.input + u.output + u.cache_read + u.cache_creation)::text AS t
             FROM am_usage u JOIN am_sessions s USING (session_id) GROUP BY s.machine_id`,
        )).rows.map((r) => [r.machine_id, Number(r.t)]),
      );
      for (const m of machines) {
        const mine = ids.get(m.name)!;
        let expected = 0;
        for (const u of local.get(m.name)!.usage.values()) if (owner.get(u.session) === mine) expected += u.tokens;
        expect(totals.get(mine) ?? 0).toBe(expected);
        expect(expected).toBeGreaterThan(0);
      }
      const grand = [...union.usage.values()].reduce((s, u) => s + u.tokens, 0);
      expect([...totals.values()].reduce((s, t) => s + t, 0)).toBe(grand);
      // The rollup the team view reads (am_usage_daily) holds exactly the same sums, after the
      // overlapping imports, the SIGKILL mid-push and the outage: per key, as summed from am_usage.
      const rawDaily = await q.query(
        `SELECT session_id, (ts AT TIME ZONE 'UTC')::date AS day, agent, model, sum(input)::bigint AS input, sum(output)::bigint AS output,
                sum(cache_read)::bigint AS cache_read, sum(cache_creation)::bigint AS cache_creation, sum(cost_usd) AS cost, count(*)::bigint AS records
           FROM am_usage GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 NULLS FIRST`,
      );
      const rolled = await q.query(
        `SELECT session_id, day, agent, model, input, output, cache_read, cache_creation, cost_usd AS cost, records
           FROM am_usage_daily ORDER BY 1, 2, 3, 4 NULLS FIRST`,
      );
      expect(rolled.rows.length).toBeGreaterThan(0);
      expect(rolled.rows).toEqual(rawDaily.rows);

      // Sightings: both A and B pushed S1 and the Codex session.
      const sightings = (await q.query<{ session_id: string; n: number }>('SELECT session_id, count(*)::int AS n FROM am_sightings GROUP BY session_id')).rows;
      expect(sightings.find((s) => s.session_id === S1)?.n).toBe(2);
      expect(sightings.find((s) => s.session_id === CODEX)?.n).toBe(2);
      const names = (await q.query<{ machine_name: string; person: string }>('SELECT machine_name, person FROM am_machines ORDER BY machine_name')).rows;
      expect(names).toEqual([
        { machine_name: 'alpha', person: 'person-alpha' },
        { machine_name: 'bravo', person: 'person-bravo' },
        { machine_name: 'charlie', person: 'person-charlie' },
      ]);

      expect((await q.query('SELECT version, description FROM am_schema_version ORDER BY version')).rows).toEqual(TEAM_MIGRATIONS.map((m) => ({ version: m.version, description: m.description })));

      // Redaction by default: no text anywhere.
      expect((await q.query('SELECT count(*)::int AS n FROM am_events WHERE summary IS NOT NULL OR body IS NOT NULL')).rows[0]).toEqual({ n: 0 });
      expect((await q.query('SELECT count(*)::int AS n FROM am_sessions WHERE title IS NOT NULL')).rows[0]).toEqual({ n: 0 });
      // Metadata is there: tool names of the hook calls.
      expect((await q.query(`SELECT count(*)::int AS n FROM am_events WHERE session_id = $1 AND tool_name = 'Bash'`, [S1])).rows[0]).toEqual({ n: 16 });
      // Costs from the price table (sonnet and haiku are priced).
      expect((await q.query('SELECT count(*)::int AS n FROM am_usage WHERE cost_usd IS NULL AND model LIKE $1', ['claude-%'])).rows[0]).toEqual({ n: 0 });
    } finally {
      await q.end();
    }

    // The password never reached a log line.
    for (const m of machines) {
      expect(m.server.output()).toContain('team sync: pushing to postgres://am_admin:***@127.0.0.1');
      expect(m.server.output()).not.toContain(TEST_PG_PASSWORD);
    }
    expect(a.server.output()).toContain('team sync: ');
  }, 240_000);

  it('AGENT_MONITOR_SHARE_TEXT=1 fills the text columns', async () => {
    const admin = await pgServer.connect('postgres');
    await admin.query('CREATE DATABASE team_text');
    await admin.end();
    const d0 = prepare('delta', 'team_text', { AGENT_MONITOR_SHARE_TEXT: '1' });
    const sid = '55555555-5555-4555-8555-555555555555';
    writeClaudeTranscript(transcriptPath(d0, sid), 20_000, { sessionId: sid });
    const d = await start(d0);
    await hookCalls(d, sid, 0, 3);
    // Rows PostgreSQL cannot take as they are: a NUL in text (cleaned to U+FFFD) and a time past
    // PostgreSQL's range (refused: counted as skipped, never retried forever, the rest goes on).
    const local = new Database(d.server.dbPath);
    const insert = local.prepare(`INSERT INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                                  VALUES (?, 'PostToolUse', 'Bash', ?, ?, ?, 'hook', 'hook', ?)`);
    insert.run(sid, 'out\u0000put', JSON.stringify({ tool_response: 'a\u0000b' }), new Date().toISOString(), 'post:nul');
    insert.run(sid, 'far future', '{}', '+275760-09-13T00:00:00.000Z', 'post:far-future');
    local.close();
    await hookCalls(d, sid, 3, 1);
    await caughtUp(d);
    const status = await teamSync(d);
    expect(status).toMatchObject({ state: 'idle', pending: 0, last_error: null, skipped: 1 });
    expect(d.server.output()).toMatch(/team sync: the server refused a team_events row at cursor \d+ \(.*\); skipped/);
    const q = await pgServer.connect('team_text');
    try {
      const r = await q.query<{ summary: string | null; command: string | null }>(
        `SELECT summary, body->'tool_input'->>'command' AS command FROM am_events WHERE session_id = $1 AND hook_type = 'PreToolUse' ORDER BY dedup_key`, [sid]);
      expect(r.rows.length).toBe(4);
      for (const row of r.rows) {
        expect(row.command).toBe('cargo test -p demo-parser');
        expect(row.summary).toContain('cargo test');
      }
      expect((await q.query('SELECT count(*)::int AS n FROM am_events WHERE body IS NULL')).rows[0]).toEqual({ n: 0 });
      expect((await q.query(`SELECT summary, body->>'tool_response' AS out FROM am_events WHERE dedup_key = 'post:nul'`)).rows).toEqual([{ summary: 'out\uFFFDput', out: 'a\uFFFDb' }]);
      expect((await q.query(`SELECT count(*)::int AS n FROM am_events WHERE dedup_key = 'post:far-future'`)).rows[0]).toEqual({ n: 0 });
      expect((await q.query(`SELECT count(*)::int AS n FROM am_events WHERE hook_type = 'PreToolUse'`)).rows[0]).toEqual({ n: 4 });
    } finally {
      await q.end();
    }
  }, 120_000);

  it('a team database newer than the sidecar is refused: status error, nothing written', async () => {
    const admin = await pgServer.connect('postgres');
    await admin.query('CREATE DATABASE team_newer');
    await admin.end();
    const q = await pgServer.connect('team_newer');
    try {
      await q.query(`CREATE TABLE am_schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), applied_by text)`);
      await q.query(`INSERT INTO am_schema_version (version, description) VALUES (99, 'from the future')`);
      const e0 = prepare('echo', 'team_newer');
      writeClaudeTranscript(transcriptPath(e0, S4), 10_000, { sessionId: S4, idPrefix: 'e' });
      const e = await start(e0);
      // Refused at every retry, while the imported rows wait (pending is counted before each try).
      const s = await waitFor('the refusal in the status, with rows waiting', async () => {
        const t = await teamSync(e);
        return t.state === 'error' && t.pending > 0 ? t : null;
      });
      expect(s.last_error).toBe(`the team database's schema is version 99, newer than this agent monitor knows (${TEAM_MIGRATIONS.length}); update the agent monitor on this machine. Nothing was changed in the database.`);
      const tables = (await q.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`)).rows.map((r) => r.t);
      expect(tables).toEqual(['am_schema_version']);
    } finally {
      await q.end();
    }
  });

  it('without AGENT_MONITOR_TEAM_DB_URL nothing is pushed and the status says off', async () => {
    const dir = tempDir('am-team-off-');
    const server = await startPatched({ dir });
    onCleanup(() => server.stop());
    const s = await server.get<{ team_sync: TeamSync }>('/api/host/status');
    expect(s.team_sync).toEqual({ state: 'off', last_push_at: null, pending: 0, last_error: null, failing_since: null });
    expect(fs.existsSync(path.join(dir, 'machine-id'))).toBe(false);
  });
});
