/**
 * Pairs plugin items with contract items by name and compatible version.
 * Rules only look at these pairs (the shared walker is here, not in each rule).
 */
import type { ComponentShape, WorldItem } from '../component/types.js';
import { newestCompatible, unversioned } from '../component/versions.js';

export interface ImportMatch {
  /** The plugin's import. */
  readonly found: WorldItem;
  /** The contract item it links to, if any compatible one is offered. */
  readonly expected: WorldItem | null;
  /** Offered items with the same unversioned name but an incompatible version. */
  readonly incompatible: readonly WorldItem[];
}

export interface ExportMatch {
  /** The contract's required export. */
  readonly expected: WorldItem;
  /** The plugin's export satisfying it, if a compatible one exists. */
  readonly found: WorldItem | null;
  readonly incompatible: readonly WorldItem[];
}

export interface AdmissionContext {
  readonly plugin: ComponentShape;
  readonly contract: ComponentShape;
  readonly imports: readonly ImportMatch[];
  readonly exports: readonly ExportMatch[];
  /** Plugin exports no required export maps to. */
  readonly extraExports: readonly WorldItem[];
  /** Interfaces the plugin was granted; null = everything the contract offers. */
  readonly allowedImports: ReadonlySet<string> | null;
  /** What to do with a member of an offered interface that the host lacks (AdmitShapeOptions). */
  readonly missingImports: 'reject' | 'trap';
  /** Contract exports a plugin may leave out (AdmitShapeOptions); null: none. */
  readonly optionalExports: ReadonlySet<string> | null;
}

/**
 * The best candidate among same-named items: exact name first, then the
 * highest compatible version (what a linker with several versions would pick).
 */
function pick(wanted: WorldItem, candidates: readonly WorldItem[]): { match: WorldItem | null; incompatible: WorldItem[] } {
  const base = unversioned(wanted.name);
  const same = candidates.filter((c) => unversioned(c.name) === base);
  const exact = same.find((c) => c.name === wanted.name);
  if (exact) return { match: exact, incompatible: [] };
  const best = newestCompatible(wanted.name, same.map((c) => c.name));
  if (best !== undefined) return { match: same.find((c) => c.name === best)!, incompatible: [] };
  return { match: null, incompatible: same };
}

export function buildContext(
  plugin: ComponentShape,
  contract: ComponentShape,
  allowedImports: ReadonlySet<string> | null,
  missingImports: 'reject' | 'trap' = 'reject',
  optionalExports: ReadonlySet<string> | null = null,
): AdmissionContext {
  const imports: ImportMatch[] = plugin.imports.map((found) => {
    const { match, incompatible } = pick(found, contract.imports);
    return { found, expected: match, incompatible };
  });
  const used = new Set<WorldItem>();
  const exports: ExportMatch[] = contract.exports.map((expected) => {
    const { match, incompatible } = pick(expected, plugin.exports);
    if (match) used.add(match);
    incompatible.forEach((i) => used.add(i));
    return { expected, found: match, incompatible };
  });
  const extraExports = plugin.exports.filter((e) => !used.has(e));
  return { plugin, contract, imports, exports, extraExports, allowedImports, missingImports, optionalExports };
}

/**
 * Whether `name` is granted: the set may hold qualified names, unversioned
 * names, or `ns:pkg/*` wildcards (as in plugin grant manifests).
 */
export function isAllowed(allowed: ReadonlySet<string> | null, name: string): boolean {
  if (allowed === null) return true;
  const base = unversioned(name);
  if (allowed.has(name) || allowed.has(base)) return true;
  const slash = base.indexOf('/');
  return slash >= 0 && allowed.has(`${base.slice(0, slash)}/*`);
}
