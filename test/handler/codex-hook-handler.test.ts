/**
 * The Codex hook contract (docs/contracts.md "Codex hook handlers"), run against both
 * implementations — src/handlers/codex-hook-handler.js (Node) and src/handlers/codex-hook.sh
 * (POSIX sh + curl) — with the same cases: a real process as Codex runs it, stdin without a
 * trailing newline, a real loopback server (up / hung / refused / 401), temp data dirs only.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  IMPLEMENTATIONS,
  PRE_TOOL_USE,
  REPO_HANDLER,
  type Implementation,
  UUID_RE,
  closedPort,
  deployedDataDir,
  runHandler,
  spoolLines,
  startHungServer,
  startCaptureServer,
  tempDir,
  writeRuntime,
} from './helpers.js';


// A generous reply wait so an "up" test is not turned into a spool by a loaded machine.
const PATIENT = { AGENT_MONITOR_HOOK_WAIT_MS: '10000' };

/**
 * Broken endpoint files, in each implementation's own format: garbage, wrong shape, missing
 * fields, port 0, and a file left behind by a sidecar whose pid no longer exists (then the port
 * is not even tried). Each must end in a silent spool.
 */
const STALE_PID = 2 ** 22 + 12345;
const BROKEN_ENDPOINTS: Record<Implementation['file'], { file: string; variants: string[] }> = {
  'codex-hook-handler.js': {
    file: 'runtime.json',
    variants: [
      'garbage{',
      '[]',
      '{"port":"4820","token":"x"}',
      '{"port":4820}',
      '{"port":0,"token":"x"}',
      JSON.stringify({ port: 9, token: 'x', pid: STALE_PID }),
    ],
  },
  'codex-hook.sh': {
    file: 'runtime-curl.conf',
    variants: [
      'garbage{',
      '[]',
      `# agent-monitor-host 1 ${process.pid}\ngarbage{\n`,
      `# agent-monitor-host 1 ${process.pid}\n`,
      `# agent-monitor-host 1 ${process.pid}\nurl = "http://127.0.0.1:0/api/hooks/event"\n`,
      `# agent-monitor-host 1 ${STALE_PID}\nurl = "http://127.0.0.1:9/api/hooks/event"\nheader = "Authorization: Bearer x"\n`,
    ],
  },
};

/** Each implementation run two ways: the deployed copy and in place from the checkout (AGENT_MONITOR_DATA_DIR). */
const contexts = IMPLEMENTATIONS.flatMap((impl) => [
  {
    name: `${impl.name}, copy in <dataDir>/hooks${impl.file.endsWith('.js') ? ' (CommonJS context)' : ''}`,
    impl,
    setup: () => {
      const { dataDir, handler } = deployedDataDir(impl);
      return { dataDir, handler, env: {} };
    },
  },
  {
    name: `${impl.name}, in place in src/handlers/${impl.file.endsWith('.js') ? ' (ES module context)' : ''}, AGENT_MONITOR_DATA_DIR`,
    impl,
    setup: () => {
      const dataDir = tempDir();
      return { dataDir, handler: impl.source, env: { AGENT_MONITOR_DATA_DIR: dataDir } };
    },
  },
]);

describe.each(contexts)('codex hook handler, $name', ({ setup, impl }) => {
  it('posts an object payload with __provider and a uuid __delivery_id, original fields intact', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    const r = await runHandler({ handler, args: ['PreToolUse'], input: JSON.stringify(PRE_TOOL_USE), env: { ...env, ...PATIENT } });
    expect(r).toMatchObject({ code: 0, stdout: '', messages: '' });
    expect(sidecar.posts).toHaveLength(1);
    const post = sidecar.posts[0]!;
    expect(post.hook_type).toBe('PreToolUse');
    expect(post.data).toEqual({ ...PRE_TOOL_USE, __provider: 'codex', __delivery_id: expect.stringMatching(UUID_RE) });
    expect(spoolLines(dataDir)).toEqual([]);
  });

  it('wraps non-JSON stdin as {raw, __provider, __delivery_id}', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    for (const input of ['not json at all', '[1,2,3]', 'null', '']) {
      const r = await runHandler({ handler, args: ['Stop'], input, env: { ...env, ...PATIENT } });
      expect(r).toMatchObject({ code: 0, stdout: '' });
    }
    expect(sidecar.posts.map((p) => p.data.raw)).toEqual(['not json at all', '[1,2,3]', 'null', '']);
    for (const p of sidecar.posts) {
      expect(p.hook_type).toBe('Stop');
      expect(Object.keys(p.data).sort()).toEqual(['__delivery_id', '__provider', 'raw']);
      expect(p.data.__provider).toBe('codex');
      expect(p.data.__delivery_id).toMatch(UUID_RE);
    }
    expect(new Set(sidecar.posts.map((p) => p.data.__delivery_id)).size).toBe(4);
  });

  it('takes hook_type from argv, else from hook_event_name, else "Unknown"', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    const e = { ...env, ...PATIENT };
    await runHandler({ handler, args: ['UserPromptSubmit'], input: JSON.stringify({ hook_event_name: 'Stop' }), env: e });
    await runHandler({ handler, input: JSON.stringify({ hook_event_name: 'SessionStart', source: 'startup' }), env: e });
    await runHandler({ handler, input: '{"no":"name"}', env: e });
    expect(sidecar.posts.map((p) => p.hook_type)).toEqual(['UserPromptSubmit', 'SessionStart', 'Unknown']);
  });

  it('reads stdin to EOF: no trailing newline, multi-line JSON, a large payload', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    const big = { ...PRE_TOOL_USE, hook_event_name: 'PostToolUse', tool_response: 'x'.repeat(300_000) + 'é✓' };
    const e = { ...env, ...PATIENT };
    await runHandler({ handler, args: ['PostToolUse'], input: JSON.stringify(big), env: e });
    await runHandler({ handler, args: ['PreToolUse'], input: JSON.stringify(PRE_TOOL_USE, null, 2), env: e });
    expect(sidecar.posts).toHaveLength(2);
    expect(sidecar.posts[0]!.data.tool_response).toBe(big.tool_response);
    expect(sidecar.posts[1]!.data.tool_use_id).toBe(PRE_TOOL_USE.tool_use_id);
  });

  it('sidecar down (the endpoint names a closed port): one spool line, file 0600, folder 0700', async () => {
    const { dataDir, handler, env } = setup();
    writeRuntime(dataDir, await closedPort());
    const r = await runHandler({ handler, args: ['PreToolUse'], input: JSON.stringify(PRE_TOOL_USE), env });
    expect(r).toMatchObject({ code: 0, stdout: '', messages: '' });
    const lines = spoolLines(dataDir);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.hook_type).toBe('PreToolUse');
    expect(lines[0]!.data).toEqual({ ...PRE_TOOL_USE, __provider: 'codex', __delivery_id: expect.stringMatching(UUID_RE) });
    expect(new Date(lines[0]!.spooled_at).toISOString()).toBe(lines[0]!.spooled_at);
    if (process.platform !== 'win32') {
      expect(statSync(join(dataDir, 'spool', 'events.jsonl')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'spool')).mode & 0o777).toBe(0o700);
    }
    // The line is exactly one line of JSON terminated by a newline.
    const raw = readFileSync(join(dataDir, 'spool', 'events.jsonl'), 'utf8');
    expect(raw.endsWith('\n')).toBe(true);
    expect(raw.split('\n')).toHaveLength(2);
  });

  it('sidecar hung (accepts, never answers): the event is spooled and the handler exits', async () => {
    const { dataDir, handler, env } = setup();
    const hung = await startHungServer();
    writeRuntime(dataDir, hung.port);
    const r = await runHandler({ handler, args: ['Stop'], input: '{"turn_id":"t1"}', env });
    expect(r).toMatchObject({ code: 0, signal: null, stdout: '' });
    expect(spoolLines(dataDir).map((l) => [l.hook_type, l.data.turn_id])).toEqual([['Stop', 't1']]);
  });

  it('401 (wrong token): spooled, exit 0, no stdout, one message line', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port, 'f'.repeat(64));
    const r = await runHandler({ handler, args: ['Stop'], input: '{"turn_id":"t2"}', env: { ...env, ...PATIENT } });
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(sidecar.unauthorized).toBe(1);
    expect(sidecar.posts).toHaveLength(0);
    expect(r.messages).toMatch(/HTTP 401/);
    expect(r.messages.trim().split('\n')).toHaveLength(1);
    expect(spoolLines(dataDir)).toHaveLength(1);
  });

  it('other non-2xx replies are spooled too', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer({ status: 503 });
    writeRuntime(dataDir, sidecar.port);
    const r = await runHandler({ handler, args: ['Stop'], input: '{}', env: { ...env, ...PATIENT } });
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(spoolLines(dataDir)).toHaveLength(1);
  });

  it('garbage or incomplete endpoint file (runtime.json / runtime-curl.conf): spooled, exit 0, no output at all', async () => {
    const { dataDir, handler, env } = setup();
    const { file, variants } = BROKEN_ENDPOINTS[impl.file];
    for (const v of variants) {
      writeFileSync(join(dataDir, file), v);
      const r = await runHandler({ handler, args: ['Stop'], input: '{"x":1}', env });
      expect(r, v).toMatchObject({ code: 0, signal: null, stdout: '', messages: '' });
    }
    expect(spoolLines(dataDir).map((l) => l.data.x)).toEqual(variants.map(() => 1));
  });

  it('a "{...}" payload that is not JSON: posted as {raw} like any other non-object', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    const r = await runHandler({ handler, args: ['Stop'], input: '{"a": oops}', env: { ...env, ...PATIENT } });
    expect(r).toMatchObject({ code: 0, stdout: '', messages: '' });
    expect(sidecar.posts.map((p) => p.data.raw)).toEqual(['{"a": oops}']);
    expect(spoolLines(dataDir)).toEqual([]);
  });

  it('a payload carrying its own __provider / __delivery_id: ours win', async () => {
    const { dataDir, handler, env } = setup();
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    await runHandler({ handler, args: ['Stop'], input: '{"__provider":"claude","__delivery_id":"x","k":"\\\\"}', env: { ...env, ...PATIENT } });
    expect(sidecar.posts[0]!.data).toEqual({ k: '\\', __provider: 'codex', __delivery_id: expect.stringMatching(UUID_RE) });
  });

  it('raw text with quotes, backslashes, tabs, control characters and newlines survives as {raw}', async () => {
    const { dataDir, handler, env } = setup();
    writeRuntime(dataDir, await closedPort());
    const text = 'say "hi" \\ path\tx\u0001y\nnext line é✓';
    const r = await runHandler({ handler, args: ['Stop'], input: text, env });
    expect(r).toMatchObject({ code: 0, signal: null, stdout: '', messages: '' });
    expect(spoolLines(dataDir).map((l) => l.data.raw)).toEqual([text]);
  });

  it('no endpoint file at all: spooled', async () => {
    const { dataDir, handler, env } = setup();
    const r = await runHandler({ handler, args: ['SessionStart'], input: '{"source":"startup"}', env });
    expect(r).toMatchObject({ code: 0, signal: null, stdout: '', messages: '' });
    expect(spoolLines(dataDir).map((l) => l.data.source)).toEqual(['startup']);
  });

  it('cannot spool (spool path is a file): exit 0, no stdout, one message line', async () => {
    const { dataDir, handler, env } = setup();
    writeFileSync(join(dataDir, 'spool'), 'in the way');
    const r = await runHandler({ handler, args: ['Stop'], input: '{}', env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.messages.trim().split('\n')).toHaveLength(1);
    expect(r.messages).toMatch(/could not spool/);
  });

  it('size cap: the event is dropped, dropped.json counts it, a message says so', async () => {
    const { dataDir, handler, env } = setup();
    const capped = { ...env, AGENT_MONITOR_SPOOL_MAX_BYTES: '600' };
    const input = JSON.stringify({ turn_id: 't', pad: 'p'.repeat(150) }); // ~300 bytes per line
    const first = await runHandler({ handler, args: ['Stop'], input, env: capped });
    expect(first).toMatchObject({ code: 0, signal: null, stdout: '', messages: '' });
    const before = readFileSync(join(dataDir, 'spool', 'events.jsonl'));
    expect(spoolLines(dataDir)).toHaveLength(1);
    // A second line would take the file over 600 bytes: each further event is dropped and counted.
    for (let i = 0; i < 3; i++) {
      const r = await runHandler({ handler, args: ['Stop'], input, env: capped });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.messages).toMatch(/spool is full/);
      expect(r.messages.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(join(dataDir, 'spool', 'events.jsonl'))).toEqual(before);
    const dropped = JSON.parse(readFileSync(join(dataDir, 'spool', 'dropped.json'), 'utf8')) as { dropped: number; lastDroppedAt: string };
    expect(dropped.dropped).toBe(3);
    expect(new Date(dropped.lastDroppedAt).toISOString()).toBe(dropped.lastDroppedAt);
  });
});

// Only the Node handler can be loaded as an ES module; the sh handler has no module system.
describe('codex hook handler, Node handler under "type": "module"', () => {
  it('a copy loaded as an ES module (package.json "type": "module" above it) finds runtime.json via argv[1]', async () => {
    const { dataDir, handler } = deployedDataDir(IMPLEMENTATIONS[0]);
    writeFileSync(join(dataDir, 'package.json'), '{"type":"module"}\n');
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    const r = await runHandler({ handler, args: ['Stop'], input: '{"a":1}', env: PATIENT });
    expect(r).toMatchObject({ code: 0, stdout: '', messages: '' });
    expect(sidecar.posts).toHaveLength(1);
  });
});

describe.each(IMPLEMENTATIONS)('codex hook handler, data dir resolution, $name', (impl) => {
  it('the deployed copy finds its endpoint file next to its hooks/ folder without any env', async () => {
    const { dataDir, handler } = deployedDataDir(impl);
    const sidecar = await startCaptureServer();
    writeRuntime(dataDir, sidecar.port);
    const r = await runHandler({ handler, args: ['Stop'], input: '{"a":1}', env: PATIENT });
    expect(r).toMatchObject({ code: 0, stdout: '', messages: '' });
    expect(sidecar.posts).toHaveLength(1);
  });

  it('AGENT_MONITOR_DATA_DIR wins over the handler location', async () => {
    const { dataDir, handler } = deployedDataDir(impl);
    const other = tempDir();
    mkdirSync(join(other, 'x'));
    const r = await runHandler({ handler, args: ['Stop'], input: '{"a":1}', env: { AGENT_MONITOR_DATA_DIR: other } });
    expect(r.code).toBe(0);
    expect(spoolLines(other)).toHaveLength(1);
    expect(existsSync(join(dataDir, 'spool'))).toBe(false);
  });

  it('run from the checkout with no data dir set: spools into the default data dir, never into the working tree', async () => {
    const home = tempDir();
    const xdg = tempDir();
    const repoSpool = join(dirname(REPO_HANDLER), '..', 'spool'); // where the old "two folders up" rule put it
    const r = await runHandler({ handler: impl.source, args: ['Stop'], input: '{"a":1}', env: { HOME: home, XDG_DATA_HOME: xdg } });
    expect(r.code).toBe(0);
    expect(spoolLines(join(xdg, 'agent-monitor-host'))).toHaveLength(1);
    expect(existsSync(repoSpool)).toBe(false);
  });
});
