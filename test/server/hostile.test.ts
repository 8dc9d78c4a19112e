/**
 * Hostile or just unexpected input to the real patched server never gets a 500: fields of the
 * wrong type are stored (moved aside and marked), reserved hook types get a clear 400, absurd
 * nesting is cut and marked, a `__proto__` key is data (never a prototype), and a bad
 * percent-encoding in a session URL is a 400.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, getJson, postRaw, startPatched, tempDir, track, type RunningServer } from './helpers.js';
import { deepJson } from '../../scripts/lib/rollout-gen.js';

let server: RunningServer;

beforeAll(async () => {
  server = track(await startPatched({ dir: tempDir() }));
});
afterAll(() => undefined);

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: server.port, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      })
      .on('error', reject);
  });
}

describe('hook posts with unexpected field types', () => {
  for (const field of ['cwd', 'model', 'transcript_path', 'tool_name']) {
    for (const [kind, value] of [['boolean', true], ['array', [1, 'two']], ['object', { name: 'gpt-x', v: 2 }]] as const) {
      it(`${field} as ${kind} is stored, the value kept under __non_string_fields`, async () => {
        const sid = `types-${field}-${kind}`;
        const r = await postRaw(server, JSON.stringify({ hook_type: 'PreToolUse', data: { session_id: sid, [field]: value, tool_input: {} } }));
        expect(r.status, r.body).toBe(200);
        const [ev] = await events(server, sid);
        expect(ev!.data).toMatchObject({ __non_string_fields: { [field]: value } });
      });
    }
  }
});

describe('hook types that name Object.prototype members', () => {
  for (const t of ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
    it(`${t}: a clear 400, never a 500`, async () => {
      const r = await postRaw(server, JSON.stringify({ hook_type: t, data: { session_id: 'proto-types' } }));
      expect(r.status, r.body).toBe(400);
      expect(r.body).toMatch(/hook_type/);
    });
  }
});

describe('absurd nesting', () => {
  for (const depth of [5_000, 10_000, 100_000]) {
    it(`data nested ${depth} deep is stored cut and marked`, async () => {
      const sid = `deep-${depth}`;
      const body = `{"hook_type":"PreToolUse","data":{"session_id":"${sid}","tool_name":"Bash","tool_input":${deepJson(depth)}}}`;
      const r = await postRaw(server, body);
      expect(r.status, r.body).toBe(200);
      const [ev] = await events(server, sid);
      expect(ev!.data!.__truncated).toEqual([expect.stringMatching(/^tool_input/)]);
    });
  }
});

describe('__proto__ on the truncation path (> 64 KB body)', () => {
  it('is stored as a key, never honoured as a prototype', async () => {
    const big = 'x'.repeat(70 * 1024);
    const body = `{"hook_type":"Stop","data":{"__proto__":{"session_id":"inherited-victim"},"cwd":"/tmp","big":"${big}"}}`;
    const r = await postRaw(server, body);
    expect(r.status, r.body).toBe(200);
    const list = await getJson<{ sessions: Array<{ id: string }> }>(server, '/api/sessions');
    expect(list.sessions.map((s) => s.id)).not.toContain('inherited-victim');
    const [ev] = (await events(server, 'unknown')).filter((e) => e.hook_type === 'Stop');
    expect(Object.getOwnPropertyNames(ev!.data)).toContain('__proto__');
    expect(ev!.data!.__truncated).toEqual(['big']);
  });
});

describe('read API', () => {
  for (const p of ['/api/sessions/%E0%A4%A', '/api/sessions/%ZZ/events', '/api/sessions/%']) {
    it(`GET ${p} → 400`, async () => {
      const r = await rawGet(p);
      expect(r.status, r.body).toBe(400);
    });
  }
  it('a well-encoded unknown session is still a 404', async () => {
    expect((await rawGet('/api/sessions/%E2%9C%93')).status).toBe(404);
  });
});

describe('POST /api/hooks/claude (Claude HTTP hooks) gets the same treatment', () => {
  const claude = (body: string) =>
    new Promise<{ status: number }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: server.port, path: '/api/hooks/claude', method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const until = async (sid: string) => {
    for (let i = 0; i < 100; i++) {
      const ev = await events(server, sid).catch(() => []);
      if (ev.length) return ev;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no event for ${sid}`);
  };

  it('model as an object and input nested 10,000 deep are stored, kept and marked', async () => {
    expect((await claude(JSON.stringify({ session_id: 'http-types', hook_event_name: 'Stop', model: { id: 'x' } }))).status).toBe(200);
    expect((await until('http-types'))[0]!.data).toMatchObject({ __non_string_fields: { model: { id: 'x' } } });
    const deep = `{"session_id":"http-deep","hook_event_name":"PreToolUse","tool_input":${deepJson(10_000)}}`;
    expect((await claude(deep)).status).toBe(200);
    expect((await until('http-deep'))[0]!.data!.__truncated).toEqual([expect.stringMatching(/^tool_input/)]);
  });

  it('a reserved hook_event_name is a clear 400', async () => {
    expect((await claude(JSON.stringify({ session_id: 'http-proto', hook_event_name: 'constructor' }))).status).toBe(400);
  });
});

