import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import type { HookSpec, LogKind, PluginHostOptions } from '../src/runtime/host/types.js';
import { WitplugError } from '../src/errors.js';

const GUESTS = { c: 'guests/dist/gateway-c.wasm', js: 'guests/dist/gateway-js.wasm', wat: 'guests/dist/gateway-wat.wasm' } as const;
const EVIL = 'guests/dist/evil-wat.wasm';
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-host-life-')));

const HOOKS: Record<string, HookSpec> = {
  check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' } },
  observe: { target: 'observer#observe', kind: 'parallel' },
  observeAll: { target: 'observer#observe', kind: 'series' },
};
const request = (path: string, id = 7n) => ({
  id, method: 'get', path, query: null, headers: [], body: new Uint8Array(),
  client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
});
const DENY = { tag: 'deny', val: { status: 404, reason: 'blocked by config' } };

let contract: Contract;
beforeAll(async () => {
  contract = await loadContract('wit', 'gateway-plugin');
}, 120_000);

interface Line { level: string; message: string; plugin: string; kind: LogKind }
function newHost(extra: Partial<PluginHostOptions> = {}): { host: PluginHost; lines: Line[] } {
  const lines: Line[] = [];
  const logger = (level: string, message: string, plugin: string, kind: LogKind) => lines.push({ level, message, plugin, kind });
  const host = new PluginHost({ contract, cache, hooks: HOOKS, logger, ...extra });
  return { host, lines };
}

describe('a DISABLED plugin leaves dispatch', () => {
  it.each([false, true])('a crash-looping plugin (isolated: %s) stops failing the bail hook; healthy plugins behind it answer; reported and announced once', async (isolate) => {
    const { host, lines } = newHost();
    const disabled: { name: string; reason: string }[] = [];
    host.on('disabled', (e) => disabled.push(e));
    await host.load(GUESTS.c, { name: 'broken', priority: 3, limits: { fuel: 1 }, isolate }); // every call runs out of fuel
    await host.load(GUESTS.js, { name: 'js', priority: 2, config: { 'deny-path': '/d' } });
    await host.load(GUESTS.wat, { name: 'wat', priority: 1 });
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        expect(host.run('check', request('/d'))).toEqual(DENY);
        codes.push('ok');
      } catch (e) {
        expect((e as WitplugError).plugin).toBe('broken');
        codes.push((e as WitplugError).code);
      }
    }
    // The failures that disable it are the plugin's own (FUEL_EXHAUSTED), never DISABLED; then every request is answered.
    const firstOk = codes.indexOf('ok');
    expect(firstOk).toBeGreaterThan(0);
    expect(new Set(codes.slice(0, firstOk))).toEqual(new Set(['FUEL_EXHAUSTED']));
    expect(codes.slice(firstOk).every((c) => c === 'ok')).toBe(true);
    expect(disabled).toEqual([{ name: 'broken', reason: expect.any(String) as string }]);
    const info = host.plugins().find((p) => p.name === 'broken')!;
    expect([info.enabled, info.disabledReason]).toEqual([false, disabled[0]!.reason]);
    expect(lines.filter((l) => l.kind === 'host' && l.message.startsWith('disabled'))).toHaveLength(1);
    // A reload brings a fresh instance back into dispatch.
    await host.reload('broken', GUESTS.c);
    expect(host.plugins().find((p) => p.name === 'broken')!.enabled).toBe(true);
    host.close();
  }, 120_000);
});

describe('lifecycle events and the logger', () => {
  it('loaded, rejected, reloaded, unloaded, error; plugin lines apart from witplug\'s own; reload keeps stats', async () => {
    const { host, lines } = newHost();
    const seen: string[] = [];
    host.on('loaded', (i) => seen.push(`loaded ${i.name}`));
    host.on('rejected', (e) => seen.push(`rejected ${e.name} ${e.error.code} reload=${e.reload}`));
    host.on('reloaded', (i) => seen.push(`reloaded ${i.name}`));
    host.on('unloaded', (e) => seen.push(`unloaded ${e.name}`));
    await host.load(GUESTS.wat, { name: 'ok' });
    await host.load(GUESTS.c, { name: 'broke', limits: { fuel: 1 } });
    await expect(host.load(EVIL, { name: 'evil' })).rejects.toMatchObject({ code: 'REJECTED' });
    await expect(host.reload('ok', EVIL)).rejects.toMatchObject({ code: 'REJECTED' });

    // No 'error' listener: a skipped failure is logged, nothing is thrown.
    expect(host.run('observe', request('/p'), 200, 1n)).toBeUndefined();
    const errors: WitplugError[] = [];
    host.on('error', (e) => errors.push(e));
    expect(host.run('observe', request('/p'), 200, 1n)).toBeUndefined();
    expect(errors.map((e) => [e.code, e.plugin])).toEqual([['FUEL_EXHAUSTED', 'broke']]);

    expect(lines.filter((l) => l.message === 'observe /p 200 1').map((l) => [l.plugin, l.kind])).toEqual([['ok', 'plugin'], ['ok', 'plugin']]);
    expect(lines.filter((l) => l.message.startsWith('hook observe failed')).map((l) => [l.plugin, l.kind])).toEqual([['broke', 'host'], ['broke', 'host']]);

    const before = host.plugins().find((p) => p.name === 'ok')!.stats['observe'];
    expect(before).toEqual({ calls: 2, failures: 0 });
    await host.reload('ok', GUESTS.c);
    expect(host.plugins().find((p) => p.name === 'ok')!.stats['observe']).toEqual(before);
    host.unload('broke');
    expect(seen).toEqual(['loaded ok', 'loaded broke', 'rejected evil REJECTED reload=false', 'rejected ok REJECTED reload=true', 'reloaded ok', 'unloaded broke']);

    // A listener that throws is logged, never thrown into the load.
    host.once('loaded', () => {
      throw new Error('listener bug');
    });
    await host.load(GUESTS.wat, { name: 'again' });
    expect(lines.some((l) => l.kind === 'host' && l.message.includes("'loaded' listener threw: listener bug"))).toBe(true);
    host.close();
  }, 60_000);

  it('a logger written for three arguments still works', async () => {
    const got: string[] = [];
    const host = new PluginHost({ contract, cache, hooks: HOOKS, logger: (level, message, plugin) => got.push(`${plugin} ${level} ${message}`) });
    await host.load(GUESTS.wat, { name: 'w' });
    host.run('observe', request('/q'), 200, 2n);
    expect(got).toContain('w debug observe /q 200 2');
    host.close();
  });
});

describe('concurrency in the host itself', () => {
  it.each([NaN, Infinity, -Infinity, '5'])('priority %s is USAGE; nothing is loaded', async (priority) => {
    const { host } = newHost();
    await expect(host.load(GUESTS.wat, { name: 'p', priority: priority as number })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('finite number') });
    expect(host.plugins()).toEqual([]);
  });

  it('two concurrent loads with one name: one wins, the other fails USAGE, no orphan', async () => {
    const { host } = newHost();
    const r = await Promise.allSettled([host.load(GUESTS.wat, { name: 'same' }), host.load(GUESTS.c, { name: 'same' })]);
    expect(r.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason as WitplugError).code).toBe('USAGE');
    expect(host.plugins().map((p) => p.name)).toEqual(['same']);
    host.close();
  });

  it('two concurrent loads defining one operation: one wins, the other fails USAGE', async () => {
    const { host } = newHost({ operations: { route: { target: 'filter#check' } } });
    const define = { operation: 'route', at: 'define' } as const;
    const r = await Promise.allSettled([host.load(GUESTS.wat, { name: 'a', anchor: define }), host.load(GUESTS.c, { name: 'b', anchor: define })]);
    expect(r.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason as WitplugError).code).toBe('USAGE');
    expect(host.plugins()).toHaveLength(1);
    // Two reloads of one name at once: the second is refused.
    const name = host.plugins()[0]!.name;
    const reloads = await Promise.allSettled([host.reload(name, GUESTS.wat), host.reload(name, GUESTS.wat)]);
    expect(reloads.map((x) => x.status)).toEqual(['fulfilled', 'rejected']);
    host.close();
  });

  it.each(['unload', 'close'] as const)('%s from inside a dispatch waits for it to end: no CLOSED for the plugins after', async (how) => {
    let done = false;
    const lines: string[] = [];
    const host: PluginHost = new PluginHost({
      contract, cache, hooks: HOOKS,
      logger: (_level, message, plugin) => {
        lines.push(`${plugin} ${message}`);
        if (!done && plugin === 'first' && message.startsWith('observe')) {
          done = true;
          if (how === 'unload') host.unload('last');
          else host.close();
        }
      },
    });
    await host.load(GUESTS.c, { name: 'first', priority: 3 });
    await host.load(GUESTS.wat, { name: 'middle', priority: 2 });
    await host.load(GUESTS.js, { name: 'last', priority: 1 });
    expect(host.run('observeAll', request('/u'), 200, 3n)).toBeUndefined(); // series, onError fail: a CLOSED would throw
    expect(lines.filter((l) => l.endsWith('observe /u 200 3')).map((l) => l.split(' ')[0])).toEqual(['first', 'middle', 'last']);
    expect(host.plugins().map((p) => p.name)).toEqual(how === 'unload' ? ['first', 'middle'] : []);
    host.close();
  }, 60_000);
});

describe('isolate in a manifest is a request the host decides', () => {
  it('refused (POLICY) unless manifestPolicy.isolate; granted, the plugin runs in a worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-isolate-manifest-'));
    copyFileSync(GUESTS.c, join(dir, 'iso.wasm'));
    writeFileSync(join(dir, 'iso.json'), JSON.stringify({ isolate: true }));
    const strict = newHost().host;
    const rejected: string[] = [];
    strict.on('rejected', (e) => rejected.push(`${e.name} ${e.error.code}`));
    const r = await strict.loadDir(dir);
    expect(r.failed.map((f) => [f.name, f.error.code, f.error.path])).toEqual([['iso', 'POLICY', 'isolate']]);
    expect(rejected).toEqual(['iso POLICY']);
    const { host } = newHost({ manifestPolicy: { isolate: true } });
    const ok = await host.loadDir(dir);
    expect(ok.loaded.map((p) => [p.name, p.isolated])).toEqual([['iso', true]]);
    expect(host.run('check', request('/x'))).toEqual({ tag: 'pass' });
    host.close();
    // A bad value is the operator's mistake.
    writeFileSync(join(dir, 'iso.json'), JSON.stringify({ isolate: 'yes' }));
    expect((await newHost().host.loadDir(dir)).failed.map((f) => f.error.code)).toEqual(['USAGE']);
  }, 60_000);
});
