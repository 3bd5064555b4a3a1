// Many instances of one plugin: prepare once, instantiate many, against
// loadPlugin per instance. Guest: the C gateway (guests/dist/gateway-c.wasm, contract `wit`
// world `gateway-plugin`), compile cache warm (a private directory, filled by a first load).
//  (b) `prepared.instantiate()`: average and percentiles (µs) over N instances (kept alive), and
//      the floor under it: re-instantiating one instance N times (what a trap costs: the core
//      instance only; `instantiation` says whether it skipped jco's glue, src/runtime/link/direct.ts);
//  (c) RSS and heap growth for those N live instances, after a full GC, before and after each
//      answered `filter#check` once (calling resolves a caller per instance);
//  (a) baseline, same run: `loadPlugin` × N (kept alive): average ms and RSS growth.
// Targets: (b) ≤ 200 µs, (c) ≤ 100 MB for 1 000 instances.
//
//   npm run build && npm run build:guests && node --expose-gc bench/instances.bench.mjs [N]
//
// Prints one JSON object. `WITPLUG_DIST` selects another build (default: ./dist/index.js).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const root = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1000);
const lib = await import(pathToFileURL(process.env.WITPLUG_DIST ?? resolve(root, 'dist/index.js')).href);
const dir = mkdtempSync(join(tmpdir(), 'witplug-instances-bench-'));
const cache = new lib.CompileCache(dir);
const contract = await lib.loadContract(`${root}wit`, 'gateway-plugin');
const bytes = readFileSync(`${root}guests/dist/gateway-c.wasm`);
const options = { contract, cache, log: () => {} };
const request = {
  id: 1n, method: 'get', path: '/', query: null, headers: [], body: new Uint8Array(),
  client: { tls: false, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
};

const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  const m = process.memoryUsage();
  return { rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20 };
};
const round = (x, d = 1) => +x.toFixed(d);
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const answers = (p) => {
  const r = p.call('filter#check', [request]);
  if (r?.tag !== 'pass') throw new Error(`instance ${p.name} answered ${JSON.stringify(r)}`);
};

// Warm-up: disk cache filled, every module of the path loaded and JIT-warm.
{
  const p = await lib.loadPlugin(bytes, { ...options, name: 'warm' });
  answers(p);
  await p.close();
  const prepared = await lib.prepare(bytes, { ...options, name: 'warm' });
  for (let i = 0; i < 50; i++) await (await prepared.instantiate()).close();
  await prepared.close();
}

// (b)(c) prepare once, instantiate N times.
const prepareStart = performance.now();
const prepared = await lib.prepare(bytes, { ...options, name: 'prepared' });
const prepareMs = performance.now() - prepareStart;
const before = await settle();
const instances = [];
const each = [];
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const t = performance.now();
  instances.push(await prepared.instantiate({ name: `i${i}` }));
  each.push((performance.now() - t) * 1000);
}
const instantiateUs = ((performance.now() - t0) * 1000) / N;
const instantiation = instances[0].instantiation;
const live = await settle();
for (const p of instances) answers(p);
const called = await settle();
// The floor under (b): re-creating one instance's core instance(s), with none of witplug's
// per-instance objects (Plugin.instantiate() after a trap does exactly this).
const again = [];
const t2 = performance.now();
for (let i = 0; i < N; i++) {
  const t = performance.now();
  instances[0].instantiate();
  again.push((performance.now() - t) * 1000);
}
const reinstantiateUs = ((performance.now() - t2) * 1000) / N;
answers(instances[0]);
for (const p of instances) await p.close();
instances.length = 0;
await prepared.close();

// (a) baseline: loadPlugin per instance, kept alive.
const beforeLoad = await settle();
const loaded = [];
const t1 = performance.now();
for (let i = 0; i < N; i++) loaded.push(await lib.loadPlugin(bytes, { ...options, name: `l${i}` }));
const loadMs = (performance.now() - t1) / N;
for (const p of loaded) answers(p);
const loadedLive = await settle();
for (const p of loaded) await p.close();
rmSync(dir, { recursive: true, force: true });

console.log(JSON.stringify({
  guest: 'gateway-c', bytes: bytes.length, instances: N, node: process.version,
  prepareMs: round(prepareMs, 2),
  instantiateUsAvg: round(instantiateUs), instantiateUsP50: round(pct(each, 0.5)), instantiateUsP90: round(pct(each, 0.9)),
  instantiateUsP99: round(pct(each, 0.99)), instantiateTargetUs: 200,
  instantiation,
  reinstantiateUsAvg: round(reinstantiateUs), reinstantiateUsP50: round(pct(again, 0.5)),
  instancesRssGrowthMB: round(called.rssMB - before.rssMB), instancesRssGrowthBeforeCallsMB: round(live.rssMB - before.rssMB),
  instancesHeapGrowthMB: round(called.heapMB - before.heapMB), instancesHeapGrowthBeforeCallsMB: round(live.heapMB - before.heapMB), instancesRssTargetMB: 100,
  loadPluginMsAvg: round(loadMs, 2), loadPluginRssGrowthMB: round(loadedLive.rssMB - beforeLoad.rssMB),
  loadPluginHeapGrowthMB: round(loadedLive.heapMB - beforeLoad.heapMB),
  rssStartMB: round(before.rssMB), allAnswered: true,
}));
