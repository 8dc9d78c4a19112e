// Run an interactive agent CLI (its TUI) in a pseudo-terminal, so tests can see what only the
// interactive modes do (approval prompts) and answer with keystrokes. @lydell/node-pty ships
// prebuilt binaries: nothing to compile, nothing installed by hand.
import pty from '@lydell/node-pty';

export interface InteractiveRun {
  /** Everything the program drew so far, escape sequences removed. */
  screen(): string;
  write(keys: string): void;
  /** Resolves with the exit code (null when killed). */
  exited: Promise<number | null>;
  kill(): void;
}

const ESC = '\u001b';
const BEL = '\u0007';
// Built from strings: terminal escapes are control characters by definition.
const OSC = new RegExp(`${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)`, 'g');
const CSI = new RegExp(`${ESC}\\[[0-9;?<>=!]*[ -/]*[@-~]`, 'g');
const CHARSET = new RegExp(`${ESC}[()][0-9A-Za-z]`, 'g');
const OTHER = new RegExp(`${ESC}[=>@-_]`, 'g');

/** Terminal output as plain text: CSI/OSC sequences and other escapes removed. */
export function stripAnsi(text: string): string {
  return text.replace(OSC, '').replace(CSI, '').replace(CHARSET, '').replace(OTHER, '');
}

export function runInteractive(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; cols?: number; rows?: number }): InteractiveRun {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
  env.TERM ??= 'xterm-256color';
  const child = pty.spawn(cmd, args, { cwd: opts.cwd, env, cols: opts.cols ?? 120, rows: opts.rows ?? 40, name: 'xterm-256color' });
  let raw = '';
  child.onData((d) => {
    raw += d;
    // Keep memory bounded on a long run; the tail is what matters.
    if (raw.length > 2_000_000) raw = raw.slice(-1_000_000);
  });
  const exited = new Promise<number | null>((resolve) => child.onExit(({ exitCode, signal }) => resolve(signal ? null : exitCode)));
  let alive = true;
  void exited.then(() => (alive = false));
  return {
    screen: () => stripAnsi(raw),
    write: (keys) => child.write(keys),
    exited,
    kill: () => {
      if (alive) child.kill('SIGKILL');
    },
  };
}
