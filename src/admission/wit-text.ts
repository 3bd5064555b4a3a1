/**
 * WIT text for one-line "expected X, found Y" messages: type references and
 * signatures come from the shared printer (src/component/wit-print.ts); the
 * one-line definitions (`record request { id: u64 }`, no `;`) are ours.
 */
import type { FuncType, NamedType, ValType } from '../component/types.js';
import { printValTypeWithin, witId } from '../component/wit-print.js';
import { assertNever } from '../util/assert-never.js';

/**
 * The most characters one type takes in a message: a type built from shared
 * anonymous types (`tuple<t1, t1>`, `t1 = tuple<t0, t0>`, …) would otherwise
 * print exponentially long.
 */
const MESSAGE_TYPE_CHARS = 1000;

/** A type as it appears in a signature: named types by name, the rest structurally. */
export function typeRef(t: ValType | null): string {
  return printValTypeWithin(t, MESSAGE_TYPE_CHARS);
}

/** A type definition on one line: `record request { id: u64, … }`. */
export function typeDef(t: NamedType): string {
  const name = 'name' in t && t.name ? `${t.name} ` : '';
  switch (t.kind) {
    case 'record':
      return `record ${name}{ ${t.fields.map((f) => `${f.name}: ${typeRef(f.type)}`).join(', ')} }`;
    case 'variant':
      return `variant ${name}{ ${t.cases.map((c) => (c.type ? `${c.name}(${typeRef(c.type)})` : c.name)).join(', ')} }`;
    case 'enum':
      return `enum ${name}{ ${t.names.join(', ')} }`;
    case 'flags':
      return `flags ${name}{ ${t.names.join(', ')} }`;
    case 'resource':
      return `resource ${t.name}`;
    case 'tuple': case 'list': case 'option': case 'result': case 'own': case 'borrow': case 'future': case 'stream':
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
    case 'f32': case 'f64': case 'char': case 'string': case 'error-context':
      return typeRef(t);
    default:
      return assertNever(t, 'type kind');
  }
}

/** `func(req: request) -> decision`, each type as in typeRef. */
export function funcSig(f: FuncType): string {
  const params = f.params.map((p) => `${witId(p.name)}: ${typeRef(p.type)}`).join(', ');
  return `${f.async ? 'async ' : ''}func(${params})${f.result ? ` -> ${typeRef(f.result)}` : ''}`;
}

/** `name: func(...)` — how a function reads in an interface body. */
export function funcDecl(name: string, f: FuncType): string {
  return `${name}: ${funcSig(f)}`;
}
