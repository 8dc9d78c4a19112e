/**
 * POST /api/hooks/claude on the real patched sidecar: what Claude Code's `type: "http"` hooks
 * send (the hook input as is, the persistent hook secret as Bearer), and what must be refused —
 * a wrong or missing secret, a secret file others can read, and anything a browser page can send.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureHookSecret } from '../../src/core/hook-secret.js';
import { events, startPatched, tempDir, track, type RunningServer } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

let server: RunningServer;
let dataDir: string;
let secret: string;

beforeAll(async () => {
  dataDir = tempDir();
  secret = await ensureHookSecret({ dataDir });
  server = track(await startPatched({ dir: dataDir }));
});

function post(pathname: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, method: 'POST', agent: false, headers: { 'Content-Length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers Claude Code 2.1.197 sends for an http hook with our entry's `headers`. */
const claudeHeaders = (bearer = secret): Record<string, string> => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` });

const input = (sid: string, extra: Record<string, unknown> = {}) => ({ session_id: sid, transcript_path: join(dataDir, 'none.jsonl'), cwd: '/tmp', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' }, tool_use_id: `toolu_${randomUUID()}`, ...extra });

describe('POST /api/hooks/claude (Claude Code HTTP hooks)', () => {
  it('stores the hook input under hook_event_name, answers {} (no hook decision), dedups a repeat by tool_use_id', async () => {
    const sid = randomUUID();
    const pre = input(sid);
    const r = await post('/api/hooks/claude', JSON.stringify(pre), claudeHeaders());
    expect(r).toEqual({ status: 200, body: '{}' });
    expect((await post('/api/hooks/claude', JSON.stringify(pre), claudeHeaders())).status).toBe(200);
    // The answer comes before the store (Claude Code reads nothing from it): wait for the rows.
    await waitFor('both posts stored', async () => ((await events(server, sid).catch(() => [])).length > 0 ? true : null));
    await new Promise((r) => setTimeout(r, 200));
    const evs = await events(server, sid);
    expect(evs.map((e) => [e.hook_type, e.tool_name, e.dedup_key])).toEqual([['PreToolUse', 'Bash', `pre:${pre.tool_use_id}`]]);
  });

  it('the per-start token of runtime.json works too; a wrong or missing secret is a 401 and stores nothing', async () => {
    const sid = randomUUID();
    expect((await post('/api/hooks/claude', JSON.stringify(input(sid)), claudeHeaders(server.token))).status).toBe(200);
    expect((await post('/api/hooks/claude', JSON.stringify(input(sid)), claudeHeaders(randomBytes(32).toString('hex')))).status).toBe(401);
    expect((await post('/api/hooks/claude', JSON.stringify(input(sid)), { 'Content-Type': 'application/json' })).status).toBe(401);
    await waitFor('the authorized post stored', async () => ((await events(server, sid).catch(() => [])).length > 0 ? true : null));
    await new Promise((r) => setTimeout(r, 200));
    expect(await events(server, sid)).toHaveLength(1);
  });

  it('browser-shaped requests are refused before the secret is even looked at: Origin, Sec-Fetch-*, non-JSON content types', async () => {
    const sid = randomUUID();
    const body = JSON.stringify(input(sid));
    for (const path of ['/api/hooks/claude', '/api/hooks/event']) {
      const browserHeaders: Array<Record<string, string>> = [{ Origin: 'https://evil.example' }, { Origin: 'null' }, { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors' }];
      for (const extra of browserHeaders) {
        const r = await post(path, body, { ...claudeHeaders(), ...extra });
        expect(r.status, `${path} ${JSON.stringify(extra)}`).toBe(403);
      }
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const r = await post(path, body, { ...claudeHeaders(), 'Content-Type': type });
        expect(r.status, `${path} ${type}`).toBe(403);
      }
    }
    // What a page's fetch() really sends (undici adds Sec-Fetch-Mode like a browser): refused too.
    const res = await fetch(`http://127.0.0.1:${server.port}/api/hooks/claude`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
    expect(res.status).toBe(403);
    // Nothing was stored: the session does not even exist.
    await expect(events(server, sid)).rejects.toThrow(/404/);
  });

  it('keeps the connection, as Claude Code reuses one for every post: many posts over one socket, idle timeout announced as 600 s', async () => {
    const sid = randomUUID();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      for (let i = 0; i < 5; i++) {
        const body = JSON.stringify(input(sid));
        const r = await new Promise<{ status: number; keepAlive: string | undefined }>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: server.port, path: '/api/hooks/claude', method: 'POST', agent, headers: { 'Content-Length': Buffer.byteLength(body), ...claudeHeaders() } }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, keepAlive: res.headers['keep-alive'] as string | undefined }));
          });
          req.on('socket', (s) => sockets.add(s));
          req.on('error', reject);
          req.end(body);
        });
        // Node announces its keepAliveTimeout; the default (5 s) is shorter than a model's turn.
        expect(r).toEqual({ status: 200, keepAlive: 'timeout=600' });
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('malformed JSON or a non-object body is a 400', async () => {
    expect((await post('/api/hooks/claude', '{"a":', claudeHeaders())).status).toBe(400);
    expect((await post('/api/hooks/claude', '[1]', claudeHeaders())).status).toBe(400);
  });
});

describe('the hook secret file must be private', () => {
  it('a secret file that group/others can read authenticates nobody', async () => {
    if (process.platform === 'win32') return;
    const dir = tempDir();
    const s = await ensureHookSecret({ dataDir: dir });
    const open = track(await startPatched({ dir }));
    const status = () =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ session_id: randomUUID(), hook_event_name: 'Stop' });
        const req = http.request({ host: '127.0.0.1', port: open.port, path: '/api/hooks/claude', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s}`, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(body);
      });
    expect(await status()).toBe(200);
    chmodSync(join(dir, 'hook-secret'), 0o644);
    await new Promise((r) => setTimeout(r, 1100)); // the sidecar re-checks the file at most once a second
    expect(await status()).toBe(401);
    // The installer (ensureHookSecret) takes the group/other bits away; then it counts again.
    expect(await ensureHookSecret({ dataDir: dir })).toBe(s);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await status()).toBe(200);
  });
});

describe('event-loop delay of the HTTP thread (benchmarks only)', () => {
  it('is sampled and reported in /api/host/status with AGENT_MONITOR_LOOP_DELAY=1, reset on request; absent otherwise', async () => {
    const sampled = track(await startPatched({ dir: tempDir(), env: { AGENT_MONITOR_LOOP_DELAY: '1' } }));
    type Status = { eventLoopDelay: { samples: number; p50Ms: number; p99Ms: number; maxMs: number } | null };
    const d = await waitFor('100 loop delay samples', async () => {
      const x = (await sampled.get<Status>('/api/host/status')).eventLoopDelay;
      return x && x.samples >= 100 ? x : null;
    });
    expect(d.p50Ms).toBeGreaterThanOrEqual(0);
    expect(d.p50Ms).toBeLessThanOrEqual(d.p99Ms);
    expect(d.p99Ms).toBeLessThanOrEqual(d.maxMs);
    await sampled.get('/api/host/status?resetLoopDelay=1');
    const after = (await sampled.get<Status>('/api/host/status')).eventLoopDelay;
    // Reset right after that answer: only the few samples since (null when none yet).
    expect(after === null || after.samples < 100).toBe(true);
    expect((await server.get<Status>('/api/host/status')).eventLoopDelay).toBeNull();
  });
});
