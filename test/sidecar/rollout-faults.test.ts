/**
 * Rollout files that misbehave: a line nested far too deep, and files rewritten in place (truncate
 * and write a longer file; overwrite without truncating while the first line stays the same).
 * Nothing before or after a bad line is lost, nothing is retried in a hot loop, and a rewritten
 * file is re-read from the start with exact dedup.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importRolloutFile, startRolloutWatcher, type RolloutWatcher } from '../../src/sidecar/index.js';
import { createTempDirectory, openTestDb } from './helpers.js';
import { deepRolloutLine, rolloutLines, rolloutName } from '../../scripts/lib/rollout-gen.js';

const watchers: RolloutWatcher[] = [];
afterEach(async () => {
  while (watchers.length) await watchers.pop()!.close();
});

function keys(db: ReturnType<typeof openTestDb>['db']): string[] {
  return (db.prepare('SELECT dedup_key FROM events ORDER BY dedup_key').all() as Array<{ dedup_key: string }>).map((r) => r.dedup_key);
}

function place(home: string, text: string): string {
  const dir = path.join(home, 'sessions', '2026', '11', '27');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, rolloutName());
  fs.writeFileSync(file, text);
  return file;
}

describe('a rollout line nested 50,000 deep', () => {
  it('is counted (output) or stored truncated and marked (arguments); the lines before and after are imported', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const before = rolloutLines(0, 3); // meta + 3 calls with their outputs
    const deepOutput = deepRolloutLine({ type: 'function_call_output', call_id: 'deep-out' }, 'output', 50_000);
    const deepArgs = deepRolloutLine({ type: 'custom_tool_call', name: 'x', call_id: 'deep-in' }, 'input', 50_000);
    const after = rolloutLines(3, 3, { meta: false });
    const file = place(path.join(dir, 'codex'), [...before, deepOutput, deepArgs, ...after].join('\n') + '\n');
    const logs: string[] = [];
    const res = importRolloutFile(db, file, { log: (m) => logs.push(m) });
    expect(res.malformed).toBe(1);
    expect(logs.join('\n')).toMatch(/:8 .*(call stack|nested)/);
    const k = keys(db);
    for (let i = 0; i < 6; i++) expect(k).toEqual(expect.arrayContaining([`pre:call-${i}`, `post:call-${i}`]));
    const deep = db.prepare(`SELECT data FROM events WHERE dedup_key = 'pre:deep-in'`).get() as { data: string };
    expect(JSON.parse(deep.data).__truncated).toEqual(expect.arrayContaining([expect.stringMatching(/^tool_input/)]));
    // The cursor is past everything: nothing is retried.
    expect(importRolloutFile(db, file)).toEqual({ inserted: 0, sessionIds: [], malformed: 0 });
  });

  it('the watcher imports the file and later appends, without retrying it in a loop', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const home = path.join(dir, 'codex');
    const deep = deepRolloutLine({ type: 'function_call_output', call_id: 'c' }, 'output', 50_000);
    const file = place(home, [...rolloutLines(0, 2), deep].join('\n') + '\n');
    const logs: string[] = [];
    const w = await startRolloutWatcher({ dbPath, codexHome: home, inline: true, sweepIntervalMs: 100, onChange: () => {}, log: (m) => logs.push(m) });
    watchers.push(w);
    await w.flush();
    fs.appendFileSync(file, rolloutLines(2, 2, { meta: false }).join('\n') + '\n');
    await new Promise((r) => setTimeout(r, 600));
    await w.flush();
    expect(keys(db)).toEqual(expect.arrayContaining(['pre:call-0', 'post:call-1', 'pre:call-3', 'post:call-3']));
    expect(w.status()).toMatchObject({ malformedLines: 1, behindBytes: 0 });
    expect(logs.filter((l) => /failed/.test(l))).toEqual([]);
    expect(logs.filter((l) => /malformed/.test(l))).toHaveLength(1);
  });
});

describe('a rollout rewritten in place', () => {
  it('truncated and at once rewritten longer (same first line): every new event is imported', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const file = place(path.join(dir, 'codex'), rolloutLines(0, 40).join('\n') + '\n');
    importRolloutFile(db, file);
    expect(keys(db)).toHaveLength(81);
    // Same session_meta line, then 80 different calls: longer than before.
    fs.truncateSync(file, 0);
    fs.writeFileSync(file, rolloutLines(100, 80).join('\n') + '\n');
    importRolloutFile(db, file);
    const k = keys(db);
    for (let i = 100; i < 180; i++) expect(k).toEqual(expect.arrayContaining([`pre:call-${i}`, `post:call-${i}`]));
    expect(k).toHaveLength(81 + 160);
  });

  it('overwritten without truncation, first line the same: every new event is imported, none twice', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const file = place(path.join(dir, 'codex'), rolloutLines(0, 60).join('\n') + '\n');
    importRolloutFile(db, file);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, rolloutLines(200, 120).join('\n') + '\n', 0);
    fs.closeSync(fd);
    importRolloutFile(db, file);
    const k = keys(db);
    for (let i = 200; i < 320; i++) expect(k).toEqual(expect.arrayContaining([`pre:call-${i}`, `post:call-${i}`]));
    expect(new Set(k).size).toBe(k.length);
    // Importing again changes nothing.
    expect(importRolloutFile(db, file).inserted).toBe(0);
  });

  it('rewritten with the same size: detected by the bytes before the cursor', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const file = place(path.join(dir, 'codex'), rolloutLines(0, 10).join('\n') + '\n');
    importRolloutFile(db, file);
    const size = fs.statSync(file).size;
    // Other call ids of the same width: the same bytes count, other events.
    const text = rolloutLines(0, 10).join('\n').replace(/call-/g, 'xall-') + '\n';
    expect(Buffer.byteLength(text)).toBe(size);
    fs.writeFileSync(file, text);
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(file, later, later);
    importRolloutFile(db, file);
    expect(keys(db)).toEqual(expect.arrayContaining(['pre:xall-0', 'post:xall-9']));
  });
});
