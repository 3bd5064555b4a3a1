/**
 * A difference between an expected and a found side: its kind, its path, and
 * how the compared types and functions read in WIT inside its message.
 */
import type { FuncType, NamedType, ResourceType, ValType } from '../component/types.js';
import { funcDecl, typeDef, typeRef } from './wit-text.js';
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
export function funcText(name: string, f: FuncType): string {
  const m = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!m) return funcDecl(name, f);
  if (m[1] === 'constructor') return `constructor(${f.params.map((p) => `${p.name}: ${typeRef(p.type)}`).join(', ')})`;
  const params = m[1] === 'method' ? f.params.slice(1) : f.params;
  const prefix = m[1] === 'static' ? 'static ' : '';
  return `${m[3]}: ${prefix}func(${params.map((p) => `${p.name}: ${typeRef(p.type)}`).join(', ')})${f.result ? ` -> ${typeRef(f.result)}` : ''}`;
}

/** The path segment a named type adds (`record request`); none for anonymous types. */
export function segmentFor(t: ValType): string | null {
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

export function changed(path: readonly string[], message: string): Difference {
  return { kind: 'changed', path, message };
}

export function resourceText(r: ResourceType): string {
  return r.interfaceName ? `${r.name} (from ${r.interfaceName})` : r.name;
}

export function typeDefOrRef(t: ValType): string {
  return segmentFor(t) ? typeDef(t) : typeRef(t);
}

export function typeDefNamed(name: string, t: NamedType): string {
  const d = typeDef(t);
  return t.kind === 'resource' || segmentFor(t) ? d : `type ${name} = ${d}`;
}
