/**
 * The team connection strings (docs/contracts.md "Team settings"): the PostgreSQL URL the sidecar
 * pushes to and the one the team view reads with. They carry passwords, so they are kept apart
 * from settings.json, in a private file of the data dir (0600, written atomically):
 *
 * - headless (`npm run monitor`): `<data dir>/team-secrets.json`, the strings as they are; the
 *   file's mode is the protection, as for `~/.pgpass`;
 * - the Electron host: `<data dir>/team-secrets.safe.json`, each string encrypted with Electron's
 *   `safeStorage` (the OS keychain) by src/electron-main/safe-secrets.ts, which refuses to store
 *   anything when only a plain-text backend is available.
 *
 * A file that cannot be read or parsed is reported and never overwritten. Nothing here logs a
 * secret; callers show them only through redactUrl (src/shared/redact-url.ts).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const TEAM_SECRETS_FILE = 'team-secrets.json';
export const TEAM_SECRETS_SAFE_FILE = 'team-secrets.safe.json';

export interface TeamSecrets {
  /** postgres://… the sidecar pushes to (AGENT_MONITOR_TEAM_DB_URL). */
  teamDbUrl: string | null;
  /** postgres://… of a read-only role for the team view (AGENT_MONITOR_TEAM_VIEW_URL). */
  teamViewUrl: string | null;
}

export interface SecretStorageInfo {
  /** Whether a secret can be stored here now. */
  available: boolean;
  /** Where and how, in words for the Settings page and `status`. */
  where: string;
  /** Why not, when unavailable. */
  error?: string;
}

export interface TeamSecretStore {
  get(): TeamSecrets;
  /** Stores the given keys (null clears one). Throws with a clear message; nothing half-written. */
  set(patch: Partial<TeamSecrets>): void;
  info(): SecretStorageInfo;
}

/** How one value is turned into what the file holds, and back. */
export interface SecretCodec {
  encode(plain: string): string;
  decode(stored: string): string;
  info(): SecretStorageInfo;
}

const KEYS = ['teamDbUrl', 'teamViewUrl'] as const;

export class TeamSecretsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TeamSecretsError';
  }
}

function readFile(file: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TeamSecretsError(`The team secrets file ${file} could not be read (${(err as Error).message}).`, { cause: err });
  }
  try {
    const doc = JSON.parse(text) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as Record<string, unknown>;
  } catch (err) {
    throw new TeamSecretsError(`The team secrets file ${file} is not valid (${(err as Error).message}). Fix or remove it; it was not replaced.`, { cause: err });
  }
}

/** tmp file (0600, fsync) → rename: a crash leaves the old file or the new one, never a mix. */
function writePrivate(file: string, doc: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(doc, null, 2)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** A store over one private JSON file, each value passed through `codec`. */
export function createSecretFileStore({ file, codec }: { file: string; codec: SecretCodec }): TeamSecretStore {
  return {
    get() {
      const doc = readFile(file);
      const out: TeamSecrets = { teamDbUrl: null, teamViewUrl: null };
      if (!doc) return out;
      for (const k of KEYS) {
        const v = doc[k];
        if (typeof v !== 'string' || v === '') continue;
        try {
          out[k] = codec.decode(v);
        } catch (err) {
          throw new TeamSecretsError(`The ${k} in ${file} could not be decrypted (${(err as Error).message}). Enter it again in Settings.`, { cause: err });
        }
      }
      return out;
    },
    set(patch) {
      const info = codec.info();
      const storing = KEYS.some((k) => typeof patch[k] === 'string' && patch[k] !== '');
      if (storing && !info.available) throw new TeamSecretsError(info.error ?? 'No safe place to store the connection string.');
      const doc = readFile(file) ?? {};
      const next: Record<string, unknown> = { ...doc, version: 1 };
      for (const k of KEYS) {
        if (!(k in patch)) continue;
        const v = patch[k];
        if (v === null || v === undefined || v === '') delete next[k];
        else next[k] = codec.encode(v);
      }
      try {
        writePrivate(file, next);
      } catch (err) {
        throw new TeamSecretsError(`The team secrets file ${file} could not be written (${(err as Error).message}); nothing was changed.`, { cause: err });
      }
    },
    info: () => codec.info(),
  };
}

/** Headless: `<data dir>/team-secrets.json`, 0600, the strings as they are. */
export function createHeadlessSecretStore({ dataDir }: { dataDir: string }): TeamSecretStore {
  const file = path.join(dataDir, TEAM_SECRETS_FILE);
  return createSecretFileStore({
    file,
    codec: {
      encode: (s) => s,
      decode: (s) => s,
      info: () => ({ available: true, where: `${file} (readable by you only, 0600)` }),
    },
  });
}

/** For tests and one-shot runs. */
export function createMemorySecretStore(initial: Partial<TeamSecrets> = {}): TeamSecretStore {
  let state: TeamSecrets = { teamDbUrl: null, teamViewUrl: null, ...initial };
  return {
    get: () => ({ ...state }),
    set(patch) {
      const next = { ...state };
      for (const k of KEYS) if (k in patch) next[k] = patch[k] || null;
      state = next;
    },
    info: () => ({ available: true, where: 'memory' }),
  };
}
