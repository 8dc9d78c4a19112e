import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/sidecar/host/group-commit.js';
import { WriteTurn } from '../../src/sidecar/write-turn.js';
import { onCleanup, tempDir } from '../helpers/temp.js';

function openDb(): { db: Database.Database; dbPath: string } {
  const dbPath = path.join(tempDir('group-commit-'), 'w.db');
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT NOT NULL CHECK (who <> \'bad\'))');
  onCleanup(() => db.close());
  return { db, dbPath };
}

function other(dbPath: string): Database.Database {
  const db = new Database(dbPath);
  onCleanup(() => db.close());
  return db;
}

const count = (db: Database.Database, who: string): number => (db.prepare('SELECT COUNT(*) AS n FROM t WHERE who = ?').get(who) as { n: number }).n;

describe('GroupCommit (the HTTP thread\'s hook store)', () => {
  it('stores posts of one event-loop turn in one transaction; a bad one fails alone', async () => {
    const { db } = openDb();
    const gc = new GroupCommit(db, (who: string) => db.prepare('INSERT INTO t (who) VALUES (?)').run(who).lastInsertRowid);
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((w) => gc.submit(w)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/CHECK constraint/);
    expect(gc.stats.commits).toBe(1);
    expect(count(db, 'a') + count(db, 'b')).toBe(2);
    expect(count(db, 'bad')).toBe(0);
  });

  it('never sleeps in the busy handler: while another connection holds the lock the event loop runs, and the post lands after that commit', async () => {
    const { db, dbPath } = openDb();
    const turn = new WriteTurn();
    const gc = new GroupCommit(db, (who: string) => db.prepare('INSERT INTO t (who) VALUES (?)').run(who).lastInsertRowid, { turn });
    const holder = other(dbPath);
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare('INSERT INTO t (who) VALUES (?)').run('holder');
    let settled = false;
    const p = gc.submit('hook').then((id) => ((settled = true), id));
    // The event loop keeps turning (a blocking busy wait would freeze it for up to 5 s).
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const iv = setInterval(() => {
        if (++ticks < 20) return;
        clearInterval(iv);
        resolve();
      }, 2);
    });
    expect(settled).toBe(false);
    expect(turn.waiting()).toBe(1); // the worker would be told to let the lock go
    expect(gc.stats.busyRetries).toBeGreaterThan(0);
    holder.exec('COMMIT');
    await p;
    expect(turn.waiting()).toBe(0);
    expect(count(db, 'hook')).toBe(1);
    expect(count(db, 'holder')).toBe(1);
  });

  it('fails with SQLITE_BUSY (a storage problem the route answers 503) when the lock stays taken for maxWaitMs', async () => {
    const { db, dbPath } = openDb();
    const turn = new WriteTurn();
    const gc = new GroupCommit(db, (who: string) => db.prepare('INSERT INTO t (who) VALUES (?)').run(who).lastInsertRowid, { turn, maxWaitMs: 60 });
    const holder = other(dbPath);
    holder.exec('BEGIN IMMEDIATE');
    const err = (await gc.submit('hook').catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('SQLITE_BUSY');
    expect(gc.stats.busyTimeouts).toBe(1);
    expect(turn.waiting()).toBe(0);
    holder.exec('ROLLBACK');
    // The connection is usable again at once, with its busy timeout restored.
    expect(await gc.submit('later')).toBeGreaterThan(0);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('a worker that writes back to back lets the lock go through the WriteTurn, so hook posts land while it keeps importing', async () => {
    const { db, dbPath } = openDb();
    const turn = new WriteTurn();
    const gc = new GroupCommit(db, (who: string) => db.prepare('INSERT INTO t (who) VALUES (?)').run(who).lastInsertRowid, { turn });
    // Bundled to one CommonJS script (its own WriteTurn copy, as the real worker bundle has), run from the repo root so it finds better-sqlite3.
    const bundle = await build({ entryPoints: [path.join(import.meta.dirname, 'fixtures', 'write-turn-worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['better-sqlite3'], write: false, logLevel: 'silent' });
    const worker = new Worker(bundle.outputFiles[0]!.text, { eval: true, workerData: { dbPath, turn: turn.buffer, holdMs: 8, runMs: 1500 } });
    onCleanup(() => worker.terminate());
    const messages: Array<{ type: string; transactions?: number; yielded?: number }> = [];
    const done = new Promise<{ transactions: number; yielded: number }>((resolve, reject) => {
      worker.on('message', (m: { type: string; transactions: number; yielded: number }) => {
        messages.push(m);
        if (m.type === 'done') resolve(m);
      });
      worker.on('error', reject);
    });
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    let stored = 0;
    while (messages.every((m) => m.type !== 'done') && stored < 20) {
      await gc.submit('hook');
      stored++;
      await new Promise((r) => setTimeout(r, 10));
    }
    const result = await done;
    expect(stored).toBe(20); // all 20 landed before the worker's 1.5 s of back-to-back writes ended
    expect(count(db, 'hook')).toBe(20);
    expect(result.yielded).toBeGreaterThan(0);
    expect(result.transactions).toBeGreaterThan(20);
    expect(turn.waiting()).toBe(0);
  });
});
