/**
 * Isolation mode charges each failure to whoever caused it, as in-process
 * (docs/sandbox.md, "Who is at fault"), and survives the loss of its own
 * supervisor thread:
 * - the supervisor thread stopped mid-call (terminated, or crashed): the
 *   call fails at once with WORKER_EXIT, not counted; the next call works;
 * - arguments the structured clone cannot carry: TYPE_MISMATCH naming the
 *   place, not counted, like in-process;
 * - a guest message to a host function too big for the channel: the
 *   plugin's OUTPUT_LIMIT (the host never ran), counted;
 * - a host function the host does not provide: UNSUPPORTED, not counted.
 * Real WAT components throughout.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin, type Plugin, type PluginOptions } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import type { IsolatedPlugin } from '../src/runtime/isolate/isolated-plugin.js';
import { supervisorThreadForTests } from '../src/runtime/isolate/supervisor-client.js';
import { failsWith } from './helpers/fails.js';

const WIT = `package test:isof@0.1.0;
interface host {
  poke: func(n: u32) -> u32;
  take: func(s: string) -> u32;
}
/// Offered by no host in these tests.
interface extra {
  ping: func() -> u32;
}
interface api {
  record request { name: string, tags: list<string>, extra: option<u32> }
  add: func(a: u32, b: u32) -> u32;
  /// Calls host.poke(n), then loops forever.
  poke-then-spin: func(n: u32) -> u32;
  /// The number of tags.
  greet: func(req: request) -> u32;
  /// Passes host.take a string of n NUL characters; returns what it returns.
  send: func(n: u32) -> u32;
  /// Calls extra.ping.
  ping: func() -> u32;
}
world isof { import host; import extra; export api; }
`;
const API = 'test:isof/api@0.1.0';
/** Where send's string starts: 2 MiB into a 20 MiB memory, room for 17 MiB. */
const TEXT_AT = 2 * 1024 * 1024;
const WAT = `(module
  (import "test:isof/host@0.1.0" "poke" (func $poke (param i32) (result i32)))
  (import "test:isof/host@0.1.0" "take" (func $take (param i32 i32) (result i32)))
  (import "test:isof/extra@0.1.0" "ping" (func $ping (result i32)))
  (memory (export "memory") 320)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1))) (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "${API}#add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "${API}#poke-then-spin") (param i32) (result i32)
    (drop (call $poke (local.get 0)))
    (loop $l (br $l))
    unreachable)
  (func (export "${API}#greet") (param i32 i32 i32 i32 i32 i32) (result i32) (local.get 3))
  (func (export "${API}#send") (param i32) (result i32) (call $take (i32.const ${TEXT_AT}) (local.get 0)))
  (func (export "${API}#ping") (result i32) (call $ping))
)`;

let bytes: Uint8Array;
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-isolation-faults-cache-')));

/** What the host's poke does; a test may change it (and restores it). */
let poke: (n: number) => unknown = (n) => n + 1;
/** Strings the host's take received (their lengths). */
const taken: number[] = [];

function host(): PluginOptions['host'] {
  return { 'test:isof/host': { poke: (n: number) => poke(n), take: (s: string) => (taken.push(s.length), s.length) } };
}

function load(options: PluginOptions = {}): Promise<IsolatedPlugin> {
  return loadPlugin(bytes, { name: 'isof', cache, log: () => {}, host: host(), ...options, isolate: true });
}

function loadInProcess(options: PluginOptions = {}): Promise<Plugin> {
  return loadPlugin(bytes, { name: 'isof', cache, log: () => {}, host: host(), ...options, isolate: false });
}

beforeAll(async () => {
  bytes = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'isof' }));
}, 60_000);

describe('the supervisor thread stops while a call is running', () => {
  /** Ways the supervisor thread can stop: as an outside kill would, and by an uncaught exception in it. */
  const stops: Record<string, () => void> = {
    'terminated': () => void supervisorThreadForTests()!.terminate(),
    // A message it cannot handle: its handler throws, and the thread ends with an uncaught exception.
    'crashed': () => supervisorThreadForTests()!.postMessage({ type: 'spawn', id: -1, url: 'file:///nowhere.js', init: null, urgent: true, startupMs: 1 }),
  };

  for (const [how, stop] of Object.entries(stops)) {
    it(`${how}: the call fails at once with WORKER_EXIT, not counted; this plugin's and another's next calls work`, async () => {
      // A long deadline and maxTraps 1: only the supervisor's loss can end this call, and counting it would disable the plugin.
      const p = await load({ limits: { timeoutMs: 20_000 }, health: { maxTraps: 1 } });
      const other = await load({ health: { maxTraps: 1 } });
      try {
        expect(p.call('api#add', [2, 3])).toBe(5);
        expect(other.call('api#add', [1, 1])).toBe(2);
        const supervisor = supervisorThreadForTests();
        expect(supervisor).not.toBeNull();
        const exited = new Promise((resolve) => supervisor!.once('exit', resolve));
        poke = (n) => {
          stop(); // the guest then spins: the call is in progress when the supervisor and its workers stop
          return n;
        };
        const { err, ms } = failsWith('WORKER_EXIT', () => p.call('api#poke-then-spin', [1]));
        expect(ms).toBeLessThan(5_000);
        expect(err.message).toMatch(/stopped during test:isof\/api@0\.1\.0#poke-then-spin: the isolation supervisor thread stopped/);
        poke = (n) => n + 1;
        // The next calls: a new supervisor starts the replacements (bounded by their start deadlines, not 60 s of stall).
        const t0 = performance.now();
        expect(p.call('api#add', [20, 22])).toBe(42);
        expect(other.call('api#add', [3, 4])).toBe(7);
        expect(performance.now() - t0).toBeLessThan(30_000);
        expect(supervisorThreadForTests()).not.toBe(supervisor);
        expect(p.disabledReason).toBeNull();
        expect(other.disabledReason).toBeNull();
        // One replacement each: the new workers are not mistaken for ones the old supervisor took along.
        expect([p.restarts, other.restarts]).toEqual([1, 1]);
        await exited;
        expect(p.call('api#add', [1, 2])).toBe(3);
      } finally {
        poke = (n) => n + 1;
        await Promise.all([p.close(), other.close()]);
      }
    }, 60_000);
  }
});

describe('the supervisor thread stops during the first call it serves', () => {
  it('a fresh supervisor, one plugin: the call fails at once with WORKER_EXIT, not counted; the next call works', async () => {
    const old = supervisorThreadForTests();
    if (old) {
      const gone = new Promise((resolve) => old.once('exit', resolve));
      void old.terminate();
      await gone;
    }
    expect(supervisorThreadForTests()).toBeNull();
    const p = await load({ limits: { timeoutMs: 20_000 }, health: { maxTraps: 1 } });
    try {
      poke = (n) => {
        void supervisorThreadForTests()!.terminate();
        return n;
      };
      const { err, ms } = failsWith('WORKER_EXIT', () => p.call('api#poke-then-spin', [1]));
      expect(ms).toBeLessThan(5_000);
      expect(err.message).toMatch(/the isolation supervisor thread stopped/);
      poke = (n) => n + 1;
      expect(p.call('api#add', [20, 22])).toBe(42);
      expect(p.disabledReason).toBeNull();
    } finally {
      poke = (n) => n + 1;
      await p.close();
    }
  }, 60_000);
});

describe('the supervisor thread stops while plugins load', () => {
  it('their starts are tried again under a new supervisor: every load succeeds', async () => {
    const warm = await load(); // a running supervisor, and a warm compile cache
    await warm.close();
    const supervisor = supervisorThreadForTests()!;
    const loading = Promise.all([load(), load(), load()]);
    void supervisor.terminate(); // the three starts are queued or loading under it
    const plugins = await loading;
    try {
      expect(supervisorThreadForTests()).not.toBe(supervisor);
      expect(plugins.map((p, i) => p.call('api#add', [i, 1]))).toEqual([1, 2, 3]);
    } finally {
      await Promise.all(plugins.map((p) => p.close()));
    }
  }, 60_000);
});

describe('the supervisor thread stops between calls, before the host\'s event loop runs again', () => {
  it('the next call fails with WORKER_EXIT within a wait slice, not counted; the one after works', async () => {
    const p = await load({ limits: { timeoutMs: 20_000 }, health: { maxTraps: 1 } });
    try {
      expect(p.call('api#add', [2, 3])).toBe(5);
      const supervisor = supervisorThreadForTests()!;
      void supervisor.terminate();
      // Block (no event loop turn, so no 'exit' event) until the thread is gone, for at most 10 s.
      const tick = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 1_000 && supervisor.performance.eventLoopUtilization().idle >= 0; i++) Atomics.wait(tick, 0, 0, 10);
      const { err, ms } = failsWith('WORKER_EXIT', () => p.call('api#add', [1, 1]));
      expect(ms).toBeLessThan(5_000);
      expect(err.message).toMatch(/the isolation supervisor thread stopped/);
      expect(p.call('api#add', [20, 22])).toBe(42);
      expect(p.disabledReason).toBeNull();
      expect(supervisorThreadForTests()).not.toBe(supervisor);
    } finally {
      await p.close();
    }
  }, 60_000);
});

function deepArray(depth: number): unknown[] {
  let a: unknown[] = [];
  for (let i = 0; i < depth; i++) a = [a];
  return a;
}

describe('arguments the structured clone cannot carry are the caller\'s TYPE_MISMATCH, as in-process', () => {
  const throwing = { get name(): string { throw new Error('no name today'); }, tags: [], extra: null };
  /** target, arguments, the path the error names, whether in-process refuses them with TYPE_MISMATCH too. */
  const cases: Array<[string, string, unknown[], string, boolean]> = [
    ['a function for a u32', 'api#add', [() => 1, 2], 'param a', true],
    ['a symbol for a u32', 'api#add', [1, Symbol('two')], 'param b', false],
    ['a function inside a list of a record', 'api#greet', [{ name: 'n', tags: ['x', () => 'y'], extra: null }], 'param req > field tags[1]', true],
    ['a symbol as an option\'s payload', 'api#greet', [{ name: 'n', tags: [], extra: Symbol('x') }], 'param req > field extra > some', false],
    ['a getter that throws', 'api#greet', [throwing], 'param req > field name', false],
    ['a promise (a missing await)', 'api#add', [Promise.resolve(1), 2], 'param a', true],
    // The clone overflows the stack (a RangeError); the type says where the value stops fitting.
    ['an array nested 200 000 deep where strings are expected', 'api#greet', [{ name: 'n', tags: deepArray(200_000), extra: null }], 'param req > field tags[0]', true],
  ];

  it.each(cases)('%s', async (_what, target, args, path, sameInProcess) => {
    const p = await load({ health: { maxTraps: 1 } });
    const inProcess = await loadInProcess({ health: { maxTraps: 1 } });
    try {
      const { err } = failsWith('TYPE_MISMATCH', () => p.call(target, args));
      expect(err.path).toBe(path);
      expect(err.message).toMatch(new RegExp(`^${path.replace(/[[\]]/g, '\\$&')}: .*cannot be sent to isolated plugin isof`));
      expect(err.hook).toBe(`${API}#${target.slice(4)}`);
      // In-process the same arguments are refused with the same code (a symbol or a throwing getter
      // fails there before its check can name it: not compared).
      if (sameInProcess) expect(failsWith('TYPE_MISMATCH', () => inProcess.call(target, args)).err.path).toBe(path);
      // The caller's mistake: not counted, the worker kept.
      expect(p.call('api#greet', [{ name: 'n', tags: ['a', 'b'], extra: 3 }])).toBe(2);
      expect(p.disabledReason).toBeNull();
      expect(p.restarts).toBe(0);
    } finally {
      await Promise.all([p.close(), inProcess.close()]);
    }
  }, 60_000);
});

describe('a guest message to a host function that does not fit the channel', () => {
  it('is the plugin\'s OUTPUT_LIMIT, counted; the host function never ran', async () => {
    const p = await load({ limits: { timeoutMs: 20_000 }, health: { maxTraps: 1 } });
    try {
      taken.length = 0;
      expect(p.call('api#send', [1000])).toBe(1000);
      expect(taken).toEqual([1000]);
      // 17 MiB: within the default 64 MiB output budget, beyond the 16 MiB channel.
      const { err } = failsWith('OUTPUT_LIMIT', () => p.call('api#send', [17 * 1024 * 1024]));
      expect(err.message).toMatch(/host function test:isof\/host#take do not fit the isolation channel.*the host function did not run/);
      expect(taken).toEqual([1000]);
      // The plugin's fault: counted (maxTraps 1 disables it).
      expect(p.disabledReason).not.toBeNull();
    } finally {
      await p.close();
    }
  }, 60_000);
});

describe('a host function the host does not provide', () => {
  it('is UNSUPPORTED and not counted, as in-process', async () => {
    const p = await load({ health: { maxTraps: 1 } });
    const inProcess = await loadInProcess({ health: { maxTraps: 1 } });
    try {
      for (const plugin of [p, inProcess]) {
        expect(failsWith('UNSUPPORTED', () => plugin.call('api#ping', [])).err.message).toMatch(/ping is not provided/);
        expect(failsWith('UNSUPPORTED', () => plugin.call('api#ping', [])).err.code).toBe('UNSUPPORTED');
        expect(plugin.disabledReason).toBeNull();
        expect(plugin.call('api#add', [1, 2])).toBe(3);
      }
    } finally {
      await Promise.all([p.close(), inProcess.close()]);
    }
  }, 60_000);
});
