/** Resolving `<iface>#<func>` / bare world-level names against a component's exports. */
import type { ComponentShape, FuncType } from '../../component/types.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { lowerCamel, shortInterfaceName } from '../../component/names.js';

export interface ResolvedExport {
  /** Qualified interface name, or null for a world-level function. */
  readonly iface: string | null;
  /** WIT function name (kebab-case, as in the binary). */
  readonly func: string;
  readonly type: FuncType;
  /** Canonical target string `pkg:ns/iface@v#func` or `func`. */
  readonly target: string;
}

export function listExportedFunctions(shape: ComponentShape): ResolvedExport[] {
  const out: ResolvedExport[] = [];
  for (const item of shape.exports) {
    if (item.kind === 'func') out.push({ iface: null, func: item.name, type: item.func, target: item.name });
    else if (item.kind === 'interface') {
      for (const [name, type] of item.iface.funcs) out.push({ iface: item.name, func: name, type, target: `${item.name}#${name}` });
    }
  }
  return out;
}

/**
 * `target` is `iface#func` (short `filter` or qualified `pkg:ns/filter@1.0.0`)
 * or a bare world-level function name. Function names may be kebab or camel case.
 */
export function resolveExport(shape: ComponentShape, target: string): ResolvedExport {
  const all = listExportedFunctions(shape);
  const hash = target.lastIndexOf('#');
  const ifacePart = hash === -1 ? null : target.slice(0, hash);
  const funcPart = hash === -1 ? target : target.slice(hash + 1);
  const sameFunc = (f: string) => f === funcPart || lowerCamel(f) === funcPart;
  let candidates: ResolvedExport[];
  if (ifacePart === null) {
    candidates = all.filter((e) => e.iface === null && sameFunc(e.func));
  } else {
    const ifaces = new Set(all.filter((e) => e.iface !== null && (e.iface === ifacePart || shortInterfaceName(e.iface) === ifacePart)).map((e) => e.iface));
    if (ifaces.size > 1) {
      throw new WitplugError(ErrorCodes.NO_SUCH_FUNCTION, `interface name "${ifacePart}" is ambiguous: ${[...ifaces].join(', ')}; use the qualified name`);
    }
    if (ifaces.size === 0) {
      const known = [...new Set(all.filter((e) => e.iface).map((e) => e.iface))];
      throw new WitplugError(ErrorCodes.NO_SUCH_FUNCTION, `the plugin exports no interface "${ifacePart}" (exported: ${known.join(', ') || 'none'})`);
    }
    candidates = all.filter((e) => ifaces.has(e.iface) && sameFunc(e.func));
  }
  const found = candidates[0];
  if (!found) {
    const available = all.map((e) => (e.iface ? `${shortInterfaceName(e.iface)}#${e.func}` : e.func));
    throw new WitplugError(ErrorCodes.NO_SUCH_FUNCTION, `the plugin exports no function "${target}" (available: ${available.join(', ') || 'none'})`);
  }
  return found;
}
