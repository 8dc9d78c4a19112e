// The closing line of test/helpers/summary-reporter.ts against REAL vitest runs: a temp project
// with its own config (the repo's node_modules linked in) is run by the repo's vitest in a child
// process, and the last line it prints is compared with the run's exit code.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { countRun } from '../helpers/summary-reporter.js';
import { tempDir } from '../helpers/temp.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VITEST_BIN = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const REPORTER = path.join(ROOT, 'test', 'helpers', 'summary-reporter.ts');

/** Writes `files` into a fresh temp project, runs vitest there, returns its exit code and closing line. */
function runVitest(files: Record<string, string>): { status: number | null; closing: string; output: string } {
  const dir = tempDir('am-reporter-');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.writeFileSync(
    path.join(dir, 'vitest.config.mjs'),
    `export default { test: { include: ['*.test.ts'], reporters: ['default', ${JSON.stringify(REPORTER)}], pool: 'forks' } };\n`,
  );
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  // A clean environment for the inner run: none of this (outer) vitest worker's variables.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const res = spawnSync(process.execPath, [VITEST_BIN, 'run', '--config', 'vitest.config.mjs'], {
    cwd: dir,
    env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = `${res.stdout}\n${res.stderr}`;
  const lines = res.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  return { status: res.status, closing: lines.at(-1) ?? '', output };
}

const FAILING_BEFORE_ALL = `import { beforeAll, describe, expect, it } from 'vitest';
describe('needs a browser', () => {
  beforeAll(() => { throw new Error('could not launch'); });
  it('one', () => expect(1).toBe(1));
  it('two', () => expect(2).toBe(2));
});
`;
const IMPORT_ERROR = `import { it } from 'vitest';
import './no-such-module.js';
it('never collected', () => {});
`;
const PASSING = `import { expect, it } from 'vitest';
it('passes', () => expect(1 + 1).toBe(2));
`;

describe('summary reporter closing line', () => {
  it('a failing beforeAll and an import error count as failed, never "0 failed"', () => {
    const run = runVitest({ 'a.test.ts': FAILING_BEFORE_ALL, 'b.test.ts': IMPORT_ERROR, 'c.test.ts': PASSING });
    expect(run.status, run.output).toBe(1);
    expect(run.closing, run.output).toBe('vitest: 1 passed, 2 failed, 2 skipped');
  }, 130_000);

  it('a throwing afterAll and a top-level beforeAll count once each, beside failed and skipped tests', () => {
    const run = runVitest({
      'a.test.ts': `import { afterAll, it } from 'vitest';\nafterAll(() => { throw new Error('cleanup failed'); });\nit('ran fine', () => {});\n`,
      'b.test.ts': `import { beforeAll, it } from 'vitest';\nbeforeAll(() => { throw new Error('setup failed'); });\nit('not run', () => {});\n`,
      'c.test.ts': `import { expect, it } from 'vitest';\nit('fails', () => expect(1).toBe(2));\nit.skip('skipped on purpose', () => {});\nit('passes', () => {});\n`,
    });
    expect(run.status, run.output).toBe(1);
    expect(run.closing, run.output).toBe('vitest: 2 passed, 3 failed, 2 skipped');
  }, 130_000);

  it('a clean run says 0 failed and exits 0', () => {
    const run = runVitest({ 'c.test.ts': PASSING, 'd.test.ts': `import { it } from 'vitest';\nit.skip('later', () => {});\nit('ok', () => {});\n` });
    expect(run.status, run.output).toBe(0);
    expect(run.closing, run.output).toBe('vitest: 2 passed, 0 failed, 1 skipped');
  }, 130_000);

  it('a run that did not pass with nothing to blame still counts one failure', () => {
    expect(countRun([], [], 'failed')).toEqual({ passed: 0, failed: 1, skipped: 0, outsideFiles: true });
    expect(countRun([], [], 'interrupted')).toEqual({ passed: 0, failed: 1, skipped: 0, outsideFiles: true });
    expect(countRun([], [], 'passed')).toEqual({ passed: 0, failed: 0, skipped: 0, outsideFiles: false });
  });
});
