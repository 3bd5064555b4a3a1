// `npm run bench`: call overhead of witplug vs raw core wasm, jco-latest and
// Extism on the same guest logic; load (cold vs warm cache); memory per
// instance; plus sections from bench/*.bench.mjs. Writes
// bench/results/latest.json and prints a markdown table with the targets.
//
//   node bench/run.mjs [--quick] [--no-load] [--no-memory] [--no-sections]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBenchGuests } from './build-bench-guests.mjs';
import { machineInfo } from './lib/machine.mjs';
import { SHAPES, EXPECT } from './lib/shapes.mjs';
import { measureSync, measureAsync } from './lib/timing.mjs';
import { rawRunners } from './lib/raw-baseline.mjs';
import { loadJco } from './lib/jco-baseline.mjs';
import { jcoRunners } from './lib/jco-runners.mjs';
import { loadExtism, extismRunners, RESET_EVERY } from './lib/extism-baseline.mjs';
import { importWitplug, witplugRunners } from './lib/witplug-runners.mjs';
import { witplugAbiRunners } from './lib/witplug-abi-runners.mjs';
import { loadSection, memorySection } from './lib/load-bench.mjs';
import { subBenches } from './lib/sub-benches.mjs';
import { ratios, targets, table } from './lib/report.mjs';
import { cliBenchSection } from './lib/cli-bench.mjs';

const argv = new Set(process.argv.slice(2));
const quick = argv.has('--quick');
const timing = quick ? { batchMs: 10, batches: 5, warmupMs: 30 } : { batchMs: 50, batches: 11, warmupMs: 150 };
const started = performance.now();
const log = (msg) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
const errText = (e) => `${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}`;

const paths = await buildBenchGuests();
const componentBytes = readFileSync(paths['bench.wasm']);
const coreModule = new WebAssembly.Module(readFileSync(paths['bench-core.wasm']));

const { raw, rawCore } = rawRunners(coreModule);

let jco = {};
let jcoError = null;
const baselineLoad = { jcoMs: null, jcoTranspileMs: null, extismMs: null };
try {
  const t0 = performance.now();
  const loaded = await loadJco(componentBytes);
  baselineLoad.jcoMs = Math.round((performance.now() - t0) * 100) / 100;
  baselineLoad.jcoTranspileMs = Math.round(loaded.transpileMs * 100) / 100;
  jco = jcoRunners(loaded.exports);
} catch (e) { jcoError = `jco baseline failed: ${errText(e)}`; }

let extism = {};
let extismError = null;
try {
  const loaded = await loadExtism(readFileSync(paths['extism.wasm']));
  baselineLoad.extismMs = Math.round(loaded.loadMs * 100) / 100;
  extism = extismRunners(loaded.plugin);
} catch (e) { extismError = `Extism baseline failed: ${errText(e)}`; }

const { lib, error: libError } = await importWitplug();
let witplug = {};
let witplugErrors = {};
let witplugNotes = [];
const callCacheDir = mkdtempSync(join(tmpdir(), 'witplug-bench-calls-'));
if (lib) {
  const w = await witplugRunners(lib, paths['bench.wasm'], new lib.CompileCache(callCacheDir));
  witplug = w.runners; witplugErrors = w.errors; witplugNotes = w.notes;
}
const abi = await witplugAbiRunners(lib, componentBytes, coreModule);
witplugNotes.push(`witplugAbi: ${abi.note}`);
log(`loaded: jco ${jcoError ?? 'ok'}, extism ${extismError ?? 'ok'}, witplug ${libError ?? 'ok'}`);

/** Checks one result, then times the runner; returns {nsPerCall,...} or {nsPerCall:null,error}. */
async function timeOne(id, who, fn, isAsync) {
  // rawCore returns the core result (a return-area pointer for echo/check): only its type is checked.
  const expect = who === 'rawCore' ? (v) => v === undefined || typeof v === 'number' : EXPECT[id];
  try {
    const v = isAsync ? await fn(0) : fn();
    if (!expect(v)) return { nsPerCall: null, error: `wrong result: ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))?.slice(0, 120)}` };
    return isAsync ? await measureAsync(fn, timing) : measureSync(fn, timing);
  } catch (e) {
    return { nsPerCall: null, error: errText(e) };
  }
}

const calls = {};
for (const s of SHAPES) {
  const row = {};
  row.raw = await timeOne(s.id, 'raw', raw[s.id], false);
  row.rawCore = await timeOne(s.id, 'rawCore', rawCore[s.id], false);
  row.witplug = !lib ? { nsPerCall: null, error: libError }
    : witplug[s.id] ? await timeOne(s.id, 'witplug', witplug[s.id], false)
    : { nsPerCall: null, error: witplugErrors[s.id] ?? 'no runner' };
  row.witplugAbi = abi.runners[s.id] ? await timeOne(s.id, 'witplugAbi', abi.runners[s.id], false)
    : { nsPerCall: null, error: abi.errors[s.id] ?? 'no runner' };
  row.jco = jcoError ? { nsPerCall: null, error: jcoError } : await timeOne(s.id, 'jco', jco[s.id], false);
  row.extism = extismError ? { nsPerCall: null, error: extismError }
    : extism[s.id] === null ? null
    : await timeOne(s.id, 'extism', extism[s.id], true);
  calls[s.id] = row;
  log(`${s.id}: raw ${row.raw.nsPerCall} / core ${row.rawCore.nsPerCall} / witplug ${row.witplug.nsPerCall} / abi ${row.witplugAbi.nsPerCall} / jco ${row.jco.nsPerCall} / extism ${row.extism?.nsPerCall ?? 'n/a'} ns`);
}
rmSync(callCacheDir, { recursive: true, force: true });

const load = argv.has('--no-load') ? {} : await loadSection(lib, libError, paths['bench.wasm']);
log('load section done');
const memory = argv.has('--no-memory') ? {} : await memorySection(lib, libError, paths);
log('memory section done');
const sections = argv.has('--no-sections') ? {} : await subBenches();
log('sections done');
const cliBench = argv.has('--no-sections') || !lib ? null : await cliBenchSection(calls, quick);
if (cliBench) log('witplug bench CLI done');

const rat = ratios(calls);
const result = {
  machine: machineInfo(),
  config: { quick, timing, extismResetEvery: RESET_EVERY, witplugNotes },
  calls,
  ratios: rat,
  baselineLoad,
  load,
  memory,
  sections,
  cliBench,
  witplug: { available: lib !== null, error: libError },
  durationS: 0,
};
result.targets = targets(calls, rat, load, libError, sections);
result.durationS = Math.round((performance.now() - started) / 100) / 10;

const outDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(table(result));
console.log(`\nwrote bench/results/latest.json (${result.durationS} s)`);
