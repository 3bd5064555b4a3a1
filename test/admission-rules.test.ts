/** Rules over hand-built shapes (no decoder): matching, versions, grants, notes. */
import { describe, expect, it } from 'vitest';
import type { ComponentShape, FuncType, InterfaceType, WorldItem } from '../src/component/types.js';
import { admitShape } from '../src/admission/admit-shape.js';
import { RULES, NOTE_RULES } from '../src/admission/rules/index.js';

const f = (params: string[] = [], result: FuncType['result'] = null): FuncType => ({ kind: 'func', params: params.map((n) => ({ name: n, type: { kind: 'u32' } })), result });
const iface = (name: string, funcs: Record<string, FuncType>): WorldItem => {
  const i: InterfaceType = { kind: 'interface', name, funcs: new Map(Object.entries(funcs)), types: new Map() };
  return { kind: 'interface', name, iface: i };
};
const shape = (imports: WorldItem[], exports: WorldItem[]): ComponentShape => ({ imports, exports });

const log = (v: string, extra: Record<string, FuncType> = {}) => iface(`h:host/log@${v}`, { write: f(['msg']), ...extra });
const hook = (v: string, extra: Record<string, FuncType> = {}) => iface(`p:x/filter@${v}`, { check: f(['req'], { kind: 'bool' }), ...extra });
const contract = { shape: shape([log('1.2.0')], [hook('1.0.0')]) };

describe('admission rules on model values', () => {
  it('rule table: ids, purposes', () => {
    expect(RULES.map((r) => r.id)).toEqual(['VERSION_MISMATCH', 'EXTRA_IMPORT', 'IMPORT_MISMATCH', 'MISSING_EXPORT', 'EXPORT_MISMATCH']);
    expect(NOTE_RULES.map((r) => r.id)).toEqual(['VERSION_DIFFERS', 'MISSING_IMPORT', 'EXTRA_EXPORT', 'EXTRA_EXPORT_MEMBER', 'OPTIONAL_EXPORT_MISSING']);
    for (const r of [...RULES, ...NOTE_RULES]) expect(r.purpose.length).toBeGreaterThan(20);
  });

  it('accepts equal shapes and imports of less', () => {
    expect(admitShape(shape([log('1.2.0')], [hook('1.0.0')]), contract)).toEqual({ accepted: true, problems: [], notes: [] });
    expect(admitShape(shape([], [hook('1.0.0')]), contract).accepted).toBe(true);
    expect(admitShape(shape([iface('h:host/log@1.2.0', {})], [hook('1.0.0')]), contract).accepted).toBe(true);
  });

  it('semver-compatible versions link, then the structure decides', () => {
    const r = admitShape(shape([log('1.3.0', { flush: f() })], [hook('1.1.0')]), contract);
    expect(r.problems).toEqual([
      { code: 'IMPORT_MISMATCH', path: 'import h:host/log@1.3.0 > func flush', message: 'expected no func flush, found flush: func() (the host does not provide it)' },
    ]);
    expect(r.notes.map((n) => n.code)).toEqual(['VERSION_DIFFERS', 'VERSION_DIFFERS']);
  });

  it('incompatible versions name both; reports all problems', () => {
    const r = admitShape(shape([log('2.0.0'), iface('wasi:cli/environment@0.2.3', {})], [hook('2.1.0')]), contract);
    expect(r.problems.map((p) => [p.code, p.path])).toEqual([
      ['VERSION_MISMATCH', 'import h:host/log@2.0.0'],
      ['VERSION_MISMATCH', 'export p:x/filter@1.0.0'],
      ['EXTRA_IMPORT', 'import wasi:cli/environment@0.2.3'],
    ]);
    expect(r.problems[0]!.message).toMatch(/1\.2\.0.*2\.0\.0/);
    expect(r.problems[1]!.message).toMatch(/1\.0\.0.*2\.1\.0/);
    // the incompatible export is not also reported as an extra export
    expect(r.notes).toEqual([]);
  });

  it('unversioned names must match exactly', () => {
    const c = { shape: shape([iface('h:host/log', { write: f(['msg']) })], []) };
    expect(admitShape(shape([iface('h:host/log', { write: f(['msg']) })], []), c).accepted).toBe(true);
    expect(admitShape(shape([log('1.0.0')], []), c).problems[0]!.code).toBe('VERSION_MISMATCH');
  });

  it('grants: offered but not granted is EXTRA_IMPORT "not granted"', () => {
    const plugin = shape([log('1.2.0')], [hook('1.0.0')]);
    expect(admitShape(plugin, contract, { allowedImports: new Set(['h:host/log']) }).accepted).toBe(true);
    expect(admitShape(plugin, contract, { allowedImports: new Set(['h:host/*']) }).accepted).toBe(true);
    expect(admitShape(plugin, contract, { allowedImports: new Set(['h:host/log@1.2.0']) }).accepted).toBe(true);
    const r = admitShape(plugin, contract, { allowedImports: new Set() });
    expect(r.problems).toEqual([{ code: 'EXTRA_IMPORT', path: 'import h:host/log@1.2.0', message: expect.stringContaining('not granted') }]);
  });

  it('exports: missing hook, missing function, extra function and extra export', () => {
    expect(admitShape(shape([], []), contract).problems).toEqual([{ code: 'MISSING_EXPORT', path: 'export p:x/filter@1.0.0', message: 'expected export p:x/filter@1.0.0, found none' }]);
    expect(admitShape(shape([], [iface('p:x/filter@1.0.0', {})]), contract).problems).toEqual([
      { code: 'EXPORT_MISMATCH', path: 'export p:x/filter@1.0.0 > func check', message: 'expected check: func(req: u32) -> bool, found none' },
    ]);
    const r = admitShape(shape([], [hook('1.0.0', { more: f() }), iface('p:x/other@1.0.0', {})]), contract);
    expect(r.accepted).toBe(true);
    expect(r.notes.map((n) => [n.code, n.path])).toEqual([
      ['EXTRA_EXPORT', 'export p:x/other@1.0.0'],
      ['EXTRA_EXPORT_MEMBER', 'export p:x/filter@1.0.0 > func more'],
    ]);
  });

  it('world-level function items are compared too', () => {
    const c = { shape: shape([{ kind: 'func', name: 'now', func: f([], { kind: 'u64' }) }], [{ kind: 'func', name: 'run', func: f(['n']) }]) };
    const r = admitShape(shape([{ kind: 'func', name: 'now', func: f([], { kind: 'u32' }) }], [{ kind: 'func', name: 'run', func: f(['m']) }]), c);
    expect(r.problems.map((p) => [p.code, p.path, p.message])).toEqual([
      ['IMPORT_MISMATCH', 'import now > returns', 'expected u64, found u32'],
      ['EXPORT_MISMATCH', 'export run > param n', 'expected param n: u32, found none'],
      ['EXPORT_MISMATCH', 'export run > param m', 'expected no param m, found param m: u32'],
    ]);
  });
});
