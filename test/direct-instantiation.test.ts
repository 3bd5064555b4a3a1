/**
 * Direct instantiation (src/runtime/link/direct.ts): a plugin whose calls and
 * imports witplug's generated path serves is instantiated as its own core
 * module alone, without jco's glue; everything else keeps the glue. Both
 * must behave the same: state, jco's bindings (attached to the same
 * instance on demand), faults in start code, limits.
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { prepare, loadPlugin, CompileCache } from '../src/index.js';
import { directLayout } from '../src/runtime/link/direct.js';
import { decodeComponent } from '../src/component/decode.js';
import { thrown } from './helpers/fails.js';
import { bumpAllocator } from './helpers/wat.js';

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-direct-')));
const API = 'test:direct/api@0.1.0';
const HOST = 'test:direct/host@0.1.0';
const WIT = `package test:direct@0.1.0;
interface host { log: func(msg: string); }
interface api {
  bump: func() -> u32;
  greet: func(name: string) -> string;
  boom: func();
}
world counter { import host; export api; }`;

/** A counter guest; `extra` adds core fields (a start function, `_initialize`). */
function counterWat(extra = ''): string {
  return `(module
  (import "${HOST}" "log" (func $log (param i32 i32)))
${bumpAllocator(1024)}
  (global $n (mut i32) (i32.const 0))
  (data (i32.const 16) "hello")
  (func (export "${API}#bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "${API}#greet") (param $p i32) (param $len i32) (result i32)
    (call $log (local.get $p) (local.get $len))
    (i32.store (i32.const 8) (local.get $p))
    (i32.store (i32.const 12) (local.get $len))
    (i32.const 8))
  (func (export "${API}#boom") unreachable)
${extra})`;
}

async function component(wat: string, world = 'counter', wit = WIT): Promise<Uint8Array> {
  return componentNew(await componentEmbed({ binary: await parse(wat), witSource: wit, world }));
}

function host(logged: string[]) {
  return { [HOST.replace(/@.*/, '')]: { log: (msg: string) => void logged.push(msg) } } as never;
}

let counter: Uint8Array;
beforeAll(async () => {
  counter = await component(counterWat());
}, 60_000);

describe('direct instantiation', () => {
  it('a plain wit-component plugin is instantiated directly: one core module, host imports wired', async () => {
    const logged: string[] = [];
    const prepared = await prepare(counter, { cache, host: host(logged), log: () => {} });
    const p = await prepared.instantiate();
    expect(p.instantiation).toBe('direct');
    expect(p.call('api#greet', ['ann'])).toBe('ann');
    expect(logged).toEqual(['ann']);
    await p.close();
    await prepared.close();
  });

  it('the layout is recognised only for wit-component\'s main + shim + fixup', async () => {
    const prepared = await prepare(counter, { cache, host: host([]), log: () => {} });
    const p = await prepared.instantiate();
    expect(p.instantiation).toBe('direct');
    const modules = await compiledModules(counter);
    expect(modules).toHaveLength(3);
    const main = modules.find((m) => WebAssembly.Module.exports(m).some((e) => e.name === `${API}#bump`))!;
    expect(directLayout(modules, main, () => false)?.main).toBe(main);
    // A shim or fixup with start code (wit-component's never have one) would run plugin code: not skipped.
    expect(directLayout(modules, main, (m) => m !== main)).toBeNull();
    // Another real module next to the main one (here: a second copy of it) is linked by the glue.
    expect(directLayout([...modules, await WebAssembly.compile((await parse(counterWat())) as Uint8Array<ArrayBuffer>)], main, () => false)).toBeNull();
    await p.close();
    await prepared.close();
  });

  it('jco\'s bindings attach to the same instance: state is shared with the generated callers', async () => {
    const p = await loadPlugin(counter, { cache, host: host([]), log: () => {} });
    expect(p.instantiation).toBe('direct');
    expect(p.call('api#bump', [])).toBe(1);
    expect(p.call('api#bump', [])).toBe(2);
    expect(pluginInternals(p).jcoFn('api#bump')()).toBe(3);
    expect(p.call('api#bump', [])).toBe(4);
    expect(pluginInternals(p).jcoFn('api#greet')('bob')).toBe('bob');
    expect(p.instantiation).toBe('direct');
    // A trap replaces the instance (state starts over), still directly; jco's bindings follow it.
    expect(thrown(() => p.call('api#boom', [])).code).toBe('TRAP');
    expect(p.instantiation).toBe(null);
    expect(pluginInternals(p).jcoFn('api#bump')()).toBe(1);
    expect(p.instantiation).toBe('direct');
    expect(p.call('api#bump', [])).toBe(2);
    await p.close();
  });

  it('instances of one prepared plugin are independent', async () => {
    const prepared = await prepare(counter, { cache, host: host([]), log: () => {} });
    const [a, b] = [await prepared.instantiate(), await prepared.instantiate()];
    a.call('api#bump', []);
    a.call('api#bump', []);
    expect(b.call('api#bump', [])).toBe(1);
    expect(a.call('api#bump', [])).toBe(3);
    await Promise.all([a.close(), b.close(), prepared.close()]);
  });

  it('a start function that traps is the plugin\'s fault (TRAP), not a link failure', async () => {
    const bytes = await component(counterWat('  (func $start unreachable)\n  (start $start)'));
    const prepared = await prepare(bytes, { cache, host: host([]), log: () => {} });
    const err = await prepared.instantiate().then(() => null, (e: unknown) => e as { code: string; hook: string });
    expect(err?.code).toBe('TRAP');
    expect(err?.hook).toBe('(instantiate)');
    await prepared.close();
  });

  it('a start function that never returns is stopped by the deadline (TIMEOUT) and the host goes on', async () => {
    const bytes = await component(counterWat('  (func $start (loop $l (br $l)))\n  (start $start)'));
    const prepared = await prepare(bytes, { cache, host: host([]), log: () => {}, limits: { timeoutMs: 50 } });
    const t = performance.now();
    const err = await prepared.instantiate().then(() => null, (e: unknown) => e as { code: string; hook: string });
    expect(err?.code).toBe('TIMEOUT');
    expect(err?.hook).toBe('(instantiate)');
    expect(performance.now() - t).toBeLessThan(5_000);
    await prepared.close();
    // Fuel bounds it too, deterministically.
    const metered = await prepare(bytes, { cache, host: host([]), log: () => {}, limits: { fuel: 100_000 } });
    expect((await metered.instantiate().then(() => null, (e: unknown) => e as { code: string }))?.code).toBe('FUEL_EXHAUSTED');
    await metered.close();
  });

  it('a start function calling a host import that reads memory fails as the plugin\'s, like through jco', async () => {
    const logged: string[] = [];
    const bytes = await component(counterWat('  (func $start (call $log (i32.const 16) (i32.const 5)))\n  (start $start)'));
    const prepared = await prepare(bytes, { cache, host: host(logged), log: () => {} });
    const err = await prepared.instantiate().then(() => null, (e: unknown) => e as { code: string; hook: string });
    // Memory is not reachable before the instance exists (jco: the import table is not filled yet).
    expect(err?.code).toBe('TRAP');
    expect(logged).toEqual([]);
    await prepared.close();
  });

  it('a module exporting _initialize keeps jco\'s glue and still answers', async () => {
    const bytes = await component(counterWat('  (func (export "_initialize"))'));
    const p = await loadPlugin(bytes, { cache, host: host([]), log: () => {} });
    expect(p.instantiation).toBe('jco');
    expect(p.call('api#bump', [])).toBe(1);
    expect(pluginInternals(p).jcoFn('api#bump')()).toBe(2);
    await p.close();
  });

  it('a core module instantiated twice keeps the glue (the decoder counts instantiations per module)', async () => {
    const bytes = await parse(`(component
  (core module $m
    (global $n (mut i32) (i32.const 0))
    (func (export "${API}#bump") (result i32)
      (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
  (core instance $first (instantiate $m))
  (core instance $second (instantiate $m))
  (func $bump (result u32) (canon lift (core func $second "${API}#bump")))
  (instance $api (export "bump" (func $bump)))
  (export "${API}" (instance $api)))`);
    expect(decodeComponent(bytes).oneInstancePerModule).toBe(false);
    expect(decodeComponent(counter).oneInstancePerModule).toBe(true);
    const p = await loadPlugin(bytes, { cache, log: () => {} });
    expect(p.instantiation).toBe('jco');
    expect([p.call('api#bump', []), pluginInternals(p).jcoFn('api#bump')()]).toEqual([1, 2]);
    await p.close();
  });

  it('a plugin with WASI imports (jco\'s trampolines and preview2-shim) keeps the glue', async () => {
    const data = mkdtempSync(join(tmpdir(), 'witplug-direct-data-'));
    const p = await loadPlugin('guests/dist/fsprobe-wat.wasm', { cache, log: () => {}, grant: { filesystem: [{ host: data, guest: '/data', readonly: true }] } });
    expect(p.instantiation).toBe('jco');
    await p.close();
  });

  it('limits hold on a direct instance: fuel is metered and runs out', async () => {
    const p = await loadPlugin(counter, { cache, host: host([]), log: () => {}, limits: { fuel: 1_000_000 } });
    expect(p.instantiation).toBe('direct');
    expect(p.call('api#bump', [])).toBe(1);
    expect(p.lastFuel).toBeGreaterThan(0);
    await p.close();
    const starved = await loadPlugin(counter, { cache, host: host([]), log: () => {}, limits: { fuel: 1 } });
    expect(starved.instantiation).toBe('direct');
    expect(thrown(() => starved.call('api#greet', ['a long enough name'])).code).toBe('FUEL_EXHAUSTED');
    await starved.close();
  });
});

/** The compiled core modules of a component, as the linker holds them. */
async function compiledModules(bytes: Uint8Array): Promise<WebAssembly.Module[]> {
  const artifact = await cache.compile(bytes);
  return Promise.all([...artifact.coreModules.values()].map((b) => WebAssembly.compile(b as Uint8Array<ArrayBuffer>)));
}
