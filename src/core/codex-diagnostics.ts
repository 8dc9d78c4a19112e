/**
 * Read-only Codex setup diagnostics (docs/contracts.md "Codex feature flag and trust"): is the hooks feature on in
 * `$CODEX_HOME/config.toml`, and has the user trusted our hooks.json entries in `/hooks`?
 * config.toml is parsed with a TOML library and never written: the trust state is Codex's.
 */
import { execFile } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { CodexStatus } from '../shared/ipc.js';
import { readCodexHooks } from './codex-hooks.js';
import { isErrno } from './json-config.js';

/** First Codex release whose `hooks` feature is on by default (stable, default_enabled: true). */
export const CODEX_HOOKS_DEFAULT_ON_SINCE = '0.124.0';

export type CodexFeatureStatus = CodexStatus['feature'];
export type CodexTrustStatus = CodexStatus['trust'];

export interface CodexDiagnostics {
  installed: boolean;
  hooksJsonPath: string;
  configPath: string;
  feature: CodexFeatureStatus;
  trust: CodexTrustStatus;
  /** Set when hooks.json itself could not be read (trust is then 'unknown'). */
  hooksJsonError?: string;
}

export function codexConfigPath({ codexHome }: { codexHome: string }): string {
  return path.join(path.resolve(codexHome), 'config.toml');
}

/** `SessionStart` → `session_start`, the event label in trust keys. */
export function codexEventLabel(event: string): string {
  return event.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** `<abs hooks.json>:<event label>:<group index>:<handler index>` (positional; Codex's trust-state key). */
export function codexTrustKey({ hooksJsonPath, event, groupIndex, handlerIndex }: { hooksJsonPath: string; event: string; groupIndex: number; handlerIndex: number }): string {
  return `${hooksJsonPath}:${codexEventLabel(event)}:${groupIndex}:${handlerIndex}`;
}

/** Compares dotted numeric versions ("0.124.0", "v0.130.1-alpha.2" → 0.130.1). null when unreadable. */
export function compareVersions(a: string, b: string): number | null {
  const parse = (v: string): number[] | null => {
    const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return null;
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

/** Whether this Codex turns hooks on when config.toml says nothing; null when unknown. */
export function codexHooksDefaultEnabled(codexVersion: string | null | undefined): boolean | null {
  if (!codexVersion) return null;
  const c = compareVersions(codexVersion, CODEX_HOOKS_DEFAULT_ON_SINCE);
  return c === null ? null : c >= 0;
}

type TomlDoc = Record<string, unknown>;

function isTable(v: unknown): v is TomlDoc {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function tomlErrorText(configPath: string, error: unknown): string {
  if (error instanceof TomlError) {
    const first = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    return `${configPath} is not valid TOML (${first} at line ${error.line} column ${error.column}). Fix it in an editor; Codex will not start with it either.`;
  }
  return `${configPath} could not be read (${error instanceof Error ? error.message : String(error)}).`;
}

/**
 * Feature state from a parsed config: canonical `[features].hooks` wins over the deprecated
 * `[features].codex_hooks`; neither → 'default'.
 */
export function featureFromConfig({ doc, configPath, defaultEnabled }: { doc: TomlDoc; configPath: string; defaultEnabled: boolean | null }): CodexFeatureStatus {
  const features = doc.features;
  if (features !== undefined && !isTable(features)) {
    return { state: 'default', key: null, defaultEnabled, error: `[features] in ${configPath} is not a table.` };
  }
  for (const key of ['hooks', 'codex_hooks'] as const) {
    if (!features || !(key in features)) continue;
    const v = features[key];
    if (typeof v !== 'boolean') {
      return { state: 'default', key, defaultEnabled, error: `[features].${key} in ${configPath} must be true or false, not ${JSON.stringify(v)}.` };
    }
    return { state: v ? 'enabled' : 'disabled', key, defaultEnabled };
  }
  return { state: 'default', key: null, defaultEnabled };
}

/**
 * Which command each trust hash was given for. Codex keys trust by position and stores a hash of
 * the entry (command, matcher, timeout); a transport switch (sh ↔ node) rewrites the command in
 * place, so the old `trusted_hash` stays under the same key while Codex now treats the entry as
 * modified and skips it. We never compute Codex's hash (docs/contracts.md "Codex feature flag
 * and trust"); instead the installer notes, before every write of hooks.json, each trusted hash
 * it has not seen yet together with the command installed at that moment (the only command the
 * user could have trusted since our previous write). `<data dir>/codex-trust.json`, 0600.
 */
export const CODEX_TRUST_RECORD_FILE = 'codex-trust.json';

type TrustRecords = Record<string, { hash: string; command: string }>;

function trustRecordPath(dataDir: string): string {
  return path.join(dataDir, CODEX_TRUST_RECORD_FILE);
}

async function readTrustRecords(dataDir: string): Promise<TrustRecords> {
  try {
    const v = JSON.parse(await readFile(trustRecordPath(dataDir), 'utf8')) as unknown;
    if (!isTable(v)) return {};
    const out: TrustRecords = {};
    for (const [k, r] of Object.entries(v)) {
      if (isTable(r) && typeof r.hash === 'string' && typeof r.command === 'string') out[k] = { hash: r.hash, command: r.command };
    }
    return out;
  } catch {
    return {}; // none yet, or unreadable: then nothing is known to be stale
  }
}

/** The `trusted_hash` per key in config.toml's `[hooks.state]`, or null when config.toml cannot be read. */
async function trustedHashes(configPath: string): Promise<Record<string, string> | null> {
  let doc: TomlDoc;
  try {
    doc = parseToml(await readFile(configPath, 'utf8'));
  } catch (error) {
    return isErrno(error, 'ENOENT') ? {} : null;
  }
  const state = isTable(doc.hooks) && isTable(doc.hooks.state) ? doc.hooks.state : {};
  const out: Record<string, string> = {};
  for (const [k, rec] of Object.entries(state)) if (isTable(rec) && typeof rec.trusted_hash === 'string' && rec.trusted_hash !== '') out[k] = rec.trusted_hash;
  return out;
}

/**
 * Called by the installer right before it writes hooks.json: remembers, for each of our entries
 * with a trust hash not recorded yet, that the hash belongs to the command installed now.
 */
export async function recordCodexTrust({ codexHome, dataDir }: { codexHome: string; dataDir: string }): Promise<void> {
  let entries: Awaited<ReturnType<typeof readCodexHooks>>['entries'];
  try {
    entries = (await readCodexHooks({ codexHome })).entries;
  } catch {
    return; // an unreadable hooks.json is not rewritten either
  }
  const hashes = await trustedHashes(codexConfigPath({ codexHome }));
  if (!hashes || entries.length === 0) return;
  const hooksJsonPath = path.join(path.resolve(codexHome), 'hooks.json');
  const records = await readTrustRecords(dataDir);
  let changed = false;
  for (const e of entries) {
    const key = codexTrustKey({ hooksJsonPath, event: e.event, groupIndex: e.groupIndex, handlerIndex: e.handlerIndex });
    const hash = hashes[key];
    if (hash && records[key]?.hash !== hash) {
      records[key] = { hash, command: e.command };
      changed = true;
    }
  }
  if (!changed) return;
  const file = trustRecordPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

export async function readCodexDiagnostics({ codexHome, codexVersion = null, dataDir }: { codexHome: string; codexVersion?: string | null; dataDir?: string }): Promise<CodexDiagnostics> {
  const configPath = codexConfigPath({ codexHome });
  const defaultEnabled = codexHooksDefaultEnabled(codexVersion);

  // config.toml
  let doc: TomlDoc | null = {};
  let feature: CodexFeatureStatus;
  try {
    const text = await readFile(configPath, 'utf8');
    doc = parseToml(text);
    feature = featureFromConfig({ doc, configPath, defaultEnabled });
  } catch (error) {
    if (isErrno(error, 'ENOENT')) {
      feature = { state: 'default', key: null, defaultEnabled };
    } else {
      doc = null;
      feature = { state: 'default', key: null, defaultEnabled, error: tomlErrorText(configPath, error) };
    }
  }

  // hooks.json: our entries, positioned as Codex numbers them.
  let hooks: Awaited<ReturnType<typeof readCodexHooks>>;
  try {
    hooks = await readCodexHooks({ codexHome });
  } catch (error) {
    const hooksJsonPath = path.join(path.resolve(codexHome), 'hooks.json');
    return {
      installed: false,
      hooksJsonPath,
      configPath,
      feature,
      trust: { state: 'unknown', entries: [] },
      hooksJsonError: error instanceof Error ? error.message : String(error),
    };
  }
  const hooksJsonPath = path.join(path.resolve(codexHome), 'hooks.json');
  const installed = hooks.entries.length > 0;
  const state = doc && isTable(doc.hooks) && isTable(doc.hooks.state) ? doc.hooks.state : {};
  const records = dataDir ? await readTrustRecords(dataDir) : {};
  const entries = hooks.entries.map((e) => {
    const key = codexTrustKey({ hooksJsonPath, event: e.event, groupIndex: e.groupIndex, handlerIndex: e.handlerIndex });
    const rec = state[key];
    const hash = isTable(rec) && typeof rec.trusted_hash === 'string' && rec.trusted_hash !== '' ? rec.trusted_hash : null;
    const disabled = isTable(rec) && rec.enabled === false;
    // The hash on record was given to another command (a transport switch since): Codex sees
    // the entry as modified and skips it until it is trusted again.
    const stale = hash !== null && records[key]?.hash === hash && records[key].command !== e.command ? records[key] : null;
    const entry: CodexTrustStatus['entries'][number] = { key, event: e.event, trusted: hash !== null && !stale, disabled };
    if (stale) entry.modified = { trustedCommand: stale.command, installedCommand: e.command };
    return entry;
  });
  let trustState: CodexTrustStatus['state'];
  if (!installed) trustState = 'not-installed';
  else if (doc === null) trustState = 'unknown';
  else if (entries.every((e) => e.trusted && !e.disabled)) trustState = 'trusted';
  else if (entries.some((e) => e.trusted && !e.disabled)) trustState = 'partly-trusted';
  else trustState = 'untrusted';
  return { installed, hooksJsonPath, configPath, feature, trust: { state: trustState, entries } };
}

/**
 * The installed Codex CLI version (`codex --version` prints `codex-cli 0.169.0`), or null when
 * Codex is not on PATH or does not answer within the timeout. Asynchronous, so neither the
 * Electron main process nor the runner blocks on it; the hook service asks for it lazily.
 */
export function detectCodexVersion({ command = 'codex', env = process.env, timeoutMs = 3000 }: { command?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { env, encoding: 'utf8', timeout: timeoutMs }, (err, stdout) => {
      const m = err ? null : /(\d+\.\d+\.\d+)/.exec(stdout);
      resolve(m ? m[1]! : null);
    });
  });
}
