// runtime.json: how hook handlers and the app find the running sidecar (docs/contracts.md).
// Written by the sidecar (src/sidecar/host/runtime-file.ts), read by the sidecar manager; the
// zero-dependency hook handlers parse the same fields by hand.

export const RUNTIME_FILE = 'runtime.json';

export interface RuntimeInfo {
  version: number;
  port: number;
  pid: number;
  /** Bearer token for POST /api/hooks/event, fresh at every sidecar start. */
  token: string;
  startedAt: string;
}

/**
 * Written next to runtime.json (same lifetime, 0600) for the POSIX sh Codex handler: a curl
 * config file naming the hook URL and the token. First line: `# agent-monitor-host 1 <pid>`.
 */
export const RUNTIME_CURL_FILE = 'runtime-curl.conf';
export const RUNTIME_CURL_FIRST_LINE_PREFIX = '# agent-monitor-host 1 ';

/**
 * `<data dir>/hook-secret`: 64 hex chars, mode 0600, kept across sidecar restarts. Claude Code's
 * `type: "http"` hook entries send it (`Authorization: Bearer <secret>`) because a URL and header
 * fixed in settings.json cannot follow the per-start token. The sidecar accepts either.
 */
export const HOOK_SECRET_FILE = 'hook-secret';

/** Where Claude Code's `type: "http"` hooks post the hook input, as is. */
export const CLAUDE_HTTP_HOOK_PATH = '/api/hooks/claude';

/** The sidecar's preferred port (AGENT_MONITOR_PORT overrides); also the port in Claude's hook URL. */
export const DEFAULT_PORT = 4820;
