/**
 * Interfaces resolved once each, by identity: paths between packages, the
 * `use`s between interfaces (cycles and chain length bounded), and each
 * body's scope; the types inside go to the TypeResolver. `@unstable` items are
 * left out (no feature is enabled).
 */
import type { FuncType, InterfaceType, NamedType } from '../../component/types.js';
import type { InterfaceDecl, InterfaceItem, TypeDecl, UsePath } from './ast.js';
import { gateText, isUnstable } from './gates.js';
import { witError, type SrcPos } from './lexer.js';
import { pkgId, type WitPackage } from './packages.js';
import { MAX_CHAIN, type IfaceEntry, type Scope } from './scope.js';
import { emptyInterfaceInfo, type InterfaceInfo, type SourceMap } from './source-map.js';
import { TypeResolver } from './type-resolver.js';
import { checkTypeCycles, typeRefText } from './type-refs.js';

const MAX_INTERFACES = 10_000;

export class InterfaceResolver {
  readonly types: TypeResolver;
  readonly sources: SourceMap;
  private readonly ifaces = new Map<string, IfaceEntry>();
  private readonly resolving = new Set<string>();
  private readonly resolvingPos = new Map<string, SrcPos>();

  /** `forValidation`: see TypeResolver. */
  constructor(
    readonly all: readonly WitPackage[],
    forValidation = false,
  ) {
    this.types = new TypeResolver(forValidation);
    this.sources = this.types.sources;
  }

  private findPackage(p: NonNullable<UsePath['pkg']>, pos: SrcPos): WitPackage {
    const base = `${p.namespace}:${p.name}`;
    const same = this.all.filter((x) => x.base === base);
    const hit = p.version === null ? (same.length === 1 ? same[0] : same.find((x) => x.version === null)) : same.find((x) => x.version === p.version);
    if (!hit) {
      const known = same.map((x) => pkgId(x.base, x.version)).join(', ');
      throw witError(pos, `package ${pkgId(base, p.version)} not found${known ? ` (known: ${known})` : ' (is it under deps/?)'}`);
    }
    return hit;
  }

  /** The declaration a path names, seen from package `from`. */
  interfaceDeclAt(path: UsePath, from: WitPackage): { pkg: WitPackage; decl: InterfaceDecl } {
    let pkg = from;
    const name = path.iface;
    if (path.pkg) pkg = this.findPackage(path.pkg, path.pos);
    else if (!from.interfaces.has(name) && from.aliases.has(name)) {
      const target = from.aliases.get(name)!;
      return this.interfaceDeclAt(target, from);
    }
    const decl = pkg.interfaces.get(name);
    if (!decl && pkg.worlds.has(name)) throw witError(path.namePos, `'${name}' is a world, not an interface`);
    if (!decl) throw witError(path.namePos, `interface '${name}' not found in package ${pkgId(pkg.base, pkg.version)}`);
    if (isUnstable(decl)) throw witError(path.namePos, 'found a reference to an interface which is excluded because its feature is not enabled');
    return { pkg, decl };
  }

  /** The interface a path names, seen from package `from`. */
  interfaceAt(path: UsePath, from: WitPackage): IfaceEntry {
    const { pkg, decl } = this.interfaceDeclAt(path, from);
    const name = decl.name;
    const key = `${pkgId(pkg.base, pkg.version)}/${name}`;
    return this.interfaceEntry(key, `${pkg.base}/${name}${pkg.version ? `@${pkg.version}` : ''}`, pkg, decl.items, decl.pos, pkgId(pkg.base, pkg.version));
  }

  /** Resolves (once) an interface body under a key; inline world interfaces use their own key. */
  interfaceEntry(key: string, qname: string, pkg: WitPackage, items: readonly InterfaceItem[], pos: SrcPos, owningPkg: string): IfaceEntry {
    const hit = this.ifaces.get(key);
    if (hit) return hit;
    if (this.resolving.has(key)) {
      // As wasm-tools (a topological sort from the first declaration): the cycle is named by the
      // interface the re-entered one `use`s, at that interface's name.
      const stack = [...this.resolving];
      const named = stack[stack.indexOf(key) + 1] ?? key;
      throw witError(this.resolvingPos.get(named) ?? pos, `interface ${named.replace(/^.*\//, '')} depends on itself through a cycle of 'use'`);
    }
    if (this.resolving.size >= MAX_CHAIN) throw witError(pos, `chain of 'use' between interfaces longer than ${MAX_CHAIN}`);
    if (this.ifaces.size > MAX_INTERFACES) throw witError(pos, `more than ${MAX_INTERFACES} interfaces`);
    this.resolving.add(key);
    this.resolvingPos.set(key, pos);
    try {
      const info = emptyInterfaceInfo(pos, owningPkg);
      const scope = this.scope(pkg, qname, items, info);
      const types = new Map<string, NamedType>();
      const funcs = new Map<string, FuncType>();
      const deps = new Set<string>();
      for (const u of scope.uses.values()) deps.add(u.from.key);
      // Used types first, then own types, as wit-component lays out an instance type.
      for (const name of scope.uses.keys()) types.set(name, this.types.named(scope, name, pos));
      for (const it of items) {
        if (it.k !== 'type' || isUnstable(it.decl)) continue;
        types.set(it.decl.name, this.types.named(scope, it.decl.name, it.decl.pos));
      }
      for (const it of items) {
        if ((it.k === 'func' || it.k === 'type') && isUnstable(it.decl)) {
          info.unstable.set(it.decl.name, { kind: it.k, gates: gateText(it.decl), pos: it.decl.pos });
        }
        if (it.k === 'func' && !isUnstable(it.decl)) {
          if (funcs.has(it.decl.name) || types.has(it.decl.name)) throw witError(it.decl.pos, `duplicate name '${it.decl.name}'`);
          funcs.set(it.decl.name, this.types.func(scope, it.decl, null));
          info.members.set(it.decl.name, it.decl.pos);
          if (it.decl.gates.length) info.gates.set(it.decl.name, gateText(it.decl));
        } else if (it.k === 'type' && it.decl.k === 'resource') {
          if (isUnstable(it.decl)) {
            // A member without its own gate would refer to the gated-out resource.
            const open = it.decl.members.find((m) => !isUnstable(m));
            if (open) throw witError(open.pos, `found a reference to a type which is excluded because its feature is not enabled ('${it.decl.name}')`);
            continue;
          }
          for (const [name, f] of this.types.resourceFuncs(scope, it.decl, info)) funcs.set(name, f);
        }
      }
      const iface: InterfaceType = { kind: 'interface', name: qname, types, funcs };
      this.sources.interfaces.set(iface, info);
      this.sources.pos.set(iface, pos);
      const entry: IfaceEntry = { key, qname, iface, deps };
      this.ifaces.set(key, entry);
      return entry;
    } finally {
      this.resolving.delete(key);
    }
  }

  entryByKey(key: string): IfaceEntry {
    return this.ifaces.get(key)!;
  }

  /**
   * Builds a scope for a body: declared types and `use`d names (resolving the used interfaces).
   * `renames` (a world included `with { a as b }`) gives a declared type its new name; the body
   * still refers to it by the old one.
   */
  scope(
    pkg: WitPackage,
    owner: string,
    items: readonly (InterfaceItem | { k: 'include' })[],
    info: InterfaceInfo | null,
    renames: ReadonlyMap<string, string> = new Map(),
  ): Scope {
    const decls = new Map<string, TypeDecl>();
    const uses: Scope['uses'] = new Map();
    const gatedOut = new Set<string>();
    for (const it of items) {
      if (it.k === 'type') {
        if (isUnstable(it.decl)) {
          gatedOut.add(it.decl.name);
          continue;
        }
        if (decls.has(it.decl.name) || uses.has(it.decl.name)) throw witError(it.decl.pos, `duplicate type name '${it.decl.name}'`);
        const to = renames.get(it.decl.name);
        decls.set(it.decl.name, to === undefined ? it.decl : { ...it.decl, name: to });
        info?.members.set(it.decl.name, it.decl.pos);
        if (it.decl.gates.length) info?.gates.set(it.decl.name, gateText(it.decl));
        if (it.decl.k === 'alias') info?.aliasTargets.set(it.decl.name, typeRefText(it.decl.target));
      } else if (it.k === 'use') {
        if (isUnstable(it.decl)) continue;
        const from = this.interfaceAt(it.decl.path, pkg);
        for (const n of it.decl.names) {
          const local = n.as ?? n;
          if (decls.has(local.name) || uses.has(local.name)) throw witError(local.pos, `duplicate type name '${local.name}'`);
          if (!from.iface.types.has(n.name)) throw witError(n.pos, `type '${n.name}' not defined in interface ${from.qname}`);
          uses.set(local.name, { from, name: n.name, pos: local.pos });
          info?.members.set(local.name, local.pos);
          info?.usedFrom.set(local.name, from.qname);
        }
      }
    }
    checkTypeCycles(decls);
    return { pkg, owner, decls, uses, gatedOut, done: new Map(), inProgress: new Set() };
  }

}
