/**
 * `witplug diff`: compares two resolved worlds with the admission gate's own
 * structural comparison (src/admission/compare.ts) and matching rules
 * (versions), so "breaks plugins" is exactly "the gate refuses a plugin built
 * against the old contract", and "breaks hosts" is "a host of the old
 * contract refuses a plugin built against the new one".
 *
 * Each gate difference becomes one finding with a rule ID; the side follows
 * from the difference kind and direction the same way the gate filters it
 * (imports may have less than offered, exports more than required).
 */
import { compareNamedType, compareWorldItem } from '../admission/compare.js';
import { formatPath, type Difference } from '../admission/difference.js';
import { unversioned, versionOf, versionsCompatible, showVersion } from '../component/versions.js';
import type { WorldItem } from '../component/types.js';
import { typeDef } from '../admission/wit-text.js';
import { liveShape } from '../contract/wit/live.js';
import type { ResolvedWorld } from '../contract/wit/index.js';
import { classify, mergeRenames } from './classify.js';
import { memberGateFindings, worldGateFindings } from './feature-gates.js';
import { byBase, finding, pkgOfItem, reword, rootPkg, sideOf, type Dir, type Pending, type Side } from './finding.js';
import { locate, type Located } from './locate.js';
import { breaksSide, type DiffFinding, type DiffReport } from './rules.js';
import { collapseTypeRepeats } from './type-repeats.js';
import { versionBumps } from './version-bumps.js';

function fullItem(w: ResolvedWorld, dir: Dir, name: string): WorldItem | undefined {
  return (dir === 'import' ? w.shape.imports : w.shape.exports).find((i) => i.name === name);
}

export function diffWorlds(oldWorld: ResolvedWorld, newWorld: ResolvedWorld): DiffReport {
  const o: Side = { world: oldWorld, live: liveShape(oldWorld.shape, oldWorld.sources) };
  const n: Side = { world: newWorld, live: liveShape(newWorld.shape, newWorld.sources) };
  const out: Pending[] = [];
  for (const dir of ['import', 'export'] as const) {
    const olds = byBase(dir === 'import' ? o.live.imports : o.live.exports);
    const news = byBase(dir === 'import' ? n.live.imports : n.live.exports);
    for (const [base, oi] of olds) {
      const ni = news.get(base);
      const oldPath = `${dir} ${oi.name}`;
      if (!ni) {
        // Adding or removing a world item changes the world, not the interface's package.
        out.push(finding(dir === 'import' ? 'IMPORT_REMOVED' : 'EXPORT_REMOVED', 'breaking', dir === 'import' ? 'plugins' : 'hosts', oldPath, `${dir} ${oi.name} was removed`, o.world.sources.items.get(oi) ?? null, rootPkg(n.world)));
        continue;
      }
      const path = `${dir} ${ni.name}`;
      const pkg = pkgOfItem(ni, n.world);
      const npos = n.world.sources.items.get(ni) ?? null;
      const ov = versionOf(oi.name);
      const nv = versionOf(ni.name);
      if (!versionsCompatible(ov, nv)) {
        out.push(finding('VERSION_INCOMPATIBLE', 'breaking', 'both', path, `version ${showVersion(ov)} → ${showVersion(nv)} is not semver-compatible`, npos, pkg));
      } else if (ov !== nv) {
        out.push(finding('VERSION_CHANGED', 'safe', 'none', path, `version ${showVersion(ov)} → ${showVersion(nv)} (compatible)`, npos, pkg));
      }
      out.push(...itemFindings(dir, oi, ni, path, o.world, n.world, pkg));
      out.push(...sourceFindings(dir, oi, ni, path, o.world, n.world, pkg, out));
    }
    for (const [base, ni] of news) {
      if (olds.has(base)) continue;
      out.push(finding(dir === 'import' ? 'IMPORT_ADDED' : 'EXPORT_ADDED', 'breaking', dir === 'import' ? 'hosts' : 'plugins', `${dir} ${ni.name}`, `${dir} ${ni.name} was added`, n.world.sources.items.get(ni) ?? null, rootPkg(n.world)));
    }
    out.push(...typeOnlyItems(dir, o, n));
  }
  out.push(...worldGateFindings(o, n));
  const bumps = versionBumps(out, oldWorld, newWorld);
  out.push(...bumps.findings);
  collapseTypeRepeats(out);
  // A type used by several interfaces is compared (and reported by the gate) in each; report a
  // change once, at its first path (the defining interface's, when the world imports it).
  const seen = new Set<string>();
  const findings: DiffFinding[] = [];
  for (const { pkg: _pkg, via: _via, ...f } of out) {
    const k = `${f.rule}\u0000${f.severity}\u0000${f.breaks}\u0000${f.file}:${f.line}:${f.column}\u0000${f.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    findings.push(f);
  }
  return {
    world: newWorld.world,
    findings,
    packages: bumps.advice,
    breaksPlugins: findings.some((f) => breaksSide(f, 'plugins')),
    breaksHosts: findings.some((f) => breaksSide(f, 'hosts')),
  };
}

/** Gate differences of one matched item pair, as findings. */
function itemFindings(dir: Dir, oi: WorldItem, ni: WorldItem, path: string, ow: ResolvedWorld, nw: ResolvedWorld, pkg: string): Pending[] {
  const diffs = compareWorldItem(oi, ni, [path]);
  // World-level types (`type t = …` in a world) live in the world's own scope.
  const oldInfo = oi.kind === 'interface' ? ow.sources.interfaces.get(oi.iface) : ow.sources.worldTypes;
  const newInfo = ni.kind === 'interface' ? nw.sources.interfaces.get(ni.iface) : nw.sources.worldTypes;
  const isAlias = (t: string): boolean => Boolean(oldInfo?.aliasTargets.has(t) || newInfo?.aliasTargets.has(t));
  const meta = new Map<Pending, { d: Difference; oldLoc: Located; newLoc: Located }>();
  const items: Pending[] = [];
  for (const raw of diffs) {
    // The gate reports a named type that changed kind at the interface itself; name the type.
    const named = raw.path.length === 1 && oi.kind === 'interface' ? /^expected (?:record|variant|enum|flags|resource) (%?[a-z][a-z0-9-]*)/.exec(raw.message) : null;
    const d: Difference = named ? { ...raw, path: [...raw.path, `type ${named[1]}`] } : raw;
    const c = classify(d, isAlias);
    const segs = d.path.slice(1);
    const oldLoc = locate(oi, segs, ow.sources);
    const newLoc = locate(ni, segs, nw.sources);
    // Parents of a removed/added member: locate the container (one segment up).
    const parentOld = d.kind === 'changed' && /_(REMOVED|ADDED)$/.test(c.rule) ? locate(oi, segs.slice(0, -1), ow.sources) : oldLoc;
    const parentNew = d.kind === 'changed' && /_(REMOVED|ADDED)$/.test(c.rule) ? locate(ni, segs.slice(0, -1), nw.sources) : newLoc;
    const breaks = sideOf(dir, d.kind);
    // A world item changing kind is a change of the world, like an item added or removed.
    const owner = c.rule === 'ITEM_KIND_CHANGED' ? rootPkg(nw) : pkg;
    const via = d.kind === 'changed' && ni.kind === 'interface' ? [...ni.iface.types.values()].find((t) => t === newLoc.node) : undefined;
    const found = finding(c.rule, 'breaking', breaks, formatPath(d.path), reword(d.message), c.removal ? oldLoc.pos : newLoc.pos, owner);
    const f: Pending = { ...found, ...(via === undefined ? {} : { via }) };
    meta.set(f, { d, oldLoc: parentOld, newLoc: parentNew });
    items.push(f);
  }
  return mergeRenames(items, meta);
}

/** Source-level changes the binary does not show: use targets, alias targets, gates, unused types. */
function sourceFindings(
  dir: Dir, oi: WorldItem, ni: WorldItem, path: string, ow: ResolvedWorld, nw: ResolvedWorld, pkg: string, sofar: readonly Pending[],
): Pending[] {
  if (oi.kind !== 'interface' || ni.kind !== 'interface') return [];
  const oInfo = ow.sources.interfaces.get(oi.iface);
  const nInfo = nw.sources.interfaces.get(ni.iface);
  if (!oInfo || !nInfo) return [];
  const out: Pending[] = [];
  for (const [name, from] of nInfo.usedFrom) {
    const was = oInfo.usedFrom.get(name);
    if (was !== undefined && unversioned(was) !== unversioned(from)) {
      out.push(finding('USE_TARGET_CHANGED', 'dangerous', 'none', `${path} > type ${name}`, `type ${name} was used from ${was}, now from ${from}`, nInfo.members.get(name) ?? null, pkg));
    }
  }
  for (const [name, target] of nInfo.aliasTargets) {
    const was = oInfo.aliasTargets.get(name);
    const structural = sofar.some((f) => f.path.startsWith(`${path} > `) && f.path.includes(`type ${name}`));
    if (was !== undefined && was !== target && !structural) {
      out.push(finding('TYPE_ALIAS_TARGET_CHANGED', 'dangerous', 'none', `${path} > type ${name}`, `type ${name} = ${was} is now type ${name} = ${target} (same structure)`, nInfo.members.get(name) ?? null, pkg));
    }
  }
  out.push(...memberGateFindings(path, oi.iface, ni.iface, oInfo, nInfo, nw.sources, pkg));
  // Types the live projection dropped on both sides.
  const fo = fullItem(ow, dir, oi.name);
  const fn = fullItem(nw, dir, ni.name);
  if (fo?.kind === 'interface' && fn?.kind === 'interface') {
    const names = new Set([...fo.iface.types.keys(), ...fn.iface.types.keys()]);
    for (const name of names) {
      if (oi.iface.types.has(name) || ni.iface.types.has(name)) continue;
      const a = fo.iface.types.get(name);
      const b = fn.iface.types.get(name);
      const msg = !a ? `unused type ${name} was added: ${typeDef(b!)}` : !b ? `unused type ${name} was removed` : compareNamedType(name, a, b).map((d) => reword(d.message)).join('; ');
      if (msg) {
        const pos = b ? nInfo.members.get(name) : oInfo.members.get(name);
        out.push(finding('UNUSED_TYPE_CHANGED', 'dangerous', 'none', `${path} > type ${name}`, msg, pos ?? null, pkg));
      }
    }
  }
  return out;
}

/** Interfaces that declare only unused types reach no binary: report them, never as breaking. */
function typeOnlyItems(dir: Dir, o: Side, n: Side): Pending[] {
  const out: Pending[] = [];
  const liveO = new Set((dir === 'import' ? o.live.imports : o.live.exports).map((i) => unversioned(i.name)));
  const liveN = new Set((dir === 'import' ? n.live.imports : n.live.exports).map((i) => unversioned(i.name)));
  const fullO = byBase(dir === 'import' ? o.world.shape.imports : o.world.shape.exports);
  const fullN = byBase(dir === 'import' ? n.world.shape.imports : n.world.shape.exports);
  for (const base of new Set([...fullO.keys(), ...fullN.keys()])) {
    if (liveO.has(base) || liveN.has(base)) continue;
    const a = fullO.get(base);
    const b = fullN.get(base);
    if (a && b) {
      const diffs = compareWorldItem(a, b, [`${dir} ${b.name}`]);
      if (diffs.length === 0) continue;
      out.push(finding('UNUSED_TYPE_CHANGED', 'dangerous', 'none', `${dir} ${b.name}`, `interface with only unused types changed: ${diffs.map((d) => reword(d.message)).join('; ')}`, n.world.sources.items.get(b) ?? null, pkgOfItem(b, n.world)));
    } else if (a || b) {
      const it = (b ?? a)!;
      const w = b ? n.world : o.world;
      out.push(finding('UNUSED_TYPE_CHANGED', 'dangerous', 'none', `${dir} ${it.name}`, `interface with only unused types was ${b ? 'added' : 'removed'}`, w.sources.items.get(it) ?? null, pkgOfItem(it, w)));
    }
  }
  return out;
}
