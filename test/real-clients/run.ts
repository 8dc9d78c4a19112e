// Run the real Codex / Claude Code CLIs against the fake model servers, with every home folder
// pointed at temp dirs. Nothing here touches the real home folder.
import { spawn } from 'node:child_process';
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
  /** The model Codex asks for (default `fake-model`). */
  model?: string;
}

/** Write `$CODEX_HOME/config.toml` selecting the fake provider. Returns the file path. */
export function writeCodexConfig(opts: WriteCodexConfigOptions): string {
  const toml = [
    `model = ${JSON.stringify(opts.model ?? 'fake-model')}`,
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
