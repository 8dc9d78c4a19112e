/**
 * Part 2 of the history benchmark (scripts/bench/history.ts), run in a process of its own so that
 * its main thread is as the sidecar's HTTP thread is: it holds nothing but the probe, while the
 * bench's own process has generated and imported gigabytes (its garbage collections are not the
 * sidecar's).
 *
 * The probe: a hook-like store every 10 ms through the sidecar's write path (GroupCommit with the
 * WriteTurn, the connection not checkpointing), 3 s without an import (the machine's own noise),
 * then while the bundled rollout worker imports and indexes the history. Prints one JSON line:
 * each tick's lateness, each store's time to commit, and this process's GC pauses.
 *
 *   tsx scripts/bench/stall-probe.ts '{"dbPath":…,"codexHome":…,"claudeDir":…,"workerPath":…}'
 */
import { PerformanceObserver } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { startRolloutWatcher } from '../../src/sidecar/index.js';
import { GroupCommit } from '../../src/sidecar/host/group-commit.js';
import { WriteTurn } from '../../src/sidecar/write-turn.js';
import { isMainModule } from '../lib/is-main.js';
import { openUpstreamDb } from '../lib/upstream-schema.js';

export interface StallProbeArgs {
  dbPath: string;
  codexHome: string;
  claudeDir: string;
  workerPath: string;
}

export interface ProbeSeries {
  /** ms each 10 ms tick ran late */
  lags: number[];
  /** ms from submit to commit of each store */
  stores: number[];
  /** this process's GC pauses (ms) */
  gcPauses: number[];
}

export interface StallProbeResult {
  idle: ProbeSeries;
  busy: ProbeSeries;
  /** import + index, ms */
  tookMs: number;
  /** times a store found the lock taken and retried */
  busyRetries: number;
}

export async function stallProbe(a: StallProbeArgs): Promise<StallProbeResult> {
  openUpstreamDb(a.dbPath).close();
  const db = new Database(a.dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0'); // as the sidecar's HTTP thread while its worker runs
  const turn = new WriteTurn();
  const insert = db.prepare(`INSERT OR IGNORE INTO events (session_id, hook_type, created_at, source, seen_by, dedup_key) VALUES ('hook-session', 'PreToolUse', ?, 'hook', 'hook', ?)`);
  const store = new GroupCommit(db, (key: string) => insert.run(new Date().toISOString(), key).changes, { turn });
  let gcPauses: number[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push(e.duration);
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let n = 0;
  const probe = (): { stop: () => Promise<ProbeSeries> } => {
    gcPauses = [];
    const lags: number[] = [];
    const stores: number[] = [];
    const inFlight: Array<Promise<void>> = [];
    let expected = performance.now() + 10;
    const tick = setInterval(() => {
      lags.push(performance.now() - expected);
      const t = performance.now();
      inFlight.push(store.submit(`delivery:${n++}`).then(() => void stores.push(performance.now() - t)));
      expected = performance.now() + 10;
    }, 10);
    return {
      stop: async () => {
        clearInterval(tick);
        await Promise.all(inFlight);
        return { lags, stores, gcPauses };
      },
    };
  };
  const control = probe();
  await new Promise((r) => setTimeout(r, 3_000));
  const idle = await control.stop();
  const during = probe();
  const t0 = performance.now();
  const watcher = await startRolloutWatcher({ dbPath: a.dbPath, codexHome: a.codexHome, claudeDir: a.claudeDir, workerPath: a.workerPath, onChange: () => {}, writeTurn: turn.buffer });
  await watcher.flush();
  const tookMs = performance.now() - t0;
  const busy = await during.stop();
  await watcher.close();
  gcObserver.disconnect();
  db.close();
  return { idle, busy, tookMs, busyRetries: store.stats.busyRetries };
}

if (isMainModule(import.meta.url)) {
  stallProbe(JSON.parse(process.argv[2]!) as StallProbeArgs)
    .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
