#!/usr/bin/env node
// `npm run gateway [-- --port N] [-- --once] [-- --kv <file>] [-- --kv-journal <file>] [-- --plugins <dir>] [-- --workers N]`: builds
// the example plugins if needed (or serves a plugin directory of your own), starts upstream, auth
// service and gateway on loopback, sends a few requests and prints
// what each plugin did; then stays up printing its address (until Ctrl-C), or exits with --once.
// With --workers N the gateway runs on N node:cluster workers (./cluster.mjs).
import http from 'node:http';
import { buildPlugins, DEFAULT_OUT } from './build-plugins.mjs';
import { isGatewayWorker, runWorker, startCluster } from './cluster.mjs';
import { startGateway } from './gateway.mjs';
import { sqliteAvailable } from '../../dist/index.js';

function parseArgs(argv) {
  const opts = { port: 0, once: false, kvFile: undefined, kvJournal: undefined, plugins: undefined, workers: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--once') opts.once = true;
    else if (a === '--port' || a === '--kv' || a === '--kv-journal' || a === '--plugins' || a === '--workers') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === '--kv') opts.kvFile = v;
      else if (a === '--kv-journal') opts.kvJournal = v;
      else if (a === '--workers' && (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 64)) throw new Error(`--workers must be 1–64, got ${v}`);
      else if (a === '--workers') opts.workers = Number(v);
      else if (a === '--plugins') opts.plugins = v;
      else if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port must be 0–65535, got ${v}`);
      else opts.port = Number(v);
    } else throw new Error(`unknown option ${a} (options: --port N, --once, --kv <file>, --kv-journal <file>, --plugins <dir>, --workers N)`);
  }
  return opts;
}

/** One structured log record as a line: plugin lines with their plugin and hook, witplug's own marked. */
function formatLog(r, worker) {
  const from = worker === undefined ? '' : `worker ${worker} `;
  if (r.source === 'plugin') return `  [${from}${r.plugin}${r.hook ? ` ${r.hook}` : ''}] ${r.msg}`;
  return `  [${from}witplug${r.plugin ? ` ${r.plugin}` : ''}] ${r.msg}`;
}

/** One GET on a connection of its own (so a cluster spreads the demo over its workers), bounded. */
function get(url, headers) {
  return new Promise((resolveGet, reject) => {
    const req = http.get(url, { headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolveGet({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

const DEMO = [
  { what: 'no token', path: '/hello', headers: {} },
  { what: 'bad token', path: '/hello', headers: { authorization: 'Bearer wrong' } },
  { what: 'redirect', path: '/old/page', headers: {} },
  ...Array.from({ length: 6 }, (_, i) => ({ what: `token, client demo #${i + 1}`, path: '/hello', headers: { authorization: 'Bearer demo-token', 'x-client-id': 'demo' } })),
];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const quiet = !process.stderr.isTTY || process.env.CI !== undefined;
  if (opts.plugins === undefined) {
    for (const line of await buildPlugins({ log: (l) => { if (!quiet) process.stderr.write(`${l}\n`); } })) console.log(`plugin ${line}`);
  }

  let pending = [];
  let live = false;
  const onLog = (record, worker) => { if (live) console.log(formatLog(record, worker)); else pending.push([record, worker]); };
  const common = {
    pluginDir: opts.plugins ?? DEFAULT_OUT, port: opts.port,
    ...(opts.kvFile === undefined ? {} : { kvFile: opts.kvFile }), ...(opts.kvJournal === undefined ? {} : { kvJournal: opts.kvJournal }),
  };
  if (opts.kvFile !== undefined) console.log(`kv state: ${sqliteAvailable() ? 'SQLite (node:sqlite)' : `a journal file (Node ${process.version} has no node:sqlite)`}, ${opts.kvFile}${opts.workers > 0 ? '.worker-<n>' : ''}`);
  let gateway;
  if (opts.workers === 0) {
    const single = await startGateway({ ...common, onLog: (record) => onLog(record) });
    console.log(`loaded: ${single.loaded.map((p) => p.name).join(', ')}`);
    for (const { name, error } of single.failed) console.log(`rejected: ${name}: [${error.code}] ${error.message}`);
    gateway = { url: single.url, close: async () => { await single.close(); return true; } };
  } else {
    const onWorkerExit = (worker, code, running) => {
      console.error(`gateway: worker ${worker} exited (${code}); ${running} still serving`);
      if (running === 0) gateway.close().then(() => process.exit(1), () => process.exit(1));
    };
    gateway = await startCluster({ ...common, workers: opts.workers, onLog: (worker, record) => onLog(record, worker), onWorkerExit });
    const [first] = gateway.workers;
    console.log(`workers: ${gateway.workers.map((w) => `${w.worker} (pid ${w.pid})`).join(', ')} on ${gateway.url}`);
    console.log(`loaded: ${first.loaded.join(', ')}`);
    for (const { name, code, message } of first.failed) console.log(`rejected: ${name}: [${code}] ${message}`);
    for (const w of gateway.workers) {
      console.log(`compile cache, worker ${w.worker}: compiled ${w.cache.compiled}, from the cache ${w.cache.hits} (${w.cache.waitedForPeer} after waiting for another worker's compile)`);
    }
    console.log(`compiled across workers: ${gateway.workers.reduce((n, w) => n + w.cache.compiled, 0)}`);
    if (opts.kvJournal !== undefined) console.log(`kv journal: one file per worker, ${opts.kvJournal}.worker-<n>`);
  }
  pending = [];

  for (const r of DEMO) {
    const res = await get(`${gateway.url}${r.path}`, r.headers);
    const location = res.headers.location;
    const worker = res.headers['x-gateway-worker'];
    console.log(`GET ${r.path} (${r.what}) -> ${res.status}${location ? ` location ${location}` : ''} x-gateway: ${res.headers['x-gateway'] ?? '-'}${worker === undefined ? '' : ` worker ${worker}`}  ${res.body.trim().slice(0, 60)}`);
    for (const [record, w] of pending) console.log(formatLog(record, w));
    pending = [];
  }
  const metrics = (await get(`${gateway.url}/metrics`, {})).body;
  console.log(`metrics: ${metrics.split('\n').filter((l) => l.startsWith('witplug_hook_calls_total')).join('; ')}`);
  if (opts.workers > 0) {
    const { workers = [] } = JSON.parse((await get(`${gateway.url}/plugins`, {})).body);
    console.log(`plugins, per worker: ${workers.map((w) => `worker ${w.worker}: ${w.loaded.length} loaded, ${w.rejected.length} rejected`).join('; ')}`);
  }

  if (opts.once) {
    if (!(await gateway.close())) throw new Error('a worker did not stop cleanly');
    return;
  }
  live = true;
  const scope = opts.workers === 0 ? '' : `${opts.workers} workers, answering for all of them at `;
  console.log(`gateway listening on ${gateway.url} (${scope}GET /metrics, GET /plugins; Ctrl-C to stop)`);
  const stop = () => { gateway.close().then((clean) => process.exit(clean ? 0 : 1), () => process.exit(1)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

(isGatewayWorker() ? runWorker() : main()).catch((e) => {
  console.error(`gateway: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
