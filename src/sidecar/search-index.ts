/**
 * The deferred part of the full-text index (docs/contracts.md "Search"). Rows the hook route
 * stores (source 'hook') are indexed by a trigger as they are inserted; rows the importers store
 * (source 'rollout': Codex rollouts and Claude transcripts, often a whole history at once) are
 * indexed afterwards, by the worker, in steps:
 *
 * - `host_meta.fts_indexed_id` is the id up to which every row is in `events_fts`. Event ids are
 *   AUTOINCREMENT (never reused) and assigned under the write lock, so every row above the mark is
 *   visible to the step that advances it, and the mark moves in the same transaction as the
 *   index entries it covers: a restart resumes exactly where the last committed step ended.
 * - A step indexes the importer rows in (mark, mark + n] in one short transaction (the write lock
 *   is shared with the HTTP thread's hook inserts); hook rows in that range are already indexed.
 *
 * Indexing in bulk after the import is cheaper than a trigger per row inside small import
 * transactions (fewer, larger FTS5 segments) and keeps the tokenizing out of the import's
 * write-lock holds. Search answers say how far the index has got (`indexStatus`).
 */
import type Database from 'better-sqlite3';
import { FTS_MARK_KEY, searchTextSql } from './dashboard-schema.js';
import { awaitGap, type BatchPacer } from './tail-import.js';

export interface IndexStatus {
  /** Event ids above the indexed mark (importer rows not yet searchable; an upper bound). */
  pending: number;
  /** Share of event ids at or below the mark, 0–100 (100 when nothing is pending). */
  percent: number;
}

interface Stmts {
  mark: Database.Statement<[], { value: string } | undefined>;
  maxId: Database.Statement<[], { id: number | null }>;
  index: Database.Statement;
  setMark: Database.Statement;
}

const cache = new WeakMap<Database.Database, Stmts>();

function stmts(db: Database.Database): Stmts {
  let s = cache.get(db);
  if (!s) {
    s = {
      mark: db.prepare(`SELECT value FROM host_meta WHERE key = '${FTS_MARK_KEY}'`),
      maxId: db.prepare(`SELECT MAX(id) AS id FROM events`),
      index: db.prepare(`INSERT INTO events_fts(rowid, body) SELECT e.id, ${searchTextSql('e')} FROM events e
                          WHERE e.id > @from AND e.id <= @to AND e.source <> 'hook'`),
      setMark: db.prepare(`INSERT INTO host_meta (key, value) VALUES ('${FTS_MARK_KEY}', @to)
                           ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
    };
    cache.set(db, s);
  }
  return s;
}

function markOf(s: Stmts): number {
  const v = Number(s.mark.get()?.value ?? 0);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

export function indexStatus(db: Database.Database): IndexStatus {
  const s = stmts(db);
  const mark = markOf(s);
  const max = s.maxId.get()?.id ?? 0;
  const pending = Math.max(0, max - mark);
  return { pending, percent: pending === 0 ? 100 : Math.floor((100 * mark) / max) };
}

/**
 * Index the importer rows with ids in (mark, mark + maxIds] and move the mark, in one transaction.
 * Returns how many ids the mark moved and whether it reached the newest row.
 */
export function indexStep(db: Database.Database, maxIds: number): { advanced: number; done: boolean } {
  const s = stmts(db);
  return db.transaction(() => {
    const from = markOf(s);
    const max = s.maxId.get()?.id ?? 0;
    if (from >= max) return { advanced: 0, done: true };
    const to = Math.min(max, from + Math.max(1, Math.floor(maxIds)));
    s.index.run({ from, to });
    s.setMark.run({ to: String(to) });
    return { advanced: to - from, done: to >= max };
  }).immediate();
}

/**
 * Steps until the mark reaches the newest row or `budgetMs` is spent; each step sized so that it
 * holds the write lock for about the pacer's `targetMs` (from the measured ids per ms), with the
 * pacer's lock-free gap between steps (the same pacer as the import's: src/sidecar/tail-import.ts).
 */
export class SearchIndexer {
  private idsPerMs = 20;

  constructor(private readonly db: Database.Database, private readonly pacer: BatchPacer) {}

  /** Indexes for up to about `budgetMs`; `done` when everything is indexed. */
  run(budgetMs: number): { done: boolean; advanced: number } {
    const t0 = performance.now();
    let advanced = 0;
    for (;;) {
      const n = Math.max(16, Math.floor(this.idsPerMs * this.pacer.targetMs));
      awaitGap(this.pacer);
      const t = performance.now();
      const r = indexStep(this.db, n);
      this.pacer.lastEnd = performance.now();
      const took = this.pacer.lastEnd - t;
      advanced += r.advanced;
      if (r.advanced > 0 && took > 0.05) {
        // Smoothed, so one slow step (a checkpoint, a busy CPU) does not collapse the next ones.
        this.idsPerMs = Math.min(r.advanced / took, 0.7 * this.idsPerMs + 0.3 * (r.advanced / took));
      }
      if (r.done) return { done: true, advanced };
      if (performance.now() - t0 >= budgetMs) return { done: false, advanced };
    }
  }
}
