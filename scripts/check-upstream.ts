/**
 * `npm run check-upstream -- <dir> [--patches <dir>]`: runs every patch gate against another
 * upstream snapshot and prints one row per patch, so an upgrade shows patch by patch what still
 * applies. `--patches` checks another patch set (default: patches/). Writes nothing.
 */
import path from 'node:path';
import { checkRows, defaultPatchesDir, formatCheckTable, loadPatchList, runGates } from '../src/patcher/index.js';
import type { CheckRow, PatchSpec } from '../src/patcher/index.js';
import { UsageError, parseFolderCli } from './lib/cli.js';
import { isMainModule } from './lib/is-main.js';

const USAGE = 'usage: npm run check-upstream -- <upstream snapshot dir> [--patches <patches dir>]';

export interface CheckUpstreamRun {
  rows: CheckRow[];
  table: string;
  /** The full message of every failure (diffs, candidates, the re-pin command); '' when all apply. */
  details: string;
  /** 0 when every patch applies, 1 otherwise. */
  exitCode: 0 | 1;
}

/** The script's core; tests pass their own patch list and patches folder. */
export async function runCheckUpstream({
  upstreamDir,
  patchesDir = defaultPatchesDir,
  patches,
}: {
  upstreamDir: string;
  patchesDir?: string;
  patches?: PatchSpec[];
}): Promise<CheckUpstreamRun> {
  const list = patches ?? (await loadPatchList(patchesDir));
  const run = runGates({ upstreamDir: path.resolve(upstreamDir), patches: list, patchesDir: path.resolve(patchesDir) });
  const rows = checkRows(run);
  const table = formatCheckTable(rows);
  const details = run.failures.map((f) => f.message).join('\n\n');
  return { rows, table, details, exitCode: rows.every((r) => r.status === 'applies') ? 0 : 1 };
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let args: ReturnType<typeof parseFolderCli<'patches'>>;
  try {
    args = parseFolderCli({ argv, usage: USAGE, folders: ['patches'] });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n`);
    return 2;
  }
  const dir = args.positional[0];
  if (!dir || args.positional.length > 1 || args.help) {
    err(`${USAGE}\n`);
    return 2;
  }
  const { table, details, exitCode } = await runCheckUpstream({ upstreamDir: dir, patchesDir: args.folders.patches ?? defaultPatchesDir });
  out(`${table}\n${details ? `\n${details}\n` : ''}`);
  return exitCode;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
