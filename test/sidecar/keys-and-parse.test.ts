/** Pure units: the shared dedup keys, tool-name mapping and the rollout line parser (no DB). */
import { describe, expect, it } from 'vitest';
import { canonicalToolName, hookDedupKey, hookSessionId, parseRolloutText, sha16, type EventRecord } from '../../src/sidecar/index.js';
import { BASH_CALL, codexHook, f8Text, PATCH_CALL, PROMPT, SID, TURN } from './helpers.js';

const codex = (d: Record<string, unknown>) => ({ ...d, __provider: 'codex', __delivery_id: 'd-1' });

describe('hookDedupKey / hookSessionId (docs/contracts.md key table)', () => {
  it('Codex F2–F7', () => {
    expect(hookDedupKey('SessionStart', codex(codexHook('f2-session-start')))).toBe(`start:${SID}`);
    expect(hookDedupKey('UserPromptSubmit', codex(codexHook('f3-user-prompt-submit')))).toBe(`prompt:${TURN}:${sha16(PROMPT)}`);
    expect(hookDedupKey('PreToolUse', codex(codexHook('f4-pre-tool-use-bash')))).toBe(`pre:${BASH_CALL}`);
    expect(hookDedupKey('PostToolUse', codex(codexHook('f5-post-tool-use-bash')))).toBe(`post:${BASH_CALL}`);
    expect(hookDedupKey('PreToolUse', codex(codexHook('f6-pre-tool-use-apply-patch')))).toBe(`pre:${PATCH_CALL}`);
    expect(hookDedupKey('Stop', codex(codexHook('f7-stop')))).toBe(`stop:${TURN}`);
  });

  it('Codex edge cases', () => {
    const f2 = codexHook('f2-session-start');
    expect(hookDedupKey('SessionStart', codex({ ...f2, source: 'resume' }))).toBe(`start:${SID}:resume:d-1`);
    expect(hookDedupKey('SessionStart', codex({ ...f2, source: 'compact' }))).toBe(`start:${SID}:compact:d-1`);
    expect(hookDedupKey('SessionStart', codex({ ...f2, source: 'clear' }))).toBe(`start:${SID}`);
    const stop = { ...codexHook('f7-stop'), stop_hook_active: true, last_assistant_message: 'again' };
    expect(hookDedupKey('Stop', codex(stop))).toBe(`stop:${TURN}:cont:${sha16('again')}`);
    expect(hookDedupKey('Stop', codex({ ...stop, last_assistant_message: null }))).toBe(`stop:${TURN}:cont:${sha16('')}`);
    const { turn_id: _t, ...noTurn } = codexHook('f3-user-prompt-submit');
    expect(hookDedupKey('UserPromptSubmit', codex(noTurn))).toBe('delivery:d-1');
    expect(hookDedupKey('PermissionRequest', codex({ session_id: SID, tool_name: 'Bash' }))).toBe('delivery:d-1');
    expect(hookDedupKey('Interrupt', { session_id: SID, __provider: 'codex' })).toBeNull();
    expect(hookSessionId(codex({ session_id: SID, agent_id: 'child' }))).toBe('child');
    expect(hookSessionId(codex({ session_id: SID }))).toBe(SID);
  });

  it('Claude: tools by tool_use_id, prompt/Stop by prompt_id (the session file shares it), a fresh start by session, the rest by delivery; session_id even with agent_id', () => {
    const claude = (d: Record<string, unknown>) => ({ ...d, __delivery_id: 'd-2' });
    expect(hookDedupKey('PreToolUse', claude({ session_id: 's', tool_use_id: 'toolu_1' }))).toBe('pre:toolu_1');
    expect(hookDedupKey('PostToolUse', claude({ session_id: 's', tool_use_id: 'toolu_1' }))).toBe('post:toolu_1');
    expect(hookDedupKey('SessionStart', claude({ session_id: 's', source: 'startup' }))).toBe('start:s');
    expect(hookDedupKey('SessionStart', claude({ session_id: 's', source: 'resume' }))).toBe('delivery:d-2');
    expect(hookDedupKey('UserPromptSubmit', claude({ session_id: 's', prompt_id: 'p1', prompt: 'hi' }))).toBe(`prompt:p1:${sha16('hi')}`);
    expect(hookDedupKey('UserPromptSubmit', claude({ session_id: 's', prompt: 'hi' }))).toBe('delivery:d-2');
    expect(hookDedupKey('Stop', claude({ session_id: 's', prompt_id: 'p1', stop_hook_active: false }))).toBe('stop:p1');
    expect(hookDedupKey('Stop', claude({ session_id: 's', prompt_id: 'p1', stop_hook_active: true }))).toBe('delivery:d-2');
    expect(hookDedupKey('Stop', claude({ session_id: 's' }))).toBe('delivery:d-2');
    expect(hookDedupKey('Stop', { session_id: 's' })).toBeNull();
    expect(hookDedupKey('Notification', claude({ session_id: 's', prompt_id: 'p1' }))).toBe('delivery:d-2');
    expect(hookSessionId(claude({ session_id: 's', agent_id: 'a' }))).toBe('s');
  });

  it('canonicalToolName', () => {
    for (const n of ['exec_command', 'shell', 'shell_command', 'local_shell_call']) expect(canonicalToolName(n)).toBe('Bash');
    expect(canonicalToolName('apply_patch')).toBe('apply_patch');
    expect(canonicalToolName('write_stdin')).toBe('write_stdin');
    expect(canonicalToolName('read_file', 'fs')).toBe('mcp__fs__read_file');
    expect(canonicalToolName('read_file', 'mcp__fs')).toBe('mcp__fs__read_file');
  });
});

describe('parseRolloutText', () => {
  it('maps F8 to hook-shaped events and session facts', () => {
    const { records, malformed, state } = parseRolloutText(f8Text(), `/x/rollout-2026-09-14T12-21-07-${SID}.jsonl`);
    expect(malformed).toBe(0);
    expect(records.map((r) => (r.kind === 'event' ? `${r.hookType}:${r.dedupKey}` : r.kind))).toEqual([
      'session', `SessionStart:start:${SID}`, 'model', `UserPromptSubmit:prompt:${TURN}:${sha16(PROMPT)}`,
      `PreToolUse:pre:${BASH_CALL}`, `PostToolUse:post:${BASH_CALL}`, `PreToolUse:pre:${PATCH_CALL}`, `PostToolUse:post:${PATCH_CALL}`,
      'usage', 'usage-state', 'tokens', `Stop:stop:${TURN}`,
    ]);
    const post = records[5] as EventRecord;
    expect(post.data).toMatchObject({ tool_name: 'Bash', tool_input: { command: 'cargo test -p demo-parser' }, tool_use_id: BASH_CALL });
    expect(post.data.tool_response).toContain('running 12 tests');
    const stop = records[11] as EventRecord;
    expect(stop.data).toMatchObject({ stop_hook_active: false, last_assistant_message: 'Fixed the empty-input check in src/parser.rs; all 12 parser tests pass.' });
    expect(state.pending).toEqual({});
    expect(state.turnId).toBe(TURN);
  });

  it('shapes tool inputs like the hooks do', () => {
    const meta = JSON.stringify({ timestamp: 't', type: 'session_meta', payload: { id: 's' } });
    const item = (payload: object) => JSON.stringify({ timestamp: 't', type: 'response_item', payload });
    const text = [
      meta,
      item({ type: 'function_call', name: 'shell', arguments: '{"command":["bash","-lc","npm test"]}', call_id: 'c1' }),
      item({ type: 'function_call', name: 'shell', arguments: '{"command":["git","commit","-m","a b"]}', call_id: 'c2' }),
      item({ type: 'local_shell_call', call_id: 'c3', status: 'completed', action: { type: 'exec', command: ['ls', '-la'] } }),
      item({ type: 'function_call', name: 'search', namespace: 'docs', arguments: '{"q":"x"}', call_id: 'c4' }),
      item({ type: 'function_call', name: 'apply_patch', arguments: '{"input":"*** Begin Patch"}', call_id: 'c5' }),
      item({ type: 'function_call_output', call_id: 'c4', output: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] }),
      item({ type: 'function_call_output', call_id: 'c1', output: { content: 'ok', success: true } }),
      item({ type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'x' } }),
    ].join('\n') + '\n';
    const ev = parseRolloutText(text).records.filter((r): r is EventRecord => r.kind === 'event' && r.hookType !== 'SessionStart');
    expect(ev.map((e) => [e.toolName, e.data.tool_input, e.data.tool_response])).toEqual([
      ['Bash', { command: 'npm test' }, undefined],
      ['Bash', { command: "git commit -m 'a b'" }, undefined],
      ['Bash', { command: 'ls -la' }, undefined],
      ['mcp__docs__search', { q: 'x' }, undefined],
      ['apply_patch', { command: '*** Begin Patch' }, undefined],
      ['mcp__docs__search', { q: 'x' }, 'a\nb'],
      ['Bash', { command: 'npm test' }, 'ok'],
    ]);
  });

  it('turn_aborted ends the turn like a Stop, marked aborted', () => {
    const text = [
      { timestamp: 't', type: 'session_meta', payload: { id: 's' } },
      { timestamp: 't', type: 'event_msg', payload: { type: 'task_started', turn_id: 'T1' } },
      { timestamp: 't', type: 'event_msg', payload: { type: 'turn_aborted', turn_id: 'T1', reason: 'interrupted' } },
    ].map((l) => JSON.stringify(l)).join('\n') + '\n';
    const stop = parseRolloutText(text).records.at(-1) as EventRecord;
    expect(stop).toMatchObject({ hookType: 'Stop', dedupKey: 'stop:T1', status: 'waiting', data: { turn_aborted: true, reason: 'interrupted' } });
  });
});
