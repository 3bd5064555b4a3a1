/**
 * The staged pipeline: prepare() once — hash, decode
 * (one shape-cache lookup), admit, compile, link — then instantiate() many
 * independent instances; loadPlugin is the shortcut of both.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepare, loadContract, admit, CompileCache, WitplugError, ErrorCodes, type Contract, type Plugin } from '../src/index.js';
import { pluginShapeCache } from '../src/runtime/load/prepare.js';
import { linkerCacheSize } from '../src/runtime/link/linker.js';
import { hardenGlue } from '../src/runtime/limits/glue-hardening.js';

const cache = new CompileCache(null);
const WIT = `package test:prepare@0.1.0;
world counter {
  export bump: func() -> u32;
  export put: func(v: u32);
  export peek: func() -> u32;
  export boom: func();
}
`;

/** A counter (global) and a cell in linear memory; `salt` makes each build a distinct component. */
async function counter(salt: number): Promise<Uint8Array> {
  const core = await parse(`(module
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "put") (param i32) (i32.store (i32.const 16) (local.get 0)))
  (func (export "peek") (result i32) (i32.add (i32.load (i32.const 16)) (i32.const ${salt * 0})))
  (func (export "boom") unreachable)
  (func (export "salt") (result i32) (i32.const ${salt})))`);
  return componentNew(await componentEmbed({ binary: core, witSource: WIT, world: 'counter' }));
}

function caught(f: () => unknown): WitplugError {
  try {
    f();
  } catch (e) {
    if (e instanceof WitplugError) return e;
    throw e;
  }
  throw new Error('expected a WitplugError');
}

async function rejected(p: Promise<unknown>): Promise<WitplugError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WitplugError) return e;
    throw e;
  }
  throw new Error('expected a WitplugError');
}

describe('prepare once, instantiate many', () => {
  let bytes: Uint8Array;
  beforeAll(async () => {
    bytes = await counter(1);
  });

  it('instances are independent: own state and memory, a trap in one leaves the others alone', async () => {
    const prepared = await prepare(bytes, { cache, name: 'counter' });
    const [a, b, c] = await Promise.all([prepared.instantiate(), prepared.instantiate({ name: 'second' }), prepared.instantiate()]);
    expect(a!.name).toBe('counter');
    expect(b!.name).toBe('second');
    expect([a!.call('bump', []), a!.call('bump', []), a!.call('bump', [])]).toEqual([1, 2, 3]);
    expect(b!.call('bump', [])).toBe(1);
    a!.call('put', [41]);
    b!.call('put', [7]);
    expect(a!.call('peek', [])).toBe(41);
    expect(b!.call('peek', [])).toBe(7);
    expect(c!.call('peek', [])).toBe(0);

    expect(caught(() => b!.call('boom', [])).code).toBe(ErrorCodes.TRAP);
    // b's instance was replaced (fresh state); a and c never noticed.
    expect(b!.call('bump', [])).toBe(1);
    expect(a!.call('bump', [])).toBe(4);
    expect(a!.call('peek', [])).toBe(41);
    expect(c!.call('bump', [])).toBe(1);
    for (const p of [a!, b!, c!]) await p.close();
    await prepared.close();
  });

  it('closing an instance closes neither the prepared plugin nor the other instances', async () => {
    const prepared = await prepare(bytes, { cache });
    const a = await prepared.instantiate();
    const b = await prepared.instantiate();
    await a.close();
    expect(a.closed).toBe(true);
    expect(caught(() => a.call('bump', [])).code).toBe(ErrorCodes.CLOSED);
    expect(b.call('bump', [])).toBe(1);
    const c = await prepared.instantiate();
    expect(c.call('bump', [])).toBe(1);
    await prepared.close();
    // Live instances keep working after the prepared plugin is closed; new ones are refused.
    expect(b.call('bump', [])).toBe(2);
    expect(prepared.closed).toBe(true);
    expect((await rejected(prepared.instantiate())).code).toBe(ErrorCodes.CLOSED);
    await b.close();
    await c.close();
  });

  it('health and limits are per instance: one instance DISABLED, the others still run under their own budget', async () => {
    const prepared = await prepare(bytes, { cache, health: { maxTraps: 2, windowMs: 60_000 }, limits: { fuel: 1_000_000 } });
    const a = await prepared.instantiate();
    const b = await prepared.instantiate();
    expect(caught(() => a.call('boom', [])).code).toBe(ErrorCodes.TRAP);
    expect(caught(() => a.call('boom', [])).code).toBe(ErrorCodes.TRAP);
    expect(a.disabledReason).not.toBeNull();
    expect(caught(() => a.call('bump', [])).code).toBe(ErrorCodes.DISABLED);
    expect(b.disabledReason).toBeNull();
    expect(b.call('bump', [])).toBe(1);
    expect(b.lastFuel).toBeGreaterThan(0);
    expect(b.limits.fuel).toBe(1_000_000);
    const c = await prepared.instantiate();
    expect(c.call('bump', [])).toBe(1);
    for (const p of [a, b, c]) await p.close();
    await prepared.close();
  });

  it('the linker cache entry lives while the prepared plugin or any instance holds it', async () => {
    const distinct = await counter(2);
    const start = linkerCacheSize().modules;
    const prepared = await prepare(distinct, { cache });
    expect(linkerCacheSize().modules).toBe(start + 1);
    const instances: Plugin[] = [];
    for (let i = 0; i < 3; i++) instances.push(await prepared.instantiate());
    expect(linkerCacheSize().modules).toBe(start + 1);
    for (const p of instances) await p.close();
    expect(linkerCacheSize().modules).toBe(start + 1); // the prepared plugin still holds it
    await prepared.close();
    await prepared.close(); // idempotent
    expect(linkerCacheSize().modules).toBe(start);

    // The other order: the prepared plugin first, then its last instance.
    const again = await prepare(distinct, { cache });
    const last = await again.instantiate();
    await again.close();
    expect(linkerCacheSize().modules).toBe(start + 1);
    expect(last.call('bump', [])).toBe(1);
    await last.close();
    expect(linkerCacheSize().modules).toBe(start);
  });

  it('per-instance config: each instance sees its own values over the prepared ones', async () => {
    const contract = await loadContract('wit', 'gateway-plugin');
    const path = 'guests/dist/gateway-c.wasm';
    if (!existsSync(path)) throw new Error(`${path} missing: run npm run build:guests`);
    const prepared = await prepare(path, { contract, cache, log: () => {} });
    const req = {
      id: 1n, method: 'get', path: '/blocked', query: null, headers: [], body: new Uint8Array(),
      client: { tls: false, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
    };
    const open = await prepared.instantiate();
    const blocking = await prepared.instantiate({ config: { 'deny-path': '/blocked' } });
    expect(open.call('filter#check', [req])).toEqual({ tag: 'pass' });
    expect(blocking.call('filter#check', [req])).toEqual({ tag: 'deny', val: { status: 404, reason: 'blocked by config' } });
    await open.close();
    await blocking.close();
    await prepared.close();
  });
});

describe('prepare: decode once, admission at prepare time', () => {
  let contract: Contract;
  let gateway: Uint8Array;
  beforeAll(async () => {
    contract = await loadContract('wit', 'gateway-plugin');
    gateway = readFileSync('guests/dist/gateway-c.wasm');
  });

  it('keeps the admission report (accepted, with its notes) on the prepared plugin', async () => {
    const prepared = await prepare(gateway, { contract, cache, log: () => {} });
    expect(prepared.report).toEqual(admit(gateway, contract));
    expect(prepared.report?.accepted).toBe(true);
    expect(prepared.shape.exports.length).toBeGreaterThan(0);
    expect(prepared.componentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(prepared.loadInfo?.cache).toBe('disabled');
    const withoutContract = await prepare(gateway, { cache, log: () => {} });
    expect(withoutContract.report).toBeNull();
    await prepared.close();
    await withoutContract.close();
  });

  it('a plugin that does not fit is REJECTED by prepare(), with the report', async () => {
    const err = await rejected(prepare(await counter(3), { contract, cache }));
    expect(err.code).toBe(ErrorCodes.REJECTED);
    const report = (err.details as { report: { accepted: boolean; problems: unknown[] } }).report;
    expect(report.accepted).toBe(false);
    expect(report.problems.length).toBeGreaterThan(0);
    const malformed = await rejected(prepare(new Uint8Array([0, 97, 115, 109, 13, 0, 1, 0, 255]), { contract, cache }));
    expect(malformed.code).toBe(ErrorCodes.REJECTED);
  });

  it('looks the bytes up in the shape cache once per prepare (decoded on the first, a hit after)', async () => {
    const distinct = await counter(4);
    const dir = mkdtempSync(join(tmpdir(), 'witplug-prepare-'));
    writeFileSync(join(dir, 'counter.wit'), WIT);
    const own = await loadContract(join(dir, 'counter.wit'), 'counter');
    const lookups = () => pluginShapeCache.hits + pluginShapeCache.misses;
    let before = { lookups: lookups(), misses: pluginShapeCache.misses };
    const first = await prepare(distinct, { cache, contract: own });
    expect(lookups() - before.lookups).toBe(1);
    expect(pluginShapeCache.misses - before.misses).toBe(1);
    before = { lookups: lookups(), misses: pluginShapeCache.misses };
    const second = await prepare(distinct, { cache, contract: own });
    expect(lookups() - before.lookups).toBe(1);
    expect(pluginShapeCache.misses - before.misses).toBe(0);
    // With the gateway contract (admission and grants both need the shape): still one lookup.
    before = { lookups: lookups(), misses: pluginShapeCache.misses };
    const admitted = await prepare(gateway, { contract, cache, log: () => {} });
    expect(lookups() - before.lookups).toBe(1);
    for (const p of [first, second, admitted]) await p.close();
  });
});

describe('prepare: isolated', () => {
  it('instantiate() of an isolated prepared plugin starts a worker per instance', async () => {
    const prepared = await prepare(await counter(5), { cache, isolate: true, limits: { timeoutMs: 20_000 } });
    expect(prepared.loadInfo).toBeUndefined();
    const a = await prepared.instantiate();
    const b = await prepared.instantiate({ name: 'iso-b' });
    try {
      expect(a.call('bump', [])).toBe(1);
      expect(a.call('bump', [])).toBe(2);
      expect(b.call('bump', [])).toBe(1);
      expect(b.name).toBe('iso-b');
      await a.close();
      expect(b.call('bump', [])).toBe(2);
    } finally {
      await a.close();
      await b.close();
      await prepared.close();
    }
  }, 60_000);
});

describe('instantiation cost', () => {
  it("jco's glue, hardened: per instance no WebAssembly.promising probe that throws a formatted TypeError, no new text decoders", async () => {
    const artifact = await cache.compile(readFileSync('guests/dist/gateway-c.wasm'));
    const raw = artifact.glue;
    const body = (glue: string) => glue.slice(glue.indexOf('export function instantiate('));
    // What jco does per instantiation (the reason for the rewrite: if jco stops doing it, drop it).
    expect(body(raw)).toMatch(/WebAssembly\.promising\(/);
    expect(body(raw)).toMatch(/new TextDecoder\(/);
    const hardened = hardenGlue(raw);
    expect(body(hardened)).not.toMatch(/WebAssembly\.promising\(/);
    expect(body(hardened)).not.toMatch(/new TextDecoder\(/);
    // The helper keeps jco's outcome: a throw (which the glue catches) when there is no JSPI.
    const helpers = hardened.slice(0, hardened.indexOf('export function instantiate('));
    const helper = new Function(`${helpers.replace(/^"use components";/m, '')}\nreturn __witplugPromising;`)() as (f: unknown) => unknown;
    if (typeof (WebAssembly as { promising?: unknown }).promising !== 'function') {
      const thrown: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        try {
          helper(() => 0);
        } catch (e) {
          thrown.push(e);
        }
      }
      expect(thrown[0]).toBeInstanceOf(TypeError);
      // Prebuilt: the same error object every time (no message formatting, no stack capture).
      expect(thrown[1]).toBe(thrown[0]);
    }
  });
});
