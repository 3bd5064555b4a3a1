/**
 * Admission benchmark: decode + check time for the largest guest component
 * (the ~12 MB componentize-js guest when built) against wit/ world gateway-plugin.
 * WITPLUG_ADMISSION_PLUGIN=<path> benches another component.
 * Prints one JSON object and returns it (`run` is exported for a runner to import).
 * Requires `npm run build` (uses dist/).
 */
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function run({ iterations = 5, plugin = process.env.WITPLUG_ADMISSION_PLUGIN } = {}) {
  const { decodeForAdmission, admitShape } = await import(pathToFileURL(join(root, 'dist/admission/gate.js')).href);
  const { loadContract } = await import(pathToFileURL(join(root, 'dist/contract/load.js')).href);
  const dist = join(root, 'guests', 'dist');
  const wasm = plugin ? [plugin] : existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith('.wasm')).map((f) => join(dist, f)) : [];
  if (wasm.length === 0) return { name: 'admission', skipped: 'no guests/dist/*.wasm (run npm run build:guests) and no WITPLUG_ADMISSION_PLUGIN' };
  const file = wasm.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const bytes = new Uint8Array(readFileSync(file));
  let t = performance.now();
  const contract = await loadContract(join(root, 'wit'), 'gateway-plugin');
  const contractMs = performance.now() - t;
  const decodeMs = [];
  const checkMs = [];
  let report;
  let firstProblems = [];
  for (let i = 0; i < iterations; i++) {
    t = performance.now();
    const d = decodeForAdmission(bytes);
    decodeMs.push(performance.now() - t);
    if ('problem' in d) throw new Error(`guest does not decode: ${d.problem.message}`);
    t = performance.now();
    report = admitShape(d.decoded.shape, contract);
    if (i === 0) firstProblems = report.problems.map((p) => `${p.code} ${p.path}`);
    checkMs.push(performance.now() - t);
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const r2 = (x) => Math.round(x * 100) / 100;
  const cli = cliCheck(file);
  // The target: decode + check < 50 ms after process start overhead. The first
  // decode + check in this fresh process is that figure (the contract is loaded before).
  const firstTotalMs = decodeMs[0] + checkMs[0];
  return {
    target: { name: 'admission of the largest guest: decode + check < 50 ms', limitMs: 50, valueMs: r2(firstTotalMs), status: firstTotalMs < 50 ? 'PASS' : 'MISS', factor: r2(50 / firstTotalMs) },
    firstTotalMs: r2(firstTotalMs),
    ...cli,
    name: 'admission',
    plugin: file.startsWith(root) ? file.slice(root.length + 1) : file,
    bytes: bytes.length,
    iterations,
    contractLoadMs: r2(contractMs),
    decodeMsMedian: r2(med(decodeMs)),
    checkMsMedian: r2(med(checkMs)),
    totalMsMedian: r2(med(decodeMs.map((d, i) => d + checkMs[i]))),
    firstDecodeMs: r2(decodeMs[0]),
    accepted: report.accepted,
    problems: report.problems.length,
    problemList: firstProblems,
  };
}

/**
 * `witplug check --json` of the plugin as a user runs it, minus `witplug --version`
 * (Node start-up + loading the CLI): median of 3 each, after one warm-up run that
 * fills the contract disk cache.
 */
function cliCheck(file) {
  const main = join(root, 'dist/cli/main.js');
  const time = (args) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { ms: performance.now() - t0, status: r.status, stdout: r.stdout };
  };
  const check = ['check', file, '--wit', join(root, 'wit'), '--world', 'gateway-plugin', '--json'];
  const first = time(check);
  if (first.status !== 0) return { cliCheckError: `witplug check exited ${first.status}: ${first.stdout.slice(0, 200)}` };
  const med = (xs) => [...xs].sort((a, b) => a - b)[1];
  const checkMs = med([0, 1, 2].map(() => time(check).ms));
  const versionMs = med([0, 1, 2].map(() => time(['--version']).ms));
  const r2 = (x) => Math.round(x * 100) / 100;
  return { cliCheckWallMs: r2(checkMs), cliStartupWallMs: r2(versionMs), cliCheckOverStartupMs: r2(checkMs - versionMs) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run();
  console.log(JSON.stringify(result));
}
