/**
 * History is imported in two phases (src/sidecar/tail-import.ts ImportPhase): the summary (sessions,
 * models, statuses, token usage) first, the timeline rows later. Whatever the interleaving — both
 * phases, a restart between them, an append in between — the stored result is exactly that of one
 * full import, and the second phase never walks a session's numbers back through its past.
 */
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { importClaudeFile } from '../../src/sidecar/claude/import.js';
import { dashboardRoute, timelineImporting } from '../../src/sidecar/host/dashboard-routes.js';
import { RolloutEngine } from '../../src/sidecar/rollout/engine.js';
import { importRolloutFile } from '../../src/sidecar/rollout/import.js';
import type { ImportOptions, ImportResult } from '../../src/sidecar/tail-import.js';
import { agentTranscript, CHILD, codexRollout, EXPECT, mainTranscript, placeClaude, placeCodex, SID, THREAD } from '../usage/fixtures.js';
import { createTempDirectory, openTestDb } from './helpers.js';

const NO_SWEEP = 3_600_000;
const OLD = new Date(Date.now() - 30 * 86_400_000);

type Importer = (db: Database.Database, file: string, opts?: ImportOptions) => ImportResult;

interface Placed {
  codexHome: string;
  claudeDir: string;
  files: Array<{ file: string; importer: Importer }>;
}

/** A Claude session with a subagent file and a Codex thread with a child thread, all history (30 days old). */
function placeHistory(root: string, malformed = false): Placed {
  const claudeDir = path.join(root, 'claude');
  const codexHome = path.join(root, 'codex');
  const main = mainTranscript();
  if (malformed) main.splice(3, 0, '{"type":"assistant", cut off');
  const claude = placeClaude(claudeDir, main, agentTranscript());
  const parent = placeCodex(codexHome);
  const child = placeCodex(codexHome, codexRollout(CHILD, THREAD), CHILD);
  const files = [
    { file: claude.main, importer: importClaudeFile },
    { file: claude.agent, importer: importClaudeFile },
    { file: parent, importer: importRolloutFile },
    { file: child, importer: importRolloutFile },
  ];
  for (const f of files) fs.utimesSync(f.file, OLD, OLD);
  return { codexHome, claudeDir, files };
}

const SESSION_COLUMNS = 'id, harness, status, model, cwd, name, parent_session_id, started_at, updated_at, event_count, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens';

function sessions(db: Database.Database): unknown[] {
  return db.prepare(`SELECT ${SESSION_COLUMNS} FROM sessions ORDER BY id`).all();
}

/** Everything an import stores, in a comparable order (row ids aside). */
function snapshot(db: Database.Database): Record<string, unknown[]> {
  return {
    sessions: sessions(db),
    events: db.prepare('SELECT session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key FROM events ORDER BY session_id, dedup_key').all(),
    usage: db.prepare('SELECT * FROM usage_records ORDER BY usage_key').all(),
    state: db.prepare('SELECT * FROM usage_session_state ORDER BY session_id').all(),
  };
}

/** The numbers a session card shows: what the second phase must leave as the first phase set them. */
function numbers(db: Database.Database): unknown[] {
  return db.prepare('SELECT id, status, model, updated_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM sessions ORDER BY id').all();
}

/** One full import of every file: the reference. */
function fullImport(p: Placed): Record<string, unknown[]> {
  const { db } = openTestDb(createTempDirectory());
  for (const f of p.files) f.importer(db, f.file, { batchBytes: 1 });
  return snapshot(db);
}

function timelineResponse(db: Database.Database, sessionId: string): { importing: boolean; events: unknown[] } {
  let body: unknown;
  dashboardRoute(db, { method: 'GET' } as never, {} as ServerResponse, new URL(`http://127.0.0.1/api/sessions/${sessionId}/timeline`), (_res, status, b) => {
    expect(status).toBe(200);
    body = b;
  });
  return body as { importing: boolean; events: unknown[] };
}

describe('history in two phases: summary first, timeline rows later', () => {
  it('after the summary every session has its exact numbers and no rows; after the rows, exactly one full import — numbers never walk back', () => {
    const p = placeHistory(createTempDirectory());
    const reference = fullImport(p);
    const { db } = openTestDb(createTempDirectory());
    for (const f of p.files) f.importer(db, f.file, { phase: 'summary', batchBytes: 1 });

    expect(db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
    const afterSummary = snapshot(db);
    expect(afterSummary.usage).toEqual(reference.usage);
    expect(afterSummary.state).toEqual(reference.state);
    // Every session column as the full import has it, but the event count (the rows are not in yet).
    expect(afterSummary.sessions).toEqual((reference.sessions as Array<Record<string, unknown>>).map((s) => ({ ...s, event_count: 0 })));
    const main = db.prepare('SELECT input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM sessions WHERE id = ?').get(SID);
    expect(main).toEqual({ input_tokens: EXPECT.main.input, output_tokens: EXPECT.main.output, cache_read_tokens: EXPECT.main.cacheRead, cache_write_tokens: EXPECT.main.cacheWrite });
    expect(timelineImporting(db, SID)).toBe(true);
    expect(timelineImporting(db, THREAD)).toBe(true);

    // Second phase, one line per transaction: after every commit the cards show what they showed.
    const shown = numbers(db);
    let batches = 0;
    for (const f of p.files) {
      f.importer(db, f.file, {
        batchBytes: 1,
        onBatch: () => {
          batches++;
          expect(numbers(db)).toEqual(shown);
        },
      });
    }
    expect(batches).toBeGreaterThan(10);
    expect(snapshot(db)).toEqual(reference);
    expect(timelineImporting(db, SID)).toBe(false);
    expect(timelineImporting(db, THREAD)).toBe(false);
  });

  it('a summarized file appended to before its rows are in: the rest imports whole, nothing counted twice', () => {
    const root = createTempDirectory();
    const p = placeHistory(root);
    const { db } = openTestDb(createTempDirectory());
    for (const f of p.files) f.importer(db, f.file, { phase: 'summary' });
    // The Codex thread goes on: a third turn. The full import now reads it all at once.
    const more = [
      JSON.stringify({ timestamp: '2026-11-22T08:00:00.000Z', type: 'event_msg', payload: { type: 'task_started', turn_id: 't3' } }),
      JSON.stringify({ timestamp: '2026-11-22T08:00:00.100Z', type: 'turn_context', payload: { turn_id: 't3', cwd: '/w', model: 'gpt-5' } }),
      JSON.stringify({ timestamp: '2026-11-22T08:00:01.000Z', type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { input_tokens: 5000, cached_input_tokens: 2000, output_tokens: 260, reasoning_output_tokens: 50, total_tokens: 5260 }, last_token_usage: { input_tokens: 1000, cached_input_tokens: 100, output_tokens: 60, reasoning_output_tokens: 10, total_tokens: 1060 }, model_context_window: 272000 } } }),
      JSON.stringify({ timestamp: '2026-11-22T08:00:02.000Z', type: 'event_msg', payload: { type: 'task_complete', turn_id: 't3', last_agent_message: 'again' } }),
    ];
    const parent = p.files[2]!.file;
    fs.appendFileSync(parent, more.map((l) => `${l}\n`).join(''));
    for (const f of p.files) f.importer(db, f.file);
    expect(snapshot(db)).toEqual(fullImport(p));
    expect(db.prepare('SELECT model, input_tokens FROM sessions WHERE id = ?').get(THREAD)).toEqual({ model: 'gpt-5', input_tokens: 5000 - 2000 });
  });

  it('the engine: summaries first, rows in the background, a restart in between, malformed lines counted once', async () => {
    const root = createTempDirectory();
    const p = placeHistory(root, true);
    const reference = fullImport(p);
    const { dbPath } = openTestDb(createTempDirectory());
    const start = (): Promise<RolloutEngine> => RolloutEngine.start({ dbPath, codexHome: p.codexHome, claudeDir: p.claudeDir, onChange: () => {}, sweepIntervalMs: NO_SWEEP });

    const first = await start();
    await first.flush({ timeline: false });
    const peek = openTestDb(path.dirname(dbPath)).db;
    expect(peek.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 0 });
    expect(snapshot(peek).usage).toEqual(reference.usage);
    expect(first.status().timelinePending).toBe(4);
    expect(timelineResponse(peek, SID)).toMatchObject({ importing: true, events: [] });
    await first.close();

    const second = await start();
    await second.flush();
    expect(second.status()).toMatchObject({ timelinePending: 0, malformedLines: 1 });
    expect(snapshot(peek)).toEqual(reference);
    const tl = timelineResponse(peek, SID);
    expect(tl.importing).toBe(false);
    expect(tl.events.length).toBe((reference.events as Array<{ session_id: string }>).filter((e) => e.session_id === SID).length);
    await second.close();
  });

  it('the engine: a live file is imported whole at once, not in phases', async () => {
    const root = createTempDirectory();
    const p = placeHistory(root);
    const now = new Date();
    for (const f of p.files) fs.utimesSync(f.file, now, now);
    const { dbPath, db } = openTestDb(createTempDirectory());
    const engine = await RolloutEngine.start({ dbPath, codexHome: p.codexHome, claudeDir: p.claudeDir, onChange: () => {}, sweepIntervalMs: NO_SWEEP });
    await engine.flush({ timeline: false });
    expect(engine.status().timelinePending).toBe(0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM codex_rollout_summaries').get()).toEqual({ n: 0 });
    expect(snapshot(db).events).toEqual(fullImport(p).events);
    await engine.close();
  });
});
