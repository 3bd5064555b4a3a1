/**
 * Turns a grant into the admission gate's `allowedImports`: of the imports
 * the contract world offers, those the grant covers. An offered import the
 * grant doesn't cover is then refused at admission (EXTRA_IMPORT, "not
 * granted"), before anything is compiled.
 *
 * WASI is "offered" exactly when the contract world imports it (the host
 * author decides which WASI interfaces exist at all; the grant decides which
 * plugin gets them). Interfaces that carry only types (e.g.
 * `wasi:clocks/wall-clock` pulled in by `wasi:filesystem/types` for its
 * `datetime` record) grant no capability and are always allowed.
 *
 * Functions imported at the world level are host functions like a non-WASI
 * interface's: granted by default, and by `$root` (all of them) or their own
 * name when the grant lists imports explicitly.
 */
import type { ComponentShape } from '../../component/types.js';
import { isGranted, type Grant } from './grant.js';
import { WORLD_IMPORTS_KEY } from './host-imports.js';

export function grantedImports(
  contract: ComponentShape,
  grant: Grant | undefined,
  explicit?: ReadonlySet<string>,
  plugin?: ComponentShape,
): ReadonlySet<string> {
  const out = new Set<string>();
  for (const item of contract.imports) {
    if (explicit && !explicit.has(item.name)) continue;
    if (item.kind === 'func') {
      if (isGranted(grant, item.name) || isGranted(grant, WORLD_IMPORTS_KEY)) out.add(item.name);
    } else if (item.kind !== 'interface' || item.iface.funcs.size === 0 || isGranted(grant, item.name)) {
      out.add(item.name);
    }
  }
  // What the plugin imports only for its types (no functions) is harmless whatever the grant says.
  for (const item of plugin?.imports ?? []) {
    if (item.kind === 'interface' && item.iface.funcs.size === 0 && (!explicit || explicit.has(item.name))) out.add(item.name);
  }
  return out;
}
