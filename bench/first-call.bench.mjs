/**
 * First-call latency of a large plugin, with and without the warm-up at load.
 *
 *   node bench/first-call.bench.mjs [runs] [guest.wasm]
 *
 * Each run is a fresh process (V8's compiled code and tiering state are per
 * process): it loads the plugin (default: the JavaScript gateway guest,
 * guests/dist/gateway-js.wasm; the disk cache is warmed first, so every load
 * is a cache hit), then times the first and second `filter#check` call.
 * Runs alternate between `warmUp: true` (the default) and `warmUp: false`.
 * Prints one JSON line: per mode the median and max of load, first and
 * second call in ms, the process's CPU time during the first call (less
 * sensitive to a loaded machine than wall time), and the warm-up's own
 * figures (`loadInfo.warmUp`).
 * `WITPLUG_DIST` selects another build (default: ./dist/index.js).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const dist = process.env.WITPLUG_DIST ?? resolve('dist/index.js');

if (args[0] === '--child') {
  const [, guest, warmUp] = args;
  const { loadPlugin } = await import(pathToFileURL(dist).href);
  const req = {
    id: 1n, method: 'get', path: '/x', query: null, headers: [], body: new Uint8Array(),
    client: { tls: false, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
  };
  let t = performance.now();
  const plugin = await loadPlugin(guest, { log: () => {}, warmUp: warmUp === 'on' });
  const load = performance.now() - t;
  const check = plugin.fn('filter#check');
  const cpu = process.cpuUsage();
  t = performance.now();
  check(req);
  const first = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const firstCpu = (used.user + used.system) / 1000;
  t = performance.now();
  check(req);
  const second = performance.now() - t;
  process.stdout.write(JSON.stringify({ load, first, firstCpu, second, warmUp: plugin.loadInfo.warmUp ?? null }));
  process.exit(0);
}

const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 7);
const guest = resolve(args.find((a) => a.endsWith('.wasm')) ?? 'guests/dist/gateway-js.wasm');
const env = { ...process.env, WITPLUG_CACHE_DIR: process.env.WITPLUG_CACHE_DIR ?? mkdtempSync(join(tmpdir(), 'witplug-first-call-')) };
const self = fileURLToPath(import.meta.url);
const child = (mode) => JSON.parse(execFileSync(process.execPath, [self, '--child', guest, mode], { env, encoding: 'utf8', timeout: 120_000 }));

child('off'); // fills the disk cache: every measured load is a cache hit
const samples = { on: [], off: [] };
for (let i = 0; i < runs; i++) for (const mode of ['on', 'off']) samples[mode].push(child(mode));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.floor(s.length / 2)].toFixed(2);
};
const max = (xs) => +Math.max(...xs).toFixed(2);
const summary = (list) => ({
  loadMs: { median: median(list.map((r) => r.load)), max: max(list.map((r) => r.load)) },
  firstCallMs: { median: median(list.map((r) => r.first)), max: max(list.map((r) => r.first)) },
  // CPU time of the whole process during the first call (all threads: V8's background compilers too).
  firstCallCpuMs: { median: median(list.map((r) => r.firstCpu)), max: max(list.map((r) => r.firstCpu)) },
  secondCallMs: { median: median(list.map((r) => r.second)), max: max(list.map((r) => r.second)) },
  ...(list[0].warmUp ? { warmUpMs: median(list.map((r) => r.warmUp.ms)), warmUpCalls: list[0].warmUp.calls } : {}),
});
console.log(JSON.stringify({ guest, runs, warmUp: summary(samples.on), noWarmUp: summary(samples.off) }));
