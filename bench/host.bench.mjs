// PluginHost dispatch cost over the bare generated call, on the bench guest's
// `add(u32, u32) -> u32` (the cheapest call, so dispatch overhead is not hidden):
//  - bare `plugin.fn('shapes#add')`, and the typed accessor of generated bindings (bindExports);
//  - a hook through PluginHost with 1 plugin; 4 plugins with `bail` (pass value = every
//    plugin's result, so all 4 run) and `waterfall` (each output feeds `b`).
// Overhead per plugin = (hook ns − the same plugins called directly) / plugins. Target: ≤ 10 ns.
//
//   npm run build && npm run build:guests && node bench/host.bench.mjs
//
// Prints one JSON object. Figures are the fastest of interleaved batches (medians also given).
import { measureInterleaved } from './lib/timing.mjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = await import(`${root}dist/index.js`);
const cache = new lib.CompileCache(mkdtempSync(join(tmpdir(), 'witplug-host-bench-')));
const contract = await lib.loadContract(`${root}bench/guests/bench.wit`, 'bench');
const BENCH = `${root}bench/guests/dist/bench.wasm`;

const plugin = await lib.loadPlugin(BENCH, { contract, cache });
const bare = plugin.fn('shapes#add');
const typed = lib.bindExports(plugin, { shapes: { add: 'shapes#add' } });
const typedAdd = typed.exports.shapes.add; // the accessor resolved once, as a hot loop would

async function hostWith(n, hooks) {
  const host = new lib.PluginHost({ contract, cache, hooks, logger: () => {} });
  for (let i = 0; i < n; i++) await host.load(BENCH, { name: `p${i}` });
  return host;
}
const hooks = {
  first: { target: 'shapes#add', kind: 'first' },
  bail: { target: 'shapes#add', kind: 'bail', pass: 3 },
  waterfall: { target: 'shapes#add', kind: 'waterfall' },
};
const one = await hostWith(1, hooks);
const four = await hostWith(4, hooks);
const runFirst1 = one.hook('first');
const runBail4 = four.hook('bail');
const runWaterfall4 = four.hook('waterfall');

// The same four instances called directly, in sequence: what dispatch adds is measured against this.
const direct4 = await Promise.all([0, 1, 2, 3].map(async () => (await lib.loadPlugin(BENCH, { contract, cache })).fn('shapes#add')));
const [d0, d1, d2, d3] = direct4;

const runners = {
  bare: () => bare(1, 2),
  bare4: () => d3(1, d2(1, d1(1, d0(1, 2)))),
  typedAccessor: () => typed.exports.shapes.add(1, 2),
  typedResolved: () => typedAdd(1, 2),
  host1: () => runFirst1(1, 2),
  host1run: () => one.run('first', 1, 2),
  host4bail: () => runBail4(1, 2),
  host4waterfall: () => runWaterfall4(1, 2),
};
if (typedAdd !== bare) throw new Error('the typed accessor is not plugin.fn');
if (runBail4(1, 2) !== 3 || runWaterfall4(1, 2) !== 6 || runFirst1(1, 2) !== 3) throw new Error('wrong dispatch result');

const ns = measureInterleaved(runners, 200_000);
const perPlugin = (k, base, plugins) => Math.round(((ns[k].nsPerCall - ns[base].nsPerCall) / plugins) * 10) / 10;
console.log(JSON.stringify({
  ns,
  overheadPerPluginNs: { host1: perPlugin('host1', 'bare', 1), host4bail: perPlugin('host4bail', 'bare4', 4), host4waterfall: perPlugin('host4waterfall', 'bare4', 4) },
  typedOverBare: Math.round((ns.typedResolved.nsPerCall / ns.bare.nsPerCall) * 100) / 100,
  typedAccessorOverBare: Math.round((ns.typedAccessor.nsPerCall / ns.bare.nsPerCall) * 100) / 100,
  target: 'dispatch overhead ≤ 10 ns per plugin; typed accessor = plugin.fn within noise',
}));
