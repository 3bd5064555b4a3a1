/**
 * The decoder's internal model of component-model index spaces.
 *
 * A `Def` is an entry of a type index space, an `Ext` is anything that can be
 * imported, exported or passed to `instantiate`. Value types are built
 * directly as the public `ValType` model (types.ts), so the decoder's output
 * needs no conversion step.
 */
import type { FuncType, ResourceType, ValType } from './types.js';
import { malformed } from './reader.js';

export interface InstanceDef {
  readonly exports: Map<string, Ext>;
}

export interface ComponentBody {
  /** Absolute byte range of the nested component's sections (after its preamble). */
  readonly start: number;
  readonly end: number;
  /** The scope the component was defined in (its outer aliases resolve there). */
  readonly parent: Scope;
}

export interface ComponentDef {
  readonly imports: [string, Ext][];
  readonly exports: [string, Ext][];
  /** Present for components defined in the binary (section 4), absent for component *types*. */
  readonly body?: ComponentBody;
}

export type Def =
  | { readonly d: 'val'; readonly t: ValType }
  | { readonly d: 'func'; readonly t: FuncType }
  | { readonly d: 'resource'; readonly r: ResourceType }
  | { readonly d: 'instance'; readonly t: InstanceDef }
  | { readonly d: 'component'; readonly t: ComponentDef }
  /** Core types and other entries witplug never looks into. */
  | { readonly d: 'opaque' };

export type Ext =
  | { readonly s: 'func'; readonly t: FuncType }
  | { readonly s: 'type'; readonly t: Def }
  | { readonly s: 'instance'; readonly t: InstanceDef }
  | { readonly s: 'component'; readonly t: ComponentDef }
  | { readonly s: 'module' }
  | { readonly s: 'value' };

/** One scope of index spaces: a component definition, a component type or an instance type. */
export interface Scope {
  readonly parent: Scope | null;
  readonly depth: number;
  readonly types: Def[];
  readonly funcs: FuncType[];
  readonly instances: InstanceDef[];
  readonly components: ComponentDef[];
}

export function newScope(parent: Scope | null): Scope {
  return { parent, depth: parent ? parent.depth + 1 : 0, types: [], funcs: [], instances: [], components: [] };
}

/** Maximum nesting of scopes (components / component types / instance types). */
export const MAX_SCOPE_DEPTH = 100;
/** Maximum nesting depth of one value type (e.g. list<list<...>>). */
export const MAX_TYPE_DEPTH = 100;
/** Maximum tree size of one value type or function type, counting shared subtrees each time they occur. */
export const MAX_TYPE_SIZE = 100_000;

interface Measure {
  readonly depth: number;
  readonly size: number;
}

// Depth/size of every type object the decoder built, so that printers,
// fingerprints and the ABI (which all recurse over types) can never be fed a
// type deep enough to blow the stack or a DAG that is exponentially large as a tree.
const measures = new WeakMap<object, Measure>();

export function measure(t: ValType | null): Measure {
  if (t === null) return { depth: 0, size: 0 };
  return measures.get(t) ?? { depth: 1, size: 1 };
}

export function checked<T extends ValType>(t: T, children: readonly (ValType | null)[], at: number): T {
  let depth = 0;
  let size = 1;
  for (const c of children) {
    const m = measure(c);
    depth = Math.max(depth, m.depth);
    size += m.size;
  }
  depth += 1;
  if (depth > MAX_TYPE_DEPTH) throw malformed(`type nesting deeper than ${MAX_TYPE_DEPTH}`, at);
  if (size > MAX_TYPE_SIZE) throw malformed(`type larger than ${MAX_TYPE_SIZE} nodes`, at);
  measures.set(t, { depth, size });
  return t;
}

export function checkedFunc(f: FuncType, at: number): FuncType {
  let size = 1;
  for (const p of f.params) size += measure(p.type).size;
  size += measure(f.result).size;
  if (size > MAX_TYPE_SIZE) throw malformed(`function type larger than ${MAX_TYPE_SIZE} nodes`, at);
  return f;
}

/** A resource whose name is filled in when it is first exported (wit-component defines them anonymously). */
export interface MutableResource {
  kind: 'resource';
  name: string;
  interfaceName: string;
}

export function freshResource(name: string, interfaceName = ''): ResourceType {
  const r: MutableResource = { kind: 'resource', name, interfaceName };
  return r;
}

/**
 * The def a `(type (eq i))` import/export or a plain type export introduces
 * under `name`. Records, variants, enums and flags take the first name they
 * are exported under (later aliases like `type a = b` keep `b`); anonymous
 * resources take their export name.
 */
export function nameDef(def: Def, name: string): Def {
  if (def.d === 'resource') {
    const r = def.r as MutableResource;
    if (r.name === '') r.name = name;
    return def;
  }
  if (def.d !== 'val') return def;
  const t = def.t;
  if ((t.kind === 'record' || t.kind === 'variant' || t.kind === 'enum' || t.kind === 'flags') && t.name === undefined) {
    const named = { ...t, name } as ValType;
    const m = measures.get(t);
    if (m) measures.set(named, m);
    return { d: 'val', t: named };
  }
  return def;
}

/** Give anonymous resources exported by an interface instance that interface's name. */
export function claimResources(inst: InstanceDef, interfaceName: string): void {
  for (const ext of inst.exports.values()) {
    if (ext.s === 'type' && ext.t.d === 'resource') {
      const r = ext.t.r as MutableResource;
      if (r.interfaceName === '') r.interfaceName = interfaceName;
    }
  }
}

/** Work budget shared by one decode, bounding total effort on hostile input (e.g. repeated instantiation). */
export class Budget {
  private left: number;
  constructor(units: number) {
    this.left = units;
  }
  spend(n: number, at: number): void {
    this.left -= n;
    if (this.left < 0) throw malformed('component too complex to decode (work budget exhausted)', at);
  }
}
