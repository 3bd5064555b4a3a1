/**
 * Lowering and lifting of single values, as generated JavaScript: to and from
 * flat core values, and into and out of guest memory (CanonicalABI.md's
 * lower_flat/store and lift_flat/load), in witplug's JS value convention.
 */
import type { ValType, ResourceType } from '../../component/types.js';
import { lowerCamel } from '../../component/names.js';
import {
  alignment, elemSize, fieldOffsets, flattenCases, payloadOffset, variantCases, discriminantSize, flagsSize,
  UnsupportedAbiType, type FlatType,
} from './layout.js';
import { resourceKey, str, cat, type Emitter, type Flat, type PathExpr, type ResourceOwner } from './emit.js';
import { assertNever } from '../../util/assert-never.js';

/** Range checks that also reject non-numbers and fractions: `(v & 0xff) === v` only holds for integers 0..255. */
const INT_CHECKS: Partial<Record<ValType['kind'], [(v: string) => string, string]>> = {
  u8: [(v) => `(${v} & 0xff) !== ${v}`, 'an integer in u8 range (0..255)'],
  s8: [(v) => `((${v} << 24) >> 24) !== ${v}`, 'an integer in s8 range (-128..127)'],
  u16: [(v) => `(${v} & 0xffff) !== ${v}`, 'an integer in u16 range (0..65535)'],
  s16: [(v) => `((${v} << 16) >> 16) !== ${v}`, 'an integer in s16 range (-32768..32767)'],
  u32: [(v) => `(${v} >>> 0) !== ${v}`, 'an integer in u32 range (0..4294967295)'],
  s32: [(v) => `(${v} | 0) !== ${v}`, 'an integer in s32 range (-2147483648..2147483647)'],
};

export class Generator {
  readonly #e: Emitter;
  readonly #ownerOf: ResourceOwner;
  /** Whether the function moves handles (own<R> of the plugin's resources): handle arguments are then claimed. */
  readonly #claims: boolean;
  constructor(e: Emitter, ownerOf: ResourceOwner, claims = false) {
    this.#e = e;
    this.#ownerOf = ownerOf;
    this.#claims = claims;
  }

  /**
   * The expression lowering a validated handle: the plugin's own resources go
   * back as reps (borrow) or move into its table (own), host objects get handles.
   */
  #lowerHandle(kind: 'own' | 'borrow', r: ResourceType, v: string, path: PathExpr): string {
    const owner = this.#ownerOf(r);
    const key = str(resourceKey(r));
    if (owner === 'plugin') return kind === 'own' ? `C.moveOwn(${v}, ${key})` : `${v}.rep`;
    if (owner === 'host') return `C.${kind === 'own' ? 'hostOwn' : 'lendHost'}(${v}, ${key}, ${path})`;
    throw new UnsupportedAbiType(`resource ${r.name} is neither exported by the plugin nor provided by the host`);
  }

  /** The AbiContext method lifting a handle the plugin passed out. */
  #liftHandle(kind: 'own' | 'borrow', r: ResourceType): string {
    const owner = this.#ownerOf(r);
    if (owner === 'plugin' && kind === 'own') return 'liftOwn';
    if (owner === 'host') return kind === 'own' ? 'liftHostOwn' : 'liftHostBorrow';
    throw new UnsupportedAbiType(`lifting ${kind}<${r.name}> here`);
  }

  #fail(path: PathExpr, expected: string, v: string): string {
    return `T(${path}, ${str(expected)}, ${v})`;
  }

  // ---- validation -----------------------------------------------------------
  //
  // Every argument is validated before any of it is lowered: lowering calls
  // `cabi_realloc`, which is plugin code, and a caller's mistake must be
  // refused before the plugin runs (and a fault once it runs is the plugin's).
  // Lowering below therefore assumes validated values and checks nothing.

  /** Emits the checks of `v` against `t` (TYPE_MISMATCH with `path` on failure); no side effects. */
  check(t: ValType, v: string, path: PathExpr): void {
    const e = this.#e;
    const int = INT_CHECKS[t.kind];
    if (int) {
      e.line(`if (${int[0](v)}) ${this.#fail(path, int[1], v)};`);
      return;
    }
    switch (t.kind) {
      case 'bool':
        e.line(`if (typeof ${v} !== 'boolean') ${this.#fail(path, 'a boolean', v)};`);
        return;
      case 'u64': case 's64': {
        // Any safe integer fits s64; u64 also needs it non-negative. No BigInt is made here.
        const [min, max] = t.kind === 'u64' ? ['0n', '18446744073709551615n'] : ['-9223372036854775808n', '9223372036854775807n'];
        const what = `an integer in ${t.kind} range (bigint or safe integer number)`;
        const numberOk = t.kind === 'u64' ? `Number.isSafeInteger(${v}) && ${v} >= 0` : `Number.isSafeInteger(${v})`;
        e.line(`if (typeof ${v} === 'bigint' ? ${v} < ${min} || ${v} > ${max} : !(${numberOk})) ${this.#fail(path, what, v)};`);
        return;
      }
      case 'f32': case 'f64':
        e.line(`if (typeof ${v} !== 'number') ${this.#fail(path, 'a number', v)};`);
        return;
      case 'char': {
        const x = e.tmp('cp');
        e.line(`const ${x} = typeof ${v} === 'string' && ${v}.length > 0 && ${v}.length <= 2 ? ${v}.codePointAt(0) : -1;`);
        e.line(`if (${x} < 0 || (${x} >= 0xd800 && ${x} <= 0xdfff) || ${v}.length !== (${x} > 0xffff ? 2 : 1)) ${this.#fail(path, 'a single Unicode scalar value (char)', v)};`);
        return;
      }
      case 'string':
        e.line(`if (typeof ${v} !== 'string') ${this.#fail(path, 'a string', v)};`);
        // A component-model string is Unicode scalar values: UTF-8 encoding would turn a lone surrogate into U+FFFD.
        e.line(`if (!${v}.isWellFormed()) ${this.#fail(path, 'a string of Unicode scalar values (it has a lone surrogate)', v)};`);
        return;
      case 'list': {
        const elem = t.element;
        if (elem.kind === 'u8') {
          e.line(`if (!(${v} instanceof Uint8Array)) {`);
          e.line(`  if (!Array.isArray(${v})) ${this.#fail(path, 'a list<u8> (Uint8Array or array of bytes)', v)};`);
          e.line(`  for (let i = 0; i < ${v}.length; i++) if ((${v}[i] & 0xff) !== ${v}[i]) ${this.#fail(`${path} + "[" + i + "]"`, 'an integer in u8 range (0..255)', `${v}[i]`)};`);
          e.line('}');
          return;
        }
        e.line(`if (!Array.isArray(${v}) && !(ArrayBuffer.isView(${v}) && !(${v} instanceof DataView))) ${this.#fail(path, 'a list (array)', v)};`);
        const i = e.tmp('i');
        e.block(`for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {`, () => {
          const x = e.tmp('x');
          e.line(`const ${x} = ${v}[${i}];`);
          this.check(elem, x, `${path} + "[" + ${i} + "]"`);
        });
        return;
      }
      case 'record':
        e.line(`if (${v} === null || typeof ${v} !== 'object') ${this.#fail(path, `a record (object with ${t.fields.map((f) => lowerCamel(f.name)).join(', ')})`, v)};`);
        for (const f of t.fields) {
          const x = e.tmp('f');
          e.line(`const ${x} = ${v}[${str(lowerCamel(f.name))}];`);
          this.check(f.type, x, cat(path, ` > field ${f.name}`));
        }
        return;
      case 'tuple':
        e.line(`if (!Array.isArray(${v}) || ${v}.length !== ${t.types.length}) ${this.#fail(path, `a tuple (array of ${t.types.length})`, v)};`);
        t.types.forEach((x, i) => {
          const y = e.tmp('f');
          e.line(`const ${y} = ${v}[${i}];`);
          this.check(x, y, cat(path, `[${i}]`));
        });
        return;
      case 'flags':
        flagsSize(t.names.length);
        e.line(`if (${v} === null || typeof ${v} !== 'object') ${this.#fail(path, `flags (object of booleans: ${t.names.map(lowerCamel).join(', ')})`, v)};`);
        return;
      case 'enum':
        e.block(`switch (${v}) {`, () => {
          e.line(`${t.names.map((n) => `case ${str(n)}:`).join(' ')} break;`);
          e.line(`default: ${this.#fail(path, `one of ${t.names.map((n) => `"${n}"`).join(', ')}`, v)};`);
        });
        return;
      case 'own': case 'borrow':
        e.line(`C.${this.#checkHandle(t.kind, t.resource)}(${v}, ${str(resourceKey(t.resource))}, ${path});`);
        return;
      case 'variant': case 'option': case 'result':
        this.#switchCase(t, v, path, true, (_index, payload, payloadValue, payloadPath) => {
          if (payload) this.check(payload, payloadValue, payloadPath);
        });
        return;
      case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'error-context': case 'future': case 'stream':
        throw new UnsupportedAbiType(`${t.kind} values`);
      default: assertNever(t, 'kind');
    }
  }

  /** The AbiContext method that checks a handle argument without taking it. */
  #checkHandle(kind: 'own' | 'borrow', r: ResourceType): string {
    const owner = this.#ownerOf(r);
    if (owner === 'plugin') return kind === 'own' ? 'claimOwn' : this.#claims ? 'claimBorrow' : 'checkOwnHandle';
    if (owner === 'host') return 'checkHostObject';
    throw new UnsupportedAbiType(`resource ${r.name} is neither exported by the plugin nor provided by the host`);
  }

  /** The expression lowering a validated scalar. */
  #scalar(t: ValType, v: string): string {
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

  // ---- lowering to flat values (validated input) ----------------------------

  /** `path` is only used by host-handle lowering (for its error message). */
  lowerFlat(t: ValType, v: string, path: PathExpr): Flat[] {
    const e = this.#e;
    switch (t.kind) {
      case 'bool': case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32': case 'char':
        return [{ expr: this.#scalar(t, v), type: 'i32' }];
      case 'u64': case 's64': return [{ expr: this.#scalar(t, v), type: 'i64' }];
      case 'f32': return [{ expr: v, type: 'f32' }];
      case 'f64': return [{ expr: v, type: 'f64' }];
      case 'string': case 'list': {
        const [p, l] = this.#lowerSequence(t, v, path);
        return [{ expr: p, type: 'i32' }, { expr: l, type: 'i32' }];
      }
      case 'record':
        return t.fields.flatMap((f) => {
          const x = e.tmp('f');
          e.line(`const ${x} = ${v}[${str(lowerCamel(f.name))}];`);
          return this.lowerFlat(f.type, x, cat(path, ` > field ${f.name}`));
        });
      case 'tuple':
        return t.types.flatMap((x, i) => {
          const y = e.tmp('f');
          e.line(`const ${y} = ${v}[${i}];`);
          return this.lowerFlat(x, y, cat(path, `[${i}]`));
        });
      case 'flags': return [{ expr: this.#flagBits(t.names, v), type: 'i32' }];
      case 'enum': return [{ expr: this.#enumIndex(t.names, v), type: 'i32' }];
      case 'own': case 'borrow': {
        const x = e.tmp('h');
        e.line(`const ${x} = ${this.#lowerHandle(t.kind, t.resource, v, path)};`);
        return [{ expr: x, type: 'i32' }];
      }
      case 'variant': case 'option': case 'result': {
        const joined = flattenCases(variantCases(t));
        const d = e.tmp('d');
        const slots = joined.map(() => e.tmp('j'));
        e.line(`let ${d} = 0${slots.map((s, i) => `, ${s} = ${joined[i] === 'i64' ? '0n' : '0'}`).join('')};`);
        this.#switchCase(t, v, path, false, (index, payload, payloadValue, payloadPath) => {
          e.line(`${d} = ${index};`);
          if (!payload) return;
          const flats = this.lowerFlat(payload, payloadValue, payloadPath);
          flats.forEach((f, i) => e.line(`${slots[i]} = ${coerceLower(f, joined[i]!)};`));
        });
        return [{ expr: d, type: 'i32' }, ...slots.map((s, i) => ({ expr: s, type: joined[i]! }))];
      }
      case 'error-context': case 'future': case 'stream':
        throw new UnsupportedAbiType(`${t.kind} values`);
      default: assertNever(t, 'kind');
    }
  }

  /** Lowers a validated string/list into a fresh allocation; returns [ptr, len] variables. */
  #lowerSequence(t: ValType, v: string, path: PathExpr): [string, string] {
    const e = this.#e;
    const p = e.tmp('p');
    const l = e.tmp('l');
    if (t.kind === 'string') {
      e.line(`const ${p} = C.str(${v}), ${l} = C.len;`);
      return [p, l];
    }
    if (t.kind !== 'list') throw new Error('not a sequence');
    const elem = t.element;
    if (elem.kind === 'u8') {
      e.line(`const ${p} = C.bytes(${v}), ${l} = ${v}.length;`);
      return [p, l];
    }
    const size = elemSize(elem);
    e.line(`const ${l} = ${v}.length, ${p} = C.alloc(${alignment(elem)}, ${l} * ${size});`);
    const i = e.tmp('i');
    e.block(`for (let ${i} = 0; ${i} < ${l}; ${i}++) {`, () => {
      const x = e.tmp('x');
      e.line(`const ${x} = ${v}[${i}];`);
      this.store(elem, x, `${p} + ${i} * ${size}`, `${path} + "[" + ${i} + "]"`);
    });
    return [p, l];
  }

  #flagBits(names: readonly string[], v: string): string {
    const e = this.#e;
    const b = e.tmp('b');
    const terms = names.map((n, i) => `(${v}[${str(lowerCamel(n))}] ? ${2 ** i >>> 0} : 0)`);
    e.line(`const ${b} = ${terms.join(' | ') || '0'};`);
    return b;
  }

  #enumIndex(names: readonly string[], v: string): string {
    const e = this.#e;
    const d = e.tmp('d');
    e.line(`let ${d} = 0;`);
    e.block(`switch (${v}) {`, () => {
      names.forEach((n, i) => {
        if (i > 0) e.line(`case ${str(n)}: ${d} = ${i}; break;`);
      });
    });
    return d;
  }

  /**
   * Emits the case dispatch of a variant-like value in witplug's JS
   * convention: option → null | value (`{tag:'some',val}` when the payload is
   * itself an option), result/variant → `{tag, val?}`. With `checking`, the
   * shape and tag are validated; otherwise the value is known to be valid.
   */
  #switchCase(
    t: ValType, v: string, path: PathExpr, checking: boolean,
    onCase: (index: number, payload: ValType | null, payloadValue: string, payloadPath: PathExpr) => void,
  ): void {
    const e = this.#e;
    if (t.kind === 'option') {
      e.block(`if (${v} === null || ${v} === undefined) {`, () => onCase(0, null, '', path), '} else {');
      if (t.type.kind === 'option') {
        if (checking) e.line(`  if (typeof ${v} !== 'object' || ${v}.tag !== 'some') ${this.#fail(path, "null or {tag: 'some', val} (option of an option)", v)};`);
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
    if (checking) e.line(`if (${v} === null || typeof ${v} !== 'object') ${this.#fail(path, `{tag, val} with tag ${cases.map((c) => `"${c.name}"`).join(' | ')}`, v)};`);
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
      if (checking) e.line(`default: ${this.#fail(cat(path, ' > tag'), `one of ${cases.map((c) => `"${c.name}"`).join(', ')}`, `${v}.tag`)};`);
    });
  }

  // ---- lowering into memory (validated input) -------------------------------

  store(t: ValType, v: string, at: string, path: PathExpr): void {
    const e = this.#e;
    const ptr = e.tmp('s');
    e.line(`const ${ptr} = ${at};`);
    switch (t.kind) {
      case 'bool': case 'u8': case 's8':
        e.line(`C.u8[${ptr}] = ${this.#scalar(t, v)};`);
        return;
      case 'u16': e.line(`C.dv.setUint16(${ptr}, ${v}, true);`); return;
      case 's16': e.line(`C.dv.setInt16(${ptr}, ${v}, true);`); return;
      case 'u32': case 'char': e.line(`C.dv.setUint32(${ptr}, ${this.#scalar(t, v)}, true);`); return;
      case 's32': e.line(`C.dv.setInt32(${ptr}, ${v}, true);`); return;
      case 'u64': e.line(`C.dv.setBigUint64(${ptr}, ${this.#scalar(t, v)}, true);`); return;
      case 's64': e.line(`C.dv.setBigInt64(${ptr}, ${this.#scalar(t, v)}, true);`); return;
      case 'f32': e.line(`C.dv.setFloat32(${ptr}, ${v}, true);`); return;
      case 'f64': e.line(`C.dv.setFloat64(${ptr}, ${v}, true);`); return;
      case 'string': case 'list': {
        const [p, l] = this.#lowerSequence(t, v, path);
        e.line(`C.dv.setUint32(${ptr}, ${p}, true); C.dv.setUint32(${ptr} + 4, ${l}, true);`);
        return;
      }
      case 'record': {
        const { offsets } = fieldOffsets(t.fields.map((f) => f.type));
        t.fields.forEach((f, i) => {
          const x = e.tmp('f');
          e.line(`const ${x} = ${v}[${str(lowerCamel(f.name))}];`);
          this.store(f.type, x, `${ptr} + ${offsets[i]}`, cat(path, ` > field ${f.name}`));
        });
        return;
      }
      case 'tuple': {
        const { offsets } = fieldOffsets(t.types);
        t.types.forEach((x, i) => {
          const y = e.tmp('f');
          e.line(`const ${y} = ${v}[${i}];`);
          this.store(x, y, `${ptr} + ${offsets[i]}`, cat(path, `[${i}]`));
        });
        return;
      }
      case 'flags':
        e.line(`${storeInt(flagsSize(t.names.length), ptr, this.#flagBits(t.names, v))};`);
        return;
      case 'enum':
        e.line(`${storeInt(discriminantSize(t.names.length), ptr, this.#enumIndex(t.names, v))};`);
        return;
      case 'own': case 'borrow': {
        e.line(`C.dv.setUint32(${ptr}, ${this.#lowerHandle(t.kind, t.resource, v, path)}, true);`);
        return;
      }
      case 'variant': case 'option': case 'result': {
        const cases = variantCases(t);
        const dsize = discriminantSize(cases.length);
        const off = payloadOffset(cases);
        this.#switchCase(t, v, path, false, (index, payload, payloadValue, payloadPath) => {
          e.line(`${storeInt(dsize, ptr, String(index))};`);
          if (payload) this.store(payload, payloadValue, `${ptr} + ${off}`, payloadPath);
        });
        return;
      }
      case 'error-context': case 'future': case 'stream':
        throw new UnsupportedAbiType(`${t.kind} values`);
      default: assertNever(t, 'kind');
    }
  }

  // ---- lifting from flat values --------------------------------------------

  liftFlat(t: ValType, flats: readonly Flat[]): string {
    const queue = [...flats];
    const next = (want: FlatType): string => {
      const f = queue.shift();
      if (!f) throw new Error('flat values exhausted');
      return coerceLift(f, want);
    };
    return this.#liftFlat(t, next);
  }

  #liftFlat(t: ValType, next: (want: FlatType) => string): string {
    const e = this.#e;
    const x = e.tmp('v');
    switch (t.kind) {
      case 'bool': e.line(`const ${x} = ${next('i32')} !== 0;`); return x;
      case 'u8': e.line(`const ${x} = ${next('i32')} & 0xff;`); return x;
      case 's8': e.line(`const ${x} = (${next('i32')} << 24) >> 24;`); return x;
      case 'u16': e.line(`const ${x} = ${next('i32')} & 0xffff;`); return x;
      case 's16': e.line(`const ${x} = (${next('i32')} << 16) >> 16;`); return x;
      case 'u32': e.line(`const ${x} = ${next('i32')} >>> 0;`); return x;
      case 's32': e.line(`const ${x} = ${next('i32')} | 0;`); return x;
      case 'u64': e.line(`const ${x} = BigInt.asUintN(64, ${next('i64')});`); return x;
      case 's64': e.line(`const ${x} = BigInt.asIntN(64, ${next('i64')});`); return x;
      case 'f32': e.line(`const ${x} = ${next('f32')};`); return x;
      case 'f64': e.line(`const ${x} = ${next('f64')};`); return x;
      case 'char': e.line(`const ${x} = C.char(${next('i32')});`); return x;
      case 'string': case 'list': {
        const p = e.tmp('p');
        const l = e.tmp('l');
        e.line(`const ${p} = ${next('i32')} >>> 0, ${l} = ${next('i32')} >>> 0;`);
        return this.#liftSequence(t, p, l);
      }
      case 'record': {
        const fields = t.fields.map((f) => `${key(f.name)}: ${this.#liftFlat(f.type, next)}`);
        e.line(`const ${x} = { ${fields.join(', ')} };`);
        return x;
      }
      case 'tuple': {
        const items = t.types.map((y) => this.#liftFlat(y, next));
        e.line(`const ${x} = [${items.join(', ')}];`);
        return x;
      }
      case 'flags': return this.#liftFlags(t.names, next('i32'));
      case 'enum': return this.#liftEnum(t.names, next('i32'));
      case 'own': case 'borrow': e.line(`const ${x} = C.${this.#liftHandle(t.kind, t.resource)}(${next('i32')}, ${str(resourceKey(t.resource))});`); return x;
      case 'variant': case 'option': case 'result': {
        const cases = variantCases(t);
        const joined = flattenCases(cases);
        const d = e.tmp('d');
        e.line(`const ${d} = ${next('i32')} >>> 0;`);
        // All joined slots are consumed whatever the case; each case reads its prefix with coercion.
        const slots = joined.map((type) => {
          const s = e.tmp('j');
          e.line(`const ${s} = ${next(type)};`);
          return { expr: s, type };
        });
        return this.#liftCases(t, d, (payload) => {
          const queue = [...slots];
          return this.#liftFlat(payload, (want) => coerceLift(queue.shift()!, want));
        });
      }
      case 'error-context': case 'future': case 'stream':
        throw new UnsupportedAbiType(`${t.kind} values`);
      default: assertNever(t, 'kind');
    }
  }

  #liftSequence(t: ValType, p: string, l: string): string {
    const e = this.#e;
    const x = e.tmp('v');
    if (t.kind === 'string') {
      e.line(`const ${x} = C.liftStr(${p}, ${l});`);
      return x;
    }
    if (t.kind !== 'list') throw new Error('not a sequence');
    if (t.element.kind === 'u8') {
      e.line(`const ${x} = C.liftBytes(${p}, ${l});`);
      return x;
    }
    const size = elemSize(t.element);
    e.line(`C.checkList(${p}, ${l}, ${size}, ${alignment(t.element)}, ${Math.max(size, jsSize(t.element))});`);
    e.line(`const ${x} = new Array(${l});`);
    const i = e.tmp('i');
    e.block(`for (let ${i} = 0; ${i} < ${l}; ${i}++) {`, () => {
      e.line(`${x}[${i}] = ${this.load(t.element, `${p} + ${i} * ${size}`)};`);
    });
    return x;
  }

  #liftFlags(names: readonly string[], bits: string): string {
    const e = this.#e;
    const b = e.tmp('b');
    const x = e.tmp('v');
    e.line(`const ${b} = ${bits};`);
    e.line(`const ${x} = { ${names.map((n, i) => `${key(n)}: (${b} & ${2 ** i >>> 0}) !== 0`).join(', ')} };`);
    return x;
  }

  #liftEnum(names: readonly string[], index: string): string {
    const e = this.#e;
    const x = e.tmp('v');
    const d = e.tmp('d');
    e.line(`const ${d} = ${index} >>> 0;`);
    e.line(`if (${d} >= ${names.length}) C.badCase(${d}, ${names.length});`);
    e.line(`const ${x} = ${e.k(names)}[${d}];`);
    return x;
  }

  /** Builds the JS value of a variant-like type from its discriminant `d`. */
  #liftCases(t: ValType, d: string, liftPayload: (payload: ValType) => string): string {
    const e = this.#e;
    const cases = variantCases(t);
    const x = e.tmp('v');
    e.line(`let ${x};`);
    e.block(`switch (${d}) {`, () => {
      cases.forEach((c, i) => {
        e.block(`case ${i}: {`, () => {
          if (t.kind === 'option') {
            if (!c.type) e.line(`${x} = null;`);
            else {
              const inner = liftPayload(c.type);
              e.line(t.type.kind === 'option' ? `${x} = { tag: 'some', val: ${inner} };` : `${x} = ${inner};`);
            }
          } else if (c.type) {
            e.line(`${x} = { tag: ${str(c.name)}, val: ${liftPayload(c.type)} };`);
          } else {
            e.line(`${x} = { tag: ${str(c.name)} };`);
          }
          e.line('break;');
        });
      });
      e.line(`default: C.badCase(${d}, ${cases.length});`);
    });
    return x;
  }

  // ---- lifting from memory -------------------------------------------------

  load(t: ValType, at: string): string {
    const e = this.#e;
    const ptr = e.tmp('q');
    e.line(`const ${ptr} = ${at};`);
    const x = e.tmp('v');
    switch (t.kind) {
      case 'bool': e.line(`const ${x} = C.u8[${ptr}] !== 0;`); return x;
      case 'u8': e.line(`const ${x} = C.u8[${ptr}];`); return x;
      case 's8': e.line(`const ${x} = C.dv.getInt8(${ptr});`); return x;
      case 'u16': e.line(`const ${x} = C.dv.getUint16(${ptr}, true);`); return x;
      case 's16': e.line(`const ${x} = C.dv.getInt16(${ptr}, true);`); return x;
      case 'u32': e.line(`const ${x} = C.dv.getUint32(${ptr}, true);`); return x;
      case 's32': e.line(`const ${x} = C.dv.getInt32(${ptr}, true);`); return x;
      case 'u64': e.line(`const ${x} = C.dv.getBigUint64(${ptr}, true);`); return x;
      case 's64': e.line(`const ${x} = C.dv.getBigInt64(${ptr}, true);`); return x;
      case 'f32': e.line(`const ${x} = C.dv.getFloat32(${ptr}, true);`); return x;
      case 'f64': e.line(`const ${x} = C.dv.getFloat64(${ptr}, true);`); return x;
      case 'char': e.line(`const ${x} = C.char(C.dv.getUint32(${ptr}, true));`); return x;
      case 'string': case 'list': {
        const p = e.tmp('p');
        const l = e.tmp('l');
        e.line(`const ${p} = C.dv.getUint32(${ptr}, true), ${l} = C.dv.getUint32(${ptr} + 4, true);`);
        return this.#liftSequence(t, p, l);
      }
      case 'record': {
        const { offsets } = fieldOffsets(t.fields.map((f) => f.type));
        const fields = t.fields.map((f, i) => `${key(f.name)}: ${this.load(f.type, `${ptr} + ${offsets[i]}`)}`);
        e.line(`const ${x} = { ${fields.join(', ')} };`);
        return x;
      }
      case 'tuple': {
        const { offsets } = fieldOffsets(t.types);
        const items = t.types.map((y, i) => this.load(y, `${ptr} + ${offsets[i]}`));
        e.line(`const ${x} = [${items.join(', ')}];`);
        return x;
      }
      case 'flags': return this.#liftFlags(t.names, loadInt(flagsSize(t.names.length), ptr));
      case 'enum': return this.#liftEnum(t.names, loadInt(discriminantSize(t.names.length), ptr));
      case 'own': case 'borrow': e.line(`const ${x} = C.${this.#liftHandle(t.kind, t.resource)}(C.dv.getUint32(${ptr}, true), ${str(resourceKey(t.resource))});`); return x;
      case 'variant': case 'option': case 'result': {
        const cases = variantCases(t);
        const d = e.tmp('d');
        e.line(`const ${d} = ${loadInt(discriminantSize(cases.length), ptr)};`);
        const off = payloadOffset(cases);
        return this.#liftCases(t, d, (payload) => this.load(payload, `${ptr} + ${off}`));
      }
      case 'error-context': case 'future': case 'stream':
        throw new UnsupportedAbiType(`${t.kind} values`);
      default: assertNever(t, 'kind');
    }
  }
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
function key(n: string): string {
  const name = lowerCamel(n);
  return name === '__proto__' ? `[${str(name)}]` : str(name);
}

function storeInt(size: 1 | 2 | 4, ptr: string, value: string): string {
  if (size === 1) return `C.u8[${ptr}] = ${value}`;
  return size === 2 ? `C.dv.setUint16(${ptr}, ${value}, true)` : `C.dv.setUint32(${ptr}, ${value}, true)`;
}

function loadInt(size: 1 | 2 | 4, ptr: string): string {
  if (size === 1) return `C.u8[${ptr}]`;
  return size === 2 ? `C.dv.getUint16(${ptr}, true)` : `C.dv.getUint32(${ptr}, true)`;
}

/** A case's own flat value → the variant's joined slot type (CanonicalABI lower_flat_variant). */
function coerceLower(f: Flat, want: FlatType): string {
  if (f.type === want) return f.expr;
  if (f.type === 'f32' && want === 'i32') return `F.f32ToI32(${f.expr})`;
  if (f.type === 'i32' && want === 'i64') return `BigInt(${f.expr} >>> 0)`;
  if (f.type === 'f32' && want === 'i64') return `BigInt(F.f32ToI32(${f.expr}) >>> 0)`;
  if (f.type === 'f64' && want === 'i64') return `F.f64ToI64(${f.expr})`;
  throw new Error(`cannot coerce ${f.type} to ${want}`);
}

/** A joined slot → the type a case wants (CanonicalABI lift_flat_variant's CoerceValueIter). */
function coerceLift(f: Flat, want: FlatType): string {
  if (f.type === want) return f.expr;
  if (f.type === 'i32' && want === 'f32') return `F.i32ToF32(${f.expr})`;
  if (f.type === 'i64' && want === 'i32') return `Number(BigInt.asIntN(32, ${f.expr}))`;
  if (f.type === 'i64' && want === 'f32') return `F.i32ToF32(Number(BigInt.asIntN(32, ${f.expr})))`;
  if (f.type === 'i64' && want === 'f64') return `F.i64ToF64(${f.expr})`;
  throw new Error(`cannot coerce ${f.type} to ${want}`);
}
