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
  readonly worldTypes: InterfaceInfo = { pos: { file: '', line: 1, column: 1 }, pkg: '', members: new Map(), usedFrom: new Map(), aliasTargets: new Map(), gates: new Map(), unstable: new Map() };
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
  const add = (bodies: readonly PackageBody[], where: string): WitPackage => {
    const decl = bodies.find((b) => b.package)?.package ?? null;
    for (const b of bodies) {
      if (b.package && decl && (b.package.namespace !== decl.namespace || b.package.name !== decl.name || b.package.version !== decl.version)) {
        throw witError(b.package.pos, `package ${pkgId(`${b.package.namespace}:${b.package.name}`, b.package.version)} differs from ${pkgId(`${decl.namespace}:${decl.name}`, decl.version)} declared elsewhere in ${where}`);
      }
    }
    const pkg: WitPackage = {
      base: decl ? `${decl.namespace}:${decl.name}` : 'root:component',
      version: decl?.version ?? null,
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
    all.push(pkg);
    return pkg;
  };
  const rootPkg = add(root, 'the root package');
  for (const f of root) for (const n of f.nested) add([n], f.file);
  for (const files of deps) {
    add(files, files[0]?.file ?? 'deps');
    for (const f of files) for (const n of f.nested) add([n], f.file);
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
}

const MAX_INTERFACES = 10_000;
/** Bounds recursion through aliases and `use` chains (hostile WIT must not overflow the stack). */
const MAX_CHAIN = 100;
/** Same bound as the binary decoder's (src/component/defs.ts). */
const MAX_TYPE_DEPTH = 100;

export class Resolver {
  readonly sources = new SourceMap();
  private readonly ifaces = new Map<string, IfaceEntry>();
  private readonly resolving = new Set<string>();

  constructor(readonly all: readonly WitPackage[]) {}

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

  /** The interface a path names, seen from package `from`. */
  interfaceAt(path: UsePath, from: WitPackage): IfaceEntry {
    let pkg = from;
    let name = path.iface;
    if (path.pkg) pkg = this.findPackage(path.pkg, path.pos);
    else if (!from.interfaces.has(name) && from.aliases.has(name)) {
      const target = from.aliases.get(name)!;
      return this.interfaceAt(target, from);
    }
    const decl = pkg.interfaces.get(name);
    if (!decl) throw witError(path.pos, `interface '${name}' not found in package ${pkgId(pkg.base, pkg.version)}`);
    name = decl.name;
    const key = `${pkgId(pkg.base, pkg.version)}/${name}`;
    return this.interfaceEntry(key, `${pkg.base}/${name}${pkg.version ? `@${pkg.version}` : ''}`, pkg, decl.items, decl.pos, pkgId(pkg.base, pkg.version));
  }

  /** Resolves (once) an interface body under a key; inline world interfaces use their own key. */
  interfaceEntry(key: string, qname: string, pkg: WitPackage, items: readonly InterfaceItem[], pos: SrcPos, owningPkg: string): IfaceEntry {
    const hit = this.ifaces.get(key);
    if (hit) return hit;
    if (this.resolving.has(key)) throw witError(pos, `interface ${qname} uses itself through a cycle of 'use'`);
    if (this.resolving.size >= MAX_CHAIN) throw witError(pos, `chain of 'use' between interfaces longer than ${MAX_CHAIN}`);
    if (this.ifaces.size > MAX_INTERFACES) throw witError(pos, `more than ${MAX_INTERFACES} interfaces`);
    this.resolving.add(key);
    try {
      const info: InterfaceInfo = { pos, pkg: owningPkg, members: new Map(), usedFrom: new Map(), aliasTargets: new Map(), gates: new Map(), unstable: new Map() };
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
        if ((it.k === 'func' || it.k === 'type') && unstable(it.decl)) info.unstable.set(it.decl.name, { kind: it.k, gates: gateText(it.decl), pos: it.decl.pos });
        if (it.k === 'func' && !unstable(it.decl)) {
          if (funcs.has(it.decl.name) || types.has(it.decl.name)) throw witError(it.decl.pos, `duplicate name '${it.decl.name}'`);
          funcs.set(it.decl.name, this.func(scope, it.decl, null));
          info.members.set(it.decl.name, it.decl.pos);
          if (it.decl.gates.length) info.gates.set(it.decl.name, gateText(it.decl));
        } else if (it.k === 'type' && it.decl.k === 'resource' && !unstable(it.decl)) {
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

  /** Builds a scope for a body: declared types and `use`d names (resolving the used interfaces). */
  scope(pkg: WitPackage, owner: string, items: readonly (InterfaceItem | { k: 'include' })[], info: InterfaceInfo | null): Scope {
    const decls = new Map<string, TypeDecl>();
    const uses: Scope['uses'] = new Map();
    for (const it of items) {
      if (it.k === 'type') {
        if (unstable(it.decl)) continue;
        if (decls.has(it.decl.name) || uses.has(it.decl.name)) throw witError(it.decl.pos, `duplicate type name '${it.decl.name}'`);
        decls.set(it.decl.name, it.decl);
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
    return { pkg, owner, decls, uses, done: new Map(), inProgress: new Set() };
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
    const s = this.sources;
    let t: NamedType;
    switch (d.k) {
      case 'record': {
        const fields = d.fields.map((f) => {
          const field = { name: f.name, type: this.valType(scope, f.type) };
          s.pos.set(field, f.pos);
          return field;
        });
        dupes(fields.map((f, i) => ({ name: f.name, pos: d.fields[i]!.pos })), 'field');
        if (fields.length === 0) throw witError(d.pos, `record '${d.name}' has no fields`);
        t = { kind: 'record', fields, name: d.name };
        break;
      }
      case 'variant': {
        const cases = d.cases.map((c) => {
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
        if (d.names.length === 0) throw witError(d.pos, `${d.k} '${d.name}' has no ${d.k === 'enum' ? 'cases' : 'flags'}`);
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
    }
  }

  func(scope: Scope, d: FuncDecl, self: ResourceType | null): FuncType {
    const params: Param[] = [];
    if (self) params.push({ name: 'self', type: { kind: 'borrow', resource: self } });
    for (const p of d.params) {
      const param = { name: p.name, type: this.valType(scope, p.type) };
      this.sources.pos.set(param, p.pos);
      params.push(param);
    }
    dupes(d.params, 'parameter');
    const f: FuncType = d.async ? { kind: 'func', params, result: d.result ? this.valType(scope, d.result) : null, async: true } : { kind: 'func', params, result: d.result ? this.valType(scope, d.result) : null };
    this.sources.pos.set(f, d.pos);
    if (d.result) this.sources.resultPos.set(f, d.result.pos);
    return f;
  }

  private resourceFuncs(scope: Scope, d: TypeDecl & { k: 'resource' }, info: InterfaceInfo): [string, FuncType][] {
    const r = this.named(scope, d.name, d.pos) as ResourceType;
    const out: [string, FuncType][] = [];
    const seen = new Set<string>();
    for (const m of d.members) {
      const fname = m.kind === 'constructor' ? `[constructor]${d.name}` : `[${m.kind}]${d.name}.${m.name}`;
      if (unstable(m)) {
        info.unstable.set(fname, { kind: 'func', gates: gateText(m), pos: m.pos });
        continue;
      }
      if (m.gates.length) info.gates.set(fname, gateText(m));
      const key = m.kind === 'constructor' ? 'constructor' : m.name;
      if (seen.has(key)) throw witError(m.pos, `duplicate resource member '${key}'`);
      seen.add(key);
      if (m.kind === 'constructor') {
        const f = this.func(scope, m.func, null);
        const full: FuncType = { kind: 'func', params: f.params, result: f.result ?? { kind: 'own', resource: r } };
        this.sources.pos.set(full, m.pos);
        if (f.result) this.sources.resultPos.set(full, this.sources.resultPos.get(f)!);
        out.push([`[constructor]${d.name}`, full]);
      } else {
        const f = this.func(scope, m.func, m.kind === 'method' ? r : null);
        out.push([`[${m.kind}]${d.name}.${m.name}`, f]);
      }
    }
    return out;
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
  }
}

/** Picks a world: by name (`w` or `ns:pkg/w`) or the root package's only world. */
export function findWorld(root: WitPackage, all: readonly WitPackage[], name: string | undefined): { pkg: WitPackage; decl: WorldDecl } {
  if (name === undefined) {
    if (root.worlds.size !== 1) {
      const names = [...root.worlds.keys()].join(', ') || 'none';
      throw witError(root.decl?.pos ?? { file: '(wit)', line: 1, column: 1 }, `choose a world with --world (the root package has ${root.worlds.size === 0 ? 'no worlds' : `worlds ${names}`})`);
    }
    return { pkg: root, decl: root.worlds.values().next().value as WorldDecl };
  }
  const m = /^([a-z][a-z0-9-]*:[a-z][a-z0-9:-]*)\/([a-z][a-z0-9-]*)(?:@(.+))?$/.exec(name);
  if (m) {
    const pkg = all.find((p) => p.base === m[1] && (m[3] === undefined || p.version === m[3]));
    const decl = pkg?.worlds.get(m[2]!);
    if (pkg && decl) return { pkg, decl };
  } else {
    const decl = root.worlds.get(name);
    if (decl) return { pkg: root, decl };
  }
  throw witError(root.decl?.pos ?? { file: '(wit)', line: 1, column: 1 }, `world '${name}' not found (worlds: ${[...root.worlds.keys()].join(', ') || 'none'})`);
}

interface WorldAcc {
  readonly imports: Map<string, { item: WorldItem; key: string | null }>;
  readonly exports: Map<string, { item: WorldItem; key: string | null }>;
  /** Interfaces whose `use` dependencies must be imported. */
  readonly needs: IfaceEntry[];
}

/** The shape of a world, as wit-component would encode a type-only component for it. */
export function resolveWorld(all: readonly WitPackage[], pkg: WitPackage, decl: WorldDecl): ResolvedWorld {
  const r = new Resolver(all);
  const acc: WorldAcc = { imports: new Map(), exports: new Map(), needs: [] };
  addWorld(r, pkg, decl, acc, new Set());
  // Transitive `use` dependencies become imports unless the world exports them.
  const exportedKeys = new Set([...acc.exports.values()].map((e) => e.key).filter((k): k is string => k !== null));
  const importedKeys = new Set([...acc.imports.values()].map((e) => e.key).filter((k): k is string => k !== null));
  const implicit: WorldItem[] = [];
  const visit = (e: IfaceEntry, stack: Set<string>): void => {
    for (const k of e.deps) {
      if (exportedKeys.has(k) || importedKeys.has(k) || stack.has(k)) continue;
      const dep = r.entryByKey(k);
      stack.add(k);
      visit(dep, stack);
      importedKeys.add(k);
      const item: WorldItem = { kind: 'interface', name: dep.qname, iface: dep.iface };
      r.sources.items.set(item, r.sources.interfaces.get(dep.iface)!.pos);
      implicit.push(item);
    }
  };
  for (const e of acc.needs) visit(e, new Set());
  const imports = [...implicit, ...[...acc.imports.values()].map((v) => v.item)];
  const exports = [...acc.exports.values()].map((v) => v.item);
  return { world: decl.name, pkg, packages: all, shape: { imports, exports }, sources: r.sources };
}

/** `renames`: `include w with { a as b }` — plain-named items of an included world under new names. */
function addWorld(r: Resolver, pkg: WitPackage, decl: WorldDecl, acc: WorldAcc, including: Set<WorldDecl>, renames: ReadonlyMap<string, string> = new Map()): void {
  if (including.has(decl)) throw witError(decl.pos, `world '${decl.name}' includes itself`);
  including.add(decl);
  const owningPkg = pkgId(pkg.base, pkg.version);
  // World-level types and uses form one scope; its resources belong to no interface.
  const scopeItems: InterfaceItem[] = [];
  for (const it of decl.items) if (it.k === 'type' || it.k === 'use') scopeItems.push(it.k === 'type' ? { k: 'type', decl: it.decl } : { k: 'use', decl: it.decl });
  const scope = r.scope(pkg, '', scopeItems, r.sources.worldTypes);
  for (const u of scope.uses.values()) acc.needs.push(u.from);
  const put = (dir: 'import' | 'export', named: WorldItem, key: string | null, pos: SrcPos): void => {
    // Plain-named functions and types may be renamed by `with` (inline interfaces are renamed below).
    const to = named.kind === 'interface' ? undefined : renames.get(named.name);
    const item: WorldItem = to === undefined ? named : { ...named, name: to };
    const map = dir === 'import' ? acc.imports : acc.exports;
    const other = dir === 'import' ? acc.exports : acc.imports;
    const prev = map.get(item.name);
    if (prev && !(key !== null && prev.key === key)) throw witError(pos, `duplicate ${dir} '${item.name}'`);
    if (!prev && other.has(item.name) && item.kind !== 'interface') throw witError(pos, `'${item.name}' is both imported and exported`);
    if (!prev) map.set(item.name, { item, key });
    r.sources.items.set(item, pos);
  };
  for (const it of decl.items) {
    if (it.k === 'type') {
      if (unstable(it.decl)) continue;
      const t = r.named(scope, it.decl.name, it.decl.pos);
      put('import', { kind: 'type', name: it.decl.name, type: t }, null, it.decl.pos);
    } else if (it.k === 'use') {
      if (unstable(it.decl)) continue;
      for (const n of it.decl.names) {
        const local = n.as ?? n;
        put('import', { kind: 'type', name: local.name, type: r.named(scope, local.name, local.pos) }, null, local.pos);
      }
    } else if (it.k === 'include') {
      if (it.gates.some((g) => g.kind === 'unstable')) continue;
      const target = it.path.pkg ? findIncluded(r.all, it.path) : { pkg, decl: pkg.worlds.get(it.path.iface) };
      if (!target.decl) throw witError(it.path.pos, `world '${it.path.iface}' not found`);
      addWorld(r, target.pkg, target.decl, acc, including, new Map(it.with.map((w) => [w.from, w.to.name])));
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
        acc.needs.push(e);
        put(it.k, { kind: 'interface', name: e.qname, iface: e.iface }, e.key, it.pos);
      } else if (ex.k === 'interface') {
        const name = renames.get(ex.name.name) ?? ex.name.name;
        const key = `${owningPkg}/${decl.name}#${it.k}:${name}`;
        const e = r.interfaceEntry(key, name, pkg, ex.items, ex.name.pos, owningPkg);
        acc.needs.push(e);
        put(it.k, { kind: 'interface', name, iface: e.iface }, key, ex.name.pos);
      } else {
        put(it.k, { kind: 'func', name: ex.name.name, func: r.func(scope, ex.func, null) }, null, ex.name.pos);
      }
    }
  }
  including.delete(decl);
}

function findIncluded(pkgs: readonly WitPackage[], path: UsePath): { pkg: WitPackage; decl: WorldDecl | undefined } {
  const p = path.pkg!;
  const base = `${p.namespace}:${p.name}`;
  const same = pkgs.filter((x) => x.base === base);
  const pkg = p.version === null ? same[0] : same.find((x) => x.version === p.version);
  if (!pkg) throw witError(path.pos, `package ${pkgId(base, p.version)} not found (is it under deps/?)`);
  return { pkg, decl: pkg.worlds.get(path.iface) };
}
