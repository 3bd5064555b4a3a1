/**
 * Conformance: every type kind defined and used at the world level (records,
 * variants, enums, flags, tuples, options, results, lists, primitives) is
 * admitted against its own world and goes through both call paths unchanged.
 */
import { pluginInternals } from '../../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { resolve } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadContract } from '../../src/contract/load.js';
import { loadPlugin, type Plugin } from '../../src/runtime/load/load-plugin.js';
import { bumpAllocator } from '../helpers/wat.js';
import { FIXTURES } from './helpers.js';

const WIT = resolve(FIXTURES, 'world-types');
const HEAP = 16384;
const str = fc.string({ maxLength: 6 });
const char = fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 1 }).filter((c) => [...c].length === 1 && !/[\uD800-\uDFFF]/.test(c));
const point = fc.record({ x: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), y: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), label: str });
const shape = fc.oneof(
  fc.record({ tag: fc.constant('circle'), val: fc.double({ noNaN: true }) }),
  fc.record({ tag: fc.constant('rect'), val: point }),
  fc.constant({ tag: 'empty' }),
);
const color = fc.constantFrom('red', 'green', 'blue');

const CASES: [string, fc.Arbitrary<unknown>][] = [
  ['id-record', point],
  ['id-variant', shape],
  ['id-enum', color],
  ['id-flags', fc.record({ read: fc.boolean(), write: fc.boolean(), exec: fc.boolean() })],
  ['id-tuple', fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), char)],
  ['id-option', fc.option(point, { nil: null })],
  ['id-result', fc.oneof(fc.record({ tag: fc.constant('ok'), val: color }), fc.record({ tag: fc.constant('err'), val: str }))],
  ['id-list', fc.array(shape, { maxLength: 3 })],
  ['id-bytes', fc.uint8Array({ maxLength: 8 })],
];
const PAD = Array.from({ length: 16 }, () => 0n);
let plugin: Plugin;

beforeAll(async () => {
  // The 16-value pad spills the arguments to a heap tuple laid out like the result: the guest returns its pointer.
  const names = [...CASES.map(([n]) => n), 'id-prims'];
  const wat = `(module
${bumpAllocator(HEAP)}
${names.map((n) => `  (func (export "${n}") (param i32) (result i32) local.get 0)
  (func (export "cabi_post_${n}") (param i32) (global.set $heap (i32.const ${HEAP})))`).join('\n')}
)`;
  const { _addPreopen } = await import('@bytecodealliance/preview2-shim/filesystem');
  (_addPreopen as unknown as (g: string, h: string) => void)('/', '/');
  const bytes = await componentNew(await componentEmbed({ binary: await parse(wat), witPath: WIT, world: 'plugin' }));
  plugin = await loadPlugin(bytes, { name: 'world-types', cache: null, contract: await loadContract(WIT, 'plugin') });
}, 60_000);

describe('world-level types', () => {
  it.each(CASES.map(([n]) => n))('%s round-trips through fn and jcoFn', (name) => {
    const arb = CASES.find(([n]) => n === name)![1];
    const fast = pluginInternals(plugin).fastFn(name);
    expect(fast).not.toBeNull();
    const viaJco = pluginInternals(plugin).jcoFn(name);
    fc.assert(fc.property(arb, str, (v, s) => {
      expect(fast!([v, s], PAD)).toEqual([v, s]);
      expect(viaJco([v, s], PAD)).toEqual([v, s]);
    }), { numRuns: 30, seed: 20261201 });
  });

  it('primitives round-trip through fn and jcoFn', () => {
    const x = [true, -5, 65535, 1.5, -0.25, -(2n ** 63n), 'é', 'wit'];
    expect(plugin.fn('id-prims')(x, PAD)).toEqual(x);
    expect(pluginInternals(plugin).jcoFn('id-prims')(x, PAD)).toEqual(x);
  });
});
