/**
 * The deferred search index of imported rows (src/sidecar/search-index.ts) and the paced import
 * transactions (src/sidecar/tail-import.ts BatchPacer): imported history becomes searchable once
 * indexed, a restart mid-index resumes without a gap or a double entry, a hook row stays indexed
 * at once and is still one row with the file's copy, a DB from before the mark migrates.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { importClaudeFile } from '../../src/sidecar/claude/import.js';
import { truncateIfLarge } from '../../src/sidecar/host/truncate.js';
import { searchTextSql, FTS_MARK_KEY } from '../../src/sidecar/dashboard-schema.js';
import { search } from '../../src/sidecar/host/dashboard-routes.js';
import { RolloutEngine } from '../../src/sidecar/rollout/engine.js';
import { migrateHostSchema } from '../../src/sidecar/schema.js';
import { indexStatus, indexStep } from '../../src/sidecar/search-index.js';
import type { BatchPacer } from '../../src/sidecar/tail-import.js';
import { onCleanup } from '../helpers/temp.js';
import { assistantLine, placeClaude, SID, toolResult, usage, userPrompt } from '../usage/fixtures.js';
import { createTempDirectory, openDb, openTestDb } from './helpers.js';

const NO_SWEEP = 3_600_000;

const count = (db: Database.Database, sql: string): number => (db.prepare(sql).get() as { n: number }).n;
/** Imported rows missing from the index, and index entries that are not a row. */
const unindexed = (db: Database.Database): number => count(db, 'SELECT COUNT(*) AS n FROM events e WHERE NOT EXISTS (SELECT 1 FROM events_fts f WHERE f.rowid = e.id)');
const orphans = (db: Database.Database): number => count(db, 'SELECT COUNT(*) AS n FROM events_fts f WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = f.rowid)');
const hits = (db: Database.Database, q: string): number => search(db, q, 50, null).results.length;

/** A transcript with `turns` turns, each running a command named after the turn (`cmd-<n>-zebra`). */
function longTranscript(turns: number): string[] {
  const lines: string[] = [];
  for (let t = 0; t < turns; t++) {
    const at = new Date(Date.UTC(2026, 10, 20, 10, 0, t)).toISOString();
    lines.push(userPrompt(`turn ${t}: please build`, at, { promptId: `p-${t}` }));
    lines.push(assistantLine(`msg_${t}`, `req_${t}`, 'claude-sonnet-4-5', { type: 'tool_use', id: `toolu_${t}`, name: 'Bash', input: { command: `cmd-${t}-zebra` } }, usage(10, 5, 0, 0), at, { promptId: `p-${t}` }, 'tool_use'));
    lines.push(toolResult(`toolu_${t}`, at, false, { promptId: `p-${t}` }));
  }
  return lines;
}

describe('deferred search index of imported rows', () => {
  it('an imported row is found once the indexer has reached it; search says how far it has got', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'));
    importClaudeFile(db, files.main);
    const rows = count(db, 'SELECT COUNT(*) AS n FROM events');
    expect(rows).toBeGreaterThan(0);
    // Stored, but not yet in the index: the import did not tokenize.
    expect(unindexed(db)).toBe(rows);
    expect(hits(db, 'wc')).toBe(0);
    const before = search(db, 'wc', 50, null).indexing;
    expect(before.pending).toBe(rows);
    expect(before.percent).toBe(0);
    let steps = 0;
    while (!indexStep(db, 2).done) steps++;
    expect(steps).toBeGreaterThan(1); // 2 ids a step: several steps, each its own transaction
    expect(hits(db, 'wc')).toBe(2); // the Bash call and its result (`ls | wc -l`)
    expect(unindexed(db)).toBe(0);
    expect(search(db, 'wc', 50, null).indexing).toEqual({ pending: 0, percent: 100 });
  });

  it('a restart in the middle of indexing resumes at the mark: every row indexed once, none twice', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const claudeDir = path.join(dir, 'claude');
    const files = placeClaude(claudeDir, longTranscript(60), []);
    // Imported (as the worker does) before any indexing ran.
    importClaudeFile(db, files.main);
    const rows = count(db, 'SELECT COUNT(*) AS n FROM events');
    expect(rows).toBeGreaterThan(150);
    // Part of it indexed, then the process "dies": the mark is where that step committed.
    indexStep(db, 50);
    expect(unindexed(db)).toBe(rows - 50);
    migrateHostSchema(db); // a restart migrates again: the mark must survive it
    expect(indexStatus(db).pending).toBe(rows - 50);
    const second = await RolloutEngine.start({ dbPath, codexHome: path.join(dir, 'codex'), claudeDir, onChange: () => {}, sweepIntervalMs: NO_SWEEP, fullSweepIntervalMs: NO_SWEEP });
    onCleanup(() => second.close());
    await second.flush();
    expect(unindexed(db)).toBe(0);
    expect(orphans(db)).toBe(0);
    expect(count(db, 'SELECT COUNT(*) AS n FROM events_fts')).toBe(rows);
    expect(hits(db, 'cmd-37-zebra')).toBe(2); // Pre and Post of turn 37, once each
  });

  it('a hook row is searchable at once; the file line of the same call stays one row with one index entry', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'));
    const data = { session_id: SID, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_use_id: 'toolu_1', tool_input: { command: 'ls | wc -l' } };
    db.prepare(`INSERT INTO sessions (id, status, started_at, updated_at) VALUES (?, 'active', ?, ?)`).run(SID, '2026-11-20T10:00:00.000Z', '2026-11-20T10:00:00.000Z');
    db.prepare(`INSERT INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key)
                VALUES (?, 'PreToolUse', 'Bash', 'ls', ?, '2026-11-20T10:00:01.000Z', 'hook', 'hook', 'pre:toolu_1')`).run(SID, JSON.stringify(data));
    expect(hits(db, 'wc')).toBe(1); // indexed by the trigger, no indexer needed
    importClaudeFile(db, files.main);
    while (!indexStep(db, 1_000).done);
    expect(count(db, `SELECT COUNT(*) AS n FROM events WHERE dedup_key = 'pre:toolu_1'`)).toBe(1);
    expect(db.prepare(`SELECT seen_by FROM events WHERE dedup_key = 'pre:toolu_1'`).get()).toEqual({ seen_by: 'hook,rollout' });
    expect(hits(db, 'wc')).toBe(2); // the hook's Pre and the file's Post (`ls | wc -l` as its input)
    expect(count(db, 'SELECT COUNT(*) AS n FROM events_fts')).toBe(count(db, 'SELECT COUNT(*) AS n FROM events'));
  });

  it('a DB indexed by the old per-row trigger: the mark starts at its newest row, nothing is indexed twice', () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    // The layout before the mark: one trigger indexing every row as it is inserted.
    db.exec(`DROP TRIGGER events_fts_insert_hook; DELETE FROM host_meta WHERE key = '${FTS_MARK_KEY}';
             CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
               INSERT INTO events_fts(rowid, body) VALUES (NEW.id, ${searchTextSql('NEW')});
             END;`);
    const files = placeClaude(path.join(dir, 'claude'));
    importClaudeFile(db, files.main);
    const rows = count(db, 'SELECT COUNT(*) AS n FROM events');
    expect(unindexed(db)).toBe(0);
    db.close();
    const again = openDb(dbPath);
    migrateHostSchema(again);
    expect(again.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'events_fts_insert%'`).all()).toEqual([{ name: 'events_fts_insert_hook' }]);
    expect(indexStatus(again)).toEqual({ pending: 0, percent: 100 });
    expect(indexStep(again, 1_000)).toEqual({ advanced: 0, done: true });
    expect(count(again, 'SELECT COUNT(*) AS n FROM events_fts')).toBe(rows);
    // Rows imported after the migration wait for the indexer.
    importClaudeFile(again, files.agent);
    expect(indexStatus(again).pending).toBeGreaterThan(0);
  });
});

describe('paced import transactions', () => {
  function bigTranscript(dir: string): string {
    const file = path.join(dir, `${SID}.jsonl`);
    fs.writeFileSync(file, longTranscript(600).map((l) => `${l}\n`).join(''));
    return file;
  }

  it('sizes batches from the measured transaction time instead of the fixed byte limit', () => {
    const dir = createTempDirectory();
    const fixed = openTestDb(createTempDirectory());
    const file = bigTranscript(dir);
    let fixedBatches = 0;
    importClaudeFile(fixed.db, file, { batchBytes: 4096, onBatch: () => fixedBatches++ });
    const paced = openTestDb(createTempDirectory());
    // A generous target: after the first (4 KiB) batch, the rest fits a few transactions.
    const pacer: BatchPacer = { targetMs: 10_000, minBytes: 4096, maxBytes: 64 * 1024 * 1024, bytesPerMs: {}, minGapMs: 0, lastEnd: 0 };
    let pacedBatches = 0;
    importClaudeFile(paced.db, file, { batchBytes: 4096, pacer, onBatch: () => pacedBatches++ });
    expect(fixedBatches).toBeGreaterThan(50);
    expect(pacedBatches).toBeLessThanOrEqual(3);
    expect(pacer.bytesPerMs['[claude]']).toBeGreaterThan(0);
    const rows = (db: Database.Database) => count(db, 'SELECT COUNT(*) AS n FROM events');
    expect(rows(paced.db)).toBe(rows(fixed.db));
  });

  it('leaves the write lock free for at least minGapMs between two transactions', () => {
    const { db } = openTestDb(createTempDirectory());
    const file = bigTranscript(createTempDirectory());
    const pacer: BatchPacer = { targetMs: 1, minBytes: 4096, maxBytes: 8192, bytesPerMs: {}, minGapMs: 15, lastEnd: 0 };
    const ends: number[] = [];
    importClaudeFile(db, file, {
      batchBytes: 4096,
      pacer,
      onBatch: () => {
        // onBatch runs right after the commit: lastEnd is that commit's end.
        ends.push(pacer.lastEnd);
      },
    });
    expect(ends.length).toBeGreaterThan(10);
    for (let i = 1; i < ends.length; i++) expect(ends[i]! - ends[i - 1]!).toBeGreaterThanOrEqual(15);
  });
});

describe('truncateIfLarge (the importers\' payload check)', () => {
  it('returns the payload itself when nothing is too long or too deep, and the cut copy otherwise', () => {
    const small = { a: 'x'.repeat(10), b: [{ c: 'y' }] };
    expect(truncateIfLarge(small, 100)).toBe(small);
    const long = { a: 'x'.repeat(101), b: 1 };
    const cut = truncateIfLarge(long, 100);
    expect(cut).not.toBe(long);
    expect(cut.__truncated).toEqual(['a']);
    expect(long.a).toHaveLength(101); // the input is not modified
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { n: deep };
    expect(truncateIfLarge(deep, 100, 5).__truncated).toEqual(['n.n.n.n.n']);
  });
});
