// `npm run bench` as a user runs it, with a mistake on the command line: it must stop before any
// benchmark runs, say what was wrong and print the usage (exit 2), instead of ignoring the option.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../../scripts/build-agent-monitor.js';

const TSX = join(repoRoot, 'node_modules', '.bin', 'tsx');
const BENCH = join(repoRoot, 'scripts', 'bench', 'run.ts');

describe('npm run bench argument parsing', () => {
  test.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--runs'], "Option '--runs <value>' argument missing"],
    [['--runs', '0'], '--runs takes a positive integer, got "0"'],
    [['--only', 'ingest,nope'], '--only: unknown section "nope"'],
    [['--write', 'extra'], "Unexpected argument 'extra'"],
  ])('%j is rejected with the usage text (exit 2)', (argv, message) => {
    const r = spawnSync(TSX, [BENCH, ...argv], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stdout).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('usage: npm run bench --');
    expect(r.stdout).toBe(''); // nothing was run
  }, 60_000);
});
