/** Type references as written, before resolution: cycles among a body's definitions, and their text. */
import type { TypeDecl, TypeRef } from './ast.js';
import { witError, type SrcPos } from './lexer.js';
import { assertNever } from '../../util/assert-never.js';

/**
 * Rejects a cycle among a body's type definitions as wasm-tools does: after a
 * topological sort, the first definition (in source order) left with
 * unresolved references names its first such reference.
 */
export function checkTypeCycles(decls: ReadonlyMap<string, TypeDecl>): void {
  const edges = new Map<string, { name: string; pos: SrcPos }[]>();
  for (const [name, d] of decls) {
    const refs: { name: string; pos: SrcPos }[] = [];
    const walk = (r: TypeRef): void => {
      switch (r.k) {
        case 'named':
          if (decls.has(r.name)) refs.push({ name: r.name, pos: r.pos });
          return;
        case 'own':
        case 'borrow':
          if (decls.has(r.resource.name)) refs.push({ name: r.resource.name, pos: r.resource.pos });
          return;
        case 'list':
          return walk(r.element);
        case 'option':
          return walk(r.type);
        case 'result':
          if (r.ok) walk(r.ok);
          if (r.err) walk(r.err);
          return;
        case 'tuple':
          return r.types.forEach(walk);
        case 'future':
        case 'stream':
          if (r.type) walk(r.type);
          return;
        case 'prim':
          return;
        default: assertNever(r, 'k');
      }
    };
    if (d.k === 'record') d.fields.forEach((f) => walk(f.type));
    else if (d.k === 'variant') d.cases.forEach((c) => c.type && walk(c.type));
    else if (d.k === 'alias') walk(d.target);
    edges.set(name, refs);
  }
  const remaining = new Map([...edges].map(([n, e]) => [n, e.length]));
  const dependents = new Map<string, string[]>();
  for (const [n, e] of edges) for (const x of e) dependents.set(x.name, [...(dependents.get(x.name) ?? []), n]);
  const ready = [...remaining].filter(([, c]) => c === 0).map(([n]) => n);
  while (ready.length) {
    for (const d of dependents.get(ready.pop()!) ?? []) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  for (const [n, e] of edges) {
    if (remaining.get(n) === 0) continue;
    const ref = e.find((x) => remaining.get(x.name)! > 0);
    if (ref) throw witError(ref.pos, `type '${ref.name}' depends on itself`);
  }
}

/** A type reference as written, for comparing alias targets across versions. */
export function typeRefText(r: TypeRef): string {
  switch (r.k) {
    case 'prim':
    case 'named':
      return r.name;
    case 'list':
      return `list<${typeRefText(r.element)}${r.length === undefined ? '' : `, ${r.length}`}>`;
    case 'option':
      return `option<${typeRefText(r.type)}>`;
    case 'result':
      return r.ok === null && r.err === null ? 'result' : `result<${r.ok ? typeRefText(r.ok) : '_'}${r.err ? `, ${typeRefText(r.err)}` : ''}>`;
    case 'tuple':
      return `tuple<${r.types.map(typeRefText).join(', ')}>`;
    case 'own':
    case 'borrow':
      return `${r.k}<${r.resource.name}>`;
    case 'future':
    case 'stream':
      return r.type ? `${r.k}<${typeRefText(r.type)}>` : r.k;
    default: assertNever(r, 'k');
  }
}
