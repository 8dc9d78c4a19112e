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
