/** importRolloutFile and migrateHostSchema against real SQLite files. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importRolloutFile, migrateHostSchema } from '../../src/sidecar/index.js';
import { createTempDirectory, f8Text, openDb, openTestDb, placeF8, rows, SID } from './helpers.js';
import { createUpstreamSchema } from '../../scripts/lib/upstream-schema.js';

describe('migrateHostSchema', () => {
  it('migrates an existing DB with rows (defaults applied), twice without change', () => {
    const dir = createTempDirectory();
    const db = openDb(path.join(dir, 'monitor.db'));
    createUpstreamSchema(db);
    db.prepare(`INSERT INTO sessions (id, started_at, updated_at, event_count) VALUES ('old', 't', 't', 2)`).run();
    db.prepare(`INSERT INTO events (session_id, hook_type, created_at) VALUES ('old', 'PreToolUse', 't'), ('old', 'Stop', 't')`).run();
    migrateHostSchema(db);
    const schemaAfterFirst = db.prepare(`SELECT sql FROM sqlite_master ORDER BY name`).all();
    migrateHostSchema(db);
    expect(db.prepare(`SELECT sql FROM sqlite_master ORDER BY name`).all()).toEqual(schemaAfterFirst);
    expect(db.prepare('SELECT harness, parent_session_id FROM sessions').get()).toEqual({ harness: 'claude', parent_session_id: null });
    expect(db.prepare('SELECT hook_type, source, seen_by, dedup_key FROM events ORDER BY id').all()).toEqual([
      { hook_type: 'PreToolUse', source: 'hook', seen_by: 'hook', dedup_key: null },
      { hook_type: 'Stop', source: 'hook', seen_by: 'hook', dedup_key: null },
    ]);
    const idx = db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'idx_events_dedup'`).get() as { sql: string };
    expect(idx.sql).toMatch(/UNIQUE INDEX idx_events_dedup ON events\(session_id, dedup_key\)/);
    expect(db.prepare(`SELECT value FROM host_meta WHERE key = 'host_schema_version'`).get()).toEqual({ value: '2' });
    // Rows without a key never collide; rows with one do.
    db.prepare(`INSERT INTO events (session_id, hook_type, created_at) VALUES ('old', 'X', 't'), ('old', 'X', 't')`).run();
    const ins = db.prepare(`INSERT OR IGNORE INTO events (session_id, hook_type, created_at, dedup_key) VALUES ('old', 'X', 't', 'k')`);
    expect(ins.run().changes).toBe(1);
    expect(ins.run().changes).toBe(0);
  });

  it('refuses a DB without the upstream tables, with a clear message', () => {
    const db = openDb(path.join(createTempDirectory(), 'empty.db'));
    expect(() => migrateHostSchema(db)).toThrow(/upstream tables/);
  });
});

describe('importRolloutFile', () => {
  it('counts a malformed line once, logs it with file:line, and goes on', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const lines = f8Text().split('\n');
    lines.splice(3, 0, '{"timestamp":"2026-09-14T10:21:31.053Z","type":"event_msg","payload":{"type":', '[1,2]', '   ');
    const file = placeF8(path.join(dir, 'codex'), lines.join('\n'));
    const logs: string[] = [];
    const res = importRolloutFile(db, file, { log: (m) => logs.push(m) });
    expect(res).toMatchObject({ inserted: 7, malformed: 2 });
    expect(logs).toEqual([
      expect.stringContaining(`malformed line skipped: ${file}:4 (`),
      expect.stringContaining(`malformed line skipped: ${file}:5 (not a JSON object)`),
    ]);
    fs.appendFileSync(file, `${JSON.stringify({ timestamp: '2026-09-14T10:30:00.000Z', type: 'world_state', payload: {} })}\n`);
    expect(importRolloutFile(db, file, { log: (m) => logs.push(m) })).toMatchObject({ inserted: 0, malformed: 0 });
    expect(logs).toHaveLength(2);
    expect(db.prepare('SELECT malformed_count FROM codex_rollout_files').get()).toEqual({ malformed_count: 2 });
  });

  it('skips unknown line types and payload kinds silently', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const extra = [
      { timestamp: 't', type: 'world_state', payload: { full: true, state: {} } },
      { timestamp: 't', type: 'event_msg', payload: { type: 'thread_settings_applied', thread_id: SID } },
      { timestamp: 't', type: 'token_usage_record', payload: { usage: { input_tokens: 5 } } },
      { timestamp: 't', type: 'inter_agent_communication', payload: {} },
      { timestamp: 't', type: 'response_item', payload: { type: 'ghost_snapshot' } },
      { timestamp: 't', type: 'event_msg', payload: { type: 'agent_reasoning', text: 'x' } },
      { timestamp: 't', type: 'brand_new_type' },
    ].map((l) => JSON.stringify(l));
    const text = f8Text().split('\n');
    text.splice(2, 0, ...extra);
    const file = placeF8(path.join(dir, 'codex'), text.join('\n'));
    const logs: string[] = [];
    expect(importRolloutFile(db, file, { log: (m) => logs.push(m) })).toEqual({ inserted: 7, sessionIds: [SID], malformed: 0 });
    expect(logs).toEqual([]);
    expect(db.prepare('SELECT output_tokens FROM sessions').get()).toEqual({ output_tokens: 911 });
  });

  it('continues across tiny batches: parser state (turn id, pending calls) survives each commit', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const file = placeF8(path.join(dir, 'codex'));
    const batches: Array<{ sessionIds: string[]; inserted: number }> = [];
    importRolloutFile(db, file, { batchLines: 1, onBatch: (c) => batches.push(c) });
    const big = openTestDb(createTempDirectory()).db;
    importRolloutFile(big, placeF8(path.join(dir, 'codex2')));
    expect(rows(db)).toEqual(rows(big));
    // One coalesced change per committed batch that produced something.
    expect(batches.reduce((n, b) => n + b.inserted, 0)).toBe(7);
    expect(batches.every((b) => b.sessionIds.length === 1 && b.sessionIds[0] === SID)).toBe(true);
  });

  it('takes the tool name of a PostToolUse from the stored Pre row when the call is from an earlier import', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const text = f8Text();
    const cut = text.indexOf('\n', text.indexOf('"type":"function_call"')) + 1;
    const file = placeF8(path.join(dir, 'codex'), text.slice(0, cut));
    importRolloutFile(db, file);
    // Simulate a parser state that lost its pending calls (e.g. an old cursor format).
    db.prepare(`UPDATE codex_rollout_files SET parser_state = json_set(parser_state, '$.pending', json('{}'))`).run();
    fs.appendFileSync(file, text.slice(cut));
    importRolloutFile(db, file);
    const post = db.prepare(`SELECT tool_name, data FROM events WHERE dedup_key LIKE 'post:call_7H%'`).get() as { tool_name: string; data: string };
    expect(post.tool_name).toBe('Bash');
    expect(JSON.parse(post.data).tool_input).toEqual({ command: 'cargo test -p demo-parser' });
  });

  it('cuts an oversized tool output the way the hook route does, and keeps the event', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const huge = 'x'.repeat(200_000);
    const lines = [
      { timestamp: 't1', type: 'session_meta', payload: { id: SID } },
      { timestamp: 't2', type: 'response_item', payload: { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"cat big"}', call_id: 'c1' } },
      { timestamp: 't3', type: 'response_item', payload: { type: 'function_call_output', call_id: 'c1', output: huge } },
    ];
    const file = placeF8(path.join(dir, 'codex'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    importRolloutFile(db, file);
    const post = JSON.parse((db.prepare(`SELECT data FROM events WHERE dedup_key = 'post:c1'`).get() as { data: string }).data);
    expect(post.__truncated).toEqual(['tool_response']);
    expect(post.tool_response.length).toBeLessThan(70_000);
    expect(post.tool_response.startsWith('xxx')).toBe(true);
  });

  it('a file that vanished is routine (nothing, no throw)', () => {
    const { db } = openTestDb();
    expect(importRolloutFile(db, '/nonexistent/rollout-x.jsonl')).toEqual({ inserted: 0, sessionIds: [], malformed: 0 });
  });
});
