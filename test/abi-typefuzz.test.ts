/**
 * Random WIT types, not just hand-picked ones: a seeded generator builds
 * nested records, variants (with payloads that force flat-value joins),
 * options, results, tuples, lists, enums and flags; one identity component
 * exports a function per type; random values of each type must come back
 * unchanged through witplug's generated path and equal what jco's bindings
 * return for the same call.
 *
 * Each function is `f: func(x: tuple<T, string>, pad: pad) -> tuple<T, string>`:
 * the 16-value `pad` spills the arguments to a heap tuple whose first field
 * has exactly the result's layout, so the guest returns the pointer it got.
 * The same types also go guest → host → guest: `fw` passes that pointer to
 * the host's identity `h` and returns the host's answer from a return area.
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin, type Plugin } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { bumpAllocator } from './helpers/wat.js';
import { rng } from './helpers/rng.js';
import { printValType, printTypeDef } from '../src/component/wit-print.js';
import type { ValType } from '../src/component/types.js';
import { elemSize } from '../src/runtime/abi/layout.js';

const IFACE = 'test:fuzz/id@0.1.0';
const TYPES = 40;
/** Another seed explores other types: WITPLUG_FUZZ_SEED=n npx vitest run test/abi-typefuzz.test.ts */
const SEED = Number(process.env['WITPLUG_FUZZ_SEED'] ?? 20261125);

const PRIMS = ['bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string'] as const;

/** Generates types; named ones are collected (in dependency order) for the `types` interface. */
function typeGenerator(seed: number) {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const named: [string, ValType][] = [];
  let n = 0;
  const gen = (depth: number): ValType => {
    const k = depth <= 0 ? 'prim' : pick(['prim', 'prim', 'list', 'option', 'result', 'tuple', 'record', 'variant', 'enum', 'flags']);
    switch (k) {
      case 'list': return { kind: 'list', element: gen(depth - 1) };
      case 'option': {
        const inner = gen(depth - 1);
        return { kind: 'option', type: inner };
      }
      case 'result': return { kind: 'result', ok: rand() < 0.7 ? gen(depth - 1) : null, err: rand() < 0.7 ? gen(depth - 1) : null };
      case 'tuple': return { kind: 'tuple', types: Array.from({ length: int(1, 4) }, () => gen(depth - 1)) };
      case 'record': {
        const t: ValType = { kind: 'record', name: `r${n++}`, fields: Array.from({ length: int(1, 4) }, (_, i) => ({ name: `f${i}`, type: gen(depth - 1) })) };
        named.push([t.name!, t]);
        return t;
      }
      case 'variant': {
        const t: ValType = { kind: 'variant', name: `v${n++}`, cases: Array.from({ length: int(1, 5) }, (_, i) => ({ name: `c${i}`, type: rand() < 0.7 ? gen(depth - 1) : null })) };
        named.push([t.name!, t]);
        return t;
      }
      case 'enum': {
        const t: ValType = { kind: 'enum', name: `e${n++}`, names: Array.from({ length: int(1, 6) }, (_, i) => `k${i}`) };
        named.push([t.name!, t]);
        return t;
      }
      case 'flags': {
        const t: ValType = { kind: 'flags', name: `g${n++}`, names: Array.from({ length: int(1, 32) }, (_, i) => `b${i}`) };
        named.push([t.name!, t]);
        return t;
      }
      default: return { kind: pick(PRIMS) };
    }
  };
  const types = Array.from({ length: TYPES }, () => gen(3));
  return { types, named };
}

/** Values of `t` in witplug's JS convention. */
function arbFor(t: ValType): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'bool': return fc.boolean();
    case 's8': return fc.integer({ min: -128, max: 127 });
    case 'u8': return fc.integer({ min: 0, max: 255 });
    case 's16': return fc.integer({ min: -32768, max: 32767 });
    case 'u16': return fc.integer({ min: 0, max: 65535 });
    case 's32': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'u32': return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 's64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'u64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'f32': return fc.float();
    case 'f64': return fc.double();
    case 'char': return fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
    case 'string': return fc.string({ unit: 'binary', maxLength: 8 });
    case 'list': return t.element.kind === 'u8' ? fc.uint8Array({ maxLength: 6 }) : fc.array(arbFor(t.element), { maxLength: 3 });
    case 'option': {
      const inner = arbFor(t.type);
      return fc.option(t.type.kind === 'option' ? fc.record({ tag: fc.constant('some'), val: inner }) : inner, { nil: null });
    }
    case 'result': {
      const side = (tag: string, x: ValType | null) => (x ? fc.record({ tag: fc.constant(tag), val: arbFor(x) }) : fc.constant({ tag }));
      return fc.oneof(side('ok', t.ok), side('err', t.err));
    }
    case 'tuple': return fc.tuple(...t.types.map(arbFor));
    case 'record': return fc.record(Object.fromEntries(t.fields.map((f) => [f.name, arbFor(f.type)])));
    case 'variant': return fc.oneof(...t.cases.map((c) => (c.type ? fc.record({ tag: fc.constant(c.name), val: arbFor(c.type) }) : fc.constant({ tag: c.name }))));
    case 'enum': return fc.constantFrom(...t.names);
    case 'flags': return fc.record(Object.fromEntries(t.names.map((n) => [n, fc.boolean()])));
    default: throw new Error(`no arbitrary for ${t.kind}`);
  }
}

const { types, named } = typeGenerator(SEED);
const PAD = Array.from({ length: 16 }, () => 0n);
let plugin: Plugin;

/** Where forwarded host results land in the guest (the heap starts above it). */
const RET = 256;
const HEAP = 16384;
let hostCalls = 0;
const hostImpl = Object.fromEntries(types.map((_, i) => [`h${i}`, (x: unknown) => (hostCalls++, x)]));

beforeAll(async () => {
  const pad = `tuple<${Array.from({ length: 16 }, () => 'u64').join(', ')}>`;
  const use = named.length ? `  use types.{${named.map(([name]) => name).join(', ')}};\n` : '';
  const sig = (t: ValType) => `func(x: tuple<${printValType(t)}, string>, pad: ${pad}) -> tuple<${printValType(t)}, string>`;
  const wit = `package test:fuzz@0.1.0;
interface types {
${named.map(([name, t]) => `  ${printTypeDef(name, t)}`).join('\n')}
}
/// Identity in the guest.
interface id {
${use}${types.map((t, i) => `  id${i}: ${sig(t)};`).join('\n')}
}
/// Identity in the host.
interface host {
${use}${types.map((t, i) => `  h${i}: ${sig(t)};`).join('\n')}
}
/// The guest forwards to the host.
interface fwd {
${use}${types.map((t, i) => `  fw${i}: ${sig(t)};`).join('\n')}
}
world fuzz { import host; export id; export fwd; }
`;
  const HOST = 'test:fuzz/host@0.1.0';
  const FWD = 'test:fuzz/fwd@0.1.0';
  const wat = `(module
${types.map((_, i) => `  (import "${HOST}" "h${i}" (func $h${i} (param i32 i32)))`).join('\n')}
${bumpAllocator(HEAP)}
${types.map((_, i) => `  (func (export "${IFACE}#id${i}") (param i32) (result i32) local.get 0)
  (func (export "cabi_post_${IFACE}#id${i}") (param i32) (global.set $heap (i32.const ${HEAP})))
  (func (export "${FWD}#fw${i}") (param i32) (result i32) (call $h${i} (local.get 0) (i32.const ${RET})) (i32.const ${RET}))
  (func (export "cabi_post_${FWD}#fw${i}") (param i32) (global.set $heap (i32.const ${HEAP})))`).join('\n')}
)`;
  const bytes = await componentNew(await componentEmbed({ binary: await parse(wat), witSource: wit, world: 'fuzz' }));
  plugin = await loadPlugin(bytes, { name: 'typefuzz', cache: new CompileCache(null), log: () => {}, host: { 'test:fuzz/host': hostImpl } });
}, 60_000);

describe(`${TYPES} random nested WIT types (seed ${SEED}) round-trip and agree with jco`, () => {
  it.each(types.map((t, i) => [i, printValType(t)] as const))('id%i: %s', (i) => {
    const t = types[i]!;
    const fast = pluginInternals(plugin).fastFn(`id#id${i}`);
    expect(fast).not.toBeNull();
    const viaJco = pluginInternals(plugin).jcoFn(`id#id${i}`);
    fc.assert(
      fc.property(arbFor(t), fc.string({ maxLength: 4 }), (v, s) => {
        const x = [v, s];
        const out = fast!(x, PAD);
        expect(out).toEqual(x);
        expect(viaJco(x, PAD)).toEqual(out);
      }),
      { numRuns: 40, seed: SEED },
    );
  });

  it.each(types.map((t, i) => [i, printValType(t)] as const))('guest → host → guest, fw%i: %s', (i) => {
    const t = types[i]!;
    expect(elemSize({ kind: 'tuple', types: [t, { kind: 'string' }] })).toBeLessThan(HEAP - RET); // the static return area fits
    const fwd = plugin.fn(`fwd#fw${i}`);
    fc.assert(
      fc.property(arbFor(t), fc.string({ maxLength: 4 }), (v, s) => {
        const before = hostCalls;
        expect(fwd([v, s], PAD)).toEqual([v, s]);
        expect(hostCalls).toBe(before + 1);
      }),
      { numRuns: 25, seed: SEED },
    );
  });
});
