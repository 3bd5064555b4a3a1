/**
 * Version-bump advice, from what a change does to plugins that already exist.
 *
 * The component model links by semver compatibility as wasmtime does
 * (src/component/versions.ts): same major from 1.0, same minor for 0.x,
 * exact for 0.0.x and pre-releases. So a change that breaks existing plugins
 * needs a version they no longer match (otherwise they link and fail later),
 * and an addition needs a newer version they still match — a minor bump from
 * 1.0, a patch bump for 0.x — so existing plugins keep linking. A 0.0.x or
 * pre-release version has no such successor: any new version refuses every
 * existing plugin, so additions there keep the version (no bump).
 */
import { compareVersions, parseSemver, versionsCompatible } from '../component/versions.js';

/** What a package's changes do to existing plugins. */
export type PackageChange = 'breaking' | 'additive' | 'none';
/** The kind of new version the changes call for. */
export type BumpNeed = 'incompatible' | 'compatible' | 'none';

export interface PackageBump {
  /** `ns:name` */
  readonly package: string;
  readonly old: string | null;
  readonly new: string | null;
  /** `breaking`: existing plugins are refused; `additive`: only hosts of the old version lack something; `none`: nothing a binary carries changed. */
  readonly change: PackageChange;
  /** `none` also for additions to a 0.0.x or pre-release version: keeping it is what keeps existing plugins admitted. */
  readonly needs: BumpNeed;
  /** The smallest version after `old` that fits `needs` (null when nothing is needed or there is no version). */
  readonly suggested: string | null;
  /** Whether `new` fits what the changes need. */
  readonly ok: boolean;
  /** One sentence for people. */
  readonly advice: string;
}

/** The next version existing plugins of `v` still link to: a minor bump from 1.0, a patch bump for 0.x; none for 0.0.x or pre-releases. */
export function compatibleBump(v: string): string | null {
  const s = parseSemver(v);
  if (!s || s.pre !== '') return null;
  if (s.major > 0) return `${s.major}.${s.minor + 1}.0`;
  if (s.minor > 0) return `0.${s.minor}.${s.patch + 1}`;
  return null;
}

/** The next version existing plugins of `v` no longer link to: major from 1.0, minor for 0.x, patch for 0.0.x (a pre-release: its release). */
export function incompatibleBump(v: string): string | null {
  const s = parseSemver(v);
  if (!s) return null;
  if (s.pre !== '') return `${s.major}.${s.minor}.${s.patch}`;
  if (s.major > 0) return `${s.major + 1}.0.0`;
  if (s.minor > 0) return `0.${s.minor + 1}.0`;
  return `0.0.${s.patch + 1}`;
}

/** How the bump is called for a version line, for messages. */
function bumpName(v: string, need: 'incompatible' | 'compatible'): string {
  const s = parseSemver(v);
  if (!s) return 'a new version';
  if (need === 'compatible') return s.major > 0 ? 'a minor bump' : 'a patch bump';
  if (s.pre !== '') return 'a new version';
  return s.major > 0 ? 'a major bump' : s.minor > 0 ? 'a minor bump' : 'a patch bump';
}

/** The bump `old → neu` made, for messages (both parse: callers checked). */
function bumpMade(old: string, neu: string): string {
  const a = parseSemver(old)!;
  const b = parseSemver(neu)!;
  return a.major !== b.major ? 'a major bump' : a.minor !== b.minor ? 'a minor bump' : a.patch !== b.patch ? 'a patch bump' : 'a new pre-release';
}

const arrow = (old: string | null, neu: string | null): string => (old === neu ? `stays ${neu ?? 'unversioned'}` : `${old ?? 'unversioned'} → ${neu ?? 'unversioned'}`);

/** The advice for one package whose changes are classified as `change`. */
export function adviseBump(pkg: string, old: string | null, neu: string | null, change: PackageChange): PackageBump {
  const base = { package: pkg, old, new: neu, change };
  const raised = old !== null && neu !== null && compareVersions(neu, old) > 0;
  const compatible = versionsCompatible(old, neu);
  if (old === null || neu === null || parseSemver(old) === null) {
    // Unversioned packages link by name alone: no version can say anything.
    return { ...base, needs: 'none', suggested: null, ok: true, advice: `package ${pkg} ${arrow(old, neu)}: no version to advise on` };
  }
  const canAdd = compatibleBump(old);
  if (change === 'additive' && canAdd === null) return keepForAdditions(base, old, neu);
  const needs: BumpNeed = change === 'none' ? 'none' : change === 'additive' ? 'compatible' : 'incompatible';
  if (needs === 'none') {
    const what = `package ${pkg} ${arrow(old, neu)}: nothing a binary carries changed`;
    const advice = old === neu ? `${what}, no bump needed` : compatible ? `${what}, no bump was needed` : `${what}, yet ${neu} refuses existing plugins: no bump was needed`;
    return { ...base, needs, suggested: null, ok: true, advice };
  }
  if (needs === 'compatible') {
    const ok = raised && compatible;
    const what = `package ${pkg} ${arrow(old, neu)}: additions only, nothing existing plugins use changed`;
    // From 1.0 a patch bump links too, but semver keeps patches for fixes.
    const patchOnly = ok && parseSemver(old)!.major > 0 && parseSemver(neu)!.minor === parseSemver(old)!.minor;
    const advice = patchOnly
      ? `${what}; ${neu} links, though semver asks a minor bump for additions (${canAdd})`
      : ok
      ? `${what}; ${bumpMade(old, neu)} is right`
      : raised
        ? `${what}, yet ${neu} refuses them; ${bumpName(old, 'compatible')}, to ${canAdd}, would keep them`
        : `${what}; it needs ${bumpName(old, 'compatible')}, to ${canAdd}`;
    // An incompatible bump is allowed (never wrong, only costly): `ok` says whether the need is met.
    return { ...base, needs, suggested: canAdd, ok: ok || (raised && !compatible), advice };
  }
  const next = incompatibleBump(old);
  const ok = raised && !compatible;
  const what = `package ${pkg} ${arrow(old, neu)}: breaks existing plugins`;
  const advice = ok ? `${what}; ${bumpMade(old, neu)} is right` : `${what}${compatible && old !== neu ? `, yet ${neu} still links to them` : ''}; it needs ${bumpName(old, 'incompatible')}, to ${next}`;
  return { ...base, needs, suggested: next, ok, advice };
}

/**
 * Additions to a version with no compatible successor (0.0.x, a pre-release): every
 * new version refuses existing plugins, so the version they link to stays. Plugins
 * built against the additions still meet the gate on a host that lacks them, as with
 * any compatible bump. A new version anyway is allowed, like any incompatible bump.
 */
function keepForAdditions(base: Pick<PackageBump, 'package' | 'old' | 'new' | 'change'>, old: string, neu: string): PackageBump {
  const what = `package ${base.package} ${arrow(old, neu)}: additions only, nothing existing plugins use changed`;
  const advice = old === neu
    ? `${what}; ${old} has no compatible successor (any new version refuses existing plugins), so no bump needed`
    : `${what}, yet ${neu} refuses them; ${old} has no compatible successor, so keeping ${old} (no bump) would keep them`;
  return { ...base, needs: 'none', suggested: null, ok: true, advice };
}
