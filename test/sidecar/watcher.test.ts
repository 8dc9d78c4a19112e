/**
 * The live watcher in a temp CODEX_HOME: the folder watches (not the sweep: its interval is set far out)
 * must pick up new files, appends and a CODEX_HOME created later. One case runs the real worker
 * thread, bundled with esbuild the way the build does it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { startRolloutWatcher, type RolloutWatcher } from '../../src/sidecar/index.js';
import { createTempDirectory, F8_NAME, f8Text, openTestDb, rows, SID } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const NO_SWEEP = 600_000;
const watchers: RolloutWatcher[] = [];
afterEach(async () => {
  while (watchers.length) await watchers.pop()!.close();
});

function count(db: ReturnType<typeof openTestDb>['db']): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
}

async function start(opts: Parameters<typeof startRolloutWatcher>[0]): Promise<RolloutWatcher> {
  const w = await startRolloutWatcher(opts);
  watchers.push(w);
  return w;
}

describe('startRolloutWatcher (inline)', () => {
  it('imports a new file in a new date folder, then each appended line', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const home = path.join(dir, 'codex');
    fs.mkdirSync(home);
    const changes: Array<{ sessionIds: string[]; inserted: number }> = [];
    const w = await start({ dbPath, codexHome: home, inline: true, sweepIntervalMs: NO_SWEEP, onChange: (c) => changes.push(c) });
    expect(w.status()).toMatchObject({ running: true, files: 0, behindBytes: 0 });

    const lines = f8Text().split('\n');
    const dayDir = path.join(home, 'sessions', '2026', '09', '14');
    fs.mkdirSync(dayDir, { recursive: true });
    const file = path.join(dayDir, F8_NAME);
    fs.writeFileSync(file, lines.slice(0, 5).join('\n') + '\n'); // meta … user_message
    await waitFor('new file imported', () => count(db) === 2, 5_000);
    expect(changes).toContainEqual({ sessionIds: [SID], inserted: 2 });

    fs.appendFileSync(file, lines[6] + '\n'); // function_call
    await waitFor('appended line imported', () => count(db) === 3, 5_000);
    // A second append right away (while the first one may still be importing) is not lost either.
    fs.appendFileSync(file, lines[7] + '\n');
    await waitFor('burst append imported', () => count(db) === 4, 5_000);
    fs.appendFileSync(file, lines.slice(8).join('\n'));
    await waitFor('rest imported', () => count(db) === 7, 5_000);
    await w.flush();
    expect(w.status()).toMatchObject({ running: true, files: 1, behindBytes: 0, malformedLines: 0 });
    expect(w.status().lastImportAt).not.toBeNull();
    expect(rows(db).map((r) => r.source)).toEqual(Array(7).fill('rollout'));
  });

  it('waits for a missing CODEX_HOME and picks it up when it appears', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const home = path.join(dir, 'not', 'yet', 'codex');
    const logs: string[] = [];
    await start({ dbPath, codexHome: home, inline: true, sweepIntervalMs: NO_SWEEP, onChange: () => {}, log: (m) => logs.push(m) });
    const dayDir = path.join(home, 'archived_sessions', '2026', '09', '14');
    fs.mkdirSync(dayDir, { recursive: true });
    fs.writeFileSync(path.join(dayDir, F8_NAME), f8Text());
    await waitFor('late CODEX_HOME imported', () => count(db) === 7, 8_000);
    expect(logs.filter((l) => /error/i.test(l))).toEqual([]);
  });

  it('the sweep is the safety net: files already there at start are imported', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const home = path.join(dir, 'codex');
    const dayDir = path.join(home, 'sessions', '2026', '09', '14');
    fs.mkdirSync(dayDir, { recursive: true });
    fs.writeFileSync(path.join(dayDir, F8_NAME), f8Text());
    fs.writeFileSync(path.join(home, 'history.jsonl'), '{"not":"a rollout"}\n');
    const w = await start({ dbPath, codexHome: home, inline: true, sweepIntervalMs: 100, onChange: () => {} });
    await waitFor('existing file imported', () => count(db) === 7, 5_000);
    await w.flush();
    expect(w.status()).toMatchObject({ files: 1, behindBytes: 0 });
  });
});

/** The worker bundle, built the way the real build does it; better-sqlite3 stays external (native) and resolves here. */
async function buildWorker(dir: string): Promise<string> {
  const outDir = path.join(dir, 'host');
  fs.mkdirSync(outDir);
  fs.symlinkSync(path.resolve('node_modules'), path.join(dir, 'node_modules'), 'dir');
  await build({
    entryPoints: [path.resolve('src/sidecar/rollout/worker.ts')],
    outfile: path.join(outDir, 'rollout-worker.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
    logLevel: 'silent',
  });
  return path.join(outDir, 'rollout-worker.cjs');
}

describe('startRolloutWatcher (worker thread, esbuild bundle)', () => {
  it('imports through the worker and reports coalesced changes and status', async () => {
    const dir = createTempDirectory();
    const workerPath = await buildWorker(dir);
    const { db, dbPath } = openTestDb(dir);
    const home = path.join(dir, 'codex');
    fs.mkdirSync(home);
    const changes: Array<{ sessionIds: string[]; inserted: number }> = [];
    const w = await start({ dbPath, codexHome: home, workerPath, sweepIntervalMs: NO_SWEEP, onChange: (c) => changes.push(c) });
    const dayDir = path.join(home, 'sessions', '2026', '09', '14');
    fs.mkdirSync(dayDir, { recursive: true });
    const text = f8Text();
    const file = path.join(dayDir, F8_NAME);
    fs.writeFileSync(file, text.slice(0, text.length - 20)); // last line still partial
    await waitFor('worker import', () => count(db) === 6, 8_000);
    fs.appendFileSync(file, text.slice(text.length - 20));
    await waitFor('worker append', () => count(db) === 7, 5_000);
    await w.flush();
    expect(w.status()).toMatchObject({ running: true, files: 1, behindBytes: 0, malformedLines: 0 });
    expect(changes.reduce((n, c) => n + c.inserted, 0)).toBe(7);
    expect(changes.every((c) => c.sessionIds.includes(SID))).toBe(true);
    await w.close();
    expect(w.status().running).toBe(false);
  });

  it('collects its heap once caught up (gc is exposed to the worker) and keeps importing appends after that', async () => {
    const dir = createTempDirectory();
    const workerPath = await buildWorker(dir);
    const { db, dbPath } = openTestDb(dir);
    const home = path.join(dir, 'codex');
    const dayDir = path.join(home, 'sessions', '2026', '09', '14');
    fs.mkdirSync(dayDir, { recursive: true });
    const text = f8Text();
    const file = path.join(dayDir, F8_NAME);
    fs.writeFileSync(file, text.slice(0, text.length - 20));
    const logs: string[] = [];
    // Any growth counts here, so the first drain (the import of the file above) ends with a collection.
    const w = await start({ dbPath, codexHome: home, workerPath, sweepIntervalMs: NO_SWEEP, heapReleaseBytes: 1, onChange: () => {}, log: (m) => logs.push(m) });
    await w.flush();
    expect(count(db)).toBe(6);
    await waitFor('heap release logged', () => logs.some((m) => /caught up: heap \d+ MB -> \d+ MB/.test(m)), 5_000);
    fs.appendFileSync(file, text.slice(text.length - 20));
    await waitFor('append after the release', () => count(db) === 7, 5_000);
    expect(w.status()).toMatchObject({ running: true, files: 1, behindBytes: 0 });
  });
});
