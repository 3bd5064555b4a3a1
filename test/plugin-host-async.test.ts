/**
 * PluginHost hooks declared `async: true`: every dispatch kind through each
 * plugin's `fnAsync`, over real components whose exports await an async host
 * function. Isolated plugins on every Node; in-process plugins where the
 * runtime has JS promise integration (this file also runs under such a Node,
 * scripts/run-tests.mjs). The C and JS gateway guests call an async host
 * function (the app's `witplug:host/log`). A plugin importing async host
 * functions behind a sync hook or operation is refused at load.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import type { HookSpec, PluginHostOptions } from '../src/runtime/host/types.js';
import { CompileCache } from '../src/compile/cache.js';
import { loadContract, type Contract } from '../src/contract/load.js';
import { WitplugError } from '../src/errors.js';
import { currentCaller, hasJspi } from '../src/runtime/capabilities/host-caller.js';

const WIT = `package test:hasync@0.1.0;
interface store { fetch: func(n: u32) -> u32; }
interface hooks {
  /// fetch(n) + k
  plus: func(n: u32) -> u32;
  /// none when n = k, else some(fetch(n) + k)
  maybe: func(n: u32) -> option<u32>;
  /// err(k) when n >= 100, else ok(fetch(n) + k)
  checked: func(n: u32) -> result<u32, u32>;
}
world w { import store; export hooks; }
`;
const HOOKS_IFACE = 'test:hasync/hooks@0.1.0';

/** A plugin whose hooks add `k`: each one awaits the host's `fetch` once. */
const wat = (k: number): string => `(module
  (import "test:hasync/store@0.1.0" "fetch" (func $fetch (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 64))
  (func (export "${HOOKS_IFACE}#plus") (param i32) (result i32)
    (i32.add (call $fetch (local.get 0)) (i32.const ${k})))
  (func (export "${HOOKS_IFACE}#maybe") (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const ${k})) (then (i32.store (i32.const 16) (i32.const 0)) (return (i32.const 16))))
    (i32.store (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (i32.add (call $fetch (local.get 0)) (i32.const ${k})))
    (i32.const 16))
  (func (export "${HOOKS_IFACE}#checked") (param i32) (result i32)
    (if (i32.ge_u (local.get 0) (i32.const 100)) (then
      (i32.store (i32.const 16) (i32.const 1)) (i32.store (i32.const 20) (i32.const ${k})) (return (i32.const 16))))
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.add (call $fetch (local.get 0)) (i32.const ${k})))
    (i32.const 16))
)`;

const HOOKS = {
  all: { target: 'hooks#plus', kind: 'parallel', async: true },
  each: { target: 'hooks#plus', kind: 'series', async: true },
  sums: { target: 'hooks#plus', kind: 'collect', async: true },
  sumsOrFail: { target: 'hooks#plus', kind: 'collect', async: true, onError: 'fail' },
  sumsSkipping: { target: 'hooks#plus', kind: 'collect', async: true, onError: 'skip' },
  firstSome: { target: 'hooks#maybe', kind: 'first', async: true },
  gate: { target: 'hooks#checked', kind: 'bail', async: true, pass: { tag: 'ok' } },
  chain: { target: 'hooks#plus', kind: 'waterfall', async: true },
  chainChecked: { target: 'hooks#checked', kind: 'waterfall', async: true },
  chainMaybe: { target: 'hooks#maybe', kind: 'waterfall', async: true },
  chainMaybeSkip: { target: 'hooks#maybe', kind: 'waterfall', async: true, onNone: 'skip' },
} as const satisfies Record<string, HookSpec>;

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-host-async-cache-')));
let contract: Contract;
const plugins: Uint8Array[] = [];
const hosts: PluginHost[] = [];

/** The host's store: `fetch(n)` resolves n after `delayMs`; 13 rejects. */
function store(delayMs: number, seen: number[] = []): PluginHostOptions['host'] {
  return {
    'test:hasync/store': {
      fetch: async (n: number) => {
        seen.push(n);
        await sleep(delayMs);
        if (n === 13) throw new Error('unlucky');
        return n;
      },
    },
  };
}

function newHost(delayMs: number, extra: Partial<PluginHostOptions> = {}): PluginHost {
  const host = new PluginHost({ contract, cache, host: store(delayMs), hooks: HOOKS, logger: () => {}, ...extra });
  hosts.push(host);
  return host;
}

/** Loads plugins adding 1, 2, 3, 4 (priority keeps that order). */
async function loadFour(host: PluginHost, isolate: boolean): Promise<void> {
  for (let i = 0; i < 4; i++) await host.load(plugins[i]!, { name: `p${i + 1}`, isolate, priority: 10 - i });
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-host-async-'));
  writeFileSync(join(dir, 'w.wit'), WIT);
  contract = await loadContract(join(dir, 'w.wit'), 'w');
  for (let k = 1; k <= 4; k++) plugins.push(await componentNew(await componentEmbed({ binary: await parse(wat(k)), witSource: WIT, world: 'w' })));
}, 60_000);

afterAll(() => {
  for (const h of hosts) h.close();
});

/** Every dispatch kind, the same answers whichever way the plugins run. */
function dispatchKinds(isolate: boolean): void {
  it('parallel runs its plugins concurrently: 4 plugins awaiting a 50 ms host function take about 50 ms, not 200', async () => {
    const host = newHost(50);
    await loadFour(host, isolate);
    await host.hook('all')(1); // warm each plugin's first call
    const t0 = performance.now();
    const done = host.hook('all')(1);
    expect(done).toBeInstanceOf(Promise);
    expect(await done).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(150); // sequential would be ≥ 200
    // collect is concurrent too, and keeps dispatch order.
    const t1 = performance.now();
    expect(await host.hook('sums')(10)).toEqual([11, 12, 13, 14]);
    expect(performance.now() - t1).toBeLessThan(150);
  }, 60_000);

  it('series, first, bail and waterfall (plain, result, option) await each plugin in order', async () => {
    const host = newHost(1);
    await loadFour(host, isolate);
    expect(await host.hook('each')(5)).toBeUndefined();
    expect(host.plugins().map((p) => p.stats['each']?.calls)).toEqual([1, 1, 1, 1]);
    expect(await host.hook('firstSome')(1)).toBe(3); // p1 returns none for 1; p2 some(1 + 2)
    expect(await host.hook('gate')(5)).toEqual({ tag: 'ok' }); // everyone passes: the pass value
    expect(await host.hook('gate')(100)).toEqual({ tag: 'err', val: 1 }); // p1 stops it
    expect(await host.hook('chain')(0)).toBe(10); // ((((0+1)+2)+3)+4)
    expect(await host.hook('chainChecked')(0)).toEqual({ tag: 'ok', val: 10 });
    expect(await host.hook('chainChecked')(95)).toEqual({ tag: 'err', val: 4 }); // 96, 98, 101 → p4 errs
    // maybe(n) is none when n equals the plugin's k: 5 → 6 → 8 → 11 → 15; from 1, p1 says none.
    expect(await host.hook('chainMaybe')(5)).toBe(15);
    expect(await host.hook('chainMaybe')(1)).toBeNull();
    expect(await host.run('chainMaybeSkip', 1)).toBe(7); // p1 skipped, 1 → 3, p3 skipped, 3 → 7
  }, 60_000);

  it('onError: fail rejects with the plugin\'s failure; skip and parallel go on and emit error', async () => {
    const host = newHost(1);
    await loadFour(host, isolate);
    const errors: WitplugError[] = [];
    host.on('error', (e) => errors.push(e));
    const failed = await (host.hook('sumsOrFail')(13) as Promise<unknown>).then(() => null, (e: unknown) => e);
    expect(failed).toBeInstanceOf(WitplugError);
    expect(failed).toMatchObject({ code: 'HOST_ERROR', plugin: 'p1' });
    expect(await host.hook('sumsSkipping')(13)).toEqual([]);
    expect(await host.hook('all')(13)).toBeUndefined();
    expect(errors.map((e) => e.plugin)).toEqual(['p1', 'p2', 'p3', 'p4', 'p1', 'p2', 'p3', 'p4']);
    expect(await host.hook('sums')(1)).toEqual([2, 3, 4, 5]); // every plugin still serves
  }, 60_000);

  it('a plugin unloaded during an async dispatch finishes it, and is closed afterwards', async () => {
    const host = newHost(30);
    await loadFour(host, isolate);
    const running = host.hook('each')(1);
    await sleep(5);
    host.unload('p4');
    await expect(running).resolves.toBeUndefined();
    expect(await host.hook('sums')(1)).toEqual([2, 3, 4]);
  }, 60_000);
}

describe('async hooks over isolated plugins (every Node)', () => {
  dispatchKinds(true);
});

describe.runIf(hasJspi())('async hooks over in-process plugins (JS promise integration)', () => {
  dispatchKinds(false);
});

describe("isolate: 'auto' (in-process where it can run there)", () => {
  it('a plugin importing async host functions runs in-process with JSPI and in a worker without; one without them always in-process', async () => {
    const host = newHost(1, { isolate: 'auto' });
    await host.load(plugins[0]!, { name: 'auto' });
    const auto = host.plugins().find((p) => p.name === 'auto')!;
    expect(auto.isolated).toBe(!hasJspi());
    expect(await host.hook('chain')(10)).toBe(11);
    // The load's own choice wins over the host's 'auto'.
    await host.load(plugins[1]!, { name: 'pinned', isolate: true });
    expect(host.plugins().find((p) => p.name === 'pinned')!.isolated).toBe(true);
    expect(await host.hook('sums')(10)).toEqual([11, 12]);
    // The same plugin with sync host functions never needs a worker.
    const syncHost = new PluginHost({ contract, cache, host: { 'test:hasync/store': { fetch: (n: number) => n } }, hooks: { sum: { target: 'hooks#plus', kind: 'collect' } }, isolate: 'auto', logger: () => {} });
    hosts.push(syncHost);
    await syncHost.load(plugins[1]!, { name: 'sync' });
    expect(syncHost.plugins()[0]!.isolated).toBe(false);
    expect(syncHost.hook('sum')(5)).toEqual([7]);
  }, 60_000);
});

describe('a plugin importing async host functions needs async hooks', () => {
  it('a sync hook that would call it refuses the load with ASYNC_UNSUPPORTED, naming the hook', async () => {
    const host = newHost(1, { hooks: { ...HOOKS, plain: { target: 'hooks#plus', kind: 'collect' }, plainToo: { target: 'hooks#checked', kind: 'first' } } });
    const err = await host.load(plugins[0]!, { name: 'p1', isolate: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WitplugError);
    expect(err).toMatchObject({ code: 'ASYNC_UNSUPPORTED', plugin: 'p1' });
    const message = (err as WitplugError).message;
    expect(message).toContain('"plain", "plainToo"');
    expect(message).toContain('async: true');
    expect(message).toContain('test:hasync/store@0.1.0#fetch');
    expect(host.plugins()).toEqual([]);
  }, 60_000);

  it('an anchor to a sync operation is refused too; with sync host functions the same plugin loads behind sync hooks', async () => {
    const host = newHost(1, { operations: { op: { target: 'hooks#plus' }, later: { target: 'hooks#plus', async: true } } });
    await expect(host.load(plugins[0]!, { name: 'p1', isolate: true, anchor: [{ operation: 'later', at: 'after' }, { operation: 'op', at: 'before' }] }))
      .rejects.toMatchObject({ code: 'ASYNC_UNSUPPORTED', message: expect.stringMatching(/declare operation\(s\) "op" with async: true$/) });
    const syncHost = new PluginHost({
      contract, cache, logger: () => {}, host: { 'test:hasync/store': { fetch: (n: number) => n } },
      hooks: { plain: { target: 'hooks#plus', kind: 'collect' }, later: { target: 'hooks#plus', kind: 'collect', async: true } },
    });
    hosts.push(syncHost);
    await syncHost.load(plugins[1]!, { name: 'p2', isolate: true });
    expect(syncHost.hook('plain')(1)).toEqual([3]);
    expect(await syncHost.hook('later')(1)).toEqual([3]);
  }, 60_000);

  it('an async operation awaits before, define (or the async fallback) and after plugins, each in turn', async () => {
    const seen: number[] = [];
    const host = new PluginHost({ contract, cache, logger: () => {}, host: store(5, seen), operations: { op: { target: 'hooks#plus', async: true } } });
    hosts.push(host);
    const fallback = async (n: unknown): Promise<number> => (await sleep(1), -Number(n));
    const pending = host.operation('op', [7], fallback);
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toBe(-7); // no plugins: the host's default
    await host.load(plugins[0]!, { name: 'p1', isolate: true, anchor: { operation: 'op', at: 'before' } });
    await host.load(plugins[1]!, { name: 'p2', isolate: true, anchor: { operation: 'op', at: 'define' } });
    await host.load(plugins[2]!, { name: 'p3', isolate: true, anchor: { operation: 'op', at: 'after' } });
    seen.length = 0;
    expect(await host.operation('op', [7], fallback)).toBe(9); // p2 defines it: 7 + 2
    expect(seen).toEqual([7, 7, 7]); // before, define, after each called once
    expect(host.plugins().map((p) => p.stats['op']?.calls)).toEqual([1, 1, 1]);
  }, 60_000);

  it('a non-boolean async is USAGE at construction', () => {
    expect(() => new PluginHost({ contract, hooks: { bad: { target: 'hooks#plus', kind: 'collect', async: 'yes' as unknown as boolean } } }))
      .toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('async must be a boolean') }) as Error);
  });
});

describe('the gateway guests calling an async host function (witplug:host/log implemented by the app)', () => {
  const request = {
    id: 1n, method: 'get', path: '/old/x', query: null, headers: [], body: new Uint8Array(),
    client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0n,
  };
  const redirect = { tag: 'redirect', val: { location: '/new/x', permanent: true } };

  async function gatewayHost(lines: string[]): Promise<PluginHost> {
    const host = new PluginHost({
      contract: await loadContract('wit', 'gateway-plugin'), cache, logger: () => {},
      host: {
        'witplug:host/log@0.1.0': {
          log: async (level: string, message: string) => {
            const caller = currentCaller()?.name; // before the first await
            await sleep(2);
            lines.push(`${caller} ${level} ${message}`);
          },
        },
      },
      hooks: {
        check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' }, async: true },
        decisions: { target: 'filter#check', kind: 'collect', async: true },
      },
    });
    hosts.push(host);
    return host;
  }

  it('C (isolated, and in-process where the runtime has JSPI) and JS (isolated): the bail decision, each log line awaited', async () => {
    const lines: string[] = [];
    const host = await gatewayHost(lines);
    await host.load('guests/dist/gateway-c.wasm', { name: 'c-iso', isolate: true });
    await host.load('guests/dist/gateway-js.wasm', { name: 'js-iso', isolate: true });
    if (hasJspi()) await host.load('guests/dist/gateway-c.wasm', { name: 'c-in', isolate: false });
    expect(await host.hook('check')(request)).toEqual(redirect);
    expect(lines).toEqual(['c-iso info check /old/x']); // bail: the first plugin answered
    lines.length = 0;
    const names = hasJspi() ? ['c-iso', 'js-iso', 'c-in'] : ['c-iso', 'js-iso'];
    expect(await host.hook('decisions')(request)).toEqual(names.map(() => redirect));
    expect([...lines].sort()).toEqual(names.map((n) => `${n} info check /old/x`).sort());
  }, 120_000);

  it('behind a sync hook the C guest is refused at load, naming the hook', async () => {
    const lines: string[] = [];
    const host = new PluginHost({
      contract: await loadContract('wit', 'gateway-plugin'), cache, logger: () => {},
      host: { 'witplug:host/log@0.1.0': { log: async (level: string, message: string) => void lines.push(`${level} ${message}`) } },
      hooks: { check: { target: 'filter#check', kind: 'bail', pass: { tag: 'pass' } } },
    });
    hosts.push(host);
    await expect(host.load('guests/dist/gateway-c.wasm', { isolate: true }))
      .rejects.toMatchObject({ code: 'ASYNC_UNSUPPORTED', message: expect.stringContaining('declare hook(s) "check" with async: true') });
  }, 60_000);
});
