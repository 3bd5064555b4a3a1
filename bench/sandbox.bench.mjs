// Sandbox costs measured through the real load path (loadPlugin → instrumented, cached
// artifact → jco glue), as a plugin host sees them:
//  - fuel overhead on a compute-heavy call: evil-wat fib(25) (242 785 wasm calls), plain (no
//    deadline) vs the default 10 s deadline vs fuel vs fuel + deadline (one shared counter,
//    imported globals: witplug's configuration);
//  - per-call overhead on the calc-wat hook shapes (add, echo, dist, apply) through Plugin.call:
//    plain (timeoutMs: 0), the default deadline, all limits;
//  - deadline latency: how long a `timeoutMs: 50` call into an infinite loop takes, in-process
//    and in isolation mode.
//
//   npx tsc -p tsconfig.json && npm run build:guests && node bench/sandbox.bench.mjs
//
// Prints one JSON object. Ratios use the fastest of 9 interleaved batches (medians also given).
// Target: instrumented ≤ 1.30× uninstrumented.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { loadPlugin } = await import(`${root}dist/runtime/load/load-plugin.js`);
const { loadContract } = await import(`${root}dist/contract/load.js`);
const { CompileCache } = await import(`${root}dist/compile/cache.js`);

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-sandbox-bench-')));
const evilContract = await loadContract(`${root}guests/wat-adversarial/wit`, 'adversarial');
const calcContract = await loadContract(`${root}guests/wat-fixture/calc.wit`, 'calc');
const host = { 'witplug:adversarial/pinger': { ping: (n) => n + 1 } };
const EVIL = `${root}guests/dist/evil-wat.wasm`;
const CALC = `${root}guests/dist/calc-wat.wasm`;

const CONFIGS = {
  // No deadline: the uninstrumented baseline (every plugin has a 10 s deadline unless the host says 0).
  plain: { timeoutMs: 0 },
  // What a plugin loaded without limits gets: the default deadline.
  default: {},
  fuel: { fuel: 1e12 },
  'fuel+deadline': { fuel: 1e12, timeoutMs: 60_000 },
  all: { fuel: 1e12, timeoutMs: 60_000, maxMemoryMb: 64, maxOutputBytes: 1 << 20 },
};

/** ns per call: `batches` interleaved batches of `n` calls per runner; min and median. */
function measure(runners, n, batches = 9) {
  const times = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  for (const f of Object.values(runners)) for (let i = 0; i < Math.max(3, n / 10); i++) f();
  for (let b = 0; b < batches; b++) {
    for (const [k, f] of Object.entries(runners)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      times[k].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  const out = {};
  for (const [k, t] of Object.entries(times)) {
    t.sort((a, b) => a - b);
    out[k] = { minNs: Math.round(t[0]), medianNs: Math.round(t[Math.floor(t.length / 2)]) };
  }
  return out;
}

const ratio = (r, base) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, +(v.minNs / r[base].minNs).toFixed(3)]));

// 1. fib(25)
const fibPlugins = {};
for (const [name, limits] of Object.entries(CONFIGS)) fibPlugins[name] = await loadPlugin(EVIL, { contract: evilContract, cache, host, limits });
const fib = Object.fromEntries(Object.entries(fibPlugins).map(([k, p]) => [k, () => p.call('evil#fib', [25])]));
for (const f of Object.values(fib)) if (f() !== 75025) throw new Error('fib(25) is wrong');
const fibResult = measure(fib, 20);
const fibFuel = (fibPlugins.fuel.call('evil#fib', [25]), fibPlugins.fuel.lastFuel);

// 2. hook shapes through Plugin.call (jco path)
const calcPlain = await loadPlugin(CALC, { contract: calcContract, cache, limits: CONFIGS.plain });
const calcDefault = await loadPlugin(CALC, { contract: calcContract, cache });
const calcAll = await loadPlugin(CALC, { contract: calcContract, cache, limits: CONFIGS.all });
const shapes = {
  add: ['work#add', [1, 2]],
  echo: ['work#echo', ['hello, world']],
  dist: ['work#dist', [{ x: -3, y: 4 }]],
  apply: ['work#apply', ['sub', 10n, 3n]],
};
const hooks = {};
for (const [shape, [target, args]] of Object.entries(shapes)) {
  const plain = calcPlain.fn(target);
  const byDefault = calcDefault.fn(target);
  const limited = calcAll.fn(target);
  const r = measure({ plain: () => plain(...args), default: () => byDefault(...args), all: () => limited(...args) }, 20_000);
  const ratios = ratio(r, 'plain');
  hooks[shape] = { ...r, ratio: ratios.all, defaultRatio: ratios.default };
}

// 3. deadline latency
async function deadline(isolate, runs) {
  const p = await loadPlugin(EVIL, {
    contract: evilContract, cache, host, limits: { timeoutMs: 50 }, health: { maxTraps: 1e9 }, ...(isolate ? { isolate: true } : {}),
  });
  p.call('evil#count', []);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    try {
      p.call('evil#spin', []);
    } catch (e) {
      if (e.code !== 'TIMEOUT') throw e;
    }
    ms.push(performance.now() - t0);
  }
  if (isolate) await p.close();
  ms.sort((a, b) => a - b);
  const r = (x) => +x.toFixed(2);
  return { runs, minMs: r(ms[0]), medianMs: r(ms[Math.floor(ms.length / 2)]), maxMs: r(ms[ms.length - 1]) };
}

console.log(JSON.stringify({
  node: process.version,
  fib25: { ...fibResult, ratio: ratio(fibResult, 'plain'), fuelPerCall: fibFuel },
  hooks,
  deadline50ms: { inProcess: await deadline(false, 20), isolate: await deadline(true, 5) },
}));
