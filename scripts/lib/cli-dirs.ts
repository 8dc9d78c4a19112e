/**
 * The `--upstream <dir>` / `--patches <dir>` options of check-upstream and repin. Relative paths
 * resolve against the working directory, which `npm run` sets to the repo root; that is also what
 * the printed hints assume (src/patcher/hints.ts).
 */
import path from 'node:path';

export class UsageError extends Error {}

/** Splits argv into positionals and the values of the named options (`--name v` or `--name=v`). */
export function parseArgs(argv: readonly string[], names: readonly string[]): { positional: string[]; options: Map<string, string>; help: boolean } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? (eq > 0 ? a.slice(2, eq) : a.slice(2)) : null;
    if (name === null) {
      positional.push(a);
      continue;
    }
    if (!names.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (!value) throw new UsageError(`--${name} needs a directory`);
    options.set(name, path.resolve(value));
  }
  return { positional, options, help };
}
