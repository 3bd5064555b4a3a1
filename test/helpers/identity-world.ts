/**
 * The every-kind identity world the canonical-ABI round-trip tests share: a
 * function per WIT type kind, implemented by a guest (`id`), forwarded by it
 * to the host (`fwd` → `host`), a WAT guest implementing it, and fast-check
 * arbitraries of each type in witplug's JS value convention. A guest in any
 * language built for this world must answer exactly as the WAT one does.
 */
import fc from 'fast-check';
import { bumpAllocator } from './wat.js';

const IFACE = 'test:identity/id@0.1.0';
const FWD = 'test:identity/fwd@0.1.0';
const HOST = 'test:identity/host@0.1.0';

/** [function, WIT type, core type when its flat form is one scalar (else: spilled with `pad`)]. */
export const FUNCS: [string, string, string | null][] = [
  ['id-bool', 'bool', 'i32'], ['id-s8', 's8', 'i32'], ['id-u8', 'u8', 'i32'], ['id-s16', 's16', 'i32'],
  ['id-u16', 'u16', 'i32'], ['id-s32', 's32', 'i32'], ['id-u32', 'u32', 'i32'], ['id-s64', 's64', 'i64'],
  ['id-u64', 'u64', 'i64'], ['id-f32', 'f32', 'f32'], ['id-f64', 'f64', 'f64'], ['id-char', 'char', 'i32'],
  ['id-color', 'color', 'i32'], ['id-few', 'few', 'i32'], ['id-many', 'many', 'i32'],
  ['id-string', 'string', null], ['id-bytes', 'list<u8>', null], ['id-strings', 'list<string>', null],
  ['id-nested', 'list<list<u32>>', null], ['id-mixed', 'mixed', null], ['id-shape', 'shape', null],
  ['id-shapes', 'list<shape>', null], ['id-tuple', 'tuple<s8, string, f64, char>', null],
  ['id-opt', 'option<string>', null], ['id-opt-opt', 'option<option<u32>>', null],
  ['id-res', 'result<string, u32>', null], ['id-res-empty', 'result', null], ['id-opt-f64', 'option<f64>', null],
  ['id-opt-u8s', 'list<option<u8>>', null], ['id-floats', 'list<f32>', null], ['id-s64s', 'list<s64>', null],
];
export const SPILLED = FUNCS.filter(([, , core]) => core === null).map(([name]) => name);

const funcsWit = FUNCS.map(([name, t, core]) => `  ${name}: func(x: ${t}${core ? '' : ', pad: pad'}) -> ${t};`).join('\n');
export const WIT = `package test:identity@0.1.0;

interface types {
  type pad = tuple<u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64>;
  record mixed { small: u8, text: string, maybe: option<u64>, shorts: list<s16>, ratio: f32, kind: color }
  variant shape { empty, small(u8), single(f32), double(f64), big(u64), text(string), pair(tuple<u32, f32>), nested(mixed) }
  enum color { red, green, blue }
  flags few { read, write, exec }
  flags many { f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19 }
}

/// Identity functions implemented by the guest.
interface id {
  use types.{pad, mixed, shape, color, few, many};
${funcsWit}
}

/// The same functions implemented by the host (identity there too).
interface host {
  use types.{pad, mixed, shape, color, few, many};
${funcsWit}
}

/// The guest forwards each call to the host's function of the same name.
interface fwd {
  use types.{pad, mixed, shape, color, few, many};
${funcsWit}
}

world identity {
  import host;
  export id;
  export fwd;
}
`;

/** Static return area for forwarded host results (larger than any result type here). */
const RET = 128;

export function identityWat(): string {
  const out: string[] = [];
  for (const [name, , core] of FUNCS) {
    if (core) {
      out.push(`  (import "${HOST}" "${name}" (func $host-${name} (param ${core}) (result ${core})))`);
    } else {
      // Spilled params: one pointer. A result of one flat value (result<_, _>) comes back flat; others via a return pointer.
      const flatResult = name === 'id-res-empty';
      out.push(`  (import "${HOST}" "${name}" (func $host-${name} (param i32) ${flatResult ? '(result i32)' : '(param i32)'}))`);
    }
  }
  const body: string[] = [];
  for (const [name, , core] of FUNCS) {
    if (core) {
      body.push(`  (func (export "${IFACE}#${name}") (param ${core}) (result ${core}) local.get 0)`);
      body.push(`  (func (export "${FWD}#${name}") (param ${core}) (result ${core}) (call $host-${name} (local.get 0)))`);
      continue;
    }
    // Spilled: x sits at offset 0 of the argument tuple, which is also T's own layout.
    if (name === 'id-res-empty') {
      // result<_, _> flattens to one i32 (its discriminant): return the byte, not the pointer.
      body.push(`  (func (export "${IFACE}#${name}") (param i32) (result i32) (i32.load8_u (local.get 0)))`);
      body.push(`  (func (export "${FWD}#${name}") (param i32) (result i32) (call $host-${name} (local.get 0)))`);
    } else {
      body.push(`  (func (export "${IFACE}#${name}") (param i32) (result i32) local.get 0)`);
      body.push(`  (func (export "${FWD}#${name}") (param i32) (result i32) (call $host-${name} (local.get 0) (i32.const ${RET})) (i32.const ${RET}))`);
    }
    for (const iface of [IFACE, FWD]) {
      body.push(`  (func (export "cabi_post_${iface}#${name}") (param i32) (global.set $heap (i32.const 1024)))`);
    }
  }
  return `(module
${out.join('\n')}
${bumpAllocator(1024)}
${body.join('\n')}
)`;
}

const int = (min: number, max: number) => fc.integer({ min, max });
const u8 = int(0, 255);
const u32 = int(0, 0xffffffff);
const f32 = fc.float(); // includes NaN, ±0, ±Infinity, subnormals
const f64 = fc.double();
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const s64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
/** Any Unicode scalar values (astral planes too; no lone surrogates, which are not strings in WIT). */
const text = fc.string({ unit: 'binary', maxLength: 40 });
const char = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const color = fc.constantFrom('red', 'green', 'blue');
const flagsOf = (names: string[]) => fc.record(Object.fromEntries(names.map((n) => [n, fc.boolean()])) as Record<string, fc.Arbitrary<boolean>>);
const few = flagsOf(['read', 'write', 'exec']);
const many = flagsOf(Array.from({ length: 20 }, (_, i) => `f${i}`));
const mixed = fc.record({
  small: u8, text, maybe: fc.option(u64, { nil: null }), shorts: fc.array(int(-32768, 32767), { maxLength: 8 }), ratio: f32, kind: color,
});
const tagged = <T>(tag: string, val: fc.Arbitrary<T>) => fc.record({ tag: fc.constant(tag), val });
const shape = fc.oneof(
  fc.constant({ tag: 'empty' }), tagged('small', u8), tagged('single', f32), tagged('double', f64), tagged('big', u64),
  tagged('text', text), tagged('pair', fc.tuple(u32, f32)), tagged('nested', mixed),
);

export const CASES: [string, fc.Arbitrary<unknown>, boolean][] = [
  // [function, arbitrary, spilled (takes the pad argument)]
  ['id-bool', fc.boolean(), false],
  ['id-s8', int(-128, 127), false],
  ['id-u8', u8, false],
  ['id-s16', int(-32768, 32767), false],
  ['id-u16', int(0, 65535), false],
  ['id-s32', int(-(2 ** 31), 2 ** 31 - 1), false],
  ['id-u32', u32, false],
  ['id-s64', s64, false],
  ['id-u64', u64, false],
  ['id-f32', f32, false],
  ['id-f64', f64, false],
  ['id-char', char, false],
  ['id-color', color, false],
  ['id-few', few, false],
  ['id-many', many, false],
  ['id-string', text, true],
  ['id-bytes', fc.uint8Array({ maxLength: 300 }), true],
  ['id-strings', fc.array(text, { maxLength: 10 }), true],
  ['id-nested', fc.array(fc.array(u32, { maxLength: 6 }), { maxLength: 6 }), true],
  ['id-mixed', mixed, true],
  ['id-shape', shape, true],
  ['id-shapes', fc.array(shape, { maxLength: 6 }), true],
  ['id-tuple', fc.tuple(int(-128, 127), text, f64, char), true],
  ['id-opt', fc.option(text, { nil: null }), true],
  ['id-opt-opt', fc.option(fc.record({ tag: fc.constant('some'), val: fc.option(u32, { nil: null }) }), { nil: null }), true],
  ['id-res', fc.oneof(tagged('ok', text), tagged('err', u32)), true],
  ['id-res-empty', fc.constantFrom({ tag: 'ok' }, { tag: 'err' }), true],
  ['id-opt-f64', fc.option(f64, { nil: null }), true],
  ['id-opt-u8s', fc.array(fc.option(u8, { nil: null }), { maxLength: 20 }), true],
  ['id-floats', fc.array(f32, { maxLength: 20 }), true],
  ['id-s64s', fc.array(s64, { maxLength: 20 }), true],
];

/** The pad argument of the spilled functions (16 flat values). */
export const PAD = Array.from({ length: 16 }, () => 0n);
