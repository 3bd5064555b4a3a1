/**
 * The generated callers call exports by canonical core name on one core
 * instance; jco follows the component's own wiring. They must agree on
 * components whose wiring is not wit-component's one-module layout
 * (src/component/core-wiring.ts): a module instantiated twice, an outer
 * module wrapping an inner one that exports the same names (composition),
 * lifts from core exports under other names next to a decoy with the
 * canonical name. Each case: `call` (the route witplug picks) answers what
 * jco's bindings answer.
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@bytecodealliance/jco';
import { loadPlugin, CompileCache } from '../src/index.js';
import { decodeComponent } from '../src/component/decode.js';

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-wiring-')));
const API = 'test:wiring/api@0.1.0';
const exported = (lift: string) => `
  (func $value (result u32) (canon lift ${lift}))
  (instance $api (export "value" (func $value)))
  (export "${API}" (instance $api))`;

/** `generated`: whether witplug's own caller serves the call (else jco's bindings do). */
const CASES: { name: string; wat: string; expected: number; liftModule: number | null; generated: boolean }[] = [
  {
    name: 'a module instantiated twice with different imports (the second instance is lifted)',
    wat: `(component
  (core module $ten (global (export "base") i32 (i32.const 10)))
  (core module $twenty (global (export "base") i32 (i32.const 20)))
  (core module $m
    (import "cfg" "base" (global $base i32))
    (func (export "${API}#value") (result i32) (global.get $base)))
  (core instance $c10 (instantiate $ten))
  (core instance $c20 (instantiate $twenty))
  (core instance $first (instantiate $m (with "cfg" (instance $c10))))
  (core instance $second (instantiate $m (with "cfg" (instance $c20))))
  ${exported(`(core func $second "${API}#value")`)})`,
    expected: 20,
    liftModule: null,
    generated: false,
  },
  {
    name: 'an outer module wrapping an inner one that exports the same name',
    wat: `(component
  (core module $inner (func (export "${API}#value") (result i32) (i32.const 1)))
  (core module $outer
    (import "inner" "${API}#value" (func $v (result i32)))
    (func (export "${API}#value") (result i32) (i32.add (call $v) (i32.const 100))))
  (core instance $i (instantiate $inner))
  (core instance $o (instantiate $outer (with "inner" (instance $i))))
  ${exported(`(core func $o "${API}#value")`)})`,
    expected: 101,
    liftModule: 1,
    generated: true,
  },
  {
    name: 'the lift uses another core name; a decoy exports the canonical one',
    wat: `(component
  (core module $m
    (func (export "run") (result i32) (i32.const 7))
    (func (export "${API}#value") (result i32) (i32.const 666)))
  (core instance $i (instantiate $m))
  ${exported(`(core func $i "run")`)})`,
    expected: 7,
    liftModule: 0,
    generated: false,
  },
  {
    name: 'wit-component\'s plain layout (the control)',
    wat: `(component
  (core module $m (func (export "${API}#value") (result i32) (i32.const 5)))
  (core instance $i (instantiate $m))
  ${exported(`(core func $i "${API}#value")`)})`,
    expected: 5,
    liftModule: 0,
    generated: true,
  },
];

describe('core wiring: witplug\'s calls answer what jco\'s bindings answer', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const bytes = await parse(c.wat);
      const viaWitplug = await loadPlugin(bytes, { cache, log: () => {} });
      const viaJco = await loadPlugin(bytes, { cache, log: () => {} });
      expect(pluginInternals(viaJco).jcoFn('api#value')()).toBe(c.expected);
      expect(viaWitplug.call('api#value', [])).toBe(c.expected);
      expect(pluginInternals(viaWitplug).fastFn('api#value') !== null).toBe(c.generated);
      await Promise.all([viaWitplug.close(), viaJco.close()]);
      expect(decodeComponent(bytes).liftSource?.module ?? null).toBe(c.liftModule);
    });
  }
});

describe('core wiring: routing is per export', () => {
  it('an export lifted from another instance (a command adapter\'s run, say) goes through jco; the others stay generated', async () => {
    const bytes = await parse(`(component
  (core module $main (func (export "${API}#value") (result i32) (i32.const 5)))
  (core module $side (func (export "${API}#extra") (result i32) (i32.const 9)))
  (core instance $m (instantiate $main))
  (core instance $s (instantiate $side))
  (func $value (result u32) (canon lift (core func $m "${API}#value")))
  (func $extra (result u32) (canon lift (core func $s "${API}#extra")))
  (instance $api (export "value" (func $value)) (export "extra" (func $extra)))
  (export "${API}" (instance $api)))`);
    expect(decodeComponent(bytes).liftSource).toEqual({ module: 0, names: [`${API}#value`] });
    const p = await loadPlugin(bytes, { cache, log: () => {} });
    expect(pluginInternals(p).fastFn('api#value')).not.toBeNull();
    expect(pluginInternals(p).fastFn('api#extra')).toBeNull();
    expect([p.call('api#value', []), p.call('api#extra', [])]).toEqual([5, 9]);
    expect([pluginInternals(p).jcoFn('api#value')(), pluginInternals(p).jcoFn('api#extra')()]).toEqual([5, 9]);
    expect(p.instantiation).toBe('jco');
    await p.close();
  });
});

describe('core wiring: resource destructors', () => {
  it('wit-component\'s destructor (through its shim and fixup) is followed to the lifted instance', () => {
    const bench = readFileSync('bench/guests/dist/bench.wasm');
    expect(decodeComponent(bench).liftSource?.module).toBe(0);
  });

  it('a destructor taken from another instance leaves no single source (calls go through jco)', async () => {
    const bytes = await parse(`(component
  (core module $d (func (export "noop") (param i32)))
  (core instance $di (instantiate $d))
  (alias core export $di "noop" (core func $noop))
  (type $thing (resource (rep i32) (dtor (core func $noop))))
  (core func $new (canon resource.new $thing))
  (core instance $exp (export "[resource-new]thing" (func $new)))
  (core module $m
    (import "[export]${API}" "[resource-new]thing" (func $new (param i32) (result i32)))
    (func (export "${API}#value") (result i32) (i32.const 1))
    (func (export "${API}#[dtor]thing") (param i32)))
  (core instance $main (instantiate $m (with "[export]${API}" (instance $exp))))
  ${exported(`(core func $main "${API}#value")`)})`);
    expect(decodeComponent(bytes).liftSource).toBeNull();
  });
});

describe('core wiring: lowered imports', () => {
  it('wit-component\'s layout: the main module\'s host imports are followed through the shim and fixup to their lowers and memory', () => {
    const wiring = decodeComponent(readFileSync('guests/dist/gateway-c.wasm')).importWiring;
    const get = wiring?.get(0)?.get('witplug:host/config@0.1.0')?.get('get');
    expect(get).toEqual({
      kind: 'lower', iface: 'witplug:host/config@0.1.0', func: 'get', memory: { module: 0, name: 'memory' }, realloc: { module: 0, name: 'cabi_realloc' },
    });
  });

  it('a stand-in module\'s function, a canon built-in and a whole instance argument are told apart', async () => {
    const bytes = await parse(`(component
  (import "test:wiring/host@0.1.0" (instance $host (export "get" (func (result u32)))))
  (alias export $host "get" (func $get))
  (type $thing (resource (rep i32)))
  (core func $new (canon resource.new $thing))
  (core func $get_lowered (canon lower (func $get)))
  (core module $fake (func (export "get") (result i32) (i32.const 777)))
  (core instance $f (instantiate $fake))
  (core instance $bag (export "lowered" (func $get_lowered)) (export "fake" (func $f "get")) (export "new" (func $new)))
  (core module $m
    (import "bag" "lowered" (func (result i32)))
    (import "bag" "fake" (func (result i32)))
    (import "bag" "new" (func (param i32) (result i32)))
    (import "whole" "get" (func (result i32))))
  (core instance (instantiate $m (with "bag" (instance $bag)) (with "whole" (instance $f)))))`);
    const wiring = decodeComponent(bytes).importWiring!.get(1)!;
    expect(wiring.get('bag')?.get('lowered')).toEqual({ kind: 'lower', iface: 'test:wiring/host@0.1.0', func: 'get', memory: null, realloc: null });
    expect(wiring.get('bag')?.get('fake')).toEqual({ kind: 'other' });
    expect(wiring.get('bag')?.get('new')).toEqual({ kind: 'canon' });
    expect(wiring.has('whole')).toBe(false);
  });
});
