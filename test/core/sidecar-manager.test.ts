/**
 * The sidecar manager against a real child process: test/helpers/fake-sidecar.mjs follows
 * the sidecar's process contract (runtime.json, /api/health, port fallback, SIGTERM) and can be
 * told to crash, hang or ignore SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onCleanup, tempDir } from '../helpers/temp.js';
import { checkHealth, createHostStatusReader, createSidecarManager, readRuntimeFile, sidecarLaunchSpec, sidecarMallocEnv, type SidecarManager, type SidecarManagerOptions } from '../../src/core/sidecar-manager.js';
import { startPatched } from '../../scripts/lib/servers.js';
import type { SidecarState } from '../../src/shared/ipc.js';
import { waitFor } from '../helpers/wait.js';

const REAL_SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/agent-monitor/server/index.js');
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'fake-sidecar.mjs');

function manager(options: Partial<SidecarManagerOptions> & { env?: NodeJS.ProcessEnv }): { mgr: SidecarManager; logs: string[]; states: SidecarState[]; dataDir: string } {
  const dataDir = options.dataDir ?? tempDir();
  const logs: string[] = [];
  const states: SidecarState[] = [];
  const mgr = createSidecarManager({
    command: process.execPath,
    args: [FIXTURE],
    healthTimeoutMs: 5_000,
    maxRestarts: 3,
    backoffMs: 50,
    stopGraceMs: 2_000,
    log: (line) => logs.push(line),
    ...options,
    env: { AGENT_MONITOR_PORT: '0', ...options.env },
    dataDir,
  });
  mgr.onStateChange((s) => states.push(s.state));
  onCleanup(() => mgr.stop());
  return { mgr, logs, states, dataDir };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


function launches(logFile: string): Array<{ pid: number; at: number }> {
  return fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; at: number });
}

/** A process this test owns, standing in for "somebody else's" process. */
function foreignProcess(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  onCleanup(() => {
    child.kill('SIGKILL');
  });
  return child;
}

describe('sidecar manager', () => {
  it('starts the child, reads its runtime.json and waits for /api/health', async () => {
    const { mgr, dataDir, states } = manager({});
    const snap = await mgr.start();
    expect(snap.state).toBe('running');
    const rt = readRuntimeFile(dataDir);
    expect(rt?.pid).toBe(snap.pid);
    expect(snap.url).toBe(`http://127.0.0.1:${rt?.port}/`);
    expect(await checkHealth(rt!.port)).toBe(true);
    expect(mgr.dashboardInfo()).toEqual({ url: snap.url, state: 'running' });
    expect(await createHostStatusReader({ manager: mgr })()).toMatchObject({ lastCodexHookEventAt: null, watcher: { running: true } });
    expect(states).toEqual(['starting', 'running']);

    await mgr.stop();
    expect(mgr.state()).toBe('stopped');
    expect(alive(snap.pid!)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'runtime.json'))).toBe(false); // removed on clean stop
    expect(await createHostStatusReader({ manager: mgr })()).toBeNull();
  });

  it('restarts a crashing child with exponential backoff and comes up', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'launches.jsonl');
    const { mgr, logs } = manager({
      backoffMs: 150,
      maxRestarts: 5,
      env: { FAKE_SIDECAR_CRASH_TIMES: '2', FAKE_SIDECAR_COUNTER: path.join(dir, 'count'), FAKE_SIDECAR_LOG: logFile },
    });
    const snap = await mgr.start();
    expect(snap.state).toBe('running');
    expect(snap.restarts).toBe(2);
    const l = launches(logFile);
    expect(l).toHaveLength(3);
    const gap1 = l[1]!.at - l[0]!.at;
    const gap2 = l[2]!.at - l[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(150); // 150 ms, then 300 ms
    expect(gap2).toBeGreaterThanOrEqual(300);
    expect(logs.some((s) => s.includes('restart 1/5 in 150 ms'))).toBe(true);
    expect(logs.some((s) => s.includes('restart 2/5 in 300 ms'))).toBe(true);
  });

  it('gives up after maxRestarts with the visible state "unavailable"', async () => {
    const dir = tempDir();
    const logFile = path.join(dir, 'launches.jsonl');
    const { mgr, states } = manager({
      maxRestarts: 3,
      backoffMs: 20,
      env: { FAKE_SIDECAR_CRASH_TIMES: '1000', FAKE_SIDECAR_COUNTER: path.join(dir, 'count'), FAKE_SIDECAR_LOG: logFile },
    });
    const seen: SidecarState[] = [];
    mgr.onStateChange((s) => seen.push(s.state));
    const snap = await mgr.start();
    expect(snap.state).toBe('unavailable');
    expect(snap.lastError).toMatch(/exited with code 3/);
    expect(launches(logFile)).toHaveLength(4); // first launch + 3 restarts
    expect(seen.at(-1)).toBe('unavailable');
    expect(states.filter((s) => s === 'backoff')).toHaveLength(3);
    expect(mgr.dashboardInfo()).toMatchObject({ url: null, state: 'unavailable', error: expect.stringMatching(/code 3/) });
    // No timer left that would relaunch it.
    await new Promise((r) => setTimeout(r, 200));
    expect(launches(logFile)).toHaveLength(4);
  });

  it('a child that crashes after becoming healthy is restarted, and counted until stable', async () => {
    const { mgr } = manager({ maxRestarts: 2, backoffMs: 20, stableAfterMs: 60_000, env: { FAKE_SIDECAR_MODE: 'crash-after-listen' } });
    const first = await mgr.start();
    expect(first.state).toBe('running');
    await waitFor('state unavailable', () => mgr.state() === 'unavailable', 5_000);
    expect(mgr.snapshot().lastError).toMatch(/code 4/);
  });

  it('a child that stops answering /api/health after it was healthy is killed and restarted', async () => {
    const dataDir = tempDir();
    const counter = path.join(dataDir, 'launches');
    const { mgr, logs } = manager({
      dataDir,
      livenessIntervalMs: 100,
      livenessFailures: 3,
      stopGraceMs: 300,
      backoffMs: 20,
      env: { FAKE_SIDECAR_MODE: 'freeze-after-listen', FAKE_SIDECAR_FREEZE_TIMES: '1', FAKE_SIDECAR_COUNTER: counter },
    });
    const first = await mgr.start();
    expect(first.state).toBe('running');
    const frozenPid = first.pid!;
    // The frozen child ignores SIGTERM (its loop never yields), so this also exercises SIGKILL.
    await waitFor('the frozen child to be killed', () => !alive(frozenPid), 15_000);
    await waitFor('a new child running', () => mgr.state() === 'running' && mgr.snapshot().pid !== frozenPid, 15_000);
    expect(fs.readFileSync(counter, 'utf8')).toBe('2');
    expect(logs.some((l) => l.includes('stopped answering /api/health'))).toBe(true);
    expect(mgr.snapshot().restarts).toBe(1);
  });

  it('stop(): SIGTERM, grace period, then SIGKILL for a child that ignores SIGTERM', async () => {
    const { mgr, logs, dataDir } = manager({ stopGraceMs: 400, env: { FAKE_SIDECAR_MODE: 'ignore-sigterm' } });
    const snap = await mgr.start();
    const pid = snap.pid!;
    const t0 = Date.now();
    await mgr.stop();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(alive(pid)).toBe(false);
    expect(logs.some((s) => s.includes('ignored SIGTERM') && s.includes('SIGKILL'))).toBe(true);
    expect(mgr.state()).toBe('stopped');
    // The killed child could not remove its runtime file; the manager removed it (it was ours).
    expect(fs.existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
  });

  it('port taken: the child falls back to a free port and the manager reads it from runtime.json; the holder is untouched', async () => {
    const holder = http.createServer((_req, res) => res.end('foreign'));
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    onCleanup(() => new Promise<void>((r) => holder.close(() => r())));
    const taken = (holder.address() as { port: number }).port;

    const { mgr, logs, dataDir } = manager({ env: { AGENT_MONITOR_PORT: String(taken) } });
    const snap = await mgr.start();
    expect(snap.state).toBe('running');
    expect(snap.runtime?.port).not.toBe(taken);
    expect(readRuntimeFile(dataDir)?.port).toBe(snap.runtime?.port);
    expect(snap.url).toBe(`http://127.0.0.1:${snap.runtime?.port}/`);
    expect(logs.some((s) => s.includes('falling back'))).toBe(true);
    await mgr.stop();
    // The foreign server still answers.
    const body = await new Promise<string>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: taken, agent: false }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(b));
      }).on('error', reject),
    );
    expect(body).toBe('foreign');
  });

  it('never trusts or kills a process it did not start, even one named in runtime.json and answering /api/health', async () => {
    // A healthy "sidecar" this manager did not spawn, whose runtime.json we plant in our data dir.
    const foreignDir = tempDir();
    const foreign = foreignProcess([FIXTURE], { AGENT_MONITOR_DATA_DIR: foreignDir, AGENT_MONITOR_PORT: '0' });
    await waitFor('the foreign runtime.json', () => readRuntimeFile(foreignDir)?.pid === foreign.pid, 5_000);
    const foreignRt = readRuntimeFile(foreignDir)!;
    expect(await checkHealth(foreignRt.port)).toBe(true);

    const dataDir = tempDir();
    fs.copyFileSync(path.join(foreignDir, 'runtime.json'), path.join(dataDir, 'runtime.json'));
    // Our own child hangs: never listens, never writes runtime.json.
    const { mgr, logs } = manager({ dataDir, healthTimeoutMs: 600, maxRestarts: 1, backoffMs: 20, env: { FAKE_SIDECAR_MODE: 'hang' } });
    const snap = await mgr.start();
    expect(snap.state).toBe('unavailable'); // the foreign healthy server was not mistaken for ours
    expect(snap.lastError).toMatch(/not healthy within 600 ms/);
    expect(logs.filter((s) => s.includes('killing pid')).every((s) => !s.includes(`pid ${foreign.pid}`))).toBe(true);
    await mgr.stop();
    expect(alive(foreign.pid!)).toBe(true);
    expect(await checkHealth(foreignRt.port)).toBe(true);
    // …and its runtime file (not ours) was left alone.
    expect(readRuntimeFile(dataDir)?.pid).toBe(foreign.pid);
  });

  it('start() after unavailable tries again; start() while running is a no-op', async () => {
    const dir = tempDir();
    const counter = path.join(dir, 'count');
    const { mgr } = manager({ maxRestarts: 0, backoffMs: 10, env: { FAKE_SIDECAR_CRASH_TIMES: '1', FAKE_SIDECAR_COUNTER: counter } });
    expect((await mgr.start()).state).toBe('unavailable');
    const snap = await mgr.start();
    expect(snap.state).toBe('running');
    const again = await mgr.start();
    expect(again.pid).toBe(snap.pid);
  });

  it.skipIf(!fs.existsSync(REAL_SERVER))('runs the real materialized server (when built): health, host status with its token, clean stop', async () => {
    const dataDir = tempDir();
    const spec = sidecarLaunchSpec({ runtime: 'node', serverEntry: REAL_SERVER, execPath: process.execPath, port: 0, codexHome: path.join(dataDir, 'codex') });
    const { mgr } = manager({ ...spec, dataDir, healthTimeoutMs: 15_000 });
    const snap = await mgr.start();
    expect(snap.state).toBe('running');
    expect(readRuntimeFile(dataDir)?.pid).toBe(snap.pid);
    if (process.platform === 'linux') expect(processEnv(snap.pid!)).toMatchObject(sidecarMallocEnv());
    expect(await createHostStatusReader({ manager: mgr })()).toMatchObject({ lastCodexHookEventAt: null, spool: { pending: 0 } });
    await mgr.stop();
    expect(fs.existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
  });
});

/** The environment a running process was started with (Linux: /proc/<pid>/environ). */
function processEnv(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

describe('sidecar malloc settings: one source for every launch path', () => {
  it('sidecarMallocEnv fixes glibc\'s trim threshold on Linux and sets nothing elsewhere', () => {
    expect(sidecarMallocEnv('linux')).toEqual({ MALLOC_TRIM_THRESHOLD_: '131072' });
    expect(sidecarMallocEnv('darwin')).toEqual({});
    expect(sidecarMallocEnv('win32')).toEqual({});
  });

  it('Electron main and the headless runner (sidecarLaunchSpec, both runtimes) carry it', () => {
    for (const runtime of ['electron', 'node'] as const) {
      const spec = sidecarLaunchSpec({ runtime, serverEntry: 'server/index.js', execPath: process.execPath });
      expect(spec.env, runtime).toMatchObject(sidecarMallocEnv());
    }
  });

  it.runIf(process.platform === 'linux' && fs.existsSync(REAL_SERVER))('the test and benchmark launcher (startPatched) starts the sidecar with it too', async () => {
    const server = await startPatched({ dir: tempDir() });
    onCleanup(() => server.stop().then(() => undefined));
    expect(processEnv(server.pid)).toMatchObject(sidecarMallocEnv());
    expect(sidecarMallocEnv()).not.toEqual({});
  });
});
