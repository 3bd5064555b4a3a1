/**
 * Decoding work is linear in the input: a nested component is evaluated once
 * and instantiated by substitution, and the budget counts real work (type
 * nodes, fields, exports), so no structure of N bytes costs more than
 * `WORK_PER_BYTE * N + WORK_FLOOR` units. Fixtures are the shapes that were
 * exponential or quadratic: components instantiating components several
 * levels deep, wide records, deep nesting.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '@bytecodealliance/jco';
import { decodeCounted } from '../src/component/decode.js';
import { WORK_FLOOR, WORK_PER_BYTE } from '../src/component/defs.js';
import { isWitplugError } from '../src/errors.js';
import type { InterfaceType, WorldItem } from '../src/component/types.js';

/**
 * What the fixtures may spend per input byte. Every component the
 * component-model reference test scripts hold, and every guest of this repo,
 * spends under 1 unit per byte; 4 leaves room without hiding a superlinear
 * cost (those grow with the fixture's size parameters, checked below).
 */
const UNITS_PER_BYTE = 4;

function work(bytes: Uint8Array): number {
  return decodeCounted(bytes).work;
}

function iface(items: readonly WorldItem[], name: string): InterfaceType {
  const item = items.find((i) => i.name === name);
  if (!item || item.kind !== 'interface') throw new Error(`no interface ${name}`);
  return item.iface;
}

const range = (n: number): number[] => [...Array(n).keys()];

/**
 * `depth` levels of components, each importing a resource and a function on
 * it and instantiating the level below `fanout` times with them: fanout^depth
 * evaluations when each instantiation re-reads the nested body.
 */
function nestedInstantiations(depth: number, fanout: number): string {
  const head = '(import "t" (type $t (sub resource))) (import "f" (func $f (param "x" (own $t))))';
  let comp = `(component ${head} (export "r" (type $t)) (export "f2" (func $f)))`;
  for (let d = 1; d <= depth; d++) {
    const insts = range(fanout).map((k) => `(instance $i${k} (instantiate $inner (with "t" (type $t)) (with "f" (func $f))))`).join(' ');
    const last = `$i${fanout - 1}`;
    comp = `(component ${head}
      ${comp.replace(/^\(component/, '(component $inner')}
      ${insts}
      (alias export ${last} "r" (type $tl)) (alias export ${last} "f2" (func $fl))
      (export "r" (type $tl)) (export "f2" (func $fl)))`;
  }
  return `(component
    (type $r (resource (rep i32)))
    (core module $m (func (export "f") (param i32)))
    (core instance $ci (instantiate $m))
    (type $own (own $r))
    (func $f (param "x" $own) (canon lift (core func $ci "f")))
    ${comp.replace(/^\(component/, '(component $top')}
    (instance $x (instantiate $top (with "t" (type $r)) (with "f" (func $f))))
    (alias export $x "r" (type $rt))
    (alias export $x "f2" (func $xf))
    (instance $bag (export "r" (type $rt)) (export "f" (func $xf)))
    (export "a:b/c" (instance $bag)))`;
}

/** A record of `fields` fields defined in a nested component instantiated `times` times (re-read each time before). */
function wideRecordInstantiated(fields: number, times: number): string {
  const record = `(record ${range(fields).map((i) => `(field "f${i}" u32)`).join(' ')})`;
  const insts = range(times).map((k) => `(instance $i${k} (instantiate $c))`).join(' ');
  return `(component
    (component $c (type $w ${record}) (export "w" (type $w)))
    ${insts}
    (alias export $i0 "w" (type $w0))
    (import "a:b/c" (instance (export "w" (type (eq $w0))))))`;
}

/** A wide record used by many types and functions of one interface. */
function wideRecordReferenced(fields: number, uses: number): string {
  const record = `(record ${range(fields).map((i) => `(field "f${i}" u32)`).join(' ')})`;
  const decls = range(uses).map((k) => `(type $l${k} (tuple $w u${k % 2 === 0 ? '8' : '16'})) (export "g${k}" (func (param "x" $w) (result $l${k})))`).join(' ');
  return `(component (import "a:b/c" (instance (type $w ${record}) (export "w" (type (eq $w))) ${decls})))`;
}

/** Components nested `depth` deep, each instantiating the one inside it twice. */
function deepNesting(depth: number): string {
  let comp = '(component (type $e (enum "a" "b")) (export "e" (type $e)))';
  for (let d = 0; d < depth; d++) {
    comp = `(component ${comp.replace(/^\(component/, '(component $c')}
      (instance $a (instantiate $c)) (instance $b (instantiate $c))
      (alias export $b "e" (type $e)) (export "e" (type $e)))`;
  }
  return comp;
}

describe('decoding work is linear in the input', () => {
  it('nested components instantiated several times at each of several levels', async () => {
    for (const [depth, fanout] of [[2, 2], [6, 4], [12, 8], [40, 3]] as const) {
      const bytes = await parse(nestedInstantiations(depth, fanout));
      const { decoded, work: units } = decodeCounted(bytes);
      expect(units, `depth ${depth} fanout ${fanout}`).toBeLessThanOrEqual(UNITS_PER_BYTE * bytes.length);
      // The resource passed down through every level is the one the function takes.
      const c = iface(decoded.shape.exports, 'a:b/c');
      const r = c.types.get('r');
      expect(r).toEqual({ kind: 'resource', name: 'r', interfaceName: 'a:b/c' });
      expect(c.funcs.get('f')!.params[0]!.type).toEqual({ kind: 'own', resource: r });
      expect((c.funcs.get('f')!.params[0]!.type as { resource: unknown }).resource).toBe(r);
    }
  });

  it('a 2000-field record in a nested component instantiated 300 times', async () => {
    const bytes = await parse(wideRecordInstantiated(2000, 300));
    const { decoded, work: units } = decodeCounted(bytes);
    expect(units).toBeLessThanOrEqual(UNITS_PER_BYTE * bytes.length);
    const w = iface(decoded.shape.imports, 'a:b/c').types.get('w');
    expect(w?.kind === 'record' && w.fields.length).toBe(2000);
  });

  it('a 2000-field record referenced by 500 types and functions', async () => {
    const bytes = await parse(wideRecordReferenced(2000, 500));
    expect(work(bytes)).toBeLessThanOrEqual(UNITS_PER_BYTE * bytes.length);
  });

  it('components nested 90 deep, each instantiating its inner component twice', async () => {
    const bytes = await parse(deepNesting(90));
    expect(work(bytes)).toBeLessThanOrEqual(UNITS_PER_BYTE * bytes.length);
  });

  it('the units per byte do not grow with the fixtures', async () => {
    const ratio = async (wat: string): Promise<number> => {
      const bytes = await parse(wat);
      return work(bytes) / bytes.length;
    };
    // Twice the depth (or fan-out) must not multiply the cost per byte.
    expect(await ratio(nestedInstantiations(16, 4))).toBeLessThan(1.5 * (await ratio(nestedInstantiations(8, 4))));
    expect(await ratio(nestedInstantiations(8, 16))).toBeLessThan(1.5 * (await ratio(nestedInstantiations(8, 8))));
    expect(await ratio(deepNesting(80))).toBeLessThan(1.5 * (await ratio(deepNesting(40))));
  });

  it('each instantiation generates its own resource types; arguments keep theirs', async () => {
    const bytes = await parse(`(component
      (component $c
        (type $r (resource (rep i32)))
        (core module $m (func (export "f") (param i32)))
        (core instance $ci (instantiate $m))
        (type $own (own $r))
        (func $f (param "x" $own) (canon lift (core func $ci "f")))
        (export "r" (type $r)) (export "f" (func $f)))
      (component $pass
        (import "r" (type $t (sub resource)))
        (export "r" (type $t)))
      (instance $a (instantiate $c))
      (instance $b (instantiate $c))
      (alias export $a "r" (type $ar))
      (instance $p (instantiate $pass (with "r" (type $ar))))
      (export "a:b/one" (instance $a))
      (export "a:b/two" (instance $b))
      (export "a:b/three" (instance $p)))`);
    const { exports } = decodeCounted(bytes).decoded.shape;
    const [one, two, three] = ['a:b/one', 'a:b/two', 'a:b/three'].map((n) => iface(exports, n));
    const r1 = one!.types.get('r');
    const r2 = two!.types.get('r');
    expect(r1).not.toBe(r2);
    expect(r1).toEqual({ kind: 'resource', name: 'r', interfaceName: 'a:b/one' });
    expect(r2).toEqual({ kind: 'resource', name: 'r', interfaceName: 'a:b/two' });
    expect((one!.funcs.get('f')!.params[0]!.type as { resource: unknown }).resource).toBe(r1);
    expect((two!.funcs.get('f')!.params[0]!.type as { resource: unknown }).resource).toBe(r2);
    // A resource passed through a component is the argument itself.
    expect(three!.types.get('r')).toBe(r1);
  });

  it('instances nested in instances: substituted up to a bound, refused beyond it without overflowing the stack', async () => {
    // Inside a component instantiated twice, a chain of inline instances each exporting the previous one,
    // the innermost holding the component's imported function.
    const chain = (n: number): string => `(component
      (component $c
        (import "f" (func $f))
        (instance $b0 (export "f" (func $f)))
        ${range(n).map((k) => `(instance $b${k + 1} (export "i" (instance $b${k})))`).join(' ')}
        (export "top" (instance $b${n})))
      (core module $m (func (export "f")))
      (core instance $ci (instantiate $m))
      (func $g (canon lift (core func $ci "f")))
      (instance $x (instantiate $c (with "f" (func $g))))
      (instance $y (instantiate $c (with "f" (func $g))))
      (export "x" (instance $x)))`;
    const ok = await parse(chain(150));
    expect(decodeCounted(ok).decoded.shape.exports.map((e) => [e.name, e.kind])).toEqual([['x', 'extern']]);
    let code = 'ok';
    try {
      decodeCounted(await parse(chain(5000)));
    } catch (e) {
      code = isWitplugError(e) ? `${e.code}: ${e.message}` : String(e);
    }
    expect(code).toMatch(/^MALFORMED: .*nested deeper than/);
  });

  it('a structure that would need more than its budget is refused, having spent no more', async () => {
    // Valid, but each of n instantiations rebuilds the n exports of a component
    // on the resource it generates: n² units from O(n) bytes.
    const n = 1000;
    const funcs = range(n).map((k) => `(export "f${k}" (func $f))`).join(' ');
    const comp = `(component $c
      (type $r (resource (rep i32)))
      (core module $m (func (export "f") (param i32)))
      (core instance $ci (instantiate $m))
      (type $own (own $r))
      (func $f (param "x" $own) (canon lift (core func $ci "f")))
      (export "r" (type $r)) ${funcs})`;
    const bytes = await parse(`(component ${comp} ${range(n).map((k) => `(instance $i${k} (instantiate $c))`).join(' ')})`);
    expect(WORK_PER_BYTE * bytes.length + WORK_FLOOR).toBeLessThan(n * n);
    let code = 'ok';
    try {
      decodeCounted(bytes);
    } catch (e) {
      code = isWitplugError(e) ? `${e.code}: ${e.message}` : String(e);
    }
    expect(code).toMatch(/^MALFORMED: .*work budget exhausted/);
  });
});
