/**
 * Discovery + watching + import queue for the agents' own session files, in the worker thread
 * (or inline, for tests) with its own better-sqlite3 connection:
 *   - Codex rollouts under $CODEX_HOME/{sessions,archived_sessions} (src/sidecar/rollout/import.ts);
 *   - Claude Code transcripts and subagent files under <claude config dir>/projects
 *     (src/sidecar/claude/import.ts), when a Claude dir is given.
 *
 * Idle cost must not grow with history (docs/benchmarks.md "Idle cost"):
 * - every DIRECTORY under the roots is watched with fs.watch (one inotify watch per folder, none
 *   per file): a new file or an append to ANY file, old or live, is reported at once and imported;
 * - after every import the file is re-checked once a little later (RECHECK_MS), for appends that
 *   landed while it was being read;
 * - the frequent safety-net sweep (`sweepIntervalMs`, 5 s) stats only LIVE files (modified within
 *   `liveWindowMs`); the full sweep — every file stat'ed against its stored cursor — runs at start,
 *   on flush() and every `fullSweepIntervalMs` (10 min). It is what re-adds a folder watch that failed.
 * - a missing root's nearest existing ancestor is watched until the root appears.
 *
 * A history file (not modified within liveWindowMs) that was never imported is imported in two
 * phases (src/sidecar/tail-import.ts, ImportPhase): first its summary — the session with its
 * model, status and token usage — then, once no file waits for a summary, its timeline rows; then
 * the search index catches up. So on first run every past session shows its numbers early, and
 * its timeline says it is still importing until the second phase reaches it (`timelineImportingSql`,
 * src/sidecar/host/session-sql.ts). A file that becomes live in between is imported in full at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { migrateHostSchema } from '../schema.js';
import { importRolloutFile, type ImportChange, type ImportResult } from './import.js';
import { importClaudeFile } from '../claude/import.js';
import { indexStatus, SearchIndexer } from '../search-index.js';
import type { BatchPacer, ImportPhase } from '../tail-import.js';
import { WriteTurn } from '../write-turn.js';
import { HeapReleaser } from './heap-release.js';

export interface WatcherStatus {
  running: boolean;
  files: number;
  behindBytes: number;
  lastImportAt: string | null;
  malformedLines: number;
  /** Files whose last import failed (they are retried with a growing delay, never in a hot loop). */
  failingFiles: number;
  /** History files whose sessions are in but whose timeline rows are not yet (the second phase). */
  timelinePending: number;
  /** The last import error, or null once every file imports again. */
  lastError: string | null;
}

export interface EngineOptions {
  dbPath: string;
  codexHome: string;
  onChange: (change: ImportChange) => void;
  log?: (msg: string) => void;
  /** Claude Code config dir (its `projects/` folder is imported); null/absent: Claude files are not read. */
  claudeDir?: string | null;
  /**
   * The consent file (`<data dir>/settings.json`, docs/contracts.md "Settings"): when given, the
   * Claude folder is read only while it says Claude tracking is on (`agentMonitorEnabled` and
   * `hooksEnabled`), checked on every sweep tick. Absent: the Claude folder is always read.
   */
  claudeConsentFile?: string | null;
  /** Safety-net sweep of live files; default 5,000 ms. */
  sweepIntervalMs?: number;
  /** Full sweep of every file; default 600,000 ms. */
  fullSweepIntervalMs?: number;
  /** A file modified within this long is live (re-stat'ed by every sweep); default 2 h. */
  liveWindowMs?: number;
  /**
   * Told after a sweep or drain that changed the status (the worker forwards it to the main thread,
   * so an unchanged one would only wake that thread on every idle tick).
   */
  onStatus?: (status: WatcherStatus) => void;
  /**
   * The HTTP thread's WriteTurn buffer (src/sidecar/write-turn.ts). When given, the HTTP thread
   * does not checkpoint the WAL itself: this engine does it after its own commits (its autocheckpoint)
   * and on every sweep tick, for the pages the hook stores wrote.
   */
  writeTurn?: SharedArrayBuffer;
  /** Heap growth after which the worker collects once caught up (src/sidecar/rollout/heap-release.ts); default 16 MiB. */
  heapReleaseBytes?: number;
}

const ROOTS = ['sessions', 'archived_sessions'] as const;
const ROLLOUT_NAME = /^rollout-.*\.jsonl$/;
const CLAUDE_NAME = /\.jsonl$/;
const RECHECK_MS = 75;
/**
 * The worker's connection checkpoints the WAL (PASSIVE: it copies pages, it does not take the
 * write lock) right after the commit that makes the WAL this many pages long. That is below
 * SQLite's default threshold (1,000 pages), which the HTTP thread's connection keeps: its next
 * hook insert would otherwise pay for copying megabytes of the import's pages (measured: 130 ms to
 * 1.3 s). By WAL size rather than by input, so that a checkpoint (an fsync) is paid per ~3 MB
 * written, whatever the mix of rows and index pages.
 */
const WORKER_AUTOCHECKPOINT_PAGES = 700;
/**
 * Each import transaction (and each indexing step) holds the write lock for about this long: the
 * HTTP thread's hook inserts wait for at most one of them, and SQLite's busy handler sleeps in
 * growing steps (1, 2, 5, 10, 15 ms…), so a wait of ~10 ms costs the HTTP thread ≤ ~18 ms.
 * Batches are sized from the measured cost per input byte (src/sidecar/tail-import.ts BatchPacer).
 */
const WRITE_HOLD_MS = 8;
/** …and the lock stays free at least this long between two of them (see BatchPacer.minGapMs). */
const WRITE_GAP_MS = 6;
/** Bounds of the paced batch size: a first batch before any measurement, and never more than this. */
const IMPORT_BATCH_BYTES = 128 * 1024;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/**
 * History files (not modified within liveWindowMs) store at most this many characters per payload
 * string: a long tool output of a past session keeps a preview in its row, and the timeline detail
 * reads the rest back from the file on demand (src/sidecar/host/source-readback.ts). Live files
 * store what the hook route would (MAX_FIELD_CHARS).
 */
export const HISTORY_PREVIEW_CHARS = 2_000;
/** With no live, queued or failing file the safety-net tick comes this many times less often. */
const IDLE_TICK_FACTOR = 6;
/** Indexing runs in slices of this long between turns of the worker's event loop. */
const INDEX_SLICE_MS = 40;

type FileKind = 'codex' | 'claude';
/** Retry delay after a failed import of a file: doubles per failure up to the maximum. */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 60_000;

interface Known {
  size: number;
  scanned: number;
  mtimeMs: number;
}

interface Root {
  dir: string;
  kind: FileKind;
}

export function isRolloutFileName(name: string): boolean {
  return ROLLOUT_NAME.test(name);
}

export class RolloutEngine {
  private readonly db: Database.Database;
  private readonly opts: Required<Omit<EngineOptions, 'onStatus' | 'claudeDir' | 'claudeConsentFile' | 'writeTurn' | 'heapReleaseBytes'>> & Pick<EngineOptions, 'onStatus' | 'claudeDir' | 'claudeConsentFile' | 'writeTurn'>;
  private readonly heap: HeapReleaser;
  /** The last status told to onStatus (reportStatus), serialized. */
  private lastStatus = '';
  private readonly roots: Root[];
  /** The roots read at the last tick (see activeRoots). */
  private active: Root[] = [];
  /** One fs.watch per watched folder. */
  private readonly dirWatches = new Map<string, fs.FSWatcher>();
  private readonly ancestorWatches = new Map<string, fs.FSWatcher>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** A watch on the consent file (a change of tracking consent is acted on at once, not at the next tick). */
  private consentWatch: fs.FSWatcher | null = null;
  private consentPending = false;
  private lastFullSweep = 0;
  /** Something was written since the last explicit checkpoint (one at the end of each drain). */
  private uncheckpointed = false;
  /** Claude transcripts outside the watched Claude dir that a hook named. */
  private readonly extraClaude = new Set<string>();
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private readonly queue = new Set<string>();
  /** History files summarized (first phase) whose timeline rows are still to be stored. */
  private readonly timeline = new Set<string>();
  /** flush({ timeline: false }) is waiting: drain stops when no file waits for its summary. */
  private holdTimeline = 0;
  private draining: Promise<void> | null = null;
  private closed = false;
  private watchErrorLogged = false;
  private readonly known = new Map<string, Known>();
  /**
   * The files of `known` modified within liveWindowMs when last seen: the only ones the 5 s tick
   * re-stats. A tick that walked all of `known` cost ~100 ms of CPU per 5 s at 20,000 history files
   * (the loop runs too seldom to stay compiled), which is what idle cost must not grow with.
   */
  private readonly live = new Set<string>();
  /** Sum of max(0, size - scanned) over `known`, kept as entries change, so status() walks nothing. */
  private behind = 0;
  private lastImportAt: string | null = null;
  private malformedLines = 0;
  private readonly failures = new Map<string, { count: number; until: number; error: string }>();
  /** Importer rows not yet in the search index (src/sidecar/search-index.ts). */
  private indexDirty = true;
  /** flush({ index: false }) is waiting: drain stops when the import queue is empty. */
  private holdIndex = 0;
  private readonly indexer: SearchIndexer;
  private readonly pacer: BatchPacer = { targetMs: WRITE_HOLD_MS, minBytes: 16 * 1024, maxBytes: MAX_BATCH_BYTES, bytesPerMs: {}, minGapMs: WRITE_GAP_MS, lastEnd: 0 };
  private readonly getScanned: Database.Statement<[string], { size: number }>;
  private readonly getClaudeScanned: Database.Statement<[string], { size: number }>;
  private readonly getSummarized: Database.Statement<[string], { size: number }>;
  private readonly getClaudeSummarized: Database.Statement<[string], { size: number }>;

  private constructor(opts: EngineOptions) {
    this.opts = { log: () => {}, sweepIntervalMs: 5_000, fullSweepIntervalMs: 600_000, liveWindowMs: 2 * 3_600_000, ...opts };
    this.heap = new HeapReleaser(opts.heapReleaseBytes);
    const codexHome = path.resolve(opts.codexHome);
    this.roots = ROOTS.map((r): Root => ({ dir: path.join(codexHome, r), kind: 'codex' }));
    if (opts.claudeDir) this.roots.push({ dir: path.join(path.resolve(opts.claudeDir), 'projects'), kind: 'claude' });
    this.db = new Database(opts.dbPath);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // Bulk writes: keep more of the B-tree pages in memory (default 2 MB), temporaries off disk.
    this.db.pragma('cache_size = -16384');
    this.db.pragma('temp_store = MEMORY');
    this.db.pragma(`wal_autocheckpoint = ${WORKER_AUTOCHECKPOINT_PAGES}`);
    migrateHostSchema(this.db);
    if (opts.writeTurn) this.pacer.turn = new WriteTurn(opts.writeTurn);
    this.indexer = new SearchIndexer(this.db, this.pacer);
    this.getScanned = this.db.prepare<[string], { size: number }>('SELECT size FROM codex_rollout_files WHERE path = ?');
    this.getClaudeScanned = this.db.prepare<[string], { size: number }>('SELECT size FROM claude_transcript_files WHERE path = ?');
    this.getSummarized = this.db.prepare<[string], { size: number }>('SELECT size FROM codex_rollout_summaries WHERE path = ?');
    this.getClaudeSummarized = this.db.prepare<[string], { size: number }>('SELECT size FROM claude_transcript_summaries WHERE path = ?');
    this.malformedLines = this.sumMalformed();
  }

  /** Async for its callers' sake (a future start may wait for the folder watches); today it is ready at once. */
  static start(opts: EngineOptions): Promise<RolloutEngine> {
    const engine = new RolloutEngine(opts);
    engine.ensureWatching();
    engine.sweep(true);
    engine.kick();
    engine.watchConsent();
    engine.scheduleTick();
    return Promise.resolve(engine);
  }

  status(): WatcherStatus {
    let lastError: string | null = null;
    for (const f of this.failures.values()) lastError = f.error;
    return {
      running: !this.closed, files: this.known.size, behindBytes: this.behind, lastImportAt: this.lastImportAt, malformedLines: this.malformedLines,
      failingFiles: this.failures.size, lastError, timelinePending: this.timeline.size,
    };
  }

  /**
   * Sweep now (every file) and resolve when everything found so far is imported and (unless
   * `index: false`) searchable. `timeline: false`: resolve once every file's summary is in (the
   * history's timeline rows, and the index after them, follow in the background).
   */
  async flush(opts: { index?: boolean; timeline?: boolean } = {}): Promise<void> {
    const holdIndex = opts.index === false || opts.timeline === false;
    const holdTimeline = opts.timeline === false;
    if (holdIndex) this.holdIndex++;
    if (holdTimeline) this.holdTimeline++;
    try {
      this.ensureWatching();
      this.sweep(true);
      this.kick();
      while (this.draining) await this.draining;
    } finally {
      if (holdIndex) this.holdIndex--;
      if (holdTimeline) this.holdTimeline--;
      // What was held catches up in the background: after the caller has resumed, not inside this call.
      if (holdIndex || holdTimeline) setImmediate(() => this.kick());
    }
  }

  /** How far the deferred search index has got. */
  indexStatus(): { pending: number; percent: number } {
    return indexStatus(this.db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.consentWatch?.close();
    for (const t of this.rechecks.values()) clearTimeout(t);
    this.rechecks.clear();
    for (const w of this.ancestorWatches.values()) w.close();
    this.ancestorWatches.clear();
    for (const w of this.dirWatches.values()) w.close();
    this.dirWatches.clear();
    while (this.draining) await this.draining;
    this.db.close();
  }

  /** Import a Claude transcript named by a hook, wherever it is (it is remembered as a Claude file). */
  importClaudeFile(file: string): void {
    if (this.closed) return;
    const full = path.resolve(file);
    if (!this.rootOf(full)) this.extraClaude.add(full);
    this.enqueue(full);
    this.kick();
  }

  /** Folders watched right now (tests and status). */
  watchedDirs(): number {
    return this.dirWatches.size;
  }

  private rootOf(file: string): Root | null {
    for (const r of this.roots) if (file.startsWith(r.dir + path.sep)) return r;
    return null;
  }

  private kindOf(file: string): FileKind {
    return this.extraClaude.has(file) ? 'claude' : this.rootOf(file)?.kind ?? 'codex';
  }

  private matches(root: Root, name: string): boolean {
    return root.kind === 'codex' ? isRolloutFileName(name) : CLAUDE_NAME.test(name);
  }

  private claudeAllowed(): boolean {
    const file = this.opts.claudeConsentFile;
    if (!file) return true;
    try {
      const s = JSON.parse(fs.readFileSync(file, 'utf8')) as { agentMonitorEnabled?: unknown; hooksEnabled?: unknown };
      return s.agentMonitorEnabled !== false && s.hooksEnabled === true;
    } catch {
      return false; // no consent file (or unreadable): no consent
    }
  }

  /** Roots read right now: the Claude one only with consent (when tracking is turned off, its watches close). */
  private activeRoots(): Root[] {
    if (this.roots.every((r) => r.kind === 'codex')) return this.roots;
    if (this.claudeAllowed()) return this.roots;
    for (const r of this.roots) {
      if (r.kind !== 'claude') continue;
      for (const [dir, w] of this.dirWatches) {
        if (dir === r.dir || dir.startsWith(r.dir + path.sep)) {
          w.close();
          this.dirWatches.delete(dir);
        }
      }
      this.ancestorWatches.get(r.dir)?.close();
      this.ancestorWatches.delete(r.dir);
      // Nor does the live sweep look at them any more.
      for (const file of [...this.known.keys()]) if (file.startsWith(r.dir + path.sep)) this.forget(file);
      for (const file of this.queue) if (file.startsWith(r.dir + path.sep)) this.queue.delete(file);
      for (const file of this.timeline) if (file.startsWith(r.dir + path.sep)) this.timeline.delete(file);
    }
    return this.roots.filter((r) => r.kind !== 'claude');
  }

  /** Watch every root that exists (its folders are added by the sweep); wait for the others. */
  private ensureWatching(): void {
    if (this.closed) return;
    const active = this.activeRoots();
    this.active = active;
    for (const root of active) {
      if (this.dirWatches.has(root.dir)) continue;
      if (fs.existsSync(root.dir)) {
        this.ancestorWatches.get(root.dir)?.close();
        this.ancestorWatches.delete(root.dir);
        this.watchDir(root, root.dir);
        // A root that became readable after the start (consent given, folder created): its history now.
        if (this.lastFullSweep > 0 && this.dirWatches.has(root.dir)) this.scanDir(root, root.dir);
      } else {
        this.watchAncestor(root);
      }
    }
  }

  private watchAncestor(root: Root): void {
    if (this.ancestorWatches.has(root.dir) || this.closed) return;
    let dir = path.dirname(root.dir);
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    try {
      const w = fs.watch(dir, { persistent: false }, () => this.onAncestorEvent(root));
      w.on('error', () => {
        w.close();
        if (this.ancestorWatches.get(root.dir) === w) this.ancestorWatches.delete(root.dir); // the sweep retries
      });
      this.ancestorWatches.set(root.dir, w);
    } catch {
      return; // the sweep retries
    }
    // The folders may have appeared between the existence check and the watch.
    if (fs.existsSync(path.join(dir, path.relative(dir, root.dir).split(path.sep)[0]!))) this.onAncestorEvent(root);
  }

  private onAncestorEvent(root: Root): void {
    this.ancestorWatches.get(root.dir)?.close();
    this.ancestorWatches.delete(root.dir);
    if (this.closed) return;
    if (!fs.existsSync(root.dir)) {
      this.watchAncestor(root); // a deeper ancestor appeared: move the watch down
      return;
    }
    this.watchDir(root, root.dir);
    this.scanDir(root, root.dir);
    this.kick();
  }

  /** One fs.watch on `dir` (not recursive: every sub-folder gets its own, added as it is found). */
  private watchDir(root: Root, dir: string): void {
    if (this.closed || this.dirWatches.has(dir)) return;
    let w: fs.FSWatcher;
    try {
      w = fs.watch(dir, { persistent: false }, (_event, name) => this.onDirEvent(root, dir, name === null ? null : String(name)));
    } catch (err) {
      // ENOSPC (inotify watches exhausted), EACCES…: that folder is covered by the sweeps only.
      if (!this.watchErrorLogged) {
        this.watchErrorLogged = true;
        this.opts.log(`[history] cannot watch ${dir}: ${(err as Error).message}; relying on the periodic sweep there`);
      }
      return;
    }
    w.on('error', () => {
      w.close();
      if (this.dirWatches.get(dir) === w) this.dirWatches.delete(dir);
    });
    this.dirWatches.set(dir, w);
  }

  private onDirEvent(root: Root, dir: string, name: string | null): void {
    if (this.closed) return;
    if (name === null) {
      this.scanDir(root, dir); // the platform did not say which entry: look at the folder
      this.kick();
      return;
    }
    const full = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(full);
    } catch {
      const w = this.dirWatches.get(full); // a watched folder went away
      if (w) {
        w.close();
        this.dirWatches.delete(full);
      }
      return;
    }
    if (st.isDirectory()) {
      if (!this.dirWatches.has(full)) {
        this.watchDir(root, full);
        this.scanDir(root, full); // files created before the watch started
      }
    } else if (st.isFile() && this.matches(root, name)) {
      this.enqueue(full);
    }
    this.kick();
  }

  /** Queue every matching file under `dir` that differs from its cursor, watching sub-folders too. */
  private scanDir(root: Root, dir: string): void {
    const cursors = this.loadCursors();
    this.walk(root, dir, (file, st) => this.consider(file, st, cursors.get(file)));
  }

  private enqueue(p: string): void {
    const file = path.resolve(p);
    const failed = this.failures.get(file);
    if (failed && Date.now() < failed.until) return; // waiting out its retry delay
    this.queue.add(file);
  }

  private loadCursors(): Map<string, { size: number; ino: string | null; dev: string | null }> {
    const cursors = new Map<string, { size: number; ino: string | null; dev: string | null }>();
    for (const table of ['codex_rollout_files', 'claude_transcript_files']) {
      for (const r of this.db.prepare(`SELECT path, size, ino, dev FROM ${table}`).all() as Array<{ path: string; size: number; ino: string | null; dev: string | null }>) {
        cursors.set(r.path, r);
      }
    }
    return cursors;
  }

  /** Sets a file's entry in `known`, keeping `live` and `behind` true. */
  private remember(file: string, k: Known): void {
    const prev = this.known.get(file);
    if (prev) this.behind -= Math.max(0, prev.size - prev.scanned);
    this.known.set(file, k);
    this.behind += Math.max(0, k.size - k.scanned);
    if (k.mtimeMs >= Date.now() - this.opts.liveWindowMs) this.live.add(file);
    else this.live.delete(file);
  }

  private forget(file: string): void {
    const prev = this.known.get(file);
    if (prev) this.behind -= Math.max(0, prev.size - prev.scanned);
    this.known.delete(file);
    this.live.delete(file);
  }

  private consider(file: string, st: fs.Stats, c: { size: number; ino: string | null; dev: string | null } | undefined): void {
    this.remember(file, { size: st.size, scanned: c ? c.size : 0, mtimeMs: st.mtimeMs });
    if (!c || c.size !== st.size || c.ino !== String(st.ino) || c.dev !== String(st.dev)) this.enqueue(file);
  }

  /**
   * full: walk every root and stat every file against its stored cursor (and re-add folder
   * watches). Otherwise: stat only the live files (modified within liveWindowMs) — the cheap
   * safety net for a missed watch event.
   */
  private sweep(full = false): void {
    if (this.closed) return;
    if (full) {
      this.lastFullSweep = Date.now();
      const cursors = this.loadCursors();
      const seen = new Set<string>();
      for (const root of this.active) this.walk(root, root.dir, (file, st) => {
        seen.add(file);
        this.consider(file, st, cursors.get(file));
      });
      for (const file of [...this.known.keys()]) if (!seen.has(file)) this.forget(file);
    } else {
      const liveSince = Date.now() - this.opts.liveWindowMs;
      for (const file of [...this.live]) {
        const k = this.known.get(file);
        if (!k || k.mtimeMs < liveSince) {
          this.live.delete(file); // quiet for liveWindowMs: history now (the folder watch still sees it)
          continue;
        }
        let st: fs.Stats;
        try {
          st = fs.statSync(file);
        } catch {
          this.forget(file);
          continue;
        }
        if (st.size !== k.scanned || st.mtimeMs !== k.mtimeMs) {
          this.remember(file, { ...k, size: st.size, mtimeMs: st.mtimeMs });
          this.enqueue(file);
        }
      }
    }
    this.reportStatus();
  }

  private walk(root: Root, dir: string, visit: (file: string, st: fs.Stats) => void): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // ENOENT and friends: nothing there (yet)
    }
    if (!this.dirWatches.has(dir)) this.watchDir(root, dir);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) this.walk(root, full, visit);
      else if (e.isFile() && this.matches(root, e.name)) {
        try {
          visit(full, fs.statSync(full));
        } catch {
          // vanished between readdir and stat
        }
      }
    }
  }

  private kick(): void {
    if (this.draining || this.closed || !this.hasWork()) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.hasWork() && !this.closed) this.kick();
    });
  }

  private hasWork(): boolean {
    return this.queue.size > 0 || this.wantsTimeline() || this.wantsIndex();
  }

  private wantsTimeline(): boolean {
    return this.timeline.size > 0 && this.holdTimeline === 0;
  }

  /** The index follows the timeline rows (the rows it indexes). */
  private wantsIndex(): boolean {
    return this.indexDirty && this.holdIndex === 0 && this.timeline.size === 0;
  }

  /**
   * Import every queued file (a never-imported history file: its summary only); then, with the queue
   * empty, the summarized files' timeline rows one file at a time; then index. Whatever arrives
   * meanwhile (an append, a new file) goes first.
   */
  private async drain(): Promise<void> {
    while (!this.closed) {
      if (this.queue.size === 0) {
        if (this.wantsTimeline()) {
          const file = this.timeline.values().next().value as string;
          this.timeline.delete(file);
          // Still history: had it been written to since, it would be in the queue, which goes first.
          this.importOne(file, 'full', true);
        } else if (this.wantsIndex()) {
          try {
            const r = this.indexer.run(INDEX_SLICE_MS);
            if (r.done) this.indexDirty = false;
            if (r.advanced > 0) this.uncheckpointed = true;
          } catch (err) {
            this.opts.log(`[search-index] indexing failed: ${(err as Error).message}; retrying with the next import`);
            this.indexDirty = false;
          }
        } else break;
        await yieldToLoop();
        continue;
      }
      const file = this.queue.values().next().value as string;
      this.queue.delete(file);
      let history = false;
      try {
        history = fs.statSync(file).mtimeMs < Date.now() - this.opts.liveWindowMs;
      } catch {
        // gone: the import says so
      }
      if (history && !this.scannedRow(file)) {
        // Never imported: its summary now, its timeline rows when no file waits for a summary.
        this.importOne(file, 'summary', true);
        if (this.summarizedRow(file)) this.timeline.add(file);
      } else {
        this.timeline.delete(file);
        this.importOne(file, 'full', history);
      }
      await yieldToLoop(); // let watcher events and messages through between files
    }
    if (this.uncheckpointed && !this.closed) this.checkpoint();
    // Caught up: hand the page cache of the bulk writes (up to cache_size) back until the next import.
    if (!this.closed) this.db.pragma('shrink_memory');
    this.releaseHeap();
    this.reportStatus();
  }

  /**
   * One file's import in one phase (`history`: not modified within liveWindowMs, so its rows keep
   * previews). A failure is retried later with a growing delay.
   */
  private importOne(file: string, phase: ImportPhase, history: boolean): void {
    try {
      const importFile: typeof importRolloutFile = this.kindOf(file) === 'claude' ? importClaudeFile : importRolloutFile;
      const res: ImportResult = importFile(this.db, file, {
        phase,
        ...(history ? { previewChars: HISTORY_PREVIEW_CHARS } : {}),
        log: this.opts.log,
        // Short write transactions: the HTTP thread's hook inserts wait for at most one of them.
        batchBytes: IMPORT_BATCH_BYTES,
        batchLines: 100_000,
        pacer: this.pacer,
        onBatch: (change) => {
          this.lastImportAt = new Date().toISOString();
          if (change.inserted > 0) this.indexDirty = true;
          this.uncheckpointed = true;
          const { bytes: _bytes, ...forMain } = change;
          this.opts.onChange(forMain);
        },
      });
      // The full phase reads a summarized file's malformed lines again: they are counted there.
      if (phase === 'full') this.malformedLines += res.malformed;
      const row = this.scannedRow(file);
      let size = row?.size ?? 0;
      let mtimeMs = 0;
      try {
        const st = fs.statSync(file);
        size = st.size;
        mtimeMs = st.mtimeMs;
      } catch {
        // gone
      }
      this.remember(file, { size, scanned: row?.size ?? 0, mtimeMs });
      this.failures.delete(file);
      this.scheduleRecheck(file, phase);
    } catch (err) {
      // Retried later with a growing delay (a full disk, a locked DB…), never in a hot loop.
      const prev = this.failures.get(file);
      const count = (prev?.count ?? 0) + 1;
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (count - 1));
      const error = `${file}: ${(err as Error).message}`;
      this.failures.set(file, { count, until: Date.now() + delay, error });
      if (!prev || prev.error !== error) this.opts.log(`[rollout] import of ${file} failed: ${(err as Error).message}; retrying in ${delay} ms and later`);
    }
  }

  /** Appends that landed while `file` was read (in `phase`): looked at once more, a little later. */
  private scheduleRecheck(file: string, phase: ImportPhase): void {
    if (this.closed || this.rechecks.has(file)) return;
    const t = setTimeout(() => {
      this.rechecks.delete(file);
      const row = phase === 'summary' ? this.summarizedRow(file) : this.scannedRow(file);
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

  private checkpoint(): void {
    this.uncheckpointed = false;
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /**
   * The safety-net tick: every sweepIntervalMs while a file is live, queued or failing; otherwise
   * IDLE_TICK_FACTOR times less often (the folder watches see appends and new files either way).
   * On an idle machine every wakeup costs CPU, and idle cost must not grow with history.
   */
  private scheduleTick(): void {
    if (this.closed) return;
    const busy = this.live.size > 0 || this.queue.size > 0 || this.failures.size > 0 || this.draining !== null;
    this.sweepTimer = setTimeout(() => this.tick(), busy ? this.opts.sweepIntervalMs : this.opts.sweepIntervalMs * IDLE_TICK_FACTOR);
    this.sweepTimer.unref?.();
  }

  private tick(): void {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    if (this.closed) return;
    this.ensureWatching();
    this.sweep(Date.now() - this.lastFullSweep >= this.opts.fullSweepIntervalMs);
    this.kick();
    // The hook stores' pages: the HTTP thread leaves their checkpoint to this thread (EngineOptions.writeTurn).
    if (this.opts.writeTurn && !this.draining && !this.closed) this.checkpointHookPages();
    if (!this.draining) this.releaseHeap(); // a full sweep's garbage (a drain releases at its end)
    this.scheduleTick();
  }

  private reportStatus(): void {
    if (!this.opts.onStatus) return;
    const status = this.status();
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.opts.onStatus(status);
  }

  /** Caught up: give back the heap that bulk work grew (src/sidecar/rollout/heap-release.ts). */
  private releaseHeap(): void {
    if (this.closed) return;
    const r = this.heap.release();
    if (r) this.opts.log(`[rollout] caught up: heap ${(r.before / 1048576).toFixed(0)} MB -> ${(r.after / 1048576).toFixed(0)} MB`);
  }

  /**
   * Tracking turned on or off (the consent file rewritten): tick now. The file itself is watched,
   * not its folder, which also holds the database and would wake this thread on every commit. A
   * rewrite by rename ends the watch on the old file, so each event re-arms it on the new one.
   */
  private watchConsent(): void {
    const file = this.opts.claudeConsentFile;
    this.consentWatch?.close();
    this.consentWatch = null;
    if (!file || this.closed || !this.roots.some((r) => r.kind === 'claude')) return;
    try {
      this.consentWatch = fs.watch(file, () => {
        if (this.consentPending) return;
        this.consentPending = true;
        setTimeout(() => {
          this.consentPending = false;
          this.watchConsent();
          this.tick();
        }, 50).unref?.();
      });
      this.consentWatch.on('error', () => {
        this.consentWatch?.close();
        this.consentWatch = null; // the tick still reads the file
      });
    } catch {
      this.consentWatch = null; // no consent file yet: the tick reads it when it appears
    }
  }

  /** On the sweep tick: a checkpoint that fails (a full disk) is logged and tried again next tick. */
  private checkpointHookPages(): void {
    try {
      this.checkpoint();
    } catch (err) {
      this.opts.log(`[rollout] WAL checkpoint failed: ${(err as Error).message}`);
    }
  }

  private scannedRow(file: string): { size: number } | undefined {
    return this.kindOf(file) === 'claude' ? this.getClaudeScanned.get(file) : this.getScanned.get(file);
  }

  private summarizedRow(file: string): { size: number } | undefined {
    return this.kindOf(file) === 'claude' ? this.getClaudeSummarized.get(file) : this.getSummarized.get(file);
  }

  private sumMalformed(): number {
    const row = this.db.prepare(`SELECT (SELECT COALESCE(SUM(malformed_count), 0) FROM codex_rollout_files)
                                      + (SELECT COALESCE(SUM(malformed_count), 0) FROM claude_transcript_files) AS n`).get() as { n: number };
    return row.n;
  }
}
