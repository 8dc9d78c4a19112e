/**
 * The team database's migration runner against a real PostgreSQL (scripts/lib/postgres.ts):
 * creates the schema once, re-running is a no-op, a newer-than-known version is refused untouched,
 * a failed step leaves nothing behind, two sidecars migrating at once apply each step once, and
 * the read-only role is created (or skipped, with the reason, for a login without CREATEROLE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startPostgres, type TestPostgres } from '../../scripts/lib/postgres.js';
import { migrateTeamSchema, NewerTeamSchemaError, READER_ROLE, TEAM_MIGRATIONS, TEAM_SCHEMA_VERSION, teamSchemaVersions, type TeamMigration } from '../../src/sidecar/team/pg-schema.js';

let db: TestPostgres;
const clients: pg.Client[] = [];

async function fresh(name: string): Promise<pg.Client> {
  const admin = await db.connect('postgres');
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const c = await db.connect(name);
  clients.push(c);
  return c;
}

async function tables(c: pg.Client): Promise<string[]> {
  const r = await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  return r.rows.map((x) => x.t);
}

beforeAll(async () => {
  db = await startPostgres();
});

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  await db?.destroy();
});

describe('team schema migrations', () => {
  // First: roles are cluster-wide, and the other tests create the reader role.
  it('a login without CREATEROLE migrates and reports that the reader role was skipped', async () => {
    const admin = await db.connect('postgres');
    await admin.query(`CREATE ROLE am_pusher LOGIN PASSWORD 'pusher-pw'`);
    await admin.query(`CREATE DATABASE m_plain OWNER am_pusher`);
    await admin.end();
    const pgMod = (await import('pg')).default;
    const c = new pgMod.Client({ connectionString: `postgres://am_pusher:pusher-pw@127.0.0.1:${db.port}/m_plain` });
    await c.connect();
    clients.push(c);
    const logs: string[] = [];
    const r = await migrateTeamSchema(c, { appliedBy: 'plain', log: (m) => logs.push(m) });
    expect(r.readerRole).toEqual({ skipped: 'this login may not create roles (CREATEROLE)' });
    expect(logs).toEqual([`team sync: the read-only role ${READER_ROLE} was not set up (this login may not create roles (CREATEROLE)); the team view must use its own login`]);
    expect((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [READER_ROLE])).rows).toEqual([]);
    expect(r.applied).toEqual(TEAM_MIGRATIONS.map((m) => m.version));
  });
  it('creates every table at the newest version, and a re-run applies nothing', async () => {
    const c = await fresh('m_fresh');
    const first = await migrateTeamSchema(c, { appliedBy: 'machine-a' });
    expect(first).toMatchObject({ from: 0, to: TEAM_SCHEMA_VERSION, applied: TEAM_MIGRATIONS.map((m) => m.version), readerRole: 'created' });
    expect(await tables(c)).toEqual(['am_events', 'am_machines', 'am_schema_version', 'am_sessions', 'am_sightings', 'am_usage', 'am_usage_daily']);
    const versions = await c.query('SELECT version, description, applied_by FROM am_schema_version ORDER BY version');
    expect(versions.rows).toEqual(TEAM_MIGRATIONS.map((m) => ({ version: m.version, description: m.description, applied_by: 'machine-a' })));

    const again = await migrateTeamSchema(c, { appliedBy: 'machine-b' });
    expect(again).toMatchObject({ from: TEAM_SCHEMA_VERSION, to: TEAM_SCHEMA_VERSION, applied: [], readerRole: 'exists' });
    expect((await c.query('SELECT count(*)::int AS n FROM am_schema_version')).rows[0]).toEqual({ n: TEAM_MIGRATIONS.length });
    // The reader role may read every am_ table and write none.
    const grants = await c.query<{ t: string; sel: boolean; ins: boolean }>(
      `SELECT c.relname AS t, has_table_privilege($1, c.oid, 'SELECT') AS sel, has_table_privilege($1, c.oid, 'INSERT') AS ins
         FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'am\\_%' ORDER BY 1`, [READER_ROLE]);
    expect(grants.rows.length).toBe(7);
    for (const g of grants.rows) expect(g).toMatchObject({ sel: true, ins: false });
  });

  it('refuses a database newer than it knows, with a clear error, and changes nothing', async () => {
    const c = await fresh('m_newer');
    await migrateTeamSchema(c, { appliedBy: 'new-sidecar' });
    await c.query(`INSERT INTO am_schema_version (version, description, applied_by) VALUES ($1, 'from a newer release', 'new-sidecar')`, [TEAM_SCHEMA_VERSION + 1]);
    const before = await tables(c);
    const err = await migrateTeamSchema(c, { appliedBy: 'old-sidecar' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NewerTeamSchemaError);
    expect((err as Error).message).toBe(
      `the team database's schema is version ${TEAM_SCHEMA_VERSION + 1}, newer than this agent monitor knows (${TEAM_SCHEMA_VERSION}); update the agent monitor on this machine. Nothing was changed in the database.`,
    );
    expect(await tables(c)).toEqual(before);
    expect((await c.query('SELECT max(version)::int AS v FROM am_schema_version')).rows[0]).toEqual({ v: TEAM_SCHEMA_VERSION + 1 });
  });

  it('adds a new step on top of an applied one, and a failing step leaves the database as it was', async () => {
    const c = await fresh('m_steps');
    await migrateTeamSchema(c, { appliedBy: 'a' });
    const broken: TeamMigration[] = [...TEAM_MIGRATIONS, { version: TEAM_SCHEMA_VERSION + 1, description: 'broken', statements: ['CREATE INDEX am_probe ON am_events (ts)', 'SELECT no_such_function()'] }];
    await expect(migrateTeamSchema(c, { appliedBy: 'a', migrations: broken })).rejects.toThrow(/no_such_function/);
    expect((await c.query(`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'am_probe'`)).rows[0]).toEqual({ n: 0 });
    expect((await teamSchemaVersions(c)).map((v) => v.version)).toEqual(TEAM_MIGRATIONS.map((m) => m.version));

    const next: TeamMigration[] = [...TEAM_MIGRATIONS, { version: TEAM_SCHEMA_VERSION + 1, description: 'team view index', statements: ['CREATE INDEX am_probe ON am_events (hook_type)'] }];
    expect(await migrateTeamSchema(c, { appliedBy: 'a', migrations: next })).toMatchObject({ from: TEAM_SCHEMA_VERSION, applied: [TEAM_SCHEMA_VERSION + 1] });
    expect(await migrateTeamSchema(c, { appliedBy: 'a', migrations: next })).toMatchObject({ applied: [] });
    // A list with a gap is a programming error, refused before touching the database.
    await expect(migrateTeamSchema(c, { appliedBy: 'a', migrations: [TEAM_MIGRATIONS[0]!, { version: 3, description: 'gap', statements: [] }] })).rejects.toThrow(/step 1 has version 3/);
  });

  it('two sidecars migrating the same empty database at once apply each step once', async () => {
    const a = await fresh('m_race');
    const b = await db.connect('m_race');
    clients.push(b);
    const [ra, rb] = await Promise.all([migrateTeamSchema(a, { appliedBy: 'a' }), migrateTeamSchema(b, { appliedBy: 'b' })]);
    expect([ra.applied.length, rb.applied.length].sort()).toEqual([0, TEAM_MIGRATIONS.length]);
    expect((await a.query('SELECT count(*)::int AS n FROM am_schema_version')).rows[0]).toEqual({ n: TEAM_MIGRATIONS.length });
  });

});
