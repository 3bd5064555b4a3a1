/**
 * Isolation mode never hangs the host: a worker that dies
 * (terminated from outside, out of memory) fails the pending call at once
 * with WORKER_EXIT and the reason, and the next call gets a new worker;
 * every call has a deadline; a host function that re-enters the plugin or
 * returns a value that can't cross to the worker gets a clear code and the
 * next call is unaffected; start() leaves the event loop running; the
 * `cache` option reaches the worker. Real WAT components throughout.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin, type PluginOptions } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError } from '../src/errors.js';
import { DEFAULT_ISOLATED_TIMEOUT_MS, WORKER_HEAP_HEADROOM_MB, type IsolatedPlugin } from '../src/runtime/isolate/isolated-plugin.js';
import { DEFAULT_TIMEOUT_MS } from '../src/runtime/limits/resolve-limits.js';
import { failsWith } from './helpers/fails.js';

const WIT = `package test:iso@0.1.0;
interface host {
  poke: func(n: u32) -> u32;
}
interface api {
  add: func(a: u32, b: u32) -> u32;
  /// Returns host.poke(n).
  via-host: func(n: u32) -> u32;
  /// Calls host.poke(n), then loops forever.
  poke-then-spin: func(n: u32) -> u32;
  /// A list of n empty byte lists (n zeroed descriptors): cheap in linear memory, large as JS values.
  lots: func(n: u32) -> list<list<u8>>;
}
world iso { import host; export api; }
`;
const API = 'test:iso/api@0.1.0';
const WAT = `(module
  (import "test:iso/host@0.1.0" "poke" (func $poke (param i32) (result i32)))
  (memory (export "memory") 256)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8))
  (func (export "${API}#add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "${API}#via-host") (param i32) (result i32) (call $poke (local.get 0)))
  (func (export "${API}#poke-then-spin") (param i32) (result i32)
    (drop (call $poke (local.get 0)))
    (loop $l (br $l))
    unreachable)
  (func (export "${API}#lots") (param $n i32) (result i32)
    (i32.store (i32.const 8) (i32.const 16))
    (i32.store (i32.const 12) (local.get $n))
    (i32.const 8))
)`;

let bytes: Uint8Array;
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-isolation-cache-')));

/** What the host's poke does; each test sets it. */
let poke: (n: number) => unknown = (n) => n + 1;

function load(options: PluginOptions = {}): Promise<IsolatedPlugin> {
  return loadPlugin(bytes, { name: 'iso', cache, log: () => {}, host: { 'test:iso/host': { poke: (n: number) => poke(n) } }, ...options, isolate: true });
}

beforeAll(async () => {
  bytes = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'iso' }));
}, 60_000);

describe('a worker that stops fails the pending call at once, and the next call gets a new worker', () => {
  it('terminated from outside mid-call: WORKER_EXIT with the reason, promptly, not counted against the plugin', async () => {
    // A long deadline and maxTraps 1: only the worker's death can end this call, and counting it would disable the plugin.
    const p = await load({ limits: { timeoutMs: 20_000 }, health: { maxTraps: 1 } });
    try {
      expect(p.call('api#add', [2, 3])).toBe(5);
      poke = (n) => {
        void p.terminateWorker(); // the guest then spins: the call is in progress when the worker dies
        return n;
      };
      const { err, ms } = failsWith('WORKER_EXIT', () => p.call('api#poke-then-spin', [1]));
      expect(ms).toBeLessThan(5_000);
      expect(err.message).toMatch(/stopped during test:iso\/api@0\.1\.0#poke-then-spin: the host stopped it: terminateWorker\(\)/);
      expect(err.hook).toBe(`${API}#poke-then-spin`);
      expect(p.restarts).toBe(1);
      poke = (n) => n * 10;
      expect(p.call('api#via-host', [4])).toBe(40);
      expect(p.call('api#add', [1, 1])).toBe(2);
      expect(p.disabledReason).toBeNull();
    } finally {
      poke = (n) => n + 1;
      await p.close();
    }
  });

  it('out of memory: the worker heap is capped from maxMemoryMb; WORKER_EXIT names the cause and the host survives', async () => {
    const p = await load({ limits: { maxMemoryMb: 16, timeoutMs: 50_000 } });
    try {
      expect(p.resourceLimits).toEqual({ maxOldGenerationSizeMb: WORKER_HEAP_HEADROOM_MB + 32 });
      // 2M empty byte lists: 16 MB of descriptors, hundreds of MB as JS values.
      const { err, ms } = failsWith('WORKER_EXIT', () => p.call('api#lots', [2_000_000]));
      expect(err.message).toMatch(/out of memory/);
      expect(ms).toBeLessThan(45_000);
      expect(p.restarts).toBe(1);
      expect(p.call('api#add', [20, 22])).toBe(42);
      expect(p.call('api#lots', [3])).toEqual([new Uint8Array(), new Uint8Array(), new Uint8Array()]);
    } finally {
      await p.close();
    }
  });

  it('a worker that stops between calls is replaced by the exit handler; the next call succeeds', async () => {
    const logs: string[] = [];
    const p = await load({ log: (level, message) => logs.push(`${level}: ${message}`) });
    try {
      expect(p.call('api#add', [1, 2])).toBe(3);
      await p.terminateWorker();
      expect(p.restarts).toBe(1);
      expect(p.lastExitReason).toMatch(/terminateWorker/);
      expect(logs).toEqual([]); // the host stopped it: nothing to warn about
      expect(p.call('api#add', [3, 4])).toBe(7);
      expect(p.restarts).toBe(1);
    } finally {
      await p.close();
    }
    // A closed plugin starts no new worker.
    failsWith('CLOSED', () => p.call('api#add', [1, 1]));
  });

  it('every call has a deadline: the default when none is given, the given one otherwise', async () => {
    const p = await load();
    const q = await load({ limits: { timeoutMs: 300 } });
    const unbounded = await load({ limits: { timeoutMs: 0 } });
    try {
      // One default for both kinds of plugin.
      expect(DEFAULT_ISOLATED_TIMEOUT_MS).toBe(DEFAULT_TIMEOUT_MS);
      expect(p.timeoutMs).toBe(DEFAULT_ISOLATED_TIMEOUT_MS);
      expect(q.timeoutMs).toBe(300);
      expect(unbounded.timeoutMs).toBe(Infinity); // 0: the host chose no deadline
      expect(unbounded.call('api#add', [2, 2])).toBe(4);
      poke = (n) => n;
      const { ms } = failsWith('TIMEOUT', () => q.call('api#poke-then-spin', [1]));
      expect(ms).toBeLessThan(5_000);
      expect(q.call('api#add', [1, 2])).toBe(3);
    } finally {
      poke = (n) => n + 1;
      await Promise.all([p.close(), q.close(), unbounded.close()]);
    }
  });
});

describe('host functions of an isolated plugin', () => {
  it('calling back into the same plugin is refused with REENTRANCE; the outer call completes; nothing hangs', async () => {
    const p = await load({ limits: { timeoutMs: 10_000 }, health: { maxTraps: 1 } });
    try {
      let inner: unknown;
      poke = (n) => {
        try {
          return p.call('api#add', [n, 1]);
        } catch (e) {
          inner = e;
          return n + 100;
        }
      };
      expect(p.call('api#via-host', [1])).toBe(101);
      expect(inner).toBeInstanceOf(WitplugError);
      expect((inner as WitplugError).code).toBe('REENTRANCE');
      expect((inner as WitplugError).hook).toBe(`${API}#add`);
      expect((inner as WitplugError).message).toMatch(/already running a call \(test:iso\/api@0\.1\.0#via-host\)/);
      // Not caught by the host function: the outer call fails with that code, promptly; the host's fault is not counted.
      poke = (n) => p.call('api#add', [n, 1]);
      const { ms } = failsWith('REENTRANCE', () => p.call('api#via-host', [1]));
      expect(ms).toBeLessThan(5_000);
      poke = (n) => n + 1;
      expect(p.call('api#via-host', [1])).toBe(2);
      expect(p.disabledReason).toBeNull();
      expect(p.restarts).toBe(0);
    } finally {
      poke = (n) => n + 1;
      await p.close();
    }
  });

  it('a value that cannot be cloned to the worker, or a throw, is HOST_ERROR naming the function; the next call is unaffected', async () => {
    const p = await load({ limits: { timeoutMs: 10_000 }, health: { maxTraps: 1 } });
    try {
      poke = () => () => 1;
      const { err } = failsWith('HOST_ERROR', () => p.call('api#via-host', [1]));
      expect(err.message).toMatch(/host function test:iso\/host#poke \(called by test:iso\/api@0\.1\.0#via-host\) returned a value that cannot be sent/);
      poke = (n) => n + 1;
      expect(p.call('api#via-host', [1])).toBe(2);
      poke = () => {
        throw new Error('db down');
      };
      expect(failsWith('HOST_ERROR', () => p.call('api#via-host', [1])).err.message).toMatch(/host function test:iso\/host#poke .*threw: db down/);
      poke = (n) => n + 1;
      expect(p.call('api#via-host', [7])).toBe(8);
      expect(p.disabledReason).toBeNull();
    } finally {
      poke = (n) => n + 1;
      await p.close();
    }
  });
});

describe('starting an isolated plugin', () => {
  it('does not block the event loop while the worker loads', async () => {
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 5);
    const t0 = performance.now();
    // No disk cache: the worker compiles, so loading takes a while.
    const p = await load({ cache: null });
    const ms = performance.now() - t0;
    clearInterval(timer);
    try {
      expect(ms).toBeGreaterThan(50);
      // A blocked loop runs no timer until the worker is ready.
      expect(ticks.filter((t) => t - t0 < ms / 2).length).toBeGreaterThan(2);
      expect(p.call('api#add', [1, 2])).toBe(3);
    } finally {
      await p.close();
    }
  });

  it('honours the cache option: the worker compiles into the given cache directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-isolation-own-cache-'));
    const p = await load({ cache: new CompileCache(dir) });
    try {
      expect(readdirSync(dir).filter((f) => f.endsWith('.wpa'))).toHaveLength(1);
      expect(p.call('api#add', [1, 2])).toBe(3);
    } finally {
      await p.close();
    }
  });
});

describe('an isolated plugin in a script of its own', () => {
  it('does not keep the process alive (with or without close()), and starts whatever flags the app was run with', () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-isolation-exit-'));
    const wasm = join(dir, 'iso.wasm');
    writeFileSync(wasm, bytes);
    const plugin = new URL('../dist/runtime/load/load-plugin.js', import.meta.url).href;
    const script = (close: boolean) => `const { loadPlugin } = await import(${JSON.stringify(plugin)});
const p = await loadPlugin(${JSON.stringify(wasm)}, { isolate: true, log: () => {}, host: { 'test:iso/host': { poke: (n) => n } } });
console.log(p.call('api#add', [1, 2]));
${close ? 'await p.close();' : ''}`;
    writeFileSync(join(dir, 'open.mjs'), script(false));
    writeFileSync(join(dir, 'closed.mjs'), script(true));
    const runs = [[join(dir, 'open.mjs')], [join(dir, 'closed.mjs')], ['--input-type=module', '-e', script(false)]];
    for (const args of runs) {
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, WITPLUG_CACHE_DIR: join(dir, 'cache') } });
      expect(r.error, `${args[0]}: ${r.stderr}`).toBeUndefined(); // ETIMEDOUT: the process did not exit
      expect({ status: r.status, out: r.stdout.trim() }, r.stderr).toEqual({ status: 0, out: '3' });
    }
  });
});
