/**
 * Team sync: pushes this sidecar's deduplicated sessions, events and token/cost facts to the
 * team's PostgreSQL (docs/contracts.md "Team sync"). Opt-in: started only when
 * AGENT_MONITOR_TEAM_DB_URL is set. Outbound only (a client connection; nothing listens).
 *
 * Delivery: each stream (sessions, events, usage) reads a bounded batch after its cursor in
 * team_outbox, writes it in ONE PostgreSQL transaction with ON CONFLICT on the global identity
 * (session_id, dedup_key), and moves the cursor only after COMMIT. A crash anywhere in between
 * repeats the batch, which the server absorbs: at-least-once here, exactly once there.
 *
 * Where it runs: on the sidecar's HTTP thread, with its OWN SQLite connection. The PostgreSQL side
 * is asynchronous I/O; the synchronous part is one bounded read (at most BATCH_ROWS rows and
 * BATCH_BYTES of text) plus building the parameter arrays, and the loop yields to the event loop
 * between batches. The status lives where `GET /api/host/status` is answered, with no messaging.
 * The rollout worker thread was the alternative; it is busy for seconds during large imports, and
 * sync would then wait behind them.
 *
 * Offline: a failed connect or push is retried with exponential backoff (1 s doubling, capped at
 * AGENT_MONITOR_TEAM_BACKOFF_MAX_MS, 60 s by default) with jitter; the local rows wait in SQLite, so
 * catching up is just more batches. Secrets never reach a log or the status: every URL and every
 * driver message goes through redactUrl / redactSecretsIn.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { redactSecretsIn, redactUrl } from '../../shared/redact-url.js';
import { costOf, loadPricing, ratesFor, type PriceTable } from '../pricing/pricing.js';
import type { MachineIdentity } from './machine.js';
import { advanceCursor, ensureTeamChangeFeeds, readCursor } from './outbox.js';
import { withWriteTurn, type WriteTurn } from '../write-turn.js';
import type { UsageRecordRow } from '../usage/records.js';
import { migrateTeamSchema, USAGE_DAILY_SOURCE_COLUMNS, usageDailyAddSql } from './pg-schema.js';

export const STREAMS = { sessions: 'team_sessions', events: 'team_events', usage: 'team_usage' } as const;

/** Rows and bytes of one batch: bounds the synchronous SQLite read and the size of one transaction. */
export const BATCH_ROWS = 1000;
export const BATCH_BYTES = 4 * 1024 * 1024;

export type TeamSyncState = 'starting' | 'connecting' | 'syncing' | 'idle' | 'offline' | 'error' | 'stopped';

export interface TeamSyncStatus {
  state: TeamSyncState;
  /** ISO time of the last committed push (null: none since start). */
  last_push_at: string | null;
  /** Local rows not pushed yet (sessions revisions + events + usage records). */
  pending: number;
  /** The last failure, redacted; null once a push succeeds. */
  last_error: string | null;
  /** ISO time of the first failure of the current run of failures (null: not failing). */
  failing_since: string | null;
  /** Where it pushes, redacted. */
  target: string;
  share_text: boolean;
  machine_id: string;
  /** Rows pushed since start, and rows the server refused for their content (counted, logged, skipped). */
  pushed: { sessions: number; events: number; usage: number };
  skipped: number;
  schema_version: number | null;
}

export interface TeamPusherOptions {
  dbPath: string;
  url: string;
  identity: MachineIdentity;
  shareText: boolean;
  log?: (msg: string) => void;
  /** Poll for new local rows this often when caught up (ms). */
  intervalMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Rows per batch (default BATCH_ROWS). */
  batchRows?: number;
  /** The HTTP thread's claim on the write lock (src/sidecar/write-turn.ts), for the cursor writes. */
  writeTurn?: WriteTurn;
}

interface SessionRow {
  rev: number;
  id: string;
  harness: string | null;
  parent_session_id: string | null;
  cwd: string | null;
  model: string | null;
  name: string | null;
  started_at: string | null;
  updated_at: string | null;
  ended_at: string | null;
  status: string | null;
  event_count: number | null;
  live: number;
}

interface EventRow {
  id: number;
  session_id: string;
  dedup_key: string | null;
  created_at: string;
  hook_type: string;
  tool_name: string | null;
  source: string | null;
  summary: string | null;
  data: string | null;
}

/** A usage record with its place in the change log. */
interface UsageRow extends UsageRecordRow {
  seq: number;
}

/** A batch ready for the server: rows as column arrays, and the cursor it reaches. */
interface Batch {
  stream: string;
  cursor: number;
  rows: number;
  /** Rows in the batch that could not be turned into a server row (bad timestamp): counted, skipped. */
  invalid: number;
  write: (client: pg.ClientBase) => Promise<void>;
}


function toIso(text: string | null): string | null {
  if (!text) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** PostgreSQL text cannot hold NUL, and jsonb refuses \u0000 and lone surrogates. */
function cleanText(s: string): string {
  return s.replace(/\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function cleanJson(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return JSON.stringify({ unparsed: cleanText(text) });
  }
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? cleanText(v) : v));
}

function projectOf(cwd: string | null): string | null {
  if (!cwd) return null;
  const parts = cwd.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || cwd;
}

export class TeamPusher {
  private readonly db: Database.Database;
  private readonly opts: Required<Omit<TeamPusherOptions, 'log' | 'writeTurn'>> & Pick<TeamPusherOptions, 'writeTurn'> & { log: (msg: string) => void };
  private readonly target: string;
  private client: pg.Client | null = null;
  private clientBroken = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly st: TeamSyncStatus;
  private lastLoggedError: string | null = null;
  private stmtCache: {
    sessions: Database.Statement;
    events: Database.Statement;
    eventsText: Database.Statement;
    usage: Database.Statement;
    pendingSessions: Database.Statement;
    pendingEvents: Database.Statement;
    pendingUsage: Database.Statement;
  } | null = null;

  constructor(options: TeamPusherOptions) {
    this.opts = {
      intervalMs: 2000,
      backoffMinMs: 1000,
      backoffMaxMs: 60_000,
      batchRows: BATCH_ROWS,
      ...options,
      log: options.log ?? ((m) => console.log(`[agent-monitor-host] ${m}`)),
    };
    this.target = redactUrl(options.url);
    this.st = {
      state: 'starting',
      last_push_at: null,
      pending: 0,
      last_error: null,
      failing_since: null,
      target: this.target,
      share_text: options.shareText,
      machine_id: options.identity.machineId,
      pushed: { sessions: 0, events: 0, usage: 0 },
      skipped: 0,
      schema_version: null,
    };
    this.db = new Database(options.dbPath);
    // Short: a write lock held by the rollout worker delays the cursor write (retried next cycle),
    // never the HTTP thread for seconds.
    this.db.pragma('busy_timeout = 1000');
  }

  /**
   * The change feeds (created on first use; a busy database makes this throw, and the loop retries
   * with backoff) and the statements over them.
   */
  private get stmts(): NonNullable<TeamPusher['stmtCache']> {
    if (this.stmtCache) return this.stmtCache;
    ensureTeamChangeFeeds(this.db);
    const textCols = 'e.summary, e.data';
    const eventsSql = (text: boolean): string => `SELECT e.id, e.session_id, e.dedup_key, e.created_at, e.hook_type, e.tool_name, e.source,
        ${text ? textCols : 'NULL AS summary, NULL AS data'} FROM events e WHERE e.id > ? ORDER BY e.id LIMIT ?`;
    this.stmtCache = {
      sessions: this.db.prepare(`SELECT r.rev, s.id, s.harness, s.parent_session_id, s.cwd, COALESCE(s.model, u.model) AS model, s.name,
          s.started_at, s.updated_at, s.ended_at, s.status, s.event_count,
          EXISTS (SELECT 1 FROM events e WHERE e.session_id = s.id AND e.seen_by IN ('hook', 'hook,rollout')) AS live
        FROM team_session_rev r JOIN sessions s ON s.id = r.session_id LEFT JOIN usage_session_state u ON u.session_id = s.id
        WHERE r.rev > ? ORDER BY r.rev LIMIT ?`),
      events: this.db.prepare(eventsSql(false)),
      eventsText: this.db.prepare(eventsSql(true)),
      usage: this.db.prepare(`SELECT l.seq, u.usage_key, u.session_id, u.harness, u.model, u.turn_id, u.at, u.input_tokens, u.output_tokens,
          u.cache_read_tokens, u.cache_write_tokens, u.reasoning_tokens
        FROM team_usage_log l JOIN usage_records u ON u.usage_key = l.usage_key WHERE l.seq > ? ORDER BY l.seq LIMIT ?`),
      pendingSessions: this.db.prepare('SELECT COUNT(*) AS n FROM team_session_rev WHERE rev > ?'),
      pendingEvents: this.db.prepare('SELECT COUNT(*) AS n FROM events WHERE id > ?'),
      pendingUsage: this.db.prepare('SELECT COUNT(*) AS n FROM team_usage_log WHERE seq > ?'),
    };
    return this.stmtCache;
  }

  status(): TeamSyncStatus {
    return { ...this.st, pushed: { ...this.st.pushed } };
  }

  start(): void {
    if (this.loop) return;
    this.opts.log(`team sync: pushing to ${this.target} as machine ${this.opts.identity.machineId} (${this.opts.identity.machineName}); text ${this.opts.shareText ? 'shared' : 'not shared'}`);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop?.catch(() => undefined);
    await this.dropClient();
    this.st.state = 'stopped';
    try {
      this.db.close();
    } catch {
      // already closed
    }
  }

  private async wait(ms: number): Promise<void> {
    if (this.stopped) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
    this.wake = null;
  }

  private async run(): Promise<void> {
    let delay = this.opts.backoffMinMs;
    while (!this.stopped) {
      try {
        this.refreshPending();
        const client = await this.connect();
        const pushedAny = await this.pushAll(client);
        delay = this.opts.backoffMinMs;
        this.st.last_error = null;
        this.st.failing_since = null;
        this.lastLoggedError = null;
        this.st.state = 'idle';
        this.refreshPending();
        if (!pushedAny || this.st.pending === 0) await this.wait(this.opts.intervalMs);
      } catch (err) {
        if (this.stopped) break;
        await this.dropClient();
        const msg = redactSecretsIn(err instanceof Error ? err.message : String(err), this.opts.url);
        this.st.last_error = msg;
        this.st.failing_since ??= new Date().toISOString();
        this.st.state = (err as { name?: string }).name === 'NewerTeamSchemaError' ? 'error' : 'offline';
        if (msg !== this.lastLoggedError) this.opts.log(`team sync: ${msg}; retrying with backoff (up to ${Math.round(this.opts.backoffMaxMs / 1000)} s)`);
        this.lastLoggedError = msg;
        const jitter = 0.8 + Math.random() * 0.4;
        await this.wait(Math.round(delay * jitter));
        delay = Math.min(delay * 2, this.opts.backoffMaxMs);
      }
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client && !this.clientBroken) return this.client;
    await this.dropClient();
    this.st.state = 'connecting';
    const client = new pg.Client({
      connectionString: this.opts.url,
      connectionTimeoutMillis: 10_000,
      // A server that vanishes mid-query must not hang the loop.
      query_timeout: 120_000,
      keepAlive: true,
      application_name: 'agent-monitor',
    });
    // An idle connection that drops emits 'error'; without a listener that would crash the sidecar.
    client.on('error', () => {
      this.clientBroken = true;
    });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.clientBroken = false;
    const migrated = await migrateTeamSchema(client, { appliedBy: this.opts.identity.machineId, log: this.opts.log });
    if (migrated.applied.length) this.opts.log(`team sync: database schema migrated from version ${migrated.from} to ${migrated.to}`);
    this.st.schema_version = migrated.to;
    await this.upsertMachine(client, false);
    return client;
  }

  private async dropClient(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.clientBroken = false;
    if (c) await c.end().catch(() => undefined);
  }

  private async upsertMachine(client: pg.ClientBase, pushed: boolean): Promise<void> {
    const id = this.opts.identity;
    await client.query(
      `INSERT INTO am_machines (machine_id, machine_name, person, last_push_at) VALUES ($1, $2, $3, CASE WHEN $4 THEN now() END)
       ON CONFLICT (machine_id) DO UPDATE SET machine_name = excluded.machine_name, person = excluded.person, last_seen = now(),
         last_push_at = COALESCE(excluded.last_push_at, am_machines.last_push_at)`,
      [id.machineId, id.machineName, id.person, pushed],
    );
  }

  private refreshPending(): void {
    try {
      const n = (s: Database.Statement, stream: string): number => (s.get(readCursor(this.db, stream)) as { n: number }).n;
      this.st.pending = n(this.stmts.pendingSessions, STREAMS.sessions) + n(this.stmts.pendingEvents, STREAMS.events) + n(this.stmts.pendingUsage, STREAMS.usage);
    } catch {
      // busy: keep the last figure
    }
  }

  /** Pushes every stream until caught up. Returns true when anything was pushed. */
  private async pushAll(client: pg.Client): Promise<boolean> {
    let any = false;
    let pricing: PriceTable | null = null;
    for (;;) {
      let round = 0;
      // Sessions first: a fact's session row is normally there before the fact.
      for (const stream of [STREAMS.sessions, STREAMS.events, STREAMS.usage]) {
        if (this.stopped) return any;
        if (stream === STREAMS.usage) pricing ??= loadPricing(this.db);
        const batch = this.readBatch(stream, pricing);
        if (!batch) continue;
        this.st.state = 'syncing';
        await this.commit(client, batch);
        round += batch.rows;
        any = true;
        // Yield: HTTP requests queued during the read run now.
        await new Promise<void>((r) => setImmediate(r));
      }
      if (round === 0) return any;
      this.refreshPending();
    }
  }

  private async commit(client: pg.Client, batch: Batch): Promise<void> {
    let refused = 0;
    try {
      await client.query('BEGIN');
      await batch.write(client);
      await this.upsertMachine(client, true);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // A data error (SQLSTATE class 22: a value PostgreSQL refuses) in one row must not stop the
      // stream forever: push the batch row by row and skip, count and log the rows refused.
      if (String((err as { code?: string }).code ?? '').startsWith('22') && batch.rows > 1) {
        await this.commitRowByRow(client, batch);
        return;
      }
      if (String((err as { code?: string }).code ?? '').startsWith('22')) {
        refused = batch.rows;
        this.opts.log(`team sync: the server refused a ${batch.stream} row at cursor ${batch.cursor} (${redactSecretsIn((err as Error).message, this.opts.url)}); skipped`);
      } else {
        throw err;
      }
    }
    withWriteTurn(this.opts.writeTurn, () => advanceCursor(this.db, batch.stream, batch.cursor));
    this.count(batch.stream, batch.rows - batch.invalid - refused);
    this.st.skipped += batch.invalid + refused;
    this.st.last_push_at = new Date().toISOString();
  }

  private async commitRowByRow(client: pg.Client, batch: Batch): Promise<void> {
    const from = readCursor(this.db, batch.stream);
    let cursor = from;
    for (;;) {
      const one = this.readBatch(batch.stream, null, cursor, 1);
      if (!one || one.cursor > batch.cursor) break;
      await this.commit(client, one); // a single row: refused rows are skipped inside
      cursor = one.cursor;
    }
  }

  private count(stream: string, n: number): void {
    if (stream === STREAMS.sessions) this.st.pushed.sessions += n;
    else if (stream === STREAMS.events) this.st.pushed.events += n;
    else this.st.pushed.usage += n;
  }

  private readBatch(stream: string, pricing: PriceTable | null, after?: number, limit = this.opts.batchRows): Batch | null {
    const cursor = after ?? readCursor(this.db, stream);
    if (stream === STREAMS.sessions) return this.sessionBatch(cursor, limit);
    if (stream === STREAMS.events) return this.eventBatch(cursor, limit);
    return this.usageBatch(cursor, limit, pricing ?? loadPricing(this.db));
  }

  private sessionBatch(after: number, limit: number): Batch | null {
    const rows = this.stmts.sessions.all(after, limit) as SessionRow[];
    if (rows.length === 0) return null;
    const share = this.opts.shareText;
    const machine = this.opts.identity.machineId;
    const cols = {
      id: rows.map((r) => r.id),
      live: rows.map((r) => r.live === 1),
      agent: rows.map((r) => (r.harness === 'codex' ? 'codex' : 'claude')),
      parent: rows.map((r) => r.parent_session_id),
      project: rows.map((r) => projectOf(r.cwd)),
      cwd: rows.map((r) => r.cwd),
      model: rows.map((r) => r.model),
      title: rows.map((r) => (share && r.name ? cleanText(r.name) : null)),
      started: rows.map((r) => toIso(r.started_at)),
      last: rows.map((r) => toIso(r.updated_at)),
      ended: rows.map((r) => toIso(r.ended_at)),
      status: rows.map((r) => r.status),
      count: rows.map((r) => r.event_count ?? 0),
    };
    return {
      stream: STREAMS.sessions,
      cursor: rows[rows.length - 1]!.rev,
      rows: rows.length,
      invalid: 0,
      write: async (client) => {
        // The session's machine is the one that saw it live; a live pusher takes a session over
        // from a machine that only imported its files; otherwise the first pusher keeps it, and
        // only its owner updates the row.
        await client.query(
          `INSERT INTO am_sessions (session_id, machine_id, seen_live, agent, parent_session_id, project, cwd, model, title,
                                    started_at, last_event_at, ended_at, status, event_count, updated_at)
           SELECT t.id, $1, t.live, t.agent, t.parent, t.project, t.cwd, t.model, t.title, t.started, t.last, t.ended, t.status, t.count, now()
             FROM unnest($2::text[], $3::bool[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                         $10::timestamptz[], $11::timestamptz[], $12::timestamptz[], $13::text[], $14::int[])
                  AS t(id, live, agent, parent, project, cwd, model, title, started, last, ended, status, count)
           ON CONFLICT (session_id) DO UPDATE SET
             machine_id = excluded.machine_id, seen_live = am_sessions.seen_live OR excluded.seen_live, agent = excluded.agent,
             parent_session_id = COALESCE(excluded.parent_session_id, am_sessions.parent_session_id),
             project = COALESCE(excluded.project, am_sessions.project), cwd = COALESCE(excluded.cwd, am_sessions.cwd),
             model = COALESCE(excluded.model, am_sessions.model), title = COALESCE(excluded.title, am_sessions.title),
             started_at = LEAST(excluded.started_at, am_sessions.started_at),
             last_event_at = GREATEST(excluded.last_event_at, am_sessions.last_event_at),
             ended_at = COALESCE(excluded.ended_at, am_sessions.ended_at), status = excluded.status,
             event_count = excluded.event_count, updated_at = now()
           WHERE am_sessions.machine_id = excluded.machine_id OR (excluded.seen_live AND NOT am_sessions.seen_live)`,
          [machine, cols.id, cols.live, cols.agent, cols.parent, cols.project, cols.cwd, cols.model, cols.title, cols.started, cols.last, cols.ended, cols.status, cols.count],
        );
        await client.query(
          `INSERT INTO am_sightings (machine_id, session_id) SELECT $1, s FROM unnest($2::text[]) AS s ON CONFLICT DO NOTHING`,
          [machine, cols.id],
        );
      },
    };
  }

  private eventBatch(after: number, limit: number): Batch | null {
    const share = this.opts.shareText;
    const stmt = share ? this.stmts.eventsText : this.stmts.events;
    const rows: EventRow[] = [];
    let bytes = 0;
    for (const r of stmt.iterate(after, limit) as IterableIterator<EventRow>) {
      rows.push(r);
      bytes += (r.data?.length ?? 0) + (r.summary?.length ?? 0) + 200;
      if (bytes >= BATCH_BYTES) break; // ends the iteration (and the statement) early
    }
    if (rows.length === 0) return null;
    const machine = this.opts.identity.machineId;
    const valid = rows.filter((r) => toIso(r.created_at) !== null);
    const invalid = rows.length - valid.length;
    for (const r of rows) if (toIso(r.created_at) === null) this.opts.log(`team sync: event ${r.id} has no valid time (${JSON.stringify(r.created_at)}); not pushed`);
    const cols = {
      sid: valid.map((r) => r.session_id),
      // Rows stored before dedup keys existed have none: a key unique to this machine's row.
      key: valid.map((r) => r.dedup_key ?? `local:${machine}:${r.id}`),
      ts: valid.map((r) => toIso(r.created_at)),
      hook: valid.map((r) => r.hook_type),
      tool: valid.map((r) => r.tool_name),
      source: valid.map((r) => r.source),
      summary: valid.map((r) => (share && r.summary !== null ? cleanText(r.summary) : null)),
      body: valid.map((r) => (share && r.data !== null ? cleanJson(r.data) : null)),
    };
    return {
      stream: STREAMS.events,
      cursor: rows[rows.length - 1]!.id,
      rows: rows.length,
      invalid,
      write: async (client) => {
        if (valid.length === 0) return;
        // A row pushed without text (by a machine that does not share it) gets the text from a
        // machine that does; nothing else about a fact ever changes.
        await client.query(
          `INSERT INTO am_events (session_id, dedup_key, ts, hook_type, tool_name, source, summary, body)
           SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
           ON CONFLICT (session_id, dedup_key) DO UPDATE SET summary = excluded.summary, body = excluded.body
             WHERE am_events.summary IS NULL AND am_events.body IS NULL AND (excluded.summary IS NOT NULL OR excluded.body IS NOT NULL)`,
          [cols.sid, cols.key, cols.ts, cols.hook, cols.tool, cols.source, cols.summary, cols.body],
        );
      },
    };
  }

  private usageBatch(after: number, limit: number, pricing: PriceTable): Batch | null {
    const rows = this.stmts.usage.all(after, limit) as UsageRow[];
    if (rows.length === 0) {
      // Log entries whose usage row is gone (none are deleted today) would stall nothing: the
      // join skips them and the next read starts after the last seq present.
      return null;
    }
    const valid = rows.filter((r) => toIso(r.at) !== null);
    for (const r of rows) if (toIso(r.at) === null) this.opts.log(`team sync: usage record ${r.usage_key} has no valid time; not pushed`);
    const cost = (r: UsageRow): string | null => {
      const usd = costOf({ input: r.input_tokens, output: r.output_tokens, cacheRead: r.cache_read_tokens, cacheWrite: r.cache_write_tokens }, ratesFor(pricing, r.model));
      return usd === null ? null : usd.toFixed(10);
    };
    const cols = {
      sid: valid.map((r) => r.session_id),
      key: valid.map((r) => r.usage_key),
      ts: valid.map((r) => toIso(r.at)),
      agent: valid.map((r) => r.harness),
      model: valid.map((r) => r.model),
      turn: valid.map((r) => r.turn_id),
      input: valid.map((r) => r.input_tokens),
      output: valid.map((r) => r.output_tokens),
      cw: valid.map((r) => r.cache_write_tokens),
      cr: valid.map((r) => r.cache_read_tokens),
      reasoning: valid.map((r) => r.reasoning_tokens),
      cost: valid.map(cost),
    };
    return {
      stream: STREAMS.usage,
      cursor: rows[rows.length - 1]!.seq,
      rows: rows.length,
      invalid: rows.length - valid.length,
      write: async (client) => {
        if (valid.length === 0) return;
        // Only the rows this statement actually inserted (a retry, a restart or another machine
        // that pushed them first inserts nothing) are added into am_usage_daily, in the same
        // statement, so the rollup and am_usage commit or roll back together.
        await client.query(
          `WITH ins AS (
             INSERT INTO am_usage (session_id, dedup_key, ts, agent, model, turn_id, input, output, cache_creation, cache_read, reasoning, cost_usd)
             SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[],
                                  $9::bigint[], $10::bigint[], $11::bigint[], $12::numeric[])
             ON CONFLICT (session_id, dedup_key) DO NOTHING
             RETURNING ${USAGE_DAILY_SOURCE_COLUMNS})
           ${usageDailyAddSql('ins')}`,
          [cols.sid, cols.key, cols.ts, cols.agent, cols.model, cols.turn, cols.input, cols.output, cols.cw, cols.cr, cols.reasoning, cols.cost],
        );
      },
    };
  }
}

/** The sidecar's switch: a pusher when AGENT_MONITOR_TEAM_DB_URL is set, else null. */
export function teamSyncConfig(env: NodeJS.ProcessEnv = process.env): { url: string; shareText: boolean } | null {
  const url = env.AGENT_MONITOR_TEAM_DB_URL?.trim();
  if (!url) return null;
  return { url, shareText: env.AGENT_MONITOR_SHARE_TEXT === '1' };
}
