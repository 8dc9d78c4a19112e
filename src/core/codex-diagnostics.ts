/**
 * Read-only Codex setup diagnostics (docs/contracts.md "Codex feature flag and trust"): is the hooks feature on in
 * `$CODEX_HOME/config.toml`, and has the user trusted our hooks.json entries in `/hooks`?
 * config.toml is parsed with a TOML library and never written: the trust state is Codex's.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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

export async function readCodexDiagnostics({ codexHome, codexVersion = null }: { codexHome: string; codexVersion?: string | null }): Promise<CodexDiagnostics> {
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
  const entries = hooks.entries.map((e) => {
    const key = codexTrustKey({ hooksJsonPath, event: e.event, groupIndex: e.groupIndex, handlerIndex: e.handlerIndex });
    const rec = state[key];
    const trusted = isTable(rec) && typeof rec.trusted_hash === 'string' && rec.trusted_hash !== '';
    const disabled = isTable(rec) && rec.enabled === false;
    return { key, event: e.event, trusted, disabled };
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
