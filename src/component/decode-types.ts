/**
 * Decoding of component-model type definitions, extern types and aliases
 * into the index spaces of a `Scope` (see defs.ts).
 */
import type { Case, Field, FuncType, Param, PrimitiveKind, ResourceType, ValType } from './types.js';
import type { Reader } from './reader.js';
import { WitplugError } from '../errors.js';
import { skipCoreDefType, skipCoreValType } from './core-skip.js';
import { isExternName, isLabel } from './labels.js';
import {
  type Budget, type ComponentDef, type Def, type Ext, type InstanceDef, type Scope,
  MAX_SCOPE_DEPTH, asVariable, checked, levelOf, sealed, sealedCopy, checkedFunc, freshResource, nameDef, newScope, sameMeasure,
} from './defs.js';
import { Subst } from './subst.js';
import { assertNever } from '../util/assert-never.js';

const PRIMS: Record<number, PrimitiveKind> = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32',
  0x78: 's64', 0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string', 0x64: 'error-context',
};

// One shared object per primitive keeps the model small and comparisons cheap.
const primCache = new Map<PrimitiveKind, ValType>();
export function prim(kind: PrimitiveKind): ValType {
  let t = primCache.get(kind);
  if (!t) primCache.set(kind, (t = { kind }));
  return t;
}

export type SortName = 'core' | 'func' | 'value' | 'type' | 'component' | 'instance';

export function readSort(r: Reader): { sort: SortName; core?: number } {
  const at = r.pos;
  const b = r.u8();
  switch (b) {
    case 0x00: return { sort: 'core', core: r.u8() };
    case 0x01: return { sort: 'func' };
    case 0x02: return { sort: 'value' };
    case 0x03: return { sort: 'type' };
    case 0x04: return { sort: 'component' };
    case 0x05: return { sort: 'instance' };
    default: return r.fail(`unknown sort 0x${b.toString(16)}`, at);
  }
}

function at<T>(r: Reader, space: readonly T[], idx: number, what: string, pos: number): T {
  if (idx >= space.length) r.fail(`${what} index ${idx} out of range (${space.length} defined)`, pos);
  return space[idx]!;
}

export function typeAt(r: Reader, scope: Scope, idx: number, pos: number): Def {
  return at(r, scope.types, idx, 'type', pos);
}

function valDef(r: Reader, scope: Scope, idx: number, pos: number): ValType {
  const d = typeAt(r, scope, idx, pos);
  if (d.d !== 'val') r.fail(`type index ${idx} is not a value type`, pos);
  return d.t;
}

function resourceAt(r: Reader, scope: Scope, idx: number, pos: number): ResourceType {
  const d = typeAt(r, scope, idx, pos);
  if (d.d !== 'resource') r.fail(`type index ${idx} is not a resource type`, pos);
  return d.r;
}

export function readValType(r: Reader, scope: Scope): ValType {
  const pos = r.pos;
  const v = r.sleb(33);
  if (v < 0n) {
    const kind = PRIMS[Number(v) + 0x80];
    if (!kind) r.fail(`unknown primitive value type ${v}`, pos);
    return prim(kind);
  }
  if (v > 0xffffffffn) r.fail('type index out of range', pos);
  return valDef(r, scope, Number(v), pos);
}

function readOptVal(r: Reader, scope: Scope): ValType | null {
  const b = r.u8();
  if (b === 0x00) return null;
  if (b === 0x01) return readValType(r, scope);
  return r.fail('bad option byte', r.pos - 1);
}

/**
 * A `labellit`: refused unless it is a WIT label (labels become JS property
 * keys and appear in generated code; only kebab-case ASCII may get there).
 */
function label(r: Reader, what: string, i: number): string {
  const at = r.pos;
  const l = r.name();
  if (!isLabel(l)) r.fail(`${what} #${i} name ${JSON.stringify(l.length > 64 ? `${l.slice(0, 64)}…` : l)} is not a WIT label (kebab-case ASCII words, starting with a letter)`, at);
  return l;
}

function labels(r: Reader, what: string, pos: number): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (let n = r.vecLen(), i = 0; i < n; i++) {
    const l = label(r, what, i);
    if (seen.has(l)) r.fail(`duplicate ${what} name '${l}'`, pos);
    seen.add(l);
    names.push(l);
  }
  return names;
}

function readDefValType(r: Reader, scope: Scope, op: number, pos: number): ValType {
  switch (op) {
    case 0x72: {
      const fields: Field[] = [];
      for (let n = r.vecLen(2), i = 0; i < n; i++) fields.push({ name: label(r, 'record field', i), type: readValType(r, scope) });
      if (fields.length === 0) r.fail('record with no fields', pos);
      return checked({ kind: 'record', fields }, fields.map((f) => f.type), pos);
    }
    case 0x71: {
      const cases: Case[] = [];
      for (let n = r.vecLen(3), i = 0; i < n; i++) {
        const name = label(r, 'variant case', i);
        const type = readOptVal(r, scope);
        if (r.u8() !== 0x00) r.fail('variant case refinement is not supported', r.pos - 1);
        cases.push({ name, type });
      }
      if (cases.length === 0) r.fail('variant with no cases', pos);
      return checked({ kind: 'variant', cases }, cases.map((c) => c.type), pos);
    }
    case 0x70: {
      const element = readValType(r, scope);
      return checked({ kind: 'list', element }, [element], pos);
    }
    case 0x67: {
      const element = readValType(r, scope);
      const length = r.u32();
      if (length === 0) r.fail('fixed-length list of length 0', pos);
      return checked({ kind: 'list', element, length }, [element], pos);
    }
    case 0x6f: {
      const types: ValType[] = [];
      for (let n = r.vecLen(), i = 0; i < n; i++) types.push(readValType(r, scope));
      if (types.length === 0) r.fail('empty tuple', pos);
      return checked({ kind: 'tuple', types }, types, pos);
    }
    case 0x6e: {
      const names = labels(r, 'flag', pos);
      if (names.length === 0 || names.length > 32) r.fail(`flags must have 1..32 names, found ${names.length}`, pos);
      return checked({ kind: 'flags', names }, [], pos);
    }
    case 0x6d: {
      const names = labels(r, 'enum case', pos);
      if (names.length === 0) r.fail('enum with no cases', pos);
      return checked({ kind: 'enum', names }, [], pos);
    }
    case 0x6b: {
      const type = readValType(r, scope);
      return checked({ kind: 'option', type }, [type], pos);
    }
    case 0x6a: {
      const ok = readOptVal(r, scope);
      const err = readOptVal(r, scope);
      return checked({ kind: 'result', ok, err }, [ok, err], pos);
    }
    case 0x69:
    case 0x68: {
      const ipos = r.pos;
      const resource = resourceAt(r, scope, r.u32(), ipos);
      return checked({ kind: op === 0x69 ? 'own' : 'borrow', resource }, [], pos, levelOf(resource));
    }
    case 0x66:
    case 0x65: {
      const type = readOptVal(r, scope);
      return checked({ kind: op === 0x66 ? 'stream' : 'future', type }, [type], pos);
    }
    case 0x63:
      // Valid (Binary.md), but no canonical ABI, WIT parser or value mapping of witplug handles it yet.
      throw new WitplugError('UNSUPPORTED', `map<K, V> types are not supported by witplug (at byte offset ${pos})`);
    default: {
      const kind = PRIMS[op];
      if (!kind) r.fail(`unknown type opcode 0x${op.toString(16)}`, pos);
      return prim(kind);
    }
  }
}

function readFuncType(r: Reader, scope: Scope, async: boolean, pos: number): FuncType {
  const params: Param[] = [];
  const seen = new Set<string>();
  for (let n = r.vecLen(2), i = 0; i < n; i++) {
    const name = label(r, 'parameter', i);
    if (seen.has(name)) r.fail(`duplicate parameter name '${name}'`, pos);
    seen.add(name);
    params.push({ name, type: readValType(r, scope) });
  }
  let result: ValType | null = null;
  const rb = r.u8();
  if (rb === 0x00) result = readValType(r, scope);
  else if (rb !== 0x01 || r.u8() !== 0x00) r.fail('bad function result list', r.pos - 1);
  const f: FuncType = async ? { kind: 'func', params, result, async: true } : { kind: 'func', params, result };
  return checkedFunc(f, pos);
}

/** `deftype`: a value type, function, component, instance or resource type. */
export function readDefType(r: Reader, scope: Scope, budget: Budget): Def {
  const pos = r.pos;
  budget.spend(1, pos);
  const op = r.u8();
  switch (op) {
    case 0x40:
    case 0x43:
      return { d: 'func', t: readFuncType(r, scope, op === 0x43, pos) };
    case 0x41:
      return { d: 'component', t: readComponentType(r, scope, budget, pos) };
    case 0x42:
      return { d: 'instance', t: readInstanceType(r, scope, budget, pos) };
    case 0x3f: {
      skipCoreValType(r);
      const dtor = r.u8();
      if (dtor === 0x01) r.u32();
      else if (dtor !== 0x00) r.fail('bad resource destructor option', r.pos - 1);
      return { d: 'resource', r: freshResource('', scope.depth) };
    }
    default: {
      const t = readDefValType(r, scope, op, pos);
      budget.spend(memberCount(t), pos);
      return { d: 'val', t };
    }
  }
}

/** Fields, cases, names or element types a type definition lists (what reading and checking it visited). */
function memberCount(t: ValType): number {
  switch (t.kind) {
    case 'record': return t.fields.length;
    case 'variant': return t.cases.length;
    case 'tuple': return t.types.length;
    case 'enum': case 'flags': return t.names.length;
    case 'list': case 'option': case 'result': case 'own': case 'borrow': case 'future': case 'stream':
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
    case 'f32': case 'f64': case 'char': case 'string': case 'error-context':
      return 0;
    default: return assertNever(t, 'value type kind');
  }
}

/** `nameattributes`: the extern name (attributes such as `implements` are read and dropped). */
export function readExternName(r: Reader): string {
  const pos = r.pos;
  const tag = r.u8();
  if (tag > 0x02) r.fail(`unknown extern name encoding 0x${tag.toString(16)}`, pos);
  const at = r.pos;
  const name = r.name();
  if (!isExternName(name)) {
    r.fail(`import/export name ${JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name)} is neither a WIT label, a [constructor]/[method]/[static] name nor an interface name (ns:pkg/iface@version)`, at);
  }
  if (tag === 0x02) {
    for (let n = r.vecLen(2), i = 0; i < n; i++) {
      const a = r.u8();
      if (a > 0x02) r.fail(`unknown extern name attribute 0x${a.toString(16)}`, r.pos - 1);
      r.name(); // implements / versionsuffix / external-id: all carry one name
    }
  }
  return name;
}

/** `externtype`, resolved in `scope`; `name` names fresh resources and `eq` type bounds. */
export function readExternType(r: Reader, scope: Scope, name: string): Ext {
  const pos = r.pos;
  const kind = r.u8();
  switch (kind) {
    case 0x00:
      if (r.u8() !== 0x11) r.fail('core extern type must be a module', r.pos - 1);
      r.u32();
      return { s: 'module' };
    case 0x01: {
      const ipos = r.pos;
      const d = typeAt(r, scope, r.u32(), ipos);
      if (d.d !== 'func') r.fail('func extern type does not refer to a function type', ipos);
      return { s: 'func', t: d.t };
    }
    case 0x02:
      // As wasm-tools encodes a value extern (a bare valtype): Binary.md's newer `valuebound`
      // (0x00 i | 0x01 t) cannot be told apart from it, and toolchains emit this one.
      readValType(r, scope);
      return { s: 'value' };
    case 0x03: {
      const b = r.u8();
      if (b === 0x01) return { s: 'type', t: { d: 'resource', r: freshResource(name, scope.depth) } };
      if (b !== 0x00) r.fail('bad type bound', r.pos - 1);
      const ipos = r.pos;
      return { s: 'type', t: nameDef(typeAt(r, scope, r.u32(), ipos), name) };
    }
    case 0x04: {
      const ipos = r.pos;
      const d = typeAt(r, scope, r.u32(), ipos);
      if (d.d !== 'component') r.fail('component extern type does not refer to a component type', ipos);
      return { s: 'component', t: d.t };
    }
    case 0x05: {
      const ipos = r.pos;
      const d = typeAt(r, scope, r.u32(), ipos);
      if (d.d !== 'instance') r.fail('instance extern type does not refer to an instance type', ipos);
      return { s: 'instance', t: d.t };
    }
    default:
      return r.fail(`unknown extern kind 0x${kind.toString(16)}`, pos);
  }
}

/** Append what an import/export/alias introduces to the matching index space. */
export function addExt(scope: Scope, ext: Ext): void {
  switch (ext.s) {
    case 'func': scope.funcs.push(ext.t); break;
    case 'type': scope.types.push(ext.t); break;
    case 'instance': scope.instances.push(ext.t); break;
    case 'component': scope.components.push(ext.t); break;
    case 'module': case 'value': break; // not tracked
    default: assertNever(ext, 'extern sort');
  }
}

/** The Ext a `sortidx` refers to. */
export function extAt(r: Reader, scope: Scope, sort: SortName, idx: number, pos: number): Ext {
  switch (sort) {
    case 'func': return { s: 'func', t: at(r, scope.funcs, idx, 'func', pos) };
    case 'type': return { s: 'type', t: at(r, scope.types, idx, 'type', pos) };
    case 'instance': return { s: 'instance', t: at(r, scope.instances, idx, 'instance', pos) };
    case 'component': return { s: 'component', t: at(r, scope.components, idx, 'component', pos) };
    case 'value': return { s: 'value' };
    case 'core': return { s: 'module' };
    default: return assertNever(sort, 'sort');
  }
}

/** One `alias`: instance export, core instance export (ignored) or outer. */
export function readAlias(r: Reader, scope: Scope): void {
  const pos = r.pos;
  const { sort, core } = readSort(r);
  const tag = r.u8();
  if (tag === 0x00) {
    const ipos = r.pos;
    const inst = at(r, scope.instances, r.u32(), 'instance', ipos);
    const name = r.name();
    // Of the core sorts, a component instance can only export a core module.
    if (sort === 'core' && core !== 0x11) r.fail('alias export of a core sort other than module from a component instance', pos);
    const ext = inst.exports.get(name);
    if (!ext) r.fail(`instance has no export '${name}'`, ipos);
    const want = sort === 'core' ? 'module' : sort;
    if (ext.s !== want) r.fail(`export '${name}' is a ${ext.s}, not a ${want}`, ipos);
    addExt(scope, ext);
  } else if (tag === 0x01) {
    r.u32();
    r.name();
    if (sort !== 'core') r.fail('core export alias must have a core sort', pos);
  } else if (tag === 0x02) {
    const ct = r.u32();
    const idx = r.u32();
    let target: Scope | null = scope;
    for (let i = 0; i < ct && target; i++) target = target.parent;
    if (!target) r.fail(`outer alias count ${ct} exceeds the enclosing scopes`, pos);
    if (sort === 'type') scope.types.push(at(r, target.types, idx, 'outer type', pos));
    else if (sort === 'component') scope.components.push(at(r, target.components, idx, 'outer component', pos));
    else if (sort !== 'core') r.fail(`outer alias of sort ${sort} is not allowed`, pos);
  } else {
    r.fail(`unknown alias target 0x${tag.toString(16)}`, pos);
  }
}

function enter(r: Reader, parent: Scope, pos: number): Scope {
  if (parent.depth + 1 > MAX_SCOPE_DEPTH) r.fail(`types/components nested deeper than ${MAX_SCOPE_DEPTH}`, pos);
  return newScope(parent);
}

/** Shared body of instance and component type declarators. */
function readDecls(r: Reader, scope: Scope, budget: Budget, allowImports: boolean, imports: [string, Ext][], exports: Map<string, Ext>): void {
  for (let n = r.vecLen(), i = 0; i < n; i++) {
    const pos = r.pos;
    budget.spend(1, pos);
    const tag = r.u8();
    switch (tag) {
      case 0x00: skipCoreDefType(r); break;
      case 0x01: scope.types.push(readDefType(r, scope, budget)); break;
      case 0x02: readAlias(r, scope); break;
      case 0x03: {
        if (!allowImports) r.fail('import declaration inside an instance type', pos);
        const name = readExternName(r);
        const ext = importPlaceholder(readExternType(r, scope, name), scope.depth, budget, pos);
        imports.push([name, ext]);
        addExt(scope, ext);
        break;
      }
      case 0x04: {
        const name = readExternName(r);
        if (exports.has(name)) r.fail(`duplicate export '${name}'`, pos);
        const ext = readExternType(r, scope, name);
        exports.set(name, ext);
        addExt(scope, ext);
        break;
      }
      default:
        r.fail(`unknown type declaration 0x${tag.toString(16)}`, pos);
    }
  }
}

function readInstanceType(r: Reader, parent: Scope, budget: Budget, pos: number): InstanceDef {
  const scope = enter(r, parent, pos);
  const exports = new Map<string, Ext>();
  readDecls(r, scope, budget, false, [], exports);
  return sealed({ exports, inner: scope.depth }, pos);
}

function readComponentType(r: Reader, parent: Scope, budget: Budget, pos: number): ComponentDef {
  const scope = enter(r, parent, pos);
  const imports: [string, Ext][] = [];
  const exports = new Map<string, Ext>();
  readDecls(r, scope, budget, true, imports, exports);
  return sealed({ imports, exports: [...exports], inner: scope.depth }, pos);
}

/**
 * What an import of a component (or component type) at scope depth `depth`
 * stands for inside it: a fresh object marked as a variable of that level,
 * which an instantiation maps to its argument (subst.ts). A `(sub resource)`
 * import is a fresh resource already; an imported instance gets its own
 * copies of the resources its type declares; `(eq resource)` keeps the
 * resource's identity.
 */
export function importPlaceholder(ext: Ext, depth: number, budget: Budget, at: number): Ext {
  budget.spend(1, at);
  switch (ext.s) {
    case 'func':
      return { s: 'func', t: asVariable(checkedFunc({ ...ext.t }, at), depth) };
    case 'type': {
      if (ext.t.d !== 'val') return ext;
      const t = ext.t.t;
      return { s: 'type', t: { d: 'val', t: asVariable(sameMeasure(t, { ...t }), depth) } };
    }
    case 'instance': {
      const type = ext.t;
      let inst = type.inner === undefined ? type : new Subst(type.inner, depth, budget, at).instance(type);
      if (inst === type) {
        budget.spend(type.exports.size, at);
        inst = sealedCopy(type, { exports: new Map(type.exports) });
      }
      return { s: 'instance', t: asVariable(inst, depth) };
    }
    case 'component':
      return { s: 'component', t: asVariable(sealedCopy(ext.t, { imports: ext.t.imports, exports: ext.t.exports, inner: ext.t.inner }), depth) };
    case 'module':
    case 'value':
      return ext;
    default:
      return assertNever(ext, 'extern sort');
  }
}

export { enter as enterScope };
