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
 *
 * This module compares world items, interfaces and named types; value types
 * and functions are compared in ./compare-types.ts, differences are described
 * in ./difference.ts.
 */
import type { NamedType, InterfaceType, WorldItem } from '../component/types.js';
import { funcDecl, typeDef } from './wit-text.js';
import { CompareContext } from './compare-context.js';
import { compareFunc, compareValType } from './compare-types.js';
import { changed, funcPathSegments, funcText, segmentFor, typeDefNamed, type Difference } from './difference.js';
import { assertNever } from '../util/assert-never.js';

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
