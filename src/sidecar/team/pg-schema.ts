/**
 * The team database's schema (docs/contracts.md "Team sync: the PostgreSQL schema") and the
 * runner that creates and migrates it. Every sidecar that pushes runs `migrateTeamSchema` before
 * its first push:
 *
 *  - `am_schema_version` lists every applied step (version, description, when, by which machine).
 *  - Steps run in order, each exactly once, all pending ones in ONE transaction under an advisory
 *    lock, so two sidecars starting together never apply a step twice and a failed step leaves
 *    the database as it was (PostgreSQL DDL is transactional).
 *  - A database whose version is newer than the last step this code knows is refused with a clear
 *    error and left untouched: an older sidecar never downgrades, nor writes rows into columns it
 *    does not know.
 *  - An applied step is never edited; a change (e.g. an index for the team view) is a NEW step
 *    appended to TEAM_MIGRATIONS.
 *
 * Identity of a fact is global: (session_id, dedup_key). The machine is an attribute of the
 * session (`am_sessions.machine_id`): the machine that saw it live through hooks, else the first
 * that pushed it.
 */

/** The part of a `pg` Client / PoolClient the runner needs (tests hand in a real client). */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

export interface TeamMigration {
  version: number;
  description: string;
  /** Statements run in order inside the migration transaction. */
  statements: string[];
}

/** The reader role the team view logs in through (a member of it); SELECT on the am_ tables only. */
export const READER_ROLE = 'agent_monitor_reader';

/** pg_advisory_xact_lock key: 'am-schema' as a 32-bit number, held while migrating. */
const MIGRATION_LOCK_KEY = 0x616d5f73;

export const TEAM_MIGRATIONS: readonly TeamMigration[] = [
  {
    version: 1,
    description: 'machines, sessions, events, usage, sightings; team-view indexes',
    statements: [
      `CREATE TABLE am_machines (
        machine_id text PRIMARY KEY,
        machine_name text NOT NULL,
        person text NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now(),
        last_push_at timestamptz
      )`,
      `CREATE TABLE am_sessions (
        session_id text PRIMARY KEY,
        machine_id text NOT NULL REFERENCES am_machines(machine_id),
        seen_live boolean NOT NULL DEFAULT false,
        agent text NOT NULL CHECK (agent IN ('claude', 'codex')),
        parent_session_id text,
        project text,
        cwd text,
        model text,
        title text,
        started_at timestamptz,
        last_event_at timestamptz,
        ended_at timestamptz,
        status text,
        event_count integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE am_events (
        session_id text NOT NULL,
        dedup_key text NOT NULL,
        ts timestamptz NOT NULL,
        hook_type text NOT NULL,
        tool_name text,
        source text,
        summary text,
        body jsonb,
        PRIMARY KEY (session_id, dedup_key)
      )`,
      `CREATE TABLE am_usage (
        session_id text NOT NULL,
        dedup_key text NOT NULL,
        ts timestamptz NOT NULL,
        agent text NOT NULL,
        model text,
        turn_id text,
        input bigint NOT NULL DEFAULT 0,
        output bigint NOT NULL DEFAULT 0,
        cache_creation bigint NOT NULL DEFAULT 0,
        cache_read bigint NOT NULL DEFAULT 0,
        reasoning bigint NOT NULL DEFAULT 0,
        cost_usd numeric,
        PRIMARY KEY (session_id, dedup_key)
      )`,
      `CREATE TABLE am_sightings (
        machine_id text NOT NULL REFERENCES am_machines(machine_id),
        session_id text NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (machine_id, session_id)
      )`,
      'CREATE INDEX am_events_ts ON am_events (ts)',
      'CREATE INDEX am_usage_ts ON am_usage (ts)',
      'CREATE INDEX am_sessions_machine ON am_sessions (machine_id, last_event_at)',
    ],
  },
  {
    version: 2,
    description: 'team view: timeline, session list and search indexes',
    statements: [
      // A session's timeline, newest page first (src/sidecar/team/view-routes.ts teamTimeline).
      'CREATE INDEX am_events_session_ts ON am_events (session_id, ts, dedup_key)',
      // The unfiltered session list, newest activity first (its ORDER BY, exactly).
      'CREATE INDEX am_sessions_last_event ON am_sessions (last_event_at DESC NULLS LAST, session_id DESC)',
      // "Does any machine share text?" and search's newest-first order: only shared rows.
      'CREATE INDEX am_events_shared_ts ON am_events (ts) WHERE summary IS NOT NULL',
      // Search over shared summaries (full text, the `simple` configuration).
      "CREATE INDEX am_events_summary_fts ON am_events USING gin (to_tsvector('simple', summary)) WHERE summary IS NOT NULL",
    ],
  },
  {
    version: 3,
    description: 'team view: am_usage_daily, usage totals per session, UTC day, agent and model',
    statements: [
      // One row per (session, UTC day, agent, model): the sums of the am_usage rows in it. No
      // machine or person: those are attributes of the session (which can change hands on a live
      // takeover) and are joined at query time. Model may be NULL, hence NULLS NOT DISTINCT.
      `CREATE TABLE am_usage_daily (
        session_id text NOT NULL,
        day date NOT NULL,
        agent text NOT NULL,
        model text,
        input bigint NOT NULL,
        output bigint NOT NULL,
        cache_creation bigint NOT NULL,
        cache_read bigint NOT NULL,
        reasoning bigint NOT NULL,
        cost_usd numeric,
        unpriced_tokens bigint NOT NULL,
        records bigint NOT NULL,
        CONSTRAINT am_usage_daily_key UNIQUE NULLS NOT DISTINCT (session_id, day, agent, model)
      )`,
      'CREATE INDEX am_usage_daily_day ON am_usage_daily (day)',
      // Backfill from what is already there. SHARE mode waits for in-flight usage inserts and
      // blocks new ones until this transaction commits, so no row is summed twice or missed.
      'LOCK TABLE am_usage IN SHARE MODE',
      usageDailyAddSql('am_usage'),
    ],
  },
];

/**
 * The statement that adds the rows of `source` (a table or CTE with am_usage's columns) into
 * am_usage_daily: summed per key, then added onto the existing sums. The pusher runs it on the
 * rows its INSERT … ON CONFLICT DO NOTHING RETURNING actually inserted, in the same statement and
 * transaction, so a retried or duplicated row adds nothing. Rows are added in key order so two
 * pushers updating the same keys lock them in the same order. Cost: the sum of the priced rows'
 * cost, NULL while none is priced (as SUM over am_usage would give); `unpriced_tokens` the tokens
 * of rows without a cost. Changing what this computes needs a new step that rebuilds the table.
 */
export function usageDailyAddSql(source: string): string {
  return `INSERT INTO am_usage_daily AS d (session_id, day, agent, model, input, output, cache_creation, cache_read, reasoning, cost_usd, unpriced_tokens, records)
    SELECT x.session_id, (x.ts AT TIME ZONE 'UTC')::date, x.agent, x.model, SUM(x.input), SUM(x.output), SUM(x.cache_creation), SUM(x.cache_read),
           SUM(x.reasoning), SUM(x.cost_usd),
           COALESCE(SUM(CASE WHEN x.cost_usd IS NULL THEN x.input + x.output + x.cache_read + x.cache_creation END), 0), COUNT(*)
      FROM ${source} x GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT ON CONSTRAINT am_usage_daily_key DO UPDATE SET
      input = d.input + excluded.input, output = d.output + excluded.output,
      cache_creation = d.cache_creation + excluded.cache_creation, cache_read = d.cache_read + excluded.cache_read,
      reasoning = d.reasoning + excluded.reasoning,
      cost_usd = CASE WHEN d.cost_usd IS NULL THEN excluded.cost_usd WHEN excluded.cost_usd IS NULL THEN d.cost_usd ELSE d.cost_usd + excluded.cost_usd END,
      unpriced_tokens = d.unpriced_tokens + excluded.unpriced_tokens, records = d.records + excluded.records`;
}

/** The columns RETURNING hands to usageDailyAddSql. */
export const USAGE_DAILY_SOURCE_COLUMNS = 'session_id, ts, agent, model, input, output, cache_creation, cache_read, reasoning, cost_usd';

export const TEAM_SCHEMA_VERSION = TEAM_MIGRATIONS[TEAM_MIGRATIONS.length - 1]!.version;

export class NewerTeamSchemaError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the team database's schema is version ${found}, newer than this agent monitor knows (${known}); ` +
        'update the agent monitor on this machine. Nothing was changed in the database.',
    );
    this.name = 'NewerTeamSchemaError';
  }
}

export interface MigrationResult {
  /** Version before and after. */
  from: number;
  to: number;
  applied: number[];
  /** The reader role: created now, already there, or not creatable by this login (why). */
  readerRole: 'created' | 'exists' | { skipped: string };
}

function checkMigrationList(list: readonly TeamMigration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`team migration list is broken: step ${i} has version ${m.version}, expected ${i + 1}`);
  });
}

/**
 * Brings the database to the newest known version. Re-running it is a no-op (no step runs twice).
 * `appliedBy` is recorded with each step (a machine id). `log` gets one line when the reader role
 * cannot be created.
 */
export async function migrateTeamSchema(
  client: SqlClient,
  opts: { appliedBy: string; log?: (msg: string) => void; migrations?: readonly TeamMigration[] },
): Promise<MigrationResult> {
  const list = opts.migrations ?? TEAM_MIGRATIONS;
  checkMigrationList(list);
  const known = list.length === 0 ? 0 : list[list.length - 1]!.version;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS am_schema_version (
      version integer PRIMARY KEY,
      description text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      applied_by text
    )`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM am_schema_version');
    const from = rows[0]?.v ?? 0;
    if (from > known) throw new NewerTeamSchemaError(from, known);
    const applied: number[] = [];
    for (const m of list) {
      if (m.version <= from) continue;
      for (const sql of m.statements) await client.query(sql);
      await client.query('INSERT INTO am_schema_version (version, description, applied_by) VALUES ($1, $2, $3)', [m.version, m.description, opts.appliedBy]);
      applied.push(m.version);
    }
    const readerRole = await ensureReaderRole(client);
    await client.query('COMMIT');
    if (typeof readerRole === 'object') opts.log?.(`team sync: the read-only role ${READER_ROLE} was not set up (${readerRole.skipped}); the team view must use its own login`);
    return { from, to: Math.max(from, known), applied, readerRole };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * The NOLOGIN role with SELECT on every am_ table, when this login may create roles; a login
 * without CREATEROLE skips it (reported, never fatal). Runs in a savepoint so a refused GRANT
 * cannot undo the migration.
 */
async function ensureReaderRole(client: SqlClient): Promise<MigrationResult['readerRole']> {
  await client.query('SAVEPOINT am_reader_role');
  try {
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [READER_ROLE])).rows.length > 0;
    let created = false;
    if (!exists) {
      const me = await client.query<{ may: boolean }>('SELECT (rolcreaterole OR rolsuper) AS may FROM pg_roles WHERE rolname = current_user');
      if (!me.rows[0]?.may) {
        await client.query('RELEASE SAVEPOINT am_reader_role');
        return { skipped: 'this login may not create roles (CREATEROLE)' };
      }
      await client.query(`CREATE ROLE ${READER_ROLE} NOLOGIN`);
      created = true;
    }
    const tables = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE 'am\\_%'
          AND pg_has_role(current_user, c.relowner, 'USAGE')
          AND NOT has_table_privilege($1, c.oid, 'SELECT')`,
      [READER_ROLE],
    );
    if (tables.rows.length > 0) await client.query(`GRANT USAGE ON SCHEMA ${await currentSchemaIdent(client)} TO ${READER_ROLE}`);
    for (const t of tables.rows) await client.query(`GRANT SELECT ON ${quoteIdent(t.name)} TO ${READER_ROLE}`);
    await client.query('RELEASE SAVEPOINT am_reader_role');
    return created ? 'created' : 'exists';
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT am_reader_role');
    await client.query('RELEASE SAVEPOINT am_reader_role');
    return { skipped: (err as Error).message };
  }
}

async function currentSchemaIdent(client: SqlClient): Promise<string> {
  const r = await client.query<{ s: string }>('SELECT current_schema() AS s');
  return quoteIdent(r.rows[0]!.s);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The applied steps, oldest first (for status and tests). */
export async function teamSchemaVersions(client: SqlClient): Promise<Array<{ version: number; description: string }>> {
  const r = await client.query<{ version: number; description: string }>('SELECT version, description FROM am_schema_version ORDER BY version');
  return r.rows;
}
