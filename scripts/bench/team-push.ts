/**
 * Team sync benchmarks (`npm run bench -- --only team-push`), against a real PostgreSQL started
 * from the npm registry (scripts/lib/postgres.ts) with its default durability (fsync on):
 *
 *  1. Push throughput: the pusher (src/sidecar/team/pusher.ts, in this process) sends a seeded
 *     local store — events, usage records, sessions — to an empty team database, from start
 *     (connect, migrate) to nothing pending. Baseline in the same run: the same rows read from the
 *     same SQLite file and written with bare multi-row INSERTs (1,000 rows a statement, one
 *     transaction each, no ON CONFLICT, no cursor) into an empty database with the same tables.
 *  2. Catch-up after 1 hour offline at a busy rate. Assumed rate: 8 sessions working at once, each
 *     1 hook event per second and 1 model response (usage record) every 4 s, so 28,800 events and
 *     7,200 usage records wait when the database comes back. Metadata only, and with text shared
 *     (each event's JSON body, ~0.5 KB here).
 *  3. Sidecar CPU while syncing at a steady agent rate: a patched sidecar receives 8 hook posts a
 *     second for 30 s with sync on, and the same without sync (baseline), CPU time of the whole
 *     process from /proc.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import pg from 'pg';
import Database from 'better-sqlite3';
import { openUpstreamDb } from '../lib/upstream-schema.js';
import { seedSession } from '../lib/seed.js';
import { startPostgres, type TestPostgres } from '../lib/postgres.js';
import { postHook, preToolUse, startPatched } from '../lib/servers.js';
import { isMainModule } from '../lib/is-main.js';
import { TeamPusher } from '../../src/sidecar/team/pusher.js';
import { migrateTeamSchema } from '../../src/sidecar/team/pg-schema.js';

export interface TeamPushRow {
  measure: string;
  result: string;
  baseline: string;
  note: string;
}

export interface TeamPushOptions {
  runs?: number;
  /** Sessions × calls for the throughput case (2 events and 1 usage record per call). */
  sessions?: number;
  calls?: number;
  cpuSeconds?: number;
}

const BUSY_SESSIONS = 8;
const HOUR_S = 3600;

function seedStore(file: string, sessions: number, calls: number, opts: { start?: Date; usageEvery?: number } = {}): { events: number; usage: number; sessions: number } {
  const db = openUpstreamDb(file);
  const insertUsage = db.prepare(`INSERT OR IGNORE INTO usage_records (usage_key, session_id, harness, model, turn_id, at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens)
                                  VALUES (?, ?, 'claude', 'claude-sonnet-4-5', ?, ?, ?, ?, ?, ?, 0)`);
  const t0 = (opts.start ?? new Date(Date.now() - calls * 2000)).getTime();
  let usage = 0;
  for (let s = 0; s < sessions; s++) {
    const sid = `bench-${s.toString().padStart(4, '0')}-${path.basename(file)}`;
    seedSession(db, { sessionId: sid, calls, start: new Date(t0), command: (i) => `cargo test -p crate-${i % 17} -- --nocapture`, output: (i) => `test result: ok. ${i} passed; 0 failed`.padEnd(300, '.') });
    db.transaction(() => {
      const every = opts.usageEvery ?? 1;
      for (let i = 0; i < calls; i += every) {
        insertUsage.run(`claude:msg_${sid}_${i}:req_${i}`, sid, `turn-${i >> 3}`, new Date(t0 + i * 2000).toISOString(), 10 + (i % 7), 200 + (i % 50), 5000 + i, i % 9);
        usage++;
      }
    })();
  }
  db.close();
  return { events: sessions * calls * 2, usage, sessions };
}

async function freshDb(server: TestPostgres, name: string): Promise<string> {
  const admin = await server.connect('postgres');
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url(name);
}

/** Runs a pusher over `dbFile` until nothing is pending; ms from start (connect + migrate included). */
async function pushAll(dbFile: string, url: string, shareText: boolean): Promise<number> {
  const pusher = new TeamPusher({
    dbPath: dbFile,
    url,
    shareText,
    identity: { machineId: '00000000-0000-4000-8000-000000000001', machineName: 'bench', person: 'bench' },
    intervalMs: 50,
    log: () => undefined,
  });
  const t0 = performance.now();
  pusher.start();
  try {
    for (;;) {
      const s = pusher.status();
      if (s.state === 'idle' && s.pending === 0 && s.last_push_at) return performance.now() - t0;
      if (s.state === 'error') throw new Error(`pusher failed: ${s.last_error}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    await pusher.stop();
  }
}

/** The baseline: the same rows, read from SQLite and written with plain multi-row INSERTs. */
async function bareInsert(dbFile: string, url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrateTeamSchema(client, { appliedBy: 'bench' });
    await client.query(`INSERT INTO am_machines (machine_id, machine_name, person) VALUES ('m', 'bench', 'bench')`);
    const t0 = performance.now();
    const db = new Database(dbFile, { readonly: true });
    try {
      const sessions = db.prepare('SELECT id, harness, cwd, model, started_at, updated_at, status, event_count FROM sessions').all() as Array<Record<string, unknown>>;
      await insertRows(client, 'am_sessions', ['session_id', 'machine_id', 'seen_live', 'agent', 'cwd', 'model', 'started_at', 'last_event_at', 'status', 'event_count'],
        sessions.map((s) => [s.id, 'm', true, s.harness, s.cwd, s.model, s.started_at, s.updated_at, s.status, s.event_count]));
      const events = db.prepare('SELECT session_id, dedup_key, created_at, hook_type, tool_name, source FROM events ORDER BY id').raw().all() as unknown[][];
      await insertRows(client, 'am_events', ['session_id', 'dedup_key', 'ts', 'hook_type', 'tool_name', 'source'], events);
      const usage = db.prepare(`SELECT session_id, usage_key, at, harness, model, turn_id, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, reasoning_tokens
                                FROM usage_records`).raw().all() as unknown[][];
      await insertRows(client, 'am_usage', ['session_id', 'dedup_key', 'ts', 'agent', 'model', 'turn_id', 'input', 'output', 'cache_creation', 'cache_read', 'reasoning'], usage);
    } finally {
      db.close();
    }
    return performance.now() - t0;
  } finally {
    await client.end();
  }
}

async function insertRows(client: pg.Client, table: string, cols: string[], rows: unknown[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    const values: unknown[] = [];
    const tuples = chunk.map((r, j) => `(${cols.map((_, k) => `$${j * cols.length + k + 1}`).join(', ')})`);
    for (const r of chunk) values.push(...r);
    await client.query('BEGIN');
    await client.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${tuples.join(', ')}`, values);
    await client.query('COMMIT');
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function procCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
}

/** CPU % of one core of a sidecar fed 8 hook posts a second for `seconds`. */
async function steadyCpu(env: Record<string, string>, seconds: number): Promise<{ cpuPct: number; posted: number; pushed: number | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-bench-teamcpu-'));
  const server = await startPatched({ dir, env });
  const agent = new http.Agent({ keepAlive: true });
  try {
    await new Promise((r) => setTimeout(r, 3000)); // start-up settles (migration, first push)
    const cpu0 = procCpuMs(server.pid);
    const w0 = performance.now();
    let posted = 0;
    const perTick = BUSY_SESSIONS;
    for (let s = 0; s < seconds; s++) {
      const tick = performance.now();
      for (let k = 0; k < perTick; k++) {
        const sid = `steady-${k}`;
        const r = await postHook(server, 'PreToolUse', preToolUse(sid, `toolu_${s}_${k}`), { agent });
        if (r.status !== 200) throw new Error(`hook post answered ${r.status}: ${r.body}`);
        posted++;
      }
      const left = 1000 - (performance.now() - tick);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    }
    await new Promise((r) => setTimeout(r, 1000)); // the last push
    const cpuPct = (100 * (procCpuMs(server.pid) - cpu0)) / (performance.now() - w0);
    const status = await server.get<{ team_sync: { state: string; pending: number; pushed?: { events: number } } }>('/api/host/status');
    if (env.AGENT_MONITOR_TEAM_DB_URL && status.team_sync.pending !== 0) throw new Error(`sync fell behind at the steady rate: ${JSON.stringify(status.team_sync)}`);
    return { cpuPct, posted, pushed: status.team_sync.pushed?.events ?? null };
  } finally {
    agent.destroy();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runTeamPushBench(opts: TeamPushOptions = {}): Promise<TeamPushRow[]> {
  const runs = opts.runs ?? 3;
  const sessions = opts.sessions ?? 40;
  const calls = opts.calls ?? 500;
  const cpuSeconds = opts.cpuSeconds ?? 30;
  const rows: TeamPushRow[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'am-bench-team-'));
  const server = await startPostgres({ durable: true });
  try {
    // 1. Throughput
    const store = path.join(work, 'throughput.db');
    const n = seedStore(store, sessions, calls);
    const facts = n.events + n.usage + n.sessions;
    const pushMs: number[] = [];
    const bareMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      // A fresh copy of the store each run: cursors start at 0.
      const copy = path.join(work, `throughput-${r}.db`);
      fs.copyFileSync(store, copy);
      pushMs.push(await pushAll(copy, await freshDb(server, `tp_push_${r}`), false));
      bareMs.push(await bareInsert(store, await freshDb(server, `tp_bare_${r}`)));
    }
    const p = median(pushMs);
    const b = median(bareMs);
    rows.push({
      measure: `push throughput: ${n.events.toLocaleString('en')} events + ${n.usage.toLocaleString('en')} usage records + ${n.sessions} sessions, empty database, median of ${runs}`,
      result: `${Math.round((n.events * 1000) / p).toLocaleString('en')} events/s (${Math.round((facts * 1000) / p).toLocaleString('en')} rows/s; ${(p / 1000).toFixed(2)} s)`,
      baseline: `bare multi-row INSERT of the same rows: ${(b / 1000).toFixed(2)} s (${Math.round((facts * 1000) / b).toLocaleString('en')} rows/s); pusher/bare = ${(p / b).toFixed(2)}×`,
      note: 'pusher time includes connect, schema migration, the SQLite reads and the cursor writes; text not shared',
    });

    // 2. Catch-up after one hour offline
    for (const shareText of [false, true]) {
      const file = path.join(work, `hour-${shareText ? 'text' : 'meta'}.db`);
      // 1 event/s per session = one tool call (2 events) every 2 s; a usage record every 4 s = every 2nd call.
      const h = seedStore(file, BUSY_SESSIONS, HOUR_S / 2, { start: new Date(Date.now() - HOUR_S * 1000), usageEvery: 2 });
      const url = await freshDb(server, `hour_${shareText ? 'text' : 'meta'}`);
      const pre = new pg.Client({ connectionString: url });
      await pre.connect();
      await migrateTeamSchema(pre, { appliedBy: 'bench' }); // the database existed before the outage
      await pre.end();
      const ms = await pushAll(file, url, shareText);
      rows.push({
        measure: `catch-up after 1 h offline at ${BUSY_SESSIONS} sessions × 1 event/s (+1 usage record per session every 4 s)${shareText ? ', text shared' : ''}`,
        result: `${(ms / 1000).toFixed(2)} s for ${h.events.toLocaleString('en')} events + ${h.usage.toLocaleString('en')} usage records`,
        baseline: `the hour itself: 3,600 s (catch-up ${(HOUR_S * 1000 / ms).toFixed(0)}× faster than real time)`,
        note: shareText ? 'each event carries its JSON body (~0.5 KB) and summary' : 'metadata, tool names, tokens and costs only (the default)',
      });
    }

    // 3. CPU while syncing at a steady agent rate
    const common = { AGENT_MONITOR_TEAM_PUSH_INTERVAL_MS: '2000' };
    const off = await steadyCpu({}, cpuSeconds);
    const on = await steadyCpu({ ...common, AGENT_MONITOR_TEAM_DB_URL: await freshDb(server, 'steady') }, cpuSeconds);
    rows.push({
      measure: `sidecar CPU, ${BUSY_SESSIONS} hook posts/s for ${cpuSeconds} s, sync on (push every 2 s)`,
      result: `${on.cpuPct.toFixed(2)} % of one core (${on.posted} posts, ${on.pushed ?? 0} events pushed)`,
      baseline: `same load, sync off: ${off.cpuPct.toFixed(2)} % of one core; sync adds ${(on.cpuPct - off.cpuPct).toFixed(2)} points`,
      note: 'whole sidecar process (HTTP thread, rollout worker off), utime+stime from /proc',
    });
  } finally {
    await server.destroy();
    fs.rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

export function teamPushBenchMarkdown(rows: TeamPushRow[]): string {
  return [
    '| measure | result | baseline (same run) | note |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.measure} | ${r.result} | ${r.baseline} | ${r.note} |`),
  ].join('\n');
}

if (isMainModule(import.meta.url)) {
  runTeamPushBench().then(
    (rows) => console.log(teamPushBenchMarkdown(rows)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
