#!/usr/bin/env node
// The example gateway under load, on loopback only and bounded in time:
//   node bench/gateway.mjs [--duration <s per run, default 5>] [--connections <default 8>] [--without <plugin>,…]
// Runs the gateway (examples/gateway/main.mjs) in a child process and drives it from here with
// autocannon (keep-alive connections, each sending its next request when the last answered):
// 0 plugins, the 4 example plugins, the 4 plugins with 20 hot reloads during the run, and the 4
// plugins on 2 cluster workers. Prints requests/s, p50/p99 latency and failed requests per run.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startGateway: startInProcess } = await import(pathToFileURL(join(REPO, 'examples', 'gateway', 'gateway.mjs')).href);
const MAIN = join(REPO, 'examples', 'gateway', 'main.mjs');
const BUILT = join(REPO, 'examples', 'gateway', '.build', 'plugins');
const RELOADS = 20;
const WORKERS = 2;
const BENCH_HEADERS = { authorization: 'Bearer demo-token', 'x-client-id': 'bench' };

/** autocannon, a devDependency (CommonJS; required so NODE_PATH also finds it). */
const autocannon = (() => {
  try {
    return createRequire(import.meta.url)('autocannon');
  } catch {
    throw new Error('bench:gateway needs autocannon: run npm install (it is a devDependency)');
  }
})();

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  const v = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
}
const durationMs = option('--duration', 5) * 1000;
const connections = option('--connections', 8);
/** `--without auth,access-log`: plugins left out of the "4 plugins" runs (to see what each costs). */
const without = (() => { const at = process.argv.indexOf('--without'); return at >= 0 ? (process.argv[at + 1] ?? '').split(',') : []; })();

/** Starts the gateway over `pluginDir`; resolves with its URL and a stop function. */
function startGateway(pluginDir, cacheDir, workers = 0) {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--plugins', pluginDir, ...(workers > 0 ? ['--workers', String(workers)] : [])], {
    env: { ...process.env, WITPLUG_CACHE_DIR: cacheDir, CI: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const stop = () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); });
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`gateway did not start:\n${out}`)); }, 120_000);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      if (out.length < 1 << 16) out += d; // the access log keeps coming: kept only until the address
      const m = /gateway listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m !== null && timer.hasRef()) { clearTimeout(timer); timer.unref(); resolveStart({ port: Number(m[2]), stop }); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited (${code}):\n${out}`)); });
  });
}

/** autocannon on loopback for `durationMs` (bounded: it stops itself); `during(until)` runs meanwhile. */
async function load(port, during = null) {
  const until = performance.now() + durationMs;
  const run = autocannon({
    url: `http://127.0.0.1:${port}/bench`, connections, duration: durationMs / 1000, timeout: 10,
    headers: BENCH_HEADERS,
  });
  const [result] = await Promise.all([run, during === null ? Promise.resolve() : during(until)]);
  const requests = result.requests.total;
  // autocannon's errors include its timeouts; non-2xx answers are failures too.
  return { requests, rps: requests / result.duration, p50: result.latency.p50, p99: result.latency.p99, failed: result.errors + result.non2xx };
}

/** Swaps headers.wasm between two versions RELOADS times, evenly over the run (written aside, renamed in). */
function reloader(dir, versions) {
  return async (until) => {
    const every = (until - performance.now()) / (RELOADS + 1);
    for (let i = 0; i < RELOADS; i++) {
      await new Promise((r) => setTimeout(r, every));
      writeFileSync(join(dir, 'headers.wasm.tmp'), versions[(i + 1) % 2]);
      renameSync(join(dir, 'headers.wasm.tmp'), join(dir, 'headers.wasm'));
    }
  };
}

/** Each hook's dispatch, timed in this process over `calls` calls after a warm-up. */
async function hookCosts(pluginDir, cacheDir, calls = 2000) {
  process.env.WITPLUG_CACHE_DIR = cacheDir;
  const gw = await startInProcess({ pluginDir, onLog: () => {} });
  try {
    const check = gw.host.hook('check');
    const shape = gw.host.hook('shape');
    const observe = gw.host.hook('observe');
    const req = {
      id: 1n, method: 'get', path: '/bench', query: null, body: new Uint8Array(), receivedAtMs: BigInt(Date.now()),
      headers: [{ name: 'authorization', values: ['Bearer demo-token'] }, { name: 'x-client-id', values: ['bench'] }],
      client: { tls: false, authenticated: false, internal: false, bot: false },
    };
    const resp = { status: 200, headers: [{ name: 'content-type', values: ['application/json'] }], body: new Uint8Array(55), cache: { noStore: false, private: false, immutable: false } };
    const hooks = [['check (async bail)', () => check(req)], ['shape (waterfall)', () => shape(req, resp)], ['observe (parallel)', () => observe(req, 200, 1000n)]];
    const out = [];
    for (const [name, call] of hooks) {
      for (let i = 0; i < 200; i++) await call();
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await call();
      out.push([name, ((performance.now() - t0) / calls) * 1000]);
    }
    return out;
  } finally {
    await gw.close();
  }
}

const work = mkdtempSync(join(tmpdir(), 'witplug-bench-gateway-'));
try {
  const empty = join(work, 'none');
  cpSync(BUILT, join(work, 'four'), { recursive: true });
  for (const name of ['bad', ...without]) rmSync(join(work, 'four', `${name}.wasm`), { force: true });
  // One client, a limit no run reaches: the limiter counts every request without refusing one.
  const limiter = join(work, 'four', 'rate-limit.json');
  const manifest = JSON.parse(readFileSync(limiter, 'utf8'));
  writeFileSync(limiter, JSON.stringify({ ...manifest, config: { ...manifest.config, limit: '1000000000' } }));
  mkdirSync(empty);
  // The second version of the shaper: the same bytes with one custom section more (a different hash, a real reload).
  const v1 = readFileSync(join(BUILT, 'headers.wasm'));
  const v2 = Buffer.concat([v1, Buffer.from([0, 6, 5, ...Buffer.from('bench')])]);

  const rows = [];
  const four = `${4 - without.length} plugins`;
  const runs = [['0 plugins', empty, null, 0], [four, join(work, 'four'), null, 0]];
  if (!without.includes('headers')) runs.push([`${four}, ${RELOADS} reloads`, join(work, 'four'), 'reload', 0]);
  runs.push([`${four}, --workers ${WORKERS}`, join(work, 'four'), null, WORKERS]);
  for (const [label, dir, during, workers] of runs) {
    const gw = await startGateway(dir, join(work, 'cache'), workers);
    try {
      // Warm-up (first calls, JIT), over every connection so each cluster worker gets its share.
      await autocannon({ url: `http://127.0.0.1:${gw.port}/bench`, connections, amount: 400, timeout: 10, headers: BENCH_HEADERS });
      rows.push({ label, ...(await load(gw.port, during === 'reload' ? reloader(dir, [v1, v2]) : null)) });
    } finally {
      await gw.stop();
    }
  }
  console.log(`\nautocannon, ${connections} connections, ${durationMs / 1000} s per run, loopback, node ${process.version}\n`);
  console.log('| run | requests/s | p50 ms | p99 ms | failed |');
  console.log('|---|---:|---:|---:|---:|');
  // autocannon keeps latencies in whole milliseconds.
  const ms = (v) => (v < 1 ? '< 1' : String(v));
  for (const r of rows) console.log(`| ${r.label} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.failed} / ${r.requests} |`);
  const [none, withPlugins] = rows;
  console.log(`\nper hook, in process (the gateway's own dispatch functions, no HTTP; µs per dispatch over every plugin serving it):\n`);
  console.log('| hook | µs |');
  console.log('|---|---:|');
  for (const [hook, us] of await hookCosts(join(work, 'four'), join(work, 'cache'))) console.log(`| ${hook} | ${us.toFixed(1)} |`);
  console.log(`\nper request, plugins over none: p50 +${withPlugins.p50 - none.p50} ms, p99 +${withPlugins.p99 - none.p99} ms (whole ms)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
