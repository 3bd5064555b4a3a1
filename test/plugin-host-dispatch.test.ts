import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import { prepare } from '../src/runtime/load/prepare.js';
import type { HookSpec, PluginHostOptions } from '../src/runtime/host/types.js';
import { WitplugError } from '../src/errors.js';
import { stepsContract, type StepGuest } from './helpers/waterfall-guests.js';

const GUESTS = { c: 'guests/dist/gateway-c.wasm', js: 'guests/dist/gateway-js.wasm', wat: 'guests/dist/gateway-wat.wasm' } as const;
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-host-dispatch-')));

const request = (path: string, id = 7n) => ({
  id, method: 'get', path, query: null, headers: [], body: new Uint8Array(),
  client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
});
const response = () => ({ status: 200, headers: [], body: new Uint8Array(), cache: { noStore: false, private: false, immutable: false } });

let gateway: Contract;
let steps: Awaited<ReturnType<typeof stepsContract>>;
beforeAll(async () => {
  gateway = await loadContract('wit', 'gateway-plugin');
  steps = await stepsContract();
}, 120_000);

function usage(make: () => unknown): WitplugError {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(WitplugError);
    expect((e as WitplugError).code).toBe('USAGE');
    return e as WitplugError;
  }
  throw new Error('expected a USAGE error');
}

describe('configuration errors fail the construction, not each request', () => {
  const gatewayHost = (hooks: Record<string, HookSpec>, extra: Partial<PluginHostOptions> = {}) => () =>
    new PluginHost({ contract: gateway, cache, hooks, logger: () => {}, ...extra });
  const cases: [string, Record<string, HookSpec>, RegExp][] = [
    ['a function missing from the world', { h: { target: 'filter#nope', kind: 'bail' } }, /hook "h": target "filter#nope" is not an export of the contract's world/],
    ['an interface missing from the world', { h: { target: 'router#check', kind: 'collect' } }, /target "router#check"/],
    ['a feed past the last parameter', { h: { target: 'shaper#shape', kind: 'waterfall', feed: 2 } }, /feed 2 is not a parameter index/],
    ['a feed that is not an index', { h: { target: 'shaper#shape', kind: 'waterfall', feed: 0.5 } }, /feed 0.5/],
    ['a feed of another type than the result', { h: { target: 'shaper#shape', kind: 'waterfall', feed: 0 } }, /parameter 0 of shaper#shape cannot take its result/],
    ['a waterfall over a function without a result', { h: { target: 'observer#observe', kind: 'waterfall' } }, /no parameter of observer#observe can take its result/],
    ['a waterfall whose result fits no parameter', { h: { target: 'filter#check', kind: 'waterfall' } }, /no parameter of filter#check/],
    ['a pass string for a variant result', { h: { target: 'filter#check', kind: 'bail', pass: 'pass' } }, /pass value "pass" can never equal a result/],
    ['a pass tag the variant lacks', { h: { target: 'filter#check', kind: 'bail', pass: { tag: 'maybe' } } }, /its cases are pass, deny, redirect/],
    ['a pass number for a variant result', { h: { target: 'filter#check', kind: 'bail', pass: 5 } }, /the result is variant/],
    ['a pass value for a function without a result', { h: { target: 'observer#observe', kind: 'bail', pass: null } }, /it returns nothing/],
    ['an unknown dispatch kind', { h: { target: 'filter#check', kind: 'fanout' as HookSpec['kind'] } }, /kind must be series, bail/],
    ['an unknown failure policy', { h: { target: 'filter#check', kind: 'collect', onError: 'retry' as HookSpec['onError'] } }, /onError must be/],
  ];
  it.each(cases)('%s', (_name, hooks, message) => {
    expect(usage(gatewayHost(hooks)).message).toMatch(message);
  });

  it('an operation whose target the world lacks', () => {
    expect(usage(gatewayHost({}, { operations: { route: { target: 'router#route' } } })).message).toMatch(/operation "route": target "router#route"/);
  });

  it('well-formed hooks still construct (pass values of the right type, an explicit feed that fits)', () => {
    expect(gatewayHost({ a: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' } }, b: { target: 'shaper#shape', kind: 'waterfall', feed: 1 } })).not.toThrow();
    expect(() => new PluginHost({ contract: steps.contract, hooks: { c: { target: 'steps#same', kind: 'bail', pass: 3 }, d: { target: 'steps#maybe', kind: 'bail', pass: null } } })).not.toThrow();
  });
});

describe('waterfall over result<T, E> and option<T>', () => {
  const HOOKS: Record<string, HookSpec> = {
    step: { target: 'steps#step', kind: 'waterfall' },
    maybe: { target: 'steps#maybe', kind: 'waterfall' },
    maybeSkip: { target: 'steps#maybe', kind: 'waterfall', onNone: 'skip' },
    same: { target: 'steps#same', kind: 'waterfall' },
  };
  const guests: [string, StepGuest, number][] = [
    ['add1', { op: '(i32.add (local.get $n) (i32.const 1))', limit: 1000 }, 3],
    ['times10', { op: '(i32.mul (local.get $n) (i32.const 10))', limit: 50 }, 2],
    ['add2', { op: '(i32.add (local.get $n) (i32.const 2))', limit: 1000 }, 1],
  ];
  let host: PluginHost;
  beforeAll(async () => {
    host = new PluginHost({ contract: steps.contract, cache, hooks: HOOKS, logger: () => {} });
    for (const [name, g, priority] of guests) await host.load(await steps.guest(g), { name, priority });
  }, 120_000);

  it('ok feeds the next plugin; the hook answers ok of the last value', () => {
    expect(host.run('step', 1)).toEqual({ tag: 'ok', val: 22 }); // (1 + 1) * 10 + 2
    expect(host.run('same', 1)).toBe(22);
  });

  it('the first err is the answer; later plugins are not called', () => {
    const calls = () => host.plugins().find((p) => p.name === 'add2')!.stats['step']!.calls;
    expect(host.run('step', 5)).toEqual({ tag: 'ok', val: 62 });
    const before = calls();
    expect(host.run('step', 49)).toEqual({ tag: 'err', val: 'big' }); // times10 sees 50
    expect(host.run('step', 1000)).toEqual({ tag: 'err', val: 'big' }); // add1 refuses
    expect(calls()).toBe(before);
  });

  it('some feeds the next plugin; none stops (default) or is skipped (onNone: skip)', () => {
    expect(host.run('maybe', 1)).toBe(22);
    expect(host.run('maybe', 49)).toBeNull();
    expect(host.run('maybeSkip', 49)).toBe(52); // times10 declined: 50 goes on to add2
  });

  it('isolated plugins feed the same way', async () => {
    const iso = new PluginHost({ contract: steps.contract, cache, hooks: HOOKS, logger: () => {}, isolate: true });
    try {
      for (const [name, g, priority] of guests) await iso.load(await steps.guest(g), { name, priority });
      expect(iso.plugins().every((p) => p.isolated)).toBe(true);
      expect([iso.run('step', 1), iso.run('step', 49), iso.run('maybe', 49), iso.run('maybeSkip', 49)]).toEqual([{ tag: 'ok', val: 22 }, { tag: 'err', val: 'big' }, null, 52]);
    } finally {
      iso.close();
    }
  }, 60_000);

  it('no plugins: the fed value in the hook result shape, for every waterfall mode', () => {
    const empty = new PluginHost({ contract: steps.contract, cache, hooks: HOOKS, logger: () => {} });
    expect(empty.run('step', 7)).toEqual({ tag: 'ok', val: 7 });
    expect(empty.run('maybe', 7)).toBe(7);
    expect(empty.run('same', 7)).toBe(7);
    const gw = new PluginHost({ contract: gateway, cache, hooks: { shape: { target: 'shaper#shape', kind: 'waterfall' } }, logger: () => {} });
    const resp = response();
    expect(gw.run('shape', request('/'), resp)).toBe(resp); // the response, not the request
  });
});

describe('optional hooks', () => {
  it('a plugin without an optional hook\'s interface is admitted with a note and passed by; without optional it is rejected', async () => {
    const full = await steps.guest({ op: '(i32.add (local.get $n) (i32.const 1))', limit: 1000 });
    const partial = await steps.guest({ op: '(i32.add (local.get $n) (i32.const 2))', limit: 1000, extra: false });
    const hooks: Record<string, HookSpec> = { same: { target: 'steps#same', kind: 'collect' }, bump: { target: 'extra#bump', kind: 'collect', optional: true } };
    const host = new PluginHost({ contract: steps.contract, cache, hooks, logger: () => {} });
    await host.load(full, { name: 'full', priority: 1 });
    await host.load(partial, { name: 'partial' });
    expect(host.run('same', 1)).toEqual([2, 3]);
    expect(host.run('bump', 1)).toEqual([2]);
    expect(host.plugins().find((p) => p.name === 'partial')!.stats['bump']).toBeUndefined();

    const prepared = await prepare(partial, { contract: steps.contract, cache, optionalExports: new Set(['test:wf/extra']) });
    expect(prepared.report!.notes.filter((n) => n.code === 'OPTIONAL_EXPORT_MISSING').map((n) => n.path)).toEqual(['export test:wf/extra']);
    void prepared.close();

    const strict = new PluginHost({ contract: steps.contract, cache, hooks: { ...hooks, bump: { target: 'extra#bump', kind: 'collect' } }, logger: () => {} });
    await expect(strict.load(partial, { name: 'partial' })).rejects.toMatchObject({ code: 'REJECTED' });
    // An interface both an optional and a required hook target stays required.
    const mixed = new PluginHost({ contract: steps.contract, cache, hooks: { ...hooks, bumpAll: { target: 'extra#bump', kind: 'series' } }, logger: () => {} });
    await expect(mixed.load(partial, { name: 'partial' })).rejects.toMatchObject({ code: 'REJECTED' });
    host.close();
  }, 60_000);
});

describe('isolated plugins behind every dispatch kind', () => {
  const HOOKS: Record<string, HookSpec> = {
    check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' } },
    shape: { target: 'shaper#shape', kind: 'waterfall' },
    observe: { target: 'observer#observe', kind: 'parallel' },
    observeAll: { target: 'observer#observe', kind: 'series' },
    checkAll: { target: 'filter#check', kind: 'collect' },
    checkFirst: { target: 'filter#check', kind: 'first' },
  };
  it('JS, C and WAT guests each in a worker answer as in-process ones; operations too', async () => {
    const lines: string[] = [];
    const host = new PluginHost({ contract: gateway, cache, hooks: HOOKS, operations: { route: { target: 'filter#check' } }, logger: (_l, m, p, kind) => lines.push(`${kind} ${p} ${m}`) });
    await host.load(GUESTS.c, { name: 'c', priority: 3, isolate: true, config: { 'deny-path': '/a' } });
    await host.load(GUESTS.wat, { name: 'wat', priority: 2, config: { 'deny-path': '/b' }, anchor: { operation: 'route', at: 'define' } });
    await host.load(GUESTS.js, { name: 'js', priority: 1, isolate: true });
    try {
      expect(host.plugins().map((p) => [p.name, p.isolated])).toEqual([['c', true], ['wat', false], ['js', true]]);
      expect(host.run('check', request('/a'))).toEqual({ tag: 'deny', val: { status: 404, reason: 'blocked by config' } });
      expect(host.run('check', request('/x'))).toEqual({ tag: 'pass' });
      expect(host.run('checkAll', request('/a'))).toEqual([{ tag: 'deny', val: { status: 404, reason: 'blocked by config' } }, { tag: 'pass' }, { tag: 'pass' }]);
      expect(host.run('checkFirst', request('/b'))).toEqual({ tag: 'pass' });
      const out = host.run('shape', request('/static/a.js', 42n), response()) as { headers: unknown[]; cache: { immutable: boolean } };
      expect(out.headers).toEqual([1, 2, 3].map(() => ({ name: 'x-request-id', values: ['42'] })));
      expect(host.run('observe', request('/o'), 200, 5n)).toBeUndefined();
      expect(host.run('observeAll', request('/o'), 200, 5n)).toBeUndefined();
      // An isolated plugin's log lines cross from its worker asynchronously: wait for them (bounded).
      const observed = () => lines.filter((l) => l.endsWith('observe /o 200 5')).map((l) => l.split(' ').slice(0, 2).join(' ')).sort();
      for (let waited = 0; observed().length < 6 && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(observed()).toEqual(['plugin c', 'plugin c', 'plugin js', 'plugin js', 'plugin wat', 'plugin wat']);
      expect(host.operation('route', [request('/old/z')], () => 'default')).toEqual({ tag: 'redirect', val: { location: '/new/z', permanent: true } });
      await host.reload('wat', GUESTS.c); // a reload keeps the plugin's load options (in-process here)
      expect(host.plugins().find((p) => p.name === 'wat')!.isolated).toBe(false);
    } finally {
      host.close();
    }
  }, 180_000);
});
