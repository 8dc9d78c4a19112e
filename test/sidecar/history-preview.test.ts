/**
 * History rows keep a bounded preview of long fields (src/sidecar/rollout/engine.ts
 * HISTORY_PREVIEW_CHARS) and the timeline detail reads the rest back from the agent's file
 * (src/sidecar/host/source-readback.ts); when the file is gone the detail says so.
 */
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { importClaudeFile } from '../../src/sidecar/claude/import.js';
import { dashboardRoute } from '../../src/sidecar/host/dashboard-routes.js';
import type { EventDetail } from '../../src/sidecar/host/timeline.js';
import { HISTORY_PREVIEW_CHARS, RolloutEngine } from '../../src/sidecar/rollout/engine.js';
import { importRolloutFile } from '../../src/sidecar/rollout/import.js';
import { onCleanup } from '../helpers/temp.js';
import { assistantLine, codexRollout, placeClaude, placeCodex, SID, THREAD, usage, userPrompt } from '../usage/fixtures.js';
import { createTempDirectory, openTestDb } from './helpers.js';

const NO_SWEEP = 3_600_000;
const BIG = Array.from({ length: 400 }, (_, i) => `line ${i}: test output of the history preview`).join('\n'); // ~17,000 chars

function claudeWithBigOutput(): string[] {
  return [
    userPrompt('run the tests', '2026-11-20T10:00:00.100Z'),
    assistantLine('msg_1', 'req_1', 'claude-sonnet-4-5', { type: 'tool_use', id: 'toolu_big', name: 'Bash', input: { command: 'npm test' } }, usage(10, 5, 0, 0), '2026-11-20T10:00:01.000Z', {}, 'tool_use'),
    JSON.stringify({ parentUuid: 'x', isSidechain: false, promptId: 'p-0001', type: 'user', uuid: 'u-big', timestamp: '2026-11-20T10:00:02.000Z', cwd: '/w', sessionId: SID,
      message: { role: 'user', content: [{ tool_use_id: 'toolu_big', type: 'tool_result', content: BIG, is_error: false }] } }),
  ];
}

function codexWithBigOutput(): string[] {
  const lines = codexRollout().slice(0, 3);
  lines.push(JSON.stringify({ timestamp: '2026-11-21T09:00:00.300Z', type: 'response_item', payload: { type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: 'npm test' }), call_id: 'call_big' } }));
  lines.push(JSON.stringify({ timestamp: '2026-11-21T09:00:00.400Z', type: 'response_item', payload: { type: 'function_call_output', call_id: 'call_big', output: BIG } }));
  return lines;
}

/** GET /api/events/:id through the dashboard route (no HTTP server needed). */
function detail(db: Database.Database, id: number): EventDetail {
  let body: unknown;
  const handled = dashboardRoute(db, { method: 'GET' } as never, {} as ServerResponse, new URL(`http://127.0.0.1/api/events/${id}`), (_res, status, b) => {
    expect(status).toBe(200);
    body = b;
  });
  expect(handled).toBe(true);
  return (body as { event: EventDetail }).event;
}

function postRow(db: Database.Database, key: string): { id: number; data: Record<string, unknown> } {
  const r = db.prepare('SELECT id, data FROM events WHERE dedup_key = ?').get(key) as { id: number; data: string };
  return { id: r.id, data: JSON.parse(r.data) as Record<string, unknown> };
}

describe('history rows: a preview stored, the rest read back from the file', () => {
  it('Claude: the tool output is stored cut, and the detail reads it back whole from the transcript', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'), claudeWithBigOutput(), []);
    importClaudeFile(db, files.main, { previewChars: HISTORY_PREVIEW_CHARS });
    const row = postRow(db, 'post:toolu_big');
    expect(row.data.__truncated).toEqual(['tool_response']);
    expect((row.data.tool_response as string).length).toBeLessThan(HISTORY_PREVIEW_CHARS + 100);
    const ev = detail(db, row.id);
    expect(ev.data.tool_response).toBe(BIG);
    expect(ev.data.__truncated).toBeUndefined();
    expect(ev.readBack).toMatchObject({ file: files.main, state: 'complete' });
    // The stored row is untouched (the read-back is per request).
    expect(postRow(db, 'post:toolu_big').data.__truncated).toEqual(['tool_response']);
  });

  it('Codex: the same for a function_call_output of a rollout', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const file = placeCodex(path.join(dir, 'codex'), codexWithBigOutput());
    importRolloutFile(db, file, { previewChars: HISTORY_PREVIEW_CHARS });
    const row = postRow(db, 'post:call_big');
    expect(row.data.__truncated).toEqual(['tool_response']);
    const ev = detail(db, row.id);
    expect(ev.data.tool_response).toBe(BIG);
    expect(ev.readBack).toMatchObject({ file, state: 'complete' });
  });

  it('the place names no file of its own (it is transcript_path); a row stored with the older {file, offset} place still reads back', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'), claudeWithBigOutput(), []);
    importClaudeFile(db, files.main, { previewChars: HISTORY_PREVIEW_CHARS });
    const row = postRow(db, 'post:toolu_big');
    expect(row.data.transcript_path).toBe(files.main);
    expect(row.data.__transcript).toEqual({ offset: expect.any(Number) as number });
    // The older shape: the file repeated in the place, and (say) no transcript_path.
    const { transcript_path: _tp, ...rest } = row.data;
    const older = { ...rest, __transcript: { file: files.main, offset: (row.data.__transcript as { offset: number }).offset } };
    db.prepare('UPDATE events SET data = ? WHERE id = ?').run(JSON.stringify(older), row.id);
    const ev = detail(db, row.id);
    expect(ev.data.tool_response).toBe(BIG);
    expect(ev.readBack).toMatchObject({ file: files.main, state: 'complete' });
  });

  it('the file is gone: the detail is the stored preview and says the file is missing', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'), claudeWithBigOutput(), []);
    importClaudeFile(db, files.main, { previewChars: HISTORY_PREVIEW_CHARS });
    fs.rmSync(files.main);
    const row = postRow(db, 'post:toolu_big');
    const ev = detail(db, row.id);
    expect(ev.data.tool_response).toBe(row.data.tool_response);
    expect(ev.data.__truncated).toEqual(['tool_response']);
    expect(ev.readBack).toMatchObject({ file: files.main, state: 'missing' });
  });

  it('a hook row that claims a place in some file is never read back', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'), claudeWithBigOutput(), []);
    const data = { tool_response: 'cut', __truncated: ['tool_response'], __transcript: { file: files.main, offset: 0 } };
    const id = Number(db.prepare(`INSERT INTO events (session_id, hook_type, data, created_at, source, seen_by, dedup_key) VALUES (?, 'PostToolUse', ?, '2026-11-20T10:00:02.000Z', 'hook', 'hook', 'post:toolu_big')`)
      .run(SID, JSON.stringify(data)).lastInsertRowid);
    const ev = detail(db, id);
    expect(ev.data.tool_response).toBe('cut');
    expect(ev.readBack).toBeNull();
  });

  it('the engine stores previews for history files only; a live file keeps what the hook route would', async () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const claudeDir = path.join(dir, 'claude');
    const codexHome = path.join(dir, 'codex');
    const files = placeClaude(claudeDir, claudeWithBigOutput(), []);
    const old = new Date(Date.now() - 3 * 86_400_000);
    fs.utimesSync(files.main, old, old); // a past session
    placeCodex(codexHome, codexWithBigOutput(), THREAD); // written just now: live
    const engine = await RolloutEngine.start({ dbPath, codexHome, claudeDir, onChange: () => {}, sweepIntervalMs: NO_SWEEP, fullSweepIntervalMs: NO_SWEEP });
    onCleanup(() => engine.close());
    await engine.flush();
    expect(postRow(db, 'post:toolu_big').data.__truncated).toEqual(['tool_response']);
    expect(postRow(db, 'post:call_big').data.tool_response).toBe(BIG);
    expect(postRow(db, 'post:call_big').data.__truncated).toBeUndefined();
  });
});
