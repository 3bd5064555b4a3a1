/**
 * `witplug diff` over a release history shaped like WASI's (test/fixtures/diff-history/):
 * fx:cli + fx:io 0.2.0 → 0.2.1 (`@since` on every item, nothing else) → 0.2.2 (additions,
 * a deprecation, an `@unstable` method) → 0.3.0 (breaking, world renamed), the same
 * additions left unbumped, a breaking change under a compatible version, and fx:kv
 * 1.0.0 → 1.0.1 / 1.1.0 / a removal. Checks there is no `@since` noise, that bump advice
 * follows what breaks existing plugins under wasmtime's version matching, that the gate
 * agrees with each verdict, and the matching table itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { admit } from '../src/admission/gate.js';
import { compareVersions, versionsCompatible } from '../src/component/versions.js';
import { decodeComponent } from '../src/component/decode.js';
import { loadWitWorld, parseWitTree, resolveWitWorld } from '../src/contract/wit/index.js';
import { adviseBump, compatibleBump, incompatibleBump } from '../src/diff/bump.js';
import { diffWorlds } from '../src/diff/diff.js';
import type { DiffReport } from '../src/diff/rules.js';
import { loadContractViaJco } from './helpers/jco-contract.js';

const H = join(process.cwd(), 'test', 'fixtures', 'diff-history');

interface Pair {
  readonly old: string;
  readonly new: string;
  readonly worlds: readonly [string, string];
}
const cli = (a: string, b: string, worlds: [string, string] = ['command', 'command']): Pair => ({ old: `cli-${a}`, new: `cli-${b}`, worlds });
const kv = (a: string, b: string): Pair => ({ old: `kv-${a}`, new: `kv-${b}`, worlds: ['plugin', 'plugin'] });
const PAIRS = {
  sinceEverywhere: cli('0.2.0', '0.2.1'),
  additive: cli('0.2.1', '0.2.2'),
  unbumped: cli('0.2.1', '0.2.2-unbumped'),
  breakingUnderCompatible: cli('0.2.2', '0.2.3-breaking'),
  breaking: cli('0.2.2', '0.3.0', ['command', 'runner']),
  kvMinor: kv('1.0.0', '1.1.0'),
  kvPatch: kv('1.0.0', '1.0.1'),
  kvRemoval: kv('1.0.0', '1.1.0-removal'),
} satisfies Record<string, Pair>;

const reports = new Map<Pair, DiffReport>();
async function run(p: Pair): Promise<DiffReport> {
  let r = reports.get(p);
  if (!r) {
    r = diffWorlds(await loadWitWorld(join(H, p.old), p.worlds[0]), await loadWitWorld(join(H, p.new), p.worlds[1]));
    reports.set(p, r);
  }
  return r;
}
const rules = (r: DiffReport): string[] => r.findings.map((f) => f.rule);
const advice = (r: DiffReport, pkg: string) => r.packages.find((p) => p.package === pkg);

describe('semver matching (wasmtime: same major from 1.0, same minor for 0.x, exact for 0.0.x and pre-releases)', () => {
  it.each([
    ['0.0.1', '0.0.2', false],
    ['0.0.1', '0.0.1', true],
    ['0.1.0', '0.1.5', true],
    ['0.1.5', '0.1.0', true],
    ['0.1.0', '0.2.0', false],
    ['1.0.0', '1.2.0', true],
    ['1.2.0', '1.0.0', true],
    ['1.0.0', '2.0.0', false],
    ['0.3.0-rc-2025-08-15', '0.3.0-rc-2025-09-16', false],
    ['0.3.0-rc-2025-08-15', '0.3.0', false],
  ] as const)('%s ~ %s: %s', (a, b, ok) => {
    expect(versionsCompatible(a, b)).toBe(ok);
  });

  it('orders pre-releases by semver precedence (numeric identifiers as numbers)', () => {
    const sorted = ['1.0.0', '1.0.0-alpha.10', '1.0.0-beta', '1.0.0-alpha', '1.0.0-alpha.2', '1.0.0-alpha.beta', '1.0.0-rc.1', '0.9.9'].sort(compareVersions);
    expect(sorted).toEqual(['0.9.9', '1.0.0-alpha', '1.0.0-alpha.2', '1.0.0-alpha.10', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-rc.1', '1.0.0']);
  });

  it('compatible and incompatible bumps per version line', () => {
    expect([compatibleBump('1.0.0'), incompatibleBump('1.0.0')]).toEqual(['1.1.0', '2.0.0']);
    expect([compatibleBump('0.2.11'), incompatibleBump('0.2.11')]).toEqual(['0.2.12', '0.3.0']);
    // 0.0.x has no compatible successor: every patch is its own API.
    expect([compatibleBump('0.0.3'), incompatibleBump('0.0.3')]).toEqual([null, '0.0.4']);
    expect([compatibleBump('0.3.0-rc-1'), incompatibleBump('0.3.0-rc-1')]).toEqual([null, '0.3.0']);
  });
});

describe('adviseBump', () => {
  it.each([
    // [old, new, change] → needs, suggested, ok, advice ending
    ['0.2.11', '0.2.12', 'additive', 'compatible', '0.2.12', true, 'a patch bump is right'],
    ['0.2.11', '0.2.11', 'additive', 'compatible', '0.2.12', false, 'it needs a patch bump, to 0.2.12'],
    ['0.2.11', '0.3.0', 'additive', 'compatible', '0.2.12', true, 'yet 0.3.0 refuses them; a patch bump, to 0.2.12, would keep them'],
    ['1.0.0', '1.1.0', 'additive', 'compatible', '1.1.0', true, 'a minor bump is right'],
    ['1.0.0', '1.1.0', 'breaking', 'incompatible', '2.0.0', false, 'yet 1.1.0 still links to them; it needs a major bump, to 2.0.0'],
    ['0.2.0', '1.0.0', 'breaking', 'incompatible', '0.3.0', true, 'a major bump is right'],
    // 0.0.x and pre-releases have no compatible successor: additions keep the version existing plugins link to.
    ['0.0.1', '0.0.1', 'additive', 'none', null, true, '0.0.1 has no compatible successor (any new version refuses existing plugins), so no bump needed'],
    ['0.0.1', '0.0.2', 'additive', 'none', null, true, 'yet 0.0.2 refuses them; 0.0.1 has no compatible successor, so keeping 0.0.1 (no bump) would keep them'],
    ['1.0.0-rc.1', '1.0.0-rc.1', 'additive', 'none', null, true, 'so no bump needed'],
    ['1.0.0-rc.1', '1.0.0', 'additive', 'none', null, true, 'so keeping 1.0.0-rc.1 (no bump) would keep them'],
    ['0.0.1', '0.0.1', 'breaking', 'incompatible', '0.0.2', false, 'it needs a patch bump, to 0.0.2'],
    ['0.3.0-rc-1', '0.3.0-rc-2', 'breaking', 'incompatible', '0.3.0', true, 'a new pre-release is right'],
    ['0.2.0', '0.2.1', 'none', 'none', null, true, 'no bump was needed'],
    ['0.2.0', '0.2.0', 'none', 'none', null, true, 'no bump needed'],
    ['0.2.0', '0.3.0', 'none', 'none', null, true, 'yet 0.3.0 refuses existing plugins: no bump was needed'],
  ] as const)('%s → %s, %s', (old, neu, change, needs, suggested, ok, ending) => {
    const a = adviseBump('fx:p', old, neu, change);
    expect(a).toMatchObject({ needs, suggested, ok });
    expect(a.advice.endsWith(ending), a.advice).toBe(true);
  });
});

describe('no @since noise', () => {
  it('0.2.0 → 0.2.1 (@since on every interface, function, type, resource method and world item): only the version moves', async () => {
    const r = await run(PAIRS.sinceEverywhere);
    expect(new Set(rules(r))).toEqual(new Set(['VERSION_CHANGED']));
    expect(r.findings.every((f) => f.severity === 'safe')).toBe(true);
    for (const pkg of ['fx:cli', 'fx:io']) expect(advice(r, pkg)).toMatchObject({ change: 'none', needs: 'none', ok: true });
  });

  it('over the whole history, every gate finding is a deprecation or an @unstable item, never @since', async () => {
    const gates = [];
    for (const p of Object.values(PAIRS)) gates.push(...(await run(p)).findings.filter((f) => f.rule === 'FEATURE_GATE_CHANGED'));
    expect(gates.length).toBeGreaterThan(0);
    for (const f of gates) expect(f.message).toMatch(/deprecated|^unstable /);
  });

  it('0.2.1 → 0.2.2 reports the deprecation (dangerous) and the @unstable resource method added (safe), with their positions', async () => {
    const r = await run(PAIRS.additive);
    const gates = r.findings.filter((f) => f.rule === 'FEATURE_GATE_CHANGED').map((f) => [f.severity, f.path, f.file.slice(H.length + 1), f.line]);
    expect(gates).toEqual([
      ['safe', 'import fx:io/streams@0.2.2 > resource output-stream > method splice', 'cli-0.2.2/deps/io/streams.wit', 34],
      ['dangerous', 'import fx:cli/environment@0.2.2 > func get-arguments', 'cli-0.2.2/cli.wit', 9],
    ]);
  });
});

describe('bump advice follows what breaks existing plugins', () => {
  it('additions with a patch bump on 0.x (as WASI 0.2.11 → 0.2.12): right, nothing required', async () => {
    const r = await run(PAIRS.additive);
    expect(rules(r)).not.toContain('VERSION_BUMP_REQUIRED');
    expect(r.breaksPlugins).toBe(false);
    for (const pkg of ['fx:cli', 'fx:io']) expect(advice(r, pkg)).toMatchObject({ change: 'additive', needs: 'compatible', suggested: '0.2.2', ok: true });
    expect(advice(r, 'fx:cli')!.advice).toContain('a patch bump is right');
  });

  it('the same additions left at 0.2.1: a patch bump is needed (dangerous, not breaking)', async () => {
    const r = await run(PAIRS.unbumped);
    const req = r.findings.filter((f) => f.rule === 'VERSION_BUMP_REQUIRED');
    expect(req.map((f) => [f.path, f.severity, f.breaks])).toEqual([
      ['package fx:cli', 'dangerous', 'none'],
      ['package fx:io', 'dangerous', 'none'],
    ]);
    expect(req[0]!.message).toContain('it needs a patch bump, to 0.2.2');
  });

  it('a removal under 0.2.2 → 0.2.3 breaks existing plugins that still link: a minor bump is required', async () => {
    const r = await run(PAIRS.breakingUnderCompatible);
    const req = r.findings.filter((f) => f.rule === 'VERSION_BUMP_REQUIRED');
    expect(req.map((f) => [f.path, f.severity, f.breaks])).toEqual([['package fx:cli', 'breaking', 'plugins']]);
    expect(req[0]!.message).toContain('it needs a minor bump, to 0.3.0');
    // fx:io did not change: its bump was harmless and not needed.
    expect(advice(r, 'fx:io')).toMatchObject({ change: 'none', ok: true });
  });

  it('0.2.2 → 0.3.0 (breaking, world command renamed runner): the minor bump is right', async () => {
    const r = await run(PAIRS.breaking);
    expect(rules(r)).not.toContain('VERSION_BUMP_REQUIRED');
    for (const pkg of ['fx:cli', 'fx:io']) expect(advice(r, pkg)).toMatchObject({ change: 'breaking', needs: 'incompatible', ok: true });
  });

  it('1.0.0 → 1.1.0 adding to an import: a minor bump is right (no major bump asked)', async () => {
    const r = await run(PAIRS.kvMinor);
    expect(rules(r)).not.toContain('VERSION_BUMP_REQUIRED');
    expect(advice(r, 'fx:kv')).toMatchObject({ change: 'additive', needs: 'compatible', suggested: '1.1.0', ok: true });
    expect(advice(r, 'fx:kv')!.advice).toContain('a minor bump is right');
  });

  it('1.0.0 → 1.0.1 adding: links (nothing required) but the advice names the minor bump semver asks for', async () => {
    const r = await run(PAIRS.kvPatch);
    expect(rules(r)).not.toContain('VERSION_BUMP_REQUIRED');
    expect(advice(r, 'fx:kv')!.advice).toContain('semver asks a minor bump for additions (1.1.0)');
  });

  it('1.0.0 → 1.1.0 removing: a major bump is required', async () => {
    const r = await run(PAIRS.kvRemoval);
    const req = r.findings.find((f) => f.rule === 'VERSION_BUMP_REQUIRED');
    expect(req).toMatchObject({ severity: 'breaking', breaks: 'plugins' });
    expect(req!.message).toContain('it needs a major bump, to 2.0.0');
  });

  it('0.0.x links only to itself: 0.0.1 → 0.0.2 is incompatible, and an unchanged 0.0.1 with an addition needs no bump', () => {
    const world = (v: string, extra: string) =>
      resolveWitWorld(parseWitTree({ root: [{ file: `${v}.wit`, text: `package fx:tiny@${v};\ninterface api {\n  f: func();\n${extra}}\nworld w {\n  import api;\n}\n` }], deps: [] }));
    const bumped = diffWorlds(world('0.0.1', ''), world('0.0.2', ''));
    expect(rules(bumped)).toContain('VERSION_INCOMPATIBLE');
    const same = diffWorlds(world('0.0.1', ''), world('0.0.1', '  g: func();\n'));
    // 0.0.2 would refuse every existing plugin; 0.0.1 keeps them admitted.
    expect(rules(same)).not.toContain('VERSION_BUMP_REQUIRED');
    expect(same.packages).toMatchObject([{ package: 'fx:tiny', change: 'additive', needs: 'none', suggested: null, ok: true }]);
    expect(same.packages[0]!.advice).toContain('no bump needed');
  });
});

describe('a changed type is reported once', () => {
  it('0.2.2 → 0.3.0: stream-error variant → record is one finding naming the four methods that reach it', async () => {
    const r = await run(PAIRS.breaking);
    const t = r.findings.filter((f) => f.message.includes('variant stream-error'));
    expect(t.map((f) => [f.rule, f.path])).toEqual([['TYPE_KIND_CHANGED', 'import fx:io/streams@0.3.0 > type stream-error']]);
    expect(t[0]!.message).toMatch(/reached by 4 functions: method output-stream\.check-write, method output-stream\.write, method output-stream\.flush, method output-stream\.blocking-flush$/);
    expect(rules(r)).not.toContain('RESULT_CHANGED');
  });

  it('a type used by another interface is reported once, where it is declared, naming the functions of both', () => {
    const world = (def: string) =>
      resolveWitWorld(
        parseWitTree({
          root: [{ file: 'x.wit', text: `package fx:used;\ninterface types {\n  ${def}\n  code-of: func() -> error-code;\n}\ninterface fs {\n  use types.{error-code};\n  stat: func() -> result<u64, error-code>;\n}\nworld w {\n  import fs;\n}\n` }],
          deps: [],
        }),
      );
    const r = diffWorlds(world('enum error-code { access, busy }'), world('variant error-code { access, busy, other(string) }'));
    expect(r.findings.map((f) => [f.rule, f.path])).toEqual([['TYPE_KIND_CHANGED', 'import fx:used/types > type error-code']]);
    expect(r.findings[0]!.message).toMatch(/; reached by 2 functions: func code-of, import fx:used\/fs > func stat$/);
  });

  it('two interfaces declaring look-alike types changing alike keep a finding each', () => {
    const world = (def: string) =>
      resolveWitWorld(parseWitTree({ root: [{ file: 'x.wit', text: `package fx:twin;\ninterface a {\n  ${def}\n  f: func() -> e;\n}\ninterface b {\n  ${def}\n  g: func() -> e;\n}\nworld w {\n  export a;\n  export b;\n}\n` }], deps: [] }));
    const r = diffWorlds(world('enum e { x, y }'), world('variant e { x, y(u8) }'));
    expect(r.findings.map((f) => [f.rule, f.path, f.message.replace(/^.*; /, '')])).toEqual([
      ['TYPE_KIND_CHANGED', 'export fx:twin/a > type e', 'reached by func f'],
      ['TYPE_KIND_CHANGED', 'export fx:twin/b > type e', 'reached by func g'],
    ]);
  });

  it('only the functions reaching that type are folded in: the same change written inline stays its own finding', () => {
    const world = (t: string) =>
      resolveWitWorld(parseWitTree({ root: [{ file: 'x.wit', text: `package fx:alias;\ninterface api {\n  type size = ${t};\n  limit: func(n: size);\n  count: func() -> ${t};\n}\nworld w {\n  export api;\n}\n` }], deps: [] }));
    const r = diffWorlds(world('u32'), world('u64'));
    expect(r.findings.map((f) => [f.rule, f.path, f.message])).toEqual([
      ['RESULT_CHANGED', 'export fx:alias/api > func count > returns', 'was u32, now u64'],
      ['TYPE_ALIAS_TARGET_CHANGED', 'export fx:alias/api > type size', 'was u32, now u64; reached by func limit'],
    ]);
  });
});

describe('the admission gate agrees with every verdict of the history', () => {
  const built = new Map<string, Uint8Array>();
  beforeAll(async () => {
    for (const p of Object.values(PAIRS)) {
      for (const [dir, world] of [[p.old, p.worlds[0]], [p.new, p.worlds[1]]] as const) {
        if (!built.has(dir)) built.set(dir, (await loadContractViaJco(join(H, dir), world, { component: true })).component!);
      }
    }
  }, 120_000);

  for (const [name, p] of Object.entries(PAIRS)) {
    it(name, async () => {
      const r = await run(p);
      const oldBytes = built.get(p.old)!;
      const newBytes = built.get(p.new)!;
      expect(admit(oldBytes, { shape: decodeComponent(newBytes).shape }).accepted).toBe(!r.breaksPlugins);
      expect(admit(newBytes, { shape: decodeComponent(oldBytes).shape }).accepted).toBe(!r.breaksHosts);
    });
  }
});
