/**
 * plugin.close(): calls after close fail with CLOSED, the
 * per-process compiled-module and glue caches are released with the last
 * plugin using them, and 1 000 distinct plugins loaded, called and closed
 * leave RSS and heap within a bound (child process with --expose-gc, running
 * bench/close.bench.mjs against dist/: build first).
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers/run.js';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { linkerCacheSize } from '../src/runtime/link/linker.js';
import { generatedCacheSize, GENERATED_CACHE_MAX, PluginResource } from '../src/runtime/abi/index.js';
import { CompileCache } from '../src/compile/cache.js';
import { ErrorCodes, WitplugError } from '../src/errors.js';

const CALC = resolve('guests/dist/calc-wat.wasm');
let calc: Uint8Array;
beforeAll(() => {
  if (!existsSync(CALC)) throw new Error(`${CALC} missing: run npm run build:guests`);
  calc = readFileSync(CALC);
});
const noCache = new CompileCache(null);

function expectClosed(f: () => unknown): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WitplugError);
  expect((caught as WitplugError).code).toBe(ErrorCodes.CLOSED);
  expect((caught as WitplugError).plugin).toBe('calc');
}

describe('plugin.close()', () => {
  it('is idempotent; call, fn and functions resolved before (generated and jco paths) then fail with CLOSED', async () => {
    const plugin = await loadPlugin(calc, { name: 'calc', cache: noCache });
    const add = plugin.fn('work#add');
    const echoJco = pluginInternals(plugin).jcoFn('work#echo');
    expect(add(1, 2)).toBe(3);
    expect(echoJco('hi')).toBe('hi');
    expect(plugin.closed).toBe(false);
    await plugin.close();
    await plugin.close();
    expect(plugin.closed).toBe(true);
    expectClosed(() => add(1, 2));
    expectClosed(() => echoJco('hi'));
    expectClosed(() => plugin.call('work#add', [1, 2]));
    expectClosed(() => plugin.fn('work#echo'));
    expectClosed(() => pluginInternals(plugin).instantiate());
  });

  it('the compiled modules and glue stay while one plugin uses them and go with the last close', async () => {
    // Distinct bytes (a trailing custom section) so no other test shares these entries.
    const custom = Buffer.from([0x00, 0x07, 0x05, ...Buffer.from('close'), 0x2a]);
    const bytes = Buffer.concat([calc, custom]);
    const start = linkerCacheSize();
    const a = await loadPlugin(bytes, { name: 'calc', cache: noCache });
    const b = await loadPlugin(bytes, { name: 'calc', cache: noCache });
    // calc-wat's glue is shared with other loads of calc; its modules key on these bytes.
    expect(linkerCacheSize().modules).toBe(start.modules + 1);
    await a.close();
    expect(linkerCacheSize().modules).toBe(start.modules + 1);
    expect(b.call('work#add', [2, 2])).toBe(4); // b unaffected by a's close
    await b.close();
    expect(linkerCacheSize().modules).toBe(start.modules);
    expect(linkerCacheSize().glue).toBeLessThanOrEqual(start.glue + 1);
  });

  it('a host function closing the plugin that is calling it is refused (USAGE); the call completes', async () => {
    const wit = `package test:closer@0.1.0;
interface probe { ping: func(n: u32); }
world closer { import probe; export run: func() -> u32; }`;
    const core = await parse(`(module
      (import "test:closer/probe@0.1.0" "ping" (func $ping (param i32)))
      (memory (export "memory") 1)
      (func (export "run") (result i32) (call $ping (i32.const 7)) (i32.const 5)))`);
    const bytes = await componentNew(await componentEmbed({ binary: core, witSource: wit, world: 'closer' }));
    const attempts: Promise<unknown>[] = [];
    let plugin: Awaited<ReturnType<typeof loadPlugin>> | undefined;
    const ping = (): void => {
      attempts.push(plugin!.close().then(() => 'closed', (e: unknown) => e));
    };
    plugin = await loadPlugin(bytes, { name: 'closer', cache: noCache, host: { 'test:closer/probe': { ping } as never } });
    expect(plugin.call('run', [])).toBe(5);
    expect(plugin.call('run', [])).toBe(5);
    const outcomes = await Promise.all(attempts);
    expect(outcomes).toHaveLength(2);
    for (const o of outcomes) expect(o).toMatchObject({ code: ErrorCodes.USAGE, message: 'plugin closer cannot be closed by a host function it is calling' });
    expect(plugin.closed).toBe(false);
    await plugin.close();
    expect(plugin.closed).toBe(true);
  }, 60_000);

  it('resource handles the host still holds are stale after close: methods fail with CLOSED, drop() runs nothing', async () => {
    const plugin = await loadPlugin('bench/guests/dist/bench.wasm', { name: 'calc', cache: noCache, log: () => {} });
    const make = plugin.fn('shapes#[constructor]counter');
    const incr = plugin.fn('shapes#[method]counter.incr');
    const counter = make(10) as PluginResource;
    expect(incr(counter, 1)).toBe(11);
    await plugin.close();
    expectClosed(() => incr(counter, 1));
    expect(() => counter.drop()).not.toThrow(); // its instance is gone: nothing to destroy
    expectClosed(() => make(1));
  });

  it('the generated-caller memo is bounded', () => {
    expect(generatedCacheSize()).toBeLessThanOrEqual(GENERATED_CACHE_MAX);
  });

  it('an isolated plugin closes its worker; later calls fail with CLOSED instead of starting a new one', async () => {
    const plugin = await loadPlugin(calc, { name: 'calc', isolate: true });
    expect(plugin.call('work#add', [5, 6])).toBe(11);
    await plugin.close();
    await plugin.close();
    expect(plugin.closed).toBe(true);
    expectClosed(() => plugin.call('work#add', [5, 6]));
    expect(plugin.restarts).toBe(0);
  });
});

describe('1 000 distinct plugins loaded, called and closed', () => {
  it('RSS and heap after GC stay within bounds, and the linker caches end empty', async () => {
    const dist = resolve('dist/index.js');
    if (!existsSync(dist)) throw new Error(`${dist} missing: run npx tsc -p tsconfig.json`);
    // Async (not spawnSync): a worker blocked for the whole run would miss vitest's RPC deadlines.
    const r = await run(process.execPath, ['--expose-gc', 'bench/close.bench.mjs', '1000'], { timeoutMs: 170_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      heapGrowthMB: number; rssGrowthMB: number; linkerCache: { glue: number; modules: number }; generatedCache: number;
    };
    // Measured (docs/decisions.md): before close() existed +137 MB heap / +226 MB RSS; now ~+3 MB heap / ~+40 MB RSS
    // (the RSS rest is jco's own wasm memory and malloc high water, flat from 1 000 to 2 000 plugins).
    expect(out.heapGrowthMB).toBeLessThan(25);
    expect(out.rssGrowthMB).toBeLessThan(150);
    expect(out.linkerCache).toEqual({ glue: 0, modules: 0 });
    expect(out.generatedCache).toBeLessThanOrEqual(GENERATED_CACHE_MAX);
  }, 180_000);
});
