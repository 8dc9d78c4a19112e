/**
 * Both hook handlers (as the build installs them: the Codex one, the patched Claude one) as
 * real processes, with the sidecar down, against a spool they cannot write (`spool` is a file, a
 * read-only data folder, a spool folder owned by someone else) and against payloads nested
 * thousands deep. Whatever cannot be kept is counted where the sidecar and `status` read it.
 *
 * Read-only folders are real read-only bind mounts and the wrong owner is a real other user
 * (the handler runs as `nobody`), so these tests need root; without it they fail saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spoolStatus } from '../../src/sidecar/spool.js';
import { deepJson } from '../../scripts/lib/rollout-gen.js';
import { closedPort, spoolLines, startCaptureServer, tempDir, writeRuntime, type HandlerRun } from './helpers.js';

// The installed copies, as the build makes them (the delivery module inlined).
const CLAUDE_HANDLER = resolve(import.meta.dirname, '..', '..', 'build', 'agent-monitor', 'scripts', 'hook-handler.js');
const CODEX_HANDLER = resolve(import.meta.dirname, '..', '..', 'build', 'agent-monitor', 'scripts', 'codex-hook-handler.js');
const SH_HANDLER = resolve(import.meta.dirname, '..', '..', 'src', 'handlers', 'codex-hook.sh');
type Which = 'codex' | 'claude' | 'sh';
const SOURCES: Record<Which, { source: string; file: string }> = {
  codex: { source: CODEX_HANDLER, file: 'codex-hook-handler.js' },
  claude: { source: CLAUDE_HANDLER, file: 'hook-handler.js' },
  sh: { source: SH_HANDLER, file: 'codex-hook.sh' },
};
const NOBODY = 65534;

const mounts: string[] = [];
afterEach(() => {
  while (mounts.length) spawnSync('umount', [mounts.pop()!]);
});

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (read-only bind mounts, running a handler as another user)');
}

function readOnlyBind(dir: string): void {
  requireRoot();
  for (const args of [['--bind', dir, dir], ['-o', 'remount,bind,ro', dir]]) {
    const r = spawnSync('mount', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount ${args.join(' ')} failed: ${r.stderr}`);
    if (args[0] === '--bind') mounts.push(dir);
  }
}

interface Setup {
  which: Which;
  dataDir: string;
  handler: string;
  tmp: string;
  env: Record<string, string>;
}

/** A data dir with both handlers deployed in hooks/ and runtime.json naming a closed port. */
async function setup(which: Which): Promise<Setup> {
  const dataDir = tempDir();
  mkdirSync(join(dataDir, 'hooks'));
  const handler = join(dataDir, 'hooks', SOURCES[which].file);
  copyFileSync(SOURCES[which].source, handler);
  writeRuntime(dataDir, await closedPort());
  const tmp = tempDir();
  chmodSync(tmp, 0o1777); // a temp dir like /tmp, usable by the other user too
  return { which, dataDir, handler, tmp, env: { AGENT_MONITOR_DATA_DIR: dataDir, TMPDIR: tmp } };
}

function run(s: Setup, input: string, opts: { uid?: number; args?: string[] } = {}): Promise<HandlerRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENT_MONITOR_') && k !== 'NODE_OPTIONS') env[k] = v;
  Object.assign(env, s.env);
  return new Promise((done, reject) => {
    const child = spawn(s.which === 'sh' ? '/bin/sh' : process.execPath, [s.handler, ...(opts.args ?? ['Stop'])], {
      env,
      // fd 3: the sh handler's background delivery inherits it; 'close' waits for it (helpers.ts runHandler).
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    (child.stdio[3] as NodeJS.ReadableStream).resume();
    child.on('error', reject);
    child.on('close', (code, signal) => { const stderr = Buffer.concat(err).toString(); done({ code, signal, stdout: Buffer.concat(out).toString(), stderr, messages: stderr, hookMs: 0 }); });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

for (const which of ['codex', 'claude', 'sh'] as const) {
  describe(`${which} handler, unwritable spool: the event is counted as dropped and the status shows it`, () => {
    it('`spool` is a file', async () => {
      const s = await setup(which);
      writeFileSync(join(s.dataDir, 'spool'), 'in the way');
      const r = await run(s, '{"session_id":"s1"}');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      const st = spoolStatus(s.dataDir, { tmp: s.tmp, checkWritable: true });
      expect(st.dropped).toBe(1);
      expect(st.unwritable).toMatch(/not a folder/);
    });

    it('the data folder is read-only', async () => {
      const s = await setup(which);
      readOnlyBind(s.dataDir);
      for (let i = 0; i < 2; i++) expect((await run(s, '{"session_id":"s1"}')).code).toBe(0);
      const st = spoolStatus(s.dataDir, { tmp: s.tmp, checkWritable: true });
      expect(st.dropped).toBe(2);
      expect(st.unwritable).toMatch(/EROFS|cannot be created/);
    });

    it('the spool folder belongs to another user', async () => {
      requireRoot();
      const s = await setup(which);
      // The handler runs as nobody; the data folder is readable to it, the spool is root's 0700.
      for (const d of [s.dataDir, join(s.dataDir, 'hooks')]) chmodSync(d, 0o755);
      chmodSync(s.handler, 0o644);
      chmodSync(join(s.dataDir, 'runtime.json'), 0o644);
      mkdirSync(join(s.dataDir, 'spool'), { mode: 0o700 });
      const r = await run(s, '{"session_id":"s1"}', { uid: NOBODY });
      expect(r.code).toBe(0);
      // Counted in nobody's private fallback folder under the temp dir.
      const fallback = JSON.parse(readFileSync(join(s.tmp, `agent-monitor-${NOBODY}`, readdirOne(join(s.tmp, `agent-monitor-${NOBODY}`))), 'utf8')) as { dropped: number };
      expect(fallback.dropped).toBe(1);
    });
  });

}

// The sh handler does not parse JSON: it spools the raw payload, which the sidecar cuts.
for (const which of ['codex', 'claude'] as const) {
  describe(`${which} handler, a payload nested thousands deep`, () => {
    for (const depth of [5_000, 50_000]) {
      it(`${depth} deep, sidecar down: spooled cut and marked, never dropped silently`, async () => {
        const s = await setup(which);
        const r = await run(s, `{"session_id":"deep","tool_input":${deepJson(depth)}}`, { args: ['PreToolUse'] });
        expect(r.code).toBe(0);
        const lines = spoolLines(s.dataDir);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.data.session_id).toBe('deep');
        expect(lines[0]!.data.__truncated).toEqual([expect.stringMatching(/^tool_input/)]);
      });
    }

    it('5,000 deep, sidecar up: posted cut and marked', async () => {
      const s = await setup(which);
      const capture = await startCaptureServer();
      writeRuntime(s.dataDir, capture.port);
      s.env.AGENT_MONITOR_HOOK_WAIT_MS = '5000'; // a loaded machine must not turn the post into a spool
      const r = await run(s, `{"session_id":"deep","tool_input":${deepJson(5_000)}}`, { args: ['PreToolUse'] });
      expect(r.code).toBe(0);
      expect(capture.posts).toHaveLength(1);
      expect(capture.posts[0]!.data.__truncated).toEqual([expect.stringMatching(/^tool_input/)]);
    });
  });
}

function readdirOne(dir: string): string {
  const names = readdirSync(dir);
  if (names.length !== 1) throw new Error(`expected one file in ${dir}, found ${JSON.stringify(names)}`);
  return names[0]!;
}
