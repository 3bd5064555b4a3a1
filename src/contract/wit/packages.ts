/** Parsed WIT files grouped into packages, and the world chosen from them. */
import type { PackageBody, PackageDecl, InterfaceDecl, UsePath, WitFile, WorldDecl } from './ast.js';
import { isUnstable } from './gates.js';
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

/** `ns:name@version`, or `ns:name` for an unversioned package. */
export const pkgId = (base: string, version: string | null): string => (version ? `${base}@${version}` : base);

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

/** Picks a world: by name (`w` or `ns:pkg/w`) or the root package's only world. */
export function findWorld(root: WitPackage, all: readonly WitPackage[], name: string | undefined): { pkg: WitPackage; decl: WorldDecl } {
  // A world gated by a feature that is not enabled does not exist, as for wasm-tools.
  const available = (p: WitPackage): WorldDecl[] => [...p.worlds.values()].filter((w) => !isUnstable(w));
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

/** The package and world an `include` of another package names (the world is undefined when missing). */
export function findIncluded(pkgs: readonly WitPackage[], path: UsePath): { pkg: WitPackage; decl: WorldDecl | undefined } {
  const p = path.pkg!;
  const base = `${p.namespace}:${p.name}`;
  const same = pkgs.filter((x) => x.base === base);
  const pkg = p.version === null ? same[0] : same.find((x) => x.version === p.version);
  if (!pkg) throw witError(path.pos, `package ${pkgId(base, p.version)} not found (is it under deps/?)`);
  return { pkg, decl: pkg.worlds.get(path.iface) };
}
