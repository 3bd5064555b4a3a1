/**
 * Fault attribution: every failure is counted
 * against whoever caused it.
 * - Plugin code — `cabi_realloc` included, while arguments are lowered — that
 *   traps, hands back a bad pointer, or runs out of fuel or time: the
 *   plugin's fault, counted towards DISABLED, instance replaced.
 * - Arguments that don't fit the WIT type: the caller's (TYPE_MISMATCH), the
 *   instance stays.
 * - A host implementation that throws, or returns a value that doesn't fit:
 *   HOST_ERROR with the host's error as `cause`, never counted.
 * - Only a real stack overflow is labelled one.
 * - Resource handles per instance are capped (`maxHandles` → RESOURCE_LIMIT).
 */
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin, type Plugin, type PluginOptions } from '../src/runtime/load/load-plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { toPluginError } from '../src/runtime/abi/traps.js';
import { resolveLimits } from '../src/runtime/limits/resolve-limits.js';
import { parseGrant } from '../src/runtime/capabilities/grant.js';
import { buildAttributionGuest, HOST, WIT } from './helpers/attribution-guest.js';
import { thrown } from './helpers/fails.js';

let bytes: Uint8Array;
const cache = new CompileCache(null);
beforeAll(async () => {
  bytes = await buildAttributionGuest();
}, 60_000);

let onPoke: (n: number) => number = (n) => n;
let onName: () => unknown = () => 'host';

function load(options: PluginOptions = {}): Promise<Plugin> {
  return loadPlugin(bytes, {
    name: 'attr', cache, log: () => {},
    host: { [HOST]: { poke: (n: number) => onPoke(n), name: () => onName() } },
    ...options,
    isolate: false,
  });
}

describe('cabi_realloc is plugin code: a fault while arguments are lowered is the plugin\'s', () => {
  it.each([
    ['traps', 1, {}, 'TRAP', /unreachable/],
    ['returns a pointer outside memory', 2, {}, 'TRAP', /cabi_realloc returned/],
    ['loops (deadline)', 3, { timeoutMs: 50 }, 'TIMEOUT', /deadline/],
    ['loops (fuel)', 3, { fuel: 100_000 }, 'FUEL_EXHAUSTED', /fuel/],
  ] as const)('cabi_realloc that %s: counted towards DISABLED, instance replaced', async (_what, mode, limits, code, message) => {
    onPoke = (n) => n;
    const p = await load({ limits, health: { maxTraps: 2, windowMs: 60_000 } });
    for (const via of ['fn', 'jcoFn'] as const) {
      if (p.disabledReason !== null) break;
      p.call('api#set-mode', [mode]);
      const echo = via === 'fn' ? p.fn('api#echo') : pluginInternals(p).jcoFn('api#echo');
      const err = thrown(() => echo('hello'));
      expect(err.code, `${via}: ${err.message}`).toBe(code);
      if (via === 'fn') expect(err.message).toMatch(message); // jco's glue words its own checks
      expect(err.plugin).toBe('attr');
      if (p.disabledReason === null) {
        // The instance that misbehaved is gone: the fresh one allocates normally and counts from 1.
        expect(p.call('api#echo', ['hi']), via).toBe(2);
        expect(p.call('api#count', []), via).toBe(1);
      }
    }
    // Two faults of the plugin's with maxTraps 2: disabled.
    expect(p.disabledReason).toMatch(/2 traps/);
    expect(thrown(() => p.call('api#count', [])).code).toBe('DISABLED');
  });

  it('an argument that does not fit stays the caller\'s: TYPE_MISMATCH, instance kept, not counted', async () => {
    const p = await load({ health: { maxTraps: 1, windowMs: 60_000 } });
    expect(p.call('api#count', [])).toBe(1);
    for (let i = 0; i < 3; i++) expect(thrown(() => p.call('api#echo', [42])).code).toBe('TYPE_MISMATCH');
    expect(p.disabledReason).toBeNull();
    expect(p.call('api#count', [])).toBe(2); // same instance
  });

});

describe('a host implementation that throws: HOST_ERROR, not counted against the plugin', () => {
  it('names interface#function, carries the host\'s error as cause; more than maxTraps times and the plugin is not DISABLED', async () => {
    const p = await load({ health: { maxTraps: 2, windowMs: 60_000 } });
    const boom = new Error('database is down');
    onPoke = () => {
      throw boom;
    };
    for (let i = 0; i < 5; i++) {
      const err = thrown(() => p.call('api#call-host', [1]));
      expect(err.code).toBe('HOST_ERROR');
      expect(err.cause).toBe(boom);
      expect(err.message).toMatch(/test:reent\/host#poke/);
      expect(err.message).toMatch(/database is down/);
      expect(err.hook).toMatch(/call-host$/);
      expect(err.plugin).toBe('attr');
    }
    expect(p.disabledReason).toBeNull();
    onPoke = (n) => n + 1;
    // The guest was unwound mid-call, so its instance was replaced: count starts again at 1.
    expect(p.call('api#call-host', [1])).toBe(2);
    expect(p.call('api#count', [])).toBe(2);
  });

  it('the same on the jco path', async () => {
    const p = await load({ health: { maxTraps: 1, windowMs: 60_000 } });
    onPoke = () => {
      throw new TypeError('bad state');
    };
    for (let i = 0; i < 3; i++) {
      const err = thrown(() => pluginInternals(p).jcoFn('api#call-host')(1));
      expect(err.code, err.message).toBe('HOST_ERROR');
      expect(err.cause).toBeInstanceOf(TypeError);
    }
    expect(p.disabledReason).toBeNull();
  });

  it('a host result that does not fit its type is the host\'s fault too', async () => {
    const p = await load({ health: { maxTraps: 1, windowMs: 60_000 } });
    onName = () => 42;
    for (let i = 0; i < 3; i++) {
      const err = thrown(() => p.call('api#ask-name', []));
      expect(err.code, err.message).toBe('HOST_ERROR');
      expect(err.message).toMatch(/host function test:reent\/host@0.1.0#name returned a value that does not fit/);
    }
    expect(p.disabledReason).toBeNull();
    onName = () => 'host';
    expect(p.call('api#ask-name', [])).toBe(4);
  });

  it('a host function called from cabi_realloc during lowering that throws: HOST_ERROR, not counted', async () => {
    const p = await load({ health: { maxTraps: 1, windowMs: 60_000 } });
    onPoke = () => {
      throw new Error('no');
    };
    for (let i = 0; i < 3; i++) {
      p.call('api#set-mode', [4]);
      expect(thrown(() => p.call('api#echo', ['hello'])).code).toBe('HOST_ERROR');
    }
    expect(p.disabledReason).toBeNull();
  });
});

describe('RangeError', () => {
  it('a RangeError thrown by the host is no stack overflow: HOST_ERROR with its own message; a real overflow of the shared stack stays a trap', async () => {
    const p = await load({ health: { maxTraps: 1, windowMs: 60_000 } });
    onPoke = (n) => new Array(-n).length;
    const err = thrown(() => p.call('api#call-host', [1]));
    expect(err.code).toBe('HOST_ERROR');
    expect(err.message).toMatch(/RangeError: Invalid array length/);
    expect(err.message).not.toMatch(/stack overflow/);
    expect(p.disabledReason).toBeNull();
    // The stack is shared with the plugin (it may have recursed deep before calling): not the host's fault.
    const deep = (n: number): number => deep(n + 1) + 1;
    onPoke = deep;
    const overflow = thrown(() => p.call('api#call-host', [1]));
    expect(overflow.code).toBe('TRAP');
    expect(overflow.message).toMatch(/stack overflow/);
    expect(p.disabledReason).not.toBeNull();
  });

  it('only "Maximum call stack size exceeded" is labelled a stack overflow', () => {
    const deep = (n: number): number => deep(n + 1) + 1;
    let overflow: unknown;
    try {
      deep(0);
    } catch (e) {
      overflow = e;
    }
    expect(overflow).toBeInstanceOf(RangeError);
    expect(toPluginError(overflow, 'p', 'h').message).toMatch(/trapped in h: stack overflow/);

    let other: unknown;
    try {
      new DataView(new ArrayBuffer(8)).getUint32(16);
    } catch (e) {
      other = e;
    }
    expect(other).toBeInstanceOf(RangeError);
    const err = toPluginError(other, 'p', 'h');
    expect(err.code).toBe('TRAP');
    expect(err.message).not.toMatch(/stack overflow/);
    expect(err.message).toMatch(/RangeError: Offset is outside the bounds of the DataView/);
    expect(err.cause).toBe(other);
  });
});

describe('resource handles per instance are capped (maxHandles)', () => {
  it('RESOURCE_LIMIT when the plugin holds more; the host survives and the next call works on a fresh instance', async () => {
    const p = await load({ limits: { maxHandles: 100 } });
    expect(p.call('api#hoard', [60])).toBe(60);
    const err = thrown(() => p.call('api#hoard', [60]));
    expect(err.code, err.message).toBe('RESOURCE_LIMIT');
    expect(err.message).toMatch(/100/);
    expect(p.call('api#count', [])).toBe(1);
    expect(p.call('api#hoard', [100])).toBe(100);
  });

  it('handles the host takes out of the table free their slots', async () => {
    const p = await load({ limits: { maxHandles: 10 } });
    const make = p.fn('api#[constructor]thing');
    for (let i = 0; i < 50; i++) make();
    expect(p.call('api#hoard', [10])).toBe(10);
  });

  it('a default cap of 10 000 applies without limits', async () => {
    const p = await load();
    expect(p.call('api#hoard', [10_000])).toBe(10_000);
    expect(thrown(() => p.call('api#hoard', [10_001])).code).toBe('RESOURCE_LIMIT');
    expect(p.call('api#hoard', [5])).toBe(5);
  });

  it('witplug run --max-handles: RESOURCE_LIMIT as JSON, exit 1; a bad value is USAGE, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-attr-cli-'));
    writeFileSync(join(dir, 'guest.wasm'), bytes);
    writeFileSync(join(dir, 'w.wit'), WIT);
    // Asynchronous child processes: a synchronous spawn would block the test worker for seconds.
    const run = (...flags: string[]) => new Promise<{ code: number | null; json: unknown }>((done) => {
      const argv = [join(process.cwd(), 'dist', 'cli', 'main.js'), 'run', join(dir, 'guest.wasm'), '--wit', join(dir, 'w.wit'), '--world', 'w', '--call', 'api#hoard', '--args', '[50]', '--json', ...flags];
      execFile(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, WITPLUG_CACHE_DIR: join(dir, 'cache') } }, (err, stdout) => {
        done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, json: JSON.parse(stdout.trim()) as unknown });
      });
    });
    const [fits, over, bad] = await Promise.all([run('--max-handles', '50'), run('--max-handles', '10'), run('--max-handles', '-3')]);
    expect(fits).toEqual({ code: 0, json: { ok: true, value: 50 } });
    expect(over).toMatchObject({ code: 1, json: { ok: false, error: { code: 'RESOURCE_LIMIT' } } });
    expect(bad).toMatchObject({ code: 2, json: { ok: false, error: { code: 'USAGE' } } });
  }, 60_000);

  it('maxHandles is validated and accepted by grant manifests', () => {
    expect(resolveLimits({ maxHandles: 12.7 }).maxHandles).toBe(12);
    expect(() => resolveLimits({ maxHandles: 0 })).toThrow(/maxHandles must be a positive number/);
    expect(parseGrant({ limits: { maxHandles: 500 } }).limits).toEqual({ maxHandles: 500 });
  });
});

describe('an argument that throws while it is checked is the caller\'s value misbehaving', () => {
  it('a throwing getter, a symbol, a value too deep to walk: TYPE_MISMATCH, the instance kept and nothing counted', async () => {
    const p = await loadPlugin('guests/dist/calc-wat.wasm', { name: 'calc', cache, health: { maxTraps: 1, windowMs: 60_000 } });
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const getter = { x: 1, get y(): number { throw new Error('getter says no'); } };
    const cases: [string, unknown[]][] = [
      ['work#dist', [getter]],
      ['work#add', [Symbol('a'), 1]],
      ['work#echo', [Symbol('s')]],
      ['work#apply', ['add', Symbol('b'), 1n]],
      ['work#dist', [deep]],
    ];
    for (const [target, args] of cases) {
      const e = thrown(() => p.call(target, args));
      expect(e.code, `${target}: ${e.message}`).toBe('TYPE_MISMATCH');
    }
    expect(p.disabledReason).toBeNull();
    expect(p.call('work#add', [2, 3])).toBe(5);
    await p.close();
  });
});
