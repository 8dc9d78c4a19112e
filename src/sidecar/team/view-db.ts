/**
 * The team view's connection to the shared PostgreSQL: one small read-only pool, opened on the
 * first team request. Which connection string (docs/team.md "Team view"):
 *   - AGENT_MONITOR_TEAM_VIEW_URL: a login role that is a member of `agent_monitor_reader`;
 *   - else the push URL, AGENT_MONITOR_TEAM_DB_URL, with `default_transaction_read_only=on`.
 * Every session of the pool runs read-only transactions either way, with a statement timeout, so
 * a slow query cannot pile up connections. Connection strings are never logged or answered.
 */
import pg from 'pg';

export type TeamViewSource = 'view-url' | 'push-url-read-only';

export interface TeamViewConfig {
  url: string;
  source: TeamViewSource;
}

/** Where the team view reads, from the environment; null when team sync is not configured. */
export function teamViewConfig(env: NodeJS.ProcessEnv = process.env): TeamViewConfig | null {
  const view = env.AGENT_MONITOR_TEAM_VIEW_URL?.trim();
  if (view) return { url: view, source: 'view-url' };
  const push = env.AGENT_MONITOR_TEAM_DB_URL?.trim();
  if (push) return { url: push, source: 'push-url-read-only' };
  return null;
}

/** A query's time limit on the server (ms); `AGENT_MONITOR_TEAM_QUERY_TIMEOUT_MS` overrides it. */
export const TEAM_QUERY_TIMEOUT_MS = Number(process.env.AGENT_MONITOR_TEAM_QUERY_TIMEOUT_MS) || 15_000;

export interface TeamReader {
  readonly source: TeamViewSource;
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

export function openTeamReader(config: TeamViewConfig, opts: { max?: number } = {}): TeamReader {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: opts.max ?? 4,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: TEAM_QUERY_TIMEOUT_MS,
    // Session defaults sent at connect time: every transaction read-only, UTC dates.
    options: '-c default_transaction_read_only=on -c TimeZone=UTC',
    application_name: 'agent-monitor-team-view',
  });
  // An idle connection that breaks (server restart, network) must not crash the sidecar; the
  // next query opens a fresh one and reports its own error.
  pool.on('error', () => {});
  return {
    source: config.source,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
      const res = await pool.query<R>(sql, params);
      return res.rows;
    },
    close: () => pool.end(),
  };
}

/** What went wrong reaching or reading the team database, as the routes answer it. */
export interface TeamDbProblem {
  code: 'team_unreachable' | 'team_schema_missing' | 'team_query_failed' | 'team_timeout';
  error: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P01', '57P03', '28P01', '28000', '3D000', '08001', '08006']);

/** Classifies a pg or socket error. Messages from pg carry no connection string. */
export function teamDbProblem(err: unknown): TeamDbProblem {
  const e = err as { code?: string; message?: string };
  const msg = e?.message || String(err);
  if (e?.code === '42P01') return { code: 'team_schema_missing', error: `the team database has no agent-monitor tables yet (a sidecar with team sync creates them): ${msg}` };
  if (e?.code === '57014') return { code: 'team_timeout', error: `the team query took longer than ${TEAM_QUERY_TIMEOUT_MS} ms and was cancelled` };
  if ((e?.code && UNREACHABLE.has(e.code)) || /timeout|connect|terminated|closed/i.test(msg)) return { code: 'team_unreachable', error: `the team database is unreachable: ${msg}` };
  return { code: 'team_query_failed', error: `the team query failed: ${msg}` };
}
