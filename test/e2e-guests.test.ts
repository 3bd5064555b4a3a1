/**
 * End to end: the three gateway guests (JavaScript, C, WAT) built by
 * `npm run build:guests`, admitted against wit/ and called through witplug's
 * runtime with every WIT type kind the contract uses. All three implement
 * the same behaviour, so every case runs against each of them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadContract, loadPlugin, CompileCache, WitplugError, type Plugin } from '../src/index.js';

const GUESTS = ['gateway-js', 'gateway-c', 'gateway-wat'] as const;
const U64_MAX = 18446744073709551615n;
const S64_MIN = -9223372036854775808n;
const S64_MAX = 9223372036854775807n;

type Req = Record<string, unknown>;
const request = (over: Partial<Req> = {}): Req => ({
  id: 1n,
  method: 'get',
  path: '/',
  query: null,
  headers: [],
  body: new Uint8Array(),
  client: { tls: false, authenticated: false, internal: false, bot: false },
  receivedAtMs: 0n,
  ...over,
});
const response = (over: Partial<Req> = {}): Req => ({
  status: 200,
  headers: [],
  body: new Uint8Array(),
  cache: { noStore: false, private: false, immutable: false },
  ...over,
});

const cache = new CompileCache(null);

describe.each(GUESTS)('%s', (guest) => {
  const path = `guests/dist/${guest}.wasm`;
  let plugin: Plugin;
  let blocking: Plugin;
  const logs: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path)) throw new Error(`${path} missing: run npm run build:guests`);
    const contract = await loadContract('wit', 'gateway-plugin');
    plugin = await loadPlugin(path, { contract, cache, log: (level, message) => logs.push(`${level}:${message}`) });
    blocking = await loadPlugin(path, { contract, cache, config: { 'deny-path': '/bloqué/ü' }, log: () => {} });
  }, 120_000);

  describe('filter#check: request → decision (record in, variant with record payloads out)', () => {
    it('passes an ordinary request, logging the non-ASCII path through witplug:host/log', () => {
      logs.length = 0;
      expect(plugin.call('filter#check', [request({ path: '/héllo/wörld/日本語/🎉' })])).toEqual({ tag: 'pass' });
      expect(logs).toEqual(['info:check /héllo/wörld/日本語/🎉']);
    });

    it('denies an unauthenticated delete with a denial record inside the variant', () => {
      expect(plugin.call('filter#check', [request({ method: 'delete', path: '/items/1' })])).toEqual({
        tag: 'deny',
        val: { status: 403, reason: 'delete requires authentication' },
      });
      const authed = request({ method: 'delete', client: { tls: true, authenticated: true, internal: false, bot: true } });
      expect(plugin.call('filter#check', [authed])).toEqual({ tag: 'pass' });
    });

    it('redirects /old/ paths, carrying non-ASCII text back out', () => {
      expect(plugin.call('filter#check', [request({ path: '/old/naïve/日本/𝄞' })])).toEqual({
        tag: 'redirect',
        val: { location: '/new/naïve/日本/𝄞', permanent: true },
      });
    });

    it('reads config through witplug:host/config (option<string> some vs none)', () => {
      const req = request({ path: '/bloqué/ü' });
      expect(blocking.call('filter#check', [req])).toEqual({ tag: 'deny', val: { status: 404, reason: 'blocked by config' } });
      expect(plugin.call('filter#check', [req])).toEqual({ tag: 'pass' }); // key not set → none
    });

    it('lowers every request field at its boundaries: u64/s64 extremes, option some, nested lists, bytes', () => {
      const req = request({
        id: U64_MAX,
        method: 'patch',
        query: 'q=ü&x=1',
        headers: [{ name: 'accept', values: ['a', 'b', ''] }, { name: 'x-empty', values: [] }],
        body: Uint8Array.from({ length: 256 }, (_, i) => i),
        receivedAtMs: S64_MIN,
      });
      expect(plugin.call('filter#check', [req])).toEqual({ tag: 'pass' });
      expect(plugin.call('filter#check', [{ ...req, receivedAtMs: S64_MAX, id: 0n }])).toEqual({ tag: 'pass' });
    });
  });

  describe('shaper#shape: (request, response) → response', () => {
    it('appends x-request-id with the u64 id, keeps nested header lists and the body bytes', () => {
      const body = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
      const headers = [
        { name: 'content-type', values: ['text/plain; charset=utf-8'] },
        { name: 'x-multi', values: ['ä', 'ö', 'ü', '€', '𝔘'] },
        { name: 'x-none', values: [] },
      ];
      const out = plugin.call('shaper#shape', [
        request({ id: U64_MAX, path: '/api' }),
        response({ status: 201, headers, body, cache: { noStore: true, private: false, immutable: false } }),
      ]) as Req;
      expect(out['status']).toBe(201);
      expect(out['headers']).toEqual([...headers, { name: 'x-request-id', values: [U64_MAX.toString()] }]);
      expect(Array.from(out['body'] as Uint8Array)).toEqual(Array.from(body));
      expect(out['cache']).toEqual({ noStore: true, private: false, immutable: false });
    });

    it('sets the immutable flag for /static/ and handles empty lists everywhere', () => {
      const out = plugin.call('shaper#shape', [request({ id: 0n, path: '/static/app.js' }), response({ status: 65535 })]) as Req;
      expect(out).toEqual({
        status: 65535,
        headers: [{ name: 'x-request-id', values: ['0'] }],
        body: new Uint8Array(),
        cache: { noStore: false, private: false, immutable: true },
      });
    });
  });

  describe('observer#observe: (request, u16, u64) → nothing', () => {
    it('returns nothing and sees u16/u64 maxima', () => {
      logs.length = 0;
      expect(plugin.call('observer#observe', [request({ path: '/ünïcode' }), 65535, U64_MAX])).toBeUndefined();
      expect(logs).toEqual([`debug:observe /ünïcode 65535 ${U64_MAX}`]);
    });
  });

  it('refuses wrong arity and wrong value types with stable codes', () => {
    const refusal = (f: () => unknown): { code: string; path: string | undefined } => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(WitplugError);
        return { code: (e as WitplugError).code, path: (e as WitplugError).path };
      }
      return expect.unreachable('the call must be refused');
    };
    expect(refusal(() => plugin.call('filter#check', [])).code).toBe('USAGE');
    // Refused before any plugin code runs, naming the parameter: the caller's mistake, not a trap.
    expect(refusal(() => plugin.call('observer#observe', [request(), 70000, 1n]))).toEqual({ code: 'TYPE_MISMATCH', path: 'param status' });
  });

  it('all three guests give identical answers (same behaviour, different languages)', async () => {
    // Compared against the WAT guest, loaded independently.
    const other = await loadPlugin('guests/dist/gateway-wat.wasm', { cache, log: () => {} });
    const cases: [string, unknown[]][] = [
      ['filter#check', [request({ path: '/old/ä' })]],
      ['filter#check', [request({ method: 'delete' })]],
      ['shaper#shape', [request({ id: 99n }), response({ headers: [{ name: 'a', values: ['1', '2'] }] })]],
    ];
    for (const [target, args] of cases) expect(plugin.call(target, args)).toEqual(other.call(target, args));
  });
});

describe('the runtime refuses a rejected plugin before any of its code runs', () => {
  const WIT = `package test:probe@0.1.0;
interface probe { ping: func(n: u32); }
interface hooks { run: func() -> u32; }
world host-side { import probe; export hooks; }
world noisy { import probe; }`;
  let noisy: Uint8Array;

  beforeAll(async () => {
    // A start function that calls the host as soon as the core module is instantiated.
    const core = await parse(`(module
      (import "test:probe/probe@0.1.0" "ping" (func $ping (param i32)))
      (memory (export "memory") 1)
      (func $start (call $ping (i32.const 7)))
      (start $start))`);
    noisy = await componentNew(await componentEmbed({ binary: core, witSource: WIT, world: 'noisy' }));
  }, 60_000);

  it('runs the start function when loaded without a contract (the probe works)', async () => {
    const pings: number[] = [];
    await loadPlugin(noisy, { cache, host: { 'test:probe/probe': { ping: ((n: number) => void pings.push(n)) as never } } });
    expect(pings).toEqual([7]);
  });

  it('with a contract it is REJECTED (MISSING_EXPORT) and never heard from', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'witplug-noisy-'));
    writeFileSync(join(dir, 'probe.wit'), WIT);
    const contract = await loadContract(join(dir, 'probe.wit'), 'host-side');
    const pings: number[] = [];
    const err = await loadPlugin(noisy, { cache, contract, host: { 'test:probe/probe': { ping: ((n: number) => void pings.push(n)) as never } } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WitplugError);
    expect((err as WitplugError).code).toBe('REJECTED');
    const report = (err as WitplugError).details as { report: { accepted: boolean; problems: { code: string; path: string }[] } };
    expect(report.report.accepted).toBe(false);
    expect(report.report.problems.map((p) => p.code)).toEqual(['MISSING_EXPORT']);
    expect(report.report.problems[0]!.path).toContain('test:probe/hooks');
    expect(pings).toEqual([]);
  });
});
