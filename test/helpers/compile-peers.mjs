// Processes sharing one compile cache, for test/compile-peers.test.ts (and for timing a cold start).
//   node compile-peers.mjs cluster <workers> <cacheDir> <plugin.wasm>…
//     a node:cluster primary forks <workers> workers; each compiles every plugin through its own
//     CompileCache on <cacheDir> and sends its stats; the primary prints one JSON line
//     {"ms": wall time, "workers": [stats…]}.
//   node compile-peers.mjs hold <cacheDir> <plugin.wasm>
//     starts compiling one plugin, printing "started" first, and stops itself (SIGSTOP) once it
//     holds the entry's lock, before any work: the test then kills it, or leaves it hung, with the
//     lock certainly held (a holder left running could finish first on a loaded machine).
// Env: WITPLUG_DIST (default ../../dist/index.js), PEER_WAIT_MS, LOCK_LEASE_MS.
import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const dist = process.env.WITPLUG_DIST ? pathToFileURL(process.env.WITPLUG_DIST).href : new URL('../../dist/index.js', import.meta.url).href;
const [mode, ...rest] = process.argv.slice(2);

function cacheOptions() {
  const o = {};
  if (process.env.PEER_WAIT_MS) o.peerWaitMs = Number(process.env.PEER_WAIT_MS);
  if (process.env.LOCK_LEASE_MS) o.lockLeaseMs = Number(process.env.LOCK_LEASE_MS);
  return o;
}

async function compileAll(dir, plugins, compileOptions = {}) {
  const { CompileCache } = await import(dist);
  const cache = new CompileCache(dir, cacheOptions());
  const sources = [];
  for (const path of plugins) {
    const r = await cache.compile(new Uint8Array(await readFile(path)), compileOptions);
    sources.push(r.source);
  }
  return { pid: process.pid, sources, ...cache.stats };
}

if (mode === 'hold') {
  const [dir, plugin] = rest;
  process.stdout.write('started\n');
  // The compile's own start event comes once the lock is held.
  const stopHolding = (e) => { if (e.phase === 'start' && !e.waitingForPeer) process.kill(process.pid, 'SIGSTOP'); };
  await compileAll(dir, [plugin], { onProgress: stopHolding });
} else if (mode === 'cluster' && cluster.isPrimary) {
  const [count, dir, ...plugins] = rest;
  const started = performance.now();
  const results = [];
  cluster.setupPrimary({ args: ['worker', dir, ...plugins] });
  for (let i = 0; i < Number(count); i++) {
    cluster.fork().on('message', (m) => results.push(m));
  }
  let exited = 0;
  cluster.on('exit', (_worker, code) => {
    if (code !== 0) process.exitCode = 1;
    if (++exited === Number(count)) {
      process.stdout.write(`${JSON.stringify({ ms: Math.round(performance.now() - started), workers: results })}\n`);
    }
  });
} else if (cluster.isWorker) {
  const [dir, ...plugins] = rest;
  const stats = await compileAll(dir, plugins);
  process.send(stats, () => process.exit(0));
} else {
  process.stderr.write('usage: compile-peers.mjs cluster <n> <dir> <plugin>… | hold <dir> <plugin>\n');
  process.exit(2);
}
