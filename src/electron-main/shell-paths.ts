/**
 * Where the shell's files are, relative to the app root (the folder holding dist/ and build/).
 * One place, so app.ts, the headless runner and the smoke test agree.
 */
import path from 'node:path';

export interface ShellFiles {
  /** dist/main.cjs's folder. */
  distDir: string;
  preload: string;
  rendererHtml: string;
  /** The materialized sidecar (scripts/build-agent-monitor.ts). */
  serverEntry: string;
  /** Copied into <dataDir>/hooks/ by the hook service. */
  claudeHandlerSource: string;
  codexHandlerSource: string;
}

export function shellFiles({ appRoot }: { appRoot: string }): ShellFiles {
  const distDir = path.join(appRoot, 'dist');
  return {
    distDir,
    preload: path.join(distDir, 'preload.cjs'),
    rendererHtml: path.join(distDir, 'renderer', 'index.html'),
    serverEntry: path.join(appRoot, 'build', 'agent-monitor', 'server', 'index.js'),
    claudeHandlerSource: path.join(appRoot, 'build', 'agent-monitor', 'scripts', 'hook-handler.js'),
    // The build copies the Codex handler next to the upstream one, so a packaged app ships one folder.
    codexHandlerSource: path.join(appRoot, 'build', 'agent-monitor', 'scripts', 'codex-hook-handler.js'),
  };
}

/** The Electron data dir (docs/contracts.md "Folders"): `<userData>/agent-monitor`, or the override. */
export function electronDataDir({ userData, env }: { userData: string; env: Readonly<Record<string, string | undefined>> }): string {
  const override = env.AGENT_MONITOR_DATA_DIR;
  return override && override.trim() !== '' ? path.resolve(override) : path.join(userData, 'agent-monitor');
}
