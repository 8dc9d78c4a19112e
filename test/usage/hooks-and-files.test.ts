/**
 * Hooks and the transcript file seeing the same turn, through the REAL patched sidecar: Claude
 * hook posts (with `transcript_path`) and the worker's import of that transcript (which the hook
 * asks for, Claude history reading being off here) store each event once and count each token
 * once; the session row shows the exact totals; a restart re-reads nothing twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { postHook, startPatched } from '../../scripts/lib/servers.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { AGENT, assistantLine, EXPECT, mainTranscript, placeClaude, PROMPT, PROMPT_ID, SID, usage } from './fixtures.js';

interface Row {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

describe('hooks + transcript through the sidecar', () => {
  it('one row per event, one count per token, exact session totals, before and after a restart', async () => {
    const dir = tempDir('am-hooks-files-');
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    // Only the first part of the turn is on disk when the hooks arrive.
    const files = placeClaude(path.join(dir, 'claude'), mainTranscript().slice(0, 5));
    const hook = { session_id: SID, transcript_path: files.main, cwd: '/w', prompt_id: PROMPT_ID };
    let sidecar = await startPatched({ dir: data, codexHome: path.join(dir, 'codex') });
    let n = 0;
    const post = (type: string, extra: Record<string, unknown>): ReturnType<typeof postHook> =>
      postHook(sidecar, type, { ...hook, ...extra, __delivery_id: `d-${++n}` });
    expect((await post('UserPromptSubmit', { prompt: PROMPT })).status).toBe(200);
    await post('PreToolUse', { tool_name: 'Bash', tool_input: { command: 'ls | wc -l' }, tool_use_id: 'toolu_1' });
    await post('PostToolUse', { tool_name: 'Bash', tool_use_id: 'toolu_1', tool_response: { stdout: 'ok' } });
    // The rest of the turn is written, then its hooks (and the subagent's SubagentStop) arrive.
    fs.appendFileSync(files.main, mainTranscript().slice(5).map((l) => `${l}\n`).join(''));
    await post('PreToolUse', { tool_name: 'Task', tool_input: { prompt: 'help' }, tool_use_id: 'toolu_2' });
    await post('SubagentStop', { agent_id: AGENT, agent_transcript_path: files.agent });
    await post('PostToolUse', { tool_name: 'Task', tool_use_id: 'toolu_2', tool_response: { ok: true } });
    await post('Stop', { stop_hook_active: false, last_assistant_message: 'Done.' });

    const db = new Database(sidecar.dbPath, { readonly: true });
    const usageRows = (): number => (db.prepare('SELECT COUNT(*) AS n FROM usage_records').get() as { n: number }).n;
    await waitFor('both transcripts imported', () => usageRows() === 5, 10_000);
    const keyed = db.prepare(`SELECT dedup_key, seen_by FROM events WHERE session_id = ? AND dedup_key NOT LIKE 'delivery:%' ORDER BY dedup_key`).all(SID);
    expect(keyed).toEqual([
      { dedup_key: 'post:toolu_1', seen_by: 'hook,rollout' },
      { dedup_key: 'post:toolu_2', seen_by: 'hook,rollout' },
      { dedup_key: 'post:toolu_3', seen_by: 'rollout' }, // the subagent's failed call: no hook posted for it here
      { dedup_key: 'pre:toolu_1', seen_by: 'hook,rollout' },
      { dedup_key: 'pre:toolu_2', seen_by: 'hook,rollout' },
      { dedup_key: 'pre:toolu_3', seen_by: 'rollout' },
      { dedup_key: expect.stringMatching(/^prompt:p-0001:/), seen_by: 'hook,rollout' },
      { dedup_key: `start:${SID}`, seen_by: 'rollout' }, // the file's first line; no SessionStart hook was posted here
      // The Stop hook keys on its prompt_id, as the file's end_turn line does: one row, seen by both.
      { dedup_key: 'stop:p-0001', seen_by: 'hook,rollout' },
    ]);
    // The next hook post refreshes the session row from the usage rows: exact own totals.
    await post('Notification', { message: 'idle' });
    const tokens = (): Row => db.prepare('SELECT input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM sessions WHERE id = ?').get(SID) as Row;
    expect(tokens()).toEqual({ input_tokens: EXPECT.main.input, output_tokens: EXPECT.main.output, cache_read_tokens: EXPECT.main.cacheRead, cache_write_tokens: EXPECT.main.cacheWrite });
    const shown = (await sidecar.get<{ sessions: Array<{ id: string; total: { tokens: { total: number } } }> }>('/api/usage/sessions')).sessions.find((s) => s.id === SID)!;
    const sum = (e: typeof EXPECT.main): number => e.input + e.output + e.cacheRead + e.cacheWrite;
    expect(shown.total.tokens.total).toBe(sum(EXPECT.main) + sum(EXPECT.agent));

    // Restart: same DB, the hooks' transcript is named again; nothing is counted twice.
    const events = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    db.close();
    await sidecar.stop();
    sidecar = await startPatched({ dir: data, codexHome: path.join(dir, 'codex') });
    // One more message is written, then a hook names the file: only that message is new.
    fs.appendFileSync(files.main, `${assistantLine('msg_9', 'req_9', 'claude-sonnet-4-5-20250929', { type: 'text', text: 'More.' }, usage(1, 2, 3, 4), '2026-11-20T10:01:00.000Z', {}, 'end_turn')}\n`);
    await post('Notification', { message: 'again' });
    const db2 = new Database(sidecar.dbPath, { readonly: true });
    await waitFor('the new message imported', () => db2.prepare(`SELECT 1 FROM usage_records WHERE usage_key = 'claude:msg_9:req_9'`).get(), 10_000);
    expect((db2.prepare('SELECT COUNT(*) AS n FROM usage_records').get() as { n: number }).n).toBe(6);
    expect((db2.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(events + 1); // the Notification
    db2.close();
    await sidecar.stop();
  }, 60_000);
});
