/**
 * Claude Code session files → events through the one Claude importer (src/sidecar/claude/parse.ts
 * and import.ts, run by the rollout worker), on a real SQLite DB with the host schema: lines in the
 * shape Claude Code 2.1.197 writes, the same keys as the hook inputs, incremental import by cursor,
 * no row twice.
 */
import { appendFileSync, mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hookDedupKey } from '../../src/shared/dedup.js';
import { importClaudeFile } from '../../src/sidecar/claude/import.js';
import { initialClaudeState, parseClaudeLine, type ClaudeEventRecord, type ClaudeParserState } from '../../src/sidecar/claude/parse.js';
import { createTempDirectory, openTestDb } from './helpers.js';

const SID = '26ad66eb-759b-4f70-94d7-786bb1c0b161';
const PROMPT_ID = 'b8e081bd-49e4-4d1f-8975-a1695b423fe4';
const base = { sessionId: SID, cwd: '/tmp/work', version: '2.1.197', isSidechain: false };

/** One prompt → one Bash call → a final answer, as the real CLI writes it (trimmed). */
const LINES = [
  { type: 'queue-operation', operation: 'enqueue', timestamp: '2026-11-27T15:26:40.615Z', sessionId: SID, content: 'Run echo hello.' },
  { ...base, parentUuid: null, promptId: PROMPT_ID, type: 'user', message: { role: 'user', content: 'Run echo hello.' }, uuid: 'u1', timestamp: '2026-11-27T15:26:40.849Z' },
  { ...base, parentUuid: 'u1', attachment: { type: 'skill_listing' }, type: 'attachment', uuid: 'a1', timestamp: '2026-11-27T15:26:40.900Z' },
  { ...base, parentUuid: 'a1', message: { id: 'msg_1', role: 'assistant', model: 'claude-x', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'echo hello' } }], stop_reason: 'tool_use' }, type: 'assistant', uuid: 'as1', timestamp: '2026-11-27T15:26:41.294Z' },
  { ...base, parentUuid: 'as1', promptId: PROMPT_ID, type: 'user', message: { role: 'user', content: [{ tool_use_id: 'toolu_1', type: 'tool_result', content: 'hello', is_error: false }] }, uuid: 'u2', timestamp: '2026-11-27T15:26:41.485Z' },
  { ...base, parentUuid: 'u2', message: { id: 'msg_2', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'Done.' }], stop_reason: 'end_turn' }, type: 'assistant', uuid: 'as2', timestamp: '2026-11-27T15:26:41.549Z' },
  { type: 'last-prompt', lastPrompt: 'Run echo hello.', leafUuid: 'as2', sessionId: SID },
];

/** The hook-shaped events a run of lines stands for (the parser's other records are tokens and session facts). */
function eventsOf(state: ClaudeParserState, lines: Array<Record<string, unknown>>, file = '/t.jsonl'): ClaudeEventRecord[] {
  return lines.flatMap((l, i) => parseClaudeLine(state, l, file, i * 1000)).filter((r): r is ClaudeEventRecord => r.kind === 'event');
}

describe('Claude session-file lines → hook-shaped events', () => {
  it('gives every event the key its hook input gets (prompt_id, tool_use_id, session id)', () => {
    const state = initialClaudeState();
    const events = eventsOf(state, LINES);
    expect(events.map((e) => [e.hookType, e.dedupKey, e.toolName])).toEqual([
      ['SessionStart', `start:${SID}`, null],
      ['UserPromptSubmit', hookDedupKey('UserPromptSubmit', { session_id: SID, prompt_id: PROMPT_ID, prompt: 'Run echo hello.' }), null],
      ['PreToolUse', 'pre:toolu_1', 'Bash'],
      ['PostToolUse', 'post:toolu_1', 'Bash'],
      ['Stop', `stop:${PROMPT_ID}`, null],
    ]);
    // The hook inputs Claude Code sends for the same moments key identically.
    expect(hookDedupKey('SessionStart', { session_id: SID, source: 'startup' })).toBe(`start:${SID}`);
    expect(hookDedupKey('Stop', { session_id: SID, prompt_id: PROMPT_ID, stop_hook_active: false })).toBe(`stop:${PROMPT_ID}`);
    expect(events[3]!.data).toMatchObject({ tool_use_id: 'toolu_1', tool_name: 'Bash', tool_input: { command: 'echo hello' }, tool_response: 'hello' });
    expect(events[4]!.data).toMatchObject({ prompt_id: PROMPT_ID, stop_hook_active: false, last_assistant_message: 'Done.' });
    // Each stored key is exactly the one hookDedupKey gives the event's own hook-shaped data.
    for (const e of events) expect(hookDedupKey(e.hookType, e.data)).toBe(e.dedupKey);
  });

  it('one UserPromptSubmit per promptId: a later text line of the same turn is not a second prompt', () => {
    const state = initialClaudeState();
    const again = { ...LINES[1], message: { role: 'user', content: 'more text in the same turn' }, uuid: 'u9' };
    const events = eventsOf(state, [...LINES, again] as Array<Record<string, unknown>>);
    expect(events.filter((e) => e.hookType === 'UserPromptSubmit')).toHaveLength(1);
  });

  it('meta lines stand for no event; subagent (sidechain) lines for none of the main session\'s own (start, prompt, stop)', () => {
    expect(eventsOf(initialClaudeState(), [{ ...LINES[1], isMeta: true }])).toEqual([]);
    // A subagent's lines: its task prompt and its end_turn are not the main session's prompt/Stop,
    // and its first line is not the session's start. Its tool calls are hook events (Claude Code
    // runs PreToolUse/PostToolUse for them, naming the parent session): same keys, parent session.
    const side = { isSidechain: true, agentId: 'agent-1' };
    const out = eventsOf(initialClaudeState(), LINES.map((l) => ({ ...l, ...side })));
    expect(out.map((e) => [e.hookType, e.dedupKey, e.sessionId])).toEqual([
      ['PreToolUse', 'pre:toolu_1', SID],
      ['PostToolUse', 'post:toolu_1', SID],
    ]);
  });
});

describe('importClaudeFile (Claude session file → events)', () => {
  it('imports complete lines only, continues from its cursor, and never stores a row twice', () => {
    const { db } = openTestDb();
    const dir = path.join(createTempDirectory('claude-import-'), 'projects', '-tmp-work');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${SID}.jsonl`);
    const text = LINES.map((l) => JSON.stringify(l) + '\n').join('');
    // First the part up to the tool call, with half of the next line written.
    const cut = text.indexOf('\n', text.indexOf('toolu_1')) + 1;
    writeFileSync(file, text.slice(0, cut + 20));
    expect(importClaudeFile(db, file).inserted).toBe(3);
    appendFileSync(file, text.slice(cut + 20));
    expect(importClaudeFile(db, file).inserted).toBe(2);
    expect(importClaudeFile(db, file).inserted).toBe(0);
    const rows = db.prepare('SELECT hook_type, source, seen_by, dedup_key FROM events WHERE session_id = ? ORDER BY id').all(SID) as Array<{ hook_type: string; seen_by: string }>;
    expect(rows.map((r) => r.hook_type)).toEqual(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']);
    expect(new Set(rows.map((r) => r.seen_by))).toEqual(new Set(['rollout']));
    const session = db.prepare('SELECT harness, event_count, cwd FROM sessions WHERE id = ?').get(SID);
    expect(session).toEqual({ harness: 'claude', event_count: 5, cwd: '/tmp/work' });

    // A file rewritten from scratch (shorter than the cursor) is read again: dedup keeps one row each.
    writeFileSync(file, text.slice(0, cut));
    expect(importClaudeFile(db, file).inserted).toBe(0);
    expect((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(5);
  });

  it('a row the hook stored first is only marked as seen by the file too', () => {
    const { db } = openTestDb();
    const dir = createTempDirectory('claude-import-');
    const file = path.join(dir, `${SID}.jsonl`);
    db.prepare(`INSERT INTO sessions (id, status, started_at, updated_at, harness) VALUES (?, 'active', 'x', 'x', 'claude')`).run(SID);
    db.prepare(`INSERT INTO events (session_id, hook_type, tool_name, summary, data, created_at, source, seen_by, dedup_key) VALUES (?, 'PreToolUse', 'Bash', '', '{}', 'x', 'hook', 'hook', 'pre:toolu_1')`).run(SID);
    writeFileSync(file, LINES.map((l) => JSON.stringify(l) + '\n').join(''));
    expect(importClaudeFile(db, file).inserted).toBe(4);
    const pre = db.prepare(`SELECT seen_by FROM events WHERE dedup_key = 'pre:toolu_1'`).all();
    expect(pre).toEqual([{ seen_by: 'hook,rollout' }]);
  });

  it('a transcript rewritten in place with the same size and first line is re-read (bytes before the cursor changed)', () => {
    const { db } = openTestDb();
    const file = path.join(createTempDirectory('claude-import-'), `${SID}.jsonl`);
    const text = LINES.map((l) => JSON.stringify(l) + '\n').join('');
    writeFileSync(file, text);
    expect(importClaudeFile(db, file).inserted).toBe(5);
    // Another tool call id of the same width: same size, same first line, other events.
    const rewritten = text.replace(/toolu_1/g, 'toolu_9');
    expect(Buffer.byteLength(rewritten)).toBe(statSync(file).size);
    writeFileSync(file, rewritten);
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    expect(importClaudeFile(db, file).inserted).toBe(2);
    const keys = (db.prepare('SELECT dedup_key FROM events WHERE session_id = ? ORDER BY dedup_key').all(SID) as Array<{ dedup_key: string }>).map((r) => r.dedup_key);
    expect(keys).toEqual(expect.arrayContaining(['pre:toolu_1', 'post:toolu_1', 'pre:toolu_9', 'post:toolu_9']));
    expect(new Set(keys).size).toBe(keys.length);
    expect(importClaudeFile(db, file).inserted).toBe(0);
  });
});
