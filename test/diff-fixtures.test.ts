/**
 * `witplug diff` rule by rule: each fixture pair under test/fixtures/diff/<case>/
 * holds old.wit, new.wit and expected.json (rule, severity, side, file:line:column
 * of every finding). The agreement block builds type-only components of both
 * contracts with jco and runs the admission gate both ways: the gate's verdict
 * must equal diff's breaking-for-plugins / breaking-for-hosts verdict.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { admit } from '../src/admission/gate.js';
import { decodeComponent } from '../src/component/decode.js';
import { liveShape, loadWitWorld, parseWitTree, readWitTree, resolveWitWorld } from '../src/contract/wit/index.js';
import { formatReport } from '../src/diff/format.js';
import { diffWorlds } from '../src/diff/diff.js';
import { DIFF_RULE_IDS, type DiffReport } from '../src/diff/rules.js';
import { renderRulesDoc } from '../src/diff/rules-doc.js';
import { applyEdits, BASE_WIT, buildTypeOnly } from './fixtures/admission/build.js';
import { CASES as ADMISSION_CASES } from './fixtures/admission/cases.js';
import { canonical } from './helpers/shape.js';
import { loadContractViaJco } from './helpers/jco-contract.js';

const ROOT = join(process.cwd(), 'test', 'fixtures', 'diff');

interface ExpectedBump {
  readonly package: string;
  readonly old: string | null;
  readonly new: string | null;
  readonly change: string;
  readonly needs: string;
  readonly suggested: string | null;
  readonly ok: boolean;
}

interface Expected {
  readonly world?: string;
  readonly findings: readonly { rule: string; severity: string; breaks: string; file: string; line: number; column: number }[];
  /** Bump advice per package (without the sentence), where the fixture is about versions. */
  readonly packages?: readonly ExpectedBump[];
}

const CASES = readdirSync(ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function expected(name: string): Expected {
  return JSON.parse(readFileSync(join(ROOT, name, 'expected.json'), 'utf8')) as Expected;
}

/** A fixture side is `old.wit` / `new.wit`, or an `old/` / `new/` directory with deps/. */
const sidePath = (name: string, side: 'old' | 'new'): string =>
  existsSync(join(ROOT, name, `${side}.wit`)) ? join(ROOT, name, `${side}.wit`) : join(ROOT, name, side);

const reports = new Map<string, DiffReport>();
async function diffCase(name: string): Promise<DiffReport> {
  let r = reports.get(name);
  if (!r) {
    const world = expected(name).world;
    r = diffWorlds(await loadWitWorld(sidePath(name, 'old'), world), await loadWitWorld(sidePath(name, 'new'), world));
    reports.set(name, r);
  }
  return r;
}

/** Findings compare by rule, severity, side and position (file relative to the fixture). */
const key = (name: string, f: { rule: string; severity: string; breaks: string; file: string; line: number; column: number }): string =>
  `${f.rule} ${f.severity}/${f.breaks} at ${f.file.startsWith('/') ? relative(join(ROOT, name), f.file) : f.file}:${f.line}:${f.column}`;

describe('witplug diff fixtures', () => {
  it('has at least 40 fixture pairs and covers every rule', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    const covered = new Set(CASES.flatMap((c) => expected(c).findings.map((f) => f.rule)));
    expect(DIFF_RULE_IDS.filter((r) => !covered.has(r))).toEqual([]);
  });

  for (const name of CASES) {
    it(name, async () => {
      const r = await diffCase(name);
      const got = r.findings.map((f) => key(name, f)).sort();
      expect(got, JSON.stringify(r.findings, null, 2)).toEqual(expected(name).findings.map((f) => key(name, f)).sort());
      for (const f of r.findings) {
        expect(f.path).toMatch(/^(import|export|package) /);
        expect(f.message.length).toBeGreaterThan(0);
      }
      const bumps = expected(name).packages;
      if (bumps) {
        const got = r.packages.map(({ package: pkg, old, new: neu, change, needs, suggested, ok }) =>
          ({ package: pkg, old, new: neu, change, needs, suggested, ok }));
        expect(got, JSON.stringify(r.packages, null, 2)).toEqual(bumps);
      }
    });
  }
});

describe('the version diff advises keeps existing plugins admitted unless the change breaks them', () => {
  // Every fixture with expected bump advice: its new contract at the advised version of each
  // package (the suggested one, else the old one kept) must admit a plugin built against the old
  // contract exactly when the package's change does not break existing plugins.
  const VERSIONED = CASES.filter((c) => expected(c).packages !== undefined && existsSync(join(ROOT, c, 'new.wit')));
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('covers host-side additions, export additions and unchanged packages on 0.0.x, 0.x, 1.x and pre-release lines', () => {
    const bumps = VERSIONED.flatMap((c) => expected(c).packages!);
    expect(new Set(bumps.map((b) => b.change))).toEqual(new Set(['additive', 'breaking', 'none']));
    expect(bumps.filter((b) => b.change === 'additive').map((b) => b.old)).toEqual(expect.arrayContaining(['0.0.1', '0.2.0', '1.0.0', '1.0.0-rc.1']));
  });

  for (const name of VERSIONED) {
    it(name, async () => {
      const r = await diffCase(name);
      let text = readFileSync(join(ROOT, name, 'new.wit'), 'utf8');
      for (const p of r.packages) {
        if (p.new === null) continue;
        const advised = p.suggested ?? p.old!;
        text = text.replace(new RegExp(`(${escape(p.package)}(?:/[a-z][a-z0-9-]*)?)@${escape(p.new)}(?![0-9A-Za-z.+-])`, 'g'), `$1@${advised}`);
      }
      const world = expected(name).world ?? 'plugin';
      const oldPlugin = await buildTypeOnly(readFileSync(join(ROOT, name, 'old.wit'), 'utf8'), world);
      const advisedContract = { shape: decodeComponent(await buildTypeOnly(text, world)).shape };
      const verdict = admit(oldPlugin, advisedContract);
      const breaking = r.packages.some((p) => p.change === 'breaking');
      expect(verdict.accepted, `${text}\n${JSON.stringify({ gate: verdict.problems, advice: r.packages }, null, 2)}`).toBe(!breaking);
    });
  }
});

describe('diff agrees with the admission gate on every fixture pair', () => {
  const built = new Map<string, { old: Uint8Array; new: Uint8Array }>();
  beforeAll(async () => {
    // One jco build per contract per run (~25 ms each here).
    for (const name of CASES) {
      const world = expected(name).world ?? 'plugin';
      const build = async (side: 'old' | 'new'): Promise<Uint8Array> => {
        const path = sidePath(name, side);
        // Directories (with deps/) go through jco's WIT route.
        if (!path.endsWith('.wit')) return (await loadContractViaJco(resolve(path), world, { component: true })).component!;
        return buildTypeOnly(readFileSync(path, 'utf8'), world);
      };
      built.set(name, { old: await build('old'), new: await build('new') });
    }
  });

  for (const name of CASES) {
    it(name, async () => {
      const r = await diffCase(name);
      const b = built.get(name)!;
      const oldContract = { shape: decodeComponent(b.old).shape };
      const newContract = { shape: decodeComponent(b.new).shape };
      // A plugin built against the old contract, admitted by the new one.
      const plugins = admit(b.old, newContract);
      expect(plugins.accepted, JSON.stringify({ gate: plugins.problems, diff: r.findings }, null, 2)).toBe(!r.breaksPlugins);
      // A plugin built against the new contract, admitted by a host of the old one.
      const hosts = admit(b.new, oldContract);
      expect(hosts.accepted, JSON.stringify({ gate: hosts.problems, diff: r.findings }, null, 2)).toBe(!r.breaksHosts);
    });
  }

  it('the parser resolves every fixture contract to the shape jco builds (modulo what wit-component leaves out)', async () => {
    const norm = (s: { imports: readonly unknown[]; exports: readonly unknown[] }): string => canonical(s);
    for (const name of CASES) {
      for (const side of ['old', 'new'] as const) {
        const w = await loadWitWorld(sidePath(name, side), expected(name).world);
        const jco = decodeComponent(built.get(name)![side]).shape;
        expect(norm(liveShape(w.shape, w.sources)), `${name}/${side}.wit`).toBe(norm(jco));
      }
    }
  });
});

describe('diff agrees with the admission fixture corpus (written for the gate, not for diff)', () => {
  // Each admission case is a plugin WIT (an edit of base.wit) checked against base.wit: diff(old =
  // plugin's contract, new = base) must break plugins exactly when the gate rejected the case.
  const world = (text: string) => resolveWitWorld(parseWitTree({ root: [{ file: 'base.wit', text }], deps: [] }), 'plugin');
  for (const c of ADMISSION_CASES) {
    if (c.allowedImports) continue; // grants are not part of a contract
    it(c.name, () => {
      const r = diffWorlds(world(applyEdits(BASE_WIT, c.edits)), world(BASE_WIT));
      expect(r.breaksPlugins, JSON.stringify(r.findings, null, 2)).toBe(!c.accepted);
    });
  }
});

describe('docs/diff-rules.md', () => {
  it('is generated from the fixtures (run `node scripts/gen-diff-rules.mjs` after changing them)', () => {
    const onDisk = readFileSync(join(process.cwd(), 'docs', 'diff-rules.md'), 'utf8');
    expect(onDisk).toBe(renderRulesDoc(process.cwd()));
  });

  it('the README shows the current output of `witplug diff old new` on gateway-v0.2', async () => {
    const dir = join(ROOT, 'gateway-v0.2');
    const side = async (s: string) => resolveWitWorld(parseWitTree(await readWitTree(join(dir, s), s)));
    const text = formatReport(diffWorlds(await side('old'), await side('new')), 'text', { old: 'old', new: 'new', side: 'both' });
    expect(readFileSync(join(process.cwd(), 'README.md'), 'utf8')).toContain(`$ witplug diff old new\n${text}$ echo $?\n100\n`);
  });
});
