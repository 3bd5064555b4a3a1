/**
 * Memory of many distinct plugins loaded, called and closed.
 *
 *   node --expose-gc bench/close.bench.mjs [count] [--no-close]
 *
 * Each plugin is a distinct tiny WAT component (its export name and returned
 * constant vary, so the glue, the core module and every per-process cache
 * differ per plugin). The disk cache is off (each load transpiles), so only
 * in-process memory is measured. Prints one JSON line: RSS and heap after a
 * full GC, before and after the run, and per-plugin build/load times.
 * `WITPLUG_DIST` selects another build (default: ./dist/index.js).
 */
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const count = Number(args.find((a) => /^\d+$/.test(a)) ?? 1000);
const close = !args.includes('--no-close');
const dist = process.env.WITPLUG_DIST ?? resolve('dist/index.js');
const { loadPlugin, CompileCache } = await import(pathToFileURL(dist).href);
// Per-process cache sizes (absent in builds before plugin.close()).
const linker = await import(pathToFileURL(resolve(dist, '../runtime/link/linker.js')).href);
const abi = await import(pathToFileURL(resolve(dist, '../runtime/abi/index.js')).href);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

export async function distinctPlugin(i) {
  const name = `get-n${i}`;
  const core = await parse(`(module (func (export "${name}") (result i32) (i32.const ${i})))`);
  const wit = `package bench:close@0.1.0;\nworld w { export ${name}: func() -> u32; }\n`;
  return { name, bytes: await componentNew(await componentEmbed({ binary: core, witSource: wit, world: 'w' })) };
}

const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  const m = process.memoryUsage();
  return { rssMB: +(m.rss / 2 ** 20).toFixed(1), heapMB: +(m.heapUsed / 2 ** 20).toFixed(1) };
};

const cache = new CompileCache(null);
// Warm-up: jco and witplug modules loaded, one plugin through every path.
{
  const { name, bytes } = await distinctPlugin(1_000_000);
  const p = await loadPlugin(bytes, { cache, name: 'warm' });
  p.call(name, []);
  if (close) await p.close?.();
}
const before = await settle();
let buildMs = 0;
let loadMs = 0;
for (let i = 0; i < count; i++) {
  let t = performance.now();
  const { name, bytes } = await distinctPlugin(i);
  buildMs += performance.now() - t;
  t = performance.now();
  const p = await loadPlugin(bytes, { cache, name: `p${i}` });
  if (p.call(name, []) !== i) throw new Error(`plugin ${i} returned the wrong value`);
  loadMs += performance.now() - t;
  // --no-close: the plugin is just dropped, as a host that forgets it would (released when collected).
  if (close) await p.close();
}
const after = await settle();
console.log(JSON.stringify({
  count, close, before, after,
  rssGrowthMB: +(after.rssMB - before.rssMB).toFixed(1),
  heapGrowthMB: +(after.heapMB - before.heapMB).toFixed(1),
  buildMsPerPlugin: +(buildMs / count).toFixed(1),
  loadMsPerPlugin: +(loadMs / count).toFixed(1),
  linkerCache: linker.linkerCacheSize?.() ?? null,
  generatedCache: abi.generatedCacheSize?.() ?? null,
}));
