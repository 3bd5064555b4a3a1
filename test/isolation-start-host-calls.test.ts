/**
 * An isolated plugin whose start code calls the host: the worker sends the
 * host call before it has loaded, and the host must serve it (and keep
 * waiting for the load) rather than take the request for the end of the
 * load. First starts, replacement workers (sync and async calls) and a host
 * function that fails during the start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError } from '../src/errors.js';

const WIT = `package test:st@0.1.0;
interface host { ping: func(n: u32) -> u32; }
interface hooks { get: func() -> u32; boom: func(); }
world w { import host; export hooks; }
`;
// The start function asks the host once; `get` returns what it answered, `boom` traps (the worker is replaced).
const WAT = `(module
  (import "test:st/host@0.1.0" "ping" (func $ping (param i32) (result i32)))
  (global $g (mut i32) (i32.const 0))
  (memory (export "memory") 1)
  (func $start (global.set $g (call $ping (i32.const 41))))
  (start $start)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 64))
  (func (export "test:st/hooks@0.1.0#get") (result i32) (global.get $g))
  (func (export "test:st/hooks@0.1.0#boom") unreachable)
)`;

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-start-host-cache-')));
let contract: Contract;
let bytes: Uint8Array;
type LoadedPlugin = Awaited<ReturnType<typeof loadPlugin>>;
const open: LoadedPlugin[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-start-host-'));
  writeFileSync(join(dir, 'w.wit'), WIT);
  contract = await loadContract(join(dir, 'w.wit'), 'w');
  bytes = await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'w' }));
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((p) => p.close()));
});

async function load(ping: (n: number) => unknown): Promise<LoadedPlugin> {
  const plugin = await loadPlugin(bytes, { contract, cache, isolate: true, host: { 'test:st/host': { ping } }, log: () => {} });
  open.push(plugin);
  return plugin;
}

describe('isolated plugins whose start calls the host', () => {
  it('a sync host function called during the first start is served; the load completes and the call sees its answer', async () => {
    let starts = 0;
    const plugin = await load((n) => (starts++, n + 1));
    expect(plugin.call('hooks#get', [])).toBe(42);
    expect(starts).toBe(1);
  });

  it('an async host function called during the start is awaited (the host thread is not blocked)', async () => {
    const plugin = await load(async (n) => {
      await new Promise((r) => setTimeout(r, 20));
      return n + 1;
    });
    expect(await plugin.callAsync('hooks#get', [])).toBe(42);
  });

  it('a replacement worker calling the host while it starts is served, for sync and async calls', async () => {
    let starts = 0;
    const plugin = await load((n) => (starts++, n + 1));
    expect(() => plugin.call('hooks#boom', [])).toThrow(WitplugError);
    expect(plugin.call('hooks#get', [])).toBe(42);
    await expect(plugin.callAsync('hooks#boom', [])).rejects.toThrow(WitplugError);
    expect(await plugin.callAsync('hooks#get', [])).toBe(42);
    expect(starts).toBeGreaterThanOrEqual(3);
  });

  it('a host function that throws during the start fails the load with HOST_ERROR, naming the function', async () => {
    const failed = await loadPlugin(bytes, {
      contract, cache, isolate: true, log: () => {},
      host: { 'test:st/host': { ping: () => { throw new Error('not yet'); } } },
    }).then(() => null, (e: unknown) => e);
    expect(failed).toBeInstanceOf(WitplugError);
    expect((failed as WitplugError).code).toBe('HOST_ERROR');
    expect((failed as WitplugError).message).toMatch(/ping/);
  });
});
