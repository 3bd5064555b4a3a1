#!/usr/bin/env node
// The main job: load each gateway guest (JavaScript, C, WAT) through witplug's
// admission gate and runtime, call every hook, and print what happened.
import { loadContract, loadPlugin } from '../dist/index.js';

const guests = ['gateway-js', 'gateway-c', 'gateway-wat'];
const contract = await loadContract('wit', 'gateway-plugin');

const request = (over = {}) => ({
  id: 42n, method: 'get', path: '/', query: null, headers: [], body: new Uint8Array(),
  client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 1700000000000n, ...over,
});
const show = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? `<${x.length} bytes>` : x));

let failures = 0;
for (const name of guests) {
  const logs = [];
  const started = performance.now();
  let plugin;
  try {
    plugin = await loadPlugin(`guests/dist/${name}.wasm`, {
      name, contract, config: { 'deny-path': '/blocked' },
      log: (level, message) => logs.push(`${level}: ${message}`),
    });
  } catch (e) {
    failures++;
    console.log(`✗ ${name}: ${e.code ?? ''} ${e.message}`);
    continue;
  }
  console.log(`\n● ${name}  (loaded in ${(performance.now() - started).toFixed(0)} ms, cache ${plugin.loadInfo.cache})`);
  const cases = [
    ['filter#check', [request({ path: '/héllo/wörld' })]],
    ['filter#check', [request({ method: 'delete', path: '/items/1' })]],
    ['filter#check', [request({ path: '/old/docs/intro' })]],
    ['filter#check', [request({ path: '/blocked' })]],
    ['shaper#shape', [request({ id: 18446744073709551615n, path: '/static/app.js' }),
      { status: 200, headers: [{ name: 'content-type', values: ['text/javascript'] }], body: new TextEncoder().encode('ok'), cache: { noStore: false, private: true, immutable: false } }]],
    ['observer#observe', [request({ path: '/ünïcode' }), 200, 1234567n]],
  ];
  for (const [target, args] of cases) {
    try {
      const value = plugin.call(target, args);
      console.log(`  ${target.padEnd(17)} ${show(args[0].path)} → ${show(value ?? null)}`);
    } catch (e) {
      failures++;
      console.log(`  ${target.padEnd(17)} ✗ ${e.code} ${e.message}`);
    }
  }
  for (const l of logs) console.log(`    log ${l}`);
}
if (failures) {
  console.log(`\ndemo: ${failures} failure(s)`);
  process.exit(1);
}
console.log('\ndemo: all guests answered every hook');
