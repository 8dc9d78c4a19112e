// `npm run monitor -- status` next to a running sidecar: the live states of team sync and the OTLP
// export, from the real sidecar pointed at a PostgreSQL URL and an OTLP endpoint on a closed
// loopback port, and never the password either URL carries.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../../scripts/build-agent-monitor.js';
import { postHook } from '../../scripts/lib/servers.js';
import { tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const TSX = join(repoRoot, 'node_modules', '.bin', 'tsx');
const MONITOR = join(repoRoot, 'scripts', 'monitor.ts');

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (!addr || typeof addr !== 'object') throw new Error('no port');
  return addr.port;
}

describe('npm run monitor -- status: live team sync and OTLP states', () => {
  test('both failing against a closed port: state, since when, what waits, the last error, no password', async () => {
    const root = tempDir('am-live-status-');
    const args = ['--data-dir', join(root, 'data'), '--claude-dir', join(root, 'claude'), '--codex-home', join(root, 'codex'), '--port', '0'];
    const env = { ...process.env, HOME: root, CODEX_HOME: '', CLAUDE_CONFIG_DIR: '', AGENT_MONITOR_DATA_DIR: '' };
    const port = await closedPort();
    const push = `postgres://pusher:Pu5h-S3cret@127.0.0.1:${port}/agents?sslmode=disable`;
    const otlp = `http://exporter:0tlp-S3cret@127.0.0.1:${port}`;
    const run = (...a: string[]) => spawnSync(TSX, [MONITOR, ...a, ...args], { env, encoding: 'utf8', timeout: 60_000 });

    // Before serve: nothing runs, and status says so instead of guessing.
    const before = run('status');
    expect(before.status, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/Team sync now\s+not running/);
    expect(before.stdout).toMatch(/OTLP now\s+not running/);

    const child = spawn(TSX, [MONITOR, 'serve', ...args, '--team-db', push, '--otlp-endpoint', otlp], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the dashboard URL', async () => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1], 60_000);
      // Something to push and export (the OTLP export only tries when rows wait).
      const runtime = JSON.parse(readFileSync(join(root, 'data', 'runtime.json'), 'utf8')) as { port: number; token: string };
      for (const hook of ['SessionStart', 'UserPromptSubmit', 'Stop']) {
        expect((await postHook(runtime, hook, { session_id: 'live-status-1', cwd: root })).status).toBe(200);
      }
      // Both fail at their first attempt; poll status until it shows both failing.
      const stdout = await waitFor(
        'status showing both failing',
        async () => {
          const r = run('status');
          expect(r.status, r.stderr).toBe(0);
          return /Team sync now\s+offline since/.test(r.stdout) && /OTLP now\s+retrying since/.test(r.stdout) ? r.stdout : undefined;
        },
        60_000,
        500,
      );
      // The saved choices are still there, with the live states next to them.
      expect(stdout).toMatch(new RegExp(`Team sync\\s+on {2}\\(postgres://pusher:\\*\\*\\*@127\\.0\\.0\\.1:${port}/agents\\?sslmode=disable\\)`));
      expect(stdout).toMatch(/Team sync now\s+offline since \d{4}-\d\d-\d\dT[\d:.]+Z; [1-9]\d* waiting; last push none since the sidecar started/);
      expect(stdout).toMatch(new RegExp(`Team sync now[^\\n]*\\n {2}last error: [^\\n]*ECONNREFUSED[^\\n]*`));
      expect(stdout).toMatch(/OTLP now\s+retrying since \d{4}-\d\d-\d\dT[\d:.]+Z; [1-9]\d* waiting; last export none since the sidecar started/);
      expect(stdout).toMatch(/OTLP now[^\n]*\n {2}last error: \S/);
      expect(stdout).not.toMatch(/S3cret/);
      expect(out).not.toMatch(/S3cret/);
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 180_000);
});
