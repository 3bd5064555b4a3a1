/**
 * Asynchronous host functions and non-blocking calls, on a real WAT
 * component: isolated plugins await a host function's promise while the
 * host's event loop runs; an in-process plugin that would need to wait is
 * refused at load with ASYNC_UNSUPPORTED; `callAsync`/`fnAsync` give the same
 * values and errors as `call` on both kinds; host functions learn which
 * plugin is calling (`currentCaller()`). This file also runs under a Node
 * with JS promise integration (scripts/run-tests.mjs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin, prepare, type PluginOptions } from '../src/runtime/load/load-plugin.js';
import type { IsolatedPlugin } from '../src/runtime/isolate/isolated-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { loadContract } from '../src/index.js';
import { WitplugError } from '../src/errors.js';
import { addPluginMetadata } from '../src/component/plugin-metadata.js';
import { asyncHost, currentCaller, hasJspi, type HostCaller } from '../src/runtime/capabilities/host-caller.js';
import type { HostImplementations } from '../src/runtime/capabilities/host-imports.js';
import { failsWith } from './helpers/fails.js';

const WIT = `package test:asy@0.1.0;
interface host {
  fetch: func(n: u32) -> u32;
  who: func() -> u32;
}
interface api {
  add: func(a: u32, b: u32) -> u32;
  /// Returns host.fetch(n).
  via-host: func(n: u32) -> u32;
  /// Returns host.who().
  who: func() -> u32;
  /// Counts to n (busy), returns n.
  spin: func(n: u32) -> u32;
}
world w { import host; export api; }
`;
const API = 'test:asy/api@0.1.0';
const HOST = 'test:asy/host';
const WAT = `(module
  (import "test:asy/host@0.1.0" "fetch" (func $fetch (param i32) (result i32)))
  (import "test:asy/host@0.1.0" "who" (func $who (result i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "${API}#add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "${API}#via-host") (param i32) (result i32) (call $fetch (local.get 0)))
  (func (export "${API}#who") (result i32) (call $who))
  (func (export "${API}#spin") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
)`;

let bytes: Uint8Array;
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-async-cache-')));
const open: { close(): Promise<void> }[] = [];

async function isolated(host: HostImplementations, options: PluginOptions = {}): Promise<IsolatedPlugin> {
  const p = await loadPlugin(bytes, { name: 'asy', cache, log: () => {}, host, ...options, isolate: true });
  open.push(p);
  return p;
}

async function inProcess(host: HostImplementations, options: PluginOptions = {}) {
  const p = await loadPlugin(bytes, { name: 'asy', cache, log: () => {}, host, ...options, isolate: false });
  open.push(p);
  return p;
}

/** Awaits `promise`, which must reject with a WitplugError of `code`. */
async function rejectsWith(code: string, promise: Promise<unknown>): Promise<WitplugError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err, 'expected a rejection').toBeInstanceOf(WitplugError);
  expect((err as WitplugError).code, (err as WitplugError).message).toBe(code);
  return err as WitplugError;
}

const syncHost: HostImplementations = { [HOST]: { fetch: (n: number) => n * 2, who: () => 0 } };

beforeAll(async () => {
  bytes = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'w' }));
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

/** `fetch(n)` = n + 100: a promise the first time for each n, the kept value at once after that. */
function cachingFetch(): (n: number) => number | Promise<number> {
  const kept = new Map<number, number>();
  return asyncHost((n: number) => {
    const hit = kept.get(n);
    if (hit !== undefined) return hit;
    return sleep(5).then(() => {
      kept.set(n, n + 100);
      return n + 100;
    });
  });
}

describe('async host functions, isolated (every Node)', () => {
  it('an async function is awaited on the host loop while the worker waits, through callAsync', async () => {
    const callers: (string | undefined)[] = [];
    const fetch = async (n: number) => {
      callers.push(currentCaller()?.name); // read before the first await
      await sleep(20);
      return n + 100;
    };
    const p = await isolated({ [HOST]: { fetch, who: () => 0 } });
    expect(await p.callAsync('api#via-host', [5])).toBe(105);
    expect(await p.fnAsync('api#via-host')(7)).toBe(107);
    expect(await p.callAsync('api#add', [2, 3])).toBe(5);
    expect(callers).toEqual(['asy', 'asy']);
  }, 60_000);

  it('asyncHost marks a plain function returning a promise', async () => {
    const fetch = asyncHost((n: number) => new Promise<number>((r) => setTimeout(() => r(n * 3), 5)));
    const p = await isolated({ [HOST]: { fetch, who: () => 0 } });
    expect(await p.callAsync('api#via-host', [4])).toBe(12);
  }, 60_000);

  it('asyncHost may answer at once (a cache hit) or with a promise (a miss): both reach the plugin', async () => {
    const p = await isolated({ [HOST]: { fetch: cachingFetch(), who: () => 0 } });
    expect(await p.callAsync('api#via-host', [4])).toBe(104); // a miss: a promise
    expect(await p.callAsync('api#via-host', [4])).toBe(104); // a hit: a value at once
    expect(await Promise.all([5, 4, 5].map((n) => p.callAsync('api#via-host', [n])))).toEqual([105, 104, 105]);
  }, 60_000);

  it('a synchronous call on a plugin importing async host functions is refused with USAGE, naming them and callAsync', async () => {
    const p = await isolated({ [HOST]: { fetch: async (n: number) => n, who: () => 0 } });
    const { err } = failsWith('USAGE', () => p.call('api#add', [1, 2]));
    expect(err.message).toContain('test:asy/host@0.1.0#fetch');
    expect(err.message).toContain('callAsync');
    expect(await p.callAsync('api#add', [1, 2])).toBe(3); // the refusal left the plugin usable
  }, 60_000);

  it('a rejected promise is HOST_ERROR, the host\'s fault: not counted, the next call works', async () => {
    let fail = true;
    const p = await isolated({ [HOST]: { fetch: async (n: number) => { await sleep(1); if (fail) throw new Error('db down'); return n; }, who: () => 0 } }, { health: { maxTraps: 1 } });
    const err = await rejectsWith('HOST_ERROR', p.callAsync('api#via-host', [1]));
    expect(err.message).toContain('rejected: db down');
    expect(err.message).toContain(`host function ${HOST}#fetch`);
    fail = false;
    expect(await p.callAsync('api#via-host', [9])).toBe(9);
    expect(p.disabledReason).toBeNull();
  }, 60_000);

  it('a promise that never settles is bounded by the plugin\'s deadline (TIMEOUT, not counted); a new worker serves the next call', async () => {
    let hang = true;
    const fetch = async (n: number) => (hang ? new Promise<number>(() => {}) : n);
    const p = await isolated({ [HOST]: { fetch, who: () => 0 } }, { limits: { timeoutMs: 300 }, health: { maxTraps: 1 } });
    const t0 = performance.now();
    const err = await rejectsWith('TIMEOUT', p.callAsync('api#via-host', [1]));
    expect(performance.now() - t0).toBeLessThan(20_000); // bounded (generous: a hang is the bug)
    expect(err.message).toContain('did not settle');
    hang = false;
    expect(await p.callAsync('api#via-host', [6])).toBe(6);
    expect(p.disabledReason).toBeNull();
  }, 60_000);

  it('with no deadline (timeoutMs: 0, the host\'s choice) a slow promise is awaited, not cut short', async () => {
    const fetch = async (n: number) => { await sleep(100); return n + 1; };
    const p = await isolated({ [HOST]: { fetch, who: () => 0 } }, { limits: { timeoutMs: 0 } });
    expect(p.timeoutMs).toBe(Infinity);
    expect(await p.callAsync('api#via-host', [1])).toBe(2);
  }, 60_000);

  it('a promise returned by a function not declared async is a HOST_ERROR on a synchronous call, with the way out', async () => {
    const p = await isolated({ [HOST]: { fetch: ((n: number) => Promise.resolve(n)) as unknown as (n: number) => number, who: () => 0 } });
    const { err } = failsWith('HOST_ERROR', () => p.call('api#via-host', [1]));
    expect(err.message).toMatch(/returned a promise.*callAsync/);
    expect(await p.callAsync('api#via-host', [8])).toBe(8); // awaited when the call is async
  }, 60_000);

  it('concurrent callAsync on one plugin run one at a time, each with its own result', async () => {
    const p = await isolated({ [HOST]: { fetch: async (n: number) => { await sleep(10); return n; }, who: () => 0 } });
    const results = await Promise.all([1, 2, 3, 4].map((n) => p.callAsync('api#via-host', [n])));
    expect(results).toEqual([1, 2, 3, 4]);
  }, 60_000);
});

describe('in-process plugins importing async host functions', () => {
  it.skipIf(hasJspi())('without JS promise integration (Node 20–24): refused at load with ASYNC_UNSUPPORTED naming the functions and the ways out', async () => {
    const err = await rejectsWith('ASYNC_UNSUPPORTED', inProcess({ [HOST]: { fetch: async (n: number) => n, who: () => 0 } }));
    expect(err.message).toContain('test:asy/host@0.1.0#fetch');
    expect(err.message).not.toContain('#who');
    expect(err.message).toContain('isolate: true');
    expect(err.message).toContain('JS promise integration');
    expect(err.details).toEqual({ asyncImports: ['test:asy/host@0.1.0#fetch'] });
  }, 60_000);

  describe.runIf(hasJspi())('with JS promise integration (Node ≥ 25): the export runs through WebAssembly.promising', () => {
    it('callAsync and fnAsync await the host function; concurrent calls run one at a time', async () => {
      const callers: (string | undefined)[] = [];
      const fetch = async (n: number) => {
        callers.push(currentCaller()?.name); // read before the first await
        await sleep(10);
        return n + 100;
      };
      const p = await inProcess({ [HOST]: { fetch, who: () => 0 } }, { name: 'jspi' });
      const sync = await inProcess(syncHost);
      expect(p.instantiation).toBe(sync.instantiation); // the Suspending import does not change how it is instantiated
      expect(await p.callAsync('api#via-host', [5])).toBe(105);
      expect(await Promise.all([1, 2, 3].map((n) => p.fnAsync('api#via-host')(n)))).toEqual([101, 102, 103]);
      expect(await p.callAsync('api#add', [2, 3])).toBe(5);
      expect(callers).toEqual(['jspi', 'jspi', 'jspi', 'jspi']);
    }, 60_000);

    it('asyncHost may answer at once (a cache hit) or with a promise (a miss): both reach the plugin', async () => {
      const p = await inProcess({ [HOST]: { fetch: cachingFetch(), who: () => 0 } });
      expect(await p.callAsync('api#via-host', [4])).toBe(104); // a miss: the stack suspends
      expect(await p.callAsync('api#via-host', [4])).toBe(104); // a hit: lowered at once, no suspension
      expect(await Promise.all([5, 4, 5].map((n) => p.fnAsync('api#via-host')(n)))).toEqual([105, 104, 105]);
    }, 60_000);

    it('a synchronous call is refused with USAGE naming the async functions and callAsync', async () => {
      const p = await inProcess({ [HOST]: { fetch: async (n: number) => n, who: () => 0 } });
      const { err } = failsWith('USAGE', () => p.call('api#add', [1, 2]));
      expect(err.message).toContain('test:asy/host@0.1.0#fetch');
      expect(err.message).toContain('callAsync');
    }, 60_000);

    it('a rejected promise is HOST_ERROR, not counted; the next call works', async () => {
      let fail = true;
      const fetch = asyncHost(async (n: number) => {
        await sleep(1);
        if (fail) throw new Error('db down');
        return n;
      });
      const p = await inProcess({ [HOST]: { fetch, who: () => 0 } }, { health: { maxTraps: 1 } });
      const err = await rejectsWith('HOST_ERROR', p.callAsync('api#via-host', [1]));
      expect(err.message).toContain('db down');
      fail = false;
      expect(await p.callAsync('api#via-host', [7])).toBe(7);
      expect(p.disabledReason).toBeNull();
    }, 60_000);

    it('a promise that never settles is bounded by the plugin\'s deadline (TIMEOUT, not counted); the next call gets a new instance', async () => {
      let hang = true;
      const fetch = async (n: number) => (hang ? new Promise<number>(() => {}) : n);
      const p = await inProcess({ [HOST]: { fetch, who: () => 0 } }, { limits: { timeoutMs: 200 }, health: { maxTraps: 1 } });
      const err = await rejectsWith('TIMEOUT', p.callAsync('api#via-host', [1]));
      expect(err.message).toContain('did not settle');
      hang = false;
      expect(await p.callAsync('api#via-host', [3])).toBe(3);
      expect(p.disabledReason).toBeNull();
    }, 60_000);

    it('with no deadline (timeoutMs: 0, the host\'s choice) a slow promise is awaited, not cut short', async () => {
      const fetch = async (n: number) => { await sleep(100); return n + 1; };
      const p = await inProcess({ [HOST]: { fetch, who: () => 0 } }, { limits: { timeoutMs: 0 } });
      expect(await p.callAsync('api#via-host', [1])).toBe(2);
    }, 60_000);
  });

  it('an async host function the plugin does not import does not stop it loading', async () => {
    const p = await inProcess({ [HOST]: { ...syncHost[HOST], unused: async () => 1 } });
    expect(p.call('api#via-host', [3])).toBe(6);
  }, 60_000);
});

describe('callAsync and fnAsync: the values and errors of call, on both kinds', () => {
  it.each(['in-process', 'isolated'] as const)('%s', async (kind) => {
    const p = kind === 'isolated' ? await isolated(syncHost) : await inProcess(syncHost);
    expect(await p.callAsync('api#add', [2, 40])).toBe(p.call('api#add', [2, 40]));
    expect(await p.fnAsync('api#via-host')(21)).toBe(42);
    await rejectsWith('USAGE', p.callAsync('api#add', [1]));
    await rejectsWith('NO_SUCH_FUNCTION', p.callAsync('api#nope', []));
    await rejectsWith('TYPE_MISMATCH', p.callAsync('api#add', [1, 'x']));
    failsWith('NO_SUCH_FUNCTION', () => p.fnAsync('api#nope'));
    expect(await p.callAsync('api#add', [1, 1])).toBe(2);
  }, 60_000);
});

describe('callAsync on the C gateway guest (records and variants), both kinds', () => {
  const request = (path: string, method = 'get') => ({
    id: 1n, method, path, query: null, headers: [], body: new Uint8Array(),
    client: { tls: false, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
  });
  it.each(['in-process', 'isolated'] as const)('%s: the same decisions as call', async (kind) => {
    const contract = await loadContract('wit', 'gateway-plugin');
    const options = { contract, cache, log: () => {} };
    const p = kind === 'isolated'
      ? await loadPlugin('guests/dist/gateway-c.wasm', { ...options, isolate: true })
      : await loadPlugin('guests/dist/gateway-c.wasm', options);
    open.push(p);
    for (const req of [request('/'), request('/items/1', 'delete')]) {
      expect(await p.callAsync('filter#check', [req])).toEqual(p.call('filter#check', [req]));
    }
    expect(await p.fnAsync('filter#check')(request('/items/1', 'delete'))).toMatchObject({ tag: 'deny' });
  }, 120_000);
});

describe('an isolated callAsync leaves the event loop running', () => {
  it('timer ticks run during a ~200 ms call, and none during the same call made synchronously', async () => {
    const p = await isolated(syncHost, { limits: { timeoutMs: 20_000 } });
    // Calibrate the spin to last at least ~200 ms on this machine.
    let n = 1 << 22;
    for (let ms = 0; ms < 200 && n < 2 ** 31; n *= 2) {
      const t0 = performance.now();
      p.call('api#spin', [n]);
      ms = performance.now() - t0;
      if (ms >= 200) break;
    }
    const count = async (run: () => unknown): Promise<number> => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 10);
      try {
        await run();
      } finally {
        clearInterval(timer);
      }
      return ticks;
    };
    expect(await count(() => p.call('api#spin', [n]))).toBe(0);
    expect(await count(() => p.callAsync('api#spin', [n]))).toBeGreaterThanOrEqual(3);
  }, 120_000);
});

describe('which plugin is calling: currentCaller()', () => {
  const seen: (HostCaller | null)[] = [];
  const who = () => {
    const caller = currentCaller();
    seen.push(caller);
    if (caller) caller.context['calls'] = ((caller.context['calls'] as number | undefined) ?? 0) + 1;
    return (caller?.context['calls'] as number | undefined) ?? 0;
  };
  const host: HostImplementations = { [HOST]: { fetch: (n: number) => n, who } };

  it.each(['in-process', 'isolated'] as const)('%s: name, version (plugin metadata) and a per-instance context the host fills', async (kind) => {
    seen.length = 0;
    const versioned = addPluginMetadata(bytes, { version: '1.4.2' });
    const load = (name: string, options: PluginOptions) => kind === 'isolated'
      ? loadPlugin(versioned, { name, cache, log: () => {}, host, ...options, isolate: true })
      : loadPlugin(versioned, { name, cache, log: () => {}, host, ...options });
    const a = await load('alpha', { hostContext: { tenant: 't1' } });
    const b = await load('beta', {});
    open.push(a, b);
    expect(a.call('api#who', [])).toBe(1);
    expect(a.call('api#who', [])).toBe(2);
    expect(b.call('api#who', [])).toBe(1);
    expect(await b.callAsync('api#who', [])).toBe(2);
    expect(seen.map((c) => c?.name)).toEqual(['alpha', 'alpha', 'beta', 'beta']);
    expect(seen.every((c) => c?.version === '1.4.2')).toBe(true);
    expect(a.caller.context).toEqual({ tenant: 't1', calls: 2 });
    expect(b.caller.context).toEqual({ calls: 2 });
    expect(currentCaller()).toBeNull(); // only while a host function runs
  }, 60_000);

  it.each(['in-process', 'isolated'] as const)('%s: instantiate({ hostContext }) gives each instance of one prepared plugin its own context', async (kind) => {
    seen.length = 0;
    const prepared = kind === 'isolated'
      ? await prepare(bytes, { name: 'prep', cache, log: () => {}, host, isolate: true })
      : await prepare(bytes, { name: 'prep', cache, log: () => {}, host });
    const one = await prepared.instantiate({ name: 'one', hostContext: { tenant: 'a' } });
    const two = await prepared.instantiate({ name: 'two', hostContext: { tenant: 'b' } });
    open.push(one, two, prepared);
    one.call('api#who', []);
    two.call('api#who', []);
    expect(seen.map((c) => [c?.name, c?.context['tenant']])).toEqual([['one', 'a'], ['two', 'b']]);
  }, 60_000);

  it('a plugin without metadata has version null', async () => {
    seen.length = 0;
    const p = await inProcess(host);
    p.call('api#who', []);
    expect(seen[0]).toMatchObject({ name: 'asy', version: null });
  }, 60_000);
});
