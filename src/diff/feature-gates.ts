/**
 * Feature gates (`@since`, `@deprecated`, `@unstable`) as findings: deprecations warn,
 * `@unstable` items added or removed are safe notices, `@since` alone is silent.
 */
import { unversioned } from '../component/versions.js';
import type { InterfaceType, WorldItem } from '../component/types.js';
import type { InterfaceInfo, ResolvedWorld, SourceMap, SrcPos } from '../contract/wit/index.js';
import { finding, rootPkg, type Pending, type Side } from './finding.js';
import type { Severity } from './rules.js';

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
export function memberGateFindings(
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
export function worldGateFindings(o: Side, n: Side): Pending[] {
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
