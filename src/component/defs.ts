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
import { assertNever } from '../util/assert-never.js';

export interface InstanceDef {
  readonly exports: Map<string, Ext>;
  /** For an instance *type*: the depth of its declarator scope (where its `(sub resource)` exports live). */
  readonly inner?: number;
}

export interface ComponentDef {
  readonly imports: [string, Ext][];
  readonly exports: [string, Ext][];
  /**
   * Scope depth of the component's own definitions (its body, or its type
   * declarators): the level of the variables an instantiation substitutes
   * (imports, and resources it generates; see `Subst` in subst.ts).
   */
  readonly inner: number;
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
  /** Highest variable level the type mentions (see `levelOf`); -1 when none. */
  readonly level: number;
}

const LEAF: Measure = { depth: 1, size: 1, level: -1 };

// Depth/size of every type object the decoder built, so that printers,
// fingerprints and the ABI (which all recurse over types) can never be fed a
// type deep enough to blow the stack or a DAG that is exponentially large as a tree.
const measures = new WeakMap<object, Measure>();

export function measure(t: ValType | null): Measure {
  if (t === null) return { depth: 0, size: 0, level: -1 };
  return measures.get(t) ?? LEAF;
}

/**
 * `ownLevel`: the level of the resource an own/borrow handle names, or of the
 * variable this type stands for (an import placeholder).
 */
export function checked<T extends ValType>(t: T, children: readonly (ValType | null)[], at: number, ownLevel = -1): T {
  let depth = 0;
  let size = 1;
  let level = ownLevel;
  for (const c of children) {
    const m = measure(c);
    depth = Math.max(depth, m.depth);
    size += m.size;
    level = Math.max(level, m.level);
  }
  depth += 1;
  if (depth > MAX_TYPE_DEPTH) throw malformed(`type nesting deeper than ${MAX_TYPE_DEPTH}`, at);
  if (size > MAX_TYPE_SIZE) throw malformed(`type larger than ${MAX_TYPE_SIZE} nodes`, at);
  measures.set(t, { depth, size, level });
  return t;
}

export function checkedFunc(f: FuncType, at: number, ownLevel = -1): FuncType {
  let size = 1;
  let level = ownLevel;
  for (const p of f.params) {
    const m = measure(p.type);
    size += m.size;
    level = Math.max(level, m.level);
  }
  size += measure(f.result).size;
  level = Math.max(level, measure(f.result).level);
  if (size > MAX_TYPE_SIZE) throw malformed(`function type larger than ${MAX_TYPE_SIZE} nodes`, at);
  levels.set(f, level);
  return f;
}

/**
 * Variable levels. A variable is something an instantiation replaces: a
 * component's import (its placeholder object) or a resource type it generates.
 * Its level is the scope depth of the component (or component / instance
 * type) that owns it. Any other object's level is the highest level among the
 * variables it mentions (-1: none), so substitution can return a subtree
 * below the instantiated component's level untouched, in O(1).
 */
const levels = new WeakMap<object, number>();
/** Objects that are themselves variables (import placeholders), by level. */
const variables = new WeakMap<object, number>();

export function variableLevel(x: object): number | undefined {
  return variables.get(x);
}

export function levelOf(x: ValType | ResourceType | FuncType | InstanceDef | ComponentDef): number {
  if ('kind' in x && x.kind !== 'func' && x.kind !== 'resource') return measure(x).level;
  const known = levels.get(x);
  if (known !== undefined) return known;
  let level = variables.get(x) ?? -1;
  if ('exports' in x) level = Math.max(level, scan(x).level);
  levels.set(x, level);
  return level;
}

/** The highest level and the deepest nesting among an instance's or component's members. */
function scan(x: InstanceDef | ComponentDef): { level: number; nesting: number } {
  let level = -1;
  let depth = 1;
  const visit = (e: Ext): void => {
    level = Math.max(level, extLevel(e));
    const inner = e.s === 'instance' || e.s === 'component' ? e.t
      : e.s === 'type' && (e.t.d === 'instance' || e.t.d === 'component') ? e.t.t : null;
    if (inner) depth = Math.max(depth, 1 + (nesting.get(inner) ?? 1));
  };
  if ('imports' in x) for (const m of x.imports) visit(m[1]);
  for (const m of x.exports) visit(m[1]);
  return { level, nesting: depth };
}

export function extLevel(e: Ext): number {
  switch (e.s) {
    case 'func': case 'instance': case 'component': return levelOf(e.t);
    case 'type': return defLevel(e.t);
    case 'module': case 'value': return -1;
    default: return assertNever(e, 'extern sort');
  }
}

function defLevel(d: Def): number {
  switch (d.d) {
    case 'val': return measure(d.t).level;
    case 'resource': return levelOf(d.r);
    case 'func': case 'instance': case 'component': return levelOf(d.t);
    case 'opaque': return -1;
    default: return assertNever(d, 'definition kind');
  }
}

/** Maximum nesting of instances and components inside one another (through exports). */
export const MAX_NESTING = 200;
const nesting = new WeakMap<object, number>();

/**
 * Registers a new instance or component (or their types): computes its level
 * now, from its members' (so that no later query recurses deeply), and bounds
 * how deeply instances and components nest in it (substitution recurses over that).
 */
export function sealed<T extends InstanceDef | ComponentDef>(x: T, at: number): T {
  const { level, nesting: depth } = scan(x);
  if (depth > MAX_NESTING) throw malformed(`instances and components nested deeper than ${MAX_NESTING}`, at);
  nesting.set(x, depth);
  levels.set(x, Math.max(level, variables.get(x) ?? -1));
  return x;
}

/** `copy` has `orig`'s members: it gets its level and nesting without visiting them again. */
export function sealedCopy<T extends InstanceDef | ComponentDef>(orig: T, copy: T): T {
  nesting.set(copy, nesting.get(orig) ?? 1);
  levels.set(copy, levelOf(orig));
  return copy;
}

/** Marks `x` (a fresh object) as the variable of level `level` (an import placeholder). */
export function asVariable<T extends ValType | FuncType | InstanceDef | ComponentDef>(x: T, level: number): T {
  variables.set(x, level);
  if ('kind' in x && x.kind !== 'func') {
    const m = measure(x);
    measures.set(x, { ...m, level: Math.max(m.level, level) });
  } else {
    const known = levels.get(x);
    if (known !== undefined) levels.set(x, Math.max(known, level));
  }
  return x;
}

/** Copies the measure of `from` onto `to` (a renamed or shallow copy). */
export function sameMeasure<T extends ValType>(from: ValType, to: T): T {
  const m = measures.get(from);
  if (m) measures.set(to, m);
  return to;
}

/** A resource whose name is filled in when it is first exported (wit-component defines them anonymously). */
export interface MutableResource {
  kind: 'resource';
  name: string;
  interfaceName: string;
}

/** A new resource type identity, generated by the scope at depth `level`. */
export function freshResource(name: string, level: number, interfaceName = ''): ResourceType {
  const r: MutableResource = { kind: 'resource', name, interfaceName };
  levels.set(r, level);
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
    return { d: 'val', t: sameMeasure(t, { ...t, name } as ValType) };
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

/**
 * Work budget shared by one decode. Every unit stands for O(1) work (a
 * section, a declaration, a field, a type node built or substituted), and a
 * decode of N bytes gets `WORK_PER_BYTE * N + WORK_FLOOR` units, so decoding
 * time is linear in the input whatever it holds.
 */
export class Budget {
  private left: number;
  private spent = 0;
  constructor(units: number) {
    this.left = units;
  }
  spend(n: number, at: number): void {
    this.left -= n;
    this.spent += n;
    if (this.left < 0) throw malformed('component too complex to decode (work budget exhausted)', at);
  }
  get used(): number {
    return this.spent;
  }
}

/** Units per input byte: real and reference components use under 1 (test/component-work.test.ts). */
export const WORK_PER_BYTE = 16;
export const WORK_FLOOR = 100_000;

export function budgetFor(bytes: number): Budget {
  return new Budget(WORK_PER_BYTE * bytes + WORK_FLOOR);
}
