/**
 * Resources through the generated canonical-ABI path, on the benchmark guest
 * (bench/guests/bench.wat: `resource counter { constructor(start: u32);
 * incr: func(by: u32) -> u32 }`, reps are slots of a 192-entry free list
 * that the destructor refills).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlugin, type Plugin } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { PluginResource } from '../src/runtime/abi/index.js';
import { WitplugError } from '../src/errors.js';

let plugin: Plugin;

beforeAll(async () => {
  plugin = await loadPlugin('bench/guests/dist/bench.wasm', { cache: new CompileCache(null), log: () => {} });
});

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WitplugError);
    return (e as WitplugError).code;
  }
  throw new Error('expected a WitplugError');
};

describe('exported resources', () => {
  it('the constructor returns a handle; methods borrow it and keep per-instance state', () => {
    const make = plugin.fn('shapes#[constructor]counter');
    const incr = plugin.fn('shapes#[method]counter.incr');
    const a = make(10) as PluginResource;
    const b = make(100) as PluginResource;
    expect(a).toBeInstanceOf(PluginResource);
    expect(incr(a, 1)).toBe(11);
    expect(incr(b, 5)).toBe(105);
    expect(incr(a, 2)).toBe(13);
    a.drop();
    b.drop();
  });

  it('drop runs the destructor: 1000 counters fit in the guest\'s 192 slots when each is dropped', () => {
    const make = plugin.fn('shapes#[constructor]counter');
    const incr = plugin.fn('shapes#[method]counter.incr');
    for (let i = 0; i < 1000; i++) {
      const c = make(i) as PluginResource;
      expect(incr(c, 1)).toBe(i + 1);
      c.drop();
    }
  });

  it('refuses a dropped handle and a non-handle with TYPE_MISMATCH, and the instance keeps working', () => {
    const make = plugin.fn('shapes#[constructor]counter');
    const incr = plugin.fn('shapes#[method]counter.incr');
    const c = make(1) as PluginResource;
    c.drop();
    expect(codeOf(() => incr(c, 1))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => incr({ rep: 256 }, 1))).toBe('TYPE_MISMATCH');
    expect(codeOf(() => incr(7, 1))).toBe('TYPE_MISMATCH');
    const d = make(5) as PluginResource;
    expect(incr(d, 1)).toBe(6);
    d.drop();
  });

  it('handles of an instance that trapped are refused after the fresh instance replaces it', async () => {
    const own = await loadPlugin('bench/guests/dist/bench.wasm', { cache: new CompileCache(null), log: () => {} });
    const make = own.fn('shapes#[constructor]counter');
    const incr = own.fn('shapes#[method]counter.incr');
    const kept = make(1) as PluginResource;
    // 192 live counters exhaust the slots: the constructor traps (unreachable) and the instance is dropped.
    const live: unknown[] = [kept];
    expect(codeOf(() => {
      for (;;) live.push(make(0));
    })).toBe('TRAP');
    expect(live.length).toBe(192);
    const fresh = make(40) as PluginResource;
    expect(incr(fresh, 2)).toBe(42);
    expect(codeOf(() => incr(kept, 1))).toBe('TYPE_MISMATCH');
  });
});

describe('resources and isolation mode', () => {
  it('a resource-returning call on an isolated plugin fails with UNSUPPORTED (handles cannot leave the worker); other calls work', async () => {
    const iso = await loadPlugin('bench/guests/dist/bench.wasm', { cache: new CompileCache(null), isolate: true, log: () => {} });
    try {
      expect(codeOf(() => iso.call('shapes#[constructor]counter', [1]))).toBe('UNSUPPORTED');
      expect(iso.call('shapes#add', [2, 3])).toBe(5);
    } finally {
      await iso.close();
    }
  });
});
