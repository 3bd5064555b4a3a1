/**
 * `witplug run` as a user runs it: a real `node dist/cli/main.js` process,
 * real components, checking stdout JSON, stderr and exit codes.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CALC = ['guests/dist/calc-wat.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc'];
const GATEWAY = ['guests/dist/gateway-wat.wasm', '--wit', 'wit', '--world', 'gateway-plugin'];
const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-cli-run-cache-'));

const { witplug, json } = cli(cacheDir);
const runJson = (...args: string[]) => json('run', ...args);

describe('witplug run on a component not built for the gateway contract (acme:calc@1.2.3)', () => {
  it('calls an interface function by short name', async () => {
    expect(await runJson(...CALC, '--call', 'work#add', '--args', '[4294967295, 2]')).toMatchObject({ code: 0, json: { ok: true, value: 1 } });
  });

  it('calls by fully qualified interface name and a world-level export by bare name', async () => {
    expect((await runJson(...CALC, '--call', 'acme:calc/work@1.2.3#echo', '--args', '["grüße, 世界 🎉"]')).json).toEqual({ ok: true, value: 'grüße, 世界 🎉' });
    expect((await runJson(...CALC, '--call', 'version')).json).toEqual({ ok: true, value: '1.2.3' });
  });

  it('maps records, enums and 64-bit integers (decimal strings out, numbers or strings in)', async () => {
    expect((await runJson(...CALC, '--call', 'work#dist', '--args', '[{"x": -3, "y": 4}]')).json).toEqual({ ok: true, value: '7' });
    expect((await runJson(...CALC, '--call', 'work#apply', '--args', '["sub", "-9223372036854775808", 1]')).json).toEqual({ ok: true, value: '9223372036854775807' });
    expect((await runJson(...CALC, '--call', 'work#apply', '--args', '["add", 40, 2]')).json).toEqual({ ok: true, value: '42' });
  });

  it('prints readable JSON without --json', async () => {
    const r = await witplug('run', ...CALC, '--call', 'work#echo', '--args', '["hi"]');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toBe('hi');
  });
});

describe('witplug run on the gateway contract', () => {
  const req = {
    id: '18446744073709551615', method: 'get', path: '/old/ä', query: null, headers: [{ name: 'a', values: [] }], body: [1, 2, 255],
    client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: -1,
  };
  it('returns a variant with a record payload as {tag,val}', async () => {
    const r = await runJson(...GATEWAY, '--call', 'filter#check', '--args', JSON.stringify([req]));
    expect(r).toMatchObject({ code: 0, json: { ok: true, value: { tag: 'redirect', val: { location: '/new/ä', permanent: true } } } });
    expect(r.stderr).toContain('check /old/ä'); // witplug:host/log goes to stderr
  });

  it('returns lists of u8 as arrays and flags as objects of booleans', async () => {
    const resp = { status: 200, headers: [], body: [0, 128, 255], cache: { noStore: false, private: true, immutable: false } };
    const r = await runJson(...GATEWAY, '--call', 'shaper#shape', '--args', JSON.stringify([{ ...req, path: '/static/x' }, resp]));
    expect(r.json).toEqual({
      ok: true,
      value: { status: 200, headers: [{ name: 'x-request-id', values: ['18446744073709551615'] }], body: [0, 128, 255], cache: { noStore: false, private: true, immutable: true } },
    });
  });

  it('returns null for a function without a result', async () => {
    expect((await runJson(...GATEWAY, '--call', 'observer#observe', '--args', JSON.stringify([req, 200, 5]))).json).toEqual({ ok: true, value: null });
  });
});

describe('usage errors exit 2 with a message naming the problem, never a stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['malformed JSON args', [...CALC, '--call', 'work#add', '--args', '[1,'], /--args is not valid JSON/],
    ['args not an array', [...CALC, '--call', 'work#add', '--args', '{"a":1}'], /JSON array/],
    ['wrong arity', [...CALC, '--call', 'work#add', '--args', '[1]'], /takes 2 argument\(s\) \(a, b\)/],
    ['wrong parameter type', [...CALC, '--call', 'work#add', '--args', '[1, "x"]'], /param b/],
    ['integer out of range', [...CALC, '--call', 'work#add', '--args', '[1, 4294967296]'], /param b/],
    ['bad enum case', [...CALC, '--call', 'work#apply', '--args', '["mul", 1, 2]'], /"add", "sub"/],
    ['missing record field', [...CALC, '--call', 'work#dist', '--args', '[{"x": 1}]'], /field "y"/],
    // Valid JSON, but not a string of Unicode scalar values: refused while lowering, still the caller's.
    ['string with a lone surrogate', [...CALC, '--call', 'work#echo', '--args', '["\\ud800"]'], /param s.*lone surrogate/],
    ['unknown function', [...CALC, '--call', 'work#nope', '--args', '[]'], /nope/],
    ['unknown interface', [...CALC, '--call', 'play#add', '--args', '[]'], /play/],
    ['missing plugin file', ['does/not/exist.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc', '--call', 'version'], /does\/not\/exist\.wasm/],
    ['missing WIT', ['guests/dist/calc-wat.wasm', '--wit', 'no/such.wit', '--world', 'calc', '--call', 'version'], /no\/such\.wit/],
    ['unknown world', ['guests/dist/calc-wat.wasm', '--wit', 'guests/wat-fixture/calc.wit', '--world', 'nope', '--call', 'version'], /nope/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const r = await runJson(...args);
    expect(r.code).toBe(2);
    expect(r.json['ok']).toBe(false);
    const error = r.json['error'] as { code: string; message: string };
    expect(typeof error.code).toBe('string');
    expect(error.message).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // The same without --json: one message on stderr, no stack trace.
    const plain = await witplug('run', ...args);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(message);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
  });

  it('an argument refused while lowering keeps its documented code, TYPE_MISMATCH, with exit 2', async () => {
    const r = await runJson(...CALC, '--call', 'work#echo', '--args', '["a\\udc00b"]');
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'TYPE_MISMATCH', path: 'param s' } });
  });

  it('a missing required flag is a usage error', async () => {
    const r = await witplug('run', 'guests/dist/calc-wat.wasm', '--wit', 'guests/wat-fixture/calc.wit');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--world/);
  });
});

describe('refusals and failures exit 1', () => {
  it('a plugin that does not fit the world is REJECTED with the admission reason', async () => {
    const r = await runJson('guests/dist/calc-wat.wasm', '--wit', 'wit', '--world', 'gateway-plugin', '--call', 'version');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'REJECTED' } });
    expect((r.json['error'] as { message: string }).message).toMatch(/MISSING_EXPORT/);
  });

  it('bytes that are not a component are refused, not crashed on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-cli-run-'));
    const junk = join(dir, 'junk.wasm');
    writeFileSync(junk, Buffer.from('\0asm\x01\0\0\0garbage-garbage'));
    const r = await runJson(junk, '--wit', 'guests/wat-fixture/calc.wit', '--world', 'calc', '--call', 'version');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'REJECTED' } });
    expect((r.json['error'] as { message: string }).message).toMatch(/NOT_A_COMPONENT/);
  });
});

describe('help', () => {
  it('describes every flag of run', async () => {
    const r = await witplug('run', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--wit', '--world', '--call', '--args', '--json']) expect(r.stdout).toContain(flag);
    const top = await witplug('--help');
    expect(top.code).toBe(0);
    for (const cmd of ['run', 'check', 'inspect', 'bench']) expect(top.stdout).toContain(cmd);
  });
});
