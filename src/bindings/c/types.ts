/**
 * C declarations for WIT value types. Every C type is laid out exactly as the
 * canonical ABI lays the WIT type out in linear memory on wasm32 (records as
 * structs, variants as a tag plus a union, lists and strings as pointer +
 * length), so values in memory — spilled arguments, results, list elements —
 * are read and written in place, never converted. The generated source checks
 * each size and alignment against layout.ts with `_Static_assert`.
 */
import { ErrorCodes, WitplugError } from '../../errors.js';
import type { ResourceType, ValType } from '../../component/types.js';
import { alignment, discriminantSize, elemSize, flagsSize } from '../../runtime/abi/layout.js';
import { assertNever } from '../../util/assert-never.js';
import { interfacePrefix, snake, snakePart, upper } from './names.js';

/** Kinds passed and returned by value; every other kind goes by pointer. */
export function byValue(t: ValType): boolean {
  switch (t.kind) {
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
    case 'f32': case 'f64': case 'char': case 'enum': case 'flags': case 'own': case 'borrow': return true;
    case 'string': case 'list': case 'record': case 'tuple': case 'variant': case 'option': case 'result':
    case 'error-context': case 'future': case 'stream': return false;
    default: return assertNever(t, 'value type kind');
  }
}

/** Whether a value of `t` owns heap memory (strings and lists, directly or inside). */
export function ownsMemory(t: ValType): boolean {
  switch (t.kind) {
    case 'string': case 'list': return true;
    case 'record': return t.fields.some((f) => ownsMemory(f.type));
    case 'tuple': return t.types.some(ownsMemory);
    case 'variant': return t.cases.some((c) => c.type !== null && ownsMemory(c.type));
    case 'option': return ownsMemory(t.type);
    case 'result': return (t.ok !== null && ownsMemory(t.ok)) || (t.err !== null && ownsMemory(t.err));
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
    case 'f32': case 'f64': case 'char': case 'enum': case 'flags': case 'own': case 'borrow':
    case 'error-context': case 'future': case 'stream': return false;
    default: return assertNever(t, 'value type kind');
  }
}

const unsupported = (what: string): WitplugError =>
  new WitplugError(ErrorCodes.UNSUPPORTED, `the C bindings generator does not support ${what}`);

/** Where a named type was declared. */
export interface TypeOwner { readonly prefix: string; readonly alias?: string }

const uintOfSize = (n: 1 | 2 | 4): string => (n === 1 ? 'uint8_t' : n === 2 ? 'uint16_t' : 'uint32_t');

export class CTypes {
  /** Type declarations for the header, dependencies first. */
  readonly declarations: string[] = [];
  /** Prototypes of the free/init helpers (header) and their definitions (source). */
  readonly helperPrototypes: string[] = [];
  readonly helperDefinitions: string[] = [];
  /** `_Static_assert`s of every declared type's layout (source). */
  readonly layoutChecks: string[] = [];
  /** Resources whose owned handles appear in the world → their `own` handle type, for drop wrappers. */
  readonly resources = new Map<ResourceType, { readonly own: string; readonly base: string }>();
  readonly #names = new Map<ValType, string>();
  readonly #byName = new Map<string, string>();

  /**
   * @param world the world's C prefix (`gateway_plugin`)
   * @param owners the C prefix of the interface declaring each named type, and the
   *   alias a list, option, result or tuple was declared under (`type pad = tuple<…>`)
   */
  constructor(readonly world: string, private readonly owners: ReadonlyMap<ValType | ResourceType, TypeOwner>) {
    this.#check(`${world}_string_t`, 'string', { kind: 'string' });
  }

  /** The C type of a WIT value type, declaring it (and what it uses) on first use. */
  name(t: ValType): string {
    switch (t.kind) {
      case 'bool': return 'bool';
      case 's8': case 's16': case 's32': case 's64': return `int${t.kind.slice(1)}_t`;
      case 'u8': case 'u16': case 'u32': case 'u64': return `uint${t.kind.slice(1)}_t`;
      case 'f32': return 'float';
      case 'f64': return 'double';
      case 'char': return 'uint32_t';
      case 'string': return `${this.world}_string_t`;
      case 'error-context': case 'future': case 'stream': throw unsupported(`${t.kind} values`);
      case 'record': case 'variant': case 'enum': case 'flags': case 'tuple': case 'list': case 'option': case 'result':
      case 'own': case 'borrow':
        return this.#declared(t);
      default: return assertNever(t, 'value type kind');
    }
  }

  /** The base name (without `_t`) a declared type gets. */
  #base(t: ValType): string {
    if ((t.kind === 'record' || t.kind === 'variant' || t.kind === 'enum' || t.kind === 'flags') && t.name !== undefined) {
      return `${this.owners.get(t)?.prefix ?? this.world}_${snakePart(t.name)}`;
    }
    if (t.kind === 'own' || t.kind === 'borrow') return this.#resourceBase(t.resource, t.kind);
    const alias = this.owners.get(t);
    if (alias?.alias !== undefined) return `${alias.prefix}_${snakePart(alias.alias)}`;
    return `${this.world}_${this.#mangle(t)}`;
  }

  /** A name part for an anonymous type, from its structure (`list_string`, `option_u32`). */
  #mangle(t: ValType): string {
    switch (t.kind) {
      case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
      case 'f32': case 'f64': case 'string': return t.kind;
      case 'char': return 'char32';
      case 'list':
        if (t.length !== undefined) throw unsupported('fixed-length lists');
        return this.#aliased(t) ?? `list_${this.#mangle(t.element)}`;
      case 'option': return this.#aliased(t) ?? `option_${this.#mangle(t.type)}`;
      case 'result': return this.#aliased(t) ?? `result_${t.ok ? this.#mangle(t.ok) : 'void'}_${t.err ? this.#mangle(t.err) : 'void'}`;
      case 'tuple': return this.#aliased(t) ?? `tuple${t.types.length}_${t.types.map((x) => this.#mangle(x)).join('_')}`;
      case 'own': case 'borrow': return this.#resourceBase(t.resource, t.kind);
      case 'record': case 'variant': case 'enum': case 'flags':
        if (t.name !== undefined) return this.#base(t);
        throw unsupported(`an anonymous ${t.kind}`);
      case 'error-context': case 'future': case 'stream': throw unsupported(`${t.kind} values`);
      default: return assertNever(t, 'value type kind');
    }
  }

  /** The name part of a list, option, result or tuple declared as `type name = …`. */
  #aliased(t: ValType): string | undefined {
    const owner = this.owners.get(t);
    return owner?.alias === undefined ? undefined : `${owner.prefix}_${snakePart(owner.alias)}`;
  }

  /** A resource is named after the interface that defines it, wherever it is first seen. */
  #resourcePrefix(r: ResourceType): string {
    return r.interfaceName === '' ? this.world : interfacePrefix(r.interfaceName);
  }

  /** `witplug_x_files_own_file`: the handle type's base name (as wit-bindgen's C generator names it). */
  #resourceBase(r: ResourceType, kind: 'own' | 'borrow'): string {
    return `${this.#resourcePrefix(r)}_${kind}_${snakePart(r.name)}`;
  }

  /** Two different WIT types must never end up under one C name. */
  #check(cName: string, key: string, t: ValType): boolean {
    const known = this.#byName.get(cName);
    if (known !== undefined && known !== key) {
      throw new WitplugError(ErrorCodes.CONTRACT, `two different WIT types map to the C name ${cName}`);
    }
    this.#byName.set(cName, key);
    this.#names.set(t, cName);
    return known !== undefined;
  }

  #declared(t: ValType): string {
    const hit = this.#names.get(t);
    if (hit !== undefined) return hit;
    const base = this.#base(t);
    const cName = `${base}_t`;
    const key = JSON.stringify(t, (k, v: unknown) => (k === 'resource' ? `${(v as ResourceType).interfaceName}#${(v as ResourceType).name}` : v));
    if (this.#check(cName, key, t)) return cName;
    const body = this.#body(t, base, cName);
    this.declarations.push(body);
    this.layoutChecks.push(`_Static_assert(sizeof(${cName}) == ${elemSize(t)} && _Alignof(${cName}) == ${alignment(t)}, "${cName} layout");`);
    this.#helpers(t, base, cName);
    return cName;
  }

  #body(t: ValType, base: string, cName: string): string {
    const struct = (members: readonly string[]): string => `typedef struct ${cName.slice(0, -2)} {\n${members.map((m) => `  ${m}\n`).join('')}} ${cName};`;
    const constants = (names: readonly string[], value: (i: number) => string): string =>
      names.map((n, i) => `#define ${upper(`${base}_${snakePart(n)}`)} ${value(i)}`).join('\n');
    switch (t.kind) {
      case 'record':
        return struct(t.fields.map((f) => `${this.name(f.type)} ${snake(f.name)};`));
      case 'tuple':
        return struct(t.types.map((x, i) => `${this.name(x)} f${i};`));
      case 'list':
        return struct([`${this.name(t.element)} *ptr;`, 'size_t len;']);
      case 'option':
        return struct(['bool is_some;', `${this.name(t.type)} val;`]);
      case 'result': {
        const members = [...(t.ok ? [`${this.name(t.ok)} ok;`] : []), ...(t.err ? [`${this.name(t.err)} err;`] : [])];
        return struct(['bool is_err;', ...(members.length ? [`union {\n    ${members.join('\n    ')}\n  } val;`] : [])]);
      }
      case 'variant': {
        const members = t.cases.filter((c) => c.type !== null).map((c) => `${this.name(c.type!)} ${snake(c.name)};`);
        const tag = uintOfSize(discriminantSize(t.cases.length));
        const decl = struct([`${tag} tag;`, ...(members.length ? [`union {\n    ${members.join('\n    ')}\n  } val;`] : [])]);
        return `${decl}\n${constants(t.cases.map((c) => c.name), String)}`;
      }
      case 'enum':
        return `typedef ${uintOfSize(discriminantSize(t.names.length))} ${cName};\n${constants(t.names, String)}`;
      case 'flags':
        return `typedef ${uintOfSize(flagsSize(t.names.length))} ${cName};\n${constants(t.names, (i) => `(1u << ${i})`)}`;
      case 'own': case 'borrow':
        if (t.kind === 'own') this.resources.set(t.resource, { own: cName, base: `${this.#resourcePrefix(t.resource)}_${snakePart(t.resource.name)}` });
        return struct(['int32_t handle;']);
      case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
      case 'f32': case 'f64': case 'char': case 'string': case 'error-context': case 'future': case 'stream':
        throw new WitplugError(ErrorCodes.INTERNAL, `${t.kind} has no declaration`);
      default: return assertNever(t, 'value type kind');
    }
  }

  /** `T_free` for types owning memory, and `T_init` for lists. */
  #helpers(t: ValType, base: string, cName: string): void {
    if (t.kind === 'list') {
      const elem = this.name(t.element);
      this.helperPrototypes.push(`/** Points \`ret\` at \`len\` zeroed elements, allocated with ${this.world}_alloc. */\nvoid ${base}_init(${cName} *ret, size_t len);`);
      this.helperDefinitions.push(
        `void ${base}_init(${cName} *ret, size_t len) {\n` +
        `  ret->ptr = (${elem} *)${this.world}_alloc_zeroed(len * sizeof(${elem}), _Alignof(${elem}));\n  ret->len = len;\n}`,
      );
    }
    if (!ownsMemory(t)) return;
    this.helperPrototypes.push(`/** Frees what \`ptr\` owns (not \`ptr\` itself). */\nvoid ${base}_free(${cName} *ptr);`);
    this.helperDefinitions.push(`void ${base}_free(${cName} *ptr) {\n${this.#freeBody(t).map((l) => `  ${l}\n`).join('')}}`);
  }

  /** The statement freeing what the value at `ptr` (a pointer expression) owns, or none. */
  freeStatement(t: ValType, ptr: string): string[] {
    if (!ownsMemory(t)) return [];
    if (t.kind === 'string') return [`${this.world}_string_free(${ptr});`];
    return [`${this.#declared(t).slice(0, -2)}_free(${ptr});`];
  }

  #freeBody(t: ValType): string[] {
    switch (t.kind) {
      case 'record': return t.fields.flatMap((f) => this.freeStatement(f.type, `&ptr->${snake(f.name)}`));
      case 'tuple': return t.types.flatMap((x, i) => this.freeStatement(x, `&ptr->f${i}`));
      case 'list': {
        const each = this.freeStatement(t.element, '&ptr->ptr[i]');
        return [...(each.length ? [`for (size_t i = 0; i < ptr->len; i++) ${each[0]}`] : []), `if (ptr->len > 0) ${this.world}_dealloc(ptr->ptr);`];
      }
      case 'option': return [`if (ptr->is_some) ${this.freeStatement(t.type, '&ptr->val')[0]}`];
      case 'result': {
        const ok = t.ok ? this.freeStatement(t.ok, '&ptr->val.ok') : [];
        const err = t.err ? this.freeStatement(t.err, '&ptr->val.err') : [];
        return [`if (ptr->is_err) {${err.length ? ` ${err[0]} ` : ''}} else {${ok.length ? ` ${ok[0]} ` : ''}}`];
      }
      case 'variant': {
        const cases = t.cases.flatMap((c, i) => {
          const free = c.type ? this.freeStatement(c.type, `&ptr->val.${snake(c.name)}`) : [];
          return free.length ? [`  case ${i}: ${free[0]} break;`] : [];
        });
        return ['switch (ptr->tag) {', ...cases, '  default: break;', '}'];
      }
      case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
      case 'f32': case 'f64': case 'char': case 'enum': case 'flags': case 'own': case 'borrow': case 'string':
      case 'error-context': case 'future': case 'stream': return [];
      default: return assertNever(t, 'value type kind');
    }
  }
}
