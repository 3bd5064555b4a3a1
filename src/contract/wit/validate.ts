/**
 * Whole-package checks, so that WIT wasm-tools rejects is rejected here too —
 * whichever world is chosen, and for items no world reaches:
 *
 * - feature gates: `@deprecated` needs `@since` or `@unstable`, not both of
 *   those, none twice; `@since` names a released version of a versioned package;
 *   an `@unstable` interface or world gates each type it declares too;
 * - top-level `use … as …` names an interface;
 * - every interface and world of every package resolves (types, `use`s,
 *   borrow results, constructor results, duplicate and conflicting names).
 */
import type { Attrs, Gate, InterfaceItem, WorldDecl } from './ast.js';
import { witError, type SrcPos } from './lexer.js';
import { InterfaceResolver } from './interfaces.js';
import type { WitPackage } from './packages.js';
import { MAX_INCLUDE_DEPTH, resolveWorld } from './world.js';
import { compareVersions } from '../../component/versions.js';

const isUnstable = (a: { readonly gates: readonly Gate[] }): boolean => a.gates.some((g) => g.kind === 'unstable');

/** Gate combination rules, checked on every item as written. */
function checkGates(gates: readonly Gate[]): void {
  const seen = new Map<Gate['kind'], Gate>();
  for (const g of gates) {
    if (seen.has(g.kind)) throw witError({ ...g.pos, column: g.pos.column + 1 }, `@${g.kind} given twice`);
    seen.set(g.kind, g);
  }
  const since = seen.get('since');
  const deprecated = seen.get('deprecated');
  // Reported at the attribute's name, just after its `@`, as wasm-tools does.
  const name = (g: Gate): SrcPos => ({ ...g.pos, column: g.pos.column + 1 });
  if (since && seen.has('unstable')) throw witError(name(since), 'an item cannot be both @since and @unstable');
  if (deprecated && !since && !seen.has('unstable')) throw witError(name(deprecated), '@deprecated needs @since (or @unstable) on the same item');
}

/** `@since` must name a version the package has released (its own version or an earlier one). */
function checkSince(pkg: WitPackage, gates: readonly Gate[], at: SrcPos): void {
  checkGates(gates);
  for (const g of gates) {
    if (g.kind !== 'since') continue;
    const name = `${pkg.base}${pkg.version ? `@${pkg.version}` : ''}`;
    if (pkg.version === null) throw witError(at, `package ${name} has a feature gate with a version (@since), so the package needs a version`);
    if (compareVersions(g.value, pkg.version) > 0) throw witError(at, `@since(version = ${g.value}) names an unreleased version of package ${name} (current version ${pkg.version})`);
  }
}

function checkInterfaceItems(pkg: WitPackage, items: readonly InterfaceItem[], gatedOwner: 'interface' | 'world' | null): void {
  for (const it of items) {
    const attrs: Attrs = it.decl;
    checkSince(pkg, attrs.gates, it.k === 'use' ? it.decl.path.pos : it.decl.pos);
    if (it.k === 'type') {
      if (gatedOwner && !isUnstable(it.decl)) {
        throw witError(it.decl.pos, `type '${it.decl.name}' is not gated by a feature but its ${gatedOwner} is (@unstable): gate it too`);
      }
      if (it.decl.k === 'resource') for (const m of it.decl.members) checkSince(pkg, m.gates, m.pos);
    }
  }
}

function checkWorld(pkg: WitPackage, w: WorldDecl): void {
  checkSince(pkg, w.gates, w.pos);
  const gated = isUnstable(w) ? 'world' : null;
  for (const it of w.items) {
    if (it.k === 'type' || it.k === 'use') checkInterfaceItems(pkg, [it], gated);
    else if (it.k === 'include') checkSince(pkg, it.gates, it.path.namePos);
    else {
      const ex = it.extern;
      checkSince(pkg, it.gates, ex.k === 'path' ? ex.path.namePos : ex.name.pos);
      if (ex.k === 'interface') checkInterfaceItems(pkg, ex.items, null);
    }
  }
}

/** Throws the first problem found (a CONTRACT error at its line:column); returns when every package is valid. */
export function validatePackages(all: readonly WitPackage[]): void {
  for (const pkg of all) {
    for (const i of pkg.interfaces.values()) {
      checkSince(pkg, i.gates, i.pos);
      checkInterfaceItems(pkg, i.items, isUnstable(i) ? 'interface' : null);
    }
    for (const w of pkg.worlds.values()) checkWorld(pkg, w);
  }
  const r = new InterfaceResolver(all, true);
  for (const pkg of all) {
    // Resolving a top-level alias checks it names an interface (not a world, not nothing).
    for (const path of pkg.aliases.values()) r.interfaceDeclAt(path, pkg);
    for (const i of pkg.interfaces.values()) {
      if (!isUnstable(i)) r.interfaceAt({ pkg: null, iface: i.name, pos: i.pos, namePos: i.pos }, pkg);
    }
  }
  // One resolver for every world: each interface is resolved once, however many worlds use it.
  for (const [pkg, w] of includedFirst(all)) if (!isUnstable(w)) resolveWorld(all, pkg, w, r);
}

/**
 * Every world, each after the worlds it includes (as wasm-tools elaborates them), so a problem in
 * an included world is reported there rather than at the world including it. Unresolvable
 * includes and include chains past MAX_INCLUDE_DEPTH are left for resolveWorld to report.
 */
function includedFirst(all: readonly WitPackage[]): [WitPackage, WorldDecl][] {
  const out: [WitPackage, WorldDecl][] = [];
  const seen = new Set<WorldDecl>();
  const stack: WorldDecl[] = [];
  const visit = (pkg: WitPackage, w: WorldDecl, depth: number): void => {
    const at = stack.indexOf(w);
    if (at >= 0) {
      // A cycle, named as wasm-tools names it: walking from the first world declared, the world
      // the re-entered one includes, at that world's name.
      const named = stack[at + 1] ?? w;
      throw witError(named.pos, `world '${named.name}' includes itself through a cycle of 'include'`);
    }
    if (seen.has(w) || depth > MAX_INCLUDE_DEPTH) return;
    seen.add(w);
    stack.push(w);
    for (const it of w.items) {
      if (it.k !== 'include') continue;
      const p = it.path.pkg;
      const target = p === null ? pkg : all.find((x) => x.base === `${p.namespace}:${p.name}` && (p.version === null || x.version === p.version));
      const decl = target?.worlds.get(it.path.iface);
      if (target && decl) visit(target, decl, depth + 1);
    }
    stack.pop();
    out.push([pkg, w]);
  };
  for (const pkg of all) for (const w of pkg.worlds.values()) visit(pkg, w, 0);
  return out;
}
