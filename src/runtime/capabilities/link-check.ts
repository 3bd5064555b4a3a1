/**
 * What the host can serve, checked at load (before anything is compiled or
 * instantiated). A gap here is the host's or the contract's, never the
 * plugin's: it fails with `LINK`, naming the import and the versions.
 *
 * Versions follow the component model's semver rule (src/admission/versions.ts):
 * an import is served only by an implementation whose version is compatible
 * with it (same major; for 0.x the same minor; pre-releases only themselves).
 */
import type { ComponentShape } from '../../component/types.js';
import { newestCompatible, unversioned, versionOf, versionsCompatible, showVersion } from '../../component/versions.js';
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

/** How many versions of each unversioned interface name the plugin imports. */
export function versionCounts(shape: ComponentShape): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of shape.imports) {
    if (item.kind !== 'interface') continue;
    const base = unversioned(item.name);
    counts.set(base, (counts.get(base) ?? 0) + 1);
  }
  return counts;
}

function linkError(message: string, iface: string): WitplugError {
  return new WitplugError(ErrorCodes.LINK, message, { path: `import ${iface}` });
}

/**
 * Throws `LINK` when an import cannot be served: a WASI or `witplug:host`
 * version witplug does not implement, an ungranted WASI interface, host
 * implementations only for incompatible versions, or one unversioned table
 * for two imported versions. (A WASI interface preview2-shim lacks is found
 * when the shim is loaded: src/runtime/wasi.ts.)
 */
export function checkLinkable(shape: ComponentShape, host: Tables<unknown>, grant: Grant | undefined): void {
  const counts = versionCounts(shape);
  for (const item of shape.imports) {
    if (item.kind !== 'interface') continue;
    const name = item.name;
    const base = unversioned(name);
    const version = versionOf(name);
    if (base.startsWith('wasi:')) {
      if (!versionsCompatible(version, WASI_SERVED_VERSION)) {
        throw linkError(`import ${name}: witplug serves WASI ${WASI_SERVED_VERSION} (preview2-shim), not ${showVersion(version)}; no compatible implementation of ${base}`, name);
      }
      // An interface imported only for its types (wall-clock's `datetime` for filesystem) grants no capability.
      if (item.iface.funcs.size > 0 && !isGranted(grant, name)) {
        throw linkError(`import ${name}: not granted to this plugin (WASI is deny by default: grant it in the manifest's "imports")`, name);
      }
      continue;
    }
    const many = counts.get(base) ?? 1;
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
