/** Name conversions shared by the value mappings (same rules as jco / heck). */
import { unversioned } from './versions.js';

/** `received-at-ms` → `receivedAtMs`, `HTTP-method` → `httpMethod`. */
export function lowerCamel(witName: string): string {
  const parts = witName.split('-');
  let out = (parts[0] ?? '').toLowerCase();
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    out += p.charAt(0).toUpperCase() + p.slice(1).toLowerCase();
  }
  return out;
}

/** `http-body` → `HttpBody` (jco's class names for resources). */
export function upperCamel(witName: string): string {
  const c = lowerCamel(witName);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

/** The short interface name of `pkg:ns/iface@1.2.3` (→ `iface`), or the name itself. */
export function shortInterfaceName(name: string): string {
  const base = unversioned(name);
  const slash = base.lastIndexOf('/');
  return slash === -1 ? base : base.slice(slash + 1);
}
