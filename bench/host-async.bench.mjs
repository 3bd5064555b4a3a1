// PluginHost hooks declared `async: true` over 4 isolated plugins whose hook awaits the host's
// `fetch`, an `async function` that resolves after DELAY_MS. Wall time of one dispatch:
//  - `parallel` and `collect` (plugins called concurrently): about one delay;
//  - `series` (one plugin after another): about four delays, the baseline;
//  - the same `parallel` hook with a host function that resolves at once: the dispatch's own cost.
//
//   npm run build && node bench/host-async.bench.mjs
//
// Prints one JSON object; ms per dispatch, the fastest and the median of ROUNDS dispatches.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';

const DELAY_MS = 50;
const ROUNDS = 15;
const root = fileURLToPath(new URL('..', import.meta.url));
const lib = await import(process.env.WITPLUG_DIST ?? `${root}dist/index.js`);
const dir = mkdtempSync(join(tmpdir(), 'witplug-host-async-bench-'));
const cache = new lib.CompileCache(join(dir, 'cache'));
const WIT = `package bench:hasync@0.1.0;
interface store { fetch: func(n: u32) -> u32; }
interface hooks { plus: func(n: u32) -> u32; }
world w { import store; export hooks; }`;
const WAT = `(module
  (import "bench:hasync/store@0.1.0" "fetch" (func $fetch (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "bench:hasync/hooks@0.1.0#plus") (param i32) (result i32) (i32.add (call $fetch (local.get 0)) (i32.const 1))))`;
writeFileSync(join(dir, 'w.wit'), WIT);
const contract = await lib.loadContract(join(dir, 'w.wit'), 'w');
const bytes = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'w' }));

let delay = DELAY_MS;
const host = new lib.PluginHost({
  contract, cache, logger: () => {}, isolate: true,
  host: { 'bench:hasync/store': { fetch: async (n) => (delay === 0 ? n : (await sleep(delay), n)) } },
  hooks: {
    parallel: { target: 'hooks#plus', kind: 'parallel', async: true },
    collect: { target: 'hooks#plus', kind: 'collect', async: true },
    series: { target: 'hooks#plus', kind: 'series', async: true },
  },
});
for (let i = 0; i < 4; i++) await host.load(bytes, { name: `p${i}` });

async function time(hook) {
  const run = host.hook(hook);
  await run(1); // warm
  const ms = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await run(1);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const round = (x) => Math.round(x * 10) / 10;
  return { fastest: round(ms[0]), median: round(ms[ms.length >> 1]) };
}

const delayed = { parallel: await time('parallel'), collect: await time('collect'), series: await time('series') };
delay = 0;
const immediate = { parallel: await time('parallel'), series: await time('series') };
host.close();
console.log(JSON.stringify({ node: process.version, plugins: 4, isolated: true, delayMs: DELAY_MS, delayed, immediate }));
