/**
 * Command lines of the repo's scripts: `node:util` parseArgs, strict, so an unknown option, an
 * option missing its value or a stray argument stops the script with what was wrong and its usage
 * text (exit code 2) instead of being silently ignored.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line: reported with the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, usage: string) {
    super(`${message}\n${usage}`);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with `strict: true`; its errors become UsageErrors carrying `usage`. */
export function parseCli<O extends Options, P extends boolean = false>({ argv, usage, options, allowPositionals }: { argv: string[]; usage: string; options: O; allowPositionals?: P }) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: (allowPositionals ?? false) as P });
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

/**
 * Runs a script's main: a UsageError prints its message (with the usage) and exits 2, any other
 * error prints and exits 1; `prefix` starts the message line (e.g. "[monitor] ").
 */
export function runCli(main: () => Promise<unknown>, { prefix = '' }: { prefix?: string } = {}): void {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${prefix}${error.message}`);
      process.exit(2);
    }
    console.error(prefix ? `${prefix}${error instanceof Error ? error.message : String(error)}` : error);
    process.exit(1);
  });
}

/** `--runs <n>` of a single benchmark script run on its own (`npx tsx scripts/bench/<script>`). */
export function benchRunsArg(argv: string[], { script, defaultRuns }: { script: string; defaultRuns: number }): number {
  const usage = `usage: npx tsx scripts/bench/${script} [--runs <n>]   (default ${defaultRuns})`;
  const { values } = parseCli({ argv, usage, options: { runs: { type: 'string' } } });
  if (values.runs === undefined) return defaultRuns;
  if (!/^[1-9]\d*$/.test(values.runs)) throw new UsageError(`--runs takes a positive integer, got "${values.runs}"`, usage);
  return Number(values.runs);
}

/**
 * The command line of the patch tools (check-upstream, repin): positionals, folder options and
 * `--help`. Relative folders resolve against the working directory, which `npm run` sets to the
 * repo root; that is also what the printed hints assume (src/patcher/hints.ts).
 */
export function parseFolderCli<N extends string>({ argv, usage, folders }: { argv: string[]; usage: string; folders: readonly N[] }): {
  positional: string[];
  folders: Partial<Record<N, string>>;
  help: boolean;
} {
  const options: Options = { help: { type: 'boolean', short: 'h' } };
  for (const name of folders) options[name] = { type: 'string' };
  const { values, positionals } = parseCli({ argv, usage, options, allowPositionals: true });
  const resolved: Partial<Record<N, string>> = {};
  for (const name of folders) {
    const v = values[name];
    if (typeof v === 'string') resolved[name] = path.resolve(v);
  }
  return { positional: positionals, folders: resolved, help: values.help === true };
}
