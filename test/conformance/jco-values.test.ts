/**
 * The jco value adapter (runtime/abi/jco-values.ts) over
 * nested options and results. jco 1.35 represents an option whose payload is
 * an option as `{ tag: 'none' } | { tag: 'some', val }`; witplug as
 * `null | { tag: 'some', val }`. Random values go through an identity
 * component on both call paths (`fn`: generated, `jcoFn`: jco's bindings
 * through the adapter) and must come back unchanged and equal.
 */
import { pluginInternals } from '../../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin, type Plugin } from '../../src/runtime/load/load-plugin.js';
import { bumpAllocator } from '../helpers/wat.js';

const IFACE = 'conf:nested/id@0.1.0';
/** WIT type → an arbitrary of its witplug values. */
const u32 = fc.nat({ max: 0xffffffff });
const str = fc.string({ maxLength: 5 });
const none = fc.constant(null);
const some = <T>(a: fc.Arbitrary<T>) => fc.record({ tag: fc.constant('some' as const), val: a });
const opt = <T>(a: fc.Arbitrary<T>) => fc.oneof(none, a);
const optTagged = <T>(a: fc.Arbitrary<T>) => fc.oneof(none, some(a));
const result = <A, B>(ok: fc.Arbitrary<A>, err: fc.Arbitrary<B>) =>
  fc.oneof(fc.record({ tag: fc.constant('ok' as const), val: ok }), fc.record({ tag: fc.constant('err' as const), val: err }));

const CASES: [string, fc.Arbitrary<unknown>][] = [
  ['option<option<u32>>', optTagged(opt(u32))],
  ['option<option<option<string>>>', optTagged(optTagged(opt(str)))],
  ['option<option<option<option<u8>>>>', optTagged(optTagged(optTagged(opt(fc.nat({ max: 255 })))))],
  ['list<option<option<u32>>>', fc.array(optTagged(opt(u32)), { maxLength: 4 })],
  ['result<option<option<u32>>, option<string>>', result(optTagged(opt(u32)), opt(str))],
  ['option<result<option<option<string>>, u32>>', opt(result(optTagged(opt(str)), u32))],
  ['tuple<option<option<bool>>, option<u32>>', fc.tuple(optTagged(opt(fc.boolean())), opt(u32))],
];

const HEAP = 16384;
let plugin: Plugin;

beforeAll(async () => {
  // f(x: tuple<T, string>, pad) -> tuple<T, string>: the 16-value pad spills the arguments to a
  // heap tuple laid out exactly like the result, so the guest returns the pointer it got.
  const pad = `tuple<${Array.from({ length: 16 }, () => 'u64').join(', ')}>`;
  const wit = `package conf:nested@0.1.0;
interface id {
${CASES.map(([t], i) => `  id${i}: func(x: tuple<${t}, string>, pad: ${pad}) -> tuple<${t}, string>;`).join('\n')}
}
world w { export id; }`;
  const wat = `(module
${bumpAllocator(HEAP)}
${CASES.map((_, i) => `  (func (export "${IFACE}#id${i}") (param i32) (result i32) local.get 0)
  (func (export "cabi_post_${IFACE}#id${i}") (param i32) (global.set $heap (i32.const ${HEAP})))`).join('\n')}
)`;
  const bytes = await componentNew(await componentEmbed({ binary: await parse(wat), witSource: wit, world: 'w' }));
  plugin = await loadPlugin(bytes, { name: 'nested', cache: null });
}, 60_000);

const PAD = Array.from({ length: 16 }, () => 0n);

describe('jco value adapter: nested options and results agree with the generated path', () => {
  it.each(CASES.map(([t], i) => [i, t] as const))('id%i: %s', (i) => {
    const fast = pluginInternals(plugin).fastFn(`id#id${i}`);
    expect(fast).not.toBeNull();
    const viaJco = pluginInternals(plugin).jcoFn(`id#id${i}`);
    fc.assert(
      fc.property(CASES[i]![1], str, (v, s) => {
        const x = [v, s];
        expect(fast!(x, PAD)).toEqual(x);
        expect(viaJco(x, PAD)).toEqual(x);
      }),
      { numRuns: 60, seed: 20261201 },
    );
  });

  it('the outer none of option<option<T>> goes through jco as none, not some(none)', () => {
    const viaJco = pluginInternals(plugin).jcoFn('id#id0');
    expect(viaJco([null, 'a'], PAD)).toEqual([null, 'a']);
    expect(viaJco([{ tag: 'some', val: null }, 'b'], PAD)).toEqual([{ tag: 'some', val: null }, 'b']);
    expect(viaJco([{ tag: 'some', val: 7 }, 'c'], PAD)).toEqual([{ tag: 'some', val: 7 }, 'c']);
  });
});
