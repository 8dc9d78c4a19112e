/**
 * am_usage_daily (src/sidecar/team/pg-schema.ts, step 3), the rollup the team view's totals and
 * daily series read, against the raw am_usage rows it sums, on a real PostgreSQL
 * (scripts/lib/postgres.ts) filled by real pushers (src/sidecar/team/pusher.ts):
 *
 *  - two machines push overlapping local stores (a session imported by both, one machine only
 *    importing it, the other with its hooks): B pushes it first, then A takes it over live;
 *  - A's usage batch is pushed again, as after a crash between PostgreSQL's COMMIT and the local
 *    cursor write, and a third machine pushes a copy of B's store concurrently with B's retry;
 *  - a database that had usage before the rollup existed is migrated: the backfill.
 *
 * After each step every totals grouping and filter and the daily series are compared, value for
 * value, between `source: 'rollup'` (what the routes serve) and `source: 'raw'`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../scripts/lib/postgres.js';
import { seedSession } from '../../scripts/lib/seed.js';
import { openUpstreamDb } from '../../scripts/lib/upstream-schema.js';
import { migrateTeamSchema, TEAM_MIGRATIONS } from '../../src/sidecar/team/pg-schema.js';
import { TeamPusher } from '../../src/sidecar/team/pusher.js';
import { teamDaily, teamTotals, TEAM_TOTALS_BY, type TeamFilter, type TeamUsageSource } from '../../src/sidecar/team/view-routes.js';
import type { TeamReader } from '../../src/sidecar/team/view-db.js';
import { onCleanup, tempDir } from '../helpers/temp.js';

let server: TestPostgres;
let admin: pg.Client;
let url: string;

const SHARED = 'aaaaaaaa-0000-4000-8000-00000000000a'; // imported by B, live on A
const A_OWN = 'aaaaaaaa-0000-4000-8000-00000000000b';
const B_OWN = 'bbbbbbbb-0000-4000-8000-00000000000c';
const MACHINE = { A: '00000000-0000-4000-8000-0000000000a1', B: '00000000-0000-4000-8000-0000000000b2', C: '00000000-0000-4000-8000-0000000000c3' };
const DAY = 86_400_000;
const NOW = Date.now();

/** Usage records over several UTC days, several models (one with no price, one unknown: NULL). */
function addUsage(db: Database.Database, sid: string, n: number, salt: number): void {
  const ins = db.prepare(`INSERT OR IGNORE INTO usage_records (usage_key, session_id, harness, model, turn_id, at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens)
                          VALUES (?, ?, 'claude', ?, ?, ?, ?, ?, ?, ?, ?)`);
  const models = ['claude-sonnet-4-5', 'claude-opus-4-1', 'no-such-model-x', null];
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      // Spread over the last 4 days, some right at a UTC midnight boundary.
      const dayStart = Math.floor(NOW / DAY) * DAY - (i % 4) * DAY;
      const at = i % 5 === 0 ? dayStart : dayStart + ((i * 7919 + salt) % (DAY - 1000));
      ins.run(`claude:msg_${sid}_${i}:req_${i}`, sid, models[i % models.length], `turn-${i >> 2}`, new Date(Math.min(at, NOW - 1000)).toISOString(),
        10 + ((i * 13 + salt) % 97), 200 + (i % 50), 5000 + i, i % 3 === 0 ? 1200 : 0, i % 9);
    }
  })();
}

function store(name: string, build: (db: Database.Database) => void): string {
  const file = path.join(tempDir(`am-rollup-${name}-`), 'monitor.db');
  const db = openUpstreamDb(file);
  build(db);
  db.close();
  return file;
}

async function pushUntilIdle(file: string, machine: keyof typeof MACHINE): Promise<void> {
  const pusher = new TeamPusher({
    dbPath: file,
    url,
    shareText: false,
    identity: { machineId: MACHINE[machine], machineName: `host-${machine}`, person: machine === 'A' ? 'ann' : 'bob' },
    intervalMs: 50,
    backoffMaxMs: 200,
    // Small batches: many transactions, so a retry overlaps batch boundaries.
    batchRows: 7,
    log: () => undefined,
  });
  onCleanup(() => pusher.stop());
  pusher.start();
  try {
    const t0 = Date.now();
    for (;;) {
      const s = pusher.status();
      if (s.state === 'idle' && s.pending === 0 && s.last_push_at) return;
      if (Date.now() - t0 > 30_000) throw new Error(`pusher ${machine} did not catch up: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await pusher.stop();
  }
}

/** A TeamReader over the admin client (the routes' queries only). */
function readerOf(c: pg.Client): TeamReader {
  return {
    source: 'view-url',
    query: async <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => (await c.query<R>(sql, params)).rows,
    close: async () => undefined,
  };
}

async function compareAll(): Promise<{ rows: number }> {
  const db = readerOf(admin);
  const filters: TeamFilter[] = [
    {},
    { machine: MACHINE.A },
    { machine: MACHINE.B },
    { person: 'bob' },
    { model: 'claude-opus-4-1' },
    { agent: 'claude' },
    { day: new Date(NOW - DAY).toISOString().slice(0, 10) },
    { machine: MACHINE.A, model: 'no-such-model-x', day: new Date(NOW).toISOString().slice(0, 10) },
  ];
  let rows = 0;
  for (const f of filters) {
    for (const by of TEAM_TOTALS_BY) {
      const get = (s: TeamUsageSource) => teamTotals(db, by, f, s);
      const [rollup, raw] = await Promise.all([get('rollup'), get('raw')]);
      expect(rollup, `${by} ${JSON.stringify(f)}`).toEqual(raw);
      rows += raw.rows.length;
    }
    const daily = (s: TeamUsageSource) => teamDaily(db, 7, f, new Date(NOW), s);
    const [rollup, raw] = await Promise.all([daily('rollup'), daily('raw')]);
    expect(rollup, `daily ${JSON.stringify(f)}`).toEqual(raw);
  }
  return { rows };
}

async function rollupSnapshot(): Promise<unknown[]> {
  return (await admin.query(`SELECT * FROM am_usage_daily ORDER BY session_id, day, agent, model NULLS FIRST`)).rows;
}

beforeAll(async () => {
  server = await startPostgres();
  const boot = await server.connect('postgres');
  await boot.query('CREATE DATABASE rollup');
  await boot.query('CREATE DATABASE backfill');
  await boot.end();
  url = server.url('rollup');
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
});

afterAll(async () => {
  await admin?.end();
  await server?.destroy();
});

describe('am_usage_daily equals the sums of am_usage', () => {
  it('after two machines pushed overlapping stores, a live takeover, retried batches and a concurrent duplicate pusher', async () => {
    const storeB = store('B', (db) => {
      seedSession(db, { sessionId: SHARED, calls: 4, start: new Date(NOW - 3 * DAY) });
      // B only imported the shared session's files: not live there.
      db.prepare(`UPDATE events SET seen_by = 'rollout' WHERE session_id = ?`).run(SHARED);
      addUsage(db, SHARED, 40, 1);
      seedSession(db, { sessionId: B_OWN, calls: 3 });
      addUsage(db, B_OWN, 25, 2);
    });
    const storeA = store('A', (db) => {
      seedSession(db, { sessionId: SHARED, calls: 4, start: new Date(NOW - 3 * DAY) });
      addUsage(db, SHARED, 52, 1); // the same 40 records as B, and 12 more
      seedSession(db, { sessionId: A_OWN, calls: 3 });
      addUsage(db, A_OWN, 30, 3);
    });

    await pushUntilIdle(storeB, 'B');
    const before = await admin.query<{ machine_id: string }>('SELECT machine_id FROM am_sessions WHERE session_id = $1', [SHARED]);
    expect(before.rows[0]!.machine_id).toBe(MACHINE.B);
    await compareAll();

    await pushUntilIdle(storeA, 'A');
    // A saw it live: the session (and its usage) now belongs to A.
    const after = await admin.query<{ machine_id: string }>('SELECT machine_id FROM am_sessions WHERE session_id = $1', [SHARED]);
    expect(after.rows[0]!.machine_id).toBe(MACHINE.A);
    expect((await admin.query('SELECT count(*)::int AS n FROM am_usage')).rows[0]).toEqual({ n: 52 + 25 + 30 });
    const n = await admin.query<{ n: number }>('SELECT sum(records)::int AS n FROM am_usage_daily');
    expect(n.rows[0]!.n).toBe(52 + 25 + 30);
    const { rows } = await compareAll();
    expect(rows).toBeGreaterThan(20); // the comparisons were over real groups, not empty answers

    const byMachine = await teamTotals(readerOf(admin), 'machine', {});
    expect(Object.fromEntries(byMachine.rows.map((r) => [r.key, r.messages]))).toEqual({ [MACHINE.A]: 52 + 30, [MACHINE.B]: 25 });

    // --- every batch pushed again (a crash after COMMIT), with a third machine pushing a copy of
    // B's files at the same time: nothing changes.
    const snap = await rollupSnapshot();
    // The local cursors go back to the start, as if the cursor write after COMMIT had been lost.
    for (const file of [storeA, storeB]) {
      const db = openUpstreamDb(file);
      db.prepare(`UPDATE team_outbox SET cursor = 0 WHERE stream IN ('team_usage', 'team_events', 'team_sessions')`).run();
      expect(db.prepare(`SELECT cursor FROM team_outbox WHERE stream = 'team_usage'`).get()).toEqual({ cursor: 0 });
      db.close();
    }
    const storeC = path.join(tempDir('am-rollup-C-'), 'monitor.db');
    fs.copyFileSync(storeB, storeC);
    await Promise.all([pushUntilIdle(storeA, 'A'), pushUntilIdle(storeB, 'B'), pushUntilIdle(storeC, 'C')]);
    expect(await rollupSnapshot()).toEqual(snap);
    expect((await admin.query('SELECT count(*)::int AS n FROM am_usage')).rows[0]).toEqual({ n: 52 + 25 + 30 });
    await compareAll();
  });

  it('a database with usage from before the rollup is backfilled by the migration', async () => {
    const c = new pg.Client({ connectionString: server.url('backfill') });
    await c.connect();
    try {
      await migrateTeamSchema(c, { appliedBy: 'test', migrations: TEAM_MIGRATIONS.slice(0, 2) });
      await c.query(`INSERT INTO am_machines (machine_id, machine_name, person) VALUES ('m1', 'h1', 'p1')`);
      await c.query(`INSERT INTO am_sessions (session_id, machine_id, agent) VALUES ('s1', 'm1', 'codex'), ('s2', 'm1', 'claude')`);
      await c.query(
        `INSERT INTO am_usage (session_id, dedup_key, ts, agent, model, input, output, cache_creation, cache_read, reasoning, cost_usd)
         SELECT CASE WHEN i % 2 = 0 THEN 's1' ELSE 's2' END, 'k' || i, now() - (i % 5) * interval '1 day' - i * interval '1 minute',
                CASE WHEN i % 2 = 0 THEN 'codex' ELSE 'claude' END, (ARRAY['gpt-5-codex', NULL, 'claude-opus-4-1'])[i % 3 + 1],
                i, 2 * i, i % 4, 3 * i, i % 2, CASE WHEN i % 3 = 1 THEN NULL ELSE i::numeric / 7 END
           FROM generate_series(1, 500) i`,
      );
      const r = await migrateTeamSchema(c, { appliedBy: 'test' });
      expect(r.applied).toEqual([3]);
      const raw = await c.query(
        `SELECT session_id, (ts AT TIME ZONE 'UTC')::date AS day, agent, model, sum(input)::bigint AS input, sum(cost_usd) AS cost, count(*)::int AS n
           FROM am_usage GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 NULLS FIRST`,
      );
      const rolled = await c.query(
        `SELECT session_id, day, agent, model, input, cost_usd AS cost, records::int AS n FROM am_usage_daily ORDER BY 1, 2, 3, 4 NULLS FIRST`,
      );
      expect(rolled.rows.length).toBeGreaterThan(10);
      expect(rolled.rows).toEqual(raw.rows);
      const db = readerOf(c);
      for (const by of TEAM_TOTALS_BY) expect(await teamTotals(db, by, {}, 'rollup'), by).toEqual(await teamTotals(db, by, {}, 'raw'));
      expect(await teamDaily(db, 7, {}, new Date(), 'rollup')).toEqual(await teamDaily(db, 7, {}, new Date(), 'raw'));
    } finally {
      await c.end();
    }
  });
});
