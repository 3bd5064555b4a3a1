// A vitest reporter that records what the closing line must say: tests
// passed, failed and skipped, plus errors raised outside any test (an
// unhandled rejection, a worker RPC timeout). vitest's JSON report omits the
// latter, yet they make vitest exit 1, so the line and the exit code could
// disagree without them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where the summary goes: scripts/run-tests.mjs names a file per run (WITPLUG_TEST_SUMMARY). */
export const SUMMARY_FILE = process.env.WITPLUG_TEST_SUMMARY ?? '.cache/test-summary.json';

export default class TestSummaryReporter {
  onTestRunEnd(testModules, unhandledErrors, reason) {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failedModules = [];
    for (const mod of testModules) {
      let tests = 0;
      for (const test of mod.children.allTests()) {
        tests++;
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that fails to load (syntax error, a throwing beforeAll) has no test results of its own.
      if (mod.state() === 'failed' && tests === 0) failedModules.push(mod.moduleId);
    }
    const outside = unhandledErrors.map((e) => String(e?.message ?? e).split('\n')[0]);
    mkdirSync(dirname(SUMMARY_FILE), { recursive: true });
    writeFileSync(SUMMARY_FILE, JSON.stringify({ passed, failed, skipped, failedModules, outside, reason }));
  }
}
