import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

export interface SummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts a run the way its exit code judges it:
 * - passed / skipped: tests (a test left unrun because its file or suite failed is skipped, as
 *   vitest counts it; the failure itself is counted below);
 * - failed: failed tests, plus each test file or suite that failed outside a test (import error,
 *   a throwing beforeAll/afterAll, a collection error), plus each unhandled error;
 * - a run that did not pass is never reported as 0 failed (a failure vitest attributes to no file,
 *   e.g. an interrupted run, counts as one).
 */
export function countRun(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): SummaryCounts & { outsideFiles: boolean } {
  let passed = 0;
  let failed = unhandledErrors.length;
  let skipped = 0;
  for (const mod of testModules) {
    if (mod.errors().length > 0) failed++;
    for (const suite of mod.children.allSuites()) if (suite.errors().length > 0) failed++;
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') passed++;
      else if (state === 'failed') failed++;
      else skipped++;
    }
  }
  const outsideFiles = reason !== 'passed' && failed === 0;
  if (outsideFiles) failed = 1;
  return { passed, failed, skipped, outsideFiles };
}

/** Prints one plain closing line that CI's log reader understands: "vitest: N passed, N failed, N skipped". */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    const { passed, failed, skipped, outsideFiles } = countRun(testModules, unhandledErrors, reason);
    if (outsideFiles) console.log(`vitest: the run ended "${reason}" with no failing test or file; counted as 1 failed (see the output above)`);
    console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
