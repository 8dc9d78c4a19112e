/**
 * The only place that turns a home folder and an environment into default locations
 * (docs/contracts.md "Folders"). Callers pass `os.homedir()`, `process.env` and
 * `process.platform` in from the edge; tests pass whatever they like.
 */
import path from 'node:path';

export interface HostPaths {
  dataDir: string;
  claudeConfigDir: string;
  codexHome: string;
}

export const APP_DIR_NAME = 'agent-monitor-host';

export function defaultPaths({ env, homedir, platform }: { env: Readonly<Record<string, string | undefined>>; homedir: string; platform: NodeJS.Platform }): HostPaths {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const set = (name: string): string | undefined => {
    const v = env[name];
    return v !== undefined && v.trim() !== '' ? v : undefined;
  };

  let dataDir: string;
  const override = set('AGENT_MONITOR_DATA_DIR');
  if (override !== undefined) {
    dataDir = p.resolve(override);
  } else if (platform === 'win32') {
    dataDir = p.join(set('APPDATA') ?? p.join(homedir, 'AppData', 'Roaming'), APP_DIR_NAME);
  } else if (platform === 'darwin') {
    dataDir = p.join(homedir, 'Library', 'Application Support', APP_DIR_NAME);
  } else {
    // XDG Base Directory spec: a relative XDG_DATA_HOME is invalid and must be ignored.
    const xdg = set('XDG_DATA_HOME');
    dataDir = p.join(xdg !== undefined && p.isAbsolute(xdg) ? xdg : p.join(homedir, '.local', 'share'), APP_DIR_NAME);
  }

  const claude = set('CLAUDE_CONFIG_DIR');
  const codex = set('CODEX_HOME');
  return {
    dataDir,
    claudeConfigDir: claude !== undefined ? p.resolve(claude) : p.join(homedir, '.claude'),
    codexHome: codex !== undefined ? p.resolve(codex) : p.join(homedir, '.codex'),
  };
}
