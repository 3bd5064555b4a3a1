// Overhead of core-module instrumentation on a call-heavy guest: recursive fib(25)
// (242 785 calls, no loops) and a tight loop sum(1e6), uninstrumented vs fuel vs
// fuel + deadline countdown vs fuel + deadline on one counter (singleCounter) vs fuel in an
// imported (shareable) global. Also times instrumenting the ~10 MB SpiderMonkey core module.
//
//   npx tsc -p tsconfig.json && node bench/instrument.bench.mjs
//
// Prints one JSON object. Ratios use the fastest of 9 interleaved batches (medians also given).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from '@bytecodealliance/jco';

const root = fileURLToPath(new URL('..', import.meta.url));
const { instrumentCoreModule } = await import(process.env.WITPLUG_INSTRUMENT ?? `${root}dist/compile/instrument.js`);

const WAT = `(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "sum") (param $n i32) (result i64) (local $acc i64)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $acc)))`;

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

const variants = {
  plain: make(plain),
  fuel: make(instrumentCoreModule(plain, { fuel: true }).bytes),
  fuelDeadline: make(instrumentCoreModule(plain, { fuel: true, deadlineCheckEvery: CHECK_EVERY }).bytes),
  fuelDeadlineSingle: make(instrumentCoreModule(plain, { fuel: true, deadlineCheckEvery: CHECK_EVERY, singleCounter: true }).bytes, undefined, true),
  fuelImported: make(instrumentCoreModule(plain, { fuel: true, importGlobals: true }).bytes, sharedGlobals()),
};

const result = { node: process.version, workloads: {} };
for (const [name, arg] of [['fib', 25], ['sum', 1_000_000]]) {
  const w = nsPerCall(variants, name, arg);
  w.fuelRatio = +(w.fuelMinNs / w.plainMinNs).toFixed(3);
  w.fuelDeadlineRatio = +(w.fuelDeadlineMinNs / w.plainMinNs).toFixed(3);
  w.fuelDeadlineSingleRatio = +(w.fuelDeadlineSingleMinNs / w.plainMinNs).toFixed(3);
  w.fuelImportedRatio = +(w.fuelImportedMinNs / w.plainMinNs).toFixed(3);
  w.fuelRatioMedian = +(w.fuelMedianNs / w.plainMedianNs).toFixed(3);
  w.fuelUnitsPerCall = fuelPerCall(variants.fuel, name, arg);
  result.workloads[`${name}(${arg})`] = w;
}

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

console.log(JSON.stringify(result, null, 2));
