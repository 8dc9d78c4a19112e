/**
 * startRolloutWatcher: runs the rollout engine in a worker thread (default) or inline (tests),
 * behind one interface. The main thread only relays: it never reads rollout files or writes rows.
 */
import path from 'node:path';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { RolloutEngine, type WatcherStatus } from './engine.js';
import type { ImportChange } from './import.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

export interface RolloutWatcherOptions {
  dbPath: string;
  codexHome: string;
  /** Claude Code config dir whose projects/ transcripts are imported too (same worker); absent: none. */
  claudeDir?: string | null;
  /** Read the Claude folder only while this settings file says Claude tracking is on. */
  claudeConsentFile?: string | null;
  /** Import changes: merged by the worker (at most one call per 250 ms); inline, one per committed batch. Never per row. */
  onChange: (change: ImportChange) => void;
  log?: (msg: string) => void;
  /** Catch-up sweep period; default 5,000 ms. */
  sweepIntervalMs?: number;
  /** Default: rollout-worker.cjs next to this bundle. */
  workerPath?: string;
  /** Run on the calling thread (tests). */
  inline?: boolean;
  /** The HTTP thread's WriteTurn buffer (src/sidecar/write-turn.ts); absent: fixed lock-free gaps. */
  writeTurn?: SharedArrayBuffer;
  /** Heap growth after which the engine collects once caught up (src/sidecar/rollout/heap-release.ts); tests set it low. */
  heapReleaseBytes?: number;
}

export interface RolloutWatcher {
  close(): Promise<void>;
  status(): WatcherStatus;
  /** Resolves when everything seen so far (incl. a fresh sweep) is imported. */
  flush(): Promise<void>;
  /** Import this Claude transcript now (named by a hook; it may lie outside the watched Claude dir). */
  importClaudeFile(path: string): void;
}

/**
 * V8 flags for the worker's isolate, set just before it is created (the flags are process-wide,
 * so this is the one place that sets them, instead of both launch paths — Electron main and the
 * headless runner — passing them on the command line):
 * - `--expose-gc`: V8 reads it when it sets up a new context, so the worker gets a `gc` function to
 *   give back its heap after bulk work (src/sidecar/rollout/heap-release.ts); the contexts already
 *   running (this thread's) are not changed.
 * - `--no-memory-reducer`: that release does at once, right after the bulk work, what V8's memory
 *   reducer would do 30-60 s later, when the sidecar is otherwise idle; the reducer's late pass
 *   then only cost an idle minute 90-150 ms of CPU (docs/benchmarks.md "Run 9"). The price: the
 *   worker's heap stays at what the release left (~35 MB at 50,000 history files) instead of
 *   shrinking to ~19 MB. Whether this thread's isolate (already running; ~11 MB) keeps its reducer
 *   is V8's choice; its heap is small either way.
 */
function workerIsolateFlags(): void {
  v8.setFlagsFromString('--expose-gc');
  v8.setFlagsFromString('--no-memory-reducer');
}

/** Restart delay after the worker died unexpectedly; the cursors in SQLite make a restart lossless. */
const RESTART_MS = 1_000;

function defaultWorkerPath(): string {
  // The default only makes sense inside the CJS bundle (addons.cjs sits next to rollout-worker.cjs).
  // No import.meta fallback: esbuild warns on it in a CJS build, and from source there is no .cjs anyway.
  if (typeof __dirname === 'undefined') {
    throw new Error('[rollout-watcher] no workerPath given and __dirname is unavailable (ESM source); pass workerPath or inline: true');
  }
  return path.join(__dirname, 'rollout-worker.cjs');
}

export async function startRolloutWatcher(opts: RolloutWatcherOptions): Promise<RolloutWatcher> {
  const log = opts.log ?? (() => {});
  if (opts.inline) {
    const engine = await RolloutEngine.start({
      dbPath: opts.dbPath,
      codexHome: opts.codexHome,
      claudeDir: opts.claudeDir ?? null,
      claudeConsentFile: opts.claudeConsentFile ?? null,
      onChange: opts.onChange,
      log,
      ...(opts.sweepIntervalMs !== undefined ? { sweepIntervalMs: opts.sweepIntervalMs } : {}),
      ...(opts.writeTurn ? { writeTurn: opts.writeTurn } : {}),
      ...(opts.heapReleaseBytes !== undefined ? { heapReleaseBytes: opts.heapReleaseBytes } : {}),
    });
    return { close: () => engine.close(), status: () => engine.status(), flush: () => engine.flush(), importClaudeFile: (p) => engine.importClaudeFile(p) };
  }
  return WorkerWatcher.start(opts, opts.workerPath ?? defaultWorkerPath(), log);
}

class WorkerWatcher implements RolloutWatcher {
  private worker: Worker | null = null;
  private last: WatcherStatus = { running: false, files: 0, behindBytes: 0, lastImportAt: null, malformedLines: 0, failingFiles: 0, lastError: null, timelinePending: 0 };
  private nextId = 1;
  private readonly flushes = new Map<number, () => void>();
  private closing: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly opts: RolloutWatcherOptions,
    private readonly workerPath: string,
    private readonly log: (msg: string) => void,
  ) {}

  static async start(opts: RolloutWatcherOptions, workerPath: string, log: (msg: string) => void): Promise<WorkerWatcher> {
    const w = new WorkerWatcher(opts, workerPath, log);
    await w.spawn();
    return w;
  }

  private spawn(): Promise<void> {
    const init: WorkerInit = { dbPath: this.opts.dbPath, codexHome: this.opts.codexHome, claudeDir: this.opts.claudeDir ?? null, claudeConsentFile: this.opts.claudeConsentFile ?? null, ...(this.opts.writeTurn ? { writeTurn: this.opts.writeTurn } : {}) };
    if (this.opts.sweepIntervalMs !== undefined) init.sweepIntervalMs = this.opts.sweepIntervalMs;
    if (this.opts.heapReleaseBytes !== undefined) init.heapReleaseBytes = this.opts.heapReleaseBytes;
    workerIsolateFlags();
    const worker = new Worker(this.workerPath, { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            ready = true;
            this.last = msg.status;
            resolve();
            break;
          case 'failed':
            reject(new Error(`[rollout-watcher] worker failed to start: ${msg.error}`));
            void worker.terminate();
            break;
          case 'change':
            this.opts.onChange(msg.change);
            break;
          case 'status':
            this.last = msg.status;
            break;
          case 'log':
            this.log(msg.msg);
            break;
          case 'flushed': {
            const done = this.flushes.get(msg.id);
            this.flushes.delete(msg.id);
            done?.();
            break;
          }
          case 'closed':
            break;
          default: {
            const never: never = msg;
            this.log(`[rollout-watcher] unknown worker message ${JSON.stringify(never)}`);
          }
        }
      });
      worker.on('error', (err) => {
        this.log(`[rollout-watcher] worker error: ${err.message}`);
        if (!ready) reject(err);
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.last = { ...this.last, running: false };
        for (const done of this.flushes.values()) done();
        this.flushes.clear();
        if (!ready || this.closing) return;
        this.log(`[rollout-watcher] worker exited (code ${code}); restarting in ${RESTART_MS} ms`);
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          if (!this.closing) this.spawn().catch((err: Error) => this.log(`[rollout-watcher] restart failed: ${err.message}`));
        }, RESTART_MS);
      });
    });
  }

  private send(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  status(): WatcherStatus {
    return this.worker ? this.last : { ...this.last, running: false };
  }

  flush(): Promise<void> {
    if (!this.worker) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      this.flushes.set(id, resolve);
      this.send({ type: 'flush', id });
    });
  }

  importClaudeFile(path: string): void {
    this.send({ type: 'import-claude', path });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.closing = !worker
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          const kill = setTimeout(() => void worker.terminate(), 5_000);
          kill.unref();
          this.send({ type: 'close' });
        });
    return this.closing;
  }
}
