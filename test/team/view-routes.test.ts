// The team view's routes (src/sidecar/team/view-routes.ts) against a real PostgreSQL started from
// the npm registry (scripts/lib/postgres.ts), its schema made by the team-sync migrations and
// three machines' rows seeded (scripts/lib/team-seed.ts): paging and filters, exact totals per
// machine/person/agent/model/day, the daily series, a timeline, search with and without shared
// text, the errors a user sees (not configured, unreachable, no schema, bad input), and that
// neither read path can write.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrateTeamSchema } from '../../src/sidecar/team/pg-schema.js';
import { openTeamReader, type TeamReader } from '../../src/sidecar/team/view-db.js';
import {
  answerTeam,
  type TeamDaily,
  type TeamSearchPage,
  type TeamSessionPage,
  type TeamStatus,
  type TeamTimelinePage,
  type TeamTotals,
} from '../../src/sidecar/team/view-routes.js';
import { startPostgres, type TestPostgres } from '../../scripts/lib/postgres.js';
import { createReaderLogin, seedTeamDemo, TEAM_DEMO } from '../../scripts/lib/team-seed.js';
import { freePort } from '../../scripts/lib/servers.js';

const NOW = Date.now();
const DAY = 86_400_000;
const dayString = (daysAgo: number): string => new Date(Math.floor(NOW / DAY) * DAY - daysAgo * DAY).toISOString().slice(0, 10);

let pgServer: TestPostgres;
let admin: pg.Client;
let reader: TeamReader;
let pushReader: TeamReader;
const READER_PASSWORD = 'team-view-Pw-1';

async function get<T>(db: TeamReader | null, path: string): Promise<{ status: number; body: T }> {
  const a = await answerTeam(db, new URL(path, 'http://127.0.0.1'));
  return { status: a.status, body: a.body as T };
}

beforeAll(async () => {
  pgServer = await startPostgres();
  admin = await pgServer.connect();
  await migrateTeamSchema(admin, { appliedBy: 'test' });
  await seedTeamDemo(admin, NOW);
  await createReaderLogin(admin, 'team_viewer', READER_PASSWORD);
  const viewUrl = pgServer.url().replace(/\/\/[^@]+@/, `//team_viewer:${encodeURIComponent(READER_PASSWORD)}@`);
  reader = openTeamReader({ url: viewUrl, source: 'view-url' });
  pushReader = openTeamReader({ url: pgServer.url(), source: 'push-url-read-only' });
}, 180_000);

afterAll(async () => {
  await reader?.close();
  await pushReader?.close();
  await admin?.end();
  await pgServer?.destroy();
});

describe('team view routes on a real PostgreSQL', () => {
  test('status: configured, reachable, three machines, text shared by one of them', async () => {
    const { status, body } = await get<TeamStatus>(reader, '/api/team/status');
    expect(status).toBe(200);
    expect(body).toEqual({ configured: true, source: 'view-url', reachable: true, code: null, error: null, machines: 3, textShared: true });
  });

  test('sessions across machines: newest first, with machine and person, paged without gaps or repeats', async () => {
    const all = await get<TeamSessionPage>(reader, '/api/team/sessions');
    expect(all.status).toBe(200);
    expect(all.body.next).toBeNull();
    // daysAgo 1 (laptop claude, 7 events; ci 2 events), 2 (laptop codex, devbox), 3 (ci).
    expect(all.body.sessions.map((s) => s.id)).toEqual(['sess-laptop-claude', 'sess-ci-codex-2', 'sess-devbox-claude', 'sess-laptop-codex', 'sess-ci-codex-1']);
    const first = all.body.sessions[0]!;
    expect(first).toMatchObject({ machine_id: 'm-laptop', machine_name: 'alice-laptop', person: 'alice', harness: 'claude', event_count: 7, input_tokens: 2000, output_tokens: 1000, cache_read_tokens: 45000, cache_write_tokens: 5000, seen_live: true });
    expect(first.cost).toBeCloseTo(0.066, 10);
    expect(all.body.sessions.find((s) => s.id === 'sess-ci-codex-2')!.cost).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: TeamSessionPage } = await get<TeamSessionPage>(reader, `/api/team/sessions?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.body.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.sessions.map((s) => s.id));
      cursor = page.body.next;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.body.sessions.map((s) => s.id));
  });

  test('filters: machine, person, agent, model, day', async () => {
    const ids = async (qs: string): Promise<string[]> => (await get<TeamSessionPage>(reader, `/api/team/sessions?${qs}`)).body.sessions.map((s) => s.id).sort();
    expect(await ids('machine=m-ci')).toEqual(['sess-ci-codex-1', 'sess-ci-codex-2']);
    expect(await ids('person=alice')).toEqual(['sess-devbox-claude', 'sess-laptop-claude', 'sess-laptop-codex']);
    expect(await ids('agent=codex')).toEqual(['sess-ci-codex-1', 'sess-ci-codex-2', 'sess-laptop-codex']);
    expect(await ids('model=claude-opus-4-1')).toEqual(['sess-devbox-claude']);
    expect(await ids(`day=${dayString(2)}`)).toEqual(['sess-devbox-claude', 'sess-laptop-codex']);
    expect(await ids('machine=m-ci&agent=claude')).toEqual([]);
  });

  test('totals per machine are exact, with the unpriced tokens apart from the cost', async () => {
    const { status, body } = await get<TeamTotals>(reader, '/api/team/totals?by=machine');
    expect(status).toBe(200);
    const rows = Object.fromEntries(body.rows.map((r) => [r.key, r]));
    // laptop: 26,500 + 26,500 + 16,900; devbox: 55,000 + 52,000; ci: 40,500 + 600.
    expect(rows['m-laptop']).toMatchObject({ label: 'alice-laptop', sessions: 2, messages: 3, tokens: { input: 6000, output: 1900, cacheRead: 57000, cacheWrite: 5000, reasoning: 400, total: 69900 }, unpricedTokens: 0 });
    expect(rows['m-devbox']).toMatchObject({ label: 'alice-devbox', sessions: 1, messages: 2, tokens: { total: 107000 }, unpricedTokens: 0 });
    expect(rows['m-ci']).toMatchObject({ label: 'ci-runner-7', sessions: 2, messages: 2, tokens: { total: 41100, reasoning: 1200 }, unpricedTokens: 600 });
    expect(rows['m-laptop']!.cost).toBeCloseTo(0.0785, 10);
    expect(rows['m-devbox']!.cost).toBeCloseTo(0.5925, 10);
    expect(rows['m-ci']!.cost).toBeCloseTo(0.03, 10);
    expect(body.rows.map((r) => r.key)).toEqual(['m-devbox', 'm-laptop', 'm-ci']); // largest first
    expect(body.all).toMatchObject({ sessions: 5, messages: 7, tokens: { total: 218000 }, unpricedTokens: 600 });
    expect(body.all.cost).toBeCloseTo(0.701, 10);
  });

  test('totals per person, agent, model and day; filters apply to totals too', async () => {
    const by = async (qs: string): Promise<Record<string, number>> => Object.fromEntries((await get<TeamTotals>(reader, `/api/team/totals?${qs}`)).body.rows.map((r) => [r.key ?? 'null', r.tokens.total]));
    expect(await by('by=person')).toEqual({ alice: 176900, 'ci-bot': 41100 });
    expect(await by('by=agent')).toEqual({ claude: 160000, codex: 58000 });
    expect(await by('by=model')).toEqual({ 'claude-sonnet-4-5': 53000, 'gpt-5-codex': 57400, 'claude-opus-4-1': 107000, 'local-llama': 600 });
    expect(await by('by=day')).toEqual({ [dayString(1)]: 53600, [dayString(2)]: 123900, [dayString(3)]: 40500 });
    expect(await by('by=machine&person=alice&agent=codex')).toEqual({ 'm-laptop': 16900 });
    expect(await by(`by=model&day=${dayString(1)}`)).toEqual({ 'claude-sonnet-4-5': 53000, 'local-llama': 600 });
  });

  test('the daily series has the local shape and the same figures', async () => {
    const { body } = await get<TeamDaily>(reader, '/api/team/daily?days=7');
    expect(body.days).toHaveLength(7);
    expect(body.days[6]).toBe(dayString(0));
    const codex = body.series.find((s) => s.harness === 'codex' && s.model === 'gpt-5-codex')!;
    expect(codex.tokens[6 - 2]).toBe(16900);
    expect(codex.tokens[6 - 3]).toBe(40500);
    expect(codex.cost[6 - 3]).toBeCloseTo(0.03, 10);
    const llama = body.series.find((s) => s.model === 'local-llama')!;
    expect(llama.tokens[6 - 1]).toBe(600);
    expect(llama.cost[6 - 1]).toBeNull();
    const sum = body.series.reduce((n, s) => n + s.tokens.reduce((a, b) => a + b, 0), 0);
    expect(sum).toBe(218000);
    const ci = await get<TeamDaily>(reader, '/api/team/daily?days=7&machine=m-ci');
    expect(ci.body.series.map((s) => s.model).sort()).toEqual(['gpt-5-codex', 'local-llama']);
  });

  test('a timeline from am_events: oldest first, paged back, text only where it was shared', async () => {
    const full = await get<TeamTimelinePage>(reader, '/api/team/sessions/sess-laptop-claude/timeline');
    expect(full.status).toBe(200);
    expect(full.body.session.machine_name).toBe('alice-laptop');
    expect(full.body.events.map((e) => e.hook_type)).toEqual(['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PreToolUse', 'PostToolUseFailure', 'Stop']);
    expect(full.body.events[2]).toMatchObject({ tool_name: 'Bash', summary: 'Bash: npm test -- checkout', text_shared: true, failure: null });
    expect(full.body.events[5]!.failure).toBe('tool failed');
    expect(full.body.textShared).toBe(true);
    expect(full.body.older).toBeNull();

    const newest = await get<TeamTimelinePage>(reader, '/api/team/sessions/sess-laptop-claude/timeline?limit=3');
    expect(newest.body.events.map((e) => e.key)).toEqual(['e4', 'e5', 'e6']);
    const older = await get<TeamTimelinePage>(reader, `/api/team/sessions/sess-laptop-claude/timeline?limit=3&before=${encodeURIComponent(newest.body.older!)}`);
    expect(older.body.events.map((e) => e.key)).toEqual(['e1', 'e2', 'e3']);

    const hidden = await get<TeamTimelinePage>(reader, '/api/team/sessions/sess-devbox-claude/timeline');
    expect(hidden.body.textShared).toBe(false);
    expect(hidden.body.events.every((e) => e.summary === null && !e.text_shared)).toBe(true);
    expect(hidden.body.events.map((e) => e.tool_name)).toEqual([null, null, 'Read', 'Read', 'Bash', 'Bash', null]);

    const missing = await get<{ error: string }>(reader, '/api/team/sessions/nope/timeline');
    expect(missing.status).toBe(404);
  });

  test('search finds shared text across machines, newest first, with snippets', async () => {
    const { status, body } = await get<TeamSearchPage>(reader, '/api/team/search?q=rounding');
    expect(status).toBe(200);
    expect(body.textShared).toBe(true);
    expect(body.results.map((r) => r.key)).toEqual(['e6', 'e1']);
    expect(body.results[0]).toMatchObject({ session_id: 'sess-laptop-claude', machine_name: 'alice-laptop', hook_type: 'Stop', harness: 'claude' });
    expect(body.results[0]!.snippet).toContain('\u0002rounding\u0003');
    const two = await get<TeamSearchPage>(reader, '/api/team/search?q=install%20guide');
    expect(two.body.results.map((r) => r.session_id)).toEqual(['sess-laptop-codex']);
    const paged = await get<TeamSearchPage>(reader, '/api/team/search?q=checkout&limit=1');
    expect(paged.body.results).toHaveLength(1);
    const rest = await get<TeamSearchPage>(reader, `/api/team/search?q=checkout&limit=10&before=${encodeURIComponent(paged.body.next!)}`);
    expect([...paged.body.results, ...rest.body.results].map((r) => r.key)).toEqual(['e3', 'e2', 'e1']);
  });

  test('bad input is a 400 with the reason', async () => {
    for (const [path, word] of [
      ['/api/team/sessions?day=2026-13-45', 'day'],
      ['/api/team/sessions?agent=gemini', 'agent'],
      ['/api/team/sessions?cursor=garbage', 'cursor'],
      ['/api/team/totals?by=planet', 'by'],
      ['/api/team/search?q=%20', 'q'],
      ['/api/team/sessions/x/timeline?before=zzz', 'before'],
    ] as const) {
      const r = await get<{ error: string }>(reader, path);
      expect(r.status, path).toBe(400);
      expect(r.body.error, path).toContain(word);
    }
  });

  test('the push login used as the fallback reads the same, in read-only transactions', async () => {
    const { body } = await get<TeamTotals>(pushReader, '/api/team/totals?by=person');
    expect(Object.fromEntries(body.rows.map((r) => [r.key, r.tokens.total]))).toEqual({ alice: 176900, 'ci-bot': 41100 });
    const status = await get<TeamStatus>(pushReader, '/api/team/status');
    expect(status.body.source).toBe('push-url-read-only');
  });
});

describe('neither read path can write', () => {
  test('the reader login (agent_monitor_reader) is refused every write', async () => {
    const writes = [
      "INSERT INTO am_machines (machine_id, machine_name, person) VALUES ('evil', 'evil', 'evil')",
      "UPDATE am_usage SET input = 0 WHERE session_id = 'sess-ci-codex-1'",
      "DELETE FROM am_events WHERE session_id = 'sess-laptop-claude'",
      'CREATE TABLE am_evil (x int)',
      'TRUNCATE am_sightings',
    ];
    for (const sql of writes) {
      // The pool's read-only transactions refuse it first…
      await expect(reader.query(sql), sql).rejects.toMatchObject({ code: '25006' });
    }
    // …and the role's own rights, through a client that never asked for read-only.
    const { default: pgModule } = await import('pg');
    const direct = new pgModule.Client({ connectionString: pgServer.url().replace(/\/\/[^@]+@/, `//team_viewer:${encodeURIComponent(READER_PASSWORD)}@`) });
    await direct.connect();
    try {
      for (const sql of writes) await expect(direct.query(sql), sql).rejects.toMatchObject({ code: '42501' });
      expect((await direct.query<{ n: string }>('SELECT count(*) AS n FROM am_events')).rows[0]!.n).toBe('24');
    } finally {
      await direct.end();
    }
    const after = await admin.query<{ n: string }>("SELECT count(*) AS n FROM am_machines WHERE machine_id = 'evil'");
    expect(after.rows[0]!.n).toBe('0');
  });

  test('the fallback (push login, a superuser here) cannot write through the team view pool', async () => {
    await expect(pushReader.query("INSERT INTO am_machines (machine_id, machine_name, person) VALUES ('evil2', 'x', 'x')")).rejects.toMatchObject({ code: '25006' });
    await expect(pushReader.query("DELETE FROM am_events WHERE session_id = 'sess-laptop-claude'")).rejects.toMatchObject({ code: '25006' });
    const n = await admin.query<{ n: string }>("SELECT count(*) AS n FROM am_events WHERE session_id = 'sess-laptop-claude'");
    expect(n.rows[0]!.n).toBe('7');
  });
});

describe('what the user sees when the team view cannot work', () => {
  test('not configured: status says so, data routes answer 503 with the code', async () => {
    const status = await get<TeamStatus>(null, '/api/team/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ configured: false, reachable: false, code: 'team_not_configured' });
    const r = await get<{ code: string; error: string }>(null, '/api/team/sessions');
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('team_not_configured');
    expect(r.body.error).toContain('AGENT_MONITOR_TEAM_VIEW_URL');
  });

  test('unreachable: 503 team_unreachable, and the password is not in the message', async () => {
    const port = await freePort();
    const dead = openTeamReader({ url: `postgres://someone:s3cret-Pw@127.0.0.1:${port}/x`, source: 'view-url' });
    try {
      const r = await get<{ code: string; error: string }>(dead, '/api/team/totals?by=machine');
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('team_unreachable');
      expect(r.body.error).not.toContain('s3cret');
      const status = await get<TeamStatus>(dead, '/api/team/status');
      expect(status.body).toMatchObject({ configured: true, reachable: false, code: 'team_unreachable' });
    } finally {
      await dead.close();
    }
  });

  test('a database without the am_ tables: 503 team_schema_missing', async () => {
    await admin.query('CREATE DATABASE team_empty');
    const empty = openTeamReader({ url: pgServer.url('team_empty'), source: 'view-url' });
    try {
      const r = await get<{ code: string }>(empty, '/api/team/sessions');
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('team_schema_missing');
    } finally {
      await empty.close();
    }
  });

  test('no machine shares text: search finds nothing and says why', async () => {
    await admin.query('CREATE DATABASE team_noshare');
    const client = await pgServer.connect('team_noshare');
    const noshare = openTeamReader({ url: pgServer.url('team_noshare'), source: 'view-url' });
    try {
      await migrateTeamSchema(client, { appliedBy: 'test' });
      await seedTeamDemo(client, NOW);
      await client.query('UPDATE am_events SET summary = NULL');
      const r = await get<TeamSearchPage>(noshare, '/api/team/search?q=rounding');
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ results: [], next: null, textShared: false });
      // Metadata still works: tool names on the timeline, totals unchanged.
      const t = await get<TeamTotals>(noshare, '/api/team/totals?by=machine');
      expect(t.body.all.tokens.total).toBe(218000);
    } finally {
      await noshare.close();
      await client.end();
    }
  });
});

test('TEAM_DEMO has three machines, one sharing text (what the figures above assume)', () => {
  expect(TEAM_DEMO.machines.map((m) => m.sharesText)).toEqual([true, false, false]);
});
