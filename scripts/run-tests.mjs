#!/usr/bin/env node
// Runs vitest and ends with the plain line CI's test counter reads:
// "N passed, N failed[, N skipped]". Exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';

mkdirSync('.cache', { recursive: true });
const out = '.cache/vitest-report.json';
const res = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
let summary = '0 passed, 0 failed';
try {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  summary = `${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : '');
} catch {
  summary = '0 passed, 1 failed';
}
console.log(summary);
process.exit(res.status ?? 1);
