/**
 * Limits that fit the guests: every call has a deadline unless the host
 * switches it off; a large plugin is warmed up at load on a throwaway
 * instance that reaches nothing outside itself; and the limits the README
 * shows work for the JavaScript guest it shows them with.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompileCache, loadContract, loadPlugin, type Contract, type Limits } from '../src/index.js';
import { DEFAULT_TIMEOUT_MS } from '../src/runtime/limits/resolve-limits.js';
import { WARM_UP_ROUNDS, warmUpCalls, zeroArguments } from '../src/runtime/limits/warm-up.js';
import { listExportedFunctions } from '../src/runtime/link/exports.js';
import { failsWith } from './helpers/fails.js';
import { run } from './helpers/run.js';

const EVIL = 'guests/dist/evil-wat.wasm';
const JS = 'guests/dist/gateway-js.wasm';
const THROWER = 'guests/dist/thrower-js.wasm';
const C = 'guests/dist/gateway-c.wasm';
const THROWER_GRANT = { imports: ['wasi:cli/*', 'wasi:io/*', 'wasi:clocks/*', 'wasi:filesystem/*'] };
const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-guest-limits-'));
const cache = new CompileCache(cacheDir);
const pinger = { 'witplug:adversarial/pinger': { ping: (n: number) => n + 1 } };
let evilContract: Contract;
let gateway: Contract;

const request = (path: string) => ({
  id: 1n, method: 'get', path, query: null, headers: [], body: new Uint8Array(),
  client: { tls: false, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
});
const response = { status: 200, headers: [], body: new Uint8Array(), cache: { noStore: false, private: false, immutable: false } };

beforeAll(async () => {
  for (const f of [EVIL, JS, THROWER, C]) if (!existsSync(f)) throw new Error(`${f} missing: run npm run build:guests`);
  evilContract = await loadContract('guests/wat-adversarial/wit', 'adversarial');
  gateway = await loadContract('wit', 'gateway-plugin');
});

describe('the default deadline', () => {
  it(`a plugin loaded without limits cannot hold the host forever: a loop ends with TIMEOUT after ${DEFAULT_TIMEOUT_MS} ms`, async () => {
    const p = await loadPlugin(EVIL, { contract: evilContract, cache, host: pinger });
    expect(p.limits.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    const { err } = failsWith('TIMEOUT', () => p.call('evil#spin', []));
    expect(err.message).toContain(`${DEFAULT_TIMEOUT_MS} ms deadline`);
    expect(p.call('evil#count', [])).toBe(1); // a fresh instance serves the next call
    await p.close();
  }, 120_000);

  it('limits without a timeoutMs get it too; a given one replaces it', async () => {
    const fuelOnly = await loadPlugin(EVIL, { contract: evilContract, cache, host: pinger, limits: { fuel: 10_000_000 } });
    expect(fuelOnly.limits.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    const given = await loadPlugin(EVIL, { contract: evilContract, cache, host: pinger, limits: { timeoutMs: 30 } });
    expect(given.limits.timeoutMs).toBe(30);
    failsWith('TIMEOUT', () => given.call('evil#spin', []));
    await Promise.all([fuelOnly.close(), given.close()]);
  });

  it.each([0, Infinity])('timeoutMs: %s switches the deadline off (and with it the metering of plugin code)', async (timeoutMs) => {
    const p = await loadPlugin(EVIL, { contract: evilContract, cache, host: pinger, limits: { timeoutMs } });
    expect(p.limits.timeoutMs).toBeUndefined();
    expect(p.call('evil#fib', [15])).toBe(610);
    expect(p.lastFuel).toBeUndefined(); // nothing metered: the code is not instrumented
    await p.close();
  });

  it.each([-1, Number.NaN, -Infinity])('timeoutMs: %s is refused with USAGE naming the ways to switch it off', async (timeoutMs) => {
    await expect(loadPlugin(EVIL, { contract: evilContract, cache, limits: { timeoutMs } })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('0 / Infinity: no deadline') as unknown as string,
    });
  });

  it('the CLI takes --timeout-ms 0 as no deadline', async () => {
    const main = join(process.cwd(), 'dist', 'cli', 'main.js');
    const calc = ['guests/dist/calc-wat.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc', '--call', 'work#add', '--args', '[2, 3]', '--json'];
    const r = await run(process.execPath, [main, 'run', ...calc, '--timeout-ms', '0'], { env: { ...process.env, WITPLUG_CACHE_DIR: cacheDir } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, value: 5 });
    const bad = await run(process.execPath, [main, 'run', ...calc, '--timeout-ms', '-1'], { env: { ...process.env, WITPLUG_CACHE_DIR: cacheDir } });
    expect(bad.code).not.toBe(0);
  }, 60_000);
});

describe('the warm-up at load', () => {
  it('zero arguments exist for every value type but handles', () => {
    const shape = { imports: [], exports: gateway.shape.exports };
    const calls = warmUpCalls(listExportedFunctions(shape));
    expect(calls.map((c) => c.target.replace(/^.*\//, ''))).toEqual(['filter@0.1.0#check', 'shaper@0.1.0#shape', 'observer@0.1.0#observe']);
    expect(calls[0]!.args).toEqual([{
      id: 0n, method: 'get', path: '', query: null, headers: [], body: [],
      client: { tls: false, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
    }]);
    const own = { kind: 'own', resource: { kind: 'resource', name: 'r', interfaceName: '' } } as const;
    expect(zeroArguments({ kind: 'func', params: [{ name: 'h', type: own }], result: null })).toBeNull();
  });

  it('runs every export of the JavaScript guest on a throwaway instance: the log and the host see nothing, calls start fresh', async () => {
    const logs: string[] = [];
    const p = await loadPlugin(JS, { contract: gateway, cache, log: (level, message) => logs.push(`${level}:${message}`), config: { 'deny-path': '' } });
    expect(p.loadInfo.warmUp?.calls).toBe(3 * WARM_UP_ROUNDS); // three exports, each round succeeded
    expect(p.loadInfo.warmUp!.ms).toBeLessThanOrEqual(p.loadInfo.ms);
    expect(logs).toEqual([]); // the warm-up's check and observe logged nowhere
    expect(p.call('filter#check', [request('/x')])).toEqual({ tag: 'pass' });
    expect(logs).toEqual(['info:check /x']);
    await p.close();
  }, 120_000);

  it('a warm-up call that traps is not repeated, and its stderr reaches neither the host nor the plugin', async () => {
    const script = `
      const { loadPlugin, CompileCache } = await import(${JSON.stringify(join(process.cwd(), 'dist', 'index.js'))});
      const p = await loadPlugin(${JSON.stringify(THROWER)}, { grant: ${JSON.stringify(THROWER_GRANT)}, cache: new CompileCache(${JSON.stringify(cacheDir)}), log: () => {} });
      let stderr = null;
      try { p.call('fail', ['real']); } catch (e) { stderr = e.stderr; }
      console.log(JSON.stringify({ warmUp: p.loadInfo.warmUp, stderr }));
      await p.close();`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], { env: process.env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { warmUp: { calls: number }; stderr: string };
    // fail('') and noisy(0) trap once each; shout('') returns err (a result) in every round.
    expect(out.warmUp.calls).toBe(2 + WARM_UP_ROUNDS);
    expect(out.stderr.split('\n')[0]).toBe('real'); // only the real call's words
    // The host's stderr has the real call's exception only: the warm-up's were kept from it.
    expect(r.stderr.match(/Stack:/g)).toHaveLength(1);
  }, 120_000);

  it('is skipped for small plugins, when switched off, and when nothing could bound it', async () => {
    const small = await loadPlugin(C, { contract: gateway, cache, log: () => {} });
    const off = await loadPlugin(JS, { contract: gateway, cache, log: () => {}, warmUp: false });
    const unbounded = await loadPlugin(JS, { contract: gateway, cache, log: () => {}, limits: { timeoutMs: 0 } });
    for (const p of [small, off, unbounded]) expect(p.loadInfo.warmUp).toBeUndefined();
    await Promise.all([small.close(), off.close(), unbounded.close()]);
  }, 120_000);
});

describe("the README's limits, on the JavaScript guest it shows them with", () => {
  const readme = readFileSync('README.md', 'utf8');
  const examples = [...readme.matchAll(/limits: (\{[^}\n]*\})/g)].map((m) => m[1]!);

  it('finds the examples', () => expect(examples.length).toBeGreaterThanOrEqual(2));

  it.each(examples)('limits: %s — the first call of each hook, and the next, succeed', async (text) => {
    const limits = new Function(`return (${text});`)() as Limits;
    const p = await loadPlugin(JS, { contract: gateway, cache, log: () => {}, limits });
    for (let round = 0; round < 2; round++) {
      expect(p.call('filter#check', [request('/old/x')])).toMatchObject({ tag: 'redirect' });
      expect(p.call('shaper#shape', [request('/static/a'), response])).toMatchObject({ status: 200 });
      expect(p.call('observer#observe', [request('/'), 200, 1n])).toBeUndefined();
    }
    expect(p.disabledReason).toBeNull();
    await p.close();
  }, 120_000);
});
