// Child process for the load and memory sections (a fresh process has no
// in-memory state, so a cache hit here is what a restarted host sees).
//   node load-child.mjs load <plugin.wasm> <cacheDir>
//     -> {"ms": <loadPlugin wall ms>, "cache": <loadInfo.cache>}
//   node --expose-gc load-child.mjs memory <plugin.wasm> <cacheDir> <count>
//     -> {"count", "rssPerInstanceKiB", "heapPerInstanceKiB", "externalPerInstanceKiB", ...}
//   node --expose-gc load-child.mjs memory-baseline <raw|jco|extism> <file.wasm> <count>
//     -> same fields, for N instances of a baseline (no witplug involved)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DIST } from './witplug-runners.mjs';

const [mode, pluginPath, cacheDir, countArg] = process.argv.slice(2);
const silent = () => {};

async function perInstance(count, makeOne) {
  // One instance first: compiles code and warms the library, so the delta
  // below is what each additional instance costs.
  const keep = [await makeOne()];
  const snap = () => { global.gc(); global.gc(); return process.memoryUsage(); };
  const before = snap();
  for (let i = 0; i < count; i++) keep.push(await makeOne());
  const after = snap();
  const per = (k) => Math.round(((after[k] - before[k]) / count / 1024) * 10) / 10;
  return {
    count,
    rssPerInstanceKiB: per('rss'),
    heapPerInstanceKiB: per('heapUsed'),
    externalPerInstanceKiB: per('external'),
    arrayBuffersPerInstanceKiB: per('arrayBuffers'),
    rssBeforeMiB: Math.round(before.rss / 2 ** 20),
    rssAfterMiB: Math.round(after.rss / 2 ** 20),
    instances: keep.length,
  };
}

if (mode === 'memory-baseline') {
  const [kind, file, n] = [pluginPath, cacheDir, Number(countArg)];
  const bytes = readFileSync(file);
  let makeOne;
  if (kind === 'raw') {
    const module = new WebAssembly.Module(bytes);
    const imports = { '[export]bench:shapes/shapes@0.1.0': { '[resource-new]counter': (rep) => rep } };
    makeOne = () => new WebAssembly.Instance(module, imports);
  } else if (kind === 'jco') {
    const { loadJco } = await import('./jco-baseline.mjs');
    const { instantiate } = await loadJco(bytes);
    makeOne = instantiate;
  } else if (kind === 'extism') {
    const { loadExtism } = await import('./extism-baseline.mjs');
    makeOne = async () => (await loadExtism(bytes)).plugin;
  } else {
    console.error(`unknown baseline ${kind}`);
    process.exit(2);
  }
  console.log(JSON.stringify(await perInstance(n, makeOne)));
  process.exit(0);
}

const lib = await import(pathToFileURL(DIST).href);
const cache = new lib.CompileCache(cacheDir);

if (mode === 'load') {
  const t0 = performance.now();
  const plugin = await lib.loadPlugin(pluginPath, { cache, log: silent });
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, cache: plugin.loadInfo?.cache ?? null }));
} else if (mode === 'memory') {
  const count = Number(countArg);
  console.log(JSON.stringify(await perInstance(count, () => lib.loadPlugin(pluginPath, { cache, log: silent }))));
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
