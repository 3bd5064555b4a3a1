/**
 * The small toolkit the code generators share: a line emitter with a
 * constant pool, lazily built failure paths, and type predicates.
 */
import type { ValType, ResourceType } from '../../component/types.js';
import type { FlatType } from './layout.js';
import { assertNever } from '../../util/assert-never.js';

/** Who implements a resource: the plugin (exported), the host (imported), or neither (not supported). */
export type ResourceOwner = (r: ResourceType) => 'plugin' | 'host' | null;

/** Key of a resource in the context's table and destructor map. */
export function resourceKey(r: ResourceType): string {
  return `${r.interfaceName}#${r.name}`;
}

export interface Flat {
  readonly expr: string;
  readonly type: FlatType;
}

export class Emitter {
  readonly lines: string[] = [];
  readonly constants: unknown[] = [];
  #next = 0;
  #indent = 2;

  tmp(prefix = 't'): string {
    return `${prefix}${this.#next++}`;
  }

  line(s: string): void {
    this.lines.push(' '.repeat(this.#indent) + s);
  }

  block(open: string, body: () => void, close = '}'): void {
    this.line(open);
    this.#indent += 2;
    body();
    this.#indent -= 2;
    this.line(close);
  }

  /** A constant (path string, name table…) referenced as `K[i]`. */
  k(value: unknown): string {
    const i = this.constants.indexOf(value);
    return `K[${i === -1 ? this.constants.push(value) - 1 : i}]`;
  }
}

/**
 * A lazily built path: a constant prefix plus, inside lists, the index
 * variables. Only evaluated inside failure branches.
 */
export type PathExpr = string;

export const str = (s: string): string => JSON.stringify(s);
export const cat = (p: PathExpr, suffix: string): PathExpr => `${p} + ${str(suffix)}`;

export function containsHandle(t: ValType): boolean {
  return someType(t, (x) => x.kind === 'own' || x.kind === 'borrow');
}

export function someType(t: ValType, test: (t: ValType) => boolean): boolean {
  if (test(t)) return true;
  switch (t.kind) {
    case 'list': return someType(t.element, test);
    case 'record': return t.fields.some((f) => someType(f.type, test));
    case 'tuple': return t.types.some((x) => someType(x, test));
    case 'option': return someType(t.type, test);
    case 'result': return (t.ok !== null && someType(t.ok, test)) || (t.err !== null && someType(t.err, test));
    case 'variant': return t.cases.some((c) => c.type !== null && someType(c.type, test));
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'own': case 'borrow': case 'future': case 'stream': return false;
    default: assertNever(t, 'kind');
  }
}

export function containsBorrow(t: ValType): boolean {
  return someType(t, (x) => x.kind === 'borrow');
}

/** Whether lifting `t` from flat values reads guest memory (strings, lists). */
export function touchesMemory(t: ValType): boolean {
  return someType(t, (x) => x.kind === 'string' || x.kind === 'list');
}
