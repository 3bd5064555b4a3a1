/**
 * Admission benchmark: decode + check time for the largest guest component
 * (the ~12 MB componentize-js guest when built) against wit/ world gateway-plugin.
 * WITPLUG_ADMISSION_PLUGIN=<path> benches another component.
 * Prints one JSON object and returns it (the lead's bench runner may import `run`).
 * Requires `npm run build` (uses dist/).
 */
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
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
  return {
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run();
  console.log(JSON.stringify(result));
}
