// Overhead of core-module instrumentation on a call-heavy guest: recursive fib(25)
// (242 785 calls, no loops) and a tight loop sum(1e6), uninstrumented vs fuel vs
// fuel + deadline countdown vs fuel + deadline on one counter (singleCounter) vs fuel in an
// imported (shareable) global. Also times instrumenting the ~10 MB SpiderMonkey core module.
//
//   npx tsc -p tsconfig.json && node bench/instrument.bench.mjs
//
// Also the hook shapes of the call benchmark (bench/guests/bench.wat: no-op, add, echo,
// list<u8>, record→variant, resource method), called the way a minimal host does
// (lib/raw-baseline.mjs "raw"), on the plain core module vs instrumented copies: the
// host-side floor, where instrumentation is most visible (through a full call path the
// same absolute overhead is a smaller fraction).
//
// Prints one JSON object (one line). Ratios use the fastest of 9 interleaved batches (medians also given).
// Target: instrumented ≤ 1.30× uninstrumented.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { buildBenchGuests } from './build-bench-guests.mjs';
import { rawRunners } from './lib/raw-baseline.mjs';
import { SHAPES, EXPECT } from './lib/shapes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { instrumentCoreModule } = await import(process.env.WITPLUG_INSTRUMENT ?? `${root}dist/compile/instrument.js`);

const WAT = readFileSync(join(root, 'bench/guests/compute.wat'), 'utf8');

const plain = await parse(WAT);
const CHECK_EVERY = 100_000;

function make(bytes, shared, single = false) {
  let countdown;
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    __witplug: {
      // A real host also settles the slice and reads the clock here (see test/instrument.test.ts).
      check: () => { countdown.value = BigInt(CHECK_EVERY); },
      ...(shared ? { fuel: shared.fuel, grow_failed: shared.growFailed } : {}),
    },
  });
  countdown = single ? inst.exports.__witplug_fuel : inst.exports.__witplug_deadline_countdown;
  if (single) {
    // The fuel global holds one slice at a time; check() refills it, so the harness must not top it up.
    const { __witplug_fuel: _hidden, ...rest } = inst.exports;
    countdown.value = BigInt(CHECK_EVERY);
    return rest;
  }
  // With importGlobals the fuel global is the host's; expose it like the exported one.
  return shared ? { ...inst.exports, __witplug_fuel: shared.fuel } : inst.exports;
}
const sharedGlobals = () => ({
  fuel: new WebAssembly.Global({ value: 'i64', mutable: true }, 0n),
  growFailed: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
});

/**
 * The instrumentation witplug's sandbox applies (src/runtime/limits/resolve-limits.ts,
 * `instrumentedCompileOptions` for a fuel + timeout limit), taken from dist so
 * the bench measures exactly what plugins get; the same options by hand when
 * that module is absent.
 */
async function sandboxInstrumentation() {
  try {
    const { instrumentedCompileOptions } = await import(`${root}dist/runtime/limits/resolve-limits.js`);
    const o = instrumentedCompileOptions({ fuel: 1e9, timeoutMs: 60_000 });
    if (o?.instrument) {
      return { transform: (b) => instrumentCoreModule(b, o.instrument).bytes, options: o.instrument, from: 'dist/runtime/limits/resolve-limits.js instrumentedCompileOptions({fuel, timeoutMs})' };
    }
  } catch { /* fall through */ }
  const options = { fuel: true, deadlineCheckEvery: CHECK_EVERY, singleCounter: true, importGlobals: true };
  return { transform: (b) => instrumentCoreModule(b, options).bytes, options, from: 'hand-written options (dist/runtime/limits/resolve-limits.js not available)' };
}
const SANDBOX = await sandboxInstrumentation();
const SANDBOX_SINGLE = SANDBOX.options?.singleCounter !== false;

/**
 * `__witplug` imports for any instrumented module: a fresh Global per imported
 * global (fuel/deadline i64, grow_failed i32) and a `check` that hands out the
 * next fuel slice, as a host does. `cells` collects getters of each instance's
 * fuel global (imported or exported) so the harness can refill them.
 */
function witplugImports(module, cells) {
  return (ref) => {
    const o = {};
    let fuel = null;
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module !== '__witplug' || imp.kind !== 'global') continue;
      const i32 = imp.name === 'grow_failed';
      o[imp.name] = new WebAssembly.Global({ value: i32 ? 'i32' : 'i64', mutable: true }, i32 ? 0 : 0n);
      if (imp.name === 'fuel') fuel = o[imp.name];
    }
    const get = () => fuel ?? ref.ex?.__witplug_fuel ?? null;
    o.check = () => { get().value = BigInt(CHECK_EVERY); };
    cells.push(get);
    return { __witplug: o };
  };
}

function calibrate(f, arg, minMs) {
  for (let i = 0; i < 20; i++) f(arg); // warm-up (tier-up to TurboFan)
  let iters = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) f(arg);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= minMs / 4) return Math.max(1, Math.ceil((iters * minMs) / Math.max(ms, 0.001)));
    iters *= 2;
  }
}

/**
 * Batches of the variants are interleaved (round-robin) so machine noise hits
 * them alike; the minimum batch is reported (CPU-bound code: noise only adds).
 */
function nsPerCall(variantExports, name, arg, rounds = 9, minMs = 100) {
  const entries = Object.entries(variantExports).map(([v, e]) => {
    if (e.__witplug_fuel) e.__witplug_fuel.value = 1n << 60n;
    return { v, e, f: e[name], iters: calibrate(e[name], arg, minMs), samples: [] };
  });
  for (let r = 0; r < rounds; r++) {
    for (const x of entries) {
      if (x.e.__witplug_fuel) x.e.__witplug_fuel.value = 1n << 60n;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < x.iters; i++) x.f(arg);
      x.samples.push(Number(process.hrtime.bigint() - t0) / x.iters);
    }
  }
  const out = {};
  for (const x of entries) {
    x.samples.sort((a, b) => a - b);
    out[`${x.v}MinNs`] = Math.round(x.samples[0]);
    out[`${x.v}MedianNs`] = Math.round(x.samples[x.samples.length >> 1]);
  }
  return out;
}

function fuelPerCall(exports, name, arg) {
  const fuel = exports.__witplug_fuel;
  fuel.value = 1n << 60n;
  exports[name](arg);
  return Number((1n << 60n) - fuel.value);
}

// Child mode (see "hook shapes" below): time one variant's hook shapes and exit.
const hookArg = process.argv.indexOf('--hook-variant');
if (hookArg !== -1) {
  console.log(JSON.stringify(timeHookVariant(process.argv[hookArg + 1])));
  process.exit(0);
}

const variants = {
  plain: make(plain),
  fuel: make(instrumentCoreModule(plain, { fuel: true }).bytes),
  fuelDeadline: make(instrumentCoreModule(plain, { fuel: true, deadlineCheckEvery: CHECK_EVERY }).bytes),
  fuelDeadlineSingle: make(instrumentCoreModule(plain, { fuel: true, deadlineCheckEvery: CHECK_EVERY, singleCounter: true }).bytes, undefined, true),
  sandbox: makeSandbox(SANDBOX.transform(plain)),
  fuelImported: make(instrumentCoreModule(plain, { fuel: true, importGlobals: true }).bytes, sharedGlobals()),
};

/** An instance with the sandbox's instrumentation; its fuel stays hidden when metered in slices (check() refills). */
function makeSandbox(bytes) {
  const module = new WebAssembly.Module(bytes);
  const cells = [];
  const ref = { ex: null };
  const imports = witplugImports(module, cells)(ref);
  ref.ex = new WebAssembly.Instance(module, imports).exports;
  const fuel = cells[0]();
  if (SANDBOX_SINGLE) {
    fuel.value = BigInt(CHECK_EVERY);
    const { __witplug_fuel: _hidden, ...rest } = ref.ex;
    return rest;
  }
  return { ...ref.ex, __witplug_fuel: fuel };
}

const result = { node: process.version, sandboxInstrumentation: { from: SANDBOX.from, options: SANDBOX.options }, workloads: {} };
for (const [name, arg] of [['fib', 25], ['sum', 1_000_000]]) {
  const w = nsPerCall(variants, name, arg);
  w.fuelRatio = +(w.fuelMinNs / w.plainMinNs).toFixed(3);
  w.fuelDeadlineRatio = +(w.fuelDeadlineMinNs / w.plainMinNs).toFixed(3);
  w.fuelDeadlineSingleRatio = +(w.fuelDeadlineSingleMinNs / w.plainMinNs).toFixed(3);
  w.sandboxRatio = +(w.sandboxMinNs / w.plainMinNs).toFixed(3);
  w.fuelImportedRatio = +(w.fuelImportedMinNs / w.plainMinNs).toFixed(3);
  w.fuelRatioMedian = +(w.fuelMedianNs / w.plainMedianNs).toFixed(3);
  w.fuelUnitsPerCall = fuelPerCall(variants.fuel, name, arg);
  result.workloads[`${name}(${arg})`] = w;
}

// ---- hook shapes: the call benchmark's guest, plain vs instrumented ----
// Each variant is timed in a process of its own (passes alternate between variants):
// in one process, V8's JS→wasm call paths for ~3 ns calls depend on what ran before
// (measured: no-op 2.4 ns alone, 7 ns after the other variants), which would make
// the ratio an artefact of the order, not of the instrumentation.
const TARGET = 1.3;
const HOOK_VARIANTS = ['plain', 'fuel', 'sandbox'];

function hookVariantBytes(v, benchCore) {
  if (v === 'plain') return benchCore;
  if (v === 'fuel') return instrumentCoreModule(benchCore, { fuel: true }).bytes;
  return SANDBOX.transform(benchCore);
}

/** In a child: ns/call of every hook shape for one variant (min and median of `rounds` batches). */
function timeHookVariant(v, rounds = 9, batchMs = 15) {
  const benchCore = readFileSync(`${root}bench/guests/dist/bench-core.wasm`);
  const single = v === 'sandbox' && SANDBOX_SINGLE;
  const module = new WebAssembly.Module(hookVariantBytes(v, benchCore));
  const cells = [];
  const { raw, rawCore } = rawRunners(module, { extraImports: witplugImports(module, cells) });
  const refill = () => { for (const get of cells) { const g = get(); if (g) g.value = single ? BigInt(CHECK_EVERY) : 1n << 60n; } };
  const out = {};
  for (const [level, runners] of [['raw', raw], ['core', rawCore]]) for (const sh of SHAPES) {
    const f = runners[sh.id];
    refill();
    const got = f();
    if (level === 'raw' ? !EXPECT[sh.id](got) : !(got === undefined || typeof got === 'number')) throw new Error(`hook shape ${sh.id} (${v}, ${level}) returned a wrong result`);
    // A loop function of its own per shape keeps the call site monomorphic.
    const loop = new Function('f', 'n', 'hr', 'const t0 = hr(); for (let i = 0; i < n; i++) f(); return Number(hr() - t0);');
    const run = (n) => loop(f, n, process.hrtime.bigint);
    run(2000);
    let n = 1;
    for (;;) {
      const ms = run(n) / 1e6;
      if (ms >= batchMs / 4) { n = Math.max(1, Math.ceil((n * batchMs) / ms)); break; }
      n *= 2;
    }
    const samples = [];
    for (let r = 0; r < rounds; r++) { refill(); samples.push(run(n) / n); }
    samples.sort((a, b) => a - b);
    out[`${level}:${sh.id}`] = { min: samples[0], median: samples[samples.length >> 1] };
  }
  return out;
}

if (!existsSync(`${root}bench/guests/dist/bench-core.wasm`)) await buildBenchGuests();
const hookTimes = Object.fromEntries(HOOK_VARIANTS.map((v) => [v, []]));
for (let pass = 0; pass < 4; pass++) {
  for (const v of HOOK_VARIANTS) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--hook-variant', v], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`hook variant ${v} failed: ${r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.stderr.slice(0, 300)}`);
    hookTimes[v].push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
}
const r1 = (x) => Math.round(x * 10) / 10;
// hookShapes: the minimal host's whole call (lowering, core call, lifting; the target);
// hookShapesCore: the core call alone, arguments pre-lowered (the guest-side worst case).
// Figures: the fastest batch over 4 processes per variant (min), and the best median.
for (const [key, level] of [['hookShapes', 'raw'], ['hookShapesCore', 'core']]) {
  result[key] = {};
  for (const sh of SHAPES) {
    const row = { label: sh.label };
    for (const v of HOOK_VARIANTS) {
      row[`${v}MinNs`] = r1(Math.min(...hookTimes[v].map((t) => t[`${level}:${sh.id}`].min)));
      row[`${v}MedianNs`] = r1(Math.min(...hookTimes[v].map((t) => t[`${level}:${sh.id}`].median)));
    }
    for (const v of HOOK_VARIANTS) if (v !== 'plain') row[`${v}Ratio`] = +(row[`${v}MinNs`] / row.plainMinNs).toFixed(3);
    result[key][sh.id] = row;
  }
}

// ---- targets: instrumented ≤ 1.30× uninstrumented ----
const fib = result.workloads['fib(25)'];
const worst = (key) => {
  let w = null;
  for (const [id, h] of Object.entries(result.hookShapes)) if (w === null || h[key] > w.ratio) w = { id, ratio: h[key] };
  return w;
};
result.targets = [
  { name: 'fuel overhead fib(25) ≤ 1.30×', value: fib.fuelRatio },
  { name: 'sandbox instrumentation (fuel+deadline) fib(25) ≤ 1.30×', value: fib.sandboxRatio },
  { name: 'fuel overhead, hook shapes (worst) ≤ 1.30×', value: worst('fuelRatio').ratio, worst: worst('fuelRatio').id },
  { name: 'sandbox instrumentation (fuel+deadline), hook shapes (worst) ≤ 1.30×', value: worst('sandboxRatio').ratio, worst: worst('sandboxRatio').id },
].map((t) => ({ ...t, limit: TARGET, status: t.value <= TARGET ? 'PASS' : 'MISS', factor: +(TARGET / t.value).toFixed(2) }));

const sm = `${root}node_modules/@bytecodealliance/componentize-js/lib/starlingmonkey_embedding.wasm`;
if (existsSync(sm)) {
  const bytes = readFileSync(sm);
  const times = [];
  let out;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    out = instrumentCoreModule(bytes, { fuel: true, deadlineCheckEvery: 10_000, maxMemoryPages: 16384 });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  result.spiderMonkeyCoreModule = {
    inBytes: bytes.length,
    outBytes: out.bytes.length,
    instrumentMs: Math.round(times[1]),
    valid: WebAssembly.validate(out.bytes),
    ...out.stats,
  };
}

// One line: bench/run.mjs reads the JSON object on the last stdout line.
console.log(JSON.stringify(result));
