/**
 * Structural comparison of value types and function types, in the component
 * model's sense of equality (value types must be equal), reporting every
 * difference with its path.
 */
import type { Case, Field, FuncType, Param, ValType } from '../component/types.js';
import { typeRef } from './wit-text.js';
import { CompareContext, RECOMPARE_MAX_NODES, sameResource, treeSize } from './compare-context.js';
import { changed, resourceText, segmentFor, typeDefOrRef, type Difference } from './difference.js';
import { assertNever } from '../util/assert-never.js';

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
