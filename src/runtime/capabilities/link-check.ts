/**
 * What the host can serve, checked at load (before anything is compiled or
 * instantiated). A gap here is the host's or the contract's, never the
 * plugin's: it fails with `LINK`, naming the import and the versions.
 *
 * Versions follow the component model's semver rule (src/component/versions.ts):
 * an import is served only by an implementation whose version is compatible
 * with it (same major; for 0.x the same minor; pre-releases only themselves).
 */
import type { ComponentShape } from '../../component/types.js';
import { newestCompatible, unversioned, versionOf, versionsCompatible, showVersion, versionCounts } from '../../component/versions.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { isGranted, type Grant } from './grant.js';

/** The WASI version preview2-shim 0.26 implements (its interfaces are `wasi:*@0.2.3`). */
export const WASI_SERVED_VERSION = '0.2.3';
/** The version of witplug's built-in `witplug:host` implementation. */
export const HOST_SERVED_VERSION = '0.1.0';

type Tables<T> = Readonly<Record<string, T>>;

/**
 * The key of `host` that serves import `name`: the versioned key of the same
 * interface with the newest compatible version (the exact one included), else the
 * unversioned key (only when the plugin imports a single version of the
 * interface: with two, each must be served by its own table).
 */
export function hostKeyFor<T>(host: Tables<T>, name: string, versionsImported = 1): string | undefined {
  const base = unversioned(name);
  const wanted = versionOf(name);
  // A host serving several versions of an API: the newest compatible one serves the import.
  const best = newestCompatible(name, Object.keys(host).filter((key) => host[key] !== undefined));
  if (best !== undefined) return best;
  if (host[base] !== undefined && (versionsImported <= 1 || wanted === null)) return base;
  return undefined;
}

/** Unversioned names of the interfaces preview2-shim implements, once loaded. */
let shimInterfaces: ReadonlySet<string> | null = null;

/**
 * Reads which `wasi:*` interfaces preview2-shim implements from the shim
 * itself (the keys of its import object), so a WASI proposal it lacks
 * (`wasi:logging`, `wasi:keyvalue`, …) is served like any host interface.
 * Loads the shim (~50 ms) once per process; only plugins importing `wasi:*` need it.
 */
export async function loadShimInterfaces(): Promise<ReadonlySet<string>> {
  if (shimInterfaces) return shimInterfaces;
  const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
  const shim = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [], enableNetwork: false } });
  shimInterfaces = new Set(Object.keys(shim.getImportObject() as Record<string, unknown>));
  return shimInterfaces;
}

/**
 * Whether import `name` is served by preview2-shim (per-plugin WASI,
 * src/runtime/capabilities/wasi.ts): a `wasi:*` interface the shim implements, at a
 * version compatible with the one it serves. Every other import, `wasi:*`
 * proposals included, is served from the host's implementations.
 * checkLinkable loads the shim's list first for any plugin importing `wasi:*`.
 */
export function servedByShim(name: string): boolean {
  if (!name.startsWith('wasi:')) return false;
  if (shimInterfaces === null) {
    throw new WitplugError(ErrorCodes.INTERNAL, `servedByShim(${name}) before loadShimInterfaces(): checkLinkable must run first`);
  }
  return shimInterfaces.has(unversioned(name)) && versionsCompatible(versionOf(name), WASI_SERVED_VERSION);
}

function linkError(message: string, iface: string): WitplugError {
  return new WitplugError(ErrorCodes.LINK, message, { path: `import ${iface}` });
}

/**
 * Throws `LINK` when an import cannot be served: an ungranted WASI interface,
 * a `wasi:*` interface neither preview2-shim (at WASI 0.2.3) nor the host
 * implements, a `witplug:host` version witplug does not implement, host
 * implementations only for incompatible versions, or one unversioned table
 * for two imported versions.
 */
export async function checkLinkable(shape: ComponentShape, host: Tables<unknown>, grant: Grant | undefined): Promise<void> {
  if (shape.imports.some((i) => i.kind === 'interface' && i.name.startsWith('wasi:'))) await loadShimInterfaces();
  const counts = versionCounts(shape);
  for (const item of shape.imports) {
    if (item.kind !== 'interface') continue;
    const name = item.name;
    const base = unversioned(name);
    const version = versionOf(name);
    const many = counts.get(base) ?? 1;
    if (base.startsWith('wasi:')) {
      // An interface imported only for its types (wall-clock's `datetime` for filesystem) grants no capability.
      if (item.iface.funcs.size === 0) continue;
      if (!isGranted(grant, name)) {
        throw linkError(`import ${name}: not granted to this plugin (WASI is deny by default: grant it in the manifest's "imports")`, name);
      }
      if (servedByShim(name) || hostKeyFor(host, name, many) !== undefined) continue;
      const shimHas = shimInterfaces?.has(base) === true;
      const shim = !shimHas
        ? `preview2-shim does not implement ${base}`
        : version === null
          ? `preview2-shim implements ${base} only at WASI ${WASI_SERVED_VERSION} (the import names no version)`
          : `preview2-shim implements ${base} at WASI ${WASI_SERVED_VERSION}, not ${version}`;
      const offered = Object.keys(host).filter((k) => unversioned(k) === base);
      const hostPart = offered.length > 0
        ? `the host implements only ${offered.join(', ')}`
        : `the host gives no implementation (pass one as host: { '${name}': { … } })`;
      throw linkError(`import ${name}: no implementation: ${shim}, and ${hostPart}`, name);
    }
    if (hostKeyFor(host, name, many) !== undefined) continue;
    const offered = Object.keys(host).filter((k) => unversioned(k) === base);
    if (offered.length > 0) {
      const why = offered.includes(base) ? `the plugin imports ${many} versions of ${base}; give each its own key ('${base}@<version>')` : `the host implements ${offered.join(', ')}`;
      throw linkError(`import ${name}: no host implementation compatible with ${showVersion(version)} (${why})`, name);
    }
    if (base.startsWith('witplug:host/') && !versionsCompatible(version, HOST_SERVED_VERSION)) {
      throw linkError(`import ${name}: witplug serves witplug:host ${HOST_SERVED_VERSION}, not ${showVersion(version)}`, name);
    }
    // Nothing offered at all: each function is a stub failing with UNSUPPORTED when called.
  }
}
