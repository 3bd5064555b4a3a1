#!/usr/bin/env node
// `npm run gateway [-- --port N] [-- --once] [-- --kv-journal <file>] [-- --plugins <dir>]`: builds
// the example plugins if needed (or serves a plugin directory of your own), starts upstream, auth
// service and gateway on loopback, sends a few requests and prints
// what each plugin did; then stays up printing its address (until Ctrl-C), or exits with --once.
import { buildPlugins, DEFAULT_OUT } from './build-plugins.mjs';
import { startGateway } from './gateway.mjs';

function parseArgs(argv) {
  const opts = { port: 0, once: false, kvJournal: undefined, plugins: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--once') opts.once = true;
    else if (a === '--port' || a === '--kv-journal' || a === '--plugins') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === '--kv-journal') opts.kvJournal = v;
      else if (a === '--plugins') opts.plugins = v;
      else if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`--port must be 0–65535, got ${v}`);
      else opts.port = Number(v);
    } else throw new Error(`unknown option ${a} (options: --port N, --once, --kv-journal <file>, --plugins <dir>)`);
  }
  return opts;
}

/** One structured log record as a line: plugin lines with their plugin and hook, witplug's own marked. */
function formatLog(r) {
  if (r.source === 'plugin') return `  [${r.plugin}${r.hook ? ` ${r.hook}` : ''}] ${r.msg}`;
  return `  [witplug${r.plugin ? ` ${r.plugin}` : ''}] ${r.msg}`;
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
  const gateway = await startGateway({
    pluginDir: opts.plugins ?? DEFAULT_OUT, port: opts.port, ...(opts.kvJournal === undefined ? {} : { kvJournal: opts.kvJournal }),
    onLog: (record) => { if (live) console.log(formatLog(record)); else pending.push(record); },
  });
  console.log(`loaded: ${gateway.loaded.map((p) => p.name).join(', ')}`);
  for (const { name, error } of gateway.failed) console.log(`rejected: ${name}: [${error.code}] ${error.message}`);
  pending = [];

  for (const r of DEMO) {
    const res = await fetch(`${gateway.url}${r.path}`, { headers: r.headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    const body = (await res.text()).trim();
    const location = res.headers.get('location');
    console.log(`GET ${r.path} (${r.what}) -> ${res.status}${location ? ` location ${location}` : ''} x-gateway: ${res.headers.get('x-gateway') ?? '-'}  ${body.slice(0, 60)}`);
    for (const record of pending) console.log(formatLog(record));
    pending = [];
  }
  const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
  console.log(`metrics: ${metrics.split('\n').filter((l) => l.startsWith('witplug_hook_calls_total')).join('; ')}`);

  if (opts.once) {
    await gateway.close();
    return;
  }
  live = true;
  console.log(`gateway listening on ${gateway.url} (GET /metrics, GET /plugins; Ctrl-C to stop)`);
  const stop = () => { gateway.close().then(() => process.exit(0), () => process.exit(1)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e) => {
  console.error(`gateway: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
