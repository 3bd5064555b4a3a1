/**
 * Lowering of validated values, as generated JavaScript: to flat core values
 * and into guest memory (CanonicalABI.md's lower_flat and store), from
 * witplug's JS value convention. Lowering assumes the checks
 * (check-values.ts) passed and checks nothing itself.
 */
import type { ValType, ResourceType } from '../../component/types.js';
import { lowerCamel } from '../../component/names.js';
import {
  alignment, elemSize, fieldOffsets, flattenCases, payloadOffset, variantCases, discriminantSize, flagsSize, UnsupportedAbiType,
} from './layout.js';
import { resourceKey, str, cat, type Emitter, type Flat, type PathExpr, type ResourceOwner } from './emit.js';
import { scalar, switchCase, storeInt, coerceLower } from './value-code.js';
import { assertNever } from '../../util/assert-never.js';

export class LowerGenerator {
  readonly #e: Emitter;
  readonly #ownerOf: ResourceOwner;
  constructor(e: Emitter, ownerOf: ResourceOwner) {
    this.#e = e;
    this.#ownerOf = ownerOf;
  }

  /**
   * The expression lowering a validated handle: the plugin's own resources go
   * back as reps (borrow) or move into its table (own), host objects get handles.
   */
  #lowerHandle(kind: 'own' | 'borrow', r: ResourceType, v: string, path: PathExpr): string {
    const owner = this.#ownerOf(r);
    const key = str(resourceKey(r));
    if (owner === 'plugin') return kind === 'own' ? `R.moveOwn(${v}, ${key})` : `${v}.rep`;
    if (owner === 'host') return `R.${kind === 'own' ? 'hostOwn' : 'lendHost'}(${v}, ${key}, ${path})`;
    throw new UnsupportedAbiType(`resource ${r.name} is neither exported by the plugin nor provided by the host`);
  }

  // ---- lowering to flat values (validated input) ----------------------------

  /** `path` is only used by host-handle lowering (for its error message). */
  lowerFlat(t: ValType, v: string, path: PathExpr): Flat[] {
    const e = this.#e;
    switch (t.kind) {
      case 'bool': case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32': case 'char':
        return [{ expr: scalar(t, v), type: 'i32' }];
      case 'u64': case 's64': return [{ expr: scalar(t, v), type: 'i64' }];
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
        switchCase(e, t, v, path, false, (index, payload, payloadValue, payloadPath) => {
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
      e.line(`const ${p} = M.str(${v}), ${l} = M.len;`);
      return [p, l];
    }
    if (t.kind !== 'list') throw new Error('not a sequence');
    const elem = t.element;
    if (elem.kind === 'u8') {
      e.line(`const ${p} = M.bytes(${v}), ${l} = ${v}.length;`);
      return [p, l];
    }
    const size = elemSize(elem);
    e.line(`const ${l} = ${v}.length, ${p} = M.alloc(${alignment(elem)}, ${l} * ${size});`);
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

  // ---- lowering into memory (validated input) -------------------------------

  store(t: ValType, v: string, at: string, path: PathExpr): void {
    const e = this.#e;
    const ptr = e.tmp('s');
    e.line(`const ${ptr} = ${at};`);
    switch (t.kind) {
      case 'bool': case 'u8': case 's8':
        e.line(`M.u8[${ptr}] = ${scalar(t, v)};`);
        return;
      case 'u16': e.line(`M.dv.setUint16(${ptr}, ${v}, true);`); return;
      case 's16': e.line(`M.dv.setInt16(${ptr}, ${v}, true);`); return;
      case 'u32': case 'char': e.line(`M.dv.setUint32(${ptr}, ${scalar(t, v)}, true);`); return;
      case 's32': e.line(`M.dv.setInt32(${ptr}, ${v}, true);`); return;
      case 'u64': e.line(`M.dv.setBigUint64(${ptr}, ${scalar(t, v)}, true);`); return;
      case 's64': e.line(`M.dv.setBigInt64(${ptr}, ${scalar(t, v)}, true);`); return;
      case 'f32': e.line(`M.dv.setFloat32(${ptr}, ${v}, true);`); return;
      case 'f64': e.line(`M.dv.setFloat64(${ptr}, ${v}, true);`); return;
      case 'string': case 'list': {
        const [p, l] = this.#lowerSequence(t, v, path);
        e.line(`M.dv.setUint32(${ptr}, ${p}, true); M.dv.setUint32(${ptr} + 4, ${l}, true);`);
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
        e.line(`M.dv.setUint32(${ptr}, ${this.#lowerHandle(t.kind, t.resource, v, path)}, true);`);
        return;
      }
      case 'variant': case 'option': case 'result': {
        const cases = variantCases(t);
        const dsize = discriminantSize(cases.length);
        const off = payloadOffset(cases);
        switchCase(e, t, v, path, false, (index, payload, payloadValue, payloadPath) => {
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
}
