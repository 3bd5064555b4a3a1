// What host services (HostServices: per-call metrics, hook-tagged logs) add to a hook call,
// against the same hook without them, in the same run: PluginHost with 1 plugin, hook kind
// `first`, on the bench guest's `add(u32, u32) -> u32` (the cheapest call: the worst case
// for a fixed per-call cost) and `check(request) -> decision` (a gateway-like filter call).
// Metrics on with the default sampling (one call in 16 timed), with every call timed, and with
// no call timed (`sampleEvery: 2^20`: the counting alone, which the dispatcher does anyway).
// Target: services ÷ plain ≤ 1.05 on the hook call (check).
//
//   npm run build && node bench/services.bench.mjs
//
// Prints one JSON object. Figures are the fastest of interleaved batches (medians also given).
import { measureInterleaved } from './lib/timing.mjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REQUEST, EXPECTED_DECISION } from './lib/shapes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = await import(`${root}dist/index.js`);
const cache = new lib.CompileCache(mkdtempSync(join(tmpdir(), 'witplug-services-bench-')));
const contract = await lib.loadContract(`${root}bench/guests/bench.wit`, 'bench');
const BENCH = `${root}bench/guests/dist/bench.wasm`;
const hooks = { add: { target: 'shapes#add', kind: 'first' }, check: { target: 'shapes#check', kind: 'first' } };

async function hostWith(services) {
  const host = new lib.PluginHost({ contract, cache, hooks, logger: () => {}, ...(services ? { services } : {}) });
  await host.load(BENCH, { name: 'p0' });
  return host;
}
const plain = await hostWith(null);
const sampled = await hostWith(new lib.HostServices());
const everyCall = await hostWith(new lib.HostServices({ sampleEvery: 1 }));
const noneTimed = await hostWith(new lib.HostServices({ sampleEvery: 2 ** 20 }));
const req = { ...REQUEST };
const runners = {
  plainAdd: plain.hook('add'), servicesAdd: sampled.hook('add'), timedAdd: everyCall.hook('add'), untimedAdd: noneTimed.hook('add'),
  plainCheck: plain.hook('check'), servicesCheck: sampled.hook('check'), timedCheck: everyCall.hook('check'), untimedCheck: noneTimed.hook('check'),
};
const calls = Object.fromEntries(Object.entries(runners).map(([k, f]) => [k, k.endsWith('Add') ? () => f(1, 2) : () => f(req)]));
for (const [k, f] of Object.entries(calls)) {
  const r = f();
  if (k.endsWith('Add') ? r !== 3 : JSON.stringify(r) !== JSON.stringify(EXPECTED_DECISION)) throw new Error(`wrong result from ${k}`);
}

const ns = measureInterleaved(calls, 100_000);
const added = (a, b) => Math.round((ns[a].nsPerCall - ns[b].nsPerCall) * 10) / 10;
const ratio = (a, b) => Math.round((ns[a].nsPerCall / ns[b].nsPerCall) * 1000) / 1000;
const servicesOverPlain = {
  add: ratio('servicesAdd', 'plainAdd'), check: ratio('servicesCheck', 'plainCheck'),
  addEveryCallTimed: ratio('timedAdd', 'plainAdd'), checkEveryCallTimed: ratio('timedCheck', 'plainCheck'),
  addNoCallTimed: ratio('untimedAdd', 'plainAdd'), checkNoCallTimed: ratio('untimedCheck', 'plainCheck'),
};
console.log(JSON.stringify({
  ns,
  servicesOverPlain,
  addedNs: { add: added('servicesAdd', 'plainAdd'), check: added('servicesCheck', 'plainCheck') },
  target: 'services ÷ plain ≤ 1.05 on the hook call (check)',
  met: servicesOverPlain.check <= 1.05,
}));
