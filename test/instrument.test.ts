import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parse, transpile } from '@bytecodealliance/jco';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instrumentCoreModule } from '../src/compile/instrument.js';
import {
  CHECK_IMPORT,
  DEADLINE_GLOBAL_EXPORT,
  FUEL_GLOBAL_EXPORT,
  GLOBAL_IMPORTS,
  GROW_FAILED_GLOBAL_EXPORT,
  WITPLUG_HOST_MODULE,
  type InstrumentOptions,
} from '../src/compile/instrument-options.js';
import { WitplugError } from '../src/errors.js';

/** TS 5.9 types wasm inputs as ArrayBuffer-backed views; instrumenter output always is. */
const compileSync = (bytes: Uint8Array): WebAssembly.Module => new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
const validWasm = (bytes: Uint8Array): boolean => WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>);

type Exports = Record<string, unknown>;
const root = fileURLToPath(new URL('..', import.meta.url));

function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Exports {
  const mod = compileSync(bytes);
  return new WebAssembly.Instance(mod, imports).exports as Exports;
}
function fn(e: Exports, name: string): (...args: unknown[]) => unknown {
  const f = e[name];
  if (typeof f !== 'function') throw new Error(`no export ${name}`);
  return f as (...args: unknown[]) => unknown;
}
function glob(e: Exports, name: string): WebAssembly.Global {
  const g = e[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`no global ${name}`);
  return g;
}
function instrument(bytes: Uint8Array, options: InstrumentOptions): Uint8Array {
  const out = instrumentCoreModule(bytes, options).bytes;
  expect(validWasm(out)).toBe(true);
  return out;
}
function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof WitplugError ? e.code : `other: ${String(e)}`;
  }
  return undefined;
}

/** fib, sum and spin: the compute module the fuel benchmark uses too. */
const FIB = readFileSync('bench/guests/compute.wat', 'utf8');

describe('instrumentCoreModule: fuel', () => {
  it('stops an infinite loop with a trap and fuel < 0', async () => {
    const e = instantiate(instrument(await parse(FIB), { fuel: true }));
    const fuel = glob(e, FUEL_GLOBAL_EXPORT);
    fuel.value = 1_000_000n;
    expect(() => fn(e, 'spin')()).toThrow(WebAssembly.RuntimeError);
    expect(fuel.value as bigint).toBeLessThan(0n);
  });

  it('charges the same fuel every run and more for more work', async () => {
    const bytes = instrument(await parse(FIB), { fuel: true });
    const used = (n: number): bigint => {
      const e = instantiate(bytes);
      const fuel = glob(e, FUEL_GLOBAL_EXPORT);
      fuel.value = 1n << 50n;
      fn(e, 'fib')(n);
      return (1n << 50n) - (fuel.value as bigint);
    };
    const a = used(10);
    expect(used(10)).toBe(a);
    expect(a).toBeGreaterThan(0n);
    expect(used(15)).toBeGreaterThan(a);
    // Same instance, repeated calls: identical consumption.
    const e = instantiate(bytes);
    const fuel = glob(e, FUEL_GLOBAL_EXPORT);
    const per: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      fuel.value = 1_000_000n;
      fn(e, 'sum')(100);
      per.push(1_000_000n - (fuel.value as bigint));
    }
    expect(new Set(per).size).toBe(1);
  });

  it('preserves results', async () => {
    const plain = await parse(FIB);
    const e0 = instantiate(plain);
    const e1 = instantiate(instrument(plain, { fuel: true, deadlineCheckEvery: 1000, maxMemoryPages: 10 }), {
      [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: () => undefined },
    });
    glob(e1, FUEL_GLOBAL_EXPORT).value = 1n << 40n;
    expect(fn(e1, 'fib')(20)).toBe(6765);
    expect(fn(e1, 'fib')(20)).toBe(fn(e0, 'fib')(20));
    expect(fn(e1, 'sum')(1000)).toBe(fn(e0, 'sum')(1000));
  });

  it('is deterministic in its output bytes', async () => {
    const plain = await parse(FIB);
    const opts = { fuel: true, deadlineCheckEvery: 500, maxMemoryPages: 3 };
    expect(Buffer.from(instrumentCoreModule(plain, opts).bytes)).toEqual(Buffer.from(instrumentCoreModule(plain, opts).bytes));
  });

  it('fuel exhaustion during a too-small budget leaves other traps distinguishable', async () => {
    const bytes = instrument(await parse(`(module (func (export "boom") unreachable))`), { fuel: true });
    const e = instantiate(bytes);
    const fuel = glob(e, FUEL_GLOBAL_EXPORT);
    fuel.value = 100n;
    expect(() => fn(e, 'boom')()).toThrow(WebAssembly.RuntimeError);
    expect(fuel.value as bigint).toBeGreaterThanOrEqual(0n); // a plain trap, not FUEL_EXHAUSTED
  });
});

describe('instrumentCoreModule: deadline', () => {
  it('calls __witplug.check so the host can stop an infinite loop', async () => {
    const every = 10_000;
    const bytes = instrument(await parse(FIB), { fuel: false, deadlineCheckEvery: every });
    let countdown: WebAssembly.Global | undefined;
    let checks = 0;
    let deadline = 0;
    const e = instantiate(bytes, {
      [WITPLUG_HOST_MODULE]: {
        [CHECK_IMPORT]: () => {
          checks++;
          if (performance.now() > deadline) throw new Error('deadline exceeded');
          if (countdown) countdown.value = BigInt(every);
        },
      },
    });
    countdown = glob(e, DEADLINE_GLOBAL_EXPORT);
    expect(e[FUEL_GLOBAL_EXPORT]).toBeUndefined();
    const start = performance.now();
    deadline = start + 50;
    expect(() => fn(e, 'spin')()).toThrow('deadline exceeded');
    const took = performance.now() - start;
    expect(took).toBeGreaterThanOrEqual(50);
    expect(took).toBeLessThan(2000);
    expect(checks).toBeGreaterThan(1);
  });
});

describe('instrumentCoreModule: singleCounter', () => {
  /** The host side of singleCounter: hand out the budget in slices, settle in check(). */
  function slicedHost(budget: bigint, every: bigint, deadlineMs: number) {
    const state = { remaining: budget, slice: 0n, fuel: undefined as WebAssembly.Global | undefined, deadline: 0 };
    const settle = (): void => {
      const g = state.fuel as WebAssembly.Global;
      state.remaining -= state.slice - (g.value as bigint);
      state.slice = 0n;
    };
    const refill = (): void => {
      const g = state.fuel as WebAssembly.Global;
      state.slice = state.remaining < every ? state.remaining : every;
      g.value = state.slice;
    };
    const check = (): void => {
      settle();
      if (state.remaining < 0n) throw new WitplugError('FUEL_EXHAUSTED', 'out of fuel');
      if (performance.now() > state.deadline) throw new WitplugError('TIMEOUT', 'deadline exceeded');
      refill();
    };
    const call = (f: () => unknown): unknown => {
      state.deadline = performance.now() + deadlineMs;
      refill();
      try {
        return f();
      } finally {
        settle();
      }
    };
    return { state, check, call };
  }

  it('stops on fuel and on deadline through check, and charges the same fuel as the trapping mode', async () => {
    const plain = await parse(FIB);
    const res = instrumentCoreModule(plain, { fuel: true, deadlineCheckEvery: 1000, singleCounter: true });
    expect(res.features.singleCounter).toBe(true);
    expect(validWasm(res.bytes)).toBe(true);
    const mod = compileSync(res.bytes);
    expect(WebAssembly.Module.exports(mod).map((x) => x.name)).not.toContain(DEADLINE_GLOBAL_EXPORT);

    const host = slicedHost(1n << 40n, 1000n, 60_000);
    const e = new WebAssembly.Instance(mod, { [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: host.check } }).exports as Exports;
    host.state.fuel = glob(e, FUEL_GLOBAL_EXPORT);
    expect(host.call(() => fn(e, 'fib')(15))).toBe(610);
    const usedSingle = (1n << 40n) - host.state.remaining;

    const trapping = instantiate(instrument(plain, { fuel: true }));
    glob(trapping, FUEL_GLOBAL_EXPORT).value = 1n << 40n;
    fn(trapping, 'fib')(15);
    expect(usedSingle).toBe((1n << 40n) - (glob(trapping, FUEL_GLOBAL_EXPORT).value as bigint));

    host.state.remaining = 50_000n;
    expect(codeOf(() => host.call(() => fn(e, 'spin')()))).toBe('FUEL_EXHAUSTED');

    host.state.remaining = 1n << 60n;
    const slow = slicedHost(1n << 60n, 1000n, 50);
    const e2 = new WebAssembly.Instance(mod, { [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: slow.check } }).exports as Exports;
    slow.state.fuel = glob(e2, FUEL_GLOBAL_EXPORT);
    const t0 = performance.now();
    expect(codeOf(() => slow.call(() => fn(e2, 'spin')()))).toBe('TIMEOUT');
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('instrumentCoreModule: memory', () => {
  const MEM = `(module
    (memory (export "mem") 1 100)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "grow_sum") (param $a i32) (param $b i32) (result i32) (local $x i64)
      (i32.add (memory.grow (local.get $a)) (memory.grow (local.get $b)))))`;

  it('caps the maximum; a failed grow returns -1 and sets the flag', async () => {
    const e = instantiate(instrument(await parse(MEM), { fuel: false, maxMemoryPages: 4 }));
    const failed = glob(e, GROW_FAILED_GLOBAL_EXPORT);
    expect(fn(e, 'grow')(2)).toBe(1);
    expect(failed.value).toBe(0);
    expect(fn(e, 'grow')(2)).toBe(-1);
    expect(failed.value).toBe(1);
    expect((e.mem as WebAssembly.Memory).buffer.byteLength).toBe(3 * 65536);
    failed.value = 0;
    expect(fn(e, 'grow_sum')(1, 0)).toBe(3 + 4);
    expect(failed.value).toBe(0);
    expect(fn(e, 'grow_sum')(1, 0)).toBe(-1 + 4);
    expect(failed.value).toBe(1);
  });

  it('rejects a module whose initial memory exceeds the limit', async () => {
    const bytes = await parse(`(module (memory 5))`);
    expect(codeOf(() => instrumentCoreModule(bytes, { fuel: true, maxMemoryPages: 4 }))).toBe('MEMORY_LIMIT');
    expect(codeOf(() => instrumentCoreModule(bytes, { fuel: true, maxMemoryPages: 5 }))).toBeUndefined();
  });

  it('never writes a maximum a 32-bit memory cannot have', async () => {
    const out = instrument(await parse(`(module (memory 1))`), { fuel: false, maxMemoryPages: 1_000_000 });
    expect(validWasm(out)).toBe(true);
  });

  it('caps imported memories too', async () => {
    const bytes = instrument(await parse(`(module (import "env" "mem" (memory 1)) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`), {
      fuel: false,
      maxMemoryPages: 4,
    });
    // The import now declares maximum 4, so a host memory allowing more does not link.
    expect(() => instantiate(bytes, { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 100 }) } })).toThrow(WebAssembly.LinkError);
    const e = instantiate(bytes, { env: { mem: new WebAssembly.Memory({ initial: 1, maximum: 4 }) } });
    expect(fn(e, 'grow')(3)).toBe(1);
    expect(fn(e, 'grow')(1)).toBe(-1);
    expect(glob(e, GROW_FAILED_GLOBAL_EXPORT).value).toBe(1);
  });
});

describe('instrumentCoreModule: bulk operations and grows', () => {
  const BULK = `(module
    (memory (export "mem") 1 1000)
    (table $t (export "tab") 2 funcref)
    (data $d "${'x'.repeat(4096)}")
    (elem $e func $nop $nop $nop $nop)
    (func $nop)
    (func (export "fill") (param $n i32) (memory.fill (i32.const 0) (i32.const 9) (local.get $n)))
    (func (export "copy") (param $n i32) (memory.copy (i32.const 0) (i32.const 1) (local.get $n)))
    (func (export "init") (param $n i32) (memory.init $d (i32.const 0) (i32.const 0) (local.get $n)))
    (func (export "tfill") (param $n i32) (table.fill $t (i32.const 0) (ref.null func) (local.get $n)))
    (func (export "tinit") (param $n i32) (table.init $t $e (i32.const 0) (i32.const 0) (local.get $n)))
    (func (export "grow") (param $n i32) (result i32) (memory.grow (local.get $n)))
    (func (export "tgrow") (param $n i32) (result i32) (table.grow $t (ref.null func) (local.get $n))))`;

  /** Fuel-only (trapping) mode: the units one call of `name` uses. */
  async function fuelOf(): Promise<{ e: Exports; used: (name: string, arg: number) => bigint }> {
    const e = instantiate(instrument(await parse(BULK), { fuel: true }));
    const fuel = glob(e, FUEL_GLOBAL_EXPORT);
    return {
      e,
      used: (name, arg) => {
        fuel.value = 1n << 50n;
        fn(e, name)(arg);
        return (1n << 50n) - (fuel.value as bigint);
      },
    };
  }

  it('charges memory.fill/copy/init 1 unit per 8 bytes and table.fill/init 1 per element', async () => {
    const { used } = await fuelOf();
    for (const name of ['fill', 'copy', 'init']) {
      const base = used(name, 0);
      expect(used(name, 4096) - base, name).toBe(512n);
      expect(used(name, 4095) - base, name).toBe(511n);
    }
    expect(used('tfill', 2) - used('tfill', 0)).toBe(2n);
    expect(used('tinit', 2) - used('tinit', 0)).toBe(2n);
  });

  it('charges a bulk operation before it runs: out of fuel, the memory is untouched', async () => {
    const e = instantiate(instrument(await parse(BULK), { fuel: true }));
    const fuel = glob(e, FUEL_GLOBAL_EXPORT);
    fuel.value = 1000n; // enough for the entry, not for 64 KiB (8192 units)
    expect(() => fn(e, 'fill')(65536)).toThrow(WebAssembly.RuntimeError);
    expect(fuel.value as bigint).toBeLessThan(0n);
    expect(new Uint8Array((e.mem as WebAssembly.Memory).buffer)[100]).toBe(0);
  });

  it('charges a successful memory.grow 8192 per new page + 4 per old page; a failed one nothing', async () => {
    const { used } = await fuelOf();
    const failed = used('grow', 100_000); // over the declared maximum: -1
    const one = used('grow', 1); // 1 → 2 pages
    const two = used('grow', 2); // 2 → 4 pages
    expect(one - failed).toBe(8192n + 4n * 1n);
    expect(two - failed).toBe(2n * 8192n + 4n * 2n);
  });

  it('charges a successful table.grow 1 per new and per existing element', async () => {
    const { used } = await fuelOf();
    const zero = used('tgrow', 0); // 2 elements: charges 0 + 2
    expect(used('tgrow', 10) - zero).toBe(10n); // 2 → 12: 10 + 2
    expect(used('tgrow', 5) - zero).toBe(5n + 10n); // 12 → 17: 5 + 12
  });

  it('calls check after every successful grow (deadline), not after a failed one', async () => {
    let checks = 0;
    const e = instantiate(instrument(await parse(BULK), { fuel: false, deadlineCheckEvery: 1_000_000 }), {
      [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: () => void checks++ },
    });
    fn(e, 'grow')(1);
    expect(checks).toBe(1);
    fn(e, 'tgrow')(1);
    expect(checks).toBe(2);
    expect(fn(e, 'grow')(100_000)).toBe(-1);
    expect(fn(e, 'fill')(100)).toBeUndefined();
    expect(checks).toBe(2);
    // A bulk operation larger than the countdown calls check before it runs.
    glob(e, DEADLINE_GLOBAL_EXPORT).value = 100n;
    fn(e, 'fill')(8 * 200);
    expect(checks).toBe(3);
  });

  it('caps tables: a refused table.grow returns -1 and sets the flag to 2', async () => {
    const e = instantiate(instrument(await parse(BULK), { fuel: false, maxTableElements: 10 }));
    const failed = glob(e, GROW_FAILED_GLOBAL_EXPORT);
    expect(fn(e, 'tgrow')(8)).toBe(2);
    expect(failed.value).toBe(0);
    expect(fn(e, 'tgrow')(1)).toBe(-1);
    expect(failed.value).toBe(2);
    expect((e.tab as WebAssembly.Table).length).toBe(10);
  });

  it('refuses a table whose initial size is over the cap (RESOURCE_LIMIT), unless the cap may rise to it', async () => {
    const bytes = await parse(`(module (import "env" "t" (table 3 funcref)) (table 50 funcref))`);
    expect(codeOf(() => instrumentCoreModule(bytes, { fuel: false, maxTableElements: 20 }))).toBe('RESOURCE_LIMIT');
    const out = instrument(bytes, { fuel: false, maxTableElements: 20, tableCapAtLeastInitial: true });
    // The imported table (3 elements) is capped at 20: a host table allowing more does not link.
    expect(() => instantiate(out, { env: { t: new WebAssembly.Table({ element: 'anyfunc', initial: 3 }) } })).toThrow(WebAssembly.LinkError);
    instantiate(out, { env: { t: new WebAssembly.Table({ element: 'anyfunc', initial: 3, maximum: 20 }) } });
  });
});

describe('instrumentCoreModule: large bulk operations are split into charged pieces', () => {
  const BIG = `(module
    (memory (export "mem") 130)
    (data $d "${'0123456789abcdef'.repeat(4096)}")
    (func (export "fill") (param $d i32) (param $v i32) (param $n i32) (memory.fill (local.get $d) (local.get $v) (local.get $n)))
    (func (export "copy") (param $d i32) (param $s i32) (param $n i32) (memory.copy (local.get $d) (local.get $s) (local.get $n)))
    (func (export "init") (param $d i32) (param $s i32) (param $n i32) (memory.init $d (local.get $d) (local.get $s) (local.get $n)))
    (func (export "drop") (data.drop $d))
    (func (export "pattern") (local $i i32)
      (loop $l (i32.store8 (local.get $i) (i32.mul (local.get $i) (i32.const 31)))
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 8519680))))))`;
  const MiB = 1 << 20;

  async function pair(opts: InstrumentOptions, imports: WebAssembly.Imports = {}): Promise<[Exports, Exports]> {
    const plain = await parse(BIG);
    const e = instantiate(instrument(plain, opts), imports);
    if (opts.fuel) glob(e, FUEL_GLOBAL_EXPORT).value = 1n << 60n;
    return [instantiate(plain), e];
  }
  const mem = (e: Exports): Uint8Array => new Uint8Array((e.mem as WebAssembly.Memory).buffer);
  /** Runs the same call on both; both throw or neither does, and the memories end up identical. */
  function same(pl: Exports, ins: Exports, name: string, ...args: number[]): void {
    const run = (e: Exports): string => {
      try {
        fn(e, name)(...args);
        return 'ok';
      } catch (err) {
        return err instanceof WebAssembly.RuntimeError ? `trap: ${err.message}` : `other: ${String(err)}`;
      }
    };
    expect(run(ins), `${name}(${args.join(', ')})`).toBe(run(pl));
    expect(Buffer.compare(mem(ins), mem(pl)), `${name}(${args.join(', ')}) memory`).toBe(0);
  }

  it('gives the same memory as the plain module: overlapping copies both ways, fills, inits, and traps that write nothing', async () => {
    const [pl, ins] = await pair({ fuel: true, deadlineCheckEvery: 100_000 }, { [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: () => undefined } });
    for (const e of [pl, ins]) fn(e, 'pattern')();
    const cases: Array<[string, number, number, number]> = [
      ['copy', 1000, 0, 3 * MiB + 13], // overlapping, to a higher address (backward)
      ['copy', 0, 7777, 3 * MiB + 5], // overlapping, to a lower address (forward)
      ['copy', 5 * MiB, 100, 2 * MiB + 1],
      ['fill', 17, 0xab, 2 * MiB + 3],
      ['fill', 0, 1, 0],
      ['init', 2 * MiB - 3, 5, 65536 - 5],
      ['init', 0, 0, 0],
      ['fill', 8 * MiB, 9, 2 * MiB], // out of bounds by the end: traps, nothing written
      ['fill', 130 * 65536, 9, 0], // zero length at the end: fine
      ['fill', 130 * 65536 + 1, 9, 0], // zero length past the end: traps
      ['copy', 7 * MiB, 0, 2 * MiB], // destination out of bounds
      ['copy', 0, 7 * MiB, 2 * MiB], // source out of bounds
      ['copy', 0, 0xffff_fff0, 0x20], // wraps around 4 GiB
      ['init', 0, 65530, 10], // past the segment's end
      ['init', 0, 0xffff_fffe, 4], // segment offset wraps
      ['init', 8 * MiB, 0, 65536], // destination out of bounds
      ['init', 0, 0, 2 * MiB], // longer than the segment (the split path)
      ['init', 0, 0xffff_fffe, 2 * MiB], // segment offset wraps (the split path)
      ['fill', 0xffff_0000, 1, 2 * MiB], // wraps around 4 GiB (the split path)
    ];
    for (const [name, ...args] of cases) same(pl, ins, name, ...args);
    same(pl, ins, 'drop');
    same(pl, ins, 'init', 0, 0, 0); // a dropped segment still allows a zero-length init at 0
    same(pl, ins, 'init', 0, 0, 1);
  });

  it('charges a large fill exactly 1 unit per 8 bytes, as one instruction', async () => {
    const e = instantiate(instrument(await parse(BIG), { fuel: true }));
    const fuel = glob(e, FUEL_GLOBAL_EXPORT);
    const used = (n: number): bigint => {
      fuel.value = 1n << 50n;
      fn(e, 'fill')(0, 1, n);
      return (1n << 50n) - (fuel.value as bigint);
    };
    expect(used(5 * MiB + 12) - used(0)).toBe(BigInt((5 * MiB + 12) >> 3));
  });

  it('checks the deadline between pieces of one large operation', async () => {
    let checks = 0;
    const e = instantiate(instrument(await parse(BIG), { fuel: false, deadlineCheckEvery: 1000 }), {
      [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: () => { checks++; glob(e, DEADLINE_GLOBAL_EXPORT).value = 1000n; } },
    });
    fn(e, 'fill')(0, 1, 8 * MiB);
    expect(checks).toBeGreaterThanOrEqual(8); // one per 1 MiB piece
    // A check that throws stops the operation between pieces: the rest is not written.
    const stopping = instantiate(instrument(await parse(BIG), { fuel: false, deadlineCheckEvery: 1000 }), {
      [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: () => { if (++checks > 10) throw new Error('deadline'); glob(stopping, DEADLINE_GLOBAL_EXPORT).value = 1000n; } },
    });
    checks = 8;
    expect(() => fn(stopping, 'fill')(0, 1, 8 * MiB)).toThrow('deadline');
    const m = mem(stopping);
    expect(m[0]).toBe(1);
    expect(m[8 * MiB - 1]).toBe(0);
  });
});

describe('instrumentCoreModule: 64-bit memories (run in a child node with --experimental-wasm-memory64)', () => {
  it('charges and records i64 grows and bulk operations', async () => {
    const plain = await parse(`(module (memory (export "mem") i64 1 100)
      (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
      (func (export "fill") (param i64) (memory.fill (i64.const 0) (i32.const 5) (local.get 0)))
      (func (export "copy") (param i64) (memory.copy (i64.const 1) (i64.const 0) (local.get 0))))`);
    const dir = mkdtempSync(join(tmpdir(), 'witplug-mem64-'));
    try {
      writeFileSync(join(dir, 'fuel.wasm'), instrumentCoreModule(plain, { fuel: true }).bytes);
      writeFileSync(join(dir, 'check.wasm'), instrumentCoreModule(plain, { fuel: false, deadlineCheckEvery: 1_000_000 }).bytes);
      writeFileSync(join(dir, 'run.mjs'), `import { readFileSync } from 'node:fs';
        const out = {};
        for (const name of ['fuel', 'check']) {
          let checks = 0;
          const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL(name + '.wasm', import.meta.url))), { __witplug: { check: () => { checks++; } } });
          const e = inst.exports;
          if (e.__witplug_fuel) e.__witplug_fuel.value = 1n << 40n;
          const grows = [String(e.grow(2n)), String(e.grow(1000n))];
          const flag = e.__witplug_grow_failed.value;
          const f0 = e.__witplug_fuel ? e.__witplug_fuel.value : 0n;
          e.fill(65536n);
          e.copy(100n);
          const used = e.__witplug_fuel ? String(f0 - e.__witplug_fuel.value) : null;
          out[name] = { grows, flag, used, checks, bytes: [...new Uint8Array(e.mem.buffer, 0, 3)] };
        }
        console.log(JSON.stringify(out));`);
      const r = spawnSync(process.execPath, ['--experimental-wasm-memory64', join(dir, 'run.mjs')], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, { grows: string[]; flag: number; used: string | null; checks: number; bytes: number[] }>;
      for (const name of ['fuel', 'check']) {
        expect(out[name]!.grows).toEqual(['1', '-1']);
        expect(out[name]!.flag).toBe(1);
        expect(out[name]!.bytes).toEqual([5, 5, 5]);
      }
      // fill and copy: 5 instructions each, plus 65536 / 8 and 100 / 8.
      expect(out.fuel!.used).toBe(String(5 + 8192 + 5 + 12));
      expect(out.check!.checks).toBe(1); // after the successful grow only
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const RICH = `(module
  (type $i2i (func (param i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "base" (global $base i32))
  (import "env" "log2" (func $log2 (param i32)))
  (memory (export "mem") 1)
  (global $counter (export "counter_g") (mut i32) (i32.const 0))
  (global $fref funcref (ref.func $double))
  (table $t 4 funcref)
  (elem (table $t) (i32.const 0) func $double $triple)
  (elem $passive func $inc $double)
  (elem declare func $triple)
  (data $d "\\01\\02\\03\\04")
  (data (global.get $base) "\\05")
  (start $init)
  (func $init (global.set $counter (i32.const 7)) (call $log (i32.const 1)))
  (func $double (type $i2i) (i32.mul (local.get 0) (i32.const 2)))
  (func $triple (type $i2i) (i32.mul (local.get 0) (i32.const 3)))
  (func $inc (type $i2i) (i32.add (local.get 0) (i32.const 1)))
  (func $boom (export "boom") unreachable)
  (func (export "dispatch") (param $i i32) (param $x i32) (result i32)
    (call_indirect $t (type $i2i) (local.get $x) (local.get $i)))
  (func (export "via_ref") (param $x i32) (result i32)
    (table.set $t (i32.const 3) (ref.func $triple))
    (call_indirect $t (type $i2i) (local.get $x) (i32.const 3)))
  (func (export "via_global") (param $x i32) (result i32)
    (table.set $t (i32.const 2) (global.get $fref))
    (call_indirect $t (type $i2i) (local.get $x) (i32.const 2)))
  (func (export "passive") (param $x i32) (result i32)
    (table.init $t $passive (i32.const 2) (i32.const 0) (i32.const 1))
    (elem.drop $passive)
    (call_indirect $t (type $i2i) (local.get $x) (i32.const 2)))
  (func (export "counter") (result i32) (i32.add (global.get $counter) (global.get $base)))
  (func (export "at_base") (result i32) (i32.load8_u (global.get $base)))
  (func (export "bulk") (result i32)
    (memory.init $d (i32.const 16) (i32.const 0) (i32.const 4))
    (memory.copy (i32.const 32) (i32.const 16) (i32.const 4))
    (memory.fill (i32.const 36) (i32.const 9) (i32.const 2))
    (i32.add (i32.load (i32.const 32)) (i32.load16_u (i32.const 36))))
  (func (export "multi") (param $n i32) (result i32 i32)
    (local.get $n)
    (loop $l (param i32) (result i32)
      (i32.sub (i32.const 1))
      (local.tee $n)
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    (call $log2 (i32.const 2))
    (i32.const 42))
  (func (export "misc") (param $x i32) (result i32)
    (i32.extend8_s (local.get $x))
    (i32.trunc_sat_f32_s (f32.const 1e20))
    (i32.add)
    (i32x4.extract_lane 1 (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (v128.const i32x4 1 2 3 4) (v128.const i32x4 5 6 7 8)))
    (i32.add)
    (i32x4.extract_lane 0 (v128.load32_lane 0 (i32.const 16) (v128.const i64x2 0 0)))
    (i32.add)))`;

describe('instrumentCoreModule: structure', () => {
  async function richPair(options: InstrumentOptions): Promise<[Exports, Exports, number[], number[]]> {
    const plain = await parse(RICH);
    const log0: number[] = [];
    const log1: number[] = [];
    const env = (log: number[]) => ({ log: (x: number) => log.push(x), log2: (x: number) => log.push(100 + x), base: 1000 });
    const e0 = instantiate(plain, { env: env(log0) });
    const e1 = instantiate(instrument(plain, options), {
      env: env(log1),
      [WITPLUG_HOST_MODULE]: {
        [CHECK_IMPORT]: () => undefined,
        [GLOBAL_IMPORTS.fuel]: new WebAssembly.Global({ value: 'i64', mutable: true }, 1n << 40n),
        [GLOBAL_IMPORTS.deadline]: new WebAssembly.Global({ value: 'i64', mutable: true }, 1000n),
        [GLOBAL_IMPORTS.growFailed]: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
      },
    });
    return [e0, e1, log0, log1];
  }

  for (const options of [
    { fuel: true },
    { fuel: true, deadlineCheckEvery: 3, maxMemoryPages: 2 },
    { fuel: true, deadlineCheckEvery: 3, importGlobals: true },
    { fuel: false, importGlobals: true },
    { fuel: true, deadlineCheckEvery: 5, singleCounter: true },
  ] as InstrumentOptions[]) {
    it(`behaves identically after instrumentation ${JSON.stringify(options)}`, async () => {
      const [e0, e1, log0, log1] = await richPair(options);
      const calls: Array<[string, unknown[]]> = [
        ['dispatch', [0, 5]],
        ['dispatch', [1, 5]],
        ['via_ref', [5]],
        ['via_global', [5]],
        ['passive', [5]],
        ['counter', []],
        ['at_base', []],
        ['bulk', []],
        ['multi', [4]],
        ['misc', [200]],
      ];
      for (const [name, args] of calls) {
        expect(fn(e1, name)(...args), name).toEqual(fn(e0, name)(...args));
      }
      expect(log1).toEqual(log0);
      expect((e1.counter_g as WebAssembly.Global).value).toBe(7);
      expect(log0).toEqual([1, 102]);
      expect(fn(e1, 'counter')()).toBe(1007); // start function ran
    });
  }

  it('handles tail calls and legacy exception handling (try/catch/catch_all/delegate)', async () => {
    const plain = await parse(`(module
      (tag $e (param i32))
      (func $g (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 9))
          (else (return_call $g (i32.sub (local.get 0) (i32.const 1))))))
      (func (export "tail") (param i32) (result i32) (return_call $g (local.get 0)))
      (func (export "eh") (param i32) (result i32)
        try (result i32)
          try (result i32)
            (loop $l (br_if $l (i32.const 0)))
            (throw $e (local.get 0))
          delegate 0
        catch $e
          (i32.add (i32.const 1))
        catch_all
          (i32.const -1)
        end))`);
    expect(validWasm(plain)).toBe(true);
    const e0 = instantiate(plain);
    const e1 = instantiate(instrument(plain, { fuel: true, deadlineCheckEvery: 2 }), { [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: () => undefined } });
    expect(fn(e1, 'tail')(1000)).toBe(fn(e0, 'tail')(1000));
    expect(fn(e1, 'eh')(41)).toBe(42);
    expect(fn(e0, 'eh')(41)).toBe(42);
  });

  it('importGlobals: instances share one imported fuel budget', async () => {
    const bytes = instrument(await parse(FIB), { fuel: true, importGlobals: true });
    const mod = compileSync(bytes);
    expect(WebAssembly.Module.exports(mod).map((x) => x.name)).not.toContain(FUEL_GLOBAL_EXPORT);
    const fuel = new WebAssembly.Global({ value: 'i64', mutable: true }, 1n << 40n);
    const growFailed = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    const imports = { [WITPLUG_HOST_MODULE]: { [GLOBAL_IMPORTS.fuel]: fuel, [GLOBAL_IMPORTS.growFailed]: growFailed } };
    const a = new WebAssembly.Instance(mod, imports).exports as Exports;
    const b = new WebAssembly.Instance(mod, imports).exports as Exports;
    fn(a, 'fib')(10);
    const one = (1n << 40n) - (fuel.value as bigint);
    fn(b, 'fib')(10);
    expect((1n << 40n) - (fuel.value as bigint)).toBe(2n * one);
    fuel.value = 1000n;
    expect(() => fn(b, 'spin')()).toThrow(WebAssembly.RuntimeError);
    expect(fuel.value as bigint).toBeLessThan(0n);
  });

  it('importGlobals keeps global names correct', async () => {
    const plain = await parse(`(module (global $first (mut i32) (i32.const 1)) (global $second (mut i32) (i32.const 2))
      (func (export "get") (result i32) (i32.add (global.get $first) (i32.mul (global.get $second) (i32.const 10)))))`);
    const out = instrument(plain, { fuel: true, importGlobals: true });
    const e = instantiate(out, {
      [WITPLUG_HOST_MODULE]: {
        [GLOBAL_IMPORTS.fuel]: new WebAssembly.Global({ value: 'i64', mutable: true }, 100n),
        [GLOBAL_IMPORTS.growFailed]: new WebAssembly.Global({ value: 'i32', mutable: true }, 0),
      },
    });
    expect(fn(e, 'get')()).toBe(21);
    // Global names live in name subsection 7; they must still name the same globals (indices + 2).
    const name = new Uint8Array(WebAssembly.Module.customSections(compileSync(out), 'name')[0] as ArrayBuffer);
    const text = Buffer.from(name).toString('latin1');
    expect(text.indexOf('\x02\x05first')).toBeGreaterThan(0);
    expect(text.indexOf('\x03\x06second')).toBeGreaterThan(0);
  });

  it('keeps the name section correct when function indices shift', async () => {
    const plain = await parse(RICH);
    const out = instrument(plain, { fuel: true, deadlineCheckEvery: 100 });
    const mod = compileSync(out);
    expect(WebAssembly.Module.customSections(mod, 'name')).toHaveLength(1);
    expect(WebAssembly.Module.imports(mod).at(-1)).toEqual({ module: WITPLUG_HOST_MODULE, name: CHECK_IMPORT, kind: 'function' });
    const e = instantiate(out, { env: { log: () => 0, log2: () => 0, base: 0 }, [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: () => undefined } });
    let stack = '';
    try {
      fn(e, 'boom')();
    } catch (err) {
      stack = String((err as Error).stack);
    }
    // V8 names wasm frames from the name section: a stale map would name another function.
    expect(stack.split('\n')[1]).toMatch(/\bboom\b/);
  });

  it('rejects bad input with stable codes', async () => {
    const plain = await parse(FIB);
    expect(codeOf(() => instrumentCoreModule(new Uint8Array([1, 2, 3]), { fuel: true }))).toBe('MALFORMED');
    expect(codeOf(() => instrumentCoreModule(plain.subarray(0, plain.length - 3), { fuel: true }))).toBe('MALFORMED');
    const done = instrumentCoreModule(plain, { fuel: true }).bytes;
    expect(codeOf(() => instrumentCoreModule(done, { fuel: true }))).toBe('USAGE');
    expect(codeOf(() => instrumentCoreModule(plain, { fuel: true, deadlineCheckEvery: 0 }))).toBe('USAGE');
    const component = readFileSync(`${root}bench/guests/dist/bench.wasm`);
    expect(codeOf(() => instrumentCoreModule(component, { fuel: true }))).toBe('MALFORMED');
  });

  it('never crashes on mutated input; valid input always gives valid output', async () => {
    const plain = await parse(RICH);
    const byteEdits = fc.array(fc.tuple(fc.nat(plain.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(byteEdits, fc.boolean(), (edits, importGlobals) => {
        const bytes = Uint8Array.from(plain);
        for (const [i, b] of edits) bytes[i] = b;
        let out: Uint8Array | undefined;
        try {
          out = instrumentCoreModule(bytes, { fuel: true, deadlineCheckEvery: 7, maxMemoryPages: 8, importGlobals }).bytes;
        } catch (e) {
          if (!(e instanceof WitplugError)) throw e;
          return;
        }
        if (validWasm(bytes)) expect(validWasm(out)).toBe(true);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400), seed: Number(process.env.FUZZ_SEED ?? 42) },
    );
  });

  it('adds globals/exports to a module that has none', async () => {
    const bytes = instrument(await parse(`(module (func $f (loop $l (br $l))) (start $g) (func $g))`), {
      fuel: true,
      deadlineCheckEvery: 10,
    });
    const mod = compileSync(bytes);
    expect(WebAssembly.Module.exports(mod).map((x) => x.name)).toEqual([FUEL_GLOBAL_EXPORT, DEADLINE_GLOBAL_EXPORT, GROW_FAILED_GLOBAL_EXPORT]);
  });
});

describe('instrumentCoreModule: real core modules', () => {
  it('instruments the core modules of a transpiled component and still runs it through the jco glue', async () => {
    const path = `${root}bench/guests/dist/bench.wasm`;
    const { files } = await transpile(readFileSync(path), { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true });
    const modules = new Map<string, WebAssembly.Module>();
    const dir = mkdtempSync(join(tmpdir(), 'witplug-instrument-'));
    try {
      for (const [name, bytes] of Object.entries(files)) {
        if (name.endsWith('.wasm')) {
          const out = instrumentCoreModule(bytes, { fuel: true, deadlineCheckEvery: 1000, maxMemoryPages: 1024 });
          expect(validWasm(out.bytes), name).toBe(true);
          modules.set(name, compileSync(out.bytes));
        } else if (name.endsWith('.js')) {
          writeFileSync(join(dir, name.replace(/\.js$/, '.mjs')), bytes);
        }
      }
      expect(modules.size).toBeGreaterThan(0);
      const glue = (await import(pathToFileURL(join(dir, 'component.mjs')).href)) as {
        instantiate: (
          get: (p: string) => WebAssembly.Module,
          imports: object,
          core: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance,
        ) => Record<string, Record<string, (...a: unknown[]) => unknown>>;
      };
      const instances: WebAssembly.Instance[] = [];
      let checks = 0;
      const exports = glue.instantiate(
        (p) => modules.get(p) as WebAssembly.Module,
        {},
        (m, imports) => {
          const holder: { inst?: WebAssembly.Instance } = {};
          const check = (): void => {
            checks++;
            const g = holder.inst?.exports[DEADLINE_GLOBAL_EXPORT];
            if (g instanceof WebAssembly.Global) g.value = 1000n;
          };
          holder.inst = new WebAssembly.Instance(m, { ...imports, [WITPLUG_HOST_MODULE]: { [CHECK_IMPORT]: check } });
          instances.push(holder.inst);
          return holder.inst;
        },
      );
      const shapes = exports.shapes as Record<string, (...a: unknown[]) => unknown>;
      const fuels = instances.map((i) => i.exports[FUEL_GLOBAL_EXPORT]).filter((g): g is WebAssembly.Global => g instanceof WebAssembly.Global);
      expect(fuels.length).toBe(modules.size);
      for (const g of fuels) g.value = 1_000_000n;
      expect(shapes.add?.(3, 4)).toBe(7);
      expect(shapes.echo?.('hello world')).toBe('hello world');
      const big = new Uint8Array(65536).fill(1);
      expect(shapes.sumBytes?.(big)).toBe(65536);
      expect(fuels.some((g) => (g.value as bigint) < 1_000_000n)).toBe(true);
      expect(checks).toBeGreaterThan(0); // summing 64 KiB crosses the 1000-unit countdown
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const sm = `${root}node_modules/@bytecodealliance/componentize-js/lib/starlingmonkey_embedding.wasm`;
  it('instruments the ~10 MB SpiderMonkey core module quickly', () => {
    const bytes = readFileSync(sm);
    const t0 = performance.now();
    const out = instrumentCoreModule(bytes, { fuel: true, deadlineCheckEvery: 10_000, maxMemoryPages: 16384 });
    const ms = performance.now() - t0;
    console.log(`SpiderMonkey core module: ${bytes.length} -> ${out.bytes.length} bytes in ${ms.toFixed(0)} ms`, out.stats);
    expect(ms).toBeLessThan(10_000); // typically 150-400 ms; generous for loaded CI machines
    expect(validWasm(out.bytes)).toBe(true);
  });
});

describe('sandbox control module (src/runtime/limits/sandbox-control.ts)', () => {
  it('its bytes are its WAT, assembled', async () => {
    const { parse } = await import('@bytecodealliance/jco');
    const { CONTROL_WAT, CONTROL_BYTES } = await import('../src/runtime/limits/sandbox-control.js');
    expect(Buffer.from(await parse(CONTROL_WAT)).equals(CONTROL_BYTES)).toBe(true);
  });

  it('arm() sets the fuel slice and clears the grow flag of its own globals', async () => {
    const { createSandboxControl } = await import('../src/runtime/limits/sandbox-control.js');
    const a = createSandboxControl();
    const b = createSandboxControl();
    a.growFailed.value = 1;
    a.arm(1234n);
    expect([a.fuel.value, a.growFailed.value]).toEqual([1234n, 0]);
    expect([b.fuel.value, b.growFailed.value]).toEqual([0n, 0]);
  });
});
