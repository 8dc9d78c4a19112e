/**
 * Exact token accounting: Claude transcripts (streamed messages repeating usage, a subagent file),
 * Codex token_count steps (cached, reasoning, repeated totals, model per turn), and the ways a
 * token could be counted twice — re-import, restart, a cursor lost, hooks and files seeing the
 * same turn, a line appended while the file is read. Totals are asserted exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importClaudeFile } from '../../src/sidecar/claude/import.js';
import { importRolloutFile } from '../../src/sidecar/index.js';
import { sessionDetail, sessionsUsage, toolStats } from '../../src/sidecar/usage/queries.js';
import { setPriceOverride } from '../../src/sidecar/pricing/pricing.js';
import { createTempDirectory, insertHook, openDb, openTestDb } from '../sidecar/helpers.js';
import { migrateHostSchema } from '../../src/sidecar/index.js';
import {
  AGENT, agentTranscript, assistantLine, CHILD, codexRollout, EXPECT, mainTranscript, placeClaude, placeCodex, PROMPT, PROMPT_ID, RATE_LIMITS, SID, THREAD, usage,
} from './fixtures.js';
import type Database from 'better-sqlite3';

function own(db: Database.Database, id: string): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  const s = sessionsUsage(db).sessions.find((x) => x.id === id);
  if (!s) throw new Error(`no session ${id}`);
  const { input, output, cacheRead, cacheWrite } = s.own.tokens;
  return { input, output, cacheRead, cacheWrite };
}

function importClaude(db: Database.Database, files: { main: string; agent: string }): void {
  importClaudeFile(db, files.main);
  importClaudeFile(db, files.agent);
}

const sum = (a: typeof EXPECT.main, b: typeof EXPECT.main) => ({
  input: a.input + b.input, output: a.output + b.output, cacheRead: a.cacheRead + b.cacheRead, cacheWrite: a.cacheWrite + b.cacheWrite,
});

describe('Claude transcripts', () => {
  it('counts a streamed message once, the subagent under itself, and rolls it up into the parent', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'));
    importClaude(db, files);
    expect(db.prepare('SELECT COUNT(*) AS n FROM usage_records').get()).toEqual({ n: 5 });
    expect(own(db, SID)).toEqual(EXPECT.main);
    expect(own(db, AGENT)).toEqual(EXPECT.agent);
    const parent = sessionsUsage(db).sessions.find((s) => s.id === SID)!;
    expect(parent.children).toEqual([AGENT]);
    const { reasoning: _r, total: _t, ...rolled } = parent.total.tokens;
    expect(rolled).toEqual(sum(EXPECT.main, EXPECT.agent));
    // The session row (what the list shows) carries the exact own totals too.
    expect(db.prepare('SELECT input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, harness, parent_session_id, model FROM sessions WHERE id = ?').get(AGENT))
      .toEqual({ input_tokens: 850, output_tokens: 90, cache_read_tokens: 0, cache_write_tokens: 100, harness: 'claude', parent_session_id: SID, model: 'claude-haiku-4-5' });
    expect(db.prepare('SELECT model, name FROM sessions WHERE id = ?').get(SID)).toEqual({ model: 'claude-sonnet-4-5-20250929', name: null });
    expect(db.prepare('SELECT name FROM sessions WHERE id = ?').get(AGENT)).toEqual({ name: 'help' });
  });

  it('prices per model (parent at Sonnet, subagent at Haiku), never the whole session at its main model', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    importClaude(db, placeClaude(path.join(dir, 'claude')));
    const s = sessionsUsage(db).sessions;
    const parent = s.find((x) => x.id === SID)!;
    const child = s.find((x) => x.id === AGENT)!;
    const sonnet = (EXPECT.main.input * 3 + EXPECT.main.output * 15 + EXPECT.main.cacheRead * 0.3 + EXPECT.main.cacheWrite * 3.75) / 1e6;
    const haiku = (EXPECT.agent.input * 1 + EXPECT.agent.output * 5 + EXPECT.agent.cacheWrite * 1.25) / 1e6;
    expect(parent.own.cost).toBeCloseTo(sonnet, 12);
    expect(child.own.cost).toBeCloseTo(haiku, 12);
    expect(parent.total.cost).toBeCloseTo(sonnet + haiku, 12);
    // An unknown model has no price; its tokens are reported as unpriced, never guessed.
    setPriceOverride(db, 'claude-haiku-4-5', { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 });
    expect(sessionsUsage(db).sessions.find((x) => x.id === AGENT)!.own.cost).toBeCloseTo(haiku * 2, 12);
  });

  it('a model the table does not know shows no price', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const main = mainTranscript().map((l) => l.replaceAll('claude-sonnet-4-5-20250929', 'claude-unknown-9'));
    importClaude(db, placeClaude(path.join(dir, 'claude'), main));
    const parent = sessionsUsage(db).sessions.find((x) => x.id === SID)!;
    expect(parent.own.cost).toBeNull();
    expect(parent.own.unpricedTokens).toBe(EXPECT.main.input + EXPECT.main.output + EXPECT.main.cacheRead + EXPECT.main.cacheWrite);
    expect(parent.total.cost).not.toBeNull(); // the subagent's Haiku part has a price
  });

  it('re-import, restart, lost cursors and a copy of the messages in another file count nothing twice', () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'));
    importClaude(db, files);
    importClaude(db, files);
    db.close();
    const db2 = openDb(dbPath); // restart
    migrateHostSchema(db2);
    importClaude(db2, files);
    db2.prepare('DELETE FROM claude_transcript_files').run(); // cursors lost: both files re-read from byte 0
    importClaude(db2, files);
    // A resumed session's file repeats earlier messages (same message and request ids).
    const copy = path.join(path.dirname(files.main), 'resumed.jsonl');
    fs.writeFileSync(copy, mainTranscript().map((l) => `${l}\n`).join(''));
    importClaudeFile(db2, copy);
    expect(db2.prepare('SELECT COUNT(*) AS n FROM usage_records').get()).toEqual({ n: 5 });
    expect(own(db2, SID)).toEqual(EXPECT.main);
    expect(own(db2, AGENT)).toEqual(EXPECT.agent);
  });

  it('hooks and the transcript seeing the same prompt and tool calls store each event once', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'));
    const hook = { session_id: SID, transcript_path: files.main, cwd: '/w', prompt_id: PROMPT_ID };
    insertHook(db, 'UserPromptSubmit', { ...hook, prompt: PROMPT }, { provider: 'claude' });
    insertHook(db, 'PreToolUse', { ...hook, tool_name: 'Bash', tool_input: { command: 'ls | wc -l' }, tool_use_id: 'toolu_1' }, { provider: 'claude' });
    insertHook(db, 'PostToolUse', { ...hook, tool_name: 'Bash', tool_use_id: 'toolu_1', tool_response: 'ok' }, { provider: 'claude' });
    // The subagent's failed call: Claude's hook names the parent session and fires PostToolUseFailure.
    insertHook(db, 'PostToolUseFailure', { ...hook, tool_name: 'Read', tool_use_id: 'toolu_3', error: 'no such file' }, { provider: 'claude', createdAt: '2026-11-20T10:00:05.000Z' });
    importClaude(db, files);
    importClaude(db, files);
    const ev = db.prepare(`SELECT hook_type, dedup_key, seen_by FROM events WHERE session_id = ? ORDER BY dedup_key, hook_type`).all(SID);
    expect(ev).toEqual([
      { hook_type: 'PostToolUse', dedup_key: 'post:toolu_1', seen_by: 'hook,rollout' },
      { hook_type: 'PostToolUse', dedup_key: 'post:toolu_2', seen_by: 'rollout' },
      { hook_type: 'PostToolUseFailure', dedup_key: 'post:toolu_3', seen_by: 'hook,rollout' },
      { hook_type: 'PreToolUse', dedup_key: 'pre:toolu_1', seen_by: 'hook,rollout' },
      { hook_type: 'PreToolUse', dedup_key: 'pre:toolu_2', seen_by: 'rollout' },
      { hook_type: 'PreToolUse', dedup_key: 'pre:toolu_3', seen_by: 'rollout' },
      { hook_type: 'UserPromptSubmit', dedup_key: expect.stringMatching(/^prompt:p-0001:[0-9a-f]{16}$/), seen_by: 'hook,rollout' },
      // The file's first line stands for the startup SessionStart, its end_turn for the turn's Stop (no hook posted them here).
      { hook_type: 'SessionStart', dedup_key: `start:${SID}`, seen_by: 'rollout' },
      { hook_type: 'Stop', dedup_key: 'stop:p-0001', seen_by: 'rollout' },
    ]);
    expect(db.prepare('SELECT event_count FROM sessions WHERE id = ?').get(SID)).toEqual({ event_count: 9 });
    const tools = toolStats(db, SID);
    expect(tools.find((t) => t.tool === 'Read')).toMatchObject({ calls: 1, completed: 1, failures: 1, failureRate: 1, totalMs: 1000 });
    expect(tools.find((t) => t.tool === 'Task')).toMatchObject({ calls: 1, completed: 1, failures: 0, totalMs: 6000 });
  });

  it('a line appended while the file is read: the partial tail waits, the rest of the message is not counted again', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const files = placeClaude(path.join(dir, 'claude'), mainTranscript().slice(0, 3), agentTranscript());
    const rest = mainTranscript().slice(3);
    // Half of the next line is on disk when the import runs.
    const half = Math.floor(rest[0]!.length / 2);
    fs.appendFileSync(files.main, rest[0]!.slice(0, half));
    importClaude(db, files);
    expect(own(db, SID)).toEqual({ input: 1000, output: 50, cacheRead: 200, cacheWrite: 300 });
    fs.appendFileSync(files.main, `${rest[0]!.slice(half)}\n`); // the second block of msg_1: same usage, same ids
    importClaude(db, files);
    expect(own(db, SID)).toEqual({ input: 1000, output: 50, cacheRead: 200, cacheWrite: 300 });
    for (const l of rest.slice(1)) {
      fs.appendFileSync(files.main, `${l}\n`);
      importClaude(db, files);
    }
    expect(own(db, SID)).toEqual(EXPECT.main);
    expect(db.prepare('SELECT COUNT(*) AS n FROM usage_records').get()).toEqual({ n: 5 });
  });

  it('a message without a request id is counted per line it is on (nothing to match copies by), and says which model', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const lines = [assistantLine('msg_x', null, 'claude-opus-4-5', { type: 'text', text: 'a' }, usage(1, 2, 3, 4), '2026-11-20T11:00:00.000Z')];
    importClaude(db, placeClaude(path.join(dir, 'claude'), lines, []));
    const d = sessionDetail(db, SID);
    expect(d.session!.own.models).toEqual([expect.objectContaining({ model: 'claude-opus-4-5', messages: 1 })]);
    expect(d.gauge).toMatchObject({ model: 'claude-opus-4-5', contextTokens: 1 + 3 + 4, contextWindow: 200000 });
  });
});

describe('Codex token_count', () => {
  it('stores each step once with cached and reasoning tokens, the model of its turn, the context and rate limits', () => {
    const dir = createTempDirectory();
    const { db } = openTestDb(dir);
    const file = placeCodex(path.join(dir, 'codex'));
    importRolloutFile(db, file);
    const s = sessionsUsage(db).sessions.find((x) => x.id === THREAD)!;
    const byModel = Object.fromEntries(s.own.models.map((m) => [m.model, m.tokens]));
    expect(byModel['gpt-5']).toEqual({ input: 1600, cacheRead: 900, output: 130, reasoning: 40, cacheWrite: 0, total: 2630 });
    expect(byModel['gpt-5-mini']).toEqual({ input: 500, cacheRead: 1000, output: 70, reasoning: 0, cacheWrite: 0, total: 1570 });
    const d = sessionDetail(db, THREAD);
    expect(d.turns.map((t) => [t.turnId, t.models, t.tokens.total])).toEqual([['t1', ['gpt-5'], 2630], ['t2', ['gpt-5-mini'], 1570]]);
    expect(d.gauge).toEqual({ model: 'gpt-5-mini', contextTokens: 1570, contextWindow: 272000, at: '2026-11-21T09:01:01.000Z' });
    expect(d.rateLimits).toEqual(RATE_LIMITS);
    // gpt-5 at 1.25/10/0.125, gpt-5-mini at 0.25/2/0.025 per million.
    const cost = (1600 * 1.25 + 130 * 10 + 900 * 0.125) / 1e6 + (500 * 0.25 + 70 * 2 + 1000 * 0.025) / 1e6;
    expect(s.own.cost).toBeCloseTo(cost, 12);
  });

  it('re-import, restart, a lost cursor and appends count nothing twice; a subagent thread rolls up into its parent', () => {
    const dir = createTempDirectory();
    const { db, dbPath } = openTestDb(dir);
    const lines = codexRollout();
    const file = placeCodex(path.join(dir, 'codex'), lines.slice(0, 5));
    importRolloutFile(db, file);
    fs.appendFileSync(file, lines.slice(5).map((l) => `${l}\n`).join(''));
    importRolloutFile(db, file);
    importRolloutFile(db, file);
    db.close();
    const db2 = openDb(dbPath);
    migrateHostSchema(db2);
    db2.prepare('DELETE FROM codex_rollout_files').run();
    importRolloutFile(db2, file);
    const child = placeCodex(path.join(dir, 'codex'), codexRollout(CHILD, THREAD), CHILD);
    importRolloutFile(db2, child);
    expect(db2.prepare('SELECT COUNT(*) AS n FROM usage_records').get()).toEqual({ n: 6 });
    const s = sessionsUsage(db2).sessions.find((x) => x.id === THREAD)!;
    expect(s.own.tokens.total).toBe(2630 + 1570);
    expect(s.children).toEqual([CHILD]);
    expect(s.total.tokens.total).toBe(2 * (2630 + 1570));
  });
});
