/**
 * TLS from the connection string: the pusher (src/sidecar/team/pusher.ts) connects to a real
 * PostgreSQL serving TLS with `sslmode=verify-full&sslrootcert=<CA>`, its session is encrypted
 * (pg_stat_ssl), and a server whose certificate the named CA did not sign is refused: nothing
 * pushed, the status says why, without the password. Certificates: test/fixtures/tls/README.md.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, TEST_PG_PASSWORD, type TestPostgres } from '../../scripts/lib/postgres.js';
import { openUpstreamDb } from '../../scripts/lib/upstream-schema.js';
import { seedSession } from '../../scripts/lib/seed.js';
import { TeamPusher } from '../../src/sidecar/team/pusher.js';
import { onCleanup, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const TLS = path.resolve(import.meta.dirname, '..', 'fixtures', 'tls');
let server: TestPostgres;

beforeAll(async () => {
  server = await startPostgres({ tls: { certFile: path.join(TLS, 'server.crt'), keyFile: path.join(TLS, 'server.key') } });
});

afterAll(async () => {
  await server?.destroy();
});

function pusherFor(url: string, name: string): TeamPusher {
  const file = path.join(tempDir(), 'monitor.db');
  const db = openUpstreamDb(file);
  seedSession(db, { sessionId: `tls-${name}`, calls: 20 });
  db.close();
  const pusher = new TeamPusher({
    dbPath: file,
    url,
    shareText: false,
    identity: { machineId: `00000000-0000-4000-8000-00000000000${name === 'good' ? 1 : 2}`, machineName: name, person: 'tls' },
    intervalMs: 100,
    backoffMaxMs: 300,
    log: () => undefined,
  });
  onCleanup(() => pusher.stop());
  return pusher;
}

describe('team sync over TLS', () => {
  it('verify-full with the right CA: pushed over an encrypted session', async () => {
    const url = `${server.url()}?sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(TLS, 'server.crt'))}`;
    const pusher = pusherFor(url, 'good');
    pusher.start();
    await waitFor('caught up', () => {
      const s = pusher.status();
      return s.state === 'idle' && s.pending === 0 && s.last_push_at !== null;
    });
    expect(pusher.status().pushed).toEqual({ sessions: 1, events: 40, usage: 0 });
    const q = await server.connect();
    try {
      const r = await q.query<{ ssl: boolean }>(
        `SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'agent-monitor'`);
      expect(r.rows).toEqual([{ ssl: true }]);
      expect((await q.query('SELECT count(*)::int AS n FROM am_events')).rows[0]).toEqual({ n: 40 });
    } finally {
      await q.end();
    }
  });

  it('a CA that did not sign the server certificate: refused, reported, nothing pushed', async () => {
    const url = `${server.url()}?sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(TLS, 'other-ca.crt'))}`;
    const pusher = pusherFor(url, 'wrong-ca');
    pusher.start();
    const s = await waitFor('the refusal', () => {
      const st = pusher.status();
      return st.state === 'offline' && st.last_error ? st : null;
    });
    expect(s.last_error).toMatch(/certificate/i);
    expect(s.last_error).not.toContain(TEST_PG_PASSWORD);
    expect(s.pushed).toEqual({ sessions: 0, events: 0, usage: 0 });
    expect(s.pending).toBe(41);
  });
});
