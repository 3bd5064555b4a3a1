import { describe, expect, it } from 'vitest';
import { fromJson } from '../src/runtime/abi/json-values.js';
import { toJson } from '../src/cli/output.js';
import type { ValType } from '../src/component/types.js';

const u64: ValType = { kind: 'u64' };
const request: ValType = {
  kind: 'record', name: 'request', fields: [
    { name: 'id', type: u64 },
    { name: 'received-at-ms', type: { kind: 's64' } },
    { name: 'body', type: { kind: 'list', element: { kind: 'u8' } } },
    { name: 'query', type: { kind: 'option', type: { kind: 'string' } } },
    { name: 'client', type: { kind: 'flags', names: ['tls', 'no-store'] } },
  ],
};

describe('fromJson', () => {
  it('maps records with lowerCamelCase keys, u64 strings to bigint, list<u8> to bytes', () => {
    const v = fromJson(request, { id: '18446744073709551615', receivedAtMs: -5, body: [1, 2], query: null, client: { noStore: true } }, 'param req');
    expect(v).toEqual({ id: 18446744073709551615n, receivedAtMs: -5n, body: Uint8Array.from([1, 2]), query: null, client: { tls: false, noStore: true } });
  });

  it('names the parameter and field at fault', () => {
    expect(() => fromJson(request, { id: 1, receivedAtMs: 0, body: [], query: 3, client: {} }, 'param req'))
      .toThrow(/param req > field query > some: expected a string, found number 3/);
    expect(() => fromJson(request, { id: '-1', receivedAtMs: 0, body: [], query: null, client: {} }, 'param req'))
      .toThrow(/field id: expected a u64/);
    expect(() => fromJson(request, { id: 1, receivedAtMs: 0, body: [256], query: null, client: {} }, 'param req'))
      .toThrow(/field body\[0\]: expected an integer in u8 range/);
    expect(() => fromJson(request, { id: 1, receivedAtMs: 0, body: [], query: null }, 'param req'))
      .toThrow(/field "client"/);
    expect(() => fromJson(request, { id: 1, receivedAtMs: 0, body: [], query: null, client: {}, extra: 1 }, 'param req'))
      .toThrow(/unknown field "extra"/);
  });

  it('handles variants, enums, results, tuples, chars and nested options', () => {
    const variant: ValType = { kind: 'variant', cases: [{ name: 'pass', type: null }, { name: 'deny', type: { kind: 'u16' } }] };
    expect(fromJson(variant, { tag: 'pass' }, 'p')).toEqual({ tag: 'pass' });
    expect(fromJson(variant, { tag: 'deny', val: 403 }, 'p')).toEqual({ tag: 'deny', val: 403 });
    expect(() => fromJson(variant, { tag: 'nope' }, 'p')).toThrow(/a tag among "pass", "deny"/);
    expect(fromJson({ kind: 'enum', names: ['get', 'post'] }, 'post', 'p')).toBe('post');
    expect(() => fromJson({ kind: 'enum', names: ['get'] }, 'GET', 'p')).toThrow(/one of "get"/);
    const result: ValType = { kind: 'result', ok: { kind: 'u32' }, err: null };
    expect(fromJson(result, { tag: 'ok', val: 7 }, 'p')).toEqual({ tag: 'ok', val: 7 });
    expect(fromJson(result, { tag: 'err' }, 'p')).toEqual({ tag: 'err' });
    expect(fromJson({ kind: 'tuple', types: [{ kind: 'char' }, { kind: 'bool' }] }, ['é', true], 'p')).toEqual(['é', true]);
    expect(() => fromJson({ kind: 'char' }, 'ab', 'p')).toThrow(/one-character/);
    const nested: ValType = { kind: 'option', type: { kind: 'option', type: { kind: 'u8' } } };
    expect(fromJson(nested, null, 'p')).toBeNull();
    expect(fromJson(nested, { tag: 'some', val: null }, 'p')).toEqual({ tag: 'some', val: null });
    expect(fromJson(nested, { tag: 'some', val: 3 }, 'p')).toEqual({ tag: 'some', val: 3 });
  });

  it('prints bigint as decimal strings and bytes as arrays', () => {
    expect(toJson({ id: 18446744073709551615n, body: Uint8Array.from([0, 255]) })).toBe('{"id":"18446744073709551615","body":[0,255]}');
  });
});
