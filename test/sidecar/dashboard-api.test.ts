// The dashboard's read API against a real patched sidecar: attention opened and cleared exactly,
// cursor paging of the timeline (also for a spooled event stored late under an older time) and
// of the session list with filters, full-text search kept in step with both sources and with
// dedup, export, and clear errors for bad input.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postHook, startPatched, type RunningServer } from '../../scripts/lib/servers.js';
import { openDb, seedManySessions } from '../../scripts/lib/seed.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

interface Row {
  id: number;
  hook_type: string;
  created_at: string;
  call_id: string | null;
  failure: string | null;
  summary: string | null;
}
interface Page {
  events: Row[];
  older: string | null;
  newer: string | null;
  session: { needs_you: string | null };
}
interface Session {
  id: string;
  updated_at: string;
  harness: string;
  status: string;
  cwd: string;
  needs_you: string | null;
}

let sidecar: RunningServer;
let codexHome: string;
let n = 0;
const post = async (hookType: string, data: Record<string, unknown>): Promise<{ stored: boolean }> => {
  const r = await postHook(sidecar, hookType, { __delivery_id: `api-${++n}`, ...data });
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body) as { stored: boolean };
};
const needs = async (sessionId: string): Promise<{ kind: string; tool: string | null; detail: string; count: number; key: number } | null> => {
  const page = await sidecar.get<Page>(`/api/sessions/${encodeURIComponent(sessionId)}/timeline?limit=1`);
  return page.session.needs_you ? JSON.parse(page.session.needs_you) : null;
};
const status = async (path: string): Promise<{ status: number; body: string; headers: Headers }> => {
  const res = await fetch(`${sidecar.url}${path}`);
  return { status: res.status, body: await res.text(), headers: res.headers };
};

beforeAll(async () => {
  const dir = tempDir('am-dash-api-');
  codexHome = join(dir, 'codex-home');
  mkdirSync(join(codexHome, 'sessions'), { recursive: true });
  sidecar = await startPatched({ dir: join(dir, 'data'), codexHome });
}, 60_000);

afterAll(async () => {
  await sidecar?.stop();
});

describe('attention', () => {
  test('Claude: a PermissionRequest names the pending command; a PostToolUse of another call does not clear it, its own does', async () => {
    const s = { session_id: 'att-claude', cwd: '/home/dev/src/app' };
    await post('PreToolUse', { ...s, tool_name: 'Bash', tool_use_id: 'toolu_a', tool_input: { command: 'rm -rf build/' } });
    await post('PreToolUse', { ...s, tool_name: 'Read', tool_use_id: 'toolu_r', tool_input: { file_path: '/home/dev/src/app/README.md' } });
    await post('PermissionRequest', { ...s, tool_name: 'Bash', tool_input: { command: 'rm -rf build/' } });
    // Claude also sends a permission_prompt Notification for the same dialog: still one request.
    await post('Notification', { ...s, notification_type: 'permission_prompt', message: 'Claude needs your permission to use Bash' });
    expect(await needs('att-claude')).toMatchObject({ kind: 'approval', tool: 'Bash', detail: 'rm -rf build/', count: 1 });
    await post('PostToolUse', { ...s, tool_name: 'Read', tool_use_id: 'toolu_r', tool_input: { file_path: '/home/dev/src/app/README.md' }, tool_response: {} });
    expect(await needs('att-claude')).not.toBeNull();
    const list = await sidecar.get<{ sessions: Session[] }>('/api/needs-you');
    expect(list.sessions.map((x) => x.id)).toContain('att-claude');
    await post('PostToolUse', { ...s, tool_name: 'Bash', tool_use_id: 'toolu_a', tool_input: { command: 'rm -rf build/' }, tool_response: { stdout: '' } });
    expect(await needs('att-claude')).toBeNull();
  });

  test('Claude: a denied call, an idle prompt answered by a new prompt, an elicitation answered by tool activity', async () => {
    const s = { session_id: 'att-claude-2', cwd: '/home/dev/src/app' };
    await post('PreToolUse', { ...s, tool_name: 'Bash', tool_use_id: 'toolu_d', tool_input: { command: 'git push --force' } });
    await post('PermissionRequest', { ...s, tool_name: 'Bash', tool_input: { command: 'git push --force' } });
    await post('PermissionDenied', { ...s, tool_name: 'Bash', tool_use_id: 'toolu_d', tool_input: { command: 'git push --force' }, reason: 'user said no' });
    expect(await needs('att-claude-2')).toBeNull();
    await post('Stop', { ...s, last_assistant_message: 'I did not push.' });
    await post('Notification', { ...s, notification_type: 'idle_prompt', message: 'Claude is waiting for your input' });
    expect(await needs('att-claude-2')).toMatchObject({ kind: 'input', detail: 'Claude is waiting for your input' });
    await post('UserPromptSubmit', { ...s, prompt: 'ok, open a PR instead' });
    expect(await needs('att-claude-2')).toBeNull();
    await post('Elicitation', { ...s, mcp_server_name: 'github', message: 'Which repository?' });
    expect(await needs('att-claude-2')).toMatchObject({ kind: 'question', tool: 'github', detail: 'Which repository?' });
    await post('PreToolUse', { ...s, tool_name: 'mcp__github__create_pr', tool_use_id: 'toolu_pr', tool_input: {} });
    expect(await needs('att-claude-2')).toBeNull();
    // auth_success is not a request.
    await post('Notification', { ...s, notification_type: 'auth_success', message: 'Logged in' });
    expect(await needs('att-claude-2')).toBeNull();
  });

  test('Codex: a PermissionRequest (no call id) is tied to its turn; a re-delivery opens nothing; Stop or Interrupt clears', async () => {
    const s = { session_id: 'att-codex', cwd: '/home/dev/src/svc', __provider: 'codex' };
    await post('PreToolUse', { ...s, turn_id: 't1', tool_name: 'Bash', tool_use_id: 'call_1', tool_input: { command: 'touch a' } });
    await post('PermissionRequest', { ...s, turn_id: 't1', tool_name: 'Bash', tool_input: { command: 'touch a' }, __delivery_id: 'perm-1' });
    expect(await post('PermissionRequest', { ...s, turn_id: 't1', tool_name: 'Bash', tool_input: { command: 'touch a' }, __delivery_id: 'perm-1' })).toMatchObject({ stored: false });
    expect(await needs('att-codex')).toMatchObject({ kind: 'approval', detail: 'touch a', count: 1 });
    // A PostToolUse of another turn's call does not answer it.
    await post('PostToolUse', { ...s, turn_id: 't0', tool_name: 'Bash', tool_use_id: 'call_0', tool_input: { command: 'ls' }, tool_response: '' });
    expect(await needs('att-codex')).not.toBeNull();
    await post('Stop', { ...s, turn_id: 't1', stop_hook_active: false, last_assistant_message: 'The write was rejected.' });
    expect(await needs('att-codex')).toBeNull();
    await post('PermissionRequest', { ...s, turn_id: 't2', tool_name: 'Bash', tool_input: { command: 'touch b' } });
    expect(await needs('att-codex')).toMatchObject({ detail: 'touch b' });
    await post('Interrupt', { ...s, turn_id: 't2' });
    expect(await needs('att-codex')).toBeNull();
  });
});

describe('timeline paging', () => {
  test('opens at the newest page and pages back to the first, in time order, with a late spooled event in place', async () => {
    const s = { session_id: 'paged', cwd: '/home/dev/src/p' };
    for (let i = 0; i < 12; i++) {
      await post('PreToolUse', { ...s, tool_name: 'Bash', tool_use_id: `toolu_${i}`, tool_input: { command: `echo ${i}` } });
    }
    // A handler spooled this one long ago; the drain stores it now, under its spool time.
    const first = (await sidecar.get<Page>('/api/sessions/paged/timeline?limit=100')).events[0]!;
    const spooledAt = new Date(Date.parse(first.created_at) - 60_000).toISOString();
    mkdirSync(join(sidecar.dir, 'spool'), { recursive: true });
    writeFileSync(join(sidecar.dir, 'spool', 'events.jsonl'), `${JSON.stringify({ hook_type: 'UserPromptSubmit', data: { ...s, prompt: 'spooled first prompt', __delivery_id: 'spool-1' }, spooled_at: spooledAt })}\n`);
    await waitFor('the spooled event', async () => (await sidecar.get<Page>('/api/sessions/paged/timeline?limit=100')).events.length === 13);

    const all = (await sidecar.get<Page>('/api/sessions/paged/timeline?limit=100')).events;
    expect(all[0]!.summary).toBe('spooled first prompt');
    const head = await sidecar.get<Page>('/api/sessions/paged/timeline?limit=5');
    expect(head.newer).toBeNull();
    expect(head.events.map((e) => e.summary)).toEqual(['Bash: echo 7', 'Bash: echo 8', 'Bash: echo 9', 'Bash: echo 10', 'Bash: echo 11']);
    const seen: Row[] = [...head.events];
    let cursor = head.older;
    while (cursor) {
      const page = await sidecar.get<Page>(`/api/sessions/paged/timeline?limit=5&before=${encodeURIComponent(cursor)}`);
      seen.unshift(...page.events);
      cursor = page.older;
    }
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
    // around: a page holding the event, with cursors both ways.
    const mid = all[6]!;
    const around = await sidecar.get<Page>(`/api/sessions/paged/timeline?limit=4&around=${mid.id}`);
    expect(around.events.map((e) => e.id)).toContain(mid.id);
    expect(around.older).not.toBeNull();
    expect(around.newer).not.toBeNull();
    const after = await sidecar.get<Page>(`/api/sessions/paged/timeline?limit=100&after=${encodeURIComponent(around.newer!)}`);
    expect([...around.events, ...after.events].map((e) => e.id)).toEqual(all.slice(all.indexOf(all.find((e) => e.id === around.events[0]!.id)!)).map((e) => e.id));
  });

  test('pairs and failures are in the rows: call ids, exit codes, failed calls', async () => {
    const s = { session_id: 'facts', cwd: '/x', __provider: 'codex', turn_id: 't' };
    await post('PreToolUse', { ...s, tool_name: 'Bash', tool_use_id: 'c1', tool_input: { command: 'false' } });
    await post('PostToolUse', { ...s, tool_name: 'Bash', tool_use_id: 'c1', tool_input: { command: 'false' }, tool_response: 'Process exited with code 1\nOutput:\n' });
    await post('Stop', { ...s, turn_aborted: true, reason: 'interrupted' });
    const { events } = await sidecar.get<Page>('/api/sessions/facts/timeline');
    expect(events.map((e) => [e.hook_type, e.call_id, e.failure])).toEqual([
      ['PreToolUse', 'c1', null],
      ['PostToolUse', 'c1', 'exit code 1'],
      ['Stop', null, 'turn aborted (interrupted)'],
    ]);
  });
});

describe('session list', () => {
  test('pages through every session once, newest first, and filters by agent, status, folder, date and attention', async () => {
    const db = openDb(sidecar.dbPath);
    seedManySessions(db, 260, { prefix: 'many' });
    db.close();
    const ids: string[] = [];
    let last = '\uffff';
    let cursor: string | null = null;
    do {
      const page: { sessions: Session[]; next: string | null } = await sidecar.get(`/api/session-list?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const s of page.sessions) {
        expect(s.updated_at <= last).toBe(true);
        last = s.updated_at;
        ids.push(s.id);
      }
      cursor = page.next;
    } while (cursor);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('many-'))).toHaveLength(260);

    const codex = await sidecar.get<{ sessions: Session[] }>('/api/session-list?limit=500&harness=codex');
    expect(codex.sessions.length).toBeGreaterThan(0);
    expect(codex.sessions.every((s) => s.harness === 'codex')).toBe(true);
    const done = await sidecar.get<{ sessions: Session[] }>('/api/session-list?limit=500&status=completed');
    expect(done.sessions.every((s) => s.status === 'completed')).toBe(true);
    const folder = await sidecar.get<{ sessions: Session[] }>(`/api/session-list?limit=500&cwd=${encodeURIComponent('/home/dev/src/project-3')}`);
    expect(folder.sessions.length).toBeGreaterThan(0);
    expect(folder.sessions.every((s) => s.cwd === '/home/dev/src/project-3')).toBe(true);
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    const since = await sidecar.get<{ sessions: Session[] }>(`/api/session-list?limit=500&from=${encodeURIComponent(recent)}`);
    expect(since.sessions.every((s) => s.updated_at >= recent)).toBe(true);
    const attention = await sidecar.get<{ sessions: Session[] }>('/api/session-list?limit=500&attention=1');
    expect(attention.sessions.every((s) => s.needs_you !== null)).toBe(true);
  });
});

describe('search', () => {
  test('finds prompts, commands and output; a duplicate delivery is one hit; rows imported from a rollout are searchable too', async () => {
    const s = { session_id: 'search-1', cwd: '/home/dev/src/zoo' };
    await post('UserPromptSubmit', { ...s, prompt: 'please run `make zebra-42` for me' });
    const pre = { ...s, tool_name: 'Bash', tool_use_id: 'toolu_z', tool_input: { command: 'make zebra-42' }, __delivery_id: 'z-pre' };
    await post('PreToolUse', pre);
    expect(await post('PreToolUse', pre)).toMatchObject({ stored: false });
    await post('PostToolUse', { ...s, tool_name: 'Bash', tool_use_id: 'toolu_z', tool_input: { command: 'make zebra-42' }, tool_response: { stdout: 'built giraffe.o\nall good', stderr: '' } });
    const hits = await sidecar.get<{ results: Array<{ hook_type: string; session_id: string; snippet: string; event_id: number }> }>(`/api/search?q=${encodeURIComponent('zebra-42')}`);
    expect(hits.results.map((h) => h.hook_type).sort()).toEqual(['PostToolUse', 'PreToolUse', 'UserPromptSubmit']);
    expect(hits.results[0]!.snippet).toContain('\u0002zebra-42\u0003');
    const out = await sidecar.get<{ results: Array<{ hook_type: string }> }>('/api/search?q=giraffe');
    expect(out.results.map((h) => h.hook_type)).toEqual(['PostToolUse']);
    // FTS syntax in the input is text, not an operator.
    expect((await status(`/api/search?q=${encodeURIComponent('zebra OR "x" NEAR(')}`)).status).toBe(200);

    // A Codex rollout file: the importer (its own connection, in a worker) stores the rows; the
    // index triggers fire there too. Then the hook delivery of one of them is a duplicate.
    const fixture = join(process.cwd(), 'test', 'fixtures', 'rollout', 'rollout-2026-09-14T12-21-07-019b4c2e-5f10-7a3b-9c4d-2e8f1a6b7c90.jsonl');
    const day = join(codexHome, 'sessions', '2026', '09', '14');
    mkdirSync(day, { recursive: true });
    copyFileSync(fixture, join(day, 'rollout-2026-09-14T12-21-07-019b4c2e-5f10-7a3b-9c4d-2e8f1a6b7c90.jsonl'));
    const rolloutHits = await waitFor('rollout rows in the index', async () => {
      const r = await sidecar.get<{ results: Array<{ hook_type: string; session_id: string }> }>(`/api/search?q=${encodeURIComponent('cargo test -p demo-parser')}`);
      return r.results.length ? r.results : null;
    });
    expect(rolloutHits.every((h) => h.session_id === '019b4c2e-5f10-7a3b-9c4d-2e8f1a6b7c90')).toBe(true);
    const before = rolloutHits.length;
    const f4 = (await import('../fixtures/rollout/f4-pre-tool-use-bash.json', { with: { type: 'json' } })).default;
    expect(await post('PreToolUse', { ...f4, __provider: 'codex' })).toMatchObject({ stored: false });
    const afterHook = await sidecar.get<{ results: unknown[] }>(`/api/search?q=${encodeURIComponent('cargo test -p demo-parser')}`);
    expect(afterHook.results).toHaveLength(before);
  }, 60_000);
});

describe('failures from rollouts', () => {
  test('an error the Codex CLI wrote to its rollout (an API error) is a failed-turn row', async () => {
    const id = '019b4c2e-0000-7000-8000-00000000e001';
    const day = join(codexHome, 'sessions', '2026', '10', '01');
    mkdirSync(day, { recursive: true });
    const lines = [
      { timestamp: '2026-10-01T10:00:00.000Z', type: 'session_meta', payload: { id, timestamp: '2026-10-01T10:00:00.000Z', cwd: '/home/dev/src/api', originator: 'codex_cli_rs', cli_version: '0.169.0', source: 'cli' } },
      { timestamp: '2026-10-01T10:00:01.000Z', type: 'event_msg', payload: { type: 'task_started', turn_id: 'turn-e' } },
      { timestamp: '2026-10-01T10:00:02.000Z', type: 'event_msg', payload: { type: 'error', message: 'stream error: unexpected status 503 Service Unavailable' } },
    ];
    writeFileSync(join(day, `rollout-2026-10-01T10-00-00-${id}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const row = await waitFor('the error row', async () => {
      const page = await status(`/api/sessions/${id}/timeline`);
      if (page.status !== 200) return null;
      return (JSON.parse(page.body) as Page).events.find((e) => e.hook_type === 'StopFailure');
    });
    expect(row.failure).toBe('stream error: unexpected status 503 Service Unavailable');
  }, 60_000);
});

describe('Claude transcripts fill what the Stop hook lacks', () => {
  test('the final message of the turn, and an API error the turn ended on', async () => {
    const transcript = join(sidecar.dir, 'claude-transcript.jsonl');
    const line = (o: unknown): string => `${JSON.stringify(o)}\n`;
    writeFileSync(
      transcript,
      line({ type: 'user', message: { role: 'user', content: 'fix the tests' } }) +
        line({ type: 'assistant', uuid: 'u1', message: { id: 'msg_1', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'All tests pass now.' }], usage: { input_tokens: 10, output_tokens: 5 } } }),
    );
    const s = { session_id: 'claude-transcript', cwd: '/home/dev/src/t', transcript_path: transcript };
    await post('Stop', { ...s, stop_hook_active: false });
    let rows = (await sidecar.get<Page & { events: Array<Row & { text: string | null }> }>('/api/sessions/claude-transcript/timeline')).events;
    expect(rows.at(-1)).toMatchObject({ hook_type: 'Stop', text: 'All tests pass now.', failure: null });

    writeFileSync(
      transcript,
      line({ type: 'user', message: { role: 'user', content: 'and the lint' } }) +
        line({ type: 'assistant', uuid: 'u2', isApiErrorMessage: true, message: { id: 'msg_2', model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 529 overloaded' }] } }),
      { flag: 'a' },
    );
    await post('Stop', { ...s, stop_hook_active: false });
    rows = (await sidecar.get<Page & { events: Array<Row & { text: string | null }> }>('/api/sessions/claude-transcript/timeline')).events;
    expect(rows.at(-1)).toMatchObject({ hook_type: 'Stop', failure: 'API Error: 529 overloaded', text: null });
  });
});

describe('export and errors', () => {
  test('Markdown and JSON exports download with a file name; bad input gets a clear 400', async () => {
    const md = await status('/api/sessions/search-1/export.md');
    expect(md.status).toBe(200);
    expect(md.headers.get('content-disposition')).toBe('attachment; filename="session-search-1.md"');
    expect(md.body).toContain('> please run `make zebra-42` for me');
    expect(md.body).toContain('make zebra-42');
    expect(md.body).toContain('built giraffe.o');
    const json = await status('/api/sessions/search-1/export.json');
    const doc = JSON.parse(json.body) as { session: { id: string }; events: Array<{ hook_type: string; data: Record<string, unknown> }> };
    expect(doc.session.id).toBe('search-1');
    expect(doc.events.map((e) => e.hook_type)).toEqual(['UserPromptSubmit', 'PreToolUse', 'PostToolUse']);
    expect(doc.events[1]!.data.tool_input).toEqual({ command: 'make zebra-42' });

    expect(await status('/api/search?q=')).toMatchObject({ status: 400 });
    expect(JSON.parse((await status('/api/search?q=%20')).body).error).toMatch(/at least one word/);
    expect((await status('/api/session-list?cursor=garbage')).status).toBe(400);
    expect((await status('/api/session-list?from=not-a-date')).status).toBe(400);
    expect((await status('/api/sessions/nope/timeline')).status).toBe(404);
    expect((await status('/api/sessions/search-1/timeline?around=999999')).status).toBe(400);
    expect((await status('/api/events/999999')).status).toBe(404);
  });
});
