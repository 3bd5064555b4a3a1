import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import type { HookSpec } from '../src/runtime/host/types.js';
import { WitplugError } from '../src/errors.js';
import { bumpAllocator } from './helpers/wat.js';

const GUESTS = { c: 'guests/dist/gateway-c.wasm', js: 'guests/dist/gateway-js.wasm', wat: 'guests/dist/gateway-wat.wasm' } as const;
const EVIL = 'guests/dist/evil-wat.wasm';
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-host-')));

const HOOKS: Record<string, HookSpec> = {
  check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' } },
  shape: { target: 'shaper#shape', kind: 'waterfall' },
  observe: { target: 'observer#observe', kind: 'parallel' },
  checkAll: { target: 'filter#check', kind: 'collect' },
  checkFirst: { target: 'filter#check', kind: 'first' },
  observeAll: { target: 'observer#observe', kind: 'series' },
  observeSkipping: { target: 'observer#observe', kind: 'series', onError: 'skip' },
};

const request = (path: string, id = 7n) => ({
  id, method: 'get', path, query: null, headers: [], body: new Uint8Array(),
  client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
});
const response = () => ({ status: 200, headers: [], body: new Uint8Array(), cache: { noStore: false, private: false, immutable: false } });

let contract: Contract;
const logs: string[] = [];
function newHost(extra: Partial<ConstructorParameters<typeof PluginHost>[0]> = {}): PluginHost {
  return new PluginHost({ contract, cache, hooks: HOOKS, logger: (level, message, plugin) => logs.push(`${plugin} ${level} ${message}`), ...extra });
}

beforeAll(async () => {
  contract = await loadContract('wit', 'gateway-plugin');
}, 120_000);

describe('PluginHost: dispatch kinds across JS, C and WAT guests', () => {
  let host: PluginHost;
  beforeAll(async () => {
    host = newHost();
    // Priority decides the order: c, then wat, then js.
    await host.load(GUESTS.js, { name: 'js', priority: 1 });
    await host.load(GUESTS.c, { name: 'c', priority: 3, config: { 'deny-path': '/a' } });
    await host.load(GUESTS.wat, { name: 'wat', priority: 2, config: { 'deny-path': '/b' } });
  }, 120_000);

  it('plugins() lists them by priority with metadata', () => {
    expect(host.plugins().map((p) => [p.name, p.priority, p.enabled, p.disabledReason])).toEqual([
      ['c', 3, true, null], ['wat', 2, true, null], ['js', 1, true, null],
    ]);
  });

  it('bail: stops at the first result that is not the pass value', () => {
    const before = host.plugins().map((p) => p.stats['check']?.calls ?? 0);
    expect(host.run('check', request('/a'))).toEqual({ tag: 'deny', val: { status: 404, reason: 'blocked by config' } });
    expect(host.plugins().map((p, i) => (p.stats['check']?.calls ?? 0) - before[i]!)).toEqual([1, 0, 0]); // only c ran
    expect(host.run('check', request('/b'))).toEqual({ tag: 'deny', val: { status: 404, reason: 'blocked by config' } });
    expect(host.run('check', request('/x'))).toEqual({ tag: 'pass' });
  });

  it('waterfall: each output feeds the next (response is the fed parameter)', () => {
    const out = host.run('shape', request('/static/a.js', 42n), response()) as { headers: { name: string; values: string[] }[]; cache: { immutable: boolean } };
    expect(out.headers).toEqual([1, 2, 3].map(() => ({ name: 'x-request-id', values: ['42'] })));
    expect(out.cache.immutable).toBe(true);
  });

  it('collect and first', () => {
    expect(host.run('checkAll', request('/a'))).toEqual([
      { tag: 'deny', val: { status: 404, reason: 'blocked by config' } }, { tag: 'pass' }, { tag: 'pass' },
    ]);
    expect(host.run('checkFirst', request('/b'))).toEqual({ tag: 'pass' }); // c's pass is not null
  });

  it('parallel and series call every plugin; results ignored', () => {
    logs.length = 0;
    expect(host.run('observe', request('/o'), 200, 5n)).toBeUndefined();
    expect(host.run('observeAll', request('/o'), 200, 5n)).toBeUndefined();
    expect(logs.filter((l) => l.endsWith('observe /o 200 5')).map((l) => l.split(' ')[0])).toEqual(['c', 'wat', 'js', 'c', 'wat', 'js']);
  });

  it('disable/enable take a plugin out of and back into every hook', () => {
    host.disable('c');
    expect(host.run('check', request('/a'))).toEqual({ tag: 'pass' });
    host.enable('c');
    expect(host.run('check', request('/a'))).toMatchObject({ tag: 'deny' });
  });

  it('an unknown hook is a USAGE error', () => {
    expect(() => host.run('nope')).toThrow(/no hook named "nope"/);
  });
});

describe('PluginHost: failure policies', () => {
  it('parallel: a failing observer is logged and counted, never fails the caller; series fail: attributed to plugin and hook; skip: goes on', async () => {
    const host = newHost();
    await host.load(GUESTS.wat, { name: 'ok' });
    await host.load(GUESTS.c, { name: 'broke', limits: { fuel: 1 } }); // every call runs out of fuel
    logs.length = 0;
    expect(host.run('observe', request('/p'), 200, 1n)).toBeUndefined();
    expect(logs.some((l) => l.startsWith('broke warn hook observe failed') && l.includes('FUEL_EXHAUSTED'))).toBe(true);
    expect(host.plugins().find((p) => p.name === 'broke')!.stats['observe']).toEqual({ calls: 1, failures: 1 });
    try {
      host.run('observeAll', request('/p'), 200, 1n);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WitplugError);
      expect((e as WitplugError).code).toBe('FUEL_EXHAUSTED');
      expect((e as WitplugError).plugin).toBe('broke');
    }
    expect(host.run('observeSkipping', request('/p'), 200, 1n)).toBeUndefined();
    host.close();
  });
});

describe('PluginHost: operations with anchors (before / define / after)', () => {
  it('define replaces the host default, before/after run around it; two defines are refused naming both', async () => {
    const host = newHost({ hooks: {}, operations: { route: { target: 'filter#check' } } });
    const fallback = () => 'host-default';
    expect(host.operation('route', [request('/old/z')], fallback)).toBe('host-default');
    await host.load(GUESTS.wat, { name: 'definer', anchor: { operation: 'route', at: 'define' } });
    await host.load(GUESTS.c, { name: 'watcher', anchor: [{ operation: 'route', at: 'before' }, { operation: 'route', at: 'after' }] });
    expect(host.operation('route', [request('/old/z')], fallback)).toEqual({ tag: 'redirect', val: { location: '/new/z', permanent: true } });
    expect(host.plugins().find((p) => p.name === 'watcher')!.stats['route']!.calls).toBe(2);
    // Only declared operations: inherited names are not operations.
    await expect(host.load(GUESTS.c, { name: 'proto', anchor: { operation: 'constructor', at: 'before' } })).rejects.toMatchObject({ code: 'USAGE' });
    expect(() => host.operation('constructor', [], fallback)).toThrow(/no operation named "constructor"/);
    await expect(host.load(GUESTS.js, { name: 'second', anchor: { operation: 'route', at: 'define' } }))
      .rejects.toThrow(/already defined by plugin "definer"; "second" cannot define it too/);
    host.unload('definer');
    expect(host.operation('route', [request('/old/z')], fallback)).toBe('host-default');
    host.close();
  });
});

describe('PluginHost: unload from inside a call', () => {
  it('a host function (here the logger) unloading the plugin that is calling it: the call ends, the close waits for the dispatch to end', async () => {
    const seen: string[] = [];
    let unloaded = false;
    const host: PluginHost = newHost({
      logger: (level, message, plugin) => {
        seen.push(`${plugin} ${level} ${message}`);
        if (!unloaded && message.startsWith('check')) {
          unloaded = true;
          host.unload(plugin);
        }
      },
    });
    await host.load(GUESTS.c, { name: 'c' });
    expect(host.hook('check')(request('/x'))).toEqual({ tag: 'pass' });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen.filter((l) => l.includes('could not close'))).toEqual([]);
    expect(host.plugins()).toEqual([]);
    expect(host.hook('check')(request('/x'))).toEqual({ tag: 'pass' }); // no plugins: the pass value
  });
});

describe('PluginHost: reload', () => {
  it('accepted: the new version answers from the next call; every call answered by exactly one version', async () => {
    const host = newHost();
    await host.load(GUESTS.c, { name: 'p', config: { 'deny-path': '/x' } });
    const answers: string[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = host.run('check', request('/x')) as { tag: string };
        answers.push(r.tag);
        await new Promise((res) => setImmediate(res));
      }
    })();
    const before = host.plugins()[0]!.componentHash;
    await host.reload('p', new Uint8Array(readFileSync(GUESTS.wat)));
    const after = host.plugins()[0]!.componentHash;
    await new Promise((res) => setTimeout(res, 20));
    stop = true;
    await loop;
    expect(after).not.toBe(before);
    // Same config, same answer from both versions; the list never has a gap or an error.
    expect(answers.length).toBeGreaterThan(1);
    expect(new Set(answers)).toEqual(new Set(['deny']));
    host.close();
  });

  it('rejected: the old version stays and keeps answering; the report comes with the error', async () => {
    const host = newHost();
    await host.load(GUESTS.c, { name: 'p', config: { 'deny-path': '/x' } });
    const hash = host.plugins()[0]!.componentHash;
    try {
      await host.reload('p', new Uint8Array(readFileSync(EVIL)));
      expect.unreachable();
    } catch (e) {
      expect((e as WitplugError).code).toBe('REJECTED');
      expect(((e as WitplugError).details as { report: { accepted: boolean } }).report.accepted).toBe(false);
    }
    expect(host.plugins()[0]!.componentHash).toBe(hash);
    expect(host.run('check', request('/x'))).toMatchObject({ tag: 'deny' });
    host.close();
  });
});

describe('PluginHost: loadDir and init', () => {
  const LIFE_WIT = `package test:life;
interface hooks { check: func(n: u32) -> u32; }
world life {
  export init: func(config: list<tuple<string, string>>) -> result<_, string>;
  export hooks;
}`;
  const LIFE_WAT = `(module
${bumpAllocator(1024)}
  (data (i32.const 64) "bad config")
  ;; init: ok for an empty config, err("bad config") otherwise.
  (func (export "init") (param $p i32) (param $n i32) (result i32)
    (if (i32.eqz (local.get $n)) (then (i32.store8 (i32.const 16) (i32.const 0)) (return (i32.const 16))))
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (i32.const 64))
    (i32.store (i32.const 24) (i32.const 10))
    (i32.const 16))
  (func (export "cabi_post_init") (param i32) (global.set $heap (i32.const 1024)))
  (func (export "test:life/hooks#check") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))`;

  it('init ok → loaded; init err → INIT_FAILED attributed to the plugin, not loaded; loadDir reads manifests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-life-'));
    writeFileSync(join(dir, 'life.wit'), LIFE_WIT);
    const bytes = await componentNew(await componentEmbed({ binary: await parse(LIFE_WAT), witSource: LIFE_WIT, world: 'life' }));
    const life = await loadContract(join(dir, 'life.wit'), 'life');
    const host = new PluginHost({ contract: life, cache, hooks: { check: { target: 'hooks#check', kind: 'collect' } }, logger: () => {} });
    await host.load(bytes, { name: 'good' });
    await expect(host.load(bytes, { name: 'bad', config: { strict: 'yes' } })).rejects.toMatchObject({ code: 'INIT_FAILED', plugin: 'bad', message: expect.stringContaining('bad config') });
    expect(host.plugins().map((p) => p.name)).toEqual(['good']);
    expect(host.run('check', 41)).toEqual([42]);

    const plugins = join(dir, 'plugins');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(plugins);
    writeFileSync(join(plugins, 'a.wasm'), bytes);
    writeFileSync(join(plugins, 'b.wasm'), bytes);
    writeFileSync(join(plugins, 'b.json'), JSON.stringify({ priority: 5 }));
    writeFileSync(join(plugins, 'c.wasm'), bytes);
    writeFileSync(join(plugins, 'c.json'), JSON.stringify({ config: { fail: '1' } }));
    const dirHost = new PluginHost({ contract: life, cache, hooks: { check: { target: 'hooks#check', kind: 'collect' } }, logger: () => {}, manifestPolicy: { priority: { max: 5 } } });
    const r = await dirHost.loadDir(plugins);
    expect(r.loaded.map((p) => p.name)).toEqual(['a', 'b']);
    expect(r.failed.map((f) => [f.name, f.error.code])).toEqual([['c', 'INIT_FAILED']]);
    expect(dirHost.plugins().map((p) => p.name)).toEqual(['b', 'a']);

    // Bad manifests are the operator's mistake, named and coded, never an internal error.
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const manifests: [string, string][] = [['d', '{"anchor": null}'], ['e', '{"priority": "high"}'], ['f', '{not json'], ['g', '{"anchor": {"operation": "x", "at": "sometime"}}']];
    for (const [name, manifest] of manifests) {
      writeFileSync(join(bad, `${name}.wasm`), bytes);
      writeFileSync(join(bad, `${name}.json`), manifest);
    }
    const badHost = new PluginHost({ contract: life, cache, hooks: {}, logger: () => {} });
    const rb = await badHost.loadDir(bad);
    expect(rb.loaded).toEqual([]);
    expect(rb.failed.map((f) => [f.name, f.error.code])).toEqual([['d', 'USAGE'], ['e', 'USAGE'], ['f', 'USAGE'], ['g', 'USAGE']]);
    host.close();
    dirHost.close();
  });
});

describe('PluginHost: several host-API versions at once', () => {
  it('each plugin is linked to the newest implementation compatible with what it imports', async () => {
    const { componentFromCoreWat } = await import('./conformance/helpers.js');
    const dir = join(process.cwd(), 'test', 'fixtures', 'host-versions');
    const v1 = await componentFromCoreWat(join(dir, 'v1.wat'), dir, 'v1');
    const v2 = await componentFromCoreWat(join(dir, 'v2.wat'), dir, 'v2');
    const host = new PluginHost({
      contract: await loadContract(dir, 'host'),
      cache,
      logger: () => {},
      host: {
        'test:dep/test@0.1.0': { x: () => 1, y: () => 2 },
        'test:dep/test@0.1.5': { x: () => 10, y: () => 20 },
        'test:dep/test@0.2.0': { x: () => 3, z: () => 4 },
      },
      hooks: { run: { target: 'run', kind: 'collect' } },
    });
    await host.load(v1, { name: 'old-api' });
    await host.load(v2, { name: 'new-api' });
    expect(host.run('run')).toEqual([10 * 100 + 20, 3 * 100 + 4]);
    host.close();
  });
});
