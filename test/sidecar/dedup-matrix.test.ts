/**
 * The dedup matrix over the F2–F8 turn (docs/contracts.md "Synthetic turn F2–F8"): hooks and rollout in
 * every order and overlap give one row per event, keyed only by shared ids.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importRolloutFile, sha16 } from '../../src/sidecar/index.js';
import {
  BASH_CALL,
  codexHook,
  createTempDirectory,
  F_HOOKS,
  f8Text,
  insertHook,
  openDb,
  openTestDb,
  PATCH_CALL,
  placeF8,
  PROMPT,
  row,
  rows,
  SID,
  TURN,
} from './helpers.js';

const K = {
  start: `start:${SID}`,
  prompt: `prompt:${TURN}:${sha16(PROMPT)}`,
  preBash: `pre:${BASH_CALL}`,
  postBash: `post:${BASH_CALL}`,
  prePatch: `pre:${PATCH_CALL}`,
  postPatch: `post:${PATCH_CALL}`,
  stop: `stop:${TURN}`,
};

const ROLLOUT_ONLY = [
  row('SessionStart', null, K.start, 'rollout', 'rollout'),
  row('UserPromptSubmit', null, K.prompt, 'rollout', 'rollout'),
  row('PreToolUse', 'Bash', K.preBash, 'rollout', 'rollout'),
  row('PostToolUse', 'Bash', K.postBash, 'rollout', 'rollout'),
  row('PreToolUse', 'apply_patch', K.prePatch, 'rollout', 'rollout'),
  row('PostToolUse', 'apply_patch', K.postPatch, 'rollout', 'rollout'),
  row('Stop', null, K.stop, 'rollout', 'rollout'),
];

function setup() {
  const dir = createTempDirectory();
  const { db, dbPath } = openTestDb(dir);
  const file = placeF8(path.join(dir, 'codex'));
  return { dir, db, dbPath, file };
}

function hooks(db: ReturnType<typeof openTestDb>['db'], skip: string[] = [], createdAt?: string): void {
  for (const [type, name] of F_HOOKS) if (!skip.includes(name)) insertHook(db, type, codexHook(name), createdAt ? { createdAt } : {});
}

function session(db: ReturnType<typeof openTestDb>['db']) {
  return db.prepare('SELECT * FROM sessions WHERE id = ?').get(SID) as Record<string, unknown>;
}

describe('dedup matrix over the F2–F8 turn', () => {
  it('hooks off: the rollout alone gives the full timeline, hook-shaped', () => {
    const { db, file } = setup();
    const res = importRolloutFile(db, file);
    expect(res).toEqual({ inserted: 7, sessionIds: [SID], malformed: 0 });
    expect(rows(db)).toEqual(ROLLOUT_ONLY);
    const s = session(db);
    expect(s).toMatchObject({
      harness: 'codex', status: 'waiting', model: 'gpt-5-codex', cwd: '/home/alex/src/demo', started_at: '2026-09-14T10:21:07.398Z',
      input_tokens: 18342 - 12288, cache_read_tokens: 12288, output_tokens: 911, event_count: 7, transcript_path: file,
      updated_at: '2026-09-14T10:21:58.140Z',
    });
    const bash = db.prepare(`SELECT data, created_at FROM events WHERE dedup_key = ?`).get(K.preBash) as { data: string; created_at: string };
    expect(bash.created_at).toBe('2026-09-14T10:21:35.120Z');
    expect(JSON.parse(bash.data)).toMatchObject({
      session_id: SID, turn_id: TURN, hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'cargo test -p demo-parser' },
      tool_use_id: BASH_CALL, transcript_path: file, __rollout: { line: 7 },
    });
    const patchPost = JSON.parse((db.prepare(`SELECT data FROM events WHERE dedup_key = ?`).get(K.postPatch) as { data: string }).data);
    expect(patchPost).toMatchObject({ tool_name: 'apply_patch', tool_response: 'Success. Updated the following files:\nM src/parser.rs\n' });
    expect(patchPost.tool_input.command).toContain('*** Begin Patch');
  });

  it('hooks first, then the rollout: the rollout only adds what hooks lacked (apply_patch Post)', () => {
    const { db, file } = setup();
    hooks(db);
    expect(importRolloutFile(db, file).inserted).toBe(1);
    expect(rows(db)).toEqual([
      row('SessionStart', null, K.start, 'hook', 'hook,rollout'),
      row('UserPromptSubmit', null, K.prompt, 'hook', 'hook,rollout'),
      row('PreToolUse', 'Bash', K.preBash, 'hook', 'hook,rollout'),
      row('PostToolUse', 'Bash', K.postBash, 'hook', 'hook,rollout'),
      row('PreToolUse', 'apply_patch', K.prePatch, 'hook', 'hook,rollout'),
      row('Stop', null, K.stop, 'hook', 'hook,rollout'),
      row('PostToolUse', 'apply_patch', K.postPatch, 'rollout', 'rollout'),
    ]);
    expect(session(db)).toMatchObject({ event_count: 7, harness: 'codex', model: 'gpt-5-codex', output_tokens: 911 });
  });

  it('rollout first, then hooks: every hook is a second sighting', () => {
    const { db, file } = setup();
    importRolloutFile(db, file);
    hooks(db);
    expect(rows(db)).toEqual(ROLLOUT_ONLY.map((r) => (r.dedup_key === K.postPatch ? r : { ...r, seen_by: 'hook,rollout' })));
    expect(session(db).event_count).toBe(7);
  });

  it('hooks missing one event (no Bash PostToolUse): the rollout fills exactly that gap', () => {
    const { db, file } = setup();
    hooks(db, ['f5-post-tool-use-bash']);
    importRolloutFile(db, file);
    expect(rows(db)).toEqual([
      row('SessionStart', null, K.start, 'hook', 'hook,rollout'),
      row('UserPromptSubmit', null, K.prompt, 'hook', 'hook,rollout'),
      row('PreToolUse', 'Bash', K.preBash, 'hook', 'hook,rollout'),
      row('PreToolUse', 'apply_patch', K.prePatch, 'hook', 'hook,rollout'),
      row('Stop', null, K.stop, 'hook', 'hook,rollout'),
      row('PostToolUse', 'Bash', K.postBash, 'rollout', 'rollout'),
      row('PostToolUse', 'apply_patch', K.postPatch, 'rollout', 'rollout'),
    ]);
  });

  it('hook and rollout timestamps in different seconds: still one row per event', () => {
    const { db, file } = setup();
    hooks(db, [], '2026-09-14T10:23:59.999Z'); // minutes away from every rollout line
    importRolloutFile(db, file);
    expect(rows(db)).toHaveLength(7);
    expect(rows(db).filter((r) => r.seen_by === 'hook,rollout')).toHaveLength(6);
    const created = db.prepare(`SELECT created_at FROM events WHERE dedup_key = ?`).get(K.preBash) as { created_at: string };
    expect(created.created_at).toBe('2026-09-14T10:23:59.999Z'); // the first sighting's row is kept as it was
  });

  it('three calls of the same tool in the same second are all kept', () => {
    const { db, dir } = setup();
    const ts = '2026-09-14T10:30:00.000Z';
    const lines = [
      { timestamp: ts, type: 'session_meta', payload: { id: SID, timestamp: ts, cwd: '/w' } },
      { timestamp: ts, type: 'event_msg', payload: { type: 'task_started', turn_id: TURN } },
      ...['a', 'b', 'c'].map((n) => ({ timestamp: ts, type: 'response_item', payload: { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}', call_id: `call_${n}` } })),
      ...['a', 'b', 'c'].map((n) => ({ timestamp: ts, type: 'response_item', payload: { type: 'function_call_output', call_id: `call_${n}`, output: 'x' } })),
    ];
    const file = path.join(dir, 'codex', 'sessions', `rollout-2026-09-14T12-30-00-${SID}.jsonl`);
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    // The hook saw the second call only, at the same second as well.
    insertHook(db, 'PreToolUse', { session_id: SID, turn_id: TURN, tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: 'call_b' }, { createdAt: ts });
    importRolloutFile(db, file);
    expect(rows(db)).toEqual([
      row('PreToolUse', 'Bash', 'pre:call_b', 'hook', 'hook,rollout'),
      row('SessionStart', null, K.start, 'rollout', 'rollout'),
      row('PreToolUse', 'Bash', 'pre:call_a', 'rollout', 'rollout'),
      row('PreToolUse', 'Bash', 'pre:call_c', 'rollout', 'rollout'),
      row('PostToolUse', 'Bash', 'post:call_a', 'rollout', 'rollout'),
      row('PostToolUse', 'Bash', 'post:call_b', 'rollout', 'rollout'),
      row('PostToolUse', 'Bash', 'post:call_c', 'rollout', 'rollout'),
    ]);
  });

  it('Stop fired twice in one turn (stop_hook_active false, then true): two rows, the first merges with task_complete', () => {
    const { db, file } = setup();
    hooks(db);
    const cont = { ...codexHook('f7-stop'), stop_hook_active: true, last_assistant_message: 'Also ran clippy.' };
    expect(insertHook(db, 'Stop', cont).stored).toBe(true);
    expect(insertHook(db, 'Stop', cont).stored).toBe(false); // a re-delivery of the same continuation
    importRolloutFile(db, file);
    const stops = rows(db).filter((r) => r.hook_type === 'Stop');
    expect(stops).toEqual([
      row('Stop', null, K.stop, 'hook', 'hook,rollout'),
      row('Stop', null, `stop:${TURN}:cont:${sha16('Also ran clippy.')}`, 'hook', 'hook'),
    ]);
  });

  it('re-import after a restart (new connection, same DB) adds nothing; nor does a lost cursor', () => {
    const { db, dbPath, file } = setup();
    hooks(db, ['f5-post-tool-use-bash']);
    importRolloutFile(db, file);
    const before = rows(db);
    db.close();
    const db2 = openDb(dbPath);
    expect(importRolloutFile(db2, file)).toEqual({ inserted: 0, sessionIds: [], malformed: 0 });
    db2.prepare('DELETE FROM codex_rollout_files').run(); // cursor gone: re-read from 0
    expect(importRolloutFile(db2, file).inserted).toBe(0);
    expect(rows(db2)).toEqual(before);
    expect((db2.prepare('SELECT event_count FROM sessions WHERE id = ?').get(SID) as { event_count: number }).event_count).toBe(7);
  });

  it('a truncated last line waits until it is complete', () => {
    const { db, file } = setup();
    const text = f8Text();
    const cut = text.indexOf('"type":"function_call"') + 10; // inside line 7
    fs.writeFileSync(file, text.slice(0, cut));
    expect(importRolloutFile(db, file)).toMatchObject({ inserted: 2, malformed: 0 });
    const cursor = db.prepare('SELECT offset, line_no, size FROM codex_rollout_files WHERE path = ?').get(file) as { offset: number; line_no: number; size: number };
    expect(cursor.line_no).toBe(6);
    expect(cursor.offset).toBe(Buffer.byteLength(text.split('\n').slice(0, 6).join('\n')) + 1);
    expect(cursor.size).toBe(Buffer.byteLength(text.slice(0, cut)));
    fs.appendFileSync(file, text.slice(cut));
    expect(importRolloutFile(db, file)).toMatchObject({ inserted: 5, malformed: 0 });
    expect(rows(db)).toEqual(ROLLOUT_ONLY);
  });

  it('a rotated file: shrunk → re-read from 0 without duplicates; replaced by another session → imported', () => {
    const { db, file } = setup();
    const text = f8Text();
    importRolloutFile(db, file);
    // Shrunk below the cursor (same inode).
    fs.writeFileSync(file, text.split('\n').slice(0, 3).join('\n') + '\n');
    expect(importRolloutFile(db, file).inserted).toBe(0);
    fs.writeFileSync(file, text);
    expect(importRolloutFile(db, file).inserted).toBe(0);
    expect(rows(db)).toEqual(ROLLOUT_ONLY);
    // Replaced (new inode, different first line) with another thread's rollout of the same size class.
    const other = '019b4c2e-0000-7000-8000-000000000001';
    const replaced = text.replaceAll(SID, other).replaceAll(BASH_CALL, 'cx_7HqLm2Rt9XwZ4pNc1VbK8sYd').replaceAll(PATCH_CALL, 'cx_Pa3Tc9Hm1QeW6rYu2ZoI5xLs');
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, replaced);
    fs.renameSync(tmp, file);
    expect(importRolloutFile(db, file).inserted).toBe(7);
    expect(rows(db, other).map((r) => r.dedup_key)).toEqual([
      `start:${other}`, K.prompt, 'pre:cx_7HqLm2Rt9XwZ4pNc1VbK8sYd', 'post:cx_7HqLm2Rt9XwZ4pNc1VbK8sYd',
      'pre:cx_Pa3Tc9Hm1QeW6rYu2ZoI5xLs', 'post:cx_Pa3Tc9Hm1QeW6rYu2ZoI5xLs', K.stop,
    ]);
    expect(rows(db, SID)).toEqual(ROLLOUT_ONLY);
  });

  it('a same-size rewrite with a different first line is detected by the head hash', () => {
    const { db, file } = setup();
    const text = f8Text();
    fs.writeFileSync(file, text.split('\n').slice(0, 2).join('\n') + '\n');
    importRolloutFile(db, file);
    // Same inode, grown, but line 1 now names another thread (same length id).
    const other = '019b4c2e-0000-7000-8000-000000000002';
    fs.writeFileSync(file, text.replaceAll(SID, other));
    importRolloutFile(db, file);
    expect(rows(db, other)).toHaveLength(7);
  });

  it('compacted.replacement_history repeating old call ids adds nothing', () => {
    const { db, file } = setup();
    importRolloutFile(db, file);
    const compacted = {
      timestamp: '2026-09-14T10:25:00.000Z', type: 'compacted',
      payload: {
        message: 'summary',
        replacement_history: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: PROMPT }] },
          { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"cargo test"}', call_id: BASH_CALL },
          { type: 'function_call_output', call_id: BASH_CALL, output: 'old' },
          { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"never ran"}', call_id: 'call_only_in_history' },
        ],
      },
    };
    const ctx = { timestamp: '2026-09-14T10:25:00.001Z', type: 'event_msg', payload: { type: 'context_compacted' } };
    fs.appendFileSync(file, `${JSON.stringify(compacted)}\n${JSON.stringify(ctx)}\n`);
    expect(importRolloutFile(db, file).inserted).toBe(0);
    expect(rows(db)).toEqual(ROLLOUT_ONLY);
  });

  it('a forked rollout copying parent items under a new id is kept apart by session', () => {
    const { db, dir, file } = setup();
    importRolloutFile(db, file);
    const fork = '019b4c2f-1111-7222-8333-444455556666';
    const parentLines = f8Text().trim().split('\n');
    const head = { timestamp: '2026-09-14T11:00:00.000Z', type: 'session_meta', payload: { id: fork, forked_from_id: SID, timestamp: '2026-09-14T11:00:00.000Z', cwd: '/home/alex/src/demo' } };
    const forkFile = path.join(dir, 'codex', 'sessions', '2026', '09', '14', `rollout-2026-09-14T13-00-00-${fork}.jsonl`);
    fs.writeFileSync(forkFile, [JSON.stringify(head), ...parentLines].join('\n') + '\n');
    expect(importRolloutFile(db, forkFile).inserted).toBe(7);
    expect(rows(db, SID)).toEqual(ROLLOUT_ONLY);
    expect(rows(db, fork)).toEqual(ROLLOUT_ONLY.map((r) => (r.dedup_key === K.start ? { ...r, dedup_key: `start:${fork}` } : r)));
    const start = JSON.parse((db.prepare(`SELECT data FROM events WHERE session_id = ? AND hook_type = 'SessionStart'`).get(fork) as { data: string }).data);
    expect(start.session_meta).toEqual({ forked_from_id: SID });
  });

  it('a subagent rollout is its own session linked to its parent; its hooks (agent_id) merge into it', () => {
    const { db, dir } = setup();
    const child = '019b4c30-aaaa-7bbb-8ccc-dddddddddddd';
    const lines = [
      { timestamp: '2026-09-14T10:22:00.000Z', type: 'session_meta', payload: { id: child, timestamp: '2026-09-14T10:22:00.000Z', cwd: '/w', source: { subagent: { thread_spawn: { parent_thread_id: SID, depth: 1 } } } } },
      { timestamp: '2026-09-14T10:22:01.000Z', type: 'turn_context', payload: { turn_id: 'sub-turn', model: 'gpt-5-mini' } },
      { timestamp: '2026-09-14T10:22:02.000Z', type: 'response_item', payload: { type: 'function_call', name: 'shell', arguments: '{"command":["bash","-lc","ls -la"]}', call_id: 'call_sub' } },
    ];
    const file = path.join(dir, 'codex', 'sessions', `rollout-2026-09-14T12-22-00-${child}.jsonl`);
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    insertHook(db, 'PreToolUse', { session_id: SID, agent_id: child, agent_type: 'worker', turn_id: 'sub-turn', tool_name: 'Bash', tool_input: { command: 'ls -la' }, tool_use_id: 'call_sub' });
    importRolloutFile(db, file);
    expect(rows(db, child)).toEqual([
      row('PreToolUse', 'Bash', 'pre:call_sub', 'hook', 'hook,rollout'),
      row('SessionStart', null, `start:${child}`, 'rollout', 'rollout'),
    ]);
    expect(db.prepare('SELECT parent_session_id, harness, model FROM sessions WHERE id = ?').get(child)).toEqual({
      parent_session_id: SID, harness: 'codex', model: 'gpt-5-mini',
    });
    const pre = JSON.parse((db.prepare(`SELECT data FROM events WHERE dedup_key = 'pre:call_sub'`).get() as { data: string }).data);
    expect(pre.tool_input).toEqual({ command: 'ls -la' });
  });
});
