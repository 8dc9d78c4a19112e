/**
 * Runs the agent-monitor sidecar (the materialized server, docs/contracts.md "Sidecar process")
 * as a child process: spawn, wait for `runtime.json` + `GET /api/health`, restart with
 * exponential backoff up to `maxRestarts` (then the visible 'unavailable' state), and stop it
 * cleanly (SIGTERM, grace period, SIGKILL).
 *
 * ELECTRON-FREE on purpose: the Electron shell runs it with `process.execPath` +
 * ELECTRON_RUN_AS_NODE=1, the headless runner (scripts/monitor.ts) with the system `node`.
 *
 * Ownership rules (docs/contracts.md "Sidecar manager ownership"):
 *  - The port comes from `<dataDir>/runtime.json`, which the server writes once listening. When the
 *    requested port is taken the server falls back to a free one itself and writes that; the
 *    manager only trusts a runtime.json whose `pid` is the child it spawned (a stale file from an
 *    earlier run, or one belonging to another instance, is ignored).
 *  - The manager only ever signals the child it spawned; never a pid read from a file, never
 *    whatever holds a port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import type { DashboardInfo, SidecarState } from '../shared/ipc.js';
import { RUNTIME_CURL_FILE, RUNTIME_FILE, type RuntimeInfo } from '../shared/runtime.js';

export { RUNTIME_FILE };

/** runtime.json of the running child (the shared contract type). */
export type SidecarRuntime = RuntimeInfo;

export interface SidecarSnapshot {
  state: SidecarState;
  /** runtime.json of the running child (null unless running). */
  runtime: SidecarRuntime | null;
  /** `http://127.0.0.1:<port>/` while running. */
  url: string | null;
  /** pid of the child this manager spawned and that is still alive, if any. */
  pid: number | null;
  /** Restarts since the last stable run (or since start()). */
  restarts: number;
  lastError: string | null;
}

export interface SidecarManagerOptions {
  /** Executable: system `node` headless, `process.execPath` in Electron. */
  command: string;
  /** e.g. `['<root>/build/agent-monitor/server/index.js']`. */
  args: string[];
  /** Extra environment (AGENT_MONITOR_PORT, CODEX_HOME, ELECTRON_RUN_AS_NODE, …), on top of process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * More environment, read at every launch (the team choices and their connection strings:
   * src/core/team-config.ts `teamEnv`), so a restart picks up what changed. Wins over `env`.
   */
  launchEnv?: () => NodeJS.ProcessEnv;
  /** The data dir; passed to the child as AGENT_MONITOR_DATA_DIR; runtime.json is read from here. */
  dataDir: string;
  cwd?: string;
  /** How long one launch may take to become healthy before it counts as failed. Default 15 s. */
  healthTimeoutMs?: number;
  /** Restarts allowed before giving up with state 'unavailable'. Default 5. */
  maxRestarts?: number;
  /** First backoff delay; doubles per consecutive failure. Default 500 ms. */
  backoffMs?: number;
  /** Upper bound for one backoff delay. Default 30 s. */
  maxBackoffMs?: number;
  /** SIGTERM → SIGKILL grace period on stop. Default 5 s. */
  stopGraceMs?: number;
  /** A run healthy this long resets the restart counter. Default 60 s. */
  stableAfterMs?: number;
  /** While running, /api/health is polled this often; 0 turns the liveness watch off. Default 5 s. */
  livenessIntervalMs?: number;
  /** Consecutive failed liveness checks before a running child counts as hung and is restarted. Default 3. */
  livenessFailures?: number;
  log?: (line: string) => void;
}

export interface SidecarManager {
  /** Starts (or restarts after 'unavailable'/'stopped'); resolves once running, unavailable or stopped. */
  start(): Promise<SidecarSnapshot>;
  /** SIGTERM, wait `stopGraceMs`, SIGKILL; cancels pending restarts. Resolves once the child is gone. */
  stop(): Promise<void>;
  /**
   * Stops a child that is running (or starting, or waiting to restart) and starts a new one, so
   * it gets a fresh `launchEnv`. A manager that is idle or stopped stays so (resolves its snapshot).
   */
  restart(): Promise<SidecarSnapshot>;
  state(): SidecarState;
  snapshot(): SidecarSnapshot;
  dashboardInfo(): DashboardInfo;
  /** Called on every state change with the new snapshot; returns an unsubscribe function. */
  onStateChange(listener: (snapshot: SidecarSnapshot) => void): () => void;
}


/** Reads `<dataDir>/runtime.json`; null when missing or not (yet) a complete runtime record. */
export function readRuntimeFile(dataDir: string): SidecarRuntime | null {
  let raw: string;
  try {
    raw = fs.readFileSync(path.join(dataDir, RUNTIME_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const doc = JSON.parse(raw) as Partial<SidecarRuntime>;
    if (typeof doc.port !== 'number' || typeof doc.pid !== 'number' || !Number.isInteger(doc.port)) return null;
    return {
      version: typeof doc.version === 'number' ? doc.version : 1,
      port: doc.port,
      pid: doc.pid,
      token: typeof doc.token === 'string' ? doc.token : '',
      startedAt: typeof doc.startedAt === 'string' ? doc.startedAt : '',
    };
  } catch {
    return null; // written atomically by the server, so a parse error means "not ours / not yet"
  }
}

/**
 * GET http://127.0.0.1:<port>/api/health → true when 200 and `{"status":"ok"}` or
 * `{"status":"degraded"}`: a degraded sidecar (disk full, read-only…) is alive and says why in
 * its status; restarting it would not help.
 */
export function checkHealth(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/health', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(false);
        try {
          const status = (JSON.parse(body) as { status?: unknown }).status;
          resolve(status === 'ok' || status === 'degraded');
        } catch {
          resolve(false);
        }
      });
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export interface SidecarLaunchSpecOptions {
  /** 'node': system node (headless, tests, dev); 'electron': Electron's own binary as Node. */
  runtime: 'node' | 'electron';
  /** Absolute path of build/agent-monitor/server/index.js. */
  serverEntry: string;
  /** For 'electron': process.execPath. For 'node': the node binary (default 'node'). */
  execPath?: string;
  port?: number;
  codexHome?: string;
  /** Claude's config dir, whose session files the sidecar imports (CLAUDE_CONFIG_DIR). */
  claudeConfigDir?: string;
  dbPath?: string;
}

/**
 * glibc malloc settings for the sidecar process, read by the C library at process start (so they
 * are environment, not code). A fixed trim threshold of 128 KiB turns off glibc's dynamic one,
 * which rises to twice the largest buffer freed so far (up to 64 MiB): after a history import
 * (read buffers of up to 8 MiB, the import's SQLite page cache) every thread's arena then keeps
 * megabytes of freed memory resident for good. Measured with 50,000 history files: idle RSS about
 * 15 MB lower (docs/benchmarks.md "Run 9 — idle"). Large buffers are then mmap'ed and
 * returned at free, which is cheap next to parsing them. Only on Linux (glibc); other C libraries
 * ignore these names, so they are not set there. Both launch paths (Electron main and the
 * headless runner, through sidecarLaunchSpec) and the test/benchmark launcher
 * (scripts/lib/servers.ts startPatched) use this one function.
 */
export function sidecarMallocEnv(platform: NodeJS.Platform = process.platform): Record<string, string> {
  return platform === 'linux' ? { MALLOC_TRIM_THRESHOLD_: String(128 * 1024) } : {};
}

/**
 * Command, args and env for the sidecar. Under Electron the child is Electron-as-Node
 * (ELECTRON_RUN_AS_NODE=1); note better-sqlite3 must then be rebuilt for Electron's ABI
 * (see README; not possible on machines without Electron headers).
 */
export function sidecarLaunchSpec({ runtime, serverEntry, execPath, port, codexHome, claudeConfigDir, dbPath }: SidecarLaunchSpecOptions): {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
} {
  const env: NodeJS.ProcessEnv = { ...sidecarMallocEnv() };
  if (runtime === 'electron') env.ELECTRON_RUN_AS_NODE = '1';
  if (port !== undefined) env.AGENT_MONITOR_PORT = String(port);
  if (codexHome !== undefined) env.CODEX_HOME = codexHome;
  if (claudeConfigDir !== undefined) {
    env.CLAUDE_CONFIG_DIR = claudeConfigDir;
    // The usage import reads its projects/ history (and subagent files) while Claude tracking is on.
    env.AGENT_MONITOR_CLAUDE_DIR = claudeConfigDir;
  }
  if (dbPath !== undefined) env.AGENT_MONITOR_DB = dbPath;
  return { command: execPath ?? (runtime === 'electron' ? process.execPath : 'node'), args: [serverEntry], env };
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createSidecarManager({
  command,
  args,
  env = {},
  launchEnv,
  dataDir,
  cwd,
  healthTimeoutMs = 15_000,
  maxRestarts = 5,
  backoffMs = 500,
  maxBackoffMs = 30_000,
  stopGraceMs = 5_000,
  stableAfterMs = 60_000,
  livenessIntervalMs = 5_000,
  livenessFailures = 3,
  log = () => {},
}: SidecarManagerOptions): SidecarManager {
  let state: SidecarState = 'idle';
  let child: ChildProcess | null = null;
  let childExit: Promise<void> = Promise.resolve();
  let runtime: SidecarRuntime | null = null;
  let restarts = 0;
  let lastError: string | null = null;
  let generation = 0; // bumps on every launch and on stop(); stale async work checks it
  let backoffTimer: NodeJS.Timeout | null = null;
  let stableTimer: NodeJS.Timeout | null = null;
  let livenessTimer: NodeJS.Timeout | null = null;
  const listeners = new Set<(snapshot: SidecarSnapshot) => void>();

  const snapshot = (): SidecarSnapshot => ({
    state,
    runtime: state === 'running' ? runtime : null,
    url: state === 'running' && runtime ? `http://127.0.0.1:${runtime.port}/` : null,
    pid: child && child.exitCode === null && child.signalCode === null ? (child.pid ?? null) : null,
    restarts,
    lastError,
  });

  function setState(next: SidecarState): void {
    if (state === next) return;
    state = next;
    log(`[sidecar] state → ${next}${next === 'unavailable' && lastError ? ` (${lastError})` : ''}`);
    const snap = snapshot();
    for (const listener of [...listeners]) {
      try {
        listener(snap);
      } catch (err) {
        log(`[sidecar] state listener threw: ${String(err)}`);
      }
    }
  }

  function clearTimers(): void {
    if (backoffTimer) clearTimeout(backoffTimer);
    if (stableTimer) clearTimeout(stableTimer);
    if (livenessTimer) clearInterval(livenessTimer);
    backoffTimer = stableTimer = livenessTimer = null;
  }

  /**
   * A sidecar can hang after it became healthy (a stuck event loop answers nothing). Exit is
   * noticed by 'exit'; a hang only by polling. After `livenessFailures` misses in a row the child,
   * which is ours, is killed and its exit takes the normal restart path.
   */
  function watchLiveness(proc: ChildProcess, gen: number, port: number): void {
    if (livenessIntervalMs <= 0) return;
    let misses = 0;
    let checking = false;
    livenessTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      void checkHealth(port, Math.min(1000, livenessIntervalMs)).then(async (ok) => {
        checking = false;
        if (gen !== generation || state !== 'running') return;
        misses = ok ? 0 : misses + 1;
        if (misses < livenessFailures) return;
        if (livenessTimer) clearInterval(livenessTimer);
        livenessTimer = null;
        lastError = `stopped answering /api/health (${misses} checks in a row)`;
        log(`[sidecar] ${lastError}; killing pid ${proc.pid}`);
        await killChild(proc);
      });
    }, livenessIntervalMs);
    livenessTimer.unref();
  }

  function pipeLines(stream: NodeJS.ReadableStream | null, label: string): void {
    if (!stream) return;
    readline.createInterface({ input: stream }).on('line', (line) => log(`[sidecar ${label}] ${line}`));
  }

  function launch(): void {
    const gen = ++generation;
    runtime = null;
    setState('starting');
    const proc = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env, ...launchEnv?.(), AGENT_MONITOR_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    childExit = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        resolve();
        onChildExit(proc, gen, code, signal);
      });
      proc.once('error', (err) => {
        // spawn failure (ENOENT, EACCES): no 'exit' follows
        if (proc.pid === undefined) {
          resolve();
          onChildExit(proc, gen, null, null, err);
        }
      });
    });
    pipeLines(proc.stdout, 'out');
    pipeLines(proc.stderr, 'err');
    void waitUntilHealthy(proc, gen);
  }

  async function waitUntilHealthy(proc: ChildProcess, gen: number): Promise<void> {
    const deadline = Date.now() + healthTimeoutMs;
    while (gen === generation && Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) return; // onChildExit handles it
      const rt = readRuntimeFile(dataDir);
      // Only OUR child's runtime file counts: a stale file (or another instance's) has another pid.
      if (rt && rt.pid === proc.pid && (await checkHealth(rt.port))) {
        if (gen !== generation) return;
        runtime = rt;
        lastError = null;
        setState('running');
        stableTimer = setTimeout(() => {
          if (gen === generation) restarts = 0;
        }, stableAfterMs);
        stableTimer.unref();
        watchLiveness(proc, gen, rt.port);
        return;
      }
      await delay(50);
    }
    if (gen !== generation || state !== 'starting') return;
    // Hung: never became healthy. It is our child, so we may kill it; its exit triggers a restart.
    lastError = `not healthy within ${healthTimeoutMs} ms`;
    log(`[sidecar] ${lastError}; killing pid ${proc.pid}`);
    await killChild(proc);
  }

  function onChildExit(proc: ChildProcess, gen: number, code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (proc === child) child = null;
    removeOwnRuntimeFile(proc.pid);
    if (gen !== generation) return; // stop() or a newer launch owns the state now
    if (state === 'stopping' || state === 'stopped') return;
    const why = err ? `failed to spawn: ${err.message}` : `exited with ${signal ? `signal ${signal}` : `code ${code}`}`;
    lastError = (state === 'starting' || state === 'running') && lastError ? `${lastError}; ${why}` : why;
    if (stableTimer) clearTimeout(stableTimer);
    if (livenessTimer) clearInterval(livenessTimer);
    livenessTimer = null;
    runtime = null;
    if (restarts >= maxRestarts) {
      setState('unavailable');
      return;
    }
    restarts += 1;
    const wait = Math.min(backoffMs * 2 ** (restarts - 1), maxBackoffMs);
    log(`[sidecar] ${why}; restart ${restarts}/${maxRestarts} in ${wait} ms`);
    setState('backoff');
    backoffTimer = setTimeout(() => {
      backoffTimer = null;
      if (gen === generation && state === 'backoff') launch();
    }, wait);
  }

  /** After SIGKILL (or a crash) the server cannot remove its runtime file; do it if it is our child's. */
  function removeOwnRuntimeFile(pid: number | undefined): void {
    const rt = readRuntimeFile(dataDir);
    if (pid !== undefined && rt && rt.pid === pid) {
      try {
        fs.rmSync(path.join(dataDir, RUNTIME_CURL_FILE), { force: true });
        fs.rmSync(path.join(dataDir, RUNTIME_FILE), { force: true });
      } catch {
        /* best effort */
      }
    }
  }

  async function killChild(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const graceful = await Promise.race([exited.then(() => true), delay(stopGraceMs).then(() => false)]);
    if (!graceful && proc.exitCode === null && proc.signalCode === null) {
      log(`[sidecar] pid ${proc.pid} ignored SIGTERM for ${stopGraceMs} ms; sending SIGKILL`);
      proc.kill('SIGKILL');
      await exited;
    }
  }

  function waitForSettled(): Promise<SidecarSnapshot> {
    return new Promise((resolve) => {
      const settled = (s: SidecarState): boolean => s === 'running' || s === 'unavailable' || s === 'stopped';
      if (settled(state)) return resolve(snapshot());
      const off = manager.onStateChange((snap) => {
        if (settled(snap.state)) {
          off();
          resolve(snap);
        }
      });
    });
  }

  const manager: SidecarManager = {
    async start() {
      if (state === 'starting' || state === 'backoff' || state === 'running') return waitForSettled();
      if (state === 'stopping') await childExit;
      clearTimers();
      restarts = 0;
      lastError = null;
      launch();
      return waitForSettled();
    },
    async stop() {
      generation += 1; // orphan any pending health wait / restart
      clearTimers();
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        setState('stopping');
        await killChild(proc);
        await childExit;
      }
      child = null;
      runtime = null;
      setState('stopped');
    },
    async restart() {
      if (state === 'idle' || state === 'stopped' || state === 'unavailable') return snapshot();
      log('[sidecar] restarting to apply changed settings');
      await manager.stop();
      return manager.start();
    },
    state: () => state,
    snapshot,
    dashboardInfo: () => {
      const snap = snapshot();
      return { url: snap.url, state: snap.state, ...(snap.lastError ? { error: snap.lastError } : {}) };
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return manager;
}

/** What `GET /api/host/status` reports (docs/contracts.md "Sidecar process"). */
export interface SidecarHostStatusDoc {
  lastCodexHookEventAt: string | null;
  lastHookEventAt?: string | null;
  watcher: { running: boolean; files: number; behindBytes: number; lastImportAt?: string | null } | null;
  spool?: { pending: number; dropped: number; rejected?: number; quarantined?: number; unwritable?: string | null };
  health?: { status: 'ok' | 'degraded'; reasons: string[] };
  posts?: { storeFailures: number; rejected: number; lastRejected: string | null; dropped?: number };
}

/**
 * `GET /api/host/status` of the manager's running sidecar (with its bearer token), or null when
 * it is not running or not answering. This is the HookService's `sidecarStatus` option.
 */
export function createHostStatusReader({ manager, timeoutMs = 1000 }: { manager: Pick<SidecarManager, 'snapshot'>; timeoutMs?: number }): () => Promise<SidecarHostStatusDoc | null> {
  return () =>
    new Promise((resolve) => {
      const rt = manager.snapshot().runtime;
      if (!rt) return resolve(null);
      const req = http.get(
        { host: '127.0.0.1', port: rt.port, path: '/api/host/status', agent: false, timeout: timeoutMs, headers: { Authorization: `Bearer ${rt.token}` } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => {
            if (res.statusCode !== 200) return resolve(null);
            try {
              const doc = JSON.parse(body) as Partial<SidecarHostStatusDoc>;
              resolve({
                lastCodexHookEventAt: typeof doc.lastCodexHookEventAt === 'string' ? doc.lastCodexHookEventAt : null,
                watcher: doc.watcher && typeof doc.watcher === 'object' ? doc.watcher : null,
                ...(doc.spool ? { spool: doc.spool } : {}),
                ...(doc.health ? { health: doc.health } : {}),
                ...(doc.posts ? { posts: doc.posts } : {}),
              });
            } catch {
              resolve(null);
            }
          });
          res.on('error', () => resolve(null));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(null));
    });
}
