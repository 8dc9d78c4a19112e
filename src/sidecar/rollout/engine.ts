/**
 * Discovery + watching + import queue for Codex rollouts under one $CODEX_HOME. Runs inside the
 * rollout worker thread (or inline, for tests) with its own better-sqlite3 connection.
 *
 * - chokidar (fs.watch based, no polling, no awaitWriteFinish) reports new files and appends;
 *   each reported file is imported at once.
 * - chokidar throttles `change` per file for 50 ms and drops the trailing event, so after every
 *   import we re-check that file once a little later (RECHECK_MS) to catch appends inside that window.
 * - a sweep every `sweepIntervalMs` stats every rollout file and compares it with the stored cursor
 *   (no reads): the safety net for missed events. O(number of files) when nothing is new.
 * - a missing $CODEX_HOME is waited for: the nearest existing ancestor is watched and every sweep retries.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { watch, type FSWatcher } from 'chokidar';
import { migrateHostSchema } from '../schema.js';
import { importRolloutFile, type ImportChange } from './import.js';

export interface WatcherStatus {
  running: boolean;
  files: number;
  behindBytes: number;
  lastImportAt: string | null;
  malformedLines: number;
}

export interface EngineOptions {
  dbPath: string;
  codexHome: string;
  onChange: (change: ImportChange) => void;
  log?: (msg: string) => void;
  /** Default 5,000 ms. */
  sweepIntervalMs?: number;
  /** Told after every sweep and drain (the worker forwards it to the main thread). */
  onStatus?: (status: WatcherStatus) => void;
}

const ROOTS = ['sessions', 'archived_sessions'] as const;
const ROLLOUT_NAME = /^rollout-.*\.jsonl$/;
const RECHECK_MS = 75;

interface Known {
  size: number;
  scanned: number;
}

export function isRolloutFileName(name: string): boolean {
  return ROLLOUT_NAME.test(name);
}

export class RolloutEngine {
  private readonly db: Database.Database;
  private readonly opts: Required<Omit<EngineOptions, 'onStatus'>> & Pick<EngineOptions, 'onStatus'>;
  private watcher: FSWatcher | null = null;
  private ancestorWatch: fs.FSWatcher | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private readonly queue = new Set<string>();
  private draining: Promise<void> | null = null;
  private startingWatch: Promise<void> | null = null;
  private closed = false;
  private readonly known = new Map<string, Known>();
  private lastImportAt: string | null = null;
  private malformedLines = 0;
  private readonly getScanned: Database.Statement<[string], { size: number }>;

  private constructor(opts: EngineOptions) {
    this.opts = { log: () => {}, sweepIntervalMs: 5_000, ...opts };
    this.db = new Database(opts.dbPath);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    migrateHostSchema(this.db);
    this.getScanned = this.db.prepare<[string], { size: number }>('SELECT size FROM codex_rollout_files WHERE path = ?');
    this.malformedLines = this.sumMalformed();
  }

  static async start(opts: EngineOptions): Promise<RolloutEngine> {
    const engine = new RolloutEngine(opts);
    await engine.ensureWatching();
    engine.sweep();
    engine.kick();
    engine.sweepTimer = setInterval(() => {
      void engine.ensureWatching();
      engine.sweep();
      engine.kick();
    }, engine.opts.sweepIntervalMs);
    engine.sweepTimer.unref?.();
    return engine;
  }

  status(): WatcherStatus {
    let behind = 0;
    for (const k of this.known.values()) behind += Math.max(0, k.size - k.scanned);
    return { running: !this.closed, files: this.known.size, behindBytes: behind, lastImportAt: this.lastImportAt, malformedLines: this.malformedLines };
  }

  /** Sweep now and resolve when everything found so far is imported. */
  async flush(): Promise<void> {
    await this.ensureWatching();
    this.sweep();
    this.kick();
    while (this.draining) await this.draining;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const t of this.rechecks.values()) clearTimeout(t);
    this.rechecks.clear();
    this.ancestorWatch?.close();
    this.ancestorWatch = null;
    if (this.startingWatch) await this.startingWatch.catch(() => undefined);
    await this.watcher?.close();
    this.watcher = null;
    while (this.draining) await this.draining;
    this.db.close();
  }

  private get home(): string {
    return path.resolve(this.opts.codexHome);
  }

  /** Start chokidar once $CODEX_HOME exists; until then watch its nearest existing ancestor. */
  private ensureWatching(): Promise<void> {
    if (this.closed || this.watcher) return Promise.resolve();
    if (this.startingWatch) return this.startingWatch;
    if (!fs.existsSync(this.home)) {
      this.watchAncestor();
      return Promise.resolve();
    }
    this.ancestorWatch?.close();
    this.ancestorWatch = null;
    this.startingWatch = this.startChokidar().finally(() => {
      this.startingWatch = null;
    });
    return this.startingWatch;
  }

  private watchAncestor(): void {
    if (this.ancestorWatch || this.closed) return;
    let dir = path.dirname(this.home);
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    try {
      this.ancestorWatch = fs.watch(dir, { persistent: false }, () => this.onAncestorEvent());
      this.ancestorWatch.on('error', () => {
        this.ancestorWatch?.close();
        this.ancestorWatch = null; // the sweep retries
      });
    } catch {
      this.ancestorWatch = null; // the sweep retries
      return;
    }
    // The folders may have appeared between the existence check and the watch.
    if (fs.existsSync(path.join(dir, path.relative(dir, this.home).split(path.sep)[0]!))) this.onAncestorEvent();
  }

  private onAncestorEvent(): void {
    this.ancestorWatch?.close();
    this.ancestorWatch = null;
    if (this.closed) return;
    if (!fs.existsSync(this.home)) {
      this.watchAncestor(); // a deeper ancestor appeared: move the watch down
      return;
    }
    void this.ensureWatching().then(() => {
      this.sweep();
      this.kick();
    });
  }

  private async startChokidar(): Promise<void> {
    const home = this.home;
    const w = watch(home, {
      ignoreInitial: true, // the sweep right after `ready` imports what already exists
      persistent: true,
      ignored: (p: string, stats?: fs.Stats) => {
        const rel = path.relative(home, p);
        if (rel === '') return false;
        const top = rel.split(path.sep)[0];
        if (top !== 'sessions' && top !== 'archived_sessions') return true;
        if (stats?.isFile()) return !isRolloutFileName(path.basename(p));
        return false;
      },
    });
    const onFile = (p: string): void => {
      if (!isRolloutFileName(path.basename(p))) return;
      this.enqueue(p);
      this.kick();
    };
    w.on('add', onFile);
    w.on('change', onFile);
    w.on('error', (err) => this.opts.log(`[rollout] watcher error: ${String((err as Error)?.message ?? err)}`));
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
    if (this.closed) {
      await w.close();
      return;
    }
    this.watcher = w;
  }

  private enqueue(p: string): void {
    this.queue.add(path.resolve(p));
  }

  /** stat every rollout file; queue those whose size or identity differ from the stored cursor. */
  private sweep(): void {
    if (this.closed) return;
    const cursors = new Map<string, { size: number; ino: string | null; dev: string | null }>();
    for (const r of this.db.prepare('SELECT path, size, ino, dev FROM codex_rollout_files').all() as Array<{ path: string; size: number; ino: string | null; dev: string | null }>) {
      cursors.set(r.path, r);
    }
    const seen = new Set<string>();
    for (const root of ROOTS) this.walk(path.join(this.home, root), (file, st) => {
      seen.add(file);
      const c = cursors.get(file);
      this.known.set(file, { size: st.size, scanned: c ? c.size : 0 });
      if (!c || c.size !== st.size || c.ino !== String(st.ino) || c.dev !== String(st.dev)) this.enqueue(file);
    });
    for (const file of this.known.keys()) if (!seen.has(file)) this.known.delete(file);
    this.opts.onStatus?.(this.status());
  }

  private walk(dir: string, visit: (file: string, st: fs.Stats) => void): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // ENOENT and friends: nothing there (yet)
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) this.walk(full, visit);
      else if (e.isFile() && isRolloutFileName(e.name)) {
        try {
          visit(full, fs.statSync(full));
        } catch {
          // vanished between readdir and stat
        }
      }
    }
  }

  private kick(): void {
    if (this.draining || this.closed || this.queue.size === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.queue.size > 0 && !this.closed) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.closed) {
      const file = this.queue.values().next().value as string;
      this.queue.delete(file);
      try {
        const res = importRolloutFile(this.db, file, {
          log: this.opts.log,
          onBatch: (change) => {
            this.lastImportAt = new Date().toISOString();
            // Checkpoint here, on the worker, after every batch: otherwise the WAL outgrows the
            // auto-checkpoint threshold and the server's next hook insert on the HTTP thread pays for
            // copying megabytes of our pages (measured: 130–600 ms stalls; scripts/bench/rollout.ts).
            this.db.pragma('wal_checkpoint(PASSIVE)');
            this.opts.onChange(change);
          },
        });
        this.malformedLines += res.malformed;
        const row = this.getScanned.get(file);
        let size = row?.size ?? 0;
        try {
          size = fs.statSync(file).size;
        } catch {
          // gone
        }
        this.known.set(file, { size, scanned: row?.size ?? 0 });
      } catch (err) {
        this.opts.log(`[rollout] import of ${file} failed: ${(err as Error).message}`);
      }
      this.scheduleRecheck(file);
      await yieldToLoop(); // let watcher events and messages through between files
    }
    this.opts.onStatus?.(this.status());
  }

  private scheduleRecheck(file: string): void {
    if (this.closed || this.rechecks.has(file)) return;
    const t = setTimeout(() => {
      this.rechecks.delete(file);
      const row = this.getScanned.get(file);
      let size: number;
      try {
        size = fs.statSync(file).size;
      } catch {
        return;
      }
      if (!row || row.size !== size) {
        this.enqueue(file);
        this.kick();
      }
    }, RECHECK_MS);
    this.rechecks.set(file, t);
  }

  private sumMalformed(): number {
    const row = this.db.prepare('SELECT COALESCE(SUM(malformed_count), 0) AS n FROM codex_rollout_files').get() as { n: number };
    return row.n;
  }
}
