/**
 * Host services with `async: true` hooks: the services' metrics count the calls an async hook
 * makes, as they count a sync hook's (per plugin and hook, in stats and Prometheus text), and
 * its failures by code, and time the sampled ones until their promise settles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import { HostServices } from '../src/runtime/services/services.js';
import { LATENCY_BUCKETS_US } from '../src/runtime/services/metrics.js';
import { CompileCache } from '../src/compile/cache.js';
import { loadContract, type Contract } from '../src/contract/load.js';

const WIT = `package test:svcasync@0.1.0;
interface store { fetch: func(n: u32) -> u32; }
interface hooks { plus: func(n: u32) -> u32; }
world w { import store; export hooks; }
`;
const HOOKS_IFACE = 'test:svcasync/hooks@0.1.0';
const wat = `(module
  (import "test:svcasync/store@0.1.0" "fetch" (func $fetch (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 64))
  (func (export "${HOOKS_IFACE}#plus") (param i32) (result i32) (i32.add (call $fetch (local.get 0)) (i32.const 1)))
)`;

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-services-async-cache-')));
let contract: Contract;
let plugin: Uint8Array;
const hosts: PluginHost[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-services-async-'));
  writeFileSync(join(dir, 'w.wit'), WIT);
  contract = await loadContract(join(dir, 'w.wit'), 'w');
  plugin = await componentNew(await componentEmbed({ binary: await parse(wat), witSource: WIT, world: 'w' }));
}, 60_000);

afterAll(() => {
  for (const h of hosts) h.close();
});

describe('host services with async hooks', () => {
  it.each([
    ['bail', { target: 'hooks#plus', kind: 'bail', async: true, pass: 0 }],
    ['parallel', { target: 'hooks#plus', kind: 'parallel', async: true }],
    ['waterfall', { target: 'hooks#plus', kind: 'waterfall', async: true }],
  ] as const)('%s: every call is counted per plugin and hook', async (_kind, spec) => {
    const services = new HostServices();
    const host = new PluginHost({
      contract, cache, services, hooks: { go: spec }, logger: () => {},
      host: { 'test:svcasync/store': { fetch: async (n: number) => n } },
    });
    hosts.push(host);
    await host.load(plugin, { name: 'adder', isolate: true });
    const go = host.hook('go') as (n: number) => Promise<unknown>;
    const calls = 3;
    for (let i = 0; i < calls; i++) await go(i);
    expect(host.plugins()[0]?.stats['go']?.calls).toBe(calls);
    expect(services.metrics.stats()['adder']?.hooks['hooks#plus']?.calls).toBe(calls);
    expect(await services.metrics.prometheus()).toMatch(new RegExp(`witplug_hook_calls_total\\{plugin="adder",hook="hooks#plus"\\} ${calls}\\n`));
  });

  it('a failing async hook call is counted by its code (HOST_ERROR from a rejected host promise)', async () => {
    const services = new HostServices();
    const host = new PluginHost({
      contract, cache, services, hooks: { go: { target: 'hooks#plus', kind: 'parallel', async: true, onError: 'skip' } }, logger: () => {},
      host: { 'test:svcasync/store': { fetch: async (n: number) => { if (n > 1) throw new Error('store down'); return n; } } },
    });
    hosts.push(host);
    await host.load(plugin, { name: 'adder', isolate: true });
    const go = host.hook('go') as (n: number) => Promise<unknown>;
    await go(0);
    await go(5);
    await go(6);
    const hook = services.metrics.stats()['adder']?.hooks['hooks#plus'];
    expect(hook?.calls).toBe(3);
    expect(hook?.errors).toEqual({ HOST_ERROR: 2 });
    expect(await services.metrics.prometheus()).toMatch(/witplug_hook_errors_total\{plugin="adder",hook="hooks#plus",code="HOST_ERROR"\} 2\n/);
  });

  it('sampled calls are timed until their promise settles: a 20 ms host function shows in the latency histogram', async () => {
    const services = new HostServices({ sampleEvery: 1 });
    const host = new PluginHost({
      contract, cache, services, hooks: { go: { target: 'hooks#plus', kind: 'bail', async: true, pass: 0 } }, logger: () => {},
      host: { 'test:svcasync/store': { fetch: async (n: number) => { await new Promise((r) => setTimeout(r, 20)); return n; } } },
    });
    hosts.push(host);
    await host.load(plugin, { name: 'adder', isolate: true });
    const go = host.hook('go') as (n: number) => Promise<unknown>;
    for (let i = 1; i <= 3; i++) expect(await go(i)).toBe(i + 1);
    const latency = services.metrics.stats()['adder']?.hooks['hooks#plus']?.latency;
    expect(latency?.timed).toBe(3);
    expect(latency!.sumUs).toBeGreaterThanOrEqual(3 * 19_000);
    // Cumulative buckets: nothing within 10 ms, all three by +Inf.
    const at10ms = LATENCY_BUCKETS_US.indexOf(10_000);
    expect(latency!.buckets[at10ms]).toBe(0);
    expect(latency!.buckets.at(-1)).toBe(3);
    expect(await services.metrics.prometheus()).toMatch(/witplug_hook_latency_seconds_count\{plugin="adder",hook="hooks#plus"\} 3\n/);
  });
});
