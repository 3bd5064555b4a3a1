/**
 * `witplug bench` as a plugin author runs it: a real `node dist/cli/main.js`
 * process on real components (build first: `npx tsc -p tsconfig.json`).
 * Figures are only checked for shape and sanity, never for speed targets.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CALC = ['guests/dist/calc-wat.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc'];
const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-cli-bench-cache-'));

const { witplug, json } = cli(cacheDir);
const benchJson = (...args: string[]) => json('bench', ...args);

describe('witplug bench --json on a component not built for the gateway contract (acme:calc@1.2.3)', () => {
  it('prints {"ok":true,"iterations","nsPerCall","jcoNsPerCall","loadMs":{"cold","warm"}} for work#add', async () => {
    const r = await benchJson(...CALC, '--call', 'work#add', '--args', '[1,2]', '--iterations', '2000');
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(r.json).sort()).toEqual(['iterations', 'jcoNsPerCall', 'loadMs', 'nsPerCall', 'ok']);
    const { ok, iterations, nsPerCall, jcoNsPerCall, loadMs } = r.json as {
      ok: boolean; iterations: number; nsPerCall: number; jcoNsPerCall: number; loadMs: { cold: number; warm: number };
    };
    expect(ok).toBe(true);
    expect(iterations).toBe(2000);
    expect(Object.keys(loadMs).sort()).toEqual(['cold', 'warm']);
    for (const x of [nsPerCall, jcoNsPerCall, loadMs.cold, loadMs.warm]) {
      expect(typeof x).toBe('number');
      expect(Number.isFinite(x) && x > 0).toBe(true);
    }
    // A call can't beat ~1 ns or take a second; cold transpiles, warm is a cache hit.
    expect(nsPerCall).toBeGreaterThan(1);
    expect(nsPerCall).toBeLessThan(1e6);
    expect(jcoNsPerCall).toBeGreaterThan(1);
    expect(loadMs.cold).toBeGreaterThan(loadMs.warm);
  }, 60_000);

  it('times the fully qualified name, strings, records and 64-bit values', async () => {
    for (const [call, args] of [
      ['acme:calc/work@1.2.3#echo', '["hello world"]'],
      ['work#dist', '[{"x": -3, "y": 4}]'],
      ['work#apply', '["sub", "-9223372036854775808", 1]'],
      ['version', '[]'],
    ] as const) {
      const r = await benchJson(...CALC, '--call', call, '--args', args, '--iterations', '500');
      expect(r.code, `${call}: ${JSON.stringify(r.json)}`).toBe(0);
      expect(r.json).toMatchObject({ ok: true, iterations: 500 });
    }
  }, 60_000);

  it('without --iterations times calls for about a second (many iterations)', async () => {
    const r = await benchJson(...CALC, '--call', 'work#add', '--args', '[1,2]');
    expect(r.code).toBe(0);
    expect(r.json['iterations'] as number).toBeGreaterThan(1000);
  }, 60_000);

  it('prints a readable summary without --json', async () => {
    const r = await witplug('bench', ...CALC, '--call', 'work#add', '--args', '[1,2]', '--iterations', '100');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/acme:calc\/work@1\.2\.3#add: [\d.]+ ns\/call via witplug, [\d.]+ ns\/call via jco/);
    expect(r.stdout).toMatch(/load: cold [\d.]+ ms, warm [\d.]+ ms/);
  }, 60_000);

  it('leaves no cache directory of its own behind', async () => {
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('witplug-bench-')).length;
    await witplug('bench', ...CALC, '--call', 'work#add', '--args', '[1,2]', '--iterations', '10', '--json');
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('witplug-bench-')).length).toBe(before);
  }, 60_000);
});

describe('usage errors exit 2 with {"ok":false,"error":{…}}, as in witplug run', () => {
  const cases: [string, string[], string, RegExp][] = [
    ['--iterations 0', [...CALC, '--call', 'work#add', '--args', '[1,2]', '--iterations', '0'], 'USAGE', /--iterations must be a positive integer/],
    ['--iterations not a number', [...CALC, '--call', 'work#add', '--args', '[1,2]', '--iterations', 'lots'], 'USAGE', /--iterations/],
    ['--iterations fractional', [...CALC, '--call', 'work#add', '--args', '[1,2]', '--iterations', '1.5'], 'USAGE', /--iterations/],
    ['malformed JSON args', [...CALC, '--call', 'work#add', '--args', '[1,'], 'USAGE', /--args is not valid JSON/],
    ['args not an array', [...CALC, '--call', 'work#add', '--args', '{"a":1}'], 'USAGE', /JSON array/],
    ['wrong arity', [...CALC, '--call', 'work#add', '--args', '[1]'], 'USAGE', /takes 2 argument\(s\) \(a, b\)/],
    ['integer out of range', [...CALC, '--call', 'work#add', '--args', '[1, 4294967296]'], 'USAGE', /param b/],
    ['unknown function', [...CALC, '--call', 'work#nope', '--args', '[]'], 'NO_SUCH_FUNCTION', /nope/],
    ['missing plugin file', ['does/not/exist.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc', '--call', 'version'], 'NOT_FOUND', /does\/not\/exist\.wasm/],
    ['missing WIT', ['guests/dist/calc-wat.wasm', '--wit', 'no/such.wit', '--world', 'calc', '--call', 'version'], 'NOT_FOUND', /no\/such\.wit/],
    ['unknown world', ['guests/dist/calc-wat.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'nope', '--call', 'version'], '', /nope/],
  ];
  it.each(cases)('%s', async (_name, args, code, message) => {
    const r = await benchJson(...args);
    expect(r.code, JSON.stringify(r.json)).toBe(2);
    expect(r.json['ok']).toBe(false);
    expect(Object.keys(r.json).sort()).toEqual(['error', 'ok']);
    const error = r.json['error'] as { code: string; message: string };
    if (code) expect(error.code).toBe(code);
    else expect(typeof error.code).toBe('string');
    expect(error.message).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const plain = await witplug('bench', ...args);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(message);
    expect(plain.stdout).toBe('');
  }, 60_000);

  it('a missing required flag is a usage error', async () => {
    const r = await witplug('bench', 'guests/dist/calc-wat.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--call/);
  });

  it('--help describes every flag', async () => {
    const r = await witplug('bench', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--wit', '--world', '--call', '--args', '--iterations', '--json']) expect(r.stdout).toContain(flag);
  });
});

describe('refusals exit 1 with the failure JSON of witplug run', () => {
  it('a plugin that does not fit the world is REJECTED before its exports are looked at', async () => {
    // calc has no filter#check: admission must speak first (REJECTED, exit 1), not NO_SUCH_FUNCTION.
    const r = await benchJson('guests/dist/calc-wat.wasm', '--wit', 'wit', '--world', 'gateway-plugin', '--call', 'filter#check', '--args', '[]');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'REJECTED' } });
    expect((r.json['error'] as { message: string }).message).toMatch(/MISSING_EXPORT/);
  }, 60_000);

  it('bytes that are not a component are refused, not crashed on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-cli-bench-'));
    const junk = join(dir, 'junk.wasm');
    writeFileSync(junk, Buffer.from('\0asm\x01\0\0\0garbage-garbage'));
    const r = await benchJson(junk, '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc', '--call', 'version');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'REJECTED' } });
    expect((r.json['error'] as { message: string }).message).toMatch(/NOT_A_COMPONENT/);
  }, 60_000);
});
