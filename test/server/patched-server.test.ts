/**
 * The PATCHED server (build/agent-monitor, materialized by the global setup) run as a real
 * process: Claude hook events become rows, Codex events stamp the harness, dedup, auth, oversized
 * fields, malformed bodies, the API and SSE stream, and the runtime file's life cycle.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SseReader,
  claudePayloads,
  events,
  getJson,
  postHook,
  postRaw,
  session,
  startPatched,
  tempDir,
  track,
  writeSmallTranscript,
  type RunningServer,
  type SessionRow,
} from './helpers.js';

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = tempDir();
  server = track(await startPatched({ dir: dataDir }));
});

const ok = (body: string): { ok: boolean; stored: boolean; event_id: number | null } =>
  JSON.parse(body) as { ok: boolean; stored: boolean; event_id: number | null };

describe('patched server: Claude hook events', () => {
  it('a Claude session (SessionStart … Stop) becomes rows with status, model and transcript tokens', async () => {
    const sid = randomUUID();
    const transcript = path.join(tempDir(), '.claude', 'projects', '-tmp-demo', `${sid}.jsonl`);
    const totals = writeSmallTranscript(transcript);
    const p = claudePayloads(sid, transcript);

    const r1 = await postHook(server, 'SessionStart', p.SessionStart);
    expect(r1.status).toBe(200);
    expect(ok(r1.body)).toMatchObject({ ok: true, stored: true });
    expect(ok(r1.body).event_id).toEqual(expect.any(Number));
    expect((await session(server, sid)).status).toBe('active');

    for (const [type, data] of [
      ['UserPromptSubmit', p.UserPromptSubmit],
      ['PreToolUse', p.PreToolUse('toolu_01A')],
      ['PostToolUse', p.PostToolUse('toolu_01A')],
    ] as const) {
      const r = await postHook(server, type, data);
      expect(r.status, type).toBe(200);
      expect(ok(r.body).stored, type).toBe(true);
    }
    const mid = await session(server, sid);
    expect(mid.status).toBe('active');

    const rStop = await postHook(server, 'Stop', p.Stop);
    expect(ok(rStop.body).stored).toBe(true);

    const s = await session(server, sid);
    expect(s).toMatchObject({
      id: sid,
      status: 'waiting',
      model: 'claude-opus-4-1-20250805',
      harness: 'claude',
      cwd: '/tmp/demo-project',
      transcript_path: transcript,
      input_tokens: totals.input,
      output_tokens: totals.output,
      cache_read_tokens: totals.cacheRead,
      cache_write_tokens: totals.cacheWrite,
      event_count: 5,
    });

    const evs = await events(server, sid);
    expect(evs.map((e) => e.hook_type)).toEqual(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']);
    const pre = evs.find((e) => e.hook_type === 'PreToolUse')!;
    expect(pre).toMatchObject({ tool_name: 'Bash', summary: expect.stringContaining('npm test'), source: 'hook', seen_by: 'hook', dedup_key: 'pre:toolu_01A' });
    expect(pre.data).toMatchObject({ tool_use_id: 'toolu_01A', tool_input: { command: 'npm test' } });
    expect(evs.find((e) => e.hook_type === 'PostToolUse')!.dedup_key).toBe('post:toolu_01A');

    // The transcript grows (the next turn): the incremental reader adds only the new message.
    fs.appendFileSync(
      transcript,
      `${JSON.stringify({ type: 'assistant', uuid: 'a3', message: { id: 'msg_03', model: 'claude-opus-4-1-20250805', usage: { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } } })}\n`,
    );
    await postHook(server, 'UserPromptSubmit', { ...p.UserPromptSubmit, prompt: 'and commit it' });
    const grown = await session(server, sid);
    expect(grown).toMatchObject({ status: 'active', input_tokens: totals.input + 7, output_tokens: totals.output + 3 });

    await postHook(server, 'SessionEnd', { session_id: sid, transcript_path: transcript, hook_event_name: 'SessionEnd', reason: 'exit' });
    expect((await session(server, sid)).status).toBe('completed');
  });

  it('a __provider:"codex" event stamps harness=codex; a Claude one stays claude', async () => {
    const codexSid = randomUUID();
    const claudeSid = randomUUID();
    const rc = await postHook(server, 'SessionStart', {
      session_id: codexSid,
      cwd: '/tmp/codex-demo',
      hook_event_name: 'SessionStart',
      model: 'gpt-5-codex',
      source: 'startup',
      transcript_path: null,
      __provider: 'codex',
      __delivery_id: randomUUID(),
    });
    expect(ok(rc.body).stored).toBe(true);
    const rl = await postHook(server, 'SessionStart', { session_id: claudeSid, cwd: '/tmp/claude-demo', hook_event_name: 'SessionStart', source: 'startup', __delivery_id: randomUUID() });
    expect(ok(rl.body).stored).toBe(true);

    expect(await session(server, codexSid)).toMatchObject({ harness: 'codex', model: 'gpt-5-codex' });
    expect((await session(server, claudeSid)).harness).toBe('claude');

    const status = await getJson<{ lastCodexHookEventAt: string | null; lastHookEventAt: string | null }>(server, '/api/host/status');
    expect(status.lastCodexHookEventAt).toEqual(expect.any(String));
    expect(status.lastHookEventAt).toEqual(expect.any(String));
  });

  it('the same tool_use_id or __delivery_id posted twice is stored once (stored:false the second time)', async () => {
    const sid = randomUUID();
    const p = claudePayloads(sid, '');
    const first = await postHook(server, 'PreToolUse', { ...p.PreToolUse('toolu_dup'), __delivery_id: randomUUID() });
    expect(ok(first.body)).toMatchObject({ ok: true, stored: true });
    // A re-delivery (new delivery id, same tool_use_id) is the same event.
    const again = await postHook(server, 'PreToolUse', { ...p.PreToolUse('toolu_dup'), __delivery_id: randomUUID() });
    expect(again.status).toBe(200);
    expect(ok(again.body)).toEqual({ ok: true, stored: false, event_id: null });

    const delivery = randomUUID();
    const n1 = await postHook(server, 'Notification', { session_id: sid, hook_event_name: 'Notification', message: 'needs input', __delivery_id: delivery });
    const n2 = await postHook(server, 'Notification', { session_id: sid, hook_event_name: 'Notification', message: 'needs input', __delivery_id: delivery });
    expect(ok(n1.body).stored).toBe(true);
    expect(ok(n2.body).stored).toBe(false);

    const evs = await events(server, sid);
    expect(evs.map((e) => e.hook_type)).toEqual(['PreToolUse', 'Notification']);
    expect((await session(server, sid)).event_count).toBe(2);
  });

  it('401 without (or with a wrong) token, and nothing is stored', async () => {
    const sid = randomUUID();
    const before = await getJson<{ events: number }>(server, '/api/health');
    const none = await postHook(server, 'SessionStart', { session_id: sid, hook_event_name: 'SessionStart' }, { token: null });
    expect(none.status).toBe(401);
    const wrong = await postHook(server, 'SessionStart', { session_id: sid, hook_event_name: 'SessionStart' }, { token: 'f'.repeat(64) });
    expect(wrong.status).toBe(401);
    const res = await fetch(`http://127.0.0.1:${server.port}/api/sessions/${sid}`);
    expect(res.status).toBe(404);
    const after = await getJson<{ events: number }>(server, '/api/health');
    expect(after.events).toBe(before.events);
  });

  it('a 5 MB tool_response is stored truncated and marked in __truncated, not rejected with 413', async () => {
    const sid = randomUUID();
    const p = claudePayloads(sid, '');
    const big = 'x'.repeat(5 * 1024 * 1024);
    const r = await postHook(server, 'PostToolUse', p.PostToolUse('toolu_big', big));
    expect(r.status).toBe(200);
    expect(ok(r.body).stored).toBe(true);
    const [ev] = await events(server, sid);
    const data = ev!.data as { tool_response: { stdout: string }; __truncated: string[] };
    expect(data.__truncated).toEqual(['tool_response.stdout']);
    expect(data.tool_response.stdout.length).toBeLessThan(big.length / 10);
    expect(data.tool_response.stdout.startsWith('xxxx')).toBe(true);
    expect(data.tool_response.stdout).toMatch(/truncated/);
  });

  it('malformed JSON → 400, and a body without hook_type/data → 400', async () => {
    const bad = await postRaw(server, '{"hook_type": "Stop", "data": {');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: expect.stringMatching(/JSON/) });
    const shapeless = await postRaw(server, JSON.stringify({ data: { session_id: 'x' } }));
    expect(shapeless.status).toBe(400);
    const arrayData = await postRaw(server, JSON.stringify({ hook_type: 'Stop', data: [1, 2] }));
    expect(arrayData.status).toBe(400);
  });

  it('GET /api/sessions lists harness and sources', async () => {
    const sid = randomUUID();
    await postHook(server, 'SessionStart', { session_id: sid, hook_event_name: 'SessionStart', __provider: 'codex', __delivery_id: randomUUID() });
    const { sessions } = await getJson<{ sessions: SessionRow[] }>(server, '/api/sessions');
    const row = sessions.find((s) => s.id === sid);
    expect(row).toMatchObject({ harness: 'codex', sources: 'hook' });
    for (const s of sessions) {
      expect(s).toHaveProperty('harness');
      expect(s).toHaveProperty('sources');
    }
  });

  it('the SSE stream delivers new_event for a stored event and nothing for a duplicate', async () => {
    const sse = await SseReader.open(server);
    try {
      const sid = randomUUID();
      const p = claudePayloads(sid, '');
      const r = await postHook(server, 'PreToolUse', p.PreToolUse('toolu_sse'));
      const id = ok(r.body).event_id;
      const frame = await sse.waitFor((f) => f.type === 'new_event' && f.data?.id === id);
      expect(frame.data).toMatchObject({ session_id: sid, hook_type: 'PreToolUse', tool_name: 'Bash' });
      await sse.waitFor((f) => f.type === 'session_updated' && f.data?.id === sid);

      const dup = await postHook(server, 'PreToolUse', p.PreToolUse('toolu_sse'));
      expect(ok(dup.body).stored).toBe(false);
      // Frames are ordered: once the marker's frame is in, a frame for the duplicate would be too.
      const marker = await postHook(server, 'PostToolUse', p.PostToolUse('toolu_sse'));
      const markerId = ok(marker.body).event_id;
      await sse.waitFor((f) => f.type === 'new_event' && f.data?.id === markerId);
      const forSession = sse.frames.filter((f) => f.type === 'new_event' && f.data?.session_id === sid);
      expect(forSession.map((f) => f.data?.hook_type)).toEqual(['PreToolUse', 'PostToolUse']);
    } finally {
      sse.close();
    }
  });
});

describe('patched server: runtime file', () => {
  let own: RunningServer;
  let dir: string;
  afterAll(async () => {
    await own?.stop();
  });

  it('runtime.json is mode 0600 with port, pid and token, and is removed on SIGTERM', async () => {
    dir = tempDir();
    own = await startPatched({ dir });
    const file = path.join(dir, 'runtime.json');
    const st = fs.statSync(file);
    if (process.platform !== 'win32') expect(st.mode & 0o777).toBe(0o600);
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ version: 1, port: own.port, pid: own.pid, token: own.token });
    expect(info.token).toMatch(/^[0-9a-f]{64}$/);
    expect(info.startedAt).toEqual(expect.any(String));
    expect((await getJson(own, '/api/health')).status).toBe('ok');

    const exit = await own.stop();
    expect(exit.signal === null ? exit.code : exit.signal).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    // The DB is closed cleanly and still holds its schema.
    expect(fs.existsSync(path.join(dir, 'monitor.db'))).toBe(true);
  });
});
