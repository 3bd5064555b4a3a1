/**
 * The sandbox against adversarial WAT plugins (guests/wat-adversarial):
 * every misbehaviour ends in its stable code, the host process stays up, and a
 * well-behaved plugin (gateway-wat) loaded in the same process answers
 * correctly before, during (from inside the adversarial plugin's host calls)
 * and after.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin, type Plugin, type PluginOptions } from '../src/runtime/load/load-plugin.js';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError } from '../src/errors.js';
import type { Grant } from '../src/runtime/capabilities/grant.js';
import { wasiImports } from '../src/runtime/capabilities/wasi.js';
import type { ComponentShape } from '../src/component/types.js';
import { failsWith } from './helpers/fails.js';

const EVIL = 'guests/dist/evil-wat.wasm';
const FAT = 'guests/dist/fat-wat.wasm';
const READER = 'guests/dist/reader-wat.wasm';
const GOOD = 'guests/dist/gateway-wat.wasm';
const WIT = 'guests/wat-adversarial/wit';

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-sandbox-cache-')));
let evilContract: Contract;
let readerContract: Contract;
let good: Plugin;
/** Answers of the good plugin collected while an adversarial plugin was running. */
let during: unknown[] = [];

const request = (path: string) => ({
  id: 1n,
  method: 'get',
  path,
  query: null,
  headers: [],
  body: new Uint8Array(),
  client: { tls: false, authenticated: false, internal: false, bot: false },
  receivedAtMs: 0n,
});
const goodAnswer = () => good.call('filter#check', [request('/x')]);

/** The adversarial plugin's host function: it calls the good plugin, so "during" is real. */
const pinger = {
  'witplug:adversarial/pinger': {
    ping: (n: number) => {
      if (during.length < 3) during.push(goodAnswer());
      return n + 1;
    },
  },
};

function evil(options: PluginOptions = {}): Promise<Plugin> {
  return loadPlugin(EVIL, { contract: evilContract, cache, host: pinger, ...options, isolate: false });
}

/** The good plugin answers before; `bad` fails with `code`; the good one answers after. */
function contained(code: string, bad: () => unknown): WitplugError {
  expect(goodAnswer()).toEqual({ tag: 'pass' });
  const { err } = failsWith(code, bad);
  expect(goodAnswer()).toEqual({ tag: 'pass' });
  return err;
}

beforeAll(async () => {
  for (const f of [EVIL, FAT, READER, GOOD]) if (!existsSync(f)) throw new Error(`${f} missing: run npm run build:guests`);
  evilContract = await loadContract(WIT, 'adversarial');
  readerContract = await loadContract(WIT, 'reader');
  good = await loadPlugin(GOOD, { contract: await loadContract('wit', 'gateway-plugin'), cache, log: () => {} });
}, 120_000);

describe('infinite loops', () => {
  it('fuel: an infinite loop ends in FUEL_EXHAUSTED; the instance is replaced', async () => {
    const p = await evil({ limits: { fuel: 1_000_000 } });
    expect(p.call('evil#count', [])).toBe(1);
    expect(p.call('evil#count', [])).toBe(2);
    contained('FUEL_EXHAUSTED', () => p.call('evil#spin', []));
    expect(p.lastFuel).toBeGreaterThan(1_000_000);
    expect(p.call('evil#count', [])).toBe(1); // fresh instance after the failure
  });

  // Wall-clock precision is measured by `npm run bench` (sandbox section); on a shared 2-core CI
  // machine the tests assert the mechanism: the deadline, not fuel or the test timeout, ends the loop.
  it('deadline: timeout 50 ms stops an infinite loop (TIMEOUT, not before 50 ms, well before any other bound), in-process', async () => {
    const p = await evil({ limits: { timeoutMs: 50 } });
    p.call('evil#count', []); // warm up (compile tiers) outside the measured call
    const { ms } = failsWith('TIMEOUT', () => p.call('evil#spin', []));
    expect(ms).toBeGreaterThanOrEqual(49);
    expect(ms).toBeLessThan(1000);
    expect(p.call('evil#count', [])).toBe(1);
    expect(goodAnswer()).toEqual({ tag: 'pass' });
  });

  it('a loop of host calls ends in TIMEOUT; the good plugin answered from inside the loop', async () => {
    const p = await evil({ limits: { timeoutMs: 50 } });
    during = [];
    const { ms } = failsWith('TIMEOUT', () => p.call('evil#spin-calls', []));
    expect(ms).toBeGreaterThanOrEqual(49);
    expect(ms).toBeLessThan(1000);
    expect(during).toEqual([{ tag: 'pass' }, { tag: 'pass' }, { tag: 'pass' }]);
    expect(goodAnswer()).toEqual({ tag: 'pass' });
  });

  it('a loop of host calls ends in FUEL_EXHAUSTED with a fuel budget', async () => {
    const p = await evil({ limits: { fuel: 200_000 } });
    during = [];
    contained('FUEL_EXHAUSTED', () => p.call('evil#spin-calls', []));
    expect(during).toHaveLength(3);
  });
});

describe('memory', () => {
  it('a memory bomb hits the cap: MEMORY_LIMIT', async () => {
    const p = await evil({ limits: { maxMemoryMb: 4 } });
    const err = contained('MEMORY_LIMIT', () => p.call('evil#grow', [1]));
    expect(err.message).toMatch(/64 pages/);
    expect(p.call('evil#count', [])).toBe(1);
  });

  it('a module whose initial memory is over the cap is refused at load: MEMORY_LIMIT', async () => {
    await expect(loadPlugin(FAT, { cache, limits: { maxMemoryMb: 16 } })).rejects.toMatchObject({ code: 'MEMORY_LIMIT' });
    const fat = await loadPlugin(FAT, { cache, limits: { maxMemoryMb: 32 } });
    expect(fat.call('size', [])).toBe(300);
    expect(goodAnswer()).toEqual({ tag: 'pass' });
  });
});

describe('output', () => {
  it('a huge string is refused before it is decoded: OUTPUT_LIMIT; small ones pass', async () => {
    const p = await evil({ limits: { maxOutputBytes: 1000 } });
    expect(p.call('evil#big-string', [1000])).toBe('a'.repeat(1000));
    contained('OUTPUT_LIMIT', () => p.call('evil#big-string', [5_000_000]));
    expect(p.call('evil#big-string', [10])).toBe('aaaaaaaaaa');
  });
});

describe('traps', () => {
  it('deep recursion: TRAP (stack overflow) with a wasm backtrace', async () => {
    const p = await evil();
    const err = contained('TRAP', () => p.call('evil#recurse', [50_000_000]));
    expect(err.message).toMatch(/stack overflow/);
    expect(err.message).toMatch(/wasm backtrace/);
    expect(p.call('evil#recurse', [100])).toBe(100);
  });

  it('trap on every call: TRAP, a fresh instance each time, DISABLED after K traps', async () => {
    const p = await evil({ health: { maxTraps: 3, windowMs: 60_000 } });
    p.call('evil#count', []);
    for (let i = 0; i < 3; i++) {
      const err = contained('TRAP', () => p.call('evil#boom', []));
      expect(err.message).toMatch(/unreachable/);
    }
    expect(p.disabledReason).toMatch(/3 traps/);
    const { err } = failsWith('DISABLED', () => p.call('evil#count', []));
    expect(err.message).toMatch(/reload/);
    // Reloading enables it again.
    const again = await evil();
    expect(again.call('evil#count', [])).toBe(1);
    expect(goodAnswer()).toEqual({ tag: 'pass' });
  });

  it.each([
    ['invalid UTF-8 string', 'evil#bad-utf8', /UTF-8/],
    ['out-of-range enum discriminant', 'evil#bad-enum', /discriminant/],
    ['out-of-range variant discriminant', 'evil#bad-variant', /discriminant/],
  ])('%s out: TRAP', async (_what, target, message) => {
    const p = await evil();
    const err = contained('TRAP', () => p.call(target, []));
    expect(err.message).toMatch(message);
    expect(p.call('evil#count', [])).toBe(1);
  });
});

describe('re-entry', () => {
  it('a host function calling back into the same plugin gets REENTRANCE; the outer call fails and the next call gets a fresh instance', async () => {
    let self: Plugin | undefined;
    let inner: unknown;
    const p = await loadPlugin(EVIL, {
      contract: evilContract, cache,
      host: {
        'witplug:adversarial/pinger': {
          ping: (n: number) => {
            try {
              self!.call('evil#count', []);
            } catch (e) {
              inner = e;
              throw e;
            }
            return n;
          },
        },
      },
    });
    self = p;
    expect(p.call('evil#count', [])).toBe(1);
    contained('REENTRANCE', () => p.call('evil#spin-calls', []));
    expect(inner).toBeInstanceOf(WitplugError);
    expect((inner as WitplugError).message).toMatch(/already running a call/);
    expect(p.call('evil#count', [])).toBe(1); // a fresh instance
  });
});

describe('fuel', () => {
  it('is deterministic: the same call reports the same fuel in every run and every instance', async () => {
    const a = await evil({ limits: { fuel: 100_000_000 } });
    const b = await evil({ limits: { fuel: 50_000_000, timeoutMs: 10_000 } });
    const seen = new Set<number>();
    for (let i = 0; i < 5; i++) {
      expect(a.call('evil#fib', [20])).toBe(6765);
      seen.add(a.lastFuel!);
      expect(b.call('evil#fib', [20])).toBe(6765);
      seen.add(b.lastFuel!);
    }
    expect(seen.size).toBe(1);
    const [fuel] = [...seen];
    expect(fuel).toBeGreaterThan(21_891); // at least one unit per call of fib(20)'s 21 891 calls
    // More work, more fuel.
    a.call('evil#fib', [21]);
    expect(a.lastFuel).toBeGreaterThan(fuel!);
  });

  it('the exact budget is enough; one unit less is not', async () => {
    const probe = await evil({ limits: { fuel: 100_000_000 } });
    probe.call('evil#fib', [15]);
    const need = probe.lastFuel!;
    const exact = await evil({ limits: { fuel: need } });
    expect(exact.call('evil#fib', [15])).toBe(610);
    const short = await evil({ limits: { fuel: need - 1 } });
    failsWith('FUEL_EXHAUSTED', () => short.call('evil#fib', [15]));
  });

  it('the instrumented artifact is cached: a warm load with another budget is a cache hit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-sandbox-warm-'));
    const first = await loadPlugin(EVIL, { contract: evilContract, cache: new CompileCache(dir), host: pinger, limits: { fuel: 1000, maxMemoryMb: 8 } });
    expect(first.loadInfo.cache).toBe('miss');
    const warm = await loadPlugin(EVIL, { contract: evilContract, cache: new CompileCache(dir), host: pinger, limits: { fuel: 5000, maxMemoryMb: 8 } });
    expect(warm.loadInfo.cache).toBe('hit');
    const plain = await loadPlugin(EVIL, { contract: evilContract, cache: new CompileCache(dir), host: pinger });
    expect(plain.loadInfo.cache).toBe('miss'); // uninstrumented is another entry
  });
});

describe('WASI confinement (reader-wat: wasi:filesystem through the canonical ABI, in WAT)', () => {
  let root: string;
  let mine: string;
  let theirs: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'witplug-sandbox-fs-'));
    mine = join(root, 'mine');
    theirs = join(root, 'theirs');
    mkdirSync(join(mine, 'sub'), { recursive: true });
    mkdirSync(theirs);
    writeFileSync(join(mine, 'a.txt'), 'mine');
    writeFileSync(join(theirs, 'b.txt'), 'theirs');
    writeFileSync(join(root, 'secret.txt'), 'SECRET');
    symlinkSync(join(root, 'secret.txt'), join(mine, 'abs-link.txt'));
    symlinkSync('../secret.txt', join(mine, 'rel-link.txt'));
    symlinkSync(root, join(mine, 'up'));
  });
  const grantFor = (dir: string): Grant => ({ filesystem: [{ host: dir, guest: '/data', readonly: true }] });

  it('reads inside the granted directory', async () => {
    const p = await loadPlugin(READER, { contract: readerContract, cache, grant: grantFor(mine) });
    expect(p.call('read-file', ['a.txt'])).toEqual({ tag: 'ok', val: 'mine' });
    expect(p.call('read-file', ['sub/../a.txt'])).toEqual({ tag: 'ok', val: 'mine' });
  });

  it.each(['../secret.txt', 'sub/../../secret.txt', '/etc/passwd', '/tmp', 'abs-link.txt', 'rel-link.txt', 'up/secret.txt', '../theirs/b.txt'])(
    'cannot escape with %s',
    async (path) => {
      const p = await loadPlugin(READER, { contract: readerContract, cache, grant: grantFor(mine) });
      const out = p.call('read-file', [path]) as { tag: string; val: string };
      expect(out.tag).toBe('err');
      expect(out.val).toMatch(/^open-error:/);
      expect(JSON.stringify(out)).not.toMatch(/SECRET|theirs/);
      expect(goodAnswer()).toEqual({ tag: 'pass' });
    },
  );

  it('two plugins in one process see only their own directory', async () => {
    const a = await loadPlugin(READER, { name: 'a', contract: readerContract, cache, grant: grantFor(mine) });
    const b = await loadPlugin(READER, { name: 'b', contract: readerContract, cache, grant: grantFor(theirs) });
    expect(a.call('read-file', ['a.txt'])).toEqual({ tag: 'ok', val: 'mine' });
    expect(b.call('read-file', ['b.txt'])).toEqual({ tag: 'ok', val: 'theirs' });
    expect((a.call('read-file', ['b.txt']) as { tag: string }).tag).toBe('err');
    expect((b.call('read-file', ['a.txt']) as { tag: string }).tag).toBe('err');
  });

  it('an offered but ungranted import is refused at admission: REJECTED, EXTRA_IMPORT, "not granted"', async () => {
    expect(goodAnswer()).toEqual({ tag: 'pass' });
    for (const grant of [undefined, { clocks: true } as Grant]) {
      const err = await loadPlugin(READER, { contract: readerContract, cache, ...(grant ? { grant } : {}) }).then(
        () => null,
        (e: unknown) => e as WitplugError,
      );
      expect(err?.code).toBe('REJECTED');
      expect(err?.message).toMatch(/EXTRA_IMPORT/);
      expect(err?.message).toMatch(/not granted/);
    }
    expect(goodAnswer()).toEqual({ tag: 'pass' });
  });
});

describe('WASI environment: nothing ambient', () => {
  const importing = (...names: string[]) =>
    ({ imports: names.map((name) => ({ kind: 'interface', name, iface: { kind: 'interface', name, types: new Map(), funcs: new Map() } })), exports: [] }) as unknown as ComponentShape;
  type Env = { getEnvironment(): [string, string][]; initialCwd(): string | undefined };

  it('each plugin sees only its granted env vars, no host cwd; exit cannot end the host', async () => {
    process.env['WITPLUG_SANDBOX_HOST_SECRET'] = 'leak';
    const shape = importing('wasi:cli/environment@0.2.3', 'wasi:cli/exit@0.2.3');
    const a = await wasiImports(shape, { env: { A: '1' }, imports: ['wasi:cli/exit'] }, 'a');
    const b = await wasiImports(shape, { env: { B: '2' } }, 'b');
    const envA = a['wasi:cli/environment'] as Env;
    const envB = b['wasi:cli/environment'] as Env;
    expect(envA.getEnvironment()).toEqual([['A', '1']]);
    expect(envB.getEnvironment()).toEqual([['B', '2']]);
    expect(envA.initialCwd()).toBeUndefined();
    expect(b['wasi:cli/exit']).toBeUndefined(); // not granted: not linked (admission refuses it first)
    const exit = (a['wasi:cli/exit'] as { exit(s: unknown): never }).exit;
    expect(() => exit({ tag: 'ok' })).toThrow(/cannot end the host process/);
    // No grant: no WASI at all.
    expect(await wasiImports(shape, undefined, 'c')).toEqual({});
    delete process.env['WITPLUG_SANDBOX_HOST_SECRET'];
  });
});

describe('isolation mode (worker thread)', () => {
  it('same API and codes; a deadline overrun terminates the worker and the next call gets a new one', async () => {
    const p = await loadPlugin(EVIL, { contract: evilContract, cache, host: pinger, isolate: true, limits: { timeoutMs: 100, fuel: 10_000_000 } });
    try {
      expect(p.call('evil#fib', [20])).toBe(6765);
      const fuel = p.lastFuel;
      expect(fuel).toBeGreaterThan(0);
      expect(goodAnswer()).toEqual({ tag: 'pass' });
      // fuel is checked in the worker
      failsWith('FUEL_EXHAUSTED', () => p.call('evil#spin', []));
      expect(p.restarts).toBe(0);
      during = [];
      const { ms } = failsWith('TIMEOUT', () => p.call('evil#spin-calls', []));
      expect(ms).toBeLessThan(1000);
      expect(during).toHaveLength(3); // host functions run on the host thread
      expect(p.restarts).toBe(1);
      expect(goodAnswer()).toEqual({ tag: 'pass' });
      expect(p.fn('evil#fib')(20)).toBe(6765);
      expect(p.lastFuel).toBe(fuel);
      failsWith('TRAP', () => p.call('evil#boom', []));
      failsWith('TRAP', () => p.call('evil#bad-enum', []));
    } finally {
      await p.close();
    }
  }, 60_000);
});
