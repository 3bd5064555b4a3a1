/**
 * Metrics and structured logs of plugins under `HostServices`, from a real
 * guest: calls, errors by code, traps, latency, cache hits and rejections as
 * a stats object and as Prometheus text; plugin log lines tagged with
 * plugin, version and hook, apart from witplug's own events.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import { HostServices } from '../src/runtime/services/services.js';
import { jsonLineLogger } from '../src/runtime/services/logger.js';
import { LATENCY_BUCKETS_US } from '../src/runtime/services/metrics.js';
import { CompileCache } from '../src/compile/cache.js';
import type { Contract } from '../src/contract/load.js';
import { counterGuest, servicesContract, servicesWitDir } from './helpers/services-guest.js';

let contract: Contract;
let guest: Uint8Array;
let refusing: Uint8Array;

beforeAll(async () => {
  const wit = await servicesWitDir();
  contract = await servicesContract(wit);
  guest = await counterGuest(wit);
  refusing = await counterGuest(wit, 0, true);
}, 60_000);

const hooks = { hit: { target: 'counter#hit', kind: 'collect' }, boom: { target: 'counter#boom', kind: 'parallel' } } as const;

/** Prometheus text → `name{labels}` → value (HELP/TYPE lines skipped). */
function parseProm(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('metrics', () => {
  it('counts calls, errors by code, traps, latency, cache hits and rejections; Prometheus text agrees', async () => {
    const services = new HostServices({ sampleEvery: 1 });
    const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-services-cache-')));
    const host = new PluginHost({ contract, cache, hooks, logger: () => {}, services });
    await host.load(guest, { name: 'm' });
    await host.load(guest, { name: 'm2' }); // same bytes: served from the compile cache
    for (let i = 0; i < 5; i++) host.hook('hit')('k');
    host.hook('boom')();
    host.hook('boom')();
    await expect(host.load(new Uint8Array([0, 97, 115, 109, 13, 0, 1, 0]), { name: 'bad' })).rejects.toMatchObject({ code: 'REJECTED' });

    const stats = services.metrics.stats();
    const hit = stats['m']!.hooks['counter#hit']!;
    expect(hit.calls).toBe(5);
    expect(hit.latency.timed).toBe(5);
    expect(hit.latency.buckets).toHaveLength(LATENCY_BUCKETS_US.length + 1);
    expect(hit.latency.buckets.at(-1)).toBe(5);
    const boom = stats['m']!.hooks['counter#boom']!;
    expect(boom).toMatchObject({ calls: 2, traps: 2, errors: { TRAP: 2 } });
    expect(stats['m']).toMatchObject({ loads: 1, cacheHits: 0, rejections: 0 });
    expect(stats['m2']).toMatchObject({ loads: 1, cacheHits: 1 });
    expect(stats['bad']).toMatchObject({ loads: 0, rejections: 1 });
    expect(services.rejections().get('bad')?.error.code).toBe('REJECTED');

    const prom = parseProm(await services.metrics.prometheus());
    expect(prom.get('witplug_hook_calls_total{plugin="m",hook="counter#hit"}')).toBe(5);
    expect(prom.get('witplug_hook_errors_total{plugin="m",hook="counter#boom",code="TRAP"}')).toBe(2);
    expect(prom.get('witplug_hook_traps_total{plugin="m2",hook="counter#boom"}')).toBe(2);
    expect(prom.get('witplug_plugin_cache_hits_total{plugin="m2"}')).toBe(1);
    expect(prom.get('witplug_plugin_rejections_total{plugin="bad"}')).toBe(1);
    expect(prom.get('witplug_hook_latency_seconds_count{plugin="m",hook="counter#hit"}')).toBe(5);
    expect(prom.get('witplug_hook_latency_seconds_bucket{plugin="m",hook="counter#hit",le="+Inf"}')).toBe(5);
    // A second scrape reads the counters again instead of adding them up twice.
    host.hook('hit')('k');
    expect(parseProm(await services.metrics.prometheus()).get('witplug_hook_calls_total{plugin="m",hook="counter#hit"}')).toBe(6);
    host.close();
  });

  it('times one call in sampleEvery and counts every one', async () => {
    const services = new HostServices({ sampleEvery: 4 });
    const host = new PluginHost({ contract, cache: new CompileCache(null), hooks, logger: () => {}, services });
    await host.load(guest, { name: 's' });
    for (let i = 0; i < 12; i++) host.hook('hit')(`k${i % 3}`);
    const hit = services.metrics.stats()['s']!.hooks['counter#hit']!;
    expect(hit.calls).toBe(12);
    expect(hit.latency.timed).toBe(3);
    expect(() => new HostServices({ sampleEvery: 3 })).toThrow(expect.objectContaining({ code: 'USAGE' }) as Error);
    host.close();
  });

  it('reads the calls the host counts: the same figures as its stats, kept across a reload and an unload', async () => {
    const services = new HostServices({ sampleEvery: 2 });
    const host = new PluginHost({ contract, cache: new CompileCache(null), hooks, logger: () => {}, services });
    await host.load(guest, { name: 'u' });
    for (let i = 0; i < 3; i++) host.hook('hit')('k');
    host.hook('boom')();
    const calls = (): number => services.metrics.stats()['u']!.hooks['counter#hit']!.calls;
    expect(calls()).toBe(host.plugins()[0]!.stats['hit']!.calls);
    await host.reload('u', guest);
    host.hook('hit')('k');
    expect(calls()).toBe(4);
    host.unload('u');
    expect(calls()).toBe(4);
    await host.load(guest, { name: 'u' });
    host.hook('hit')('k');
    host.hook('hit')('k');
    expect(calls()).toBe(6);
    const stats = services.metrics.stats()['u']!;
    expect(stats.loads).toBe(3);
    expect(stats.hooks['counter#hit']!.latency.timed).toBe(3); // every 2nd count: the 2nd and 4th call (the count goes on across the reload), the new load's 2nd
    expect(stats.hooks['counter#boom']).toMatchObject({ calls: 1, errors: { TRAP: 1 } });
    host.close();
  });

  it('an init that refuses counts as a rejection, with its reason', async () => {
    const services = new HostServices();
    const host = new PluginHost({ contract, cache: new CompileCache(null), hooks, logger: () => {}, services });
    await expect(host.load(refusing, { name: 'r' })).rejects.toMatchObject({ code: 'INIT_FAILED' });
    expect(services.metrics.stats()['r']).toMatchObject({ loads: 1, rejections: 1 });
    expect(services.rejections().get('r')?.error.message).toMatch(/not today/);
    expect(host.plugins()).toEqual([]);
  });
});

describe('structured logs', () => {
  it('tags plugin lines with plugin, version and hook; witplug\'s events come from source witplug', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = jsonLineLogger((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const services = new HostServices({ logger });
    const host = new PluginHost({ contract, cache: new CompileCache(null), hooks, services });
    await host.load(guest, { name: 'logged' });
    host.hook('hit')('k');
    host.hook('boom')(); // parallel: the trap is skipped and logged as witplug's event
    const fromPlugin = lines.filter((l) => l['source'] === 'plugin');
    const hash = host.plugins()[0]!.componentHash;
    expect(fromPlugin).toEqual([expect.objectContaining({ level: 30, msg: 'hit', plugin: 'logged', version: hash.slice(0, 12), hook: 'counter#hit' })]);
    const events = lines.filter((l) => l['source'] === 'witplug');
    expect(events).toEqual([expect.objectContaining({ level: 40, plugin: 'logged' })]);
    expect(String(events[0]!['msg'])).toMatch(/boom failed and was skipped: \[TRAP\]/);
    host.close();
  });
});
