/**
 * Every sort of import reaches the shape (and admission), and valid
 * components the decoder used to refuse or misname: core modules passed
 * between nested components, resources bundled in an inline instance,
 * `map<K, V>` types (refused with a documented code).
 */
import { describe, expect, it } from 'vitest';
import { parse } from '@bytecodealliance/jco';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeComponent } from '../src/component/decode.js';
import { printShape } from '../src/component/wit-print.js';
import { admit, admitShape } from '../src/admission/gate.js';
import { inspectComponent } from '../src/admission/inspect.js';
import { loadContract } from '../src/contract/load.js';
import { isWitplugError } from '../src/errors.js';
import type { ComponentShape } from '../src/component/types.js';

const EMPTY_WORLD = { shape: { imports: [], exports: [] } satisfies ComponentShape };

async function decoded(wat: string) {
  return decodeComponent(await parse(wat));
}

function codeOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isWitplugError(e) ? e.code : `non-witplug: ${String(e)}`;
  }
}

describe('imports of every sort are in the shape', () => {
  // One component per sort WIT cannot express: each import must be visible and refused.
  const cases: [string, string, string][] = [
    ['core module', '(import "m" (core module (export "f" (func))))', 'core module'],
    ['component', '(import "m" (component (export "f" (func))))', 'component'],
    ['value', '(import "m" (value string))', 'value'],
    ['function type', '(type $ft (func)) (import "m" (type (eq $ft)))', 'function type'],
    ['instance type', '(type $it (instance)) (import "m" (type (eq $it)))', 'instance type'],
    ['instance exporting a core module', '(import "m" (instance (export "inner" (core module))))', 'instance exporting core module inner'],
    ['instance exporting a component', '(import "m" (instance (export "inner" (component))))', 'instance exporting component inner'],
    ['instance exporting an instance', '(import "m" (instance (export "inner" (instance))))', 'instance exporting instance inner'],
  ];
  for (const [what, decl, detail] of cases) {
    it(`${what}: an extern item, refused as EXTRA_IMPORT`, async () => {
      const d = await decoded(`(component ${decl})`);
      expect(d.shape.imports).toEqual([expect.objectContaining({ kind: 'extern', name: 'm', detail })]);
      const report = admitShape(d.shape, EMPTY_WORLD);
      expect(report.accepted).toBe(false);
      expect(report.problems).toEqual([
        { code: 'EXTRA_IMPORT', path: 'import m', message: `expected no import m (the contract world does not offer it), found a ${detail}` },
      ]);
      // Printed as a comment, so the world stays WIT; inspect lists it.
      expect(printShape(d.shape)).toContain(`/* import "m": ${detail} (not expressible in WIT) */`);
      expect(inspectComponent(await parse(`(component ${decl})`)).imports.map((i) => [i.name, i.kind])).toEqual([['m', 'extern']]);
    });
  }

  it('an interface import next to a core module import: the module is still refused', async () => {
    const d = await decoded(`(component
      (import "a:b/c" (instance (export "f" (func))))
      (import "m" (core module)))`);
    expect(d.shape.imports.map((i) => [i.name, i.kind])).toEqual([['a:b/c', 'interface'], ['m', 'extern']]);
    const world = { shape: { imports: [d.shape.imports[0]!], exports: [] } };
    expect(admitShape(d.shape, world).problems.map((p) => [p.code, p.path])).toEqual([['EXTRA_IMPORT', 'import m']]);
  });

  it('a world offering the same extern admits it; a different sort does not fit', async () => {
    const d = await decoded('(component (import "m" (core module)))');
    expect(admitShape(d.shape, { shape: d.shape }).accepted).toBe(true);
    const other = await decoded('(component (import "m" (component)))');
    expect(admitShape(other.shape, { shape: d.shape }).problems.map((p) => [p.code, p.path])).toEqual([['IMPORT_MISMATCH', 'import m']]);
  });
});

describe('core modules passed between nested components', () => {
  it('as an instantiate argument', async () => {
    const d = await decoded(`(component
      (core module $m (func (export "f")))
      (component $c
        (import "m" (core module $im (export "f" (func))))
        (core instance $i (instantiate $im))
        (type $ft (func))
        (core func $f (alias core export $i "f"))
        (func (export "run") (type $ft) (canon lift (core func $f))))
      (instance $inst (instantiate $c (with "m" (core module $m))))
      (export "run" (func $inst "run")))`);
    expect(d.shape.imports).toEqual([]);
    expect(d.shape.exports.map((e) => [e.name, e.kind])).toEqual([['run', 'func']]);
  });

  it('aliased out of a component instance and bundled into an inline instance', async () => {
    const d = await decoded(`(component
      (component $c (core module $m (func (export "f"))) (export "m" (core module $m)))
      (instance $i (instantiate $c))
      (alias export $i "m" (core module $mm))
      (instance $bag (export "mm" (core module $mm)))
      (component $user (import "m" (core module)))
      (instance (instantiate $user (with "m" (core module $mm)))))`);
    expect(d.shape).toEqual({ imports: [], exports: [] });
  });

  it('other core sorts are still refused as arguments', async () => {
    const bytes = await parse(`(component
      (core module $m (func (export "f")))
      (component $c (import "m" (core module)))
      (instance (instantiate $c (with "m" (core module $m)))))`);
    // Rewrite the argument's `core module` sort byte (0x00 0x11) into `core func` (0x00 0x00).
    const at = Buffer.from(bytes).lastIndexOf(Buffer.from([0x01, 0x6d, 0x00, 0x11]));
    expect(at).toBeGreaterThan(0);
    const bad = Uint8Array.from(bytes);
    bad[at + 3] = 0x00;
    expect(codeOf(() => decodeComponent(bad))).toBe('MALFORMED');
  });
});

describe('a resource exported through an inline instance', () => {
  const wat = `(component
    (type $r (resource (rep i32)))
    (core module $m (func (export "make") (result i32) i32.const 1))
    (core instance $i (instantiate $m))
    (type $own (own $r))
    (type $ft (func (result $own)))
    (func $make (type $ft) (canon lift (core func $i "make")))
    (instance $bag (export "r" (type $r)) (export "make" (func $make)))
    (export "a:b/c" (instance $bag)))`;

  it('takes its export name', async () => {
    const d = await decoded(wat);
    const item = d.shape.exports[0]!;
    expect(item.kind).toBe('interface');
    if (item.kind !== 'interface') return;
    expect(item.iface.types.get('r')).toEqual({ kind: 'resource', name: 'r', interfaceName: 'a:b/c' });
  });

  it('is admitted against its own world', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-bag-'));
    writeFileSync(join(dir, 'w.wit'), 'package a:b;\ninterface c { resource r; make: func() -> r; }\nworld w { export c; }\n');
    const contract = await loadContract(dir, 'w');
    const report = admit(await parse(wat), contract);
    expect(report.problems).toEqual([]);
    expect(report.accepted).toBe(true);
  });
});

describe('map<K, V> types', () => {
  const forms = [
    '(component (type (map u32 string)))',
    '(component (type $m (map string u8)) (type $l (list $m)))',
    '(component (import "a:b/c" (instance (type $m (map string u8)) (export "m" (type (eq $m))))))',
  ];
  for (const wat of forms) {
    it(`are refused as UNSUPPORTED: ${wat}`, async () => {
      const bytes = await parse(wat);
      expect(codeOf(() => decodeComponent(bytes))).toBe('UNSUPPORTED');
      const report = admit(bytes, EMPTY_WORLD);
      expect(report.problems.map((p) => p.code)).toEqual(['UNSUPPORTED']);
      expect(report.problems[0]!.message).toMatch(/map<K, V> types are not supported/);
    });
  }
});
