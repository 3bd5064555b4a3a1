/**
 * Walking a gate difference's path through a world item, for the source position of
 * what changed and for the container a member was added to or removed from (rename
 * detection compares member indexes there).
 */
import type { FuncType, InterfaceType, NamedType, WorldItem } from '../component/types.js';
import type { SourceMap, SrcPos } from '../contract/wit/index.js';

export interface Located {
  readonly pos: SrcPos | null;
  /** The deepest shape object the path reached. */
  readonly node: unknown;
}

export function locate(item: WorldItem, segs: readonly string[], src: SourceMap): Located {
  let pos = src.items.get(item) ?? null;
  let node: unknown = item.kind === 'interface' ? item.iface : item.kind === 'func' ? item.func : item.kind === 'type' ? item.type : null;
  let resource: string | null = null;
  const at = (o: object | undefined | null): void => {
    const p = o ? src.pos.get(o) : undefined;
    if (p) pos = p;
  };
  for (const seg of segs) {
    const sp = seg.indexOf(' ');
    const head = sp < 0 ? seg : seg.slice(0, sp);
    const rest = sp < 0 ? '' : seg.slice(sp + 1);
    const n = node as { kind?: string } | null;
    let next: unknown = undefined;
    if (n && n.kind === 'interface') {
      const iface = n as InterfaceType;
      const info = src.interfaces.get(iface);
      if (head === 'func') {
        next = iface.funcs.get(rest);
        if (next) pos = info?.members.get(rest) ?? src.pos.get(next as object) ?? pos;
      } else if (head === 'type' || head === 'record' || head === 'variant' || head === 'enum' || head === 'flags') {
        // The gate names a named type by its kind when comparing an interface's types.
        next = iface.types.get(rest);
        if (next && head !== 'type') {
          pos = info?.members.get(rest) ?? pos;
          node = next;
          continue;
        }
        if (next) pos = info?.members.get(rest) ?? pos;
      } else if (head === 'resource') {
        resource = rest;
        const r = iface.types.get(rest);
        if (r) pos = info?.members.get(rest) ?? pos;
        continue;
      } else if (resource !== null && (head === 'constructor' || head === 'method' || head === 'static')) {
        next = iface.funcs.get(head === 'constructor' ? `[constructor]${resource}` : `[${head}]${resource}.${rest}`);
        if (next) at(next as object);
      }
    } else if (n && n.kind === 'func') {
      const f = n as FuncType;
      if (head === 'param') {
        const p = f.params.find((x) => x.name === rest);
        if (p) {
          at(p);
          next = p.type;
        }
      } else if (seg === 'returns' && f.result) {
        pos = src.resultPos.get(f) ?? pos;
        next = f.result;
      }
    } else if (n && typeof n.kind === 'string') {
      const t = n as NamedType;
      if ((head === 'record' || head === 'variant' || head === 'enum' || head === 'flags') && t.kind === head) {
        at(t);
        next = t;
      } else if (head === 'field' && t.kind === 'record') {
        const f = t.fields.find((x) => x.name === rest);
        if (f) {
          at(f);
          next = f.type;
        }
      } else if (head === 'case' && t.kind === 'variant') {
        const c = t.cases.find((x) => x.name === rest);
        if (c) {
          at(c);
          next = c.type ?? c;
        }
      } else if ((head === 'case' || head === 'flag') && (t.kind === 'enum' || t.kind === 'flags')) {
        const p = src.names.get(t)?.get(rest);
        if (p) {
          pos = p;
          next = rest;
        }
      } else if (seg === 'list element' && t.kind === 'list') next = t.element;
      else if (seg === 'option' && t.kind === 'option') next = t.type;
      else if (seg === 'result ok' && t.kind === 'result') next = t.ok;
      else if (seg === 'result err' && t.kind === 'result') next = t.err;
      else if (head === 'tuple' && t.kind === 'tuple') next = t.types[Number(seg.split(' ')[2])];
      else if ((seg === 'future' || seg === 'stream') && (t.kind === 'future' || t.kind === 'stream')) next = t.type;
    }
    if (next === undefined || next === null) break;
    node = next;
  }
  return { pos, node };
}

/** Index of a member name in the container a removal/addition path ends in. */
export function indexIn(container: unknown, name: string): number {
  const c = container as NamedType | FuncType | null;
  if (!c || typeof c !== 'object') return -1;
  if (c.kind === 'func') return c.params.findIndex((p) => p.name === name);
  if (c.kind === 'record') return c.fields.findIndex((f) => f.name === name);
  if (c.kind === 'variant') return c.cases.findIndex((x) => x.name === name);
  if (c.kind === 'enum' || c.kind === 'flags') return c.names.indexOf(name);
  return -1;
}
