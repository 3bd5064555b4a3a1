/**
 * Versioned interface names and semver compatibility, as wasmtime's linker
 * applies it: `1.3.0` and `1.2.0` are compatible (same major, ≥ 1); for 0.x
 * the minor must match too; 0.0.x and pre-releases match only themselves.
 */
import type { ComponentShape } from './types.js';

/** `pkg:x/iface@1.2.0` → `pkg:x/iface`; names without a version are returned as is (jco keys imports without versions). */
export function unversioned(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

export function versionOf(name: string): string | null {
  const at = name.indexOf('@');
  return at < 0 ? null : name.slice(at + 1);
}

export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: string;
}

export function parseSemver(v: string): Semver | null {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ?? '' };
}

/** Whether an item built against `wanted` may be linked to one providing `offered`. */
export function versionsCompatible(wanted: string | null, offered: string | null): boolean {
  if (wanted === null || offered === null) return wanted === offered;
  if (wanted === offered) return true;
  const a = parseSemver(wanted);
  const b = parseSemver(offered);
  if (!a || !b) return false;
  if (a.pre || b.pre) return false;
  if (a.major !== b.major) return false;
  // wasmtime gives 0.0.x no alternate lookup key: every patch is its own API.
  if (a.major === 0) return a.minor === b.minor && a.minor !== 0;
  return true;
}

/** Orders versions by semver precedence (a release after its pre-releases); unparsable ones first. */
export function compareVersions(a: string | null, b: string | null): number {
  const pa = a === null ? null : parseSemver(a);
  const pb = b === null ? null : parseSemver(b);
  if (!pa || !pb) return (pa ? 1 : 0) - (pb ? 1 : 0);
  const d = pa.major - pb.major || pa.minor - pb.minor || pa.patch - pb.patch;
  if (d !== 0) return d;
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === '') return 1;
  if (pb.pre === '') return -1;
  return comparePrerelease(pa.pre, pb.pre);
}

/**
 * Semver 2.0 §11: dot-separated identifiers left to right, numeric ones
 * compared as numbers and below alphanumeric ones, a shorter prefix first
 * (`alpha.2` < `alpha.10` < `alpha.beta` < `beta`).
 */
function comparePrerelease(a: string, b: string): number {
  const xs = a.split('.');
  const ys = b.split('.');
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return x.length - y.length || (x < y ? -1 : 1);
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return xs.length - ys.length;
}

/**
 * Of `names`, the one with the same unversioned name as `wanted` and the
 * newest semver-compatible version (what a linker with several versions
 * picks); unversioned names are skipped.
 */
export function newestCompatible(wanted: string, names: Iterable<string>): string | undefined {
  const base = unversioned(wanted);
  const v = versionOf(wanted);
  let best: string | undefined;
  for (const name of names) {
    if (name === base || unversioned(name) !== base || !versionsCompatible(v, versionOf(name))) continue;
    if (best === undefined || compareVersions(versionOf(name), versionOf(best)) > 0) best = name;
  }
  return best;
}

/** Display form of a version for messages. */
export function showVersion(v: string | null): string {
  return v === null ? 'no version' : v;
}

/** How many versions of each unversioned interface name the plugin imports. */
export function versionCounts(shape: ComponentShape): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of shape.imports) {
    if (item.kind !== 'interface') continue;
    const base = unversioned(item.name);
    counts.set(base, (counts.get(base) ?? 0) + 1);
  }
  return counts;
}
