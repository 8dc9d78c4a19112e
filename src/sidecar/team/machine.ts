/**
 * Who is pushing: this machine's identity for team sync and OTLP export (docs/contracts.md
 * "Team sync"). The machine id is a random UUID created once in `<data dir>/machine-id` (0600) and
 * kept for the data dir's lifetime, so a renamed host stays the same machine and two data dirs on
 * one host (tests run three sidecars) are different machines. The name and the person are
 * attributes, overridable by AGENT_MONITOR_MACHINE_NAME and AGENT_MONITOR_PERSON.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';

export const MACHINE_ID_FILE = 'machine-id';

export interface MachineIdentity {
  machineId: string;
  machineName: string;
  person: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The data dir's machine id, created on first use. A file that exists but does not hold a UUID is
 * an error (never overwritten: it could be another tool's, or a damaged copy the user wants back).
 */
export function machineId(dataDir: string): string {
  const file = join(dataDir, MACHINE_ID_FILE);
  const existing = readId(file);
  if (existing !== null) return existing;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const id = randomUUID();
  // Written to a temp file and linked into place without replacing: two starts racing on one data
  // dir end up with the same id (the loser reads the winner's).
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${id}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, 0o600);
    linkSync(tmp, file); // fails with EEXIST when another start won
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the machine id ${file}: ${(err as Error).message}`);
  } finally {
    unlinkSync(tmp);
  }
  return readId(file) ?? id;
}

function readId(file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read the machine id ${file}: ${(err as Error).message}`);
  }
  const id = text.trim().toLowerCase();
  if (!UUID_RE.test(id)) throw new Error(`${file} does not hold a machine id (a UUID); move it away to create a new one`);
  return id;
}

function nonEmpty(v: string | undefined): string | null {
  const t = v?.trim();
  return t ? t.slice(0, 200) : null;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Id from the data dir; name and person from the environment, else the OS. */
export function machineIdentity(dataDir: string, env: NodeJS.ProcessEnv = process.env): MachineIdentity {
  return {
    machineId: machineId(dataDir),
    machineName: nonEmpty(env.AGENT_MONITOR_MACHINE_NAME) ?? hostname(),
    person: nonEmpty(env.AGENT_MONITOR_PERSON) ?? osUser(),
  };
}
