/**
 * Which memory a host import writes into, and which function a core import
 * really is. A `canon lower` names its own memory and realloc, which need
 * not be those of the instance the exports are lifted from (a Rust
 * `wasm32-wasip2` command: every lift comes from the WASI adapter, which
 * has no memory of its own), and a core import named like a host function
 * may be wired to something else entirely. jco follows the component's
 * wiring; witplug's generated trampolines and direct instances must answer
 * the same — or leave the import to jco's glue. Each case: `call` (the
 * route witplug picks) and `jcoFn` answer what a plugin run through jco
 * alone answers.
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, transpile } from '@bytecodealliance/jco';
import { loadPlugin, prepare, CompileCache, type HostImplementations } from '../src/index.js';
import { bumpAllocator } from './helpers/wat.js';

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-import-memory-')));
const API = 'test:wiring/api@0.1.0';
const HOST = 'test:wiring/host@0.1.0';
const host = (get: () => unknown, other: () => unknown = () => 0): HostImplementations => ({ 'test:wiring/host': { get, other } });

const importHost = (result: string) => `
  (import "${HOST}" (instance $host (export "get" (func (result ${result}))) (export "other" (func (result ${result})))))
  (alias export $host "get" (func $get))
  (alias export $host "other" (func $other))`;

const exportValue = (instance: string) => `
  (func $value (result u32) (canon lift (core func ${instance} "${API}#value")))
  (instance $api (export "value" (func $value)))
  (export "${API}" (instance $api))`;

/**
 * wit-component's indirection for an import lowered with the memory of the
 * module that imports it: the module imports the shim's `0`, which calls
 * table slot 0; the fixup fills the slot once the lowered function exists.
 */
const shim = (field = 'get', arity = 1) => {
  const params = `(param${' i32'.repeat(arity)})`;
  const args = Array.from({ length: arity }, (_, i) => `(local.get ${i})`).join(' ');
  return `
  (core module $shim
    (type $t (func ${params}))
    (table (export "$imports") 1 1 funcref)
    (func (export "0") ${params} (call_indirect (type $t) ${args} (i32.const 0))))
  (core module $fixup
    (type $t (func ${params}))
    (import "actual" "0" (func $f (type $t)))
    (import "shim" "$imports" (table 1 1 funcref))
    (elem (i32.const 0) func $f))
  (core instance $s (instantiate $shim))
  (core instance $hostbag (export "${field}" (func $s "0")))`;
};
const SHIM = shim();

const FIXUP = `
  (core instance $actual (export "0" (func $get_lowered)))
  (core instance (instantiate $fixup (with "actual" (instance $actual)) (with "shim" (instance $s))))`;

/** A main module calling `get` (a string) into a return area at 16, answering `f(ptr, len)`. */
const mainModule = (answer: string, extra = '') => `
  (core module $main
    (import "${HOST}" "get" (func $get (param i32)))
${bumpAllocator(1024)}
    (func $main_fn (export "main") (result i32)
      (call $get (i32.const 16))
      ${answer})
${extra})`;

interface Case {
  readonly name: string;
  readonly wat: string;
  readonly host: HostImplementations;
  /** How witplug instantiates it once fixed (direct only where the wiring is proven). */
  readonly instantiation: 'direct' | 'jco';
}

const CASES: Case[] = [
  {
    name: 'two core instances with their own memories: the import is lowered with the second\'s, the lifts come from the first',
    wat: `(component ${importHost('string')}
  (core module $b
${bumpAllocator(1024)}
    (func (export "peek") (param $area i32) (result i32)
      (if (result i32) (i32.eqz (i32.load offset=4 (local.get $area)))
        (then (i32.const 0))
        (else (i32.add (i32.load offset=4 (local.get $area)) (i32.mul (i32.const 1000) (i32.load8_u (i32.load (local.get $area)))))))))
  (core instance $bi (instantiate $b))
  (alias core export $bi "memory" (core memory $bmem))
  (alias core export $bi "cabi_realloc" (core func $brealloc))
  (core func $get_lowered (canon lower (func $get) (memory $bmem) (realloc $brealloc)))
  (core instance $hostbag (export "get" (func $get_lowered)))
  (core module $a
    (import "${HOST}" "get" (func $get (param i32)))
    (import "b" "peek" (func $peek (param i32) (result i32)))
${bumpAllocator(2048)}
    (func (export "${API}#value") (result i32)
      (call $get (i32.const 16))
      ;; what the second memory holds, plus a marker if this module's own memory was written
      (i32.add (call $peek (i32.const 16)) (i32.mul (i32.const 1000000) (i32.ne (i32.load offset=4 (i32.const 16)) (i32.const 0))))))
  (core instance $ai (instantiate $a (with "${HOST}" (instance $hostbag)) (with "b" (instance $bi))))
  ${exportValue('$ai')})`,
    host: host(() => 'hello'),
    instantiation: 'jco',
  },
  {
    name: 'a Rust wasip2 command\'s layout: lifts from a memoryless adapter, the import lowered with the main module\'s memory',
    wat: `(component ${importHost('string')} ${SHIM}
  ${mainModule('(i32.add (i32.load offset=4 (i32.const 16)) (i32.mul (i32.const 1000) (i32.load8_u (i32.load (i32.const 16)))))')}
  (core instance $m (instantiate $main (with "${HOST}" (instance $hostbag))))
  (alias core export $m "memory" (core memory $mem))
  (alias core export $m "cabi_realloc" (core func $realloc))
  (core func $get_lowered (canon lower (func $get) (memory $mem) (realloc $realloc)))
  ${FIXUP}
  (core module $adapter
    (import "main" "main" (func $main (result i32)))
    (func (export "${API}#value") (result i32) (call $main)))
  (core instance $ad (instantiate $adapter (with "main" (instance $m))))
  ${exportValue('$ad')})`,
    host: host(() => 'hello'),
    instantiation: 'jco',
  },
  {
    name: 'the import lowered with the main module\'s memory but another instance\'s realloc (shaped like a shim)',
    wat: `(component ${importHost('string')} ${SHIM}
  (core module $alloc (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 4096)))
  (core instance $al (instantiate $alloc))
  ${mainModule('(i32.load (i32.const 16))', `    (func (export "${API}#value") (result i32) (call $main_fn))`)}
  (core instance $m (instantiate $main (with "${HOST}" (instance $hostbag))))
  (alias core export $m "memory" (core memory $mem))
  (alias core export $al "realloc" (core func $realloc))
  (core func $get_lowered (canon lower (func $get) (memory $mem) (realloc $realloc)))
  ${FIXUP}
  ${exportValue('$m')})`,
    host: host(() => 'hello'),
    instantiation: 'jco',
  },
  {
    name: 'the wasip2 layout\'s control: lifts and lowers all on the main module (served directly)',
    wat: `(component ${importHost('string')} ${SHIM}
  ${mainModule('(i32.add (i32.load offset=4 (i32.const 16)) (i32.mul (i32.const 1000) (i32.load8_u (i32.load (i32.const 16)))))', `    (func (export "${API}#value") (result i32) (call $main_fn))`)}
  (core instance $m (instantiate $main (with "${HOST}" (instance $hostbag))))
  (alias core export $m "memory" (core memory $mem))
  (alias core export $m "cabi_realloc" (core func $realloc))
  (core func $get_lowered (canon lower (func $get) (memory $mem) (realloc $realloc)))
  ${FIXUP}
  ${exportValue('$m')})`,
    host: host(() => 'hello'),
    instantiation: 'direct',
  },
  {
    name: 'a function-only module standing where a host import is expected (passed as the whole instance)',
    wat: `(component ${importHost('u32')}
  (core module $fake (func (export "get") (result i32) (i32.const 777)))
  (core instance $f (instantiate $fake))
  (core module $main
    (import "${HOST}" "get" (func $get (result i32)))
    (func (export "${API}#value") (result i32) (call $get)))
  (core instance $m (instantiate $main (with "${HOST}" (instance $f))))
  ${exportValue('$m')})`,
    host: host(() => 5),
    instantiation: 'jco',
  },
  {
    name: 'a function-only module standing where a host import is expected (through an export bag)',
    wat: `(component ${importHost('u32')}
  (core module $fake (func (export "get") (result i32) (i32.const 777)))
  (core instance $f (instantiate $fake))
  (core instance $bag (export "get" (func $f "get")))
  (core module $main
    (import "${HOST}" "get" (func $get (result i32)))
    (func (export "${API}#value") (result i32) (call $get)))
  (core instance $m (instantiate $main (with "${HOST}" (instance $bag))))
  ${exportValue('$m')})`,
    host: host(() => 5),
    instantiation: 'jco',
  },
  {
    name: 'another host function lowered under the imported function\'s name',
    wat: `(component ${importHost('u32')}
  (core func $other_lowered (canon lower (func $other)))
  (core instance $bag (export "get" (func $other_lowered)))
  (core module $main
    (import "${HOST}" "get" (func $get (result i32)))
    (func (export "${API}#value") (result i32) (call $get)))
  (core instance $m (instantiate $main (with "${HOST}" (instance $bag))))
  ${exportValue('$m')})`,
    host: host(() => 5, () => 9),
    instantiation: 'direct',
  },
];

/** What jco alone answers: its own transpiled glue, with nothing of witplug's in between. */
async function jcoAnswer(bytes: Uint8Array, h: HostImplementations): Promise<unknown> {
  const { files } = await transpile(bytes, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true });
  const dir = mkdtempSync(join(tmpdir(), 'witplug-import-memory-jco-'));
  const modules = new Map<string, WebAssembly.Module>();
  for (const [name, file] of Object.entries(files)) {
    if (name.endsWith('.wasm')) modules.set(name, new WebAssembly.Module(file as Uint8Array<ArrayBuffer>));
    else if (name.endsWith('.js')) writeFileSync(join(dir, name.replace(/\.js$/, '.mjs')), file);
  }
  const glue = (await import(pathToFileURL(join(dir, 'component.mjs')).href)) as {
    instantiate: (get: (p: string) => WebAssembly.Module, imports: object) => Record<string, Record<string, () => unknown>>;
  };
  const table = h['test:wiring/host']!;
  const exports = glue.instantiate((p) => modules.get(p)!, { [HOST]: table, 'test:wiring/host': table });
  return exports[API]!['value']!();
}

describe('host imports write into the memory their canon lower names, and are what the component wires', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const bytes = await parse(c.wat);
      const expected = await jcoAnswer(bytes, c.host);
      const p = await loadPlugin(bytes, { cache, host: c.host, log: () => {} });
      expect(p.call('api#value', [])).toBe(expected);
      expect(pluginInternals(p).jcoFn('api#value')()).toBe(expected);
      expect(p.call('api#value', [])).toBe(expected);
      expect(p.instantiation).toBe(c.instantiation);
      await p.close();
    });
  }

  it('the answers themselves (so that agreeing with jco is not agreeing on a failure)', async () => {
    const answers = await Promise.all(CASES.map(async (c) => jcoAnswer(await parse(c.wat), c.host)));
    // 'hello': length 5, 'h' = 104 → 104 005; the realloc's fixed block; 777 from the stand-in; 9 from `other`.
    expect(answers).toEqual([104_005, 104_005, 4096, 104_005, 777, 777, 9]);
  });
});

describe('a core start function that traps is the plugin\'s TRAP, not LINK', () => {
  const trapping = (where: 'main' | 'adapter') => `(component
  (core module $main
    (func (export "main") (result i32) (i32.const 1))
    ${where === 'main' ? '(func $start unreachable) (start $start)' : ''})
  (core instance $m (instantiate $main))
  (core module $adapter
    (import "main" "main" (func $main (result i32)))
    (func (export "${API}#value") (result i32) (call $main))
    ${where === 'adapter' ? '(func $start unreachable) (start $start)' : ''})
  (core instance $ad (instantiate $adapter (with "main" (instance $m))))
  ${exportValue('$ad')})`;

  for (const where of ['main', 'adapter'] as const) {
    it(`through jco's glue, the trap in the ${where === 'main' ? 'first' : 'second'} core instance's start`, async () => {
      const bytes = await parse(trapping(where));
      const prepared = await prepare(bytes, { cache, log: () => {} });
      const err = await prepared.instantiate().then(() => null, (e: unknown) => e as { code: string; hook: string });
      expect(err?.code).toBe('TRAP');
      expect(err?.hook).toBe('(instantiate)');
      await prepared.close();
      const loaded = await loadPlugin(bytes, { cache, log: () => {} }).then(() => null, (e: unknown) => e as { code: string });
      expect(loaded?.code).toBe('TRAP');
    });
  }

  it('a direct instance whose start traps (the control)', async () => {
    const bytes = await parse(`(component
  (core module $main
    (func (export "${API}#value") (result i32) (i32.const 1))
    (func $start unreachable) (start $start))
  (core instance $m (instantiate $main))
  ${exportValue('$m')})`);
    const prepared = await prepare(bytes, { cache, log: () => {} });
    const err = await prepared.instantiate().then(() => null, (e: unknown) => e as { code: string; hook: string });
    expect(err?.code).toBe('TRAP');
    await prepared.close();
  });
});

describe('host resources across a trampoline with another instance\'s memory', () => {
  it('a handle the export lends is the same handle to the import (one table), the string lands in the main memory', async () => {
    const bytes = await parse(`(component
  (import "${HOST}" (instance $host
    (export "thing" (type $t (sub resource)))
    (export "[method]thing.label" (func (param "self" (borrow $t)) (result string)))))
  (alias export $host "thing" (type $thing))
  (alias export $host "[method]thing.label" (func $get))
  ${shim('[method]thing.label', 2)}
  (core module $main
    (import "${HOST}" "[method]thing.label" (func $label (param i32 i32)))
${bumpAllocator(1024)}
    (func (export "main") (param $h i32) (result i32)
      (call $label (local.get $h) (i32.const 16))
      (i32.add (i32.load offset=4 (i32.const 16)) (i32.mul (i32.const 1000) (i32.load8_u (i32.load (i32.const 16)))))))
  (core instance $m (instantiate $main (with "${HOST}" (instance $hostbag))))
  (alias core export $m "memory" (core memory $mem))
  (alias core export $m "cabi_realloc" (core func $realloc))
  (core func $get_lowered (canon lower (func $get) (memory $mem) (realloc $realloc)))
  ${FIXUP}
  (core module $adapter
    (import "main" "main" (func $main (param i32) (result i32)))
    (func (export "${API}#value") (param i32) (result i32) (call $main (local.get 0))))
  (core instance $ad (instantiate $adapter (with "main" (instance $m))))
  (func $value (param "t" (borrow $thing)) (result u32) (canon lift (core func $ad "${API}#value")))
  (instance $api (export "value" (func $value)))
  (export "${API}" (instance $api)))`);
    const labels = new WeakMap<object, string>();
    const thing = {};
    labels.set(thing, 'hello');
    const p = await loadPlugin(bytes, {
      cache, log: () => {}, host: { 'test:wiring/host': { '[method]thing.label': (self: object) => labels.get(self) ?? '' } } as never,
    });
    expect(p.call('api#value', [thing])).toBe(104_005);
    expect(p.call('api#value', [thing])).toBe(104_005);
    await p.close();
  });
});
