/**
 * Version-bump advice for a whole diff: what each package's findings do to existing
 * plugins, turned into advice (src/diff/bump.ts) and, where the new version does not
 * fit, a VERSION_BUMP_REQUIRED finding.
 */
import { unversioned } from '../component/versions.js';
import type { ResolvedWorld } from '../contract/wit/index.js';
import { adviseBump, type PackageBump, type PackageChange } from './bump.js';
import { finding, type Pending } from './finding.js';
import { breaksSide, type DiffRuleId } from './rules.js';

const VERSION_RULES: ReadonlySet<DiffRuleId> = new Set(['VERSION_INCOMPATIBLE', 'VERSION_CHANGED', 'VERSION_BUMP_REQUIRED']);

/**
 * Bump advice per versioned package both contracts hold (an unchanged one is told no
 * bump is needed, so the report says so explicitly) and per unversioned package that
 * gained a version, and a VERSION_BUMP_REQUIRED finding where the new version does not
 * fit: breaking for a change that breaks existing plugins under a version they still
 * link to, dangerous for additions under an unchanged version.
 */
export function versionBumps(findings: readonly Pending[], ow: ResolvedWorld, nw: ResolvedWorld): { advice: PackageBump[]; findings: Pending[] } {
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
    if (op.version === null && np.version === null) continue;
    const a = adviseBump(np.base, op.version, np.version, change.get(np.base) ?? 'none');
    advice.push(a);
    if (a.ok) continue;
    const plugins = a.change === 'breaking';
    out.push(finding('VERSION_BUMP_REQUIRED', plugins ? 'breaking' : 'dangerous', plugins ? 'plugins' : 'none', `package ${np.base}`, a.advice, np.decl?.pos ?? null, pkgId(np.base, np.version)));
  }
  return { advice, findings: out };
}

const pkgId = (base: string, version: string | null): string => (version ? `${base}@${version}` : base);
