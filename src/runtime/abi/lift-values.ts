/**
 * Lifting of values the guest hands back, as generated JavaScript: from flat
 * core values and out of guest memory (CanonicalABI.md's lift_flat and load),
 * into witplug's JS value convention. What the guest hands back is checked
 * (bounds, discriminants, code points, handles, the output budget).
 */
import type { ValType, ResourceType } from '../../component/types.js';
import {
  alignment, elemSize, fieldOffsets, flattenCases, payloadOffset, variantCases, discriminantSize, flagsSize, UnsupportedAbiType, type FlatType,
} from './layout.js';
import { resourceKey, str, type Emitter, type Flat, type ResourceOwner } from './emit.js';
import { key, loadInt, coerceLift, jsSize } from './value-code.js';
import { assertNever } from '../../util/assert-never.js';

export class LiftGenerator {
  readonly #e: Emitter;
  readonly #ownerOf: ResourceOwner;
  constructor(e: Emitter, ownerOf: ResourceOwner) {
    this.#e = e;
    this.#ownerOf = ownerOf;
  }

  /** The handle table method lifting a handle the plugin passed out. */
  #liftHandle(kind: 'own' | 'borrow', r: ResourceType): string {
    const owner = this.#ownerOf(r);
    if (owner === 'plugin' && kind === 'own') return 'liftOwn';
    if (owner === 'host') return kind === 'own' ? 'liftHostOwn' : 'liftHostBorrow';
    throw new UnsupportedAbiType(`lifting ${kind}<${r.name}> here`);
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
      case 'char': e.line(`const ${x} = M.char(${next('i32')});`); return x;
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
      case 'own': case 'borrow': e.line(`const ${x} = R.${this.#liftHandle(t.kind, t.resource)}(${next('i32')}, ${str(resourceKey(t.resource))});`); return x;
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
      e.line(`const ${x} = M.liftStr(${p}, ${l});`);
      return x;
    }
    if (t.kind !== 'list') throw new Error('not a sequence');
    if (t.element.kind === 'u8') {
      e.line(`const ${x} = M.liftBytes(${p}, ${l});`);
      return x;
    }
    const size = elemSize(t.element);
    e.line(`M.checkList(${p}, ${l}, ${size}, ${alignment(t.element)}, ${Math.max(size, jsSize(t.element))});`);
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
    e.line(`if (${d} >= ${names.length}) M.badCase(${d}, ${names.length});`);
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
      e.line(`default: M.badCase(${d}, ${cases.length});`);
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
      case 'bool': e.line(`const ${x} = M.u8[${ptr}] !== 0;`); return x;
      case 'u8': e.line(`const ${x} = M.u8[${ptr}];`); return x;
      case 's8': e.line(`const ${x} = M.dv.getInt8(${ptr});`); return x;
      case 'u16': e.line(`const ${x} = M.dv.getUint16(${ptr}, true);`); return x;
      case 's16': e.line(`const ${x} = M.dv.getInt16(${ptr}, true);`); return x;
      case 'u32': e.line(`const ${x} = M.dv.getUint32(${ptr}, true);`); return x;
      case 's32': e.line(`const ${x} = M.dv.getInt32(${ptr}, true);`); return x;
      case 'u64': e.line(`const ${x} = M.dv.getBigUint64(${ptr}, true);`); return x;
      case 's64': e.line(`const ${x} = M.dv.getBigInt64(${ptr}, true);`); return x;
      case 'f32': e.line(`const ${x} = M.dv.getFloat32(${ptr}, true);`); return x;
      case 'f64': e.line(`const ${x} = M.dv.getFloat64(${ptr}, true);`); return x;
      case 'char': e.line(`const ${x} = M.char(M.dv.getUint32(${ptr}, true));`); return x;
      case 'string': case 'list': {
        const p = e.tmp('p');
        const l = e.tmp('l');
        e.line(`const ${p} = M.dv.getUint32(${ptr}, true), ${l} = M.dv.getUint32(${ptr} + 4, true);`);
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
      case 'own': case 'borrow': e.line(`const ${x} = R.${this.#liftHandle(t.kind, t.resource)}(M.dv.getUint32(${ptr}, true), ${str(resourceKey(t.resource))});`); return x;
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
