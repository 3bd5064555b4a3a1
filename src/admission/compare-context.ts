/**
 * What one comparison remembers: pairs of type nodes already found equal,
 * unequal or reported, so a type shared by many paths costs one comparison
 * per pair of nodes and is reported once in full.
 */
import type { ResourceType, ValType } from '../component/types.js';
import { unversioned } from '../component/versions.js';
import { assertNever } from '../util/assert-never.js';

/**
 * Types of at most this many nodes are compared again in full at each use;
 * a larger pair found different is reported in full once and as one line at
 * each further use, so shared subtrees (`type t2 = tuple<t1, t1>`, …) cost
 * one comparison per pair of type nodes, not one per path through them.
 */
export const RECOMPARE_MAX_NODES = 32;

const sizes = new WeakMap<object, number>();

/** Tree size of a type, saturated just above RECOMPARE_MAX_NODES (memoised per node: linear on DAGs). */
export function treeSize(t: ValType | null): number {
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

/** Resources are equal when they are the same resource of the same interface (any compatible version). */
export function sameResource(a: ResourceType, b: ResourceType): boolean {
  return a.name === b.name && unversioned(a.interfaceName) === unversioned(b.interfaceName);
}
