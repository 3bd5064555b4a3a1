/**
 * Resolves parsed WIT packages into the `ComponentShape` of one world — the
 * same model the binary decoder produces for a type-only component built by
 * wit-component — plus a source map from every shape object to its position.
 *
 * What wit-component does and this mirrors: interfaces a world's interfaces
 * `use` are imported implicitly; used types appear in the using interface
 * under their local name but keep the defining type's identity and name;
 * resources belong to the interface defining them; a bare resource name as a
 * type means `own<r>`; `@unstable` items are left out (no feature enabled).
 */
import type {
  ComponentShape,
  FuncType,
  InterfaceType,
  NamedType,
  Param,
  ResourceType,
  ValType,
  WorldItem,
} from '../../component/types.js';
import type {
  Attrs,
  FuncDecl,
  InterfaceDecl,
  InterfaceItem,
  PackageBody,
  PackageDecl,
  TypeDecl,
  TypeRef,
  UsePath,
  WitFile,
  WorldDecl,
} from './ast.js';
import { witError, type SrcPos } from './lexer.js';
import { assertNever } from '../../util/assert-never.js';

/** One package: every file of a directory, a deps/ entry, or a nested `package … { }` block. */
export interface WitPackage {
  /** `ns:name` */
  readonly base: string;
  readonly version: string | null;
  readonly decl: PackageDecl | null;
  readonly interfaces: Map<string, InterfaceDecl>;
  readonly worlds: Map<string, WorldDecl>;
  /** Top-level `use ns:pkg/iface as name`. */
  readonly aliases: Map<string, UsePath>;
}

/** Source-level facts about a resolved interface the shape itself cannot carry. */
export interface InterfaceInfo {
  readonly pos: SrcPos;
  /** Package id (`ns:name@version`) the interface belongs to, or the world's for inline interfaces. */
  readonly pkg: string;
  /** Position of each type name and function in this interface (used types: the `use` name). */
  readonly members: Map<string, SrcPos>;
  /** Local type name → qualified interface it was `use`d from. */
  readonly usedFrom: Map<string, string>;
  /** Alias name → its target as written (`type a = b`). */
  readonly aliasTargets: Map<string, string>;
  /** Member name (type, function, or `[method]r.m` of a resource) → its gates as written, e.g. `@since(version = 0.2.0)`. */
  readonly gates: Map<string, string>;
  /** Members left out because they are `@unstable` (same naming), with their gates and position. */
  readonly unstable: Map<string, { readonly kind: 'func' | 'type'; readonly gates: string; readonly pos: SrcPos }>;
}

function emptyInterfaceInfo(pos: SrcPos, pkg: string): InterfaceInfo {
  return { pos, pkg, members: new Map(), usedFrom: new Map(), aliasTargets: new Map(), gates: new Map(), unstable: new Map() };
}

/** A world item as written: its gates, and whether `@unstable` left it out of the shape. */
export interface WorldItemGates {
  readonly gates: string;
  readonly pos: SrcPos;
  readonly unstable: boolean;
}

/** Positions of shape objects (funcs, params, fields, cases, named types) and of enum/flag names. */
export class SourceMap {
  readonly pos = new WeakMap<object, SrcPos>();
  readonly names = new WeakMap<object, Map<string, SrcPos>>();
  readonly resultPos = new WeakMap<FuncType, SrcPos>();
  readonly interfaces = new WeakMap<InterfaceType, InterfaceInfo>();
  readonly items = new WeakMap<WorldItem, SrcPos>();
  /** World-level type names (and `use`s) of the resolved world and the worlds it includes. */
  readonly worldTypes: InterfaceInfo = emptyInterfaceInfo({ file: '', line: 1, column: 1 }, '');
  /** Gated world items (imports and exports), keyed `import name` / `export name` with versions left off. */
  readonly itemGates = new Map<string, WorldItemGates>();
  /** Alias object → the named type it stands for (see `typeDecl`). */
  readonly aliasOf = new WeakMap<object, NamedType>();
}

export interface ResolvedWorld {
  readonly world: string;
  readonly pkg: WitPackage;
  /** Every package read (root and deps), for version checks. */
  readonly packages: readonly WitPackage[];
  readonly shape: ComponentShape;
  readonly sources: SourceMap;
}

const pkgId = (base: string, version: string | null): string => (version ? `${base}@${version}` : base);

function gateText(a: Attrs): string {
  return a.gates.map((g) => `@${g.kind}(${g.kind === 'unstable' ? 'feature' : 'version'} = ${g.value})`).join(' ');
}
const unstable = (a: Attrs): boolean => a.gates.some((g) => g.kind === 'unstable');

/** Groups parsed files into packages: `root` files form one package; each deps entry another. */
export function collectPackages(root: readonly WitFile[], deps: readonly (readonly WitFile[])[]): { root: WitPackage; all: WitPackage[] } {
  const all: WitPackage[] = [];
  const add = (bodies: readonly PackageBody[], where: string, first: SrcPos): WitPackage => {
    const decl = bodies.find((b) => b.package)?.package ?? null;
    // As wasm-tools: a package has a name; none is invented for WIT that declares none.
    if (!decl) throw witError(first, `no 'package' header was found in any WIT file of ${where}`);
    const documented = bodies.filter((b) => b.package?.docsPos);
    if (documented.length > 1) throw witError(documented[1]!.package!.docsPos!, `found doc comments on more than one 'package' declaration in ${where}`);
    for (const b of bodies) {
      if (b.package && decl && (b.package.namespace !== decl.namespace || b.package.name !== decl.name || b.package.version !== decl.version)) {
        throw witError(b.package.namePos, `package ${pkgId(`${b.package.namespace}:${b.package.name}`, b.package.version)} differs from ${pkgId(`${decl.namespace}:${decl.name}`, decl.version)} declared elsewhere in ${where}`);
      }
    }
    const pkg: WitPackage = {
      base: `${decl.namespace}:${decl.name}`,
      version: decl.version,
      decl,
      interfaces: new Map(),
      worlds: new Map(),
      aliases: new Map(),
    };
    for (const b of bodies) {
      for (const i of b.interfaces) {
        if (pkg.interfaces.has(i.name) || pkg.worlds.has(i.name)) throw witError(i.pos, `duplicate name '${i.name}' in package ${pkg.base}`);
        pkg.interfaces.set(i.name, i);
      }
      for (const w of b.worlds) {
        if (pkg.interfaces.has(w.name) || pkg.worlds.has(w.name)) throw witError(w.pos, `duplicate name '${w.name}' in package ${pkg.base}`);
        pkg.worlds.set(w.name, w);
      }
      for (const u of b.uses) pkg.aliases.set(u.as?.name ?? u.path.iface, u.path);
    }
    // A top-level `use` names something in its own file: it may not shadow that file's interfaces and worlds.
    for (const b of bodies) {
      for (const u of b.uses) {
        const name = u.as?.name ?? u.path.iface;
        const clash = b.interfaces.find((i) => i.name === name) ?? b.worlds.find((w) => w.name === name);
        if (clash) throw witError(clash.pos, `duplicate name '${name}': a top-level 'use' in this file already names it`);
      }
    }
    const same = all.find((p) => p.base === pkg.base && p.version === pkg.version);
    if (same) throw witError(decl.namePos, `package ${pkgId(pkg.base, pkg.version)} is defined twice (also at ${same.decl ? `${same.decl.pos.file}:${same.decl.pos.line}:${same.decl.pos.column}` : 'another file'})`);
    all.push(pkg);
    return pkg;
  };
  const start = (files: readonly WitFile[]): SrcPos => ({ file: files[0]?.file ?? '(wit)', line: 1, column: 1 });
  const rootPkg = add(root, 'the root package', start(root));
  for (const f of root) for (const n of f.nested) add([n], f.file, start([f]));
  for (const files of deps) {
    add(files, files[0]?.file ?? 'deps', start(files));
    for (const f of files) for (const n of f.nested) add([n], f.file, start([f]));
  }
  return { root: rootPkg, all };
}

interface IfaceEntry {
  readonly key: string;
  readonly qname: string;
  readonly iface: InterfaceType;
  /** Keys of interfaces this one `use`s. */
  readonly deps: Set<string>;
}

/** Scope of one interface or world body: local type names → resolved types (lazily). */
interface Scope {
  readonly pkg: WitPackage;
  /** Qualified name of the owner, for resources ('' for world-level). */
  readonly owner: string;
  readonly decls: Map<string, TypeDecl>;
  readonly uses: Map<string, { from: IfaceEntry; name: string; pos: SrcPos }>;
  readonly done: Map<string, NamedType>;
  readonly inProgress: Set<string>;
  /** Types left out by an inactive `@unstable` feature: referring to one is an error. */
  readonly gatedOut: ReadonlySet<string>;
}

const MAX_INTERFACES = 10_000;
/**
 * Bounds a world's `include`s: how deep they chain, and how many worlds one
 * world pulls in counting repeats (`include a; include a;` at every level
 * would otherwise double the work per level).
 */
export const MAX_INCLUDE_DEPTH = 100;
export const MAX_INCLUDED_WORLDS = 10_000;
/** Bounds recursion through aliases and `use` chains (hostile WIT must not overflow the stack). */
const MAX_CHAIN = 100;
/** Same bound as the binary decoder's (src/component/defs.ts). */
const MAX_TYPE_DEPTH = 100;

export class Resolver {
  readonly sources = new SourceMap();
  private readonly ifaces = new Map<string, IfaceEntry>();
  private readonly resolving = new Set<string>();
  private readonly resolvingPos = new Map<string, SrcPos>();
  /** The declaration whose types are being resolved: where wasm-tools reports a reference to a gated-out type. */
  private site: SrcPos | null = null;

  /**
   * `forValidation`: wasm-tools parses empty records and flags (the shapes witplug refuses for a
   * contract's world); the whole-package pass leaves them to the world that uses them.
   */
  constructor(
    readonly all: readonly WitPackage[],
    private readonly forValidation = false,
  ) {}

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
    if (unstable(decl)) throw witError(path.namePos, 'found a reference to an interface which is excluded because its feature is not enabled');
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
      for (const name of scope.uses.keys()) types.set(name, this.named(scope, name, pos));
      for (const it of items) {
        if (it.k !== 'type' || unstable(it.decl)) continue;
        types.set(it.decl.name, this.named(scope, it.decl.name, it.decl.pos));
      }
      for (const it of items) {
        if ((it.k === 'func' || it.k === 'type') && unstable(it.decl)) {
          info.unstable.set(it.decl.name, { kind: it.k, gates: gateText(it.decl), pos: it.decl.pos });
        }
        if (it.k === 'func' && !unstable(it.decl)) {
          if (funcs.has(it.decl.name) || types.has(it.decl.name)) throw witError(it.decl.pos, `duplicate name '${it.decl.name}'`);
          funcs.set(it.decl.name, this.func(scope, it.decl, null));
          info.members.set(it.decl.name, it.decl.pos);
          if (it.decl.gates.length) info.gates.set(it.decl.name, gateText(it.decl));
        } else if (it.k === 'type' && it.decl.k === 'resource') {
          if (unstable(it.decl)) {
            // A member without its own gate would refer to the gated-out resource.
            const open = it.decl.members.find((m) => !unstable(m));
            if (open) throw witError(open.pos, `found a reference to a type which is excluded because its feature is not enabled ('${it.decl.name}')`);
            continue;
          }
          for (const [name, f] of this.resourceFuncs(scope, it.decl, info)) funcs.set(name, f);
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
        if (unstable(it.decl)) {
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
        if (unstable(it.decl)) continue;
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

  /** The type a local name stands for (its definition, an alias target, or a used type). */
  named(scope: Scope, name: string, pos: SrcPos): NamedType {
    const done = scope.done.get(name);
    if (done) return done;
    const use = scope.uses.get(name);
    if (use) {
      const t = use.from.iface.types.get(use.name)!;
      scope.done.set(name, t);
      return t;
    }
    const decl = scope.decls.get(name);
    if (!decl && scope.gatedOut.has(name)) throw witError(this.site ?? pos, `found a reference to type '${name}', which is excluded because its feature is not enabled`);
    if (!decl) throw witError(pos, `type '${name}' not defined`);
    if (scope.inProgress.has(name)) throw witError(decl.pos, `type '${name}' refers to itself`);
    if (scope.inProgress.size >= MAX_CHAIN) throw witError(decl.pos, `chain of type definitions longer than ${MAX_CHAIN}`);
    scope.inProgress.add(name);
    try {
      const t = this.typeDecl(scope, decl);
      scope.done.set(name, t);
      return t;
    } finally {
      scope.inProgress.delete(name);
    }
  }

  private typeDecl(scope: Scope, d: TypeDecl): NamedType {
    const outer = this.site;
    this.site = d.pos;
    try {
      return this.typeDeclAt(scope, d);
    } finally {
      this.site = outer;
    }
  }

  private typeDeclAt(scope: Scope, d: TypeDecl): NamedType {
    const s = this.sources;
    let t: NamedType;
    switch (d.k) {
      case 'record': {
        const fields = d.fields.map((f) => {
          this.site = f.pos;
          const field = { name: f.name, type: this.valType(scope, f.type) };
          s.pos.set(field, f.pos);
          return field;
        });
        dupes(fields.map((f, i) => ({ name: f.name, pos: d.fields[i]!.pos })), 'field');
        if (fields.length === 0 && !this.forValidation) throw witError(d.pos, `record '${d.name}' has no fields`);
        t = { kind: 'record', fields, name: d.name };
        break;
      }
      case 'variant': {
        const cases = d.cases.map((c) => {
          this.site = c.pos;
          const cs = { name: c.name, type: c.type ? this.valType(scope, c.type) : null };
          s.pos.set(cs, c.pos);
          return cs;
        });
        dupes(d.cases, 'case');
        if (cases.length === 0) throw witError(d.pos, `variant '${d.name}' has no cases`);
        t = { kind: 'variant', cases, name: d.name };
        break;
      }
      case 'enum':
      case 'flags': {
        dupes(d.names, d.k === 'enum' ? 'case' : 'flag');
        if (d.names.length === 0 && !(d.k === 'flags' && this.forValidation)) throw witError(d.pos, `${d.k} '${d.name}' has no ${d.k === 'enum' ? 'cases' : 'flags'}`);
        if (d.k === 'flags' && d.names.length > 32) throw witError(d.pos, `flags '${d.name}' has more than 32 flags`);
        t = { kind: d.k, names: d.names.map((n) => n.name), name: d.name };
        s.names.set(t, new Map(d.names.map((n) => [n.name, n.pos])));
        break;
      }
      case 'resource':
        t = { kind: 'resource', name: d.name, interfaceName: scope.owner };
        break;
      case 'alias':
        // An alias of a named type is that type (same name, same resource) in the binary, but a
        // distinct object here so liveness (./live.ts) can tell whether the alias itself is used.
        if (d.target.k === 'named') {
          const target = this.named(scope, d.target.name, d.target.pos);
          t = { ...target };
          s.aliasOf.set(t, target);
          const names = s.names.get(target);
          if (names) s.names.set(t, names);
        } else t = this.valType(scope, d.target);
        break;
      default: assertNever(d, 'k');
    }
    s.pos.set(t, d.pos);
    return t;
  }

  private readonly depth = new WeakMap<object, number>();

  /** A type reference; a bare resource name means `own<r>`. Nesting is bounded across aliases. */
  valType(scope: Scope, r: TypeRef): ValType {
    const t = this.valTypeInner(scope, r);
    const d = this.depthOf(t);
    if (d > MAX_TYPE_DEPTH) throw witError(r.pos, `type nested deeper than ${MAX_TYPE_DEPTH}`);
    return t;
  }

  private depthOf(t: NamedType): number {
    const known = this.depth.get(t);
    if (known !== undefined) return known;
    const kids: NamedType[] =
      t.kind === 'record' ? t.fields.map((f) => f.type)
      : t.kind === 'variant' ? t.cases.flatMap((c) => (c.type ? [c.type] : []))
      : t.kind === 'list' ? [t.element]
      : t.kind === 'option' ? [t.type]
      : t.kind === 'result' ? [t.ok, t.err].filter((x): x is ValType => x !== null)
      : t.kind === 'tuple' ? [...t.types]
      : (t.kind === 'future' || t.kind === 'stream') && t.type ? [t.type]
      : [];
    // Children were measured when they were built, so this never recurses deeply.
    const d = 1 + kids.reduce((m, k) => Math.max(m, this.depth.get(k) ?? 1), 0);
    this.depth.set(t, d);
    return d;
  }

  private valTypeInner(scope: Scope, r: TypeRef): ValType {
    switch (r.k) {
      case 'prim':
        return { kind: r.name as 'u32' };
      case 'named': {
        const t = this.named(scope, r.name, r.pos);
        return t.kind === 'resource' ? { kind: 'own', resource: t } : t;
      }
      case 'list': {
        const element = this.valType(scope, r.element);
        return r.length === undefined ? { kind: 'list', element } : { kind: 'list', element, length: r.length };
      }
      case 'option':
        return { kind: 'option', type: this.valType(scope, r.type) };
      case 'result':
        return { kind: 'result', ok: r.ok ? this.valType(scope, r.ok) : null, err: r.err ? this.valType(scope, r.err) : null };
      case 'tuple':
        return { kind: 'tuple', types: r.types.map((x) => this.valType(scope, x)) };
      case 'own':
      case 'borrow': {
        const t = this.named(scope, r.resource.name, r.resource.pos);
        if (t.kind !== 'resource') throw witError(r.resource.pos, `${r.k}<${r.resource.name}>: '${r.resource.name}' is not a resource`);
        return { kind: r.k, resource: t };
      }
      case 'future':
      case 'stream':
        return { kind: r.k, type: r.type ? this.valType(scope, r.type) : null };
      default: assertNever(r, 'k');
    }
  }

  /** `label` is the function's name in the shape (`[method]r.m` for a resource method), for errors. */
  func(scope: Scope, d: FuncDecl, self: ResourceType | null, label = d.name): FuncType {
    const outer = this.site;
    this.site = d.pos;
    try {
      const f = this.funcAt(scope, d, self);
      // The canonical ABI cannot return a borrow: it would outlive the call that lent it.
      if (f.result && containsBorrow(f.result, new Set())) throw witError(d.pos, `function '${label}' returns a type containing a borrow<…>, which is not supported`);
      return f;
    } finally {
      this.site = outer;
    }
  }

  private funcAt(scope: Scope, d: FuncDecl, self: ResourceType | null): FuncType {
    const params: Param[] = [];
    if (self) params.push({ name: 'self', type: { kind: 'borrow', resource: self } });
    for (const p of d.params) {
      const param = { name: p.name, type: this.valType(scope, p.type) };
      this.sources.pos.set(param, p.pos);
      params.push(param);
    }
    dupes(d.params, 'parameter');
    const result = d.result ? this.valType(scope, d.result) : null;
    const f: FuncType = d.async ? { kind: 'func', params, result, async: true } : { kind: 'func', params, result };
    this.sources.pos.set(f, d.pos);
    if (d.result) this.sources.resultPos.set(f, d.result.pos);
    return f;
  }

  /**
   * `[constructor]r`, `[method]r.m`, `[static]r.s` of a resource declared in `scope`, named after the
   * resource as resolved (a world included `with { r as s }` gives `[constructor]s`).
   * Gates of its members are recorded in `info` (left-out `@unstable` ones included).
   */
  resourceFuncs(scope: Scope, d: TypeDecl & { k: 'resource' }, info: InterfaceInfo): [string, FuncType][] {
    const r = this.named(scope, d.name, d.pos) as ResourceType;
    const out: [string, FuncType][] = [];
    const seen = new Set<string>();
    for (const m of d.members) {
      const fname = m.kind === 'constructor' ? `[constructor]${r.name}` : `[${m.kind}]${r.name}.${m.name}`;
      if (unstable(m)) {
        info.unstable.set(fname, { kind: 'func', gates: gateText(m), pos: m.pos });
        continue;
      }
      if (m.gates.length) info.gates.set(fname, gateText(m));
      const key = m.kind === 'constructor' ? 'constructor' : m.name;
      if (seen.has(key)) throw witError(m.pos, `duplicate resource member '${key}'`);
      seen.add(key);
      if (m.kind === 'constructor') {
        const f = this.func(scope, m.func, null, `[constructor]${r.name}`);
        checkConstructorResult(m.func, f, r);
        const full: FuncType = { kind: 'func', params: f.params, result: f.result ?? { kind: 'own', resource: r } };
        this.sources.pos.set(full, m.pos);
        if (f.result) this.sources.resultPos.set(full, this.sources.resultPos.get(f)!);
        out.push([`[constructor]${r.name}`, full]);
      } else {
        const f = this.func(scope, m.func, m.kind === 'method' ? r : null, `[${m.kind}]${r.name}.${m.name}`);
        out.push([`[${m.kind}]${r.name}.${m.name}`, f]);
      }
    }
    return out;
  }
}

/** A constructor returns the resource, or `result<r, e>` of it. */
function checkConstructorResult(d: FuncDecl, f: FuncType, r: ResourceType): void {
  if (!d.result || !f.result) return;
  if (d.result.k !== 'result') throw witError(d.result.pos, 'a constructor that declares a return type must return a result');
  const ok = f.result.kind === 'result' ? f.result.ok : null;
  const okPos = d.result.ok?.pos ?? d.result.pos;
  if (!ok || ok.kind !== 'own' || ok.resource !== r) throw witError(okPos, `the ok type of a constructor's result must be the resource being constructed ('${r.name}')`);
}

/** Whether a type reaches a `borrow<…>` (through named types too; `seen` guards shared subtrees). */
function containsBorrow(t: ValType, seen: Set<object>): boolean {
  if (seen.has(t)) return false;
  seen.add(t);
  switch (t.kind) {
    case 'borrow':
      return true;
    case 'record':
      return t.fields.some((f) => containsBorrow(f.type, seen));
    case 'variant':
      return t.cases.some((c) => c.type !== null && containsBorrow(c.type, seen));
    case 'list':
      return containsBorrow(t.element, seen);
    case 'option':
      return containsBorrow(t.type, seen);
    case 'result':
      return (t.ok !== null && containsBorrow(t.ok, seen)) || (t.err !== null && containsBorrow(t.err, seen));
    case 'tuple':
      return t.types.some((x) => containsBorrow(x, seen));
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'own': case 'future': case 'stream':
      return false;
    default: assertNever(t, 'kind');
  }
}

/**
 * Rejects a cycle among a body's type definitions as wasm-tools does: after a
 * topological sort, the first definition (in source order) left with
 * unresolved references names its first such reference.
 */
function checkTypeCycles(decls: ReadonlyMap<string, TypeDecl>): void {
  const edges = new Map<string, { name: string; pos: SrcPos }[]>();
  for (const [name, d] of decls) {
    const refs: { name: string; pos: SrcPos }[] = [];
    const walk = (r: TypeRef): void => {
      switch (r.k) {
        case 'named':
          if (decls.has(r.name)) refs.push({ name: r.name, pos: r.pos });
          return;
        case 'own':
        case 'borrow':
          if (decls.has(r.resource.name)) refs.push({ name: r.resource.name, pos: r.resource.pos });
          return;
        case 'list':
          return walk(r.element);
        case 'option':
          return walk(r.type);
        case 'result':
          if (r.ok) walk(r.ok);
          if (r.err) walk(r.err);
          return;
        case 'tuple':
          return r.types.forEach(walk);
        case 'future':
        case 'stream':
          if (r.type) walk(r.type);
          return;
        case 'prim':
          return;
        default: assertNever(r, 'k');
      }
    };
    if (d.k === 'record') d.fields.forEach((f) => walk(f.type));
    else if (d.k === 'variant') d.cases.forEach((c) => c.type && walk(c.type));
    else if (d.k === 'alias') walk(d.target);
    edges.set(name, refs);
  }
  const remaining = new Map([...edges].map(([n, e]) => [n, e.length]));
  const dependents = new Map<string, string[]>();
  for (const [n, e] of edges) for (const x of e) dependents.set(x.name, [...(dependents.get(x.name) ?? []), n]);
  const ready = [...remaining].filter(([, c]) => c === 0).map(([n]) => n);
  while (ready.length) {
    for (const d of dependents.get(ready.pop()!) ?? []) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  for (const [n, e] of edges) {
    if (remaining.get(n) === 0) continue;
    const ref = e.find((x) => remaining.get(x.name)! > 0);
    if (ref) throw witError(ref.pos, `type '${ref.name}' depends on itself`);
  }
}

function dupes(items: readonly { name: string; pos: SrcPos }[], what: string): void {
  const seen = new Set<string>();
  for (const i of items) {
    if (seen.has(i.name)) throw witError(i.pos, `duplicate ${what} name '${i.name}'`);
    seen.add(i.name);
  }
}

/** A type reference as written, for comparing alias targets across versions. */
export function typeRefText(r: TypeRef): string {
  switch (r.k) {
    case 'prim':
    case 'named':
      return r.name;
    case 'list':
      return `list<${typeRefText(r.element)}${r.length === undefined ? '' : `, ${r.length}`}>`;
    case 'option':
      return `option<${typeRefText(r.type)}>`;
    case 'result':
      return r.ok === null && r.err === null ? 'result' : `result<${r.ok ? typeRefText(r.ok) : '_'}${r.err ? `, ${typeRefText(r.err)}` : ''}>`;
    case 'tuple':
      return `tuple<${r.types.map(typeRefText).join(', ')}>`;
    case 'own':
    case 'borrow':
      return `${r.k}<${r.resource.name}>`;
    case 'future':
    case 'stream':
      return r.type ? `${r.k}<${typeRefText(r.type)}>` : r.k;
    default: assertNever(r, 'k');
  }
}

/** Picks a world: by name (`w` or `ns:pkg/w`) or the root package's only world. */
export function findWorld(root: WitPackage, all: readonly WitPackage[], name: string | undefined): { pkg: WitPackage; decl: WorldDecl } {
  // A world gated by a feature that is not enabled does not exist, as for wasm-tools.
  const available = (p: WitPackage): WorldDecl[] => [...p.worlds.values()].filter((w) => !unstable(w));
  const rootWorlds = available(root);
  if (name === undefined) {
    if (rootWorlds.length !== 1) {
      const names = rootWorlds.map((w) => w.name).join(', ');
      throw witError(root.decl?.pos ?? { file: '(wit)', line: 1, column: 1 }, `choose a world with --world (the root package has ${rootWorlds.length === 0 ? 'no worlds' : `worlds ${names}`})`);
    }
    return { pkg: root, decl: rootWorlds[0]! };
  }
  const m = /^([a-z][a-z0-9-]*:[a-z][a-z0-9:-]*)\/([a-z][a-z0-9-]*)(?:@(.+))?$/.exec(name);
  if (m) {
    const pkg = all.find((p) => p.base === m[1] && (m[3] === undefined || p.version === m[3]));
    const decl = pkg && available(pkg).find((w) => w.name === m[2]);
    if (pkg && decl) return { pkg, decl };
  } else {
    const decl = rootWorlds.find((w) => w.name === name);
    if (decl) return { pkg: root, decl };
  }
  throw witError(root.decl?.pos ?? { file: '(wit)', line: 1, column: 1 }, `world '${name}' not found (worlds: ${rootWorlds.map((w) => w.name).join(', ') || 'none'})`);
}

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
export function resolveWorld(all: readonly WitPackage[], pkg: WitPackage, decl: WorldDecl, r: Resolver = new Resolver(all)): ResolvedWorld {
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
  r: Resolver,
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
      if (unstable(it.decl)) continue;
      const t = r.named(scope, it.decl.name, it.decl.pos);
      put('import', { kind: 'type', name: it.decl.name, type: t }, null, it.decl.pos);
      // A world-level resource's functions are world imports too, under the resource's (final) name.
      if (it.decl.k === 'resource') {
        for (const [name, f] of r.resourceFuncs(scope, it.decl, r.sources.worldTypes)) {
          put('import', { kind: 'func', name, func: f }, null, r.sources.pos.get(f) ?? it.decl.pos);
        }
      }
    } else if (it.k === 'use') {
      if (unstable(it.decl)) continue;
      // A world-level `use` imports the interface it names, as wit-component encodes it.
      const used = r.interfaceAt(it.decl.path, pkg);
      put('import', { kind: 'interface', name: used.qname, iface: used.iface }, used.key, it.decl.path.pos);
      for (const n of it.decl.names) {
        const local = n.as ?? n;
        put('import', { kind: 'type', name: local.name, type: r.named(scope, local.name, local.pos) }, null, local.pos);
      }
    } else if (it.k === 'include') {
      if (it.gates.some((g) => g.kind === 'unstable')) continue;
      const target = it.path.pkg ? findIncluded(r.all, it.path) : { pkg, decl: pkg.worlds.get(it.path.iface) };
      if (!target.decl && target.pkg.interfaces.has(it.path.iface)) throw witError(it.path.namePos, `'${it.path.iface}' is an interface, not a world`);
      if (!target.decl) throw witError(it.path.namePos, `world '${it.path.iface}' not found`);
      if (unstable(target.decl)) throw witError(it.path.namePos, `found a reference to world '${it.path.iface}', which is excluded because its feature is not enabled`);
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
        r.sources.itemGates.set(`${it.k} ${renames.get(name) ?? name}`, { gates: gateText(it), pos: it.pos, unstable: unstable(it) });
      }
      if (unstable(it)) continue;
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
        put(it.k, { kind: 'func', name: ex.name.name, func: r.func(scope, ex.func, null) }, null, ex.name.pos);
      }
    }
  }
  including.delete(decl);
  return provided;
}

function findIncluded(pkgs: readonly WitPackage[], path: UsePath): { pkg: WitPackage; decl: WorldDecl | undefined } {
  const p = path.pkg!;
  const base = `${p.namespace}:${p.name}`;
  const same = pkgs.filter((x) => x.base === base);
  const pkg = p.version === null ? same[0] : same.find((x) => x.version === p.version);
  if (!pkg) throw witError(path.pos, `package ${pkgId(base, p.version)} not found (is it under deps/?)`);
  return { pkg, decl: pkg.worlds.get(path.iface) };
}
