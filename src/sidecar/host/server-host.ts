// The host side of the patched upstream server. The gated patches in patches/ call into this
// module (bundled as server/host/addons.cjs); it owns the runtime file, hook-post auth, the hook
// route, the spool drain and the rollout watcher. Upstream modules are handed in by `attach`.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { CLAUDE_HTTP_HOOK_PATH, HOOK_SECRET_FILE } from '../../shared/runtime.js';
import { homedir } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import { TranscriptCache, type TranscriptUsage } from './transcript-cache.js';
import { MAX_DEPTH, MAX_FIELD_CHARS, jsonTextDepth, truncateLargeFields } from './truncate.js';
import { SESSION_SOURCES_COLUMN } from './session-sql.js';
import { newToken, removeRuntimeFile, writeRuntimeFile } from './runtime-file.js';
import { spoolStatus, watchSpool, type SpoolStatus } from '../spool.js';
import { classifyStorageError, healthOf, type HealthDoc, type StorageProblem } from './health.js';
import { privateUmask, tightenPrivateFolder } from '../private-files.js';
import { migrateHostSchema } from '../schema.js';
import { startRolloutWatcher, type RolloutWatcher } from '../rollout/watcher.js';
import { usageRoute } from './usage-routes.js';
import { trackAttention } from '../attention.js';
import { dashboardRoute } from './dashboard-routes.js';
import { closeTeamReader, teamRoute } from '../team/view-routes.js';
import { timelineRow } from './timeline.js';
import { machineIdentity } from '../team/machine.js';
import { TeamPusher, teamSyncConfig, type TeamSyncStatus } from '../team/pusher.js';
import { redactSecretsIn } from '../../shared/redact-url.js';
import { OFF_STATUS as OTLP_OFF, startOtlpFromEnv, type OtlpExport } from '../otlp/index.js';
import { WriteTurn, withWriteTurn } from '../write-turn.js';
import { GroupCommit } from './group-commit.js';

type StoredEvent = { id: number; session_id: string; hook_type: string } & Record<string, unknown>;

export interface UpstreamContext {
  db: Database.Database;
  stmts: Record<string, Database.Statement>;
  processEvent: (hookType: string, data: Record<string, unknown>, transcript: TranscriptUsage | null) => StoredEvent | null;
  broadcast: (type: string, data: unknown) => void;
}

type SendJson = (res: ServerResponse, status: number, body: unknown) => void;

/** Bodies up to this size are accepted; fields over MAX_FIELD_CHARS are truncated, not rejected. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const log = (msg: string): void => console.log(`[agent-monitor-host] ${msg}`);

const state: {
  ctx: UpstreamContext | null;
  token: string;
  dataDir: string | null;
  startedAt: string;
  lastHookEventAt: string | null;
  lastCodexHookEventAt: string | null;
  lastPersistAt: number;
  stopSpool: (() => void) | null;
  /** The HTTP thread's event-loop delay, sampled only with AGENT_MONITOR_LOOP_DELAY=1 (benchmarks). */
  loopDelay: IntervalHistogram | null;
  watcher: RolloutWatcher | null;
  watcherError: string | null;
  /** Set while stores fail for a storage reason (disk full, read-only, corrupt, I/O); cleared by a successful write. */
  storage: StorageProblem | null;
  runtimeFileError: string | null;
  port: number | null;
  /** Posts answered 503 because the store was unavailable (the handler spools them). */
  storeFailures: number;
  /** Posts answered 422 because this one event could not be stored (the handler spools it; the drain quarantines it). */
  rejectedPosts: number;
  lastRejected: string | null;
  /** Answered posts (Claude HTTP hooks) that could be neither stored nor spooled. */
  droppedPosts: number;
  healthTimer: NodeJS.Timeout | null;
  spoolCache: { at: number; value: SpoolStatus } | null;
  /** Team sync (src/sidecar/team/pusher.ts): null while off. */
  team: TeamPusher | null;
  /** Why team sync is configured but could not start (redacted). */
  teamError: string | null;
  /** The OTLP export (src/sidecar/otlp/), null while off. */
  otlp: OtlpExport | null;
  /** Tells the rollout worker that a hook store waits for the write lock (src/sidecar/write-turn.ts). */
  writeTurn: WriteTurn;
} = {
  ctx: null,
  token: newToken(),
  dataDir: null,
  startedAt: new Date().toISOString(),
  lastHookEventAt: null,
  lastCodexHookEventAt: null,
  lastPersistAt: 0,
  stopSpool: null,
  loopDelay: null,
  watcher: null,
  watcherError: null,
  storage: null,
  runtimeFileError: null,
  port: null,
  storeFailures: 0,
  rejectedPosts: 0,
  lastRejected: null,
  droppedPosts: 0,
  healthTimer: null,
  spoolCache: null,
  team: null,
  teamError: null,
  otlp: null,
  writeTurn: new WriteTurn(),
};

/** How often a degraded sidecar re-checks its storage and retries runtime.json, and how long status reads are cached. */
const HEALTH_INTERVAL_MS = Number(process.env.AGENT_MONITOR_HEALTH_INTERVAL_MS) || 2_000;

function noteStorageProblem(err: unknown): boolean {
  const kind = classifyStorageError(err);
  if (!kind) return false;
  const detail = err instanceof Error ? err.message : String(err);
  if (!state.storage || state.storage.kind !== kind) {
    state.storage = { kind, detail, since: new Date().toISOString() };
    log(`storage problem: ${kind} (${detail}); reporting degraded health until a write succeeds`);
  }
  watchHealth();
  return true;
}

/**
 * While the storage or runtime.json is degraded: re-check every HEALTH_INTERVAL_MS, and stop once
 * both are fine. A healthy sidecar keeps no timer here: on an idle machine every wakeup costs CPU
 * (docs/benchmarks.md "History import, charts and idle cost").
 */
function watchHealth(): void {
  if (state.healthTimer || !state.ctx) return;
  state.healthTimer = setInterval(() => {
    if (state.storage) probeStorage();
    if (state.runtimeFileError) publishRuntimeFile();
    if (!state.storage && !state.runtimeFileError && state.healthTimer) {
      clearInterval(state.healthTimer);
      state.healthTimer = null;
    }
  }, HEALTH_INTERVAL_MS);
  state.healthTimer.unref();
}

function noteStorageOk(): void {
  if (!state.storage) return;
  log(`storage works again (was: ${state.storage.kind})`);
  state.storage = null;
}

let probeStmt: Database.Statement | null = null;

/** One tiny write: does the store take writes right now? */
function probeStorage(): void {
  const ctx = state.ctx;
  if (!ctx) return;
  try {
    probeStmt ??= ctx.db.prepare("INSERT OR REPLACE INTO host_meta (key, value) VALUES ('health_probe_at', ?)");
    probeStmt.run(new Date().toISOString());
    noteStorageOk();
  } catch (err) {
    if (!noteStorageProblem(err)) log(`storage probe failed: ${(err as Error).message}`);
  }
}

/**
 * Runs in place of upstream's `migrate()` (patches/host-schema.ts): upstream's migration and the
 * host's. On a full, read-only or failing disk the migration's writes fail; when the schema is
 * already complete the sidecar still starts, degraded, instead of exiting, and says why.
 */
export function openSchema(db: Database.Database, migrate: () => void): void {
  try {
    migrate();
    migrateHostSchema(db);
  } catch (err) {
    if (!classifyStorageError(err) || !schemaComplete(db)) throw err;
    noteStorageProblem(err);
  }
}

function schemaComplete(db: Database.Database): boolean {
  try {
    const cols = (t: string) => new Set((db.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>).map((r) => r.name));
    return cols('events').has('dedup_key') && cols('sessions').has('parent_session_id') && cols('host_meta').has('value') && cols('codex_rollout_files').has('path');
  } catch {
    return false;
  }
}

const transcripts = new TranscriptCache();

/** AGENT_MONITOR_PORT wins (0 means any free port); otherwise upstream's default. */
export function listenPort(fallback: number): number {
  const raw = process.env.AGENT_MONITOR_PORT;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n < 65536 ? n : fallback;
}

export function attach(ctx: UpstreamContext): void {
  state.ctx = ctx;
  state.dataDir = process.env.AGENT_MONITOR_DATA_DIR || dirname(ctx.db.name);
  privateUmask();
  const tightened = tightenPrivateFolder(state.dataDir);
  if (tightened.changed.length) log(`made ${tightened.changed.length} item(s) of ${state.dataDir} private (0700 folders, 0600 files)`);
  for (const f of tightened.failed) log(`could not make ${f.path} private: ${f.error}`);
  // The DB file itself may live elsewhere (AGENT_MONITOR_DB): its folder is private data too.
  if (dirname(ctx.db.name) !== state.dataDir) tightenPrivateFolder(dirname(ctx.db.name), 0);
  try {
    const row = ctx.db.prepare("SELECT value FROM host_meta WHERE key = 'last_codex_hook_event_at'").get() as { value: string } | undefined;
    state.lastCodexHookEventAt = row?.value ?? null;
  } catch {
    // host_meta is created by migrateHostSchema; an old DB without it just has no history.
  }
}

function sameSecret(given: Buffer, expected: string): boolean {
  const e = Buffer.from(expected);
  return expected !== '' && given.length === e.length && timingSafeEqual(given, e);
}

// The persistent hook secret (<data dir>/hook-secret, written by the installer, src/core/hook-secret.ts)
// that Claude's HTTP hook entries send. Re-read when the file changes, at most once a second.
const secret = { value: '', changedAt: -1, checkedAt: 0 };

function hookSecret(): string {
  if (!state.dataDir || Date.now() - secret.checkedAt < 1000) return secret.value;
  secret.checkedAt = Date.now();
  const file = join(state.dataDir, HOOK_SECRET_FILE);
  try {
    const st = statSync(file);
    // ctime moves on a write and on a chmod alike.
    if (st.ctimeMs === secret.changedAt) return secret.value;
    secret.changedAt = st.ctimeMs;
    // Only a private file counts: a secret others could read authenticates nobody.
    const text = readFileSync(file, 'utf8').trim();
    const privateFile = process.platform === 'win32' || ((st.mode & 0o077) === 0 && (typeof process.getuid !== 'function' || st.uid === process.getuid()));
    secret.value = privateFile && /^[0-9a-f]{64}$/.test(text) ? text : '';
    if (!privateFile) log(`${file} is readable by other users (or not ours); HTTP hook posts are refused until it is mode 0600`);
  } catch {
    secret.value = '';
    secret.changedAt = -1;
  }
  return secret.value;
}

/** The per-start token of runtime.json, or the persistent hook secret. */
function tokenMatches(req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7).trim());
  return sameSecret(given, state.token) || sameSecret(given, hookSecret());
}

/**
 * Why a request cannot be a hook post from an agent, or null. Browsers put `Origin` on every
 * POST a page makes and `Sec-Fetch-*` on every request; `application/json` is not a type a
 * page can send cross-origin without a CORS preflight, which this server never approves. Agents
 * (Claude Code's HTTP client, our handlers, curl) send none of those headers and always JSON.
 */
export function notFromAnAgent(req: IncomingMessage): string | null {
  if (req.headers.origin !== undefined) return 'a browser Origin header';
  if (req.headers['sec-fetch-site'] !== undefined || req.headers['sec-fetch-mode'] !== undefined) return 'browser Sec-Fetch headers';
  const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct !== 'application/json') return `Content-Type ${ct === '' ? '(none)' : ct}, not application/json`;
  return null;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * The dashboard's Content-Security-Policy. Its page, script and styles are same-origin files;
 * the live stream and the API are same-origin too. `frame-ancestors 'self' file:` lets the Electron
 * host's window (a file: page) embed it and nothing else.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self' file:",
].join('; ');

function safeCounts(): { sessions: number | null; events: number | null } {
  try {
    const ctx = state.ctx!;
    const one = (sql: string) => (ctx.db.prepare(sql).get() as { n: number }).n;
    return { sessions: one('SELECT COUNT(*) AS n FROM sessions'), events: one('SELECT COUNT(*) AS n FROM events') };
  } catch {
    return { sessions: null, events: null };
  }
}

function spoolNow(): SpoolStatus | null {
  if (!state.dataDir) return null;
  const now = Date.now();
  if (!state.spoolCache || now - state.spoolCache.at > HEALTH_INTERVAL_MS) {
    state.spoolCache = { at: now, value: spoolStatus(state.dataDir, { checkWritable: true }) };
  }
  return state.spoolCache.value;
}

export function currentHealth(): HealthDoc {
  const w = state.watcher?.status();
  return healthOf({
    storage: state.storage,
    runtimeFileError: state.runtimeFileError,
    spoolUnwritable: spoolNow()?.unwritable ?? null,
    rolloutError: w?.lastError ?? state.watcherError,
  });
}

/** Runs before the upstream router. Returns true when it answered the request. */
export function route(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const hookRoute = url.pathname === '/api/hooks/event' || url.pathname === CLAUDE_HTTP_HOOK_PATH;
  if (hookRoute && req.method === 'POST') {
    const refused = notFromAnAgent(req);
    if (refused) {
      req.resume();
      json(res, 403, { error: `hook posts come from agents, not browsers: refused because of ${refused}` });
      return true;
    }
    if (!tokenMatches(req)) {
      req.resume();
      json(res, 401, { error: 'missing or wrong token: hook posts must send "Authorization: Bearer <token>" from runtime.json (or the hook secret)' });
      return true;
    }
    if (url.pathname === CLAUDE_HTTP_HOOK_PATH) {
      void handleClaudeHttpHook(req, res);
      return true;
    }
  }
  if (url.pathname === '/api/host/status' && req.method === 'GET') {
    json(res, 200, hostStatus());
    if (url.searchParams.get('resetLoopDelay') === '1') state.loopDelay?.reset();
    return true;
  }
  if (url.pathname === '/api/health' && (req.method === 'GET' || req.method === 'HEAD')) {
    const health = currentHealth();
    if (health.status === 'ok') return false; // upstream's answer (version, uptime, counts)
    json(res, 200, { ...health, uptime_s: Math.round((Date.now() - Date.parse(state.startedAt)) / 1000), ...safeCounts() });
    return true;
  }
  if (!url.pathname.startsWith('/api/')) {
    // The dashboard page and its assets: no framing by other origins, no foreign scripts.
    // (No X-Frame-Options: its SAMEORIGIN would also refuse the Electron host's file: page.)
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
  }
  if (url.pathname.startsWith('/api/sessions/')) {
    // Upstream decodes the id with decodeURIComponent, which throws on a bad escape (a 500).
    try {
      decodeURIComponent(url.pathname.slice('/api/sessions/'.length));
    } catch {
      json(res, 400, { error: 'the session id in the URL is not valid percent-encoding' });
      return true;
    }
  }
  // The team view reads the shared PostgreSQL, not the local store: asynchronous, own pool.
  if (teamRoute(req, res, url, json)) return true;
  if (state.ctx && dashboardRoute(state.ctx.db, req, res, url, json)) return true;
  if (state.ctx && usageRoute(state.ctx.db, req, res, url)) return true;
  return false;
}

export function hostStatus(): Record<string, unknown> {
  return {
    health: currentHealth(),
    storage: state.storage,
    posts: { storeFailures: state.storeFailures, rejected: state.rejectedPosts, lastRejected: state.lastRejected, dropped: state.droppedPosts },
    startedAt: state.startedAt,
    lastHookEventAt: state.lastHookEventAt,
    lastCodexHookEventAt: state.lastCodexHookEventAt,
    watcher: state.watcher ? state.watcher.status() : { running: false, files: 0, behindBytes: 0, lastImportAt: null, error: state.watcherError },
    spool: spoolNow(),
    team_sync: teamSyncStatus(),
    eventLoopDelay: loopDelayNow(),
    otlp: state.otlp ? state.otlp.status() : OTLP_OFF,
  };
}

type TeamSyncDoc = TeamSyncStatus | { state: 'off' | 'error'; last_push_at: null; pending: 0; last_error: string | null; failing_since: null };

/** `team_sync` in GET /api/host/status: {state, last_push_at, pending, last_error (redacted)} and details. */
function teamSyncStatus(): TeamSyncDoc {
  if (state.team) return state.team.status();
  if (state.teamError) return { state: 'error', last_push_at: null, pending: 0, last_error: state.teamError, failing_since: null };
  return { state: 'off', last_push_at: null, pending: 0, last_error: null, failing_since: null };
}

/** Starts the pusher when AGENT_MONITOR_TEAM_DB_URL is set (opt-in; docs/team.md). Never throws. */
function startTeamSync(ctx: UpstreamContext, dataDir: string): void {
  const config = teamSyncConfig();
  if (!config) return;
  try {
    const interval = Number(process.env.AGENT_MONITOR_TEAM_PUSH_INTERVAL_MS);
    const backoffMax = Number(process.env.AGENT_MONITOR_TEAM_BACKOFF_MAX_MS);
    const batchRows = Number(process.env.AGENT_MONITOR_TEAM_BATCH_ROWS);
    state.team = new TeamPusher({
      dbPath: ctx.db.name,
      url: config.url,
      shareText: config.shareText,
      identity: machineIdentity(dataDir),
      log,
      writeTurn: state.writeTurn,
      ...(interval > 0 ? { intervalMs: interval } : {}),
      ...(Number.isInteger(batchRows) && batchRows > 0 ? { batchRows } : {}),
      ...(backoffMax > 0 ? { backoffMaxMs: backoffMax, backoffMinMs: Math.min(1000, backoffMax) } : {}),
    });
    state.team.start();
  } catch (err) {
    state.teamError = redactSecretsIn((err as Error).message, config.url);
    log(`team sync did not start: ${state.teamError}`);
  }
}

/** The sampling timer's period; the histogram records the time between its runs. */
const LOOP_DELAY_RESOLUTION_MS = 5;

/**
 * How late the HTTP thread's event loop ran its timer (hence any answer) since the last reset, in
 * ms: the histogram's interval between timer runs minus the timer's own period.
 */
function loopDelayNow(): { samples: number; p50Ms: number; p99Ms: number; maxMs: number } | null {
  const h = state.loopDelay;
  if (!h || h.count === 0) return null;
  const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) * 100) / 100);
  return { samples: h.count, p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
}

let persistLastCodexEvent: Database.Statement | null = null;

function noteHookEvent(data: Record<string, unknown>): void {
  const now = new Date().toISOString();
  state.lastHookEventAt = now;
  if (data.__provider !== 'codex') return;
  state.lastCodexHookEventAt = now;
  // Persist at most once a second: the status survives restarts without a write per event.
  if (state.ctx && Date.now() - state.lastPersistAt > 1000) {
    state.lastPersistAt = Date.now();
    try {
      persistLastCodexEvent ??= state.ctx.db.prepare("INSERT OR REPLACE INTO host_meta (key, value) VALUES ('last_codex_hook_event_at', ?)");
      const stmt = persistLastCodexEvent;
      withWriteTurn(state.writeTurn, () => stmt.run(now));
    } catch (err) {
      log(`could not persist the last Codex event time: ${(err as Error).message}`);
    }
  }
}

type ParsedPost = { ok: true; hookType: string; data: Record<string, unknown> } | { ok: false; error: string };

/** Payload fields upstream binds to TEXT columns; any other type would make the insert throw. */
const COLUMN_FIELDS = ['cwd', 'model', 'transcript_path', 'tool_name'] as const;

/**
 * Makes a payload storable whatever its field types: a column field that is not a string is
 * moved to `__non_string_fields` (kept, marked, and out of the column). Mutates `data`.
 */
export function normalizeFieldTypes(data: Record<string, unknown>): Record<string, unknown> {
  let moved: Record<string, unknown> | null = null;
  for (const f of COLUMN_FIELDS) {
    if (!Object.prototype.hasOwnProperty.call(data, f)) continue;
    const v = data[f];
    if (v === undefined || v === null || typeof v === 'string') continue;
    moved ??= {};
    Object.defineProperty(moved, f, { value: v, enumerable: true, writable: true, configurable: true });
    delete data[f];
  }
  if (moved) data.__non_string_fields = moved;
  return data;
}

/**
 * Why a hook type cannot be accepted, or null. Upstream looks hook types up in plain objects, so
 * the names of Object.prototype members (`constructor`, `__proto__`, `toString`, …) would resolve
 * to functions and make the insert throw.
 */
export function hookTypeProblem(hookType: string): string | null {
  if (hookType in Object.prototype) return `hook_type "${hookType}" is a reserved name and is not accepted`;
  if (hookType.length > 200) return 'hook_type is longer than 200 characters';
  return null;
}

export function parseHookBody(body: string): ParsedPost {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (err) {
    return { ok: false, error: `body is not valid JSON: ${(err as Error).message}` };
  }
  const p = payload as { hook_type?: unknown; data?: unknown } | null;
  if (!p || typeof p !== 'object' || typeof p.hook_type !== 'string' || !p.hook_type) {
    return { ok: false, error: 'expected {"hook_type": string, "data": object}' };
  }
  const problem = hookTypeProblem(p.hook_type);
  if (problem) return { ok: false, error: problem };
  if (!p.data || typeof p.data !== 'object' || Array.isArray(p.data)) {
    return { ok: false, error: 'expected {"hook_type": string, "data": object}: data must be an object' };
  }
  const data = p.data as Record<string, unknown>;
  // No field can be longer than the whole body, and no value nested deeper than the body's text:
  // small, shallow posts (nearly all) skip the walk over every field.
  const walk = body.length > MAX_FIELD_CHARS || jsonTextDepth(body, MAX_DEPTH) > MAX_DEPTH;
  return { ok: true, hookType: p.hook_type, data: normalizeFieldTypes(walk ? truncateLargeFields(data) : data) };
}

let sessionWithSources: Database.Statement | null = null;

/**
 * Live frames for one stored post: `new_event` in the timeline's row shape (src/sidecar/host/
 * timeline.ts, so the dashboard appends it without a refetch), then the session row. A duplicate
 * post that changed only the attention state still sends the session row.
 */
function announce(ctx: UpstreamContext, event: StoredEvent | null, data: Record<string, unknown>, attentionSession: string | null): void {
  if (event) ctx.broadcast('new_event', timelineRow({ source: 'hook', seen_by: 'hook', ...event, created_at: String(event.created_at) }, data));
  const sessionId = event?.session_id ?? attentionSession;
  if (!sessionId) return;
  // The live frame carries the same row shape as GET /api/sessions (with `sources`), so a
  // dashboard that applies it in place keeps the hook/rollout badge.
  sessionWithSources ??= ctx.db.prepare(`SELECT sessions.*, ${SESSION_SOURCES_COLUMN} FROM sessions WHERE id = ?`);
  ctx.broadcast('session_updated', sessionWithSources.get(sessionId));
}

interface Stored {
  event: StoredEvent | null;
  /** The session whose attention state this post changed, if any. */
  attention: string | null;
}

/** processEvent plus the attention state, in the caller's transaction. */
function storeOne(ctx: UpstreamContext, hookType: string, data: Record<string, unknown>, transcript: TranscriptUsage | null): Stored {
  const event = ctx.processEvent(hookType, data, transcript);
  linkCodexSubagent(ctx.db, data);
  const at = typeof event?.created_at === 'string' ? event.created_at : eventTime(data);
  return { event, attention: trackAttention(ctx.db, hookType, data, at, event !== null) };
}

const subagentLinks = new WeakMap<Database.Database, Database.Statement>();

/**
 * A Codex hook fired inside a thread-spawned subagent carries `agent_id` (the subagent's thread,
 * where its events are stored: src/shared/dedup.ts hookSessionId) and `session_id` (the root
 * thread): the subagent's session is nested under the root until its rollout names the immediate
 * parent (src/sidecar/rollout/import.ts replaces it). An existing link is never changed here.
 */
function linkCodexSubagent(db: Database.Database, data: Record<string, unknown>): void {
  if (data.__provider !== 'codex') return;
  const agent = data.agent_id;
  const root = data.session_id;
  if (typeof agent !== 'string' || typeof root !== 'string' || !agent || !root || agent === root) return;
  let stmt = subagentLinks.get(db);
  if (!stmt) subagentLinks.set(db, (stmt = db.prepare('UPDATE sessions SET parent_session_id = ? WHERE id = ? AND parent_session_id IS NULL')));
  stmt.run(root, agent);
}

interface PendingPost {
  hookType: string;
  data: Record<string, unknown>;
  transcript: TranscriptUsage | null;
}

// Group commit without a blocking busy wait (src/sidecar/host/group-commit.ts): posts that arrive
// in the same event-loop turn are stored in one write transaction, each in its own savepoint; the
// reply to each post is sent only after that transaction committed.
let commits: GroupCommit<PendingPost, Stored> | null = null;

function storeInBatch(ctx: UpstreamContext, hookType: string, data: Record<string, unknown>, transcript: TranscriptUsage | null): Promise<Stored> {
  commits ??= new GroupCommit(ctx.db, (p: PendingPost) => storeOne(ctx, p.hookType, p.data, p.transcript), { turn: state.writeTurn });
  return commits.submit({ hookType, data, transcript });
}

/** The hook route: transcript read first (async, incremental), then a short write transaction. */
export async function handleHookPost(
  _req: IncomingMessage,
  res: ServerResponse,
  body: string,
  ctx: UpstreamContext & { sendJson: SendJson },
): Promise<void> {
  const parsed = parseHookBody(body);
  if (!parsed.ok) return ctx.sendJson(res, 400, { error: parsed.error });
  const { hookType, data } = parsed;
  delete data.__spooled_at; // only the spool drain may set it
  // A Codex transcript_path is a rollout file, which the rollout importer reads; only Claude
  // transcripts carry the usage this reader sums.
  let transcript = data.__provider === 'codex' ? null : await transcripts.read(data.transcript_path);
  if (transcript) transcript = withExactTokens(ctx.db, data, transcript);
  if (transcript && hookType === 'Stop') fillFromTranscript(data, transcript);
  let stored: Stored;
  try {
    stored = await storeInBatch(ctx, hookType, data, transcript);
  } catch (err) {
    const msg = (err as Error).message;
    if (noteStorageProblem(err)) {
      // The store is unavailable: 503, and the handler keeps the event in its spool.
      state.storeFailures++;
      return ctx.sendJson(res, 503, { error: `not stored: ${state.storage!.kind} (${msg})` });
    }
    // This one event cannot be stored: 422 with the reason. The handler spools it, and the drain
    // quarantines it with the reason (spool/quarantined.jsonl), counted in the status.
    state.rejectedPosts++;
    state.lastRejected = `${new Date().toISOString()} ${hookType}: ${msg}`;
    log(`could not store ${hookType}: ${msg}`);
    return ctx.sendJson(res, 422, { error: `this event cannot be stored: ${msg}` });
  }
  noteStorageOk();
  noteHookEvent(data);
  announce(ctx, stored.event, data, stored.attention);
  const { event } = stored;
  if (data.__provider !== 'codex') nudgeTranscriptImport(data);
  return ctx.sendJson(res, 200, { ok: true, stored: event !== null, event_id: event?.id ?? null });
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * POST /api/hooks/claude: Claude Code's `type: "http"` hooks send the hook input itself (the
 * object a command hook reads on stdin). Stored through the same path as /api/hooks/event, under
 * `hook_event_name`. The answer is `{}`: Claude reads an HTTP hook's body as hook output, and an
 * empty object asks for nothing.
 */
async function handleClaudeHttpHook(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const ctx = state.ctx;
  if (!ctx) return json(res, 503, { error: 'host not attached' });
  let body: string;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    return json(res, (err as { status?: number }).status ?? 400, { error: (err as Error).message });
  }
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch (err) {
    return json(res, 400, { error: `body is not valid JSON: ${(err as Error).message}` });
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) return json(res, 400, { error: 'expected the hook input object' });
  const data = input as Record<string, unknown>;
  const hookType = typeof data.hook_event_name === 'string' && data.hook_event_name ? data.hook_event_name : 'Unknown';
  // Only our handlers and the spool drain may set these.
  delete data.__spooled_at;
  delete data.__provider;
  // Answer first, then store. Claude Code waits for this answer before the tool runs, but it
  // neither retries nor reads anything from `{}`: waiting for the commit would only add to every
  // tool call. An event whose store fails is logged, and the session-file import brings back
  // whatever the file records (docs/contracts.md "Claude session files").
  const problem = hookTypeProblem(hookType);
  if (problem) return json(res, 400, { error: problem });
  json(res, 200, {});
  // The same cuts as /api/hooks/event (parseHookBody): long strings, absurd nesting, odd types.
  const walk = body.length > MAX_FIELD_CHARS || jsonTextDepth(body, MAX_DEPTH) > MAX_DEPTH;
  const stored = normalizeFieldTypes(walk ? truncateLargeFields(data) : data);
  try {
    const transcript = await transcripts.read(stored.transcript_path);
    const result = await storeInBatch(ctx, hookType, stored, transcript);
    noteStorageOk();
    noteHookEvent(stored);
    announce(ctx, result.event, stored, result.attention);
  } catch (err) {
    // Already answered: nobody will resend it. Keep it in the spool for the drain (which retries
    // an unavailable store and quarantines an event that cannot be stored), counted either way.
    const msg = (err as Error).message;
    if (noteStorageProblem(err)) state.storeFailures++;
    else {
      state.rejectedPosts++;
      state.lastRejected = `${new Date().toISOString()} ${hookType}: ${msg}`;
    }
    log(`failed to store ${hookType} from a Claude HTTP hook (${msg}); keeping it in the spool`);
    keepInSpool(hookType, stored);
  }
}

/** Appends an event the sidecar could not store to its own spool; counts it as dropped if even that fails. */
function keepInSpool(hookType: string, data: Record<string, unknown>): void {
  if (!state.dataDir) return;
  try {
    const dir = join(state.dataDir, 'spool');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    appendFileSync(join(dir, 'events.jsonl'), `${JSON.stringify({ hook_type: hookType, data, spooled_at: new Date().toISOString() })}\n`, { mode: 0o600 });
  } catch (err) {
    state.droppedPosts++;
    log(`could not keep ${hookType} in the spool either (${(err as Error).message}); counted as dropped`);
  }
}

/**
 * The session's own tokens as the usage table counts them (exact, deduplicated by message and
 * request id; subagent tokens under the subagent) once the worker imported any; until then the
 * transcript reader's running totals.
 */
let sessionUsageSums: Database.Statement | null = null;
function withExactTokens(db: Database.Database, data: Record<string, unknown>, t: TranscriptUsage): TranscriptUsage {
  if (typeof data.session_id !== 'string') return t;
  sessionUsageSums ??= db.prepare(`SELECT COUNT(*) AS n, SUM(input_tokens) AS i, SUM(output_tokens) AS o, SUM(cache_read_tokens) AS cr, SUM(cache_write_tokens) AS cw
                                     FROM usage_records WHERE session_id = ?`);
  const r = sessionUsageSums.get(data.session_id) as { n: number; i: number; o: number; cr: number; cw: number };
  if (!r || r.n === 0) return t;
  return { ...t, input_tokens: r.i, output_tokens: r.o, cache_read_tokens: r.cr, cache_write_tokens: r.cw };
}

/** A Claude hook names its transcript (and a SubagentStop the subagent's): have the worker import it now. */
function nudgeTranscriptImport(data: Record<string, unknown>): void {
  for (const p of [data.transcript_path, data.agent_transcript_path]) {
    if (typeof p !== 'string' || !p.endsWith('.jsonl') || p.includes('\0')) continue;
    if (state.watcher) state.watcher.importClaudeFile(p);
    else if (pendingTranscripts.size < 1000) pendingTranscripts.add(p); // the worker is still starting
  }
}

/** Transcripts named by hooks before the worker was up; handed over when it is. */
const pendingTranscripts = new Set<string>();

/**
 * What a Claude Stop hook lacks and its transcript has: the turn's final message (older Claude
 * versions send no `last_assistant_message`) and an API error the turn ended on (Claude Code
 * writes it into the transcript as an assistant message marked `isApiErrorMessage`). Marked in
 * `__from_transcript` so the stored event says where the field came from.
 */
export function fillFromTranscript(data: Record<string, unknown>, transcript: TranscriptUsage): void {
  const filled: string[] = [];
  // A turn that ended on an API error has no final message of its own (the newest text is an older turn's).
  if (typeof data.last_assistant_message !== 'string' && transcript.last_text && !transcript.api_error) {
    data.last_assistant_message = transcript.last_text;
    filled.push('last_assistant_message');
  }
  if (transcript.api_error && typeof data.api_error !== 'string') {
    data.api_error = transcript.api_error;
    filled.push('api_error');
  }
  if (filled.length) data.__from_transcript = filled;
}

/**
 * The time an event is stored under: when the handler spooled it (so a late drain keeps the
 * timeline in order), else now. `__spooled_at` is set only by the spool drain, never trusted
 * from a post.
 */
export function eventTime(data: Record<string, unknown>): string {
  const at = data.__spooled_at;
  if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) return new Date(at).toISOString();
  return new Date().toISOString();
}

/** Stores one spooled event through the same path as a live post (without the transcript read). */
function storeSpooled(hookType: string, data: Record<string, unknown>, meta?: { spooledAt: string | null }): void {
  const ctx = state.ctx;
  if (!ctx) throw new Error('host not attached');
  const problem = hookTypeProblem(hookType);
  if (problem) throw new TypeError(problem); // quarantined by the drain, with this reason
  const stored = normalizeFieldTypes(truncateLargeFields(data));
  if (meta?.spooledAt) stored.__spooled_at = meta.spooledAt;
  else delete stored.__spooled_at;
  let result: ReturnType<typeof storeOne>;
  try {
    // Synchronous, so it may wait in the busy handler; the worker lets the lock go meanwhile.
    result = withWriteTurn(state.writeTurn, () => ctx.db.transaction(() => storeOne(ctx, hookType, stored, null))());
  } catch (err) {
    noteStorageProblem(err);
    throw err;
  }
  noteStorageOk();
  noteHookEvent(data);
  announce(ctx, result.event, stored, result.attention);
}

function startAddOns(port: number): void {
  const ctx = state.ctx;
  if (!ctx || !state.dataDir) throw new Error('host.attach() must run before host.listen()');
  state.port = port;
  if (process.env.AGENT_MONITOR_LOOP_DELAY === '1' && !state.loopDelay) {
    state.loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    state.loopDelay.enable();
  }
  publishRuntimeFile();
  const spool = watchSpool({ dataDir: state.dataDir, store: storeSpooled, log });
  state.stopSpool = () => spool.close();
  probeStorage();
  startTeamSync(ctx, state.dataDir);
  state.otlp = startOtlpFromEnv({ db: ctx.db, dataDir: state.dataDir, log, writeTurn: state.writeTurn });

  if (process.env.AGENT_MONITOR_ROLLOUT === 'off') return;
  const codexHome = process.env.CODEX_HOME || join(homedir(), '.codex');
  startRolloutWatcher({
    dbPath: ctx.db.name,
    codexHome,
    // Claude Code's own session files (events keyed like the hooks, so a failed HTTP hook loses only
    // what the file lacks; and tokens): only from the folder the host names (AGENT_MONITOR_CLAUDE_DIR,
    // never guessed from HOME) and only while the consent file says Claude tracking is on.
    claudeDir: process.env.AGENT_MONITOR_CLAUDE_DIR || null,
    claudeConsentFile: join(state.dataDir, 'settings.json'),
    log,
    // Already merged by the worker: at most one change per 250 ms (src/sidecar/rollout/worker.ts).
    onChange: ({ sessionIds }) => ctx.broadcast('sessions_changed', { sessionIds }),
    writeTurn: state.writeTurn.buffer,
  }).then(
    (watcher) => {
      state.watcher = watcher;
      // The worker checkpoints the WAL, this thread's pages included (EngineOptions.writeTurn): a
      // checkpoint here would copy and fsync megabytes between two requests.
      ctx.db.pragma('wal_autocheckpoint = 0');
      for (const p of pendingTranscripts) watcher.importClaudeFile(p);
      pendingTranscripts.clear();
    },
    (err: Error) => {
      state.watcherError = err.message;
      log(`rollout watcher did not start: ${err.message}`);
    },
  );
}


/** Writes runtime.json; on failure (e.g. a full disk) stays up, reports it, and retries later. */
function publishRuntimeFile(): void {
  if (!state.dataDir || state.port === null) return;
  try {
    writeRuntimeFile(state.dataDir, { version: 1, port: state.port, pid: process.pid, token: state.token, startedAt: state.startedAt });
    if (state.runtimeFileError) log('runtime.json written');
    state.runtimeFileError = null;
  } catch (err) {
    const msg = (err as Error).message;
    if (state.runtimeFileError !== msg) log(`could not write runtime.json: ${msg}; retrying every ${HEALTH_INTERVAL_MS} ms`);
    state.runtimeFileError = msg;
    watchHealth();
  }
}

/**
 * How long an idle keep-alive connection stays open. Claude Code's HTTP hooks reuse one
 * connection for every post of a session (checked with the pinned 2.1.197: one connection for a
 * whole scripted session), and the gap between two tool calls is often longer than Node's default
 * of 5 s: with the default, most posts would pay a new connection, and a post sent just as the
 * server closes the idle socket fails (Claude Code does not retry it).
 */
export const HOOK_KEEP_ALIVE_MS = 600_000;

/** server.listen with a fallback to any free port when the requested one is taken. */
export function listen(server: Server, port: number, host: string, onListening?: () => void): void {
  server.keepAliveTimeout = HOOK_KEEP_ALIVE_MS;
  server.once('listening', () => {
    const addr = server.address();
    startAddOns(typeof addr === 'object' && addr ? addr.port : port);
    onListening?.();
  });
  server.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' || port === 0) throw err;
    log(`port ${port} is taken; listening on a free port instead`);
    server.listen(0, host);
  });
  server.listen(port, host);
}

export function stop(): void {
  if (state.healthTimer) clearInterval(state.healthTimer);
  state.healthTimer = null;
  state.stopSpool?.();
  state.stopSpool = null;
  const team = state.team;
  state.team = null;
  void team?.stop().catch(() => undefined);
  void state.otlp?.stop();
  state.otlp = null;
  const watcher = state.watcher;
  state.watcher = null;
  void watcher?.close().catch(() => undefined);
  commits?.close();
  commits = null;
  void closeTeamReader().catch(() => undefined);
  if (state.dataDir) removeRuntimeFile(state.dataDir, process.pid);
}
