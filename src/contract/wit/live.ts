/**
 * The part of a world's shape that reaches a component binary. wit-component
 * encodes an exported interface whole, but only the *live* types of an
 * imported one — those its functions reach, and those other live interfaces
 * `use` — and drops an import left with no function and no live type. Contracts built through jco and plugins built
 * by wit-component both carry exactly this projection, so diff compares it
 * to agree with the gate; the full shape keeps everything declared.
 */
import type { ComponentShape, InterfaceType, NamedType, WorldItem } from '../../component/types.js';
import type { SourceMap } from './source-map.js';
import { assertNever } from '../../util/assert-never.js';

function walk(t: NamedType, live: Set<object>, aliasOf: WeakMap<object, NamedType>): void {
  if (live.has(t)) return;
  live.add(t);
  // An alias keeps its target live, as wit-component's alias type does.
  const target = aliasOf.get(t);
  if (target) walk(target, live, aliasOf);
  switch (t.kind) {
    case 'record':
      for (const f of t.fields) walk(f.type, live, aliasOf);
      return;
    case 'variant':
      for (const c of t.cases) if (c.type) walk(c.type, live, aliasOf);
      return;
    case 'list':
      return walk(t.element, live, aliasOf);
    case 'option':
      return walk(t.type, live, aliasOf);
    case 'result':
      if (t.ok) walk(t.ok, live, aliasOf);
      if (t.err) walk(t.err, live, aliasOf);
      return;
    case 'tuple':
      for (const x of t.types) walk(x, live, aliasOf);
      return;
    case 'own':
    case 'borrow':
      return walk(t.resource, live, aliasOf);
    case 'future':
    case 'stream':
      if (t.type) walk(t.type, live, aliasOf);
      return;
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'resource':
      return;
    default: assertNever(t, 'kind');
  }
}

function reachedByFuncs(iface: InterfaceType, aliasOf: WeakMap<object, NamedType>): Set<object> {
  const live = new Set<object>();
  for (const f of iface.funcs.values()) {
    for (const p of f.params) walk(p.type, live, aliasOf);
    if (f.result) walk(f.result, live, aliasOf);
  }
  return live;
}

/** The live projection of a resolved world's shape; positions carry over to the new objects. */
export function liveShape(shape: ComponentShape, sources: SourceMap): ComponentShape {
  const ifaces = [...shape.imports, ...shape.exports].filter((i): i is WorldItem & { kind: 'interface' } => i.kind === 'interface');
  const local = new Map<InterfaceType, Set<object>>();
  const global = new Set<object>();
  const exported = new Set(shape.exports.map((e) => (e.kind === 'interface' ? e.iface : null)));
  for (const i of ifaces) {
    const l = reachedByFuncs(i.iface, sources.aliasOf);
    // Exported interfaces are encoded whole: every type they declare or use is live.
    if (exported.has(i.iface)) for (const t of i.iface.types.values()) walk(t, l, sources.aliasOf);
    local.set(i.iface, l);
    for (const o of l) global.add(o);
  }
  for (const i of [...shape.imports, ...shape.exports]) {
    if (i.kind === 'func') {
      for (const p of i.func.params) walk(p.type, global, sources.aliasOf);
      if (i.func.result) walk(i.func.result, global, sources.aliasOf);
    } else if (i.kind === 'type') walk(i.type, global, sources.aliasOf);
  }
  // A used type is live in the using interface when its functions reach it;
  // in the defining interface when anything live reaches it.
  const prune = (item: WorldItem): WorldItem | null => {
    if (item.kind !== 'interface' || exported.has(item.iface)) return item;
    const info = sources.interfaces.get(item.iface);
    const mine = local.get(item.iface)!;
    const types = new Map<string, NamedType>();
    for (const [name, t] of item.iface.types) {
      const used = info?.usedFrom.has(name) ?? false;
      if (mine.has(t) || (!used && global.has(t))) types.set(name, t);
    }
    if (types.size === 0 && item.iface.funcs.size === 0) return null;
    if (types.size === item.iface.types.size) return item;
    const iface: InterfaceType = { kind: 'interface', name: item.iface.name, types, funcs: item.iface.funcs };
    if (info) sources.interfaces.set(iface, info);
    const pos = sources.pos.get(item.iface);
    if (pos) sources.pos.set(iface, pos);
    const out: WorldItem = { kind: 'interface', name: item.name, iface };
    const ipos = sources.items.get(item);
    if (ipos) sources.items.set(out, ipos);
    return out;
  };
  const keep = (items: readonly WorldItem[]): WorldItem[] => items.map(prune).filter((x): x is WorldItem => x !== null);
  return { imports: keep(shape.imports), exports: keep(shape.exports) };
}
