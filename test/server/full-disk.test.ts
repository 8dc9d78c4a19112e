/**
 * A real full disk: the data folder is a small tmpfs, filled to the last byte while the sidecar
 * runs. Stores fail with 503 (never 500), /api/health and the status say "degraded: disk full",
 * a handler's event that can neither be stored nor spooled is counted, the sidecar restarts on
 * the full disk (degraded, not exit 1: a left-over runtime.json is reused in place), and once
 * space is freed it is healthy again and stores.
 *
 * Mounting a tmpfs needs root (CI runs as root on this machine kind); without it the test fails
 * saying so rather than skipping.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spoolStatus } from '../../src/sidecar/spool.js';
import { getJson, postRaw, startPatched, tempDir, type RunningServer } from './helpers.js';

const HANDLER = path.resolve(import.meta.dirname, '..', '..', 'src', 'handlers', 'codex-hook-handler.js');

const mounted: string[] = [];
afterAll(() => {
  while (mounted.length) spawnSync('umount', ['-l', mounted.pop()!]);
});

function mountTmpfs(dir: string, size: string): void {
  if (process.getuid?.() !== 0) throw new Error('the full-disk test mounts a tmpfs and needs root');
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount -t tmpfs failed: ${r.stderr}`);
  mounted.push(dir);
}

/** Writes a filler file until the file system has no byte left. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try {
        fs.writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        break;
      }
    }
    // Then the last partial blocks.
    for (const size of [4096, 512, 1]) {
      for (;;) {
        try {
          fs.writeSync(fd, chunk.subarray(0, size));
        } catch {
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

function runHandler(dataDir: string, tmp: string, input: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGENT_MONITOR_') && k !== 'NODE_OPTIONS') env[k] = v;
    Object.assign(env, { AGENT_MONITOR_DATA_DIR: dataDir, TMPDIR: tmp, AGENT_MONITOR_HOOK_WAIT_MS: '2000' });
    const child = spawn(process.execPath, [HANDLER, 'Stop'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(input);
  });
}

async function until<T>(what: string, fn: () => Promise<T | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a full disk', () => {
  it('is reported, counted and survived', async () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    const tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp);
    mountTmpfs(dataDir, '4m');
    const env = { AGENT_MONITOR_HEALTH_INTERVAL_MS: '100', TMPDIR: tmp };
    let server: RunningServer = await startPatched({ dir: dataDir, env });
    try {
      expect((await postRaw(server, JSON.stringify({ hook_type: 'Stop', data: { session_id: 'disk', n: 0 } }))).status).toBe(200);
      const filler = fill(dataDir);

      // Posts now fail for lack of space: 503 with the reason, never 500.
      const big = 'y'.repeat(32 * 1024);
      let refused = 0;
      for (let i = 1; i <= 60 && refused === 0; i++) {
        const r = await postRaw(server, JSON.stringify({ hook_type: 'Stop', data: { session_id: 'disk', n: i, big } }));
        expect([200, 503], r.body).toContain(r.status);
        if (r.status === 503) {
          refused++;
          expect(r.body).toMatch(/disk full/);
        }
      }
      expect(refused).toBe(1);
      const health = await getJson<{ status: string; reasons: string[] }>(server, '/api/health');
      expect(health.status).toBe('degraded');
      expect(health.reasons.join('\n')).toMatch(/disk full/);
      const status = await getJson<{ health: { status: string }; posts: { storeFailures: number } }>(server, '/api/host/status');
      expect(status.health.status).toBe('degraded');
      expect(status.posts.storeFailures).toBeGreaterThanOrEqual(1);

      // A real handler: its post gets 503, the spool is on the full disk too: counted, not lost silently.
      const h = await runHandler(dataDir, tmp, JSON.stringify({ session_id: 'disk', turn_id: 'from-handler' }));
      expect(h.code).toBe(0);
      expect(h.stderr).toMatch(/dropped so far/);
      expect(spoolStatus(dataDir, { tmp }).dropped).toBe(1);
      await until('the status to show the drop', async () => (await getJson<{ spool: { dropped: number } }>(server, '/api/host/status')).spool.dropped === 1 || null);

      // Killed and restarted on the full disk: it comes up degraded instead of exiting.
      server.child.kill('SIGKILL');
      await new Promise((r) => server.child.once('exit', r));
      server = await startPatched({ dir: dataDir, env });
      const h2 = await getJson<{ status: string; reasons: string[] }>(server, '/api/health');
      expect(h2.status).toBe('degraded');
      expect(h2.reasons.join('\n')).toMatch(/disk full/);

      // Space comes back: healthy again, and posts are stored.
      fs.rmSync(filler);
      await until('health ok', async () => (await getJson<{ status: string }>(server, '/api/health')).status === 'ok' || null);
      expect((await postRaw(server, JSON.stringify({ hook_type: 'Stop', data: { session_id: 'disk', n: 999 } }))).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
