/**
 * Structural comparison of component-model types, in the component model's
 * sense of equality (Explainer.md "subtyping": value types must be equal;
 * an instance may have more exports than required).
 *
 * The comparator is neutral: it compares an `expected` against a `found`
 * side and reports every difference with a path and an "expected X, found Y"
 * message in WIT syntax. Which differences matter (an extra function is fine
 * on a hook export, fatal on a host import) is decided by the callers — the
 * admission rules today, `witplug diff` later.
 */
import type {
  Case,
  Field,
  FuncType,
  InterfaceType,
  NamedType,
  Param,
  ResourceType,
  ValType,
  WorldItem,
} from '../component/types.js';
import { funcDecl, typeDef, typeRef } from './wit-text.js';
import { unversioned } from '../component/versions.js';
import { assertNever } from '../util/assert-never.js';

/**
 * `missing`: an interface member (function or type) present on the expected
 * side only; `extra`: present on the found side only; `changed`: present on
 * both, different. Differences inside a type are always `changed`.
 */
export type DifferenceKind = 'missing' | 'extra' | 'changed';

export interface Difference {
  readonly kind: DifferenceKind;
  /** Path segments from the outermost item, e.g. `['func check', 'param req', 'record request', 'field deadline-ms']`. */
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * Types of at most this many nodes are compared again in full at each use;
 * a larger pair found different is reported in full once and as one line at
 * each further use, so shared subtrees (`type t2 = tuple<t1, t1>`, …) cost
 * one comparison per pair of type nodes, not one per path through them.
 */
const RECOMPARE_MAX_NODES = 32;

const sizes = new WeakMap<object, number>();

/** Tree size of a type, saturated just above RECOMPARE_MAX_NODES (memoised per node: linear on DAGs). */
function treeSize(t: ValType | null): number {
  if (t === null) return 0;
  const hit = sizes.get(t);
  if (hit !== undefined) return hit;
  let n = 1;
  for (const c of children(t)) {
    n += treeSize(c);
    if (n > RECOMPARE_MAX_NODES) break;
  }
  n = Math.min(n, RECOMPARE_MAX_NODES + 1);
  sizes.set(t, n);
  return n;
}

function children(t: ValType): readonly (ValType | null)[] {
  switch (t.kind) {
    case 'record': return t.fields.map((f) => f.type);
    case 'variant': return t.cases.map((c) => c.type);
    case 'tuple': return t.types;
    case 'list': return [t.element];
    case 'option': return [t.type];
    case 'result': return [t.ok, t.err];
    case 'future':
    case 'stream': return [t.type];
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'own': case 'borrow': return [];
    default: assertNever(t, 'kind');
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Pair memo keyed by the identity of both type nodes. */
class PairSet {
  private readonly map = new WeakMap<object, WeakSet<object>>();
  has(a: object, b: object): boolean {
    return this.map.get(a)?.has(b) ?? false;
  }
  add(a: object, b: object): void {
    let inner = this.map.get(a);
    if (!inner) this.map.set(a, (inner = new WeakSet()));
    inner.add(b);
  }
}

/**
 * Remembers type pairs already compared within one comparison, so a record
 * used by three functions is reported once (at its first use), not three
 * times, and so a type shared by many paths is compared once per pair of
 * type nodes (equality memoised on node identity, linear in the DAG).
 */
export class CompareContext {
  private readonly seen = new Set<string>();
  private readonly equalPairs = new PairSet();
  private readonly unequalPairs = new PairSet();
  private readonly reportedPairs = new PairSet();

  /**
   * True the first time a pair of *named* types is seen. Only named types are
   * remembered by name: decoders may share one object for every `u32` or
   * `list<u8>`, and those must be compared at each use.
   */
  firstVisit(expected: ValType, found: ValType): boolean {
    const en = 'name' in expected ? expected.name : undefined;
    const fn = 'name' in found ? found.name : undefined;
    if (en === undefined || fn === undefined) return true;
    const key = `${expected.kind}\u0000${en}\u0000${found.kind}\u0000${fn}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  /**
   * Structural equality, exactly "compareValType finds no difference" but
   * independent of what was already reported, memoised per pair of nodes.
   */
  equal(a: ValType | null, b: ValType | null): boolean {
    if (a === null || b === null) return a === b;
    if (a.kind !== b.kind) return false;
    if (a === b) return true;
    if (this.equalPairs.has(a, b)) return true;
    if (this.unequalPairs.has(a, b)) return false;
    const eq = this.equalUncached(a, b);
    (eq ? this.equalPairs : this.unequalPairs).add(a, b);
    return eq;
  }

  private equalUncached(a: ValType, b: ValType): boolean {
    switch (a.kind) {
      case 'record': {
        const f = b as typeof a;
        return sameNames(a.fields.map((x) => x.name), f.fields.map((x) => x.name)) && a.fields.every((x, i) => this.equal(x.type, f.fields[i]!.type));
      }
      case 'variant': {
        const f = b as typeof a;
        return sameNames(a.cases.map((x) => x.name), f.cases.map((x) => x.name)) && a.cases.every((x, i) => this.equal(x.type, f.cases[i]!.type));
      }
      case 'enum':
      case 'flags':
        return sameNames(a.names, (b as typeof a).names);
      case 'tuple': {
        const f = b as typeof a;
        return a.types.length === f.types.length && a.types.every((x, i) => this.equal(x, f.types[i]!));
      }
      case 'list': {
        const f = b as typeof a;
        return a.length === f.length && this.equal(a.element, f.element);
      }
      case 'option':
        return this.equal(a.type, (b as typeof a).type);
      case 'result': {
        const f = b as typeof a;
        return this.equal(a.ok, f.ok) && this.equal(a.err, f.err);
      }
      case 'own':
      case 'borrow':
        return sameResource(a.resource, (b as typeof a).resource);
      case 'future':
      case 'stream':
        return this.equal(a.type, (b as typeof a).type);
      case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32':
      case 'f64': case 'char': case 'error-context':
        return true;
      default: assertNever(a, 'kind');
    }
  }

  /** True the first time a pair of unequal nodes is reported; later uses of a large pair get one line. */
  firstReport(expected: ValType, found: ValType): boolean {
    if (this.reportedPairs.has(expected, found)) return false;
    this.reportedPairs.add(expected, found);
    return true;
  }
}

/** Renders a path the way reports print it. */
export function formatPath(path: readonly string[]): string {
  return path.join(' > ');
}

/** `[method]blob.read` → `resource blob > method read`, so paths read like WIT. */
export function funcPathSegments(name: string): string[] {
  const m = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!m) return [`func ${name}`];
  const [, what, resource, member] = m;
  return what === 'constructor' ? [`resource ${resource}`, 'constructor'] : [`resource ${resource}`, `${what} ${member}`];
}

/** How a function reads in WIT inside an interface body (methods by their member name). */
function funcText(name: string, f: FuncType): string {
  const m = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!m) return funcDecl(name, f);
  if (m[1] === 'constructor') return `constructor(${f.params.map((p) => `${p.name}: ${typeRef(p.type)}`).join(', ')})`;
  const params = m[1] === 'method' ? f.params.slice(1) : f.params;
  const prefix = m[1] === 'static' ? 'static ' : '';
  return `${m[3]}: ${prefix}func(${params.map((p) => `${p.name}: ${typeRef(p.type)}`).join(', ')})${f.result ? ` -> ${typeRef(f.result)}` : ''}`;
}

function segmentFor(t: ValType): string | null {
  switch (t.kind) {
    case 'record':
    case 'variant':
    case 'enum':
    case 'flags':
      return t.name ? `${t.kind} ${t.name}` : t.kind;
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'list': case 'option': case 'result': case 'tuple': case 'own': case 'borrow': case 'future':
    case 'stream':
      return null;
    default: assertNever(t, 'kind');
  }
}

function changed(path: readonly string[], message: string): Difference {
  return { kind: 'changed', path, message };
}

interface Named<T> {
  readonly name: string;
  readonly item: T;
}

/**
 * Compares two ordered, named lists (fields, cases, params, enum/flag names):
 * missing names, extra names, a different order, then each common pair.
 */
function compareNamedLists<T>(
  expected: readonly Named<T>[],
  found: readonly Named<T>[],
  label: string,
  path: readonly string[],
  show: (n: Named<T>) => string,
  onCommon: ((e: T, f: T, path: readonly string[]) => Difference[]) | null,
): Difference[] {
  const out: Difference[] = [];
  const fMap = new Map(found.map((n) => [n.name, n]));
  const eMap = new Map(expected.map((n) => [n.name, n]));
  for (const e of expected) {
    if (!fMap.has(e.name)) out.push(changed([...path, `${label} ${e.name}`], `expected ${label} ${show(e)}, found none`));
  }
  for (const f of found) {
    if (!eMap.has(f.name)) out.push(changed([...path, `${label} ${f.name}`], `expected no ${label} ${f.name}, found ${label} ${show(f)}`));
  }
  const eCommon = expected.filter((n) => fMap.has(n.name)).map((n) => n.name);
  const fCommon = found.filter((n) => eMap.has(n.name)).map((n) => n.name);
  if (eCommon.join('\u0000') !== fCommon.join('\u0000')) {
    out.push(changed(path, `expected ${label} order (${eCommon.join(', ')}), found (${fCommon.join(', ')})`));
  }
  if (onCommon) {
    for (const e of expected) {
      const f = fMap.get(e.name);
      if (f) out.push(...onCommon(e.item, f.item, [...path, `${label} ${e.name}`]));
    }
  }
  return out;
}

/** Resources are equal when they are the same resource of the same interface (any compatible version). */
export function sameResource(a: ResourceType, b: ResourceType): boolean {
  return a.name === b.name && unversioned(a.interfaceName) === unversioned(b.interfaceName);
}

function resourceText(r: ResourceType): string {
  return r.interfaceName ? `${r.name} (from ${r.interfaceName})` : r.name;
}

/** Every difference between two value types. */
export function compareValType(
  expected: ValType,
  found: ValType,
  path: readonly string[] = [],
  ctx: CompareContext = new CompareContext(),
): Difference[] {
  if (expected.kind !== found.kind) {
    const e = expected.kind === typeRef(expected) ? typeRef(expected) : typeDefOrRef(expected);
    const f = found.kind === typeRef(found) ? typeRef(found) : typeDefOrRef(found);
    return [changed(path, `expected ${e}, found ${f}`)];
  }
  if (!ctx.firstVisit(expected, found)) return [];
  if (ctx.equal(expected, found)) return [];
  const large = treeSize(expected) > RECOMPARE_MAX_NODES || treeSize(found) > RECOMPARE_MAX_NODES;
  if (!ctx.firstReport(expected, found) && large) {
    // Reported in full at its first use; here, one line naming this use.
    return [changed(path, `expected ${typeDefOrRef(expected)}, found ${typeDefOrRef(found)}`)];
  }
  return compareStructure(expected, found, path, ctx);
}

/** The differences of two types of the same kind, one level down (children through compareValType). */
function compareStructure(expected: ValType, found: ValType, path: readonly string[], ctx: CompareContext): Difference[] {
  const seg = segmentFor(expected);
  const here = seg ? [...path, seg] : path;
  switch (expected.kind) {
    case 'record': {
      const f = found as typeof expected;
      return compareNamedLists<ValType>(
        expected.fields.map(fieldNamed),
        f.fields.map(fieldNamed),
        'field',
        here,
        (n) => `${n.name}: ${typeRef(n.item)}`,
        (a, b, p) => compareValType(a, b, p, ctx),
      );
    }
    case 'variant': {
      const f = found as typeof expected;
      return compareNamedLists<ValType | null>(
        expected.cases.map(caseNamed),
        f.cases.map(caseNamed),
        'case',
        here,
        (n) => (n.item ? `${n.name}(${typeRef(n.item)})` : n.name),
        (a, b, p) => {
          if (a === null && b === null) return [];
          if (a === null || b === null) {
            const name = p[p.length - 1]!.slice('case '.length);
            return [changed(p, `expected ${a ? `${name}(${typeRef(a)})` : name}, found ${b ? `${name}(${typeRef(b)})` : name}`)];
          }
          return compareValType(a, b, p, ctx);
        },
      );
    }
    case 'enum':
    case 'flags': {
      const f = found as typeof expected;
      const label = expected.kind === 'enum' ? 'case' : 'flag';
      const named = (names: readonly string[]) => names.map((n) => ({ name: n, item: null }));
      return compareNamedLists(named(expected.names), named(f.names), label, here, (n) => n.name, null);
    }
    case 'tuple': {
      const f = found as typeof expected;
      if (expected.types.length !== f.types.length) {
        return [changed(path, `expected ${typeRef(expected)}, found ${typeRef(f)}`)];
      }
      return expected.types.flatMap((t, i) => compareValType(t, f.types[i]!, [...path, `tuple element ${i}`], ctx));
    }
    case 'list': {
      const f = found as typeof expected;
      if (expected.length !== f.length) return [changed(path, `expected ${typeRef(expected)}, found ${typeRef(f)}`)];
      return compareValType(expected.element, f.element, [...path, 'list element'], ctx);
    }
    case 'option': {
      const f = found as typeof expected;
      return compareValType(expected.type, f.type, [...path, 'option'], ctx);
    }
    case 'result': {
      const f = found as typeof expected;
      const out: Difference[] = [];
      for (const side of ['ok', 'err'] as const) {
        const a = expected[side];
        const b = f[side];
        if (a === null && b === null) continue;
        if (a === null || b === null) {
          out.push(changed([...path, `result ${side}`], `expected ${typeRef(expected)}, found ${typeRef(f)}`));
        } else {
          out.push(...compareValType(a, b, [...path, `result ${side}`], ctx));
        }
      }
      return out;
    }
    case 'own':
    case 'borrow': {
      const f = found as typeof expected;
      if (sameResource(expected.resource, f.resource)) return [];
      return [changed(path, `expected ${typeRef(expected)} of resource ${resourceText(expected.resource)}, found ${typeRef(f)} of resource ${resourceText(f.resource)}`)];
    }
    case 'future':
    case 'stream': {
      const f = found as typeof expected;
      if (expected.type === null && f.type === null) return [];
      if (expected.type === null || f.type === null) return [changed(path, `expected ${typeRef(expected)}, found ${typeRef(f)}`)];
      return compareValType(expected.type, f.type, [...path, expected.kind], ctx);
    }
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context':
      // Primitives: equal kinds are equal types.
      return [];
    default: assertNever(expected, 'kind');
  }
}

function typeDefOrRef(t: ValType): string {
  return segmentFor(t) ? typeDef(t) : typeRef(t);
}

function fieldNamed(f: Field): Named<ValType> {
  return { name: f.name, item: f.type };
}
function caseNamed(c: Case): Named<ValType | null> {
  return { name: c.name, item: c.type };
}
function paramNamed(p: Param): Named<ValType> {
  return { name: p.name, item: p.type };
}

/** Every difference between two function types: parameter names, order and types, result, async. */
export function compareFunc(
  expected: FuncType,
  found: FuncType,
  path: readonly string[] = [],
  ctx: CompareContext = new CompareContext(),
): Difference[] {
  const out: Difference[] = [];
  if (Boolean(expected.async) !== Boolean(found.async)) {
    out.push(changed(path, `expected ${expected.async ? 'async ' : ''}func, found ${found.async ? 'async ' : ''}func`));
  }
  out.push(
    ...compareNamedLists(
      expected.params.map(paramNamed),
      found.params.map(paramNamed),
      'param',
      path,
      (n) => `${n.name}: ${typeRef(n.item)}`,
      (a, b, p) => compareValType(a, b, p, ctx),
    ),
  );
  if (expected.result === null || found.result === null) {
    if (expected.result !== found.result) {
      out.push(changed([...path, 'returns'], `expected ${expected.result ? `-> ${typeRef(expected.result)}` : 'no result'}, found ${found.result ? `-> ${typeRef(found.result)}` : 'no result'}`));
    }
  } else {
    out.push(...compareValType(expected.result, found.result, [...path, 'returns'], ctx));
  }
  return out;
}

/** Compares a named interface type (value type or resource). */
export function compareNamedType(
  name: string,
  expected: NamedType,
  found: NamedType,
  path: readonly string[] = [],
  ctx: CompareContext = new CompareContext(),
): Difference[] {
  if (expected.kind === 'resource' || found.kind === 'resource') {
    if (expected.kind === 'resource' && found.kind === 'resource') return [];
    return [changed([...path, `type ${name}`], `expected ${typeDef(expected)}, found ${typeDef(found)}`)];
  }
  // Aliases (`type x = list<u8>`) carry no name of their own; give the path one.
  const p = segmentFor(expected) ? path : [...path, `type ${name}`];
  return compareValType(expected, found, p, ctx);
}

/**
 * Every difference between two interfaces: functions first (so a type
 * difference is reported at its first use in a signature, the most useful
 * place), then types not reached through any function.
 */
export function compareInterface(expected: InterfaceType, found: InterfaceType, path: readonly string[] = []): Difference[] {
  const ctx = new CompareContext();
  const out: Difference[] = [];
  for (const [name, ef] of expected.funcs) {
    const ff = found.funcs.get(name);
    const p = [...path, ...funcPathSegments(name)];
    if (!ff) out.push({ kind: 'missing', path: p, message: `expected ${funcText(name, ef)}, found none` });
    else out.push(...compareFunc(ef, ff, p, ctx));
  }
  for (const [name, ff] of found.funcs) {
    if (!expected.funcs.has(name)) {
      out.push({ kind: 'extra', path: [...path, ...funcPathSegments(name)], message: `expected no ${funcPathSegments(name).join(' ')}, found ${funcText(name, ff)}` });
    }
  }
  for (const [name, et] of expected.types) {
    const ft = found.types.get(name);
    if (!ft) out.push({ kind: 'missing', path: [...path, `type ${name}`], message: `expected ${typeDefNamed(name, et)}, found none` });
    else out.push(...compareNamedType(name, et, ft, path, ctx));
  }
  for (const [name, ft] of found.types) {
    if (!expected.types.has(name)) {
      out.push({ kind: 'extra', path: [...path, `type ${name}`], message: `expected no type ${name}, found ${typeDefNamed(name, ft)}` });
    }
  }
  return out;
}

function typeDefNamed(name: string, t: NamedType): string {
  const d = typeDef(t);
  return t.kind === 'resource' || segmentFor(t) ? d : `type ${name} = ${d}`;
}

/** Compares two world items (interface, function or type) of the same name. */
export function compareWorldItem(expected: WorldItem, found: WorldItem, path: readonly string[] = []): Difference[] {
  if (expected.kind === 'interface' && found.kind === 'interface') return compareInterface(expected.iface, found.iface, path);
  if (expected.kind === 'func' && found.kind === 'func') return compareFunc(expected.func, found.func, path);
  if (expected.kind === 'type' && found.kind === 'type') return compareNamedType(expected.name, expected.type, found.type, path);
  if (expected.kind === 'extern' && found.kind === 'extern' && expected.sort === found.sort && expected.detail === found.detail) return [];
  return [changed(path, `expected ${itemKindText(expected)}, found ${itemKindText(found)}`)];
}

function itemKindText(item: WorldItem): string {
  switch (item.kind) {
    case 'interface':
      return `interface ${item.name}`;
    case 'func':
      return funcDecl(item.name, item.func);
    case 'type':
      return typeDefNamed(item.name, item.type);
    case 'extern':
      return `${item.detail} ${item.name}`;
    default: assertNever(item, 'kind');
  }
}
