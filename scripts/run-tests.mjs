#!/usr/bin/env node
// Runs vitest and ends with the plain line CI's test counter reads:
// "N passed, N failed[, N skipped]". The line and the exit code always agree:
// a file that failed to load and an error raised outside any test each count
// as one failure, and the exit code is 1 exactly when the line has failures.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { SUMMARY_FILE } from './test-summary-reporter.mjs';

rmSync(SUMMARY_FILE, { force: true });
const res = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=./scripts/test-summary-reporter.mjs', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

let summary;
try {
  summary = JSON.parse(readFileSync(SUMMARY_FILE, 'utf8'));
} catch {
  summary = { passed: 0, failed: 0, skipped: 0, failedModules: [], outside: [`vitest ended (status ${res.status ?? res.signal}) without a summary`] };
}
let failed = summary.failed + summary.failedModules.length + summary.outside.length;
for (const m of summary.failedModules) console.log(`failed to run: ${m}`);
for (const e of summary.outside) console.log(`error outside tests: ${e}`);
if (failed === 0 && res.status !== 0) {
  // vitest failed for a reason neither a test nor an unhandled error explains: still a failure.
  console.log(`vitest exited with status ${res.status ?? res.signal}`);
  failed = 1;
}
console.log(`${summary.passed} passed, ${failed} failed` + (summary.skipped ? `, ${summary.skipped} skipped` : ''));
process.exit(failed === 0 ? 0 : 1);
