/**
 * Rows for the team database (the am_ tables of src/sidecar/team/pg-schema.ts), written straight
 * into PostgreSQL, shared by the team-view tests and the team-view benchmark:
 *   - `seedTeamDemo`: three machines with known sessions, events and token/cost facts (the tests
 *     check totals against the figures in TEAM_DEMO);
 *   - `seedTeamBulk`: N events from M machines generated server-side with generate_series;
 *   - `createReaderLogin`: a login role in agent_monitor_reader, as an admin would create one.
 */
import type { SqlClient } from '../../src/sidecar/team/pg-schema.js';
import { READER_ROLE, USAGE_DAILY_SOURCE_COLUMNS, usageDailyAddSql } from '../../src/sidecar/team/pg-schema.js';

const DAY = 86_400_000;

/** A UTC midnight `daysAgo` days before `now`, plus `hours`. */
function at(now: number, daysAgo: number, hours: number): Date {
  const midnight = Math.floor(now / DAY) * DAY;
  return new Date(midnight - daysAgo * DAY + hours * 3_600_000);
}

export interface DemoUsage {
  key: string;
  daysAgo: number;
  model: string;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  reasoning: number;
  cost: number | null;
}

export interface DemoSession {
  id: string;
  machine: string;
  agent: 'claude' | 'codex';
  model: string;
  cwd: string;
  title: string;
  daysAgo: number;
  /** [hook_type, tool_name, summary (shared text) or null] */
  events: Array<[string, string | null, string | null]>;
  usage: DemoUsage[];
}

export const TEAM_DEMO = {
  machines: [
    { id: 'm-laptop', name: 'alice-laptop', person: 'alice', sharesText: true },
    { id: 'm-devbox', name: 'alice-devbox', person: 'alice', sharesText: false },
    { id: 'm-ci', name: 'ci-runner-7', person: 'ci-bot', sharesText: false },
  ],
  sessions: [
    {
      id: 'sess-laptop-claude', machine: 'm-laptop', agent: 'claude', model: 'claude-sonnet-4-5', cwd: '/home/alice/src/shop-api', title: 'Fix checkout rounding', daysAgo: 1,
      events: [
        ['SessionStart', null, 'Session started'],
        ['UserPromptSubmit', null, 'The checkout tests fail since the refactor; fix the rounding'],
        ['PreToolUse', 'Bash', 'Bash: npm test -- checkout'],
        ['PostToolUse', 'Bash', 'Bash: npm test -- checkout'],
        ['PreToolUse', 'Edit', 'Edit: src/cart.ts'],
        ['PostToolUseFailure', 'Edit', 'Edit: src/cart.ts'],
        ['Stop', null, 'Fixed the rounding in cart.ts'],
      ],
      usage: [
        { key: 'u1', daysAgo: 1, model: 'claude-sonnet-4-5', input: 1200, output: 300, cacheCreation: 5000, cacheRead: 20000, reasoning: 0, cost: 0.0456 },
        { key: 'u2', daysAgo: 1, model: 'claude-sonnet-4-5', input: 800, output: 700, cacheCreation: 0, cacheRead: 25000, reasoning: 0, cost: 0.0204 },
      ],
    },
    {
      id: 'sess-laptop-codex', machine: 'm-laptop', agent: 'codex', model: 'gpt-5-codex', cwd: '/home/alice/src/docs-site', title: 'Update the install guide', daysAgo: 2,
      events: [
        ['SessionStart', null, 'Session started'],
        ['UserPromptSubmit', null, 'Update the install guide for Node 22'],
        ['PreToolUse', 'apply_patch', 'apply_patch: docs/install.md'],
        ['PostToolUse', 'apply_patch', 'apply_patch: docs/install.md'],
      ],
      usage: [{ key: 'u1', daysAgo: 2, model: 'gpt-5-codex', input: 4000, output: 900, cacheCreation: 0, cacheRead: 12000, reasoning: 400, cost: 0.0125 }],
    },
    {
      id: 'sess-devbox-claude', machine: 'm-devbox', agent: 'claude', model: 'claude-opus-4-1', cwd: '/srv/alice/ml-pipeline', title: 'Speed up the loader', daysAgo: 2,
      events: [
        ['SessionStart', null, null],
        ['UserPromptSubmit', null, null],
        ['PreToolUse', 'Read', null],
        ['PostToolUse', 'Read', null],
        ['PreToolUse', 'Bash', null],
        ['PostToolUse', 'Bash', null],
        ['Stop', null, null],
      ],
      usage: [
        { key: 'u1', daysAgo: 2, model: 'claude-opus-4-1', input: 3000, output: 2000, cacheCreation: 10000, cacheRead: 40000, reasoning: 0, cost: 0.4275 },
        { key: 'u2', daysAgo: 2, model: 'claude-opus-4-1', input: 1000, output: 1000, cacheCreation: 0, cacheRead: 50000, reasoning: 0, cost: 0.165 },
      ],
    },
    {
      id: 'sess-ci-codex-1', machine: 'm-ci', agent: 'codex', model: 'gpt-5-codex', cwd: '/builds/shop-api', title: 'CI: review PR 412', daysAgo: 3,
      events: [
        ['SessionStart', null, null],
        ['PreToolUse', 'Bash', null],
        ['PostToolUse', 'Bash', null],
        ['Stop', null, null],
      ],
      usage: [{ key: 'u1', daysAgo: 3, model: 'gpt-5-codex', input: 9000, output: 1500, cacheCreation: 0, cacheRead: 30000, reasoning: 1200, cost: 0.03 }],
    },
    {
      id: 'sess-ci-codex-2', machine: 'm-ci', agent: 'codex', model: 'local-llama', cwd: '/builds/shop-api', title: 'CI: nightly triage', daysAgo: 1,
      events: [
        ['SessionStart', null, null],
        ['Stop', null, null],
      ],
      // A model without a price on the pushing machine: tokens count, cost stays unknown.
      usage: [{ key: 'u1', daysAgo: 1, model: 'local-llama', input: 500, output: 100, cacheCreation: 0, cacheRead: 0, reasoning: 0, cost: null }],
    },
  ] satisfies DemoSession[],
};

/** Writes TEAM_DEMO (dated relative to `now`). */
export async function seedTeamDemo(db: SqlClient, now = Date.now()): Promise<void> {
  for (const m of TEAM_DEMO.machines) {
    await db.query(`INSERT INTO am_machines (machine_id, machine_name, person, first_seen, last_seen, last_push_at) VALUES ($1, $2, $3, $4, $5, $5)`, [m.id, m.name, m.person, at(now, 10, 0), new Date(now)]);
  }
  for (const s of TEAM_DEMO.sessions) {
    const start = at(now, s.daysAgo, 9);
    const last = new Date(start.getTime() + s.events.length * 60_000);
    await db.query(
      `INSERT INTO am_sessions (session_id, machine_id, seen_live, agent, cwd, model, title, started_at, last_event_at, status, event_count)
       VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, 'completed', $9)`,
      [s.id, s.machine, s.agent, s.cwd, s.model, s.title, start, last, s.events.length],
    );
    await db.query(`INSERT INTO am_sightings (machine_id, session_id) VALUES ($1, $2)`, [s.machine, s.id]);
    for (const [i, [hook, tool, summary]] of s.events.entries()) {
      await db.query(`INSERT INTO am_events (session_id, dedup_key, ts, hook_type, tool_name, source, summary, body) VALUES ($1, $2, $3, $4, $5, 'hook', $6, NULL)`, [
        s.id, `e${i}`, new Date(start.getTime() + (i + 1) * 60_000), hook, tool, summary,
      ]);
    }
    for (const u of s.usage) {
      await db.query(
        `WITH ins AS (
           INSERT INTO am_usage (session_id, dedup_key, ts, agent, model, input, output, cache_creation, cache_read, reasoning, cost_usd)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (session_id, dedup_key) DO NOTHING RETURNING ${USAGE_DAILY_SOURCE_COLUMNS})
         ${usageDailyAddSql('ins')}`,
        [s.id, u.key, at(now, u.daysAgo, 10), s.agent, u.model, u.input, u.output, u.cacheCreation, u.cacheRead, u.reasoning, u.cost],
      );
    }
  }
}

/** A login role that may only read (a member of agent_monitor_reader). */
export async function createReaderLogin(db: SqlClient, name: string, password: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain role name: ${name}`);
  await db.query(`CREATE ROLE ${name} LOGIN PASSWORD '${password.replace(/'/g, "''")}' IN ROLE ${READER_ROLE}`);
}

export interface BulkSeed {
  events: number;
  machines: number;
  /** Events per session (default 200). */
  perSession?: number;
  /** One am_usage row per this many events (default 4). */
  usageEvery?: number;
  /** Days the sessions spread over, ending now (default 90). */
  days?: number;
  /** Share text on this fraction of the machines (default 0.2). */
  sharedFraction?: number;
}

export interface BulkSeedResult {
  machines: number;
  sessions: number;
  events: number;
  usage: number;
  ms: { machines: number; sessions: number; events: number; usage: number; analyze: number; total: number };
}

/**
 * N events over M machines, generated inside PostgreSQL (generate_series), in the pushers' shape:
 * every session belongs to one machine, events come `perSession` to a session five seconds
 * apart, one token record per `usageEvery` events, machines 1..(fraction × M) share text.
 */
export async function seedTeamBulk(db: SqlClient, opts: BulkSeed): Promise<BulkSeedResult> {
  const per = opts.perSession ?? 200;
  const every = opts.usageEvery ?? 4;
  const days = opts.days ?? 90;
  const m = opts.machines;
  const sessions = Math.max(1, Math.ceil(opts.events / per));
  const sharing = Math.round(m * (opts.sharedFraction ?? 0.2));
  const t0 = performance.now();
  const ms = { machines: 0, sessions: 0, events: 0, usage: 0, analyze: 0, total: 0 };
  const timed = async (k: keyof typeof ms, sql: string, params: unknown[] = []): Promise<void> => {
    const t = performance.now();
    await db.query(sql, params);
    ms[k] += performance.now() - t;
  };
  await timed(
    'machines',
    `INSERT INTO am_machines (machine_id, machine_name, person, first_seen, last_seen, last_push_at)
     SELECT 'bench-m' || i, 'host-' || lpad(i::text, 3, '0'), 'person-' || (i % 12), now() - interval '${days} days', now(), now()
       FROM generate_series(1, $1::int) i`,
    [m],
  );
  // Session s: machine (s % M) + 1, started (s / S) of the way through the period.
  await timed(
    'sessions',
    `INSERT INTO am_sessions (session_id, machine_id, seen_live, agent, cwd, model, title, started_at, last_event_at, status, event_count)
     SELECT 'bench-s' || s, 'bench-m' || (s % $2::int + 1), true,
            CASE WHEN s % 3 = 0 THEN 'codex' ELSE 'claude' END,
            '/home/dev/proj-' || (s % 40),
            (ARRAY['claude-sonnet-4-5', 'claude-opus-4-1', 'gpt-5-codex', 'claude-haiku-4-5'])[s % 4 + 1],
            'session ' || s,
            now() - interval '${days} days' + (s::float8 / $1::int) * interval '${days} days',
            now() - interval '${days} days' + (s::float8 / $1::int) * interval '${days} days' + $3::int * interval '5 seconds',
            'completed', $3::int
       FROM generate_series(0, $1::int - 1) s`,
    [sessions, m, per],
  );
  await timed(
    'events',
    `INSERT INTO am_events (session_id, dedup_key, ts, hook_type, tool_name, source, summary, body)
     SELECT 'bench-s' || (e / $2::int), 'k' || (e % $2::int),
            now() - interval '${days} days' + ((e / $2::int)::float8 / $3::int) * interval '${days} days' + (e % $2::int) * interval '5 seconds',
            (ARRAY['PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'Stop'])[e % 4 + 1],
            CASE WHEN e % 4 < 2 THEN (ARRAY['Bash', 'Edit', 'Read', 'Grep', 'apply_patch'])[e % 5 + 1] END,
            'hook',
            CASE WHEN (e / $2::int) % $4::int < $5::int THEN 'Bash: npm test -- shard-' || (e % 997) || ' in proj-' || ((e / $2::int) % 40) END,
            NULL
       FROM generate_series(0, $1::bigint - 1) e`,
    [opts.events, per, sessions, m, sharing],
  );
  await timed(
    'usage',
    // As the pushers do: am_usage and its rollup am_usage_daily in one statement, the rollup from
    // the rows actually inserted.
    `WITH ins AS (
     INSERT INTO am_usage (session_id, dedup_key, ts, agent, model, input, output, cache_creation, cache_read, reasoning, cost_usd)
     SELECT 'bench-s' || (e / $2::int), 'u' || (e % $2::int),
            now() - interval '${days} days' + ((e / $2::int)::float8 / $3::int) * interval '${days} days' + (e % $2::int) * interval '5 seconds',
            CASE WHEN (e / $2::int) % 3 = 0 THEN 'codex' ELSE 'claude' END,
            (ARRAY['claude-sonnet-4-5', 'claude-opus-4-1', 'gpt-5-codex', 'claude-haiku-4-5'])[(e / $2::int) % 4 + 1],
            1000 + e % 500, 200 + e % 300, CASE WHEN e % 10 = 0 THEN 4000 ELSE 0 END, 15000 + e % 5000, e % 7 * 10,
            CASE WHEN (e / $2::int) % 4 = 3 THEN NULL ELSE round(((1000 + e % 500) * 3 + (200 + e % 300) * 15)::numeric / 1e6, 6) END
       FROM generate_series(0, $1::bigint - 1, $4::int) e
     ON CONFLICT (session_id, dedup_key) DO NOTHING RETURNING ${USAGE_DAILY_SOURCE_COLUMNS})
     ${usageDailyAddSql('ins')}`,
    [opts.events, per, sessions, every],
  );
  await timed('analyze', 'ANALYZE am_machines, am_sessions, am_events, am_usage, am_usage_daily');
  ms.total = performance.now() - t0;
  for (const k of Object.keys(ms) as Array<keyof typeof ms>) ms[k] = Math.round(ms[k]);
  return { machines: m, sessions, events: opts.events, usage: Math.ceil(opts.events / every), ms };
}
