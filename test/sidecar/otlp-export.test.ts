/**
 * The OpenTelemetry export of the real patched sidecar (src/sidecar/otlp/), received by an
 * OTLP/HTTP receiver on 127.0.0.1 that decodes the protobuf the official exporters sent
 * (test/helpers/otlp-receiver.ts): GenAI names and attributes, resource attributes, redaction by
 * default and text on opt-in, deterministic ids across a re-export, and delivery while the
 * receiver is down, comes back, and while the sidecar is killed mid-backlog.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { claudePayloads, postHook, startPatched, tempDir, track, type RunningServer } from '../server/helpers.js';
import { waitFor } from '../helpers/wait.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedLog, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { onCleanup } from '../helpers/temp.js';

const FAST = { AGENT_MONITOR_OTLP_POLL_MS: '50', AGENT_MONITOR_OTLP_RETRY_MS: '100', AGENT_MONITOR_OTLP_MAX_RETRY_MS: '300' };

async function receiver(opts?: { listening?: boolean }): Promise<OtlpReceiver> {
  const r = await startOtlpReceiver(opts);
  onCleanup(() => r.close());
  return r;
}

interface OtlpDoc {
  state: string;
  endpoint: string | null;
  share_text: boolean;
  last_export_at: string | null;
  pending: number | null;
  last_error: string | null;
}
const otlpStatus = async (server: RunningServer): Promise<OtlpDoc> => (await server.get<{ otlp: OtlpDoc }>('/api/host/status')).otlp;

const MODEL = 'claude-opus-4-1-20250805';

/** A Claude Code session file with two model responses (the first streamed on two lines, counted once). */
function writeTranscript(file: string, sid: string): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  const at = (s: number): string => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  const base = { sessionId: sid, cwd: '/tmp/demo-project' };
  const usage1 = { input_tokens: 100, output_tokens: 5, cache_read_input_tokens: 1000, cache_creation_input_tokens: 50 };
  const lines = [
    { ...base, type: 'user', uuid: 'u1', timestamp: at(0), promptId: 'prompt-1', message: { role: 'user', content: 'SECRET-PROMPT: fix the parser' } },
    { ...base, type: 'assistant', uuid: 'a1', timestamp: at(1), requestId: 'req_1', message: { id: 'msg_01', model: MODEL, role: 'assistant', content: [{ type: 'text', text: 'Running' }], usage: usage1 } },
    { ...base, type: 'assistant', uuid: 'a1b', timestamp: at(1), requestId: 'req_1', message: { id: 'msg_01', model: MODEL, role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'Bash', input: { command: 'npm test' } }], usage: usage1 } },
    { ...base, type: 'assistant', uuid: 'a2', timestamp: at(3), requestId: 'req_2', message: { id: 'msg_02', model: MODEL, role: 'assistant', content: [{ type: 'text', text: 'SECRET-ANSWER done' }], usage: { input_tokens: 20, output_tokens: 40, cache_read_input_tokens: 2000, cache_creation_input_tokens: 0 } } },
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return { input: 120, output: 45, cacheRead: 3000, cacheWrite: 50 };
}

/** A Claude session through the hook route, with a session file whose two model responses the worker imports. */
async function claudeSession(server: RunningServer, claudeDir: string): Promise<{ sid: string; totals: ReturnType<typeof writeTranscript> }> {
  const sid = randomUUID();
  const transcript = path.join(claudeDir, 'projects', '-tmp-demo', `${sid}.jsonl`);
  const totals = writeTranscript(transcript, sid);
  const p = claudePayloads(sid, transcript);
  const prompt = { ...p.UserPromptSubmit, prompt: 'SECRET-PROMPT: fix the parser', prompt_id: 'prompt-1' };
  const failPre = { ...p.PreToolUse('toolu_02'), tool_input: { command: 'rm -rf SECRET-DIR' } };
  const failPost = { ...failPre, hook_event_name: 'PostToolUseFailure', error: 'SECRET-ERROR: permission denied' };
  for (const [type, data] of [
    ['SessionStart', p.SessionStart],
    ['UserPromptSubmit', prompt],
    ['PreToolUse', p.PreToolUse('toolu_01')],
    ['PostToolUse', p.PostToolUse('toolu_01', 'SECRET-OUTPUT 12 passing')],
    ['PreToolUse', failPre],
    ['PostToolUseFailure', failPost],
    ['Stop', { ...p.Stop, prompt_id: 'prompt-1', last_assistant_message: 'SECRET-ANSWER done' }],
  ] as const) {
    const r = await postHook(server, type, data);
    expect(r.status, type).toBe(200);
  }
  return { sid, totals };
}

/** A sidecar with the export on and the worker importing Claude transcripts (so usage_records fill). */
async function startExporting(env: Record<string, string>, dir = tempDir()): Promise<{ server: RunningServer; dir: string; claudeDir: string }> {
  const claudeDir = path.join(dir, 'claude');
  fs.mkdirSync(path.join(claudeDir, 'projects'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ agentMonitorEnabled: true, hooksEnabled: true }));
  const server = track(
    await startPatched({ dir, codexHome: path.join(dir, 'codex'), env: { AGENT_MONITOR_CLAUDE_DIR: claudeDir, AGENT_MONITOR_MACHINE_NAME: 'otlp-box-1', ...FAST, ...env } }),
  );
  return { server, dir, claudeDir };
}

function storedCount(dbPath: string): { events: number; tools: number; usage: number } {
  const db = new Database(dbPath, { readonly: true });
  try {
    const one = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
    return {
      events: one('SELECT COUNT(*) AS n FROM events'),
      tools: one(`SELECT COUNT(*) AS n FROM events WHERE hook_type IN ('PostToolUse', 'PostToolUseFailure')`),
      usage: one('SELECT COUNT(*) AS n FROM usage_records'),
    };
  } finally {
    db.close();
  }
}

const byRecord = <T extends { attributes: Record<string, unknown> }>(items: T[]): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const id = String(it.attributes['agent_monitor.record.id']);
    m.set(id, [...(m.get(id) ?? []), it]);
  }
  return m;
};

/** Waits until the sidecar's exporter reports nothing pending (idle). */
const exportDone = (server: RunningServer, what: string, timeoutMs?: number): Promise<unknown> =>
  waitFor(what, async () => {
    const s = await otlpStatus(server);
    return s.state === 'idle' && s.pending === 0 ? s : null;
  }, timeoutMs);

const traceIdOf = (sid: string): string => createHash('sha256').update(`trace\0${sid}`).digest('hex').slice(0, 32);

describe('OTLP export (HTTP/protobuf, official SDK exporters)', () => {
  it('logs and spans carry the GenAI names, resource attributes and stable ids; text stays home by default', async () => {
    const rx = await receiver();
    const { server, dir, claudeDir } = await startExporting({ AGENT_MONITOR_OTLP_ENDPOINT: rx.url });
    const { sid, totals } = await claudeSession(server, claudeDir);
    await waitFor('the usage import', () => storedCount(server.dbPath).usage === 2);
    const stored = storedCount(server.dbPath);
    await waitFor('every log and span', () => rx.logs.length >= stored.events && rx.spans.length >= stored.tools + stored.usage);
    await exportDone(server, 'status idle, nothing pending');

    expect(rx.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
    expect(rx.logs).toHaveLength(stored.events);
    expect(rx.spans).toHaveLength(stored.tools + stored.usage);

    const machineId = fs.readFileSync(path.join(dir, 'machine-id'), 'utf8').trim();
    for (const item of [...rx.logs, ...rx.spans]) {
      expect(item.resource).toMatchObject({
        'service.name': 'agent-monitor',
        'service.instance.id': machineId,
        'host.name': 'otlp-box-1',
        'agent_monitor.machine.id': machineId,
        'gen_ai.agent.name': 'claude-code',
        'agent_monitor.agent': 'claude',
      });
      expect(item.scope).toBe('agent-monitor-host/otlp');
      expect(item.attributes).toMatchObject({ 'gen_ai.conversation.id': sid, 'gen_ai.provider.name': 'anthropic' });
    }

    // Logs: one per stored event, the record id = `<session>:<dedup key>` of its row.
    const db = new Database(server.dbPath, { readonly: true });
    const rows = db.prepare('SELECT hook_type, dedup_key FROM events WHERE session_id = ? ORDER BY id').all(sid) as Array<{ hook_type: string; dedup_key: string }>;
    db.close();
    expect(rx.logs.map((l) => [l.eventName, l.attributes['agent_monitor.record.id']])).toEqual(
      rows.map((r) => [`agent_monitor.${r.hook_type}`, `${sid}:${r.dedup_key}`]),
    );
    const prompt = rx.logs.find((l) => l.attributes['agent_monitor.hook_type'] === 'UserPromptSubmit')!;
    expect(prompt.body).toBeNull();
    expect(prompt.attributes['agent_monitor.summary']).toBeUndefined();
    const failLog = rx.logs.find((l) => l.attributes['agent_monitor.hook_type'] === 'PostToolUseFailure')!;
    expect(failLog).toMatchObject({ severityNumber: 17, severityText: 'ERROR' });
    expect(failLog.attributes).toMatchObject({ 'gen_ai.tool.name': 'Bash', 'gen_ai.tool.call.id': 'toolu_02', 'error.type': 'PostToolUseFailure' });

    // Tool spans: `execute_tool <tool>`, from the PreToolUse to the end, in the session's trace.
    const tool = rx.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_01')!;
    expect(tool).toMatchObject({ name: 'execute_tool Bash', kind: 1, traceId: traceIdOf(sid), status: { code: 0 } });
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'Bash', 'agent_monitor.record.id': `${sid}:post:toolu_01` });
    expect(BigInt(tool.startTimeUnixNano) <= BigInt(tool.endTimeUnixNano)).toBe(true);
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(tool.attributes['gen_ai.tool.call.result']).toBeUndefined();
    const toolLogs = rx.logs.filter((l) => l.attributes['gen_ai.tool.call.id'] === 'toolu_01');
    expect(toolLogs.map((l) => [l.traceId, l.spanId])).toEqual([
      [tool.traceId, tool.spanId],
      [tool.traceId, tool.spanId],
    ]);
    const failed = rx.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_02')!;
    expect(failed.status.code).toBe(2);
    expect(failed.attributes['error.type']).toBe('PostToolUseFailure');

    // Model calls: `chat <model>` with gen_ai.usage.* (input counts cached input, as the convention says).
    const chats = rx.spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    expect(chats).toHaveLength(2);
    for (const c of chats) {
      expect(c).toMatchObject({ name: `chat ${MODEL}`, kind: 3, traceId: traceIdOf(sid) });
      expect(c.attributes).toMatchObject({ 'gen_ai.request.model': MODEL, 'gen_ai.response.model': MODEL });
    }
    const sum = (k: string): number => chats.reduce((n, c) => n + Number(c.attributes[k]), 0);
    expect(sum('gen_ai.usage.output_tokens')).toBe(totals.output);
    expect(sum('gen_ai.usage.cache_read.input_tokens')).toBe(totals.cacheRead);
    expect(sum('gen_ai.usage.cache_creation.input_tokens')).toBe(totals.cacheWrite);
    expect(sum('gen_ai.usage.input_tokens')).toBe(totals.input + totals.cacheRead + totals.cacheWrite);

    // Redaction: no text of the session anywhere in what left the machine.
    expect(JSON.stringify([rx.logs, rx.spans])).not.toMatch(/SECRET|npm test|fix the parser/);

    // A re-export (cursors reset) sends the very same ids: a backend can recognise the repeat.
    const first = { logs: [...rx.logs], spans: [...rx.spans] };
    await server.stop();
    const w = new Database(server.dbPath);
    w.prepare(`UPDATE team_outbox SET cursor = 0 WHERE stream IN ('otlp_logs', 'otlp_spans')`).run();
    w.close();
    const again = track(await startPatched({ dir, env: { AGENT_MONITOR_OTLP_ENDPOINT: rx.url, AGENT_MONITOR_MACHINE_NAME: 'otlp-box-1', ...FAST } }));
    await waitFor('the re-export', () => rx.logs.length === 2 * first.logs.length && rx.spans.length === 2 * first.spans.length);
    const ids = (xs: Array<ReceivedLog | ReceivedSpan>) => xs.map((x) => [x.attributes['agent_monitor.record.id'], x.traceId, x.spanId].join('|')).sort();
    expect(ids(rx.logs.slice(first.logs.length))).toEqual(ids(first.logs));
    expect(ids(rx.spans.slice(first.spans.length))).toEqual(ids(first.spans));
    expect((await otlpStatus(again)).pending).toBe(0);
  });

  it('with AGENT_MONITOR_SHARE_TEXT=1 the text goes too: log bodies, tool arguments and results', async () => {
    const rx = await receiver();
    const { server, claudeDir } = await startExporting({ AGENT_MONITOR_OTLP_ENDPOINT: rx.url, AGENT_MONITOR_SHARE_TEXT: '1' });
    await claudeSession(server, claudeDir);
    const stored = storedCount(server.dbPath);
    await waitFor('every log', () => rx.logs.length >= stored.events && rx.spans.length >= stored.tools);
    expect((await otlpStatus(server)).share_text).toBe(true);
    const prompt = rx.logs.find((l) => l.attributes['agent_monitor.hook_type'] === 'UserPromptSubmit')!;
    expect(prompt.body).toBe('SECRET-PROMPT: fix the parser');
    expect(prompt.attributes['agent_monitor.summary']).toBe('SECRET-PROMPT: fix the parser');
    const tool = rx.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_01')!;
    expect(JSON.parse(String(tool.attributes['gen_ai.tool.call.arguments']))).toEqual({ command: 'npm test', description: 'Run the unit tests' });
    expect(String(tool.attributes['gen_ai.tool.call.result'])).toContain('SECRET-OUTPUT 12 passing');
    const failed = rx.spans.find((s) => s.attributes['gen_ai.tool.call.id'] === 'toolu_02')!;
    expect(failed.attributes['gen_ai.tool.call.result']).toBe('SECRET-ERROR: permission denied');
  });

  it('buffers while the receiver is down and delivers everything exactly once when it is back', async () => {
    const rx = await receiver({ listening: false });
    const { server } = await startExporting({ AGENT_MONITOR_OTLP_ENDPOINT: rx.url, AGENT_MONITOR_OTLP_BATCH: '20' });
    const sids: string[] = [];
    for (let i = 0; i < 15; i++) {
      const sid = randomUUID();
      sids.push(sid);
      const p = claudePayloads(sid, '/nonexistent.jsonl');
      for (const [type, data] of [['SessionStart', p.SessionStart], ['PreToolUse', p.PreToolUse(`toolu_${i}`)], ['PostToolUse', p.PostToolUse(`toolu_${i}`)]] as const) {
        expect((await postHook(server, type, data)).status).toBe(200);
      }
    }
    const stored = storedCount(server.dbPath);
    expect(stored.events).toBe(45);
    const down = await waitFor('retrying with the backlog pending', async () => {
      const s = await otlpStatus(server);
      return s.state === 'retrying' && s.pending === stored.events + stored.tools && s.last_error ? s : null;
    });
    expect(down.last_export_at).toBeNull();
    expect(rx.requests).toHaveLength(0);

    await rx.open();
    await exportDone(server, 'the backlog delivered', 60_000);
    const logs = byRecord(rx.logs);
    const spans = byRecord(rx.spans);
    expect(logs.size).toBe(stored.events);
    expect(spans.size).toBe(stored.tools);
    // No loss and no duplicate: every record exactly once.
    expect(rx.logs).toHaveLength(stored.events);
    expect(rx.spans).toHaveLength(stored.tools);
    expect(new Set(rx.logs.map((l) => l.attributes['gen_ai.conversation.id']))).toEqual(new Set(sids));
    // Batches of at most 20 records per request.
    expect(Math.max(...[...new Set(rx.logs.map((l) => l.request))].map((n) => rx.logs.filter((l) => l.request === n).length))).toBeLessThanOrEqual(20);
  });

  it('a sidecar killed with a batch in flight resends at most that batch after its restart; deduped by record id, exactly once', async () => {
    const rx = await receiver({ listening: false });
    const env = { AGENT_MONITOR_OTLP_ENDPOINT: rx.url, AGENT_MONITOR_OTLP_BATCH: '20', AGENT_MONITOR_OTLP_TIMEOUT_MS: '60000' };
    const { server, dir } = await startExporting(env);
    for (let i = 0; i < 20; i++) {
      const p = claudePayloads(randomUUID(), '/nonexistent.jsonl');
      for (const [type, data] of [['SessionStart', p.SessionStart], ['PreToolUse', p.PreToolUse(`toolu_${i}`)], ['PostToolUse', p.PostToolUse(`toolu_${i}`)]] as const) {
        expect((await postHook(server, type, data)).status).toBe(200);
      }
    }
    const stored = storedCount(server.dbPath);
    expect(stored.events).toBe(60);
    await waitFor('retrying', async () => ((await otlpStatus(server)).state === 'retrying' ? true : null));

    // The receiver takes the next batch and never answers: the sidecar cannot know it arrived.
    rx.hangNext();
    await rx.open();
    await waitFor('the first batch held', () => rx.requests.length === 1 && rx.logs.length > 0);
    const inFlight = rx.logs.length;
    expect(inFlight).toBe(20);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));

    const again = track(await startPatched({ dir, codexHome: path.join(dir, 'codex'), env: { ...FAST, ...env, AGENT_MONITOR_MACHINE_NAME: 'otlp-box-1' } }));
    await exportDone(again, 'the backlog delivered after the restart', 60_000);

    const logs = byRecord(rx.logs);
    const spans = byRecord(rx.spans);
    // Exactly-once content after dedup by record id.
    expect(logs.size).toBe(stored.events);
    expect(spans.size).toBe(stored.tools);
    // Repeats: only the batch that was in flight (20 records), nothing else.
    const repeated = [...logs.values()].filter((xs) => xs.length > 1);
    expect(repeated.length).toBeLessThanOrEqual(inFlight);
    expect(repeated.every((xs) => xs.length === 2 && xs[0]!.request === 0)).toBe(true);
    expect(rx.logs.length - logs.size).toBe(repeated.length);
    // A repeat is byte-for-byte the same record (same ids, same attributes).
    for (const xs of repeated) expect({ ...xs[1], request: 0 }).toEqual(xs[0]);
    expect([...spans.values()].every((xs) => xs.length === 1)).toBe(true);
  });
});
