// Run the real Codex / Claude Code CLIs against the fake model servers, with every home folder
// pointed at temp dirs. Nothing here touches the real home folder.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureRealClients } from './ensure.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Environment variables that must never leak from the developer's shell into a test run. */
const SCRUB = /^(OPENAI_|CODEX_|ANTHROPIC_|CLAUDE|AGENT_MONITOR_|XDG_|AWS_|GOOGLE_|VERTEX|BEDROCK|HTTPS?_PROXY$|ALL_PROXY$|NO_PROXY$)/i;

export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !SCRUB.test(k)) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runProcess(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
}

// ---------------------------------------------------------------- Codex

export interface WriteCodexConfigOptions {
  codexHome: string;
  /** Base URL including `/v1`, e.g. `FakeOpenAI.url`. */
  baseUrl: string;
  /** Appended verbatim after the generated TOML (e.g. `[features]\nhooks = false`). */
  extraToml?: string;
}

/** Write `$CODEX_HOME/config.toml` selecting the fake provider. Returns the file path. */
export function writeCodexConfig(opts: WriteCodexConfigOptions): string {
  const toml = [
    'model = "fake-model"',
    'model_provider = "fake"',
    'check_for_update_on_startup = false',
    '',
    '[model_providers.fake]',
    'name = "Fake (loopback)"',
    `base_url = ${JSON.stringify(opts.baseUrl)}`,
    'wire_api = "responses"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
    '[analytics]',
    'enabled = false',
    '',
  ].join('\n');
  const file = join(opts.codexHome, 'config.toml');
  writeFileSync(file, toml + (opts.extraToml ? `\n${opts.extraToml}\n` : ''));
  return file;
}

export interface RunCodexOptions {
  codexHome: string;
  /** HOME for the child; default: `codexHome` (never the real home). */
  home?: string;
  cwd: string;
  prompt: string;
  env?: Record<string, string | undefined>;
  bypassHookTrust: boolean;
  timeoutMs: number;
  /** Extra CLI arguments inserted before the prompt. */
  extraArgs?: string[];
}

export function codexArgs(opts: { prompt: string; bypassHookTrust: boolean; extraArgs?: string[] }): string[] {
  return [
    'exec',
    '--skip-git-repo-check',
    ...(opts.bypassHookTrust ? ['--dangerously-bypass-hook-trust'] : []),
    '--dangerously-bypass-approvals-and-sandbox',
    ...(opts.extraArgs ?? []),
    opts.prompt,
  ];
}

export function runCodex(opts: RunCodexOptions): Promise<RunResult> {
  const { codexBin } = ensureRealClients();
  const env = cleanEnv({
    HOME: opts.home ?? opts.codexHome,
    CODEX_HOME: opts.codexHome,
    RUST_LOG: undefined,
    NO_COLOR: '1',
    ...opts.env,
  });
  return runProcess(codexBin, codexArgs(opts), { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs });
}

// ---------------------------------------------------------------- Claude Code

export interface RunClaudeOptions {
  /** Temp HOME; hooks live in `$HOME/.claude/settings.json`. */
  home: string;
  cwd: string;
  prompt: string;
  /** Fake Anthropic base URL without `/v1`, e.g. `FakeAnthropic.url`. */
  baseUrl: string;
  /** Passed as `--allowedTools` (e.g. `['Bash']`). */
  allowedTools: string[];
  timeoutMs: number;
  env?: Record<string, string | undefined>;
  /** Extra CLI arguments inserted before `-p`. */
  extraArgs?: string[];
}

export function runClaude(opts: RunClaudeOptions): Promise<RunResult> {
  const { claudeBin } = ensureRealClients();
  const env = cleanEnv({
    HOME: opts.home,
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ANTHROPIC_API_KEY: 'test',
    IS_SANDBOX: '1',
    CLAUDE_CONFIG_DIR: undefined,
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    NO_COLOR: '1',
    ...opts.env,
  });
  const args = [...(opts.extraArgs ?? []), '-p', opts.prompt];
  if (opts.allowedTools.length > 0) args.push('--allowedTools', opts.allowedTools.join(','));
  return runProcess(claudeBin, args, { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs });
}

// ---------------------------------------------------------------- Codex TUI under tmux

export interface CodexTui {
  /** The private tmux socket name (`tmux -L <socket>`). */
  socket: string;
  /** Type literal text into the TUI (no Enter). */
  type(text: string): void;
  /** Send tmux key names, e.g. `Enter`, `Escape`, `Down`, `C-c`. */
  keys(...keys: string[]): void;
  /** The visible screen as text. */
  capture(): string;
  /** Poll the screen until it matches; throws with the last screen on timeout. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Kill the TUI and its private tmux server. */
  close(): void;
}

export interface StartCodexTuiOptions {
  codexHome: string;
  home?: string;
  cwd: string;
  env?: Record<string, string | undefined>;
  bypassHookTrust: boolean;
  extraArgs?: string[];
  width?: number;
  height?: number;
}

let tuiSeq = 0;

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Start the interactive Codex TUI in a detached tmux session on a private socket. The child gets
 * exactly `cleanEnv(...)` (via `env -i`), so nothing leaks in from a tmux server's environment.
 * Tip: mark `cwd` trusted in config.toml (`[projects."<cwd>"] trust_level = "trusted"`) to skip the
 * folder-trust prompt.
 */
export function startCodexTui(opts: StartCodexTuiOptions): CodexTui {
  const { codexBin } = ensureRealClients();
  const socket = `am-real-${process.pid}-${++tuiSeq}`;
  const env = cleanEnv({ HOME: opts.home ?? opts.codexHome, CODEX_HOME: opts.codexHome, TERM: 'xterm-256color', ...opts.env });
  const envArgs = Object.entries(env).map(([k, v]) => shq(`${k}=${v ?? ''}`));
  const args = [
    ...(opts.bypassHookTrust ? ['--dangerously-bypass-hook-trust'] : []),
    '--dangerously-bypass-approvals-and-sandbox',
    ...(opts.extraArgs ?? []),
  ];
  const command = `exec env -i ${envArgs.join(' ')} ${shq(codexBin)} ${args.map(shq).join(' ')}`;
  const tmux = (...a: string[]): string => {
    const r = spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${a[0] ?? ''} failed: ${r.stderr || String(r.error)}`);
    return r.stdout;
  };
  tmux('new-session', '-d', '-s', 'codex', '-x', String(opts.width ?? 200), '-y', String(opts.height ?? 50), '-c', opts.cwd, command);
  const capture = (): string => tmux('capture-pane', '-p', '-t', 'codex');
  return {
    socket,
    type: (text) => void tmux('send-keys', '-t', 'codex', '-l', text),
    keys: (...keys) => void tmux('send-keys', '-t', 'codex', ...keys),
    capture,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let screen = '';
      while (Date.now() < deadline) {
        try {
          screen = capture();
        } catch (err) {
          throw new Error(`Codex TUI went away while waiting for ${String(pattern)}: ${String(err)}\n${screen}`);
        }
        if (pattern.test(screen)) return screen;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`Timed out waiting for ${String(pattern)} in the Codex TUI. Screen:\n${screen}`);
    },
    close() {
      spawnSync('tmux', ['-L', socket, 'kill-server'], { encoding: 'utf8' });
    },
  };
}
