/**
 * Resolves one world of parsed WIT packages into its `ComponentShape` — the
 * same model the binary decoder produces for a type-only component built by
 * wit-component — plus a source map from every shape object to its position.
 *
 * What wit-component does and this mirrors: interfaces a world's interfaces
 * `use` are imported implicitly; used types appear in the using interface
 * under their local name but keep the defining type's identity and name;
 * resources belong to the interface defining them; `@unstable` items are
 * left out (no feature enabled).
 */
import type { ComponentShape, WorldItem } from '../../component/types.js';
import type { InterfaceItem, WorldDecl } from './ast.js';
import { gateText, isUnstable } from './gates.js';
import { InterfaceResolver } from './interfaces.js';
import { witError, type SrcPos } from './lexer.js';
import { findIncluded, pkgId, type WitPackage } from './packages.js';
import type { IfaceEntry } from './scope.js';
import type { SourceMap } from './source-map.js';

export interface ResolvedWorld {
  readonly world: string;
  readonly pkg: WitPackage;
  /** Every package read (root and deps), for version checks. */
  readonly packages: readonly WitPackage[];
  readonly shape: ComponentShape;
  readonly sources: SourceMap;
}

/**
 * Bounds a world's `include`s: how deep they chain, and how many worlds one
 * world pulls in counting repeats (`include a; include a;` at every level
 * would otherwise double the work per level).
 */
export const MAX_INCLUDE_DEPTH = 100;
export const MAX_INCLUDED_WORLDS = 10_000;

/** A world item with its identity (interfaces by path) and, when an `include` brought it, that include. */
interface WorldEntry {
  readonly item: WorldItem;
  readonly key: string | null;
  readonly site: SrcPos | null;
}

interface WorldAcc {
  readonly imports: Map<string, WorldEntry>;
  readonly exports: Map<string, WorldEntry>;
  /** Plain names by their lower-case spelling, per direction: WIT names are case-insensitive. */
  readonly folded: { readonly import: Map<string, string>; readonly export: Map<string, string> };
  /** Worlds included so far, repeats counted. */
  included: number;
}

/**
 * The shape of a world, as wit-component would encode a type-only component for it.
 * Elaborated as wasm-tools does: every imported interface brings its `use`
 * dependencies as imports; an exported interface's dependencies are exports
 * where the world exports them and imports otherwise, and an import reached
 * that way must not itself depend on an export (it would see two copies).
 */
export function resolveWorld(all: readonly WitPackage[], pkg: WitPackage, decl: WorldDecl, r: InterfaceResolver = new InterfaceResolver(all)): ResolvedWorld {
  const acc: WorldAcc = { imports: new Map(), exports: new Map(), folded: { import: new Map(), export: new Map() }, included: 0 };
  addWorld(r, pkg, decl, acc, new Set());
  const implicit = (e: IfaceEntry): WorldItem => {
    const item: WorldItem = { kind: 'interface', name: e.qname, iface: e.iface };
    r.sources.items.set(item, r.sources.interfaces.get(e.iface)!.pos);
    return item;
  };
  // Dependencies brought in implicitly come first (each after its own), then the world's imports as declared.
  const implicitImports: WorldItem[] = [];
  const explicitKeys = new Set([...acc.imports.values()].map((v) => v.key).filter((k): k is string => k !== null));
  const importedKeys = new Set<string>();
  const addImport = (key: string): void => {
    if (importedKeys.has(key)) return;
    importedKeys.add(key);
    const e = r.entryByKey(key);
    for (const dep of e.deps) addImport(dep);
    if (!explicitKeys.has(key)) implicitImports.push(implicit(e));
  };
  for (const v of acc.imports.values()) if (v.key !== null) addImport(v.key);
  const exports: WorldItem[] = [];
  const declared = new Map([...acc.exports.values()].filter((v) => v.key !== null).map((v) => [v.key!, v.item]));
  const exportedKeys = new Set<string>();
  const mustImport = new Set<string>();
  const addExport = (key: string, asExport: boolean): boolean => {
    if (exportedKeys.has(key)) return asExport;
    if (!asExport && mustImport.has(key)) return true;
    const e = r.entryByKey(key);
    for (const dep of e.deps) if (!addExport(dep, asExport && declared.has(dep))) return false;
    if (asExport) {
      if (mustImport.has(key)) return false;
      exportedKeys.add(key);
      exports.push(declared.get(key) ?? implicit(e));
    } else {
      mustImport.add(key);
      if (!importedKeys.has(key)) {
        importedKeys.add(key);
        implicitImports.push(implicit(e));
      }
    }
    return true;
  };
  for (const v of acc.exports.values()) {
    if (v.key === null) exports.push(v.item);
    else if (!addExport(v.key, true)) {
      throw witError(decl.pos, `interface '${v.item.name}' transitively depends on an interface in incompatible ways (an interface it uses would be both imported and exported)`);
    }
  }
  const imports = [...implicitImports, ...[...acc.imports.values()].map((v) => v.item)];
  return { world: decl.name, pkg, packages: all, shape: { imports, exports }, sources: r.sources };
}

/**
 * Adds a world's items to `acc`. `renames`: `include w with { a as b }` — plain-named items of an
 * included world under new names; `site`: the `include` that brought this world in (where a
 * conflict is reported). Returns the plain names the world provides, as written.
 */
function addWorld(
  r: InterfaceResolver,
  pkg: WitPackage,
  decl: WorldDecl,
  acc: WorldAcc,
  including: Set<WorldDecl>,
  renames: ReadonlyMap<string, string> = new Map(),
  site: SrcPos | null = null,
): Set<string> {
  if (including.has(decl)) {
    // Named as wasm-tools names it: the world the re-entered one includes, at that world's name.
    const stack = [...including];
    const named = stack[stack.indexOf(decl) + 1] ?? decl;
    throw witError(named.pos, `world '${named.name}' includes itself through a cycle of 'include'`);
  }
  if (including.size >= MAX_INCLUDE_DEPTH) throw witError(site ?? decl.pos, `worlds include each other more than ${MAX_INCLUDE_DEPTH} deep`);
  if (++acc.included > MAX_INCLUDED_WORLDS) throw witError(site ?? decl.pos, `a world includes more than ${MAX_INCLUDED_WORLDS} worlds (repeats counted)`);
  including.add(decl);
  const provided = new Set<string>();
  const statedHere = new Set<string>();
  const owningPkg = pkgId(pkg.base, pkg.version);
  // World-level types and uses form one scope; its resources belong to no interface.
  const scopeItems: InterfaceItem[] = [];
  for (const it of decl.items) {
    if (it.k === 'type' || it.k === 'use') scopeItems.push(it.k === 'type' ? { k: 'type', decl: it.decl } : { k: 'use', decl: it.decl });
  }
  const scope = r.scope(pkg, '', scopeItems, r.sources.worldTypes, renames);
  const put = (dir: 'import' | 'export', named: WorldItem, key: string | null, pos: SrcPos): void => {
    // Interfaces named by path are identified by what they are; everything else by its plain name.
    const plain = key === null || key.includes('#');
    if (plain && named.kind !== 'interface') provided.add(named.name);
    // Plain-named functions and types may be renamed by `with` (inline interfaces are renamed by the caller).
    const to = named.kind === 'interface' ? undefined : renames.get(named.name);
    const item: WorldItem = to === undefined ? named : { ...named, name: to };
    const map = dir === 'import' ? acc.imports : acc.exports;
    const prev = map.get(item.name);
    // Where wasm-tools reports a clash: at the include involved (it adds a world's own items first),
    // else at the item that is not a type (it adds types first).
    const prevPos = prev ? (r.sources.items.get(prev.item) ?? pos) : pos;
    const at = site ?? prev?.site ?? (prev && prev.item.kind !== 'type' && item.kind === 'type' ? prevPos : pos);
    if (prev && (plain || prev.key !== key)) {
      throw witError(at, site || prev.site ? `${dir} of '${item.name}' by an include conflicts with another ${dir} of that name` : `duplicate ${dir} '${item.name}' in world '${decl.name}'`);
    }
    if (plain) {
      const folded = acc.folded[dir];
      const other = folded.get(item.name.toLowerCase());
      if (other !== undefined && other !== item.name) throw witError(at, `${dir} '${item.name}' in world '${decl.name}' conflicts with ${dir} '${other}' (WIT names are case-insensitive)`);
      folded.set(item.name.toLowerCase(), item.name);
    }
    if (!prev) map.set(item.name, { item, key, site });
    r.sources.items.set(item, pos);
  };
  for (const it of decl.items) {
    if (it.k === 'type') {
      if (isUnstable(it.decl)) continue;
      const t = r.types.named(scope, it.decl.name, it.decl.pos);
      put('import', { kind: 'type', name: it.decl.name, type: t }, null, it.decl.pos);
      // A world-level resource's functions are world imports too, under the resource's (final) name.
      if (it.decl.k === 'resource') {
        for (const [name, f] of r.types.resourceFuncs(scope, it.decl, r.sources.worldTypes)) {
          put('import', { kind: 'func', name, func: f }, null, r.sources.pos.get(f) ?? it.decl.pos);
        }
      }
    } else if (it.k === 'use') {
      if (isUnstable(it.decl)) continue;
      // A world-level `use` imports the interface it names, as wit-component encodes it.
      const used = r.interfaceAt(it.decl.path, pkg);
      put('import', { kind: 'interface', name: used.qname, iface: used.iface }, used.key, it.decl.path.pos);
      for (const n of it.decl.names) {
        const local = n.as ?? n;
        put('import', { kind: 'type', name: local.name, type: r.types.named(scope, local.name, local.pos) }, null, local.pos);
      }
    } else if (it.k === 'include') {
      if (it.gates.some((g) => g.kind === 'unstable')) continue;
      const target = it.path.pkg ? findIncluded(r.all, it.path) : { pkg, decl: pkg.worlds.get(it.path.iface) };
      if (!target.decl && target.pkg.interfaces.has(it.path.iface)) throw witError(it.path.namePos, `'${it.path.iface}' is an interface, not a world`);
      if (!target.decl) throw witError(it.path.namePos, `world '${it.path.iface}' not found`);
      if (isUnstable(target.decl)) throw witError(it.path.namePos, `found a reference to world '${it.path.iface}', which is excluded because its feature is not enabled`);
      const withs = new Map(it.with.map((w) => [w.from, w.to.name]));
      const got = addWorld(r, target.pkg, target.decl, acc, including, withs, site ?? it.path.namePos);
      const missing = it.with.find((w) => !got.has(w.from));
      if (missing) throw witError(it.path.namePos, `world '${it.path.iface}' has no plain-named import or export '${missing.from}' to rename (interfaces named by path cannot be renamed)`);
      for (const n of got) provided.add(renames.get(n) ?? withs.get(n) ?? n);
    } else {
      const ex = it.extern;
      if (it.gates.length) {
        // Interfaces by their unversioned qualified name, as diff matches world items.
        const name = ex.k === 'path' ? `${ex.path.pkg ? `${ex.path.pkg.namespace}:${ex.path.pkg.name}` : pkg.base}/${ex.path.iface}` : ex.name.name;
        r.sources.itemGates.set(`${it.k} ${renames.get(name) ?? name}`, { gates: gateText(it), pos: it.pos, unstable: isUnstable(it) });
      }
      if (isUnstable(it)) continue;
      if (ex.k === 'path') {
        const e = r.interfaceAt(ex.path, pkg);
        // Named twice by this world's own statements (not through `include` or `use`): a mistake.
        const stated = `${it.k}:${e.key}`;
        if (statedHere.has(stated)) throw witError(ex.path.namePos, `interface ${e.qname} is ${it.k}ed more than once`);
        statedHere.add(stated);
        put(it.k, { kind: 'interface', name: e.qname, iface: e.iface }, e.key, it.pos);
      } else if (ex.k === 'labelled') {
        // `label: iface` — the interface's contents under a plain label, resolved where the interface is declared.
        const target = r.interfaceDeclAt(ex.path, pkg);
        const name = renames.get(ex.name.name) ?? ex.name.name;
        const key = `${owningPkg}/${decl.name}#${it.k}:${name}`;
        const targetPkg = pkgId(target.pkg.base, target.pkg.version);
        const e = r.interfaceEntry(key, name, target.pkg, target.decl.items, ex.name.pos, targetPkg);
        provided.add(ex.name.name);
        put(it.k, { kind: 'interface', name, iface: e.iface }, key, ex.name.pos);
      } else if (ex.k === 'interface') {
        const name = renames.get(ex.name.name) ?? ex.name.name;
        const key = `${owningPkg}/${decl.name}#${it.k}:${name}`;
        const e = r.interfaceEntry(key, name, pkg, ex.items, ex.name.pos, owningPkg);
        provided.add(ex.name.name);
        put(it.k, { kind: 'interface', name, iface: e.iface }, key, ex.name.pos);
      } else {
        put(it.k, { kind: 'func', name: ex.name.name, func: r.types.func(scope, ex.func, null) }, null, ex.name.pos);
      }
    }
  }
  including.delete(decl);
  return provided;
}
