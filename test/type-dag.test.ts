/**
 * Types that reuse each other (`type t1 = tuple<t0, t0>; type t2 = tuple<t1, t1>; …`) describe
 * a tree of 2^n nodes in n lines. Comparison (gate and `witplug diff`), fingerprints and the
 * message printer must stay linear in the number of declared types, and still name the right
 * path when two such types differ. No timing assertions: the test timeout is the bound.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareInterface } from '../src/admission/compare.js';
import { compareFunc, compareValType } from '../src/admission/compare-types.js';
import { formatPath } from '../src/admission/difference.js';
import { admit } from '../src/admission/gate.js';
import { admitShape } from '../src/admission/admit-shape.js';
import { typeRef } from '../src/admission/wit-text.js';
import { fingerprintInterface } from '../src/component/fingerprint.js';
import type { FuncType, InterfaceType, ValType, WorldItem } from '../src/component/types.js';
import { loadContract } from '../src/contract/load.js';
import { liveShape, parseWitTree, resolveWitWorld } from '../src/contract/wit/index.js';
import { diffWorlds } from '../src/diff/diff.js';
import { buildTypeOnly } from './fixtures/admission/build.js';
import { cli } from './helpers/cli.js';

/** How level i is built from level i-1, per DAG family. */
const FAMILIES: Record<string, (prev: string) => string> = {
  tuple: (p) => `tuple<${p}, ${p}>`,
  result: (p) => `result<${p}, ${p}>`,
  mixed: (p) => `tuple<list<${p}>, option<${p}>, ${p}>`,
};

function dagWit(n: number, leaf: string, family: (prev: string) => string): string {
  const lines = ['package t:dag@1.0.0;', '', 'interface types {', `  type t0 = ${leaf};`];
  for (let i = 1; i <= n; i++) lines.push(`  type t${i} = ${family(`t${i - 1}`)};`);
  lines.push(`  f: func(x: t${n}) -> t${n};`, '}', '', 'world plugin {', '  export types;', '}', '');
  return lines.join('\n');
}

function resolved(text: string) {
  return resolveWitWorld(parseWitTree({ root: [{ file: 'dag.wit', text }], deps: [] }), 'plugin');
}

function exportedTypes(text: string): InterfaceType {
  const w = resolved(text);
  const item = liveShape(w.shape, w.sources).exports.find((e) => e.kind === 'interface') as WorldItem & { kind: 'interface' };
  return item.iface;
}

const u32: ValType = { kind: 'u32' };
const u64: ValType = { kind: 'u64' };
/** Level n of a tuple DAG over `leaf`, every level one shared object. */
function tupleDag(n: number, leaf: ValType): ValType {
  let t = leaf;
  for (let i = 0; i < n; i++) t = { kind: 'tuple', types: [t, t] };
  return t;
}

describe('comparing types that share subtrees', () => {
  it('equal DAGs of 2^40 leaves have no differences', () => {
    expect(compareValType(tupleDag(40, u32), tupleDag(40, u32))).toEqual([]);
  });

  it('a changed leaf is reported in full at its first path and in one line at each further use', () => {
    const d = compareValType(tupleDag(40, u32), tupleDag(40, u64), ['param x']);
    const first = d[0]!;
    expect(formatPath(first.path)).toBe(['param x', ...Array<string>(40).fill('tuple element 0')].join(' > '));
    expect(first.message).toBe('expected u32, found u64');
    // Linear in the number of levels (2^40 paths reach the leaf).
    expect(d.length).toBeLessThan(200);
    for (const x of d) expect(x.message.length).toBeLessThan(2200);
    // Every difference names a path that exists, ending at an element of some level.
    expect(d.every((x) => x.path[0] === 'param x' && x.path.slice(1).every((s) => /^tuple element [01]$/.test(s)))).toBe(true);
  });

  it('a pair remembered as equal does not hide a different pair sharing one side', () => {
    const big = tupleDag(30, u32);
    const same = tupleDag(30, u32);
    const other = tupleDag(30, u64);
    const f = (a: ValType, b: ValType): FuncType => ({ kind: 'func', params: [{ name: 'a', type: a }, { name: 'b', type: b }], result: null });
    const d = compareFunc(f(big, big), f(same, other), ['func g']);
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((x) => x.path[1] === 'param b')).toBe(true);
    expect(formatPath(d[0]!.path)).toBe(['func g', 'param b', ...Array<string>(30).fill('tuple element 0')].join(' > '));
  });

  it('a shared subtree equal in one place and different in another is reported where it differs', () => {
    const a = tupleDag(25, u32);
    const b = tupleDag(25, u64);
    const d = compareValType({ kind: 'tuple', types: [a, a] }, { kind: 'tuple', types: [a, b] });
    expect(d.length).toBeGreaterThan(0);
    expect(d.every((x) => x.path[0] === 'tuple element 1')).toBe(true);
  });

  it('small shared types are still reported at every use, as before', () => {
    const list8: ValType = { kind: 'list', element: { kind: 'u8' } };
    const list16: ValType = { kind: 'list', element: { kind: 'u16' } };
    const f = (t: ValType): FuncType => ({ kind: 'func', params: [{ name: 'a', type: t }, { name: 'b', type: t }], result: null });
    expect(compareFunc(f(list8), f(list16)).map((x) => `${formatPath(x.path)}: ${x.message}`)).toEqual([
      'param a > list element: expected u8, found u16',
      'param b > list element: expected u8, found u16',
    ]);
  });

  it('messages print a DAG type within a bound', () => {
    const text = typeRef(tupleDag(40, u32));
    expect(text.length).toBeLessThanOrEqual(1001);
    expect(text.endsWith('…')).toBe(true);
    expect(text.startsWith('tuple<tuple<')).toBe(true);
    expect(typeRef(tupleDag(2, u32))).toBe('tuple<tuple<u32, u32>, tuple<u32, u32>>');
  });
});

describe.each(Object.entries(FAMILIES))('a 40-level %s DAG from WIT', (_name, family) => {
  const oldText = dagWit(40, 'u32', family);
  const newText = dagWit(40, 'u64', family);

  it('the gate compares the contract loader\'s shapes: same world admitted, changed leaf refused with its path', () => {
    const contract = { shape: liveShape(resolved(oldText).shape, resolved(oldText).sources) };
    const sameW = resolved(oldText);
    expect(admitShape(liveShape(sameW.shape, sameW.sources), contract).accepted).toBe(true);
    const changedW = resolved(newText);
    const report = admitShape(liveShape(changedW.shape, changedW.sources), contract);
    expect(report.accepted).toBe(false);
    expect(report.problems.length).toBeLessThan(1000);
    expect(report.problems[0]!.code).toBe('EXPORT_MISMATCH');
    expect(report.problems[0]!.path).toMatch(/^export t:dag\/types@1\.0\.0 > func f > param x > /);
    expect(report.problems.some((p) => p.message === 'expected u32, found u64')).toBe(true);
  });

  it('witplug diff (API) gives a verdict', () => {
    const same = diffWorlds(resolved(oldText), resolved(oldText));
    expect(same.findings).toEqual([]);
    const r = diffWorlds(resolved(oldText), resolved(newText));
    expect(r.breaksPlugins).toBe(true);
    expect(r.findings.length).toBeLessThan(1000);
    expect(r.findings.some((f) => f.message === 'was u32, now u64')).toBe(true);
  });

  it('fingerprints stay linear: equal for equal DAGs, different for different ones', () => {
    const a = fingerprintInterface(exportedTypes(oldText));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintInterface(exportedTypes(oldText))).toBe(a);
    expect(fingerprintInterface(exportedTypes(newText))).not.toBe(a);
  });

  it('compareInterface over the whole interface (functions and every level\'s type)', () => {
    const d = compareInterface(exportedTypes(oldText), exportedTypes(newText));
    expect(d.length).toBeGreaterThan(0);
    expect(d.length).toBeLessThan(5000);
  });
});

describe('DAG contracts through the CLI and the binary route', () => {
  it('witplug diff on 40-level DAG files exits with a breaking verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-dag-'));
    writeFileSync(join(dir, 'old.wit'), dagWit(40, 'u32', FAMILIES.tuple!));
    writeFileSync(join(dir, 'new.wit'), dagWit(40, 'u64', FAMILIES.tuple!));
    const r = await cli(join(dir, 'cache')).witplug('diff', join(dir, 'old.wit'), join(dir, 'new.wit'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(100);
    expect(r.stdout).toContain('was u32, now u64');
  });

  // About the largest DAG a component binary may carry (the decoder refuses function
  // types over 100 000 nodes, wasm-tools over 1 000 000): built and loaded through jco.
  it('type-only components of a 14-level DAG: admitted against themselves, a changed leaf refused with few problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-dag-'));
    writeFileSync(join(dir, 'dag.wit'), dagWit(14, 'u32', FAMILIES.tuple!));
    const contract = await loadContract(join(dir, 'dag.wit'), 'plugin');
    expect(admit(await buildTypeOnly(dagWit(14, 'u32', FAMILIES.tuple!)), contract).accepted).toBe(true);
    const changed = await buildTypeOnly(dagWit(14, 'u64', FAMILIES.tuple!));
    const report = admit(changed, contract);
    expect(report.accepted).toBe(false);
    // One per level and use, not one per path (2^14 leaves were reported one by one).
    expect(report.problems.length).toBeLessThan(500);
    expect(report.problems.some((p) => p.message === 'expected u32, found u64')).toBe(true);
  }, 120_000);
});
