/**
 * What the value code generators share: integer range checks, scalar
 * lowering, the case dispatch of variant-like values, object keys, the
 * integer loads/stores of discriminants and flags, and the coercions between
 * a variant's joined flat slots and its cases' own flat types.
 *
 * Names the generated code reads: `M` the guest memory (guest-memory.ts),
 * `R` the handle table (handle-table.ts), `O` the call's handle claims
 * (call-claims.ts), `T` typeMismatch, `F` float bit conversions, `K` constants.
 */
import type { ValType } from '../../component/types.js';
import { lowerCamel } from '../../component/names.js';
import { variantCases, type FlatType } from './layout.js';
import { str, cat, type Emitter, type Flat, type PathExpr } from './emit.js';
import { assertNever } from '../../util/assert-never.js';

/** Range checks that also reject non-numbers and fractions: `(v & 0xff) === v` only holds for integers 0..255. */
export const INT_CHECKS: Partial<Record<ValType['kind'], [(v: string) => string, string]>> = {
  u8: [(v) => `(${v} & 0xff) !== ${v}`, 'an integer in u8 range (0..255)'],
  s8: [(v) => `((${v} << 24) >> 24) !== ${v}`, 'an integer in s8 range (-128..127)'],
  u16: [(v) => `(${v} & 0xffff) !== ${v}`, 'an integer in u16 range (0..65535)'],
  s16: [(v) => `((${v} << 16) >> 16) !== ${v}`, 'an integer in s16 range (-32768..32767)'],
  u32: [(v) => `(${v} >>> 0) !== ${v}`, 'an integer in u32 range (0..4294967295)'],
  s32: [(v) => `(${v} | 0) !== ${v}`, 'an integer in s32 range (-2147483648..2147483647)'],
};

/** The statement that throws TYPE_MISMATCH for `v` at `path` (evaluated only when a check fails). */
export function fail(path: PathExpr, expected: string, v: string): string {
  return `T(${path}, ${str(expected)}, ${v})`;
}

/** The expression lowering a validated scalar. */
export function scalar(t: ValType, v: string): string {
  switch (t.kind) {
    case 'bool': return `(${v} ? 1 : 0)`;
    case 'u64': case 's64': return `(typeof ${v} === 'bigint' ? ${v} : BigInt(${v}))`;
    case 'char': return `${v}.codePointAt(0)`;
    case 'string': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'f32': case 'f64': case 'error-context':
    case 'record': case 'variant': case 'enum': case 'flags': case 'tuple': case 'list': case 'option': case 'result': case 'own': case 'borrow':
    case 'future': case 'stream':
      if (INT_CHECKS[t.kind] || t.kind === 'f32' || t.kind === 'f64') return v;
      throw new Error(`not a scalar: ${t.kind}`);
    default: assertNever(t, 'kind');
  }
}

/**
 * Emits the case dispatch of a variant-like value in witplug's JS
 * convention: option → null | value (`{tag:'some',val}` when the payload is
 * itself an option), result/variant → `{tag, val?}`. With `checking`, the
 * shape and tag are validated; otherwise the value is known to be valid.
 */
export function switchCase(
  e: Emitter, t: ValType, v: string, path: PathExpr, checking: boolean,
  onCase: (index: number, payload: ValType | null, payloadValue: string, payloadPath: PathExpr) => void,
): void {
  if (t.kind === 'option') {
    e.block(`if (${v} === null || ${v} === undefined) {`, () => onCase(0, null, '', path), '} else {');
    if (t.type.kind === 'option') {
      if (checking) e.line(`  if (typeof ${v} !== 'object' || ${v}.tag !== 'some') ${fail(path, "null or {tag: 'some', val} (option of an option)", v)};`);
      const inner = e.tmp('o');
      e.line(`  const ${inner} = ${v}.val;`);
      onCase(1, t.type, inner, cat(path, ' > some'));
    } else {
      onCase(1, t.type, v, cat(path, ' > some'));
    }
    e.line('}');
    return;
  }
  const cases = variantCases(t);
  if (checking) e.line(`if (${v} === null || typeof ${v} !== 'object') ${fail(path, `{tag, val} with tag ${cases.map((c) => `"${c.name}"`).join(' | ')}`, v)};`);
  const val = e.tmp('val');
  e.line(`const ${val} = ${v}.val;`);
  e.block(`switch (${v}.tag) {`, () => {
    cases.forEach((c, i) => {
      // Validated: the last case is the default (a tag the checks let through is one of them).
      e.block(!checking && i === cases.length - 1 ? 'default: {' : `case ${str(c.name)}: {`, () => {
        onCase(i, c.type, val, cat(path, ` > ${c.name}`));
        e.line('break;');
      });
    });
    if (checking) e.line(`default: ${fail(cat(path, ' > tag'), `one of ${cases.map((c) => `"${c.name}"`).join(', ')}`, `${v}.tag`)};`);
  });
}
/**
 * A rough lower bound of the JS heap bytes one lifted value of `t` takes
 * (8 per value slot, 16 more per object or array; a string's or list's
 * contents are charged when they are lifted). A list is charged this per
 * element when it is larger than the element's size in guest memory: a list
 * of one-byte records must not materialise 40 bytes of heap per byte charged.
 */
export function jsSize(t: ValType): number {
  switch (t.kind) {
    case 'record': return 16 + t.fields.reduce((n, f) => n + jsSize(f.type), 0);
    case 'tuple': return 16 + t.types.reduce((n, x) => n + jsSize(x), 0);
    case 'flags': return 16 + 8 * t.names.length;
    case 'option': return (t.type.kind === 'option' ? 32 : 0) + jsSize(t.type);
    case 'result': return 32 + Math.max(t.ok ? jsSize(t.ok) : 0, t.err ? jsSize(t.err) : 0);
    case 'variant': return 32 + Math.max(0, ...t.cases.map((c) => (c.type ? jsSize(c.type) : 0)));
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'list': case 'own': case 'borrow': case 'future': case 'stream': return 8;
    default: assertNever(t, 'kind');
  }
}

/**
 * An object-literal key for the JS name of WIT name `n`: always a quoted
 * string (names come from a component; never splice them as code), and a
 * computed key for `__proto__`, which as a plain literal key would set the
 * prototype instead of a property.
 */
export function key(n: string): string {
  const name = lowerCamel(n);
  return name === '__proto__' ? `[${str(name)}]` : str(name);
}

export function storeInt(size: 1 | 2 | 4, ptr: string, value: string): string {
  if (size === 1) return `M.u8[${ptr}] = ${value}`;
  return size === 2 ? `M.dv.setUint16(${ptr}, ${value}, true)` : `M.dv.setUint32(${ptr}, ${value}, true)`;
}

export function loadInt(size: 1 | 2 | 4, ptr: string): string {
  if (size === 1) return `M.u8[${ptr}]`;
  return size === 2 ? `M.dv.getUint16(${ptr}, true)` : `M.dv.getUint32(${ptr}, true)`;
}

/** A case's own flat value → the variant's joined slot type (CanonicalABI lower_flat_variant). */
export function coerceLower(f: Flat, want: FlatType): string {
  if (f.type === want) return f.expr;
  if (f.type === 'f32' && want === 'i32') return `F.f32ToI32(${f.expr})`;
  if (f.type === 'i32' && want === 'i64') return `BigInt(${f.expr} >>> 0)`;
  if (f.type === 'f32' && want === 'i64') return `BigInt(F.f32ToI32(${f.expr}) >>> 0)`;
  if (f.type === 'f64' && want === 'i64') return `F.f64ToI64(${f.expr})`;
  throw new Error(`cannot coerce ${f.type} to ${want}`);
}

/** A joined slot → the type a case wants (CanonicalABI lift_flat_variant's CoerceValueIter). */
export function coerceLift(f: Flat, want: FlatType): string {
  if (f.type === want) return f.expr;
  if (f.type === 'i32' && want === 'f32') return `F.i32ToF32(${f.expr})`;
  if (f.type === 'i64' && want === 'i32') return `Number(BigInt.asIntN(32, ${f.expr}))`;
  if (f.type === 'i64' && want === 'f32') return `F.i32ToF32(Number(BigInt.asIntN(32, ${f.expr})))`;
  if (f.type === 'i64' && want === 'f64') return `F.i64ToF64(${f.expr})`;
  throw new Error(`cannot coerce ${f.type} to ${want}`);
}
