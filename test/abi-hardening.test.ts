/**
 * Hardening of the generated canonical-ABI call path:
 * - one output budget per call, charged by every string/list lifted (many
 *   references to one block cannot make the host materialise gigabytes), with
 *   a default cap when the plugin sets none;
 * - every argument is validated before the first `cabi_realloc`, and from the
 *   first plugin instruction on a fault is the plugin's (counted, instance
 *   replaced);
 * - a lone surrogate in a string argument is refused, not replaced by U+FFFD;
 * - names from a component only appear in generated code as quoted keys.
 *
 * The guest is WAT: `refs(n, size)` returns n (ptr, len) pairs that all point
 * at one block of `size` bytes (zeros), typed `list<list<u8>>` by `blocks`
 * and `list<string>` by `strings` (same layout). `cabi_realloc` counts its
 * calls and misbehaves on demand (`set-mode`): 1 traps, 2 returns a pointer
 * outside memory, 3 loops forever.
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin, type Plugin, type PluginOptions } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { createExportCaller, DEFAULT_MAX_OUTPUT_BYTES } from '../src/runtime/abi/index.js';
import type { FuncType, ValType } from '../src/component/types.js';
import { thrown } from './helpers/fails.js';

const API = 'test:harden/api@0.1.0';
const WIT = `package test:harden@0.1.0;

interface api {
  blocks: func(n: u32, size: u32) -> list<list<u8>>;
  strings: func(n: u32, size: u32) -> list<string>;
  echo: func(s: string) -> string;
  two: func(a: string, b: u32) -> u32;
  tuples: func(n: u32) -> list<tuple<u8>>;
  set-mode: func(m: u32);
  reallocs: func() -> u32;
}

world harden {
  export api;
}
`;

/** Where the shared block starts (its bytes are zeros: valid UTF-8). */
const BLOCK = 0x10000;
/** 2 MiB of memory: the block (up to 1 MiB), then the heap. */
const HEAP = 0x110000;
const RET = 16;

const GUEST = `(module
  (memory (export "memory") 32)
  (global $heap (mut i32) (i32.const ${HEAP}))
  (global $mode (mut i32) (i32.const 0))
  (global $reallocs (mut i32) (i32.const 0))
  (func $bump (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (local.get $ptr))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (global.set $reallocs (i32.add (global.get $reallocs) (i32.const 1)))
    (if (i32.eq (global.get $mode) (i32.const 1)) (then unreachable))
    (if (i32.eq (global.get $mode) (i32.const 2)) (then (return (i32.const -16))))
    (if (i32.eq (global.get $mode) (i32.const 3)) (then (loop $forever (br $forever))))
    (local.set $ptr (call $bump (local.get $align) (local.get $size)))
    (if (local.get $old) (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))
  (func $refs (param $n i32) (param $size i32) (result i32)
    (local $arr i32) (local $i i32)
    (local.set $arr (call $bump (i32.const 4) (i32.mul (local.get $n) (i32.const 8))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.add (local.get $arr) (i32.mul (local.get $i) (i32.const 8))) (i32.const ${BLOCK}))
      (i32.store (i32.add (local.get $arr) (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4))) (local.get $size))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const ${RET}) (local.get $arr))
    (i32.store (i32.const ${RET + 4}) (local.get $n))
    (i32.const ${RET}))
  (func (export "${API}#blocks") (param i32 i32) (result i32) (call $refs (local.get 0) (local.get 1)))
  (func (export "${API}#strings") (param i32 i32) (result i32) (call $refs (local.get 0) (local.get 1)))
  (func (export "${API}#echo") (param $p i32) (param $l i32) (result i32)
    (i32.store (i32.const ${RET}) (local.get $p))
    (i32.store (i32.const ${RET + 4}) (local.get $l))
    (i32.const ${RET}))
  (func (export "${API}#two") (param $p i32) (param $l i32) (param $b i32) (result i32)
    (i32.add (local.get $l) (local.get $b)))
  (func (export "${API}#tuples") (param $n i32) (result i32)
    (i32.store (i32.const ${RET}) (i32.const ${BLOCK}))
    (i32.store (i32.const ${RET + 4}) (local.get $n))
    (i32.const ${RET}))
  (func (export "${API}#set-mode") (param i32) (global.set $mode (local.get 0)))
  (func (export "${API}#reallocs") (result i32) (global.get $reallocs))
  (func $reset (param i32) (global.set $heap (i32.const ${HEAP})))
  (export "cabi_post_${API}#blocks" (func $reset))
  (export "cabi_post_${API}#strings" (func $reset))
  (export "cabi_post_${API}#echo" (func $reset))
)`;

let bytes: Uint8Array;
const cache = new CompileCache(null);

beforeAll(async () => {
  const core = await parse(GUEST);
  bytes = await componentNew(await componentEmbed({ binary: core, witSource: WIT, world: 'harden' }));
}, 60_000);

function load(options: PluginOptions = {}): Promise<Plugin> {
  return loadPlugin(bytes, { name: 'harden', cache, log: () => {}, ...options, isolate: false });
}

const KiB = 1024;
const MiB = 1024 * KiB;

describe('output cap: one budget per call, charged by every string and list lifted', () => {
  it('many references to one block: under the cap each, over it in total → OUTPUT_LIMIT', async () => {
    const p = await load({ limits: { maxOutputBytes: MiB } });
    // 64 lists of 64 KiB: each far under 1 MiB, 4 MiB in total.
    const err = thrown(() => p.call('api#blocks', [64, 64 * KiB]));
    expect(err.code).toBe('OUTPUT_LIMIT');
    expect(err.message).toMatch(/1048576 bytes per call/);
    // The same shape as list<string> (the string path is charged too).
    expect(thrown(() => p.call('api#strings', [64, 64 * KiB])).code).toBe('OUTPUT_LIMIT');
    // Under the budget (15 × 64 KiB + the outer list): fine, and the budget is reset for each call.
    for (let i = 0; i < 3; i++) {
      const out = p.call('api#blocks', [15, 64 * KiB]) as Uint8Array[];
      expect(out).toHaveLength(15);
      expect(out[14]!.length).toBe(64 * KiB);
      expect((p.call('api#strings', [15, 64 * KiB]) as string[])[0]!.length).toBe(64 * KiB);
    }
  });

  it('the budget counts the elements of non-byte lists too (count × element size)', async () => {
    // 40 000 references to a 3-byte block: 320 000 bytes of (ptr, len) pairs + 120 000 bytes of inner lists.
    const p = await load({ limits: { maxOutputBytes: 400_000 } });
    expect(thrown(() => p.call('api#blocks', [40_000, 3])).code).toBe('OUTPUT_LIMIT');
    // 240 000 + 90 000 bytes: fits.
    expect(p.call('api#blocks', [30_000, 3])).toHaveLength(30_000);
  });

  it('list elements are charged what they cost as JS values, not just their bytes in guest memory', async () => {
    // list<tuple<u8>>: one byte per element in the guest, an array per element in JS.
    const p = await load({ limits: { maxOutputBytes: MiB } });
    expect(thrown(() => p.call('api#tuples', [200_000])).code).toBe('OUTPUT_LIMIT');
    expect(thrown(() => pluginInternals(p).jcoFn('api#tuples')(200_000)).code).toBe('OUTPUT_LIMIT');
    expect(p.call('api#tuples', [30_000])).toHaveLength(30_000);
    expect(pluginInternals(p).jcoFn('api#tuples')(30_000)).toHaveLength(30_000);
  });

  it('without a limit the default cap applies (64 MiB): 65 references to 1 MiB → OUTPUT_LIMIT', async () => {
    expect(DEFAULT_MAX_OUTPUT_BYTES).toBe(64 * MiB);
    const p = await load();
    expect(p.limits.maxOutputBytes).toBe(64 * MiB);
    expect(thrown(() => p.call('api#blocks', [65, MiB])).code).toBe('OUTPUT_LIMIT');
    expect(thrown(() => p.call('api#strings', [65, MiB])).code).toBe('OUTPUT_LIMIT');
    // The attack of the issue (2 048 × 512 KiB = 1 GiB of strings) stops at the cap instead of killing the host.
    expect(thrown(() => p.call('api#strings', [2048, 512 * KiB])).code).toBe('OUTPUT_LIMIT');
    expect(p.call('api#blocks', [60, MiB])).toHaveLength(60);
    // An explicit limit above the default is honoured.
    const big = await load({ limits: { maxOutputBytes: 80 * MiB } });
    expect(big.call('api#blocks', [70, MiB])).toHaveLength(70);
  });

  it('isolation mode (worker): the same per-call budget', async () => {
    const p = await loadPlugin(bytes, { name: 'harden', cache, log: () => {}, isolate: true, limits: { maxOutputBytes: MiB } });
    try {
      // 4 MiB in total (under the worker channel's 16 MiB), 64 KiB per value.
      expect(thrown(() => p.call('api#blocks', [64, 64 * KiB])).code).toBe('OUTPUT_LIMIT');
      expect(p.call('api#blocks', [2, 3])).toEqual([new Uint8Array(3), new Uint8Array(3)]);
    } finally {
      await p.close();
    }
  });

  it('an output-limit failure is the plugin\'s: counted towards DISABLED', async () => {
    const p = await load({ limits: { maxOutputBytes: MiB }, health: { maxTraps: 2, windowMs: 60_000 } });
    expect(thrown(() => p.call('api#blocks', [64, 64 * KiB])).code).toBe('OUTPUT_LIMIT');
    expect(thrown(() => p.call('api#blocks', [64, 64 * KiB])).code).toBe('OUTPUT_LIMIT');
    expect(p.disabledReason).not.toBeNull();
  });
});

describe('the jco fallback path (jcoFn) has the same output budget, bounds and string checks', () => {
  it('many references to one block: OUTPUT_LIMIT against the total, lists and strings alike', async () => {
    const p = await load({ limits: { maxOutputBytes: MiB } });
    expect(thrown(() => pluginInternals(p).jcoFn('api#blocks')(64, 64 * KiB)).code).toBe('OUTPUT_LIMIT');
    expect(thrown(() => pluginInternals(p).jcoFn('api#strings')(64, 64 * KiB)).code).toBe('OUTPUT_LIMIT');
    expect(pluginInternals(p).jcoFn('api#blocks')(15, 64 * KiB)).toHaveLength(15);
    // The default cap applies here too.
    const q = await load();
    expect(thrown(() => pluginInternals(q).jcoFn('api#blocks')(65, MiB)).code).toBe('OUTPUT_LIMIT');
    expect(thrown(() => pluginInternals(q).jcoFn('api#strings')(65, MiB)).code).toBe('OUTPUT_LIMIT');
  });

  it('a list outside guest memory traps (jco would clamp it to a short list), as on the generated path', async () => {
    const p = await load();
    // One reference to a "block" of ~2 GiB at 64 KiB: far past the 2 MiB of memory.
    expect(thrown(() => pluginInternals(p).jcoFn('api#blocks')(1, 0x7fff0000)).code).toBe('TRAP');
    expect(thrown(() => pluginInternals(p).fastFn('api#blocks')!(1, 0x7fff0000)).code).toBe('TRAP');
    expect(pluginInternals(p).jcoFn('api#blocks')(2, 3)).toEqual([new Uint8Array(3), new Uint8Array(3)]);
  });

  it('a lone surrogate is refused (TYPE_MISMATCH) before jco would replace it by U+FFFD', async () => {
    const p = await load();
    const err = thrown(() => pluginInternals(p).jcoFn('api#echo')('a\ud800'));
    expect(err.code).toBe('TYPE_MISMATCH');
    expect(err.path).toBe('param s');
    expect(pluginInternals(p).jcoFn('api#echo')('a😀b')).toBe('a😀b');
  });
});

describe('arguments are validated before any plugin code runs', () => {
  it('a bad second argument is refused before the first is copied into the guest (no cabi_realloc call)', async () => {
    const p = await load();
    const before = p.call('api#reallocs', []) as number;
    expect(thrown(() => p.call('api#two', ['hello', -1])).code).toBe('TYPE_MISMATCH');
    expect(thrown(() => p.call('api#two', ['hello', 'x'])).code).toBe('TYPE_MISMATCH');
    expect(p.call('api#reallocs', [])).toBe(before);
    expect(p.call('api#two', ['hello', 2])).toBe(7);
    expect(p.call('api#reallocs', [])).toBe(before + 1);
  });

  it('a lone surrogate is refused (TYPE_MISMATCH), not replaced by U+FFFD; astral characters pass', async () => {
    const p = await load();
    const before = p.call('api#reallocs', []) as number;
    for (const bad of ['\ud800', 'a\udc00b', `${'x'.repeat(100)}\ud83d`]) {
      const err = thrown(() => p.call('api#echo', [bad]));
      expect(err.code).toBe('TYPE_MISMATCH');
      expect(err.message).toMatch(/lone surrogate/);
    }
    expect(p.call('api#reallocs', [])).toBe(before);
    expect(p.call('api#echo', ['a😀b'])).toBe('a😀b');
    expect(p.disabledReason).toBeNull();
  });
});

describe('own<R> arguments', () => {
  const OWN_WIT = `package test:owned@0.1.0;

interface api {
  resource thing {
    constructor(rep: u32);
  }
  take2: func(a: thing, b: thing) -> u32;
}

world w {
  export api;
}
`;
  const OWN_API = 'test:owned/api@0.1.0';
  const OWN_GUEST = `(module
  (import "[export]${OWN_API}" "[resource-new]thing" (func $new (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "${OWN_API}#[constructor]thing") (param i32) (result i32) (call $new (local.get 0)))
  (func (export "${OWN_API}#take2") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
)`;

  it('the same handle passed twice as own<> is refused by validation: nothing moved, the plugin not blamed', async () => {
    const core = await parse(OWN_GUEST);
    const component = await componentNew(await componentEmbed({ binary: core, witSource: OWN_WIT, world: 'w' }));
    const p = await loadPlugin(component, { name: 'own', cache, log: () => {}, isolate: false });
    const make = p.fn('api#[constructor]thing');
    const take2 = p.fn('api#take2');
    const a = make(1);
    const b = make(2);
    const err = thrown(() => take2(a, a));
    expect(err.code).toBe('TYPE_MISMATCH');
    expect(err.message).toMatch(/passed as own<> and again in this call/);
    expect(p.disabledReason).toBeNull();
    // `a` was not moved into the plugin by the refused call: it can still be given once.
    expect(take2(a, b)).toBeTypeOf('number');
  });
});

describe('a fault in cabi_realloc is the plugin\'s', () => {
  // mode → expected code. Before the fix only a wasm trap (mode 1) was counted; a
  // garbage pointer, fuel and the deadline were taken for the caller's mistakes.
  const MODES: [string, number, string, PluginOptions['limits']][] = [
    ['pointer outside memory', 2, 'TRAP', undefined],
    ['out of fuel', 3, 'FUEL_EXHAUSTED', { fuel: 1_000_000 }],
    ['past the deadline', 3, 'TIMEOUT', { timeoutMs: 50 }],
  ];
  it.each(MODES)('%s: the instance is replaced and the failure counts towards DISABLED', async (_what, mode, code, limits) => {
    const p = await load({ ...(limits ? { limits } : {}), health: { maxTraps: 2, windowMs: 60_000 } });
    p.call('api#set-mode', [mode]);
    expect(thrown(() => p.call('api#echo', ['hello'])).code).toBe(code);
    // A fresh instance (mode 0 again): the call works.
    expect(p.call('api#echo', ['hello'])).toBe('hello');
    p.call('api#set-mode', [mode]);
    expect(thrown(() => p.call('api#echo', ['hello'])).code).toBe(code);
    expect(p.disabledReason).not.toBeNull();
    expect(thrown(() => p.call('api#echo', ['hello'])).code).toBe('DISABLED');
  });
});

describe('generated code never contains text from a component as code', () => {
  const u32: ValType = { kind: 'u32' };
  // Each name is valid JavaScript when spliced unquoted into `{ NAME: v }` or `v.NAME;`.
  const LITERAL_INJECTION = 'x:(this.pwnedlift=1),y';
  const ACCESS_INJECTION = 'x;this.pwnedlower=1;a0.x';
  const g = globalThis as Record<string, unknown>;

  it('record field names (hand-built type, no decoder, no jco): lifted and lowered as plain keys', () => {
    delete g.pwnedlift;
    delete g.pwnedlower;
    const rec: ValType = { kind: 'record', fields: [{ name: LITERAL_INJECTION, type: u32 }] };
    const make: FuncType = { kind: 'func', params: [], result: rec };
    const out = createExportCaller(make, { fn: () => 7 })();
    expect(g.pwnedlift).toBeUndefined();
    expect(out).toEqual({ [LITERAL_INJECTION]: 7 });

    const rec2: ValType = { kind: 'record', fields: [{ name: ACCESS_INJECTION, type: u32 }] };
    const take: FuncType = { kind: 'func', params: [{ name: 'r', type: rec2 }], result: u32 };
    const id = createExportCaller(take, { fn: (x: number) => x + 1 });
    expect(id({ [ACCESS_INJECTION]: 41 })).toBe(42);
    expect(g.pwnedlower).toBeUndefined();
  });

  it('flag names: lifted and lowered as plain keys (and case/enum names with quotes stay data)', () => {
    delete g.pwnedlift;
    const flags: ValType = { kind: 'flags', names: [LITERAL_INJECTION, 'b'] };
    const id = createExportCaller({ kind: 'func', params: [{ name: 'f', type: flags }], result: flags }, { fn: (x: number) => x });
    expect(id({ [LITERAL_INJECTION]: true, b: false })).toEqual({ [LITERAL_INJECTION]: true, b: false });
    expect(g.pwnedlift).toBeUndefined();

    const hostile = 'a"b\\c\u2028d`${this.pwnedcase=1}`';
    delete g.pwnedcase;
    const v: ValType = { kind: 'variant', cases: [{ name: hostile, type: u32 }, { name: 'z', type: null }] };
    const pick = createExportCaller({ kind: 'func', params: [{ name: 'v', type: v }], result: { kind: 'enum', names: [hostile, 'z'] } }, {
      fn: (d: number) => d,
    });
    expect(pick({ tag: hostile, val: 1 })).toBe(hostile);
    expect(pick({ tag: 'z' })).toBe('z');
    expect(g.pwnedcase).toBeUndefined();
  });

  it('a field named __proto__ becomes an own property, not the prototype', () => {
    const rec: ValType = { kind: 'record', fields: [{ name: '__proto__', type: u32 }] };
    const out = createExportCaller({ kind: 'func', params: [], result: rec }, { fn: () => 3 })() as object;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe(3);
  });
});
