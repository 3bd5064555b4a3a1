import { describe, expect, it } from 'vitest';
import type { FuncType, InterfaceType, ResourceType, ValType } from '../src/component/types.js';
import { compareInterface } from '../src/admission/compare.js';
import { compareFunc, compareValType } from '../src/admission/compare-types.js';
import { formatPath } from '../src/admission/difference.js';
import { versionsCompatible } from '../src/component/versions.js';

const u32: ValType = { kind: 'u32' };
const u64: ValType = { kind: 'u64' };
const str: ValType = { kind: 'string' };
const rec = (fields: [string, ValType][]): ValType => ({ kind: 'record', name: 'request', fields: fields.map(([name, type]) => ({ name, type })) });
const func = (params: [string, ValType][], result: ValType | null): FuncType => ({ kind: 'func', params: params.map(([name, type]) => ({ name, type })), result });
const iface = (name: string, funcs: [string, FuncType][], types: [string, ValType | ResourceType][] = []): InterfaceType => ({
  kind: 'interface', name, funcs: new Map(funcs), types: new Map(types),
});
const show = (ds: { path: readonly string[]; message: string }[]) => ds.map((d) => `${formatPath(d.path)}: ${d.message}`);

describe('structural comparator', () => {
  it('equal types have no differences', () => {
    expect(compareValType(rec([['id', u64]]), rec([['id', u64]]))).toEqual([]);
  });

  it('names the differing field and prints WIT', () => {
    const d = compareValType(rec([['id', u64], ['deadline-ms', u32]]), rec([['id', u64], ['deadline-ms', u64]]), ['param req']);
    expect(show(d)).toEqual(['param req > record request > field deadline-ms: expected u32, found u64']);
  });

  it('reports all of missing, extra and reordered fields', () => {
    const d = show(compareValType(rec([['a', u32], ['b', str], ['c', u32]]), rec([['b', str], ['a', u32], ['d', u32]])));
    expect(d).toContain('record request > field c: expected field c: u32, found none');
    expect(d).toContain('record request > field d: expected no field d, found field d: u32');
    expect(d).toContain('record request: expected field order (a, b), found (b, a)');
  });

  it('distinguishes char/string, widths, signedness, option/result sides, list/tuple', () => {
    expect(compareValType({ kind: 'char' }, str)).toHaveLength(1);
    expect(compareValType({ kind: 'f32' }, { kind: 'f64' })[0]!.message).toBe('expected f32, found f64');
    expect(compareValType({ kind: 's64' }, u64)).toHaveLength(1);
    expect(compareValType({ kind: 'option', type: u32 }, { kind: 'option', type: u64 })[0]!.path).toEqual(['option']);
    const r = compareValType({ kind: 'result', ok: u32, err: str }, { kind: 'result', ok: u32, err: null });
    expect(show(r)).toEqual(['result err: expected result<u32, string>, found result<u32>']);
    expect(show(compareValType({ kind: 'tuple', types: [u32, str] }, { kind: 'tuple', types: [u32, u32] }))).toEqual(['tuple element 1: expected string, found u32']);
    expect(compareValType({ kind: 'list', element: { kind: 'u8' } }, { kind: 'list', element: { kind: 's8' } })).toHaveLength(1);
  });

  it('compares enums, flags and variant payloads by name and order', () => {
    const e1: ValType = { kind: 'enum', name: 'level', names: ['a', 'b'] };
    const e2: ValType = { kind: 'enum', name: 'level', names: ['b', 'a'] };
    expect(show(compareValType(e1, e2))).toEqual(['enum level: expected case order (a, b), found (b, a)']);
    const v1: ValType = { kind: 'variant', name: 'decision', cases: [{ name: 'pass', type: null }, { name: 'deny', type: str }] };
    const v2: ValType = { kind: 'variant', name: 'decision', cases: [{ name: 'pass', type: null }, { name: 'deny', type: null }] };
    expect(show(compareValType(v1, v2))).toEqual(['variant decision > case deny: expected deny(string), found deny']);
  });

  it('compares resources by identity and function parameter names', () => {
    const r1: ResourceType = { kind: 'resource', name: 'blob', interfaceName: 'x:y/z@1.0.0' };
    const r2: ResourceType = { kind: 'resource', name: 'blob', interfaceName: 'x:y/z@1.1.0' };
    const r3: ResourceType = { kind: 'resource', name: 'blob', interfaceName: 'x:y/w@1.0.0' };
    expect(compareValType({ kind: 'own', resource: r1 }, { kind: 'own', resource: r2 })).toEqual([]);
    expect(compareValType({ kind: 'own', resource: r1 }, { kind: 'own', resource: r3 })).toHaveLength(1);
    expect(compareValType({ kind: 'own', resource: r1 }, { kind: 'borrow', resource: r1 })).toHaveLength(1);
    expect(show(compareFunc(func([['req', u32]], null), func([['request', u32]], null), ['func f']))).toEqual([
      'func f > param req: expected param req: u32, found none',
      'func f > param request: expected no param request, found param request: u32',
    ]);
    expect(show(compareFunc(func([], u32), func([], null)))).toEqual(['returns: expected -> u32, found no result']);
  });

  it('interfaces: missing/extra members are kinds, method paths read like WIT; shared types reported once', () => {
    const r: ResourceType = { kind: 'resource', name: 'blob', interfaceName: 'x:y/z' };
    const req1 = rec([['id', u64]]);
    const req2 = rec([['id', u32]]);
    const a = iface('x:y/z', [['f', func([['r', req1]], null)], ['g', func([['r', req1]], null)], ['[method]blob.read', func([['self', { kind: 'borrow', resource: r }]], u32)]], [['request', req1], ['blob', r]]);
    const b = iface('x:y/z', [['f', func([['r', req2]], null)], ['g', func([['r', req2]], null)], ['h', func([], null)]], [['request', req2], ['blob', r]]);
    const d = compareInterface(a, b, ['export x:y/z']);
    expect(d.map((x) => [x.kind, formatPath(x.path)])).toEqual([
      ['changed', 'export x:y/z > func f > param r > record request > field id'],
      ['missing', 'export x:y/z > resource blob > method read'],
      ['extra', 'export x:y/z > func h'],
    ]);
    expect(d[1]!.message).toBe('expected read: func() -> u32, found none');
  });

  it('shared (singleton) unnamed types are compared at every use', () => {
    const d = compareFunc(func([['a', u32], ['b', u32]], null), func([['a', u64], ['b', u64]], null));
    expect(show(d)).toEqual(['param a: expected u32, found u64', 'param b: expected u32, found u64']);
  });

  it('semver compatibility', () => {
    expect(versionsCompatible('1.3.0', '1.2.0')).toBe(true);
    expect(versionsCompatible('2.0.0', '1.2.0')).toBe(false);
    expect(versionsCompatible('0.2.1', '0.2.0')).toBe(true);
    expect(versionsCompatible('0.3.0', '0.2.0')).toBe(false);
    expect(versionsCompatible(null, '0.2.0')).toBe(false);
    expect(versionsCompatible(null, null)).toBe(true);
  });
});
