/**
 * Which transport each agent's hooks use, decided at install time (docs/contracts.md "Hook
 * transports"):
 *
 *   Codex:  'sh-curl' — /bin/sh runs src/handlers/codex-hook.sh, which posts with curl (no Node
 *           start per event); 'node' — the Node handler, where sh or curl is missing (Windows).
 *   Claude: 'http' — Claude Code POSTs the hook input to the sidecar itself (no process at all),
 *           where the installed Claude Code supports `type: "http"` hooks; 'command' otherwise.
 *
 * Every choice carries the reason, which `npm run monitor -- status` and the Codex status show.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

export type CodexTransport = 'sh-curl' | 'node';
export type ClaudeTransport = 'http' | 'command';

export interface TransportChoice<T extends string> {
  transport: T;
  reason: string;
}

/** curl's fractional --connect-timeout/--max-time and --data-binary @- are all there since 7.32. */
export const MIN_CURL_VERSION = '7.32.0';
/** The first Claude Code release line we checked `type: "http"` hooks against (the pinned real CLI). */
export const MIN_CLAUDE_HTTP_HOOKS_VERSION = '2.1.197';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, or null. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    if (await executable(candidate)) return candidate;
  }
  return null;
}

/** `<command> --version` → the first x.y.z in its output, or null when it does not run. */
export function commandVersion(command: string, { env = process.env, timeoutMs = 3000 }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { env, encoding: 'utf8', timeout: timeoutMs }, (err, stdout) => {
      const m = err ? null : /(\d+\.\d+\.\d+)/.exec(stdout);
      resolve(m ? m[1]! : null);
    });
  });
}

export interface CodexTransportOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** The shell the hook command names; tests point it elsewhere. */
  shPath?: string;
  /** Force a transport (`AGENT_MONITOR_CODEX_HOOK=node|sh-curl` does the same). */
  prefer?: CodexTransport | 'auto';
}

/** sh + curl where both are there (POSIX), else the Node handler; always with the reason. */
export async function chooseCodexTransport({ platform = process.platform, env = process.env, shPath = '/bin/sh', prefer }: CodexTransportOptions = {}): Promise<TransportChoice<CodexTransport>> {
  const forced = prefer && prefer !== 'auto' ? prefer : env.AGENT_MONITOR_CODEX_HOOK;
  if (forced === 'node') return { transport: 'node', reason: 'the Node handler was asked for (AGENT_MONITOR_CODEX_HOOK=node)' };
  if (platform === 'win32') return { transport: 'node', reason: 'Windows has no POSIX sh: the Node handler is used' };
  if (!(await executable(shPath))) return { transport: 'node', reason: `${shPath} is missing: the Node handler is used` };
  const curl = await findOnPath('curl', env);
  if (!curl) return { transport: 'node', reason: 'curl is not on PATH: the Node handler is used (install curl for ~10 ms hooks)' };
  const version = await commandVersion(curl, { env });
  if (!version) return { transport: 'node', reason: `${curl} --version did not run: the Node handler is used` };
  if (compareVersions(version, MIN_CURL_VERSION) < 0) {
    return { transport: 'node', reason: `curl ${version} is older than ${MIN_CURL_VERSION}: the Node handler is used` };
  }
  return { transport: 'sh-curl', reason: `${shPath} and curl ${version} (${curl}) are there: hooks post without starting Node` };
}

export interface ClaudeTransportOptions {
  env?: NodeJS.ProcessEnv;
  /** The Claude Code executable whose version decides (default `claude` on PATH). */
  command?: string;
  /** Force a transport (`AGENT_MONITOR_CLAUDE_HOOK=command|http` does the same). */
  prefer?: ClaudeTransport | 'auto';
}

/** `type: "http"` hooks when the installed Claude Code is known to support them, else command hooks. */
export async function chooseClaudeTransport({ env = process.env, command = 'claude', prefer }: ClaudeTransportOptions = {}): Promise<TransportChoice<ClaudeTransport>> {
  const forced = prefer && prefer !== 'auto' ? prefer : env.AGENT_MONITOR_CLAUDE_HOOK;
  if (forced === 'command') return { transport: 'command', reason: 'command hooks were asked for (AGENT_MONITOR_CLAUDE_HOOK=command)' };
  const version = await commandVersion(command, { env });
  if (forced === 'http') return { transport: 'http', reason: `HTTP hooks were asked for (AGENT_MONITOR_CLAUDE_HOOK=http; Claude Code ${version ?? 'version unknown'})` };
  if (!version) return { transport: 'command', reason: `\`${command} --version\` did not run, so HTTP hook support is unknown: command hooks are used` };
  if (compareVersions(version, MIN_CLAUDE_HTTP_HOOKS_VERSION) < 0) {
    return { transport: 'command', reason: `Claude Code ${version} is older than ${MIN_CLAUDE_HTTP_HOOKS_VERSION}, the first version checked with HTTP hooks: command hooks are used` };
  }
  return { transport: 'http', reason: `Claude Code ${version} supports HTTP hooks: it posts each event itself, no process per event` };
}
