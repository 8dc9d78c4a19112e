/**
 * `npm run check-upstream -- <dir>`: runs every patch gate against another upstream snapshot and
 * prints one row per patch, so an upgrade shows patch by patch what still applies. Writes nothing.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkUpstream, formatCheckTable, loadPatchList } from '../src/patcher/index.js';
import type { CheckRow, PatchSpec } from '../src/patcher/index.js';
import { isMainModule } from './lib/is-main.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface CheckUpstreamRun {
  rows: CheckRow[];
  table: string;
  /** 0 when every patch applies, 1 otherwise. */
  exitCode: 0 | 1;
}

/** The script's core; tests pass their own patch list and patches folder. */
export async function runCheckUpstream({
  upstreamDir,
  patchesDir = path.join(repoRoot, 'patches'),
  patches,
}: {
  upstreamDir: string;
  patchesDir?: string;
  patches?: PatchSpec[];
}): Promise<CheckUpstreamRun> {
  const list = patches ?? (await loadPatchList(patchesDir));
  const rows = checkUpstream({ upstreamDir: path.resolve(upstreamDir), patches: list, patchesDir });
  const table = formatCheckTable(rows);
  return { rows, table, exitCode: rows.every((r) => r.status === 'applies') ? 0 : 1 };
}

async function main(argv: string[]): Promise<number> {
  const dir = argv.find((a) => !a.startsWith('-'));
  if (!dir || argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write('usage: npm run check-upstream -- <upstream snapshot dir>\n');
    return 2;
  }
  const { table, exitCode } = await runCheckUpstream({ upstreamDir: dir });
  process.stdout.write(`${table}\n`);
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
