/**
 * Structural fingerprints: sha256 over a canonical text form of a type.
 *
 * Included: field, case, flag, enum, parameter and function names (the
 * component model matches on them) and resource names. Excluded: the names
 * records/variants/enums/flags are exported under, the interface's own name
 * and version, and declaration order of functions and types (sorted), so
 * two interfaces have the same fingerprint exactly when they are structurally
 * equal. Resources are identified by name only, so an interface that moves a
 * resource to another interface keeps its fingerprint.
 */
import { createHash } from 'node:crypto';
import type { FuncType, InterfaceType, NamedType, ValType } from './types.js';
import { assertNever } from '../util/assert-never.js';

// Memoised per type object: decoded types share subtrees heavily.
const canon = new WeakMap<object, string>();

/**
 * A sub-type whose canonical text is longer than this stands in its parent
 * as the sha256 of that text: the text of a type built from shared anonymous
 * types (`tuple<t1, t1>`, `t1 = tuple<t0, t0>`, …) doubles with each level,
 * while this keeps it linear in the number of type nodes. Smaller types keep
 * their plain text (and their fingerprints); equal texts still mean equal types.
 */
const CANON_INLINE_MAX = 4096;

function q(s: string): string {
  return JSON.stringify(s);
}

export function canonicalValType(t: ValType | null): string {
  if (t === null) return '_';
  const hit = canon.get(t);
  if (hit !== undefined) return hit;
  let s: string;
  switch (t.kind) {
    case 'record': s = `record{${t.fields.map((f) => `${q(f.name)}:${canonicalValType(f.type)}`).join(',')}}`; break;
    case 'variant': s = `variant{${t.cases.map((c) => `${q(c.name)}${c.type ? `(${canonicalValType(c.type)})` : ''}`).join(',')}}`; break;
    case 'enum': s = `enum{${t.names.map(q).join(',')}}`; break;
    case 'flags': s = `flags{${t.names.map(q).join(',')}}`; break;
    case 'tuple': s = `tuple<${t.types.map(canonicalValType).join(',')}>`; break;
    case 'list': s = t.length === undefined ? `list<${canonicalValType(t.element)}>` : `list<${canonicalValType(t.element)};${t.length}>`; break;
    case 'option': s = `option<${canonicalValType(t.type)}>`; break;
    case 'result': s = `result<${canonicalValType(t.ok)},${canonicalValType(t.err)}>`; break;
    case 'own': s = `own<${q(t.resource.name)}>`; break;
    case 'borrow': s = `borrow<${q(t.resource.name)}>`; break;
    case 'future': s = `future<${canonicalValType(t.type)}>`; break;
    case 'stream': s = `stream<${canonicalValType(t.type)}>`; break;
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
    case 'f32': case 'f64': case 'char': case 'string': case 'error-context':
      s = t.kind;
      break;
    default: return assertNever(t, 'value type kind');
  }
  if (s.length > CANON_INLINE_MAX) s = `#${sha256(s)}`;
  canon.set(t, s);
  return s;
}

export function canonicalFuncType(f: FuncType): string {
  return `${f.async ? 'async ' : ''}func(${f.params.map((p) => `${q(p.name)}:${canonicalValType(p.type)}`).join(',')})->${canonicalValType(f.result)}`;
}

function canonicalNamed(t: NamedType): string {
  return t.kind === 'resource' ? 'resource' : canonicalValType(t);
}

const byKey = (a: [string, string], b: [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export function canonicalInterface(iface: InterfaceType): string {
  const types = [...iface.types].map(([n, t]): [string, string] => [n, canonicalNamed(t)]).sort(byKey);
  const funcs = [...iface.funcs].map(([n, f]): [string, string] => [n, canonicalFuncType(f)]).sort(byKey);
  return `interface{types{${types.map(([n, s]) => `${q(n)}=${s}`).join(';')}}funcs{${funcs.map(([n, s]) => `${q(n)}:${s}`).join(';')}}}`;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function fingerprintInterface(iface: InterfaceType): string {
  return sha256(canonicalInterface(iface));
}

export function fingerprintFunc(f: FuncType): string {
  return sha256(canonicalFuncType(f));
}

export function fingerprintValType(t: ValType): string {
  return sha256(canonicalValType(t));
}
