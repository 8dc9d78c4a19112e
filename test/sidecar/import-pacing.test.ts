/**
 * The importer's pacing with the HTTP thread's WriteTurn (src/sidecar/write-turn.ts,
 * src/sidecar/tail-import.ts awaitGap): no fixed lock-free gap while nobody waits, and an import
 * that lets a writer on another thread go first loses and repeats nothing.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { importClaudeFile } from '../../src/sidecar/claude/import.js';
import { awaitGap, type BatchPacer } from '../../src/sidecar/tail-import.js';
import { WriteTurn } from '../../src/sidecar/write-turn.js';
import { onCleanup } from '../helpers/temp.js';
import { assistantLine, SID, toolResult, usage, userPrompt } from '../usage/fixtures.js';
import { createTempDirectory, openTestDb } from './helpers.js';

const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');

function transcript(dir: string, turns: number): string {
  const lines: string[] = [];
  for (let t = 0; t < turns; t++) {
    const at = new Date(Date.UTC(2026, 10, 20, 10, 0, t)).toISOString();
    lines.push(userPrompt(`turn ${t}: please build`, at, { promptId: `p-${t}` }));
    lines.push(assistantLine(`msg_${t}`, `req_${t}`, 'claude-sonnet-4-5', { type: 'tool_use', id: `toolu_${t}`, name: 'Bash', input: { command: `cmd-${t}` } }, usage(10, 5, 0, 0), at, { promptId: `p-${t}` }, 'tool_use'));
    lines.push(toolResult(`toolu_${t}`, at, false, { promptId: `p-${t}` }));
  }
  const file = path.join(dir, `${SID}.jsonl`);
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

describe('import pacing with a WriteTurn', () => {
  it('sleeps no fixed gap between transactions while no hook store waits', () => {
    const pacer: BatchPacer = { targetMs: 1, minBytes: 4096, maxBytes: 8192, bytesPerMs: {}, minGapMs: 200, lastEnd: performance.now(), turn: new WriteTurn() };
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) {
      awaitGap(pacer);
      pacer.lastEnd = performance.now();
    }
    // Without the turn these five calls would sleep ~1 s (5 × 200 ms).
    expect(performance.now() - t0).toBeLessThan(150);
  });

  it('an import paced by the turn and a writer on another thread that raises it: every row of both, nothing lost or repeated', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const file = transcript(createTempDirectory(), 2_000);
    const turn = new WriteTurn();
    // The HTTP thread's part, on its own connection: want → BEGIN IMMEDIATE → insert → COMMIT → done, 30 times.
    const w = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.sqlitePath);
      const db = new Database(workerData.dbPath);
      db.pragma('busy_timeout = 5000');
      const v = new Int32Array(workerData.turn, 0, 1);
      const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      db.prepare("INSERT OR IGNORE INTO sessions (id, status, started_at, updated_at) VALUES ('hook-side', 'active', 'x', 'x')").run();
      const ins = db.prepare("INSERT INTO events (session_id, hook_type, summary, data, created_at, source, seen_by, dedup_key) VALUES ('hook-side', 'Notification', 's', '{}', 'x', 'hook', 'hook', ?)");
      parentPort.postMessage({ ready: true });
      let n = 0;
      for (let i = 0; i < 30; i++) {
        Atomics.add(v, 0, 1);
        try {
          db.exec('BEGIN IMMEDIATE');
          ins.run('k' + i);
          db.exec('COMMIT');
          n++;
        } finally {
          Atomics.sub(v, 0, 1);
          Atomics.notify(v, 0);
        }
        sleep(3);
      }
      db.close();
      parentPort.postMessage({ n });`, { eval: true, workerData: { dbPath, turn: turn.buffer, sqlitePath } });
    onCleanup(() => void w.terminate());
    let onReady: () => void = () => {};
    const ready = new Promise<void>((r) => (onReady = r));
    const done = new Promise<number>((resolve, reject) => {
      w.on('message', (m: { ready?: true; n?: number }) => (m.ready ? onReady() : resolve(m.n!)));
      w.on('error', reject);
    });
    await ready;
    const pacer: BatchPacer = { targetMs: 2, minBytes: 4096, maxBytes: 64 * 1024, bytesPerMs: {}, minGapMs: 6, lastEnd: 0, turn };
    const res = importClaudeFile(db, file, { batchBytes: 4096, pacer });
    expect(await done).toBe(30);
    const rows = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    expect(rows("SELECT COUNT(*) AS n FROM events WHERE session_id = 'hook-side'")).toBe(30);
    // 2,000 turns: a SessionStart, then per turn a prompt, a Pre and a Post; one usage row per message.
    expect(res.inserted).toBe(1 + 3 * 2_000);
    expect(rows("SELECT COUNT(*) AS n FROM events WHERE source = 'rollout'")).toBe(1 + 3 * 2_000);
    expect(rows('SELECT COUNT(*) AS n FROM usage_records')).toBe(2_000);
    expect(rows('SELECT offset AS n FROM claude_transcript_files')).toBe(fs.statSync(file).size);
    // Imported again: nothing new.
    expect(importClaudeFile(db, file, { pacer }).inserted).toBe(0);
  });
});
