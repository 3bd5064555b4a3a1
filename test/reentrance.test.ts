/**
 * Re-entrance: a host function that calls back into the
 * plugin instance that called it is refused with REENTRANCE on every entry
 * path — generated callers (`fn`, `call`), jco's bindings (`jcoFn`),
 * resource constructors/methods and drops, re-instantiation — including while the arguments
 * are still being lowered (a host function called from `cabi_realloc`).
 * A refused re-entry leaves the running call's fuel and deadline in force.
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlugin, type Plugin, type PluginOptions } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError } from '../src/errors.js';
import { PluginResource } from '../src/runtime/abi/index.js';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { buildAttributionGuest, HOST } from './helpers/attribution-guest.js';
import { thrown } from './helpers/fails.js';

let bytes: Uint8Array;
const cache = new CompileCache(null);
beforeAll(async () => {
  bytes = await buildAttributionGuest();
}, 60_000);

/** What the host's `poke` does, per test. */
let onPoke: (n: number) => number = (n) => n;

function load(options: PluginOptions = {}): Promise<Plugin> {
  return loadPlugin(bytes, {
    name: 'reent', cache, log: () => {},
    host: { [HOST]: { poke: (n: number) => onPoke(n), name: () => 'host' } },
    ...options,
    isolate: false,
  });
}

/** A host `poke` that gives up after `ms` (so a test of a broken limit fails instead of hanging). */
function bounded(ms: number, each: () => void): (n: number) => number {
  const t0 = performance.now();
  return (n) => {
    if (performance.now() - t0 > ms) throw new Error('the host gave up: the call was not stopped by its limits');
    each();
    return n;
  };
}

describe('a host function calling back into the running instance is refused with REENTRANCE', () => {
  const paths: [string, (p: Plugin, thing: PluginResource) => unknown][] = [
    ['fn', (p) => p.fn('api#count')()],
    ['call', (p) => p.call('api#count', [])],
    ['jcoFn', (p) => pluginInternals(p).jcoFn('api#count')()],
    ['a resource constructor', (p) => p.fn('api#[constructor]thing')()],
    ['a resource method', (p, thing) => p.fn('api#[method]thing.get')(thing)],
    ['a resource drop', (_p, thing) => thing.drop()],
    ['instantiate', (p) => pluginInternals(p).instantiate()],
  ];

  it.each(paths)('through %s: the host may catch it and the outer call completes', async (_what, reenter) => {
    const p = await load();
    const thing = p.fn('api#[constructor]thing')() as PluginResource;
    const inner: unknown[] = [];
    onPoke = (n) => {
      try {
        inner.push(reenter(p, thing));
      } catch (e) {
        inner.push(e);
      }
      return n + 1;
    };
    expect(p.call('api#call-host', [41])).toBe(42);
    expect(inner).toHaveLength(1);
    expect(inner[0]).toBeInstanceOf(WitplugError);
    expect((inner[0] as WitplugError).code).toBe('REENTRANCE');
    expect((inner[0] as WitplugError).message).toMatch(/already running a call/);
    // The instance was never entered twice: its state is the outer call's alone.
    onPoke = (n) => n;
    expect(p.call('api#count', [])).toBe(2);
    // A refused drop left the handle alive; outside a call it drops.
    expect(thing.dropped).toBe(false);
    thing.drop();
    expect(thing.dropped).toBe(true);
  });

  it('uncaught, it fails the outer call with REENTRANCE naming the host function; not counted, fresh instance next', async () => {
    const p = await load({ health: { maxTraps: 2, windowMs: 60_000 } });
    onPoke = () => p.call('api#count', []) as number;
    for (let i = 0; i < 4; i++) {
      const err = thrown(() => p.call('api#call-host', [1]));
      expect(err.code).toBe('REENTRANCE');
      expect(err.hook).toMatch(/call-host$/);
      expect(err.message).toMatch(/host function test:reent\/host#poke called back into plugin reent/);
      expect(err.plugin).toBe('reent');
    }
    expect(p.disabledReason).toBeNull();
    onPoke = (n) => n;
    expect(p.call('api#count', [])).toBe(1); // the unwound instance was replaced
  });

  it('is refused from cabi_realloc while arguments are lowered (fn and jcoFn)', async () => {
    for (const via of ['fn', 'jcoFn'] as const) {
      const p = await load();
      const inner: unknown[] = [];
      onPoke = (n) => {
        try {
          inner.push(p.fn('api#count')());
        } catch (e) {
          inner.push(e);
        }
        return n;
      };
      p.call('api#set-mode', [4]); // cabi_realloc calls poke once
      const echo = via === 'fn' ? p.fn('api#echo') : pluginInternals(p).jcoFn('api#echo');
      expect(echo('hello')).toBe(5);
      expect(inner.length, via).toBeGreaterThanOrEqual(1);
      for (const e of inner) expect((e as WitplugError).code, `${via}: ${String(e)}`).toBe('REENTRANCE');
      p.call('api#set-mode', [0]);
      expect(p.call('api#count', []), via).toBe(1); // the refused inner call never ran
    }
  });
});

describe('a refused re-entry leaves the outer call\'s limits in force', () => {
  it('deadline: a loop of host calls that each try to re-enter through jcoFn ends in TIMEOUT', async () => {
    const p = await load({ limits: { timeoutMs: 100 } });
    const count = pluginInternals(p).jcoFn('api#count');
    let refused = 0;
    onPoke = bounded(5_000, () => {
      try {
        count();
      } catch (e) {
        if ((e as WitplugError).code === 'REENTRANCE') refused++;
      }
    });
    const t0 = performance.now();
    const err = thrown(() => p.call('api#spin-host', []));
    const ms = performance.now() - t0;
    expect(err.code, err.message).toBe('TIMEOUT');
    expect(refused).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(99);
    expect(ms).toBeLessThan(3_000); // generous: the machine is shared; the mechanism is what is asserted
  });

  it('deadline: re-entry attempts from inside cabi_realloc (lowering) do not lift the outer call\'s deadline', async () => {
    for (const via of ['fn', 'jcoFn'] as const) {
      const p = await load({ limits: { timeoutMs: 100 } });
      p.call('api#set-mode', [5]); // cabi_realloc calls poke forever
      const spin = via === 'fn' ? p.fn('api#spin') : pluginInternals(p).jcoFn('api#spin');
      onPoke = bounded(5_000, () => {
        try {
          spin();
        } catch {
          // refused: carry on looping in the plugin's cabi_realloc
        }
      });
      const t0 = performance.now();
      const err = thrown(() => p.call('api#echo', ['hello']));
      const ms = performance.now() - t0;
      expect(err.code, `${via}: ${err.message}`).toBe('TIMEOUT');
      expect(ms, via).toBeLessThan(3_000);
      onPoke = (n) => n;
      expect(p.call('api#count', []), via).toBe(1); // plugin code timed out: fresh instance
    }
  });

  it('fuel: the budget is not refilled by a refused re-entry', async () => {
    const p = await load({ limits: { fuel: 10_000 } });
    const count = pluginInternals(p).jcoFn('api#count');
    onPoke = bounded(5_000, () => {
      try {
        count();
      } catch {
        // refused
      }
    });
    expect(thrown(() => p.call('api#spin-host', [])).code).toBe('FUEL_EXHAUSTED');
  });
});

describe('a host resource\'s drop callback', () => {
  const WIT = `package test:hres@0.1.0;
interface host-api { resource ctx; }
interface hooks { use host-api.{ctx}; take: func(c: ctx); count: func() -> u32; }
world w { import host-api; export hooks; }
`;
  const WAT = `(module
  (import "test:hres/host-api@0.1.0" "[resource-drop]ctx" (func $drop (param i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "test:hres/hooks@0.1.0#take") (param i32) (call $drop (local.get 0)))
  (func (export "test:hres/hooks@0.1.0#count") (result i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (global.get $count)))`;

  it('calling back into the plugin that dropped the handle is refused with REENTRANCE', async () => {
    const component = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'w' }));
    let self: Plugin | undefined;
    const inner: unknown[] = [];
    const dropped: object[] = [];
    const p = await loadPlugin(component, {
      name: 'hres', cache, log: () => {},
      host: {
        'test:hres/host-api': {
          '[resource-drop]ctx': (c: object) => {
            dropped.push(c);
            try {
              inner.push(self!.call('hooks#count', []));
            } catch (e) {
              inner.push(e);
            }
          },
        },
      },
    });
    self = p;
    const ctx = { id: 1 };
    p.call('hooks#take', [ctx]);
    expect(dropped).toEqual([ctx]);
    expect(inner).toHaveLength(1);
    expect((inner[0] as WitplugError).code, String(inner[0])).toBe('REENTRANCE');
    expect(p.call('hooks#count', [])).toBe(1);
  }, 60_000);
});
