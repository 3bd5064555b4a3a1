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
import type { ComponentShape, FuncType, InterfaceType, NamedType, WorldItem } from '../component/types.js';
import { typeDef } from '../admission/wit-text.js';
import { liveShape } from '../contract/wit/live.js';
import type { InterfaceInfo, ResolvedWorld, SourceMap, SrcPos } from '../contract/wit/index.js';
import { adviseBump, type PackageBump, type PackageChange } from './bump.js';
import { breaksSide, type Breaks, type DiffFinding, type DiffReport, type DiffRuleId, type Severity } from './rules.js';

type Dir = 'import' | 'export';

interface Side {
  readonly world: ResolvedWorld;
  readonly live: ComponentShape;
}

/** Findings plus the package each belongs to (for VERSION_BUMP_REQUIRED). */
interface Pending extends DiffFinding {
  readonly pkg: string;
  /** The interface's named type (the very object) this change is in, for reporting a type change once. */
  readonly via?: NamedType;
}

const UNKNOWN: SrcPos = { file: '(unknown)', line: 1, column: 1 };

/** Which side a gate difference breaks, mirroring the import/export rules' filters. */
function sideOf(dir: Dir, kind: Difference['kind']): Breaks {
  if (kind === 'changed') return 'both';
  // `missing` = only in the old contract, `extra` = only in the new one.
  if (dir === 'import') return kind === 'missing' ? 'plugins' : 'hosts';
  return kind === 'missing' ? 'hosts' : 'plugins';
}

function finding(rule: DiffRuleId, severity: Severity, breaks: Breaks, path: string, message: string, pos: SrcPos | null, pkg: string): Pending {
  const p = pos ?? UNKNOWN;
  return { rule, severity, breaks: severity === 'breaking' ? breaks : 'none', path, message, file: p.file, line: p.line, column: p.column, pkg };
}

/** "expected X, found Y" (gate wording, expected = old) → "was X, now Y". */
function reword(message: string): string {
  return message.replace(/^expected /, 'was ').replace(/, found /, ', now ');
}

// ---- walking a path through a shape, for positions and rename detection ----

interface Located {
  readonly pos: SrcPos | null;
  /** The deepest shape object the path reached. */
  readonly node: unknown;
}

function locate(item: WorldItem, segs: readonly string[], src: SourceMap): Located {
  let pos = src.items.get(item) ?? null;
  let node: unknown = item.kind === 'interface' ? item.iface : item.kind === 'func' ? item.func : item.kind === 'type' ? item.type : null;
  let resource: string | null = null;
  const at = (o: object | undefined | null): void => {
    const p = o ? src.pos.get(o) : undefined;
    if (p) pos = p;
  };
  for (const seg of segs) {
    const sp = seg.indexOf(' ');
    const head = sp < 0 ? seg : seg.slice(0, sp);
    const rest = sp < 0 ? '' : seg.slice(sp + 1);
    const n = node as { kind?: string } | null;
    let next: unknown = undefined;
    if (n && n.kind === 'interface') {
      const iface = n as InterfaceType;
      const info = src.interfaces.get(iface);
      if (head === 'func') {
        next = iface.funcs.get(rest);
        if (next) pos = info?.members.get(rest) ?? src.pos.get(next as object) ?? pos;
      } else if (head === 'type' || head === 'record' || head === 'variant' || head === 'enum' || head === 'flags') {
        // The gate names a named type by its kind when comparing an interface's types.
        next = iface.types.get(rest);
        if (next && head !== 'type') {
          pos = info?.members.get(rest) ?? pos;
          node = next;
          continue;
        }
        if (next) pos = info?.members.get(rest) ?? pos;
      } else if (head === 'resource') {
        resource = rest;
        const r = iface.types.get(rest);
        if (r) pos = info?.members.get(rest) ?? pos;
        continue;
      } else if (resource !== null && (head === 'constructor' || head === 'method' || head === 'static')) {
        next = iface.funcs.get(head === 'constructor' ? `[constructor]${resource}` : `[${head}]${resource}.${rest}`);
        if (next) at(next as object);
      }
    } else if (n && n.kind === 'func') {
      const f = n as FuncType;
      if (head === 'param') {
        const p = f.params.find((x) => x.name === rest);
        if (p) {
          at(p);
          next = p.type;
        }
      } else if (seg === 'returns' && f.result) {
        pos = src.resultPos.get(f) ?? pos;
        next = f.result;
      }
    } else if (n && typeof n.kind === 'string') {
      const t = n as NamedType;
      if ((head === 'record' || head === 'variant' || head === 'enum' || head === 'flags') && t.kind === head) {
        at(t);
        next = t;
      } else if (head === 'field' && t.kind === 'record') {
        const f = t.fields.find((x) => x.name === rest);
        if (f) {
          at(f);
          next = f.type;
        }
      } else if (head === 'case' && t.kind === 'variant') {
        const c = t.cases.find((x) => x.name === rest);
        if (c) {
          at(c);
          next = c.type ?? c;
        }
      } else if ((head === 'case' || head === 'flag') && (t.kind === 'enum' || t.kind === 'flags')) {
        const p = src.names.get(t)?.get(rest);
        if (p) {
          pos = p;
          next = rest;
        }
      } else if (seg === 'list element' && t.kind === 'list') next = t.element;
      else if (seg === 'option' && t.kind === 'option') next = t.type;
      else if (seg === 'result ok' && t.kind === 'result') next = t.ok;
      else if (seg === 'result err' && t.kind === 'result') next = t.err;
      else if (head === 'tuple' && t.kind === 'tuple') next = t.types[Number(seg.split(' ')[2])];
      else if ((seg === 'future' || seg === 'stream') && (t.kind === 'future' || t.kind === 'stream')) next = t.type;
    }
    if (next === undefined || next === null) break;
    node = next;
  }
  return { pos, node };
}

// ---- classification -------------------------------------------------------

const STRUCTURAL = /^(list element|option|result ok|result err|tuple element \d+|future|stream)$/;
const CONTAINER = /^(record|variant|enum|flags) /;

interface Classified {
  readonly rule: DiffRuleId;
  /** Member removed: point at the old WIT. */
  readonly removal: boolean;
}

function memberRule(label: string, container: string | undefined, change: 'added' | 'removed' | 'changed' | 'reordered'): DiffRuleId | null {
  const isEnum = container?.startsWith('enum ');
  const base = label === 'param' ? 'PARAM'
    : label === 'field' ? 'FIELD'
    : label === 'flag' ? 'FLAG'
    : label === 'case' ? (isEnum ? 'ENUM_CASE' : 'CASE')
    : null;
  if (!base) return null;
  const suffix = change === 'added' ? 'ADDED'
    : change === 'removed' ? 'REMOVED'
    : change === 'reordered' ? 'REORDERED'
    : base === 'PARAM' || base === 'FIELD' ? 'RETYPED'
    : base === 'CASE' ? 'PAYLOAD_CHANGED'
    : null;
  return suffix ? (`${base}_${suffix}` as DiffRuleId) : null;
}

function classify(d: Difference, isAlias: (typeName: string) => boolean): Classified {
  const segs = d.path.slice(1);
  const last = segs[segs.length - 1] ?? '';
  if (segs.length === 0) return { rule: 'ITEM_KIND_CHANGED', removal: false };
  if (d.kind !== 'changed') {
    const removal = d.kind === 'missing';
    const resourceIdx = segs.findIndex((s) => s.startsWith('resource '));
    if (resourceIdx >= 0 && resourceIdx === segs.length - 2) {
      const what = last === 'constructor' ? 'CONSTRUCTOR' : last.startsWith('method ') ? 'METHOD' : 'STATIC';
      return { rule: `RESOURCE_${what}_${removal ? 'REMOVED' : 'ADDED'}` as DiffRuleId, removal };
    }
    if (last.startsWith('type ')) return { rule: removal ? 'TYPE_REMOVED' : 'TYPE_ADDED', removal };
    return { rule: removal ? 'FUNC_REMOVED' : 'FUNC_ADDED', removal };
  }
  if (/^expected (async )?func, found (async )?func$/.test(d.message)) return { rule: 'FUNC_ASYNC_CHANGED', removal: false };
  const order = /^expected (param|field|case|flag) order /.exec(d.message);
  if (order) return { rule: memberRule(order[1]!, last, 'reordered') ?? 'TYPE_KIND_CHANGED', removal: false };
  const sp = last.indexOf(' ');
  const label = sp < 0 ? last : last.slice(0, sp);
  const container = segs[segs.length - 2];
  if (d.message.endsWith(', found none') && ['param', 'field', 'case', 'flag'].includes(label)) {
    return { rule: memberRule(label, container, 'removed')!, removal: true };
  }
  if (d.message.startsWith(`expected no ${label} `)) return { rule: memberRule(label, container, 'added')!, removal: false };
  // A change of type: name the innermost member whose type changed.
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i]!;
    if (STRUCTURAL.test(s) || CONTAINER.test(s)) continue;
    if (s === 'returns') return { rule: 'RESULT_CHANGED', removal: false };
    const l = s.slice(0, s.indexOf(' '));
    if (l === 'param' || l === 'field' || l === 'case') return { rule: memberRule(l, segs[i - 1], 'changed')!, removal: false };
    if (l === 'type') return { rule: isAlias(s.slice(5)) ? 'TYPE_ALIAS_TARGET_CHANGED' : 'TYPE_KIND_CHANGED', removal: false };
    break;
  }
  return { rule: 'TYPE_KIND_CHANGED', removal: false };
}

/**
 * What a removed/added member looked like without its name: `expected field a: u32, found none`
 * → `: u32`; `expected no case b, found case b(u16)` → `(u16)`; an enum case or flag → ``.
 */
function memberShape(message: string, name: string): string | null {
  const m = /^expected [a-z]+ (.+), found none$/.exec(message) ?? /^expected no [a-z]+ [^,]+, found [a-z]+ (.+)$/.exec(message);
  return m && m[1]!.startsWith(name) ? m[1]!.slice(name.length) : null;
}

/** Turns a removed + added member pair at the same position into one rename. */
function mergeRenames(items: Pending[], diffs: Map<Pending, { d: Difference; oldLoc: Located; newLoc: Located }>): Pending[] {
  const out: Pending[] = [];
  const used = new Set<Pending>();
  for (const a of items) {
    if (used.has(a)) continue;
    const m = /^(PARAM|FIELD|CASE|ENUM_CASE|FLAG)_REMOVED$/.exec(a.rule);
    if (m) {
      const da = diffs.get(a)!;
      const parent = formatPath(da.d.path.slice(0, -1));
      const b = items.find((x) => !used.has(x) && x !== a && x.rule === `${m[1]}_ADDED` && formatPath(diffs.get(x)!.d.path.slice(0, -1)) === parent);
      if (b) {
        const db = diffs.get(b)!;
        const oldName = da.d.path[da.d.path.length - 1]!.split(' ').slice(1).join(' ');
        const newName = db.d.path[db.d.path.length - 1]!.split(' ').slice(1).join(' ');
        const oi = indexIn(da.oldLoc.node, oldName);
        const ni = indexIn(db.newLoc.node, newName);
        const shape = memberShape(da.d.message, oldName);
        if (oi >= 0 && oi === ni && shape !== null && shape === memberShape(db.d.message, newName)) {
          used.add(a).add(b);
          const label = da.d.path[da.d.path.length - 1]!.split(' ')[0];
          out.push({ ...b, rule: `${m[1]}_RENAMED` as DiffRuleId, path: parent, message: `${label} ${oldName} renamed to ${newName}` });
          continue;
        }
      }
    }
    out.push(a);
  }
  return out;
}

/** Index of a member name in the container a removal/addition path ends in. */
function indexIn(container: unknown, name: string): number {
  const c = container as NamedType | FuncType | null;
  if (!c || typeof c !== 'object') return -1;
  if (c.kind === 'func') return c.params.findIndex((p) => p.name === name);
  if (c.kind === 'record') return c.fields.findIndex((f) => f.name === name);
  if (c.kind === 'variant') return c.cases.findIndex((x) => x.name === name);
  if (c.kind === 'enum' || c.kind === 'flags') return c.names.indexOf(name);
  return -1;
}

// ---- the diff -----------------------------------------------------------------

function byBase(items: readonly WorldItem[]): Map<string, WorldItem> {
  return new Map(items.map((i) => [unversioned(i.name), i]));
}

function pkgOfItem(item: WorldItem, w: ResolvedWorld): string {
  if (item.kind === 'interface') return w.sources.interfaces.get(item.iface)?.pkg ?? rootPkg(w);
  return rootPkg(w);
}
function rootPkg(w: ResolvedWorld): string {
  return w.pkg.version ? `${w.pkg.base}@${w.pkg.version}` : w.pkg.base;
}

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

// ---- one finding per changed type ---------------------------------------------

/** `export x > resource r > method m > returns` → `method r.m`; null outside a function. */
function functionOf(path: string): { item: string; label: string } | null {
  const segs = path.split(' > ');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    const sp = s.indexOf(' ');
    const head = sp < 0 ? s : s.slice(0, sp);
    if (head === 'func') return { item: segs[0]!, label: s };
    const r = segs[i - 1]!.startsWith('resource ') ? segs[i - 1]!.slice(9) : null;
    if (r !== null && head === 'constructor') return { item: segs[0]!, label: `constructor ${r}` };
    if (r !== null && (head === 'method' || head === 'static')) return { item: segs[0]!, label: `${head} ${r}.${s.slice(sp + 1)}` };
  }
  return null;
}

/**
 * A named type that changed is reported where it is declared, in every interface that
 * `use`s it, and in every function whose parameters or result reach it (the gate compares
 * each). Keep the first declaration's finding, name the functions in it, and drop the
 * repeats: findings with the same message in the very same type object (an alias's
 * `u32 → u64` reads like any other `u32 → u64`; used types keep their identity).
 */
function collapseTypeRepeats(out: Pending[]): void {
  const isTypeLevel = (f: Pending): boolean => / > type [^>]+$/.test(f.path);
  const first = new Map<NamedType, number>();
  out.forEach((f, i) => {
    if (f.via && isTypeLevel(f) && !first.has(f.via)) first.set(f.via, i);
  });
  if (first.size === 0) return;
  const reached = new Map<number, string[]>();
  const drop = new Set<number>();
  out.forEach((f, i) => {
    const at = f.via ? first.get(f.via) : undefined;
    if (at === undefined || at === i || f.message !== out[at]!.message) return;
    const fn = functionOf(f.path);
    if (fn) {
      const typeItem = out[at]!.path.split(' > ')[0];
      const list = reached.get(at) ?? [];
      const label = fn.item === typeItem ? fn.label : `${fn.item} > ${fn.label}`;
      if (!list.includes(label)) list.push(label);
      reached.set(at, list);
    } else if (!isTypeLevel(f)) return;
    drop.add(i);
  });
  for (const [i, fns] of reached) out[i] = { ...out[i]!, message: `${out[i]!.message}; reached by ${fns.length === 1 ? fns[0] : `${fns.length} functions: ${fns.join(', ')}`}` };
  for (const i of [...drop].sort((x, y) => y - x)) out.splice(i, 1);
}

// ---- feature gates ------------------------------------------------------------

interface Gates {
  readonly unstable: string | null;
  readonly deprecated: string | null;
}

/** `@since(version = 0.2.0) @deprecated(version = 0.2.2)` → its parts; `@since` says when, not whether, so it is left out. */
function parseGates(text: string | undefined): Gates {
  const get = (kind: string): string | null => (text ? (new RegExp(`@${kind}\\((?:feature|version) = ([^)]+)\\)`).exec(text)?.[1] ?? null) : null);
  return { unstable: get('unstable'), deprecated: get('deprecated') };
}

/** `[method]r.m` → `resource r > method m` (the gate's path form); other names by kind. */
function memberPath(name: string, kind: 'func' | 'type'): string {
  const m = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!m) return `${kind} ${name}`;
  return m[1] === 'constructor' ? `resource ${m[2]} > constructor` : `resource ${m[2]} > ${m[1]} ${m[3]}`;
}

/** `[method]r.m` → `method r.m`, `[constructor]r` → `constructor r`; other names by kind. */
function memberLabel(name: string, kind: 'func' | 'type'): string {
  const m = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!m) return `${kind} ${name}`;
  return m[1] === 'constructor' ? `constructor ${m[2]}` : `${m[1]} ${m[2]}.${m[3]}`;
}

/**
 * What a gate change means to the contract: `@since` alone changes nothing (silent);
 * `@deprecated` added warns (dangerous), dropped or moved is safe; an `@unstable`
 * item added or removed is safe, since it is outside the contract until its feature is enabled.
 */
function gateChange(what: string, was: string | undefined, now: string | undefined): { severity: Severity; message: string } | null {
  const a = parseGates(was);
  const b = parseGates(now);
  if (a.deprecated === b.deprecated) return null;
  if (a.deprecated === null) return { severity: 'dangerous', message: `${what} was deprecated in ${b.deprecated}` };
  if (b.deprecated === null) return { severity: 'safe', message: `${what} is no longer deprecated (was since ${a.deprecated})` };
  return { severity: 'safe', message: `${what} deprecated in ${b.deprecated}, was ${a.deprecated}` };
}

function unstableMessage(what: string, gates: string, change: 'added' | 'removed'): string {
  return `unstable ${what} (feature ${parseGates(gates).unstable ?? '?'}) was ${change}: outside the contract until that feature is enabled`;
}

/** Gate changes of an interface's functions, types and resource members (including `@unstable` ones the shape leaves out). */
function memberGateFindings(
  path: string, oIface: InterfaceType, nIface: InterfaceType, oInfo: InterfaceInfo, nInfo: InterfaceInfo, nSrc: SourceMap, pkg: string,
): Pending[] {
  const out: Pending[] = [];
  const has = (iface: InterfaceType, info: InterfaceInfo, name: string): boolean => iface.funcs.has(name) || info.members.has(name);
  const posOf = (name: string): SrcPos | null => {
    const f = nIface.funcs.get(name);
    return nInfo.members.get(name) ?? (f ? nSrc.pos.get(f) : undefined) ?? null;
  };
  for (const name of new Set([...oInfo.gates.keys(), ...nInfo.gates.keys()])) {
    if (!has(oIface, oInfo, name) || !has(nIface, nInfo, name)) continue;
    const kind = nIface.funcs.has(name) ? 'func' : 'type';
    const c = gateChange(memberLabel(name, kind), oInfo.gates.get(name), nInfo.gates.get(name));
    if (c) out.push(finding('FEATURE_GATE_CHANGED', c.severity, 'none', `${path} > ${memberPath(name, kind)}`, c.message, posOf(name), pkg));
  }
  for (const [name, u] of nInfo.unstable) {
    const was = oInfo.unstable.get(name);
    if (!was && !has(oIface, oInfo, name)) {
      out.push(finding('FEATURE_GATE_CHANGED', 'safe', 'none', `${path} > ${memberPath(name, u.kind)}`, unstableMessage(memberLabel(name, u.kind), u.gates, 'added'), u.pos, pkg));
    } else if (was && parseGates(was.gates).unstable !== parseGates(u.gates).unstable) {
      out.push(finding('FEATURE_GATE_CHANGED', 'safe', 'none', `${path} > ${memberPath(name, u.kind)}`, `unstable ${memberLabel(name, u.kind)} moved from feature ${parseGates(was.gates).unstable} to ${parseGates(u.gates).unstable}`, u.pos, pkg));
    }
  }
  for (const [name, u] of oInfo.unstable) {
    if (!nInfo.unstable.has(name) && !has(nIface, nInfo, name)) {
      out.push(finding('FEATURE_GATE_CHANGED', 'safe', 'none', `${path} > ${memberPath(name, u.kind)}`, unstableMessage(memberLabel(name, u.kind), u.gates, 'removed'), u.pos, pkg));
    }
  }
  return out;
}

/** Gate changes of world items: imports, exports and world-level types deprecated, `@unstable` imports and exports added or removed. */
function worldGateFindings(o: Side, n: Side): Pending[] {
  const out: Pending[] = [];
  const og = o.world.sources.itemGates;
  const ng = n.world.sources.itemGates;
  const inShape = (w: ResolvedWorld, key: string): boolean => {
    const [dir, name] = [key.slice(0, key.indexOf(' ')), key.slice(key.indexOf(' ') + 1)];
    return (dir === 'import' ? w.shape.imports : w.shape.exports).some((i) => unversioned(i.name) === name);
  };
  for (const key of new Set([...og.keys(), ...ng.keys()])) {
    const a = og.get(key);
    const b = ng.get(key);
    const pkg = rootPkg(n.world);
    const shown = fullByKey(n.world, key) ?? fullByKey(o.world, key);
    const path = shown ? `${key.slice(0, key.indexOf(' '))} ${shown.name}` : key;
    if (b?.unstable && !a?.unstable && !inShape(o.world, key)) {
      out.push(finding('FEATURE_GATE_CHANGED', 'safe', 'none', path, unstableMessage(key, b.gates, 'added'), b.pos, pkg));
    } else if (a?.unstable && !b?.unstable && !inShape(n.world, key)) {
      out.push(finding('FEATURE_GATE_CHANGED', 'safe', 'none', path, unstableMessage(key, a.gates, 'removed'), a.pos, pkg));
    } else if (!a?.unstable && !b?.unstable && inShape(o.world, key) && inShape(n.world, key)) {
      const c = gateChange(key, a?.gates, b?.gates);
      const pos = b?.pos ?? (shown ? n.world.sources.items.get(shown) : undefined) ?? null;
      if (c) out.push(finding('FEATURE_GATE_CHANGED', c.severity, 'none', path, c.message, pos, pkg));
    }
  }
  // World-level types (`type t = …` in a world) are imported type items.
  const ot = o.world.sources.worldTypes;
  const nt = n.world.sources.worldTypes;
  for (const name of new Set([...ot.gates.keys(), ...nt.gates.keys()])) {
    if (!ot.members.has(name) || !nt.members.has(name)) continue;
    const c = gateChange(`type ${name}`, ot.gates.get(name), nt.gates.get(name));
    if (c) out.push(finding('FEATURE_GATE_CHANGED', c.severity, 'none', `import ${name}`, c.message, nt.members.get(name) ?? null, rootPkg(n.world)));
  }
  return out;
}

function fullByKey(w: ResolvedWorld, key: string): WorldItem | undefined {
  const dir = key.slice(0, key.indexOf(' '));
  const name = key.slice(key.indexOf(' ') + 1);
  return (dir === 'import' ? w.shape.imports : w.shape.exports).find((i) => unversioned(i.name) === name);
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

const VERSION_RULES: ReadonlySet<DiffRuleId> = new Set(['VERSION_INCOMPATIBLE', 'VERSION_CHANGED', 'VERSION_BUMP_REQUIRED']);

/**
 * Bump advice per package that changed (findings, version or interface set), and a
 * VERSION_BUMP_REQUIRED finding where the new version does not fit: breaking for a
 * change that breaks existing plugins under a version they still link to, dangerous
 * for additions under an unchanged version.
 */
function versionBumps(findings: readonly Pending[], ow: ResolvedWorld, nw: ResolvedWorld): { advice: PackageBump[]; findings: Pending[] } {
  const change = new Map<string, PackageChange>();
  const raise = (base: string, c: PackageChange): void => {
    const was = change.get(base) ?? 'none';
    change.set(base, was === 'breaking' || c === 'breaking' ? 'breaking' : was === 'additive' || c === 'additive' ? 'additive' : 'none');
  };
  for (const f of findings) {
    if (VERSION_RULES.has(f.rule)) continue;
    const base = unversioned(f.pkg);
    raise(base, breaksSide(f, 'plugins') ? 'breaking' : breaksSide(f, 'hosts') ? 'additive' : 'none');
  }
  const advice: PackageBump[] = [];
  const out: Pending[] = [];
  for (const np of nw.packages) {
    const op = ow.packages.find((p) => p.base === np.base);
    if (!op || advice.some((a) => a.package === np.base)) continue;
    // A package that gained an interface added to its API; one that lost one may strand plugins importing it.
    if ([...op.interfaces.keys()].some((k) => !np.interfaces.has(k))) raise(np.base, 'breaking');
    else if ([...np.interfaces.keys()].some((k) => !op.interfaces.has(k))) raise(np.base, 'additive');
    if ((!change.has(np.base) && op.version === np.version) || (op.version === null && np.version === null)) continue;
    const a = adviseBump(np.base, op.version, np.version, change.get(np.base) ?? 'none');
    advice.push(a);
    if (a.ok) continue;
    const plugins = a.change === 'breaking';
    out.push(finding('VERSION_BUMP_REQUIRED', plugins ? 'breaking' : 'dangerous', plugins ? 'plugins' : 'none', `package ${np.base}`, a.advice, np.decl?.pos ?? null, pkgId(np.base, np.version)));
  }
  return { advice, findings: out };
}

const pkgId = (base: string, version: string | null): string => (version ? `${base}@${version}` : base);
