/**
 * `wasi:*` interfaces preview2-shim does not implement (proposals such as
 * wasi:logging, or a WASI version the shim does not serve) are served from the
 * host's implementations like any interface; with neither, the load fails with
 * LINK saying what is missing.
 */
import { describe, expect, it } from 'vitest';
import { loadPlugin } from '../../src/runtime/load/load-plugin.js';
import type { Grant } from '../../src/runtime/capabilities/grant.js';
import { componentFromCoreWat, failure } from './helpers.js';

const DIR = 'wasi-proposals';
const logGrant: Grant = { imports: ['wasi:logging/*'] };

describe('wasi:logging served by the host', () => {
  it.each([
    ['the unversioned key', 'wasi:logging/logging'],
    ['the versioned key', 'wasi:logging/logging@0.1.0-draft'],
  ])('a plugin logging through wasi:logging/logging@0.1.0-draft is linked to the host implementation (%s) and called', async (_what, key) => {
    const bytes = await componentFromCoreWat(`${DIR}/logs.wat`, DIR, 'logs');
    const logged: unknown[][] = [];
    const plugin = await loadPlugin(bytes, {
      grant: logGrant,
      cache: null,
      host: { [key]: { log: (level: string, context: string, message: string) => void logged.push([level, context, message]) } },
    });
    expect(plugin.fn('run')()).toBe(7);
    expect(logged).toEqual([['info', 'ctx', 'hello']]);
    await plugin.close();
  });

  it('the same in isolation (the plugin in a worker thread, the host function in the host thread)', async () => {
    const bytes = await componentFromCoreWat(`${DIR}/logs.wat`, DIR, 'logs');
    const logged: unknown[][] = [];
    const plugin = await loadPlugin(bytes, {
      isolate: true,
      grant: logGrant,
      cache: null,
      host: { 'wasi:logging/logging': { log: (level: string, context: string, message: string) => void logged.push([level, context, message]) } },
    });
    try {
      expect(await plugin.call('run', [])).toBe(7);
      expect(logged).toEqual([['info', 'ctx', 'hello']]);
    } finally {
      await plugin.close();
    }
  }, 120_000);

  it('without a host implementation the load fails with LINK naming what is missing', async () => {
    const bytes = await componentFromCoreWat(`${DIR}/logs.wat`, DIR, 'logs');
    const f = await failure(loadPlugin(bytes, { grant: logGrant, cache: null }));
    expect(f.code).toBe('LINK');
    expect(f.message).toContain('import wasi:logging/logging@0.1.0-draft: no implementation');
    expect(f.message).toContain('preview2-shim does not implement wasi:logging/logging');
    expect(f.message).toContain('the host gives no implementation');
    expect(f.message).not.toMatch(/serves WASI 0\.2\.3, not/);
  });

  it('a host implementation of an incompatible version is named', async () => {
    const bytes = await componentFromCoreWat(`${DIR}/logs.wat`, DIR, 'logs');
    const f = await failure(loadPlugin(bytes, { grant: logGrant, cache: null, host: { 'wasi:logging/logging@0.2.0': { log: () => undefined } } }));
    expect(f.code).toBe('LINK');
    expect(f.message).toContain('the host implements only wasi:logging/logging@0.2.0');
  });

  it('a host-served wasi:* interface is still deny by default: ungranted is LINK', async () => {
    const bytes = await componentFromCoreWat(`${DIR}/logs.wat`, DIR, 'logs');
    const f = await failure(loadPlugin(bytes, { cache: null, host: { 'wasi:logging/logging': { log: () => undefined } } }));
    expect(f.code).toBe('LINK');
    expect(f.message).toMatch(/wasi:logging\/logging@0\.1\.0-draft: not granted/);
  });
});

describe('wasi:config served by the host (results, options and variants across the boundary)', () => {
  const grant: Grant = { imports: ['wasi:config/store'] };
  const load = async (get: (key: string) => unknown) =>
    loadPlugin(await componentFromCoreWat(`${DIR}/config.wat`, DIR, 'config'), { grant, cache: null, host: { 'wasi:config/store@0.2.0-draft': { get } } });

  it('ok(some(value)), ok(none) and err(upstream(message)) reach the plugin', async () => {
    const keys: string[] = [];
    const some = await load((key) => (keys.push(key), { tag: 'ok', val: 'hello!' }));
    expect(some.fn('run')()).toBe(6);
    expect(keys).toEqual(['greeting']);
    const none = await load(() => ({ tag: 'ok', val: null }));
    expect(none.fn('run')()).toBe(1000);
    const err = await load(() => ({ tag: 'err', val: { tag: 'upstream', val: 'down' } }));
    expect(err.fn('run')()).toBe(2004);
    await Promise.all([some.close(), none.close(), err.close()]);
  });

  it('without an implementation: LINK', async () => {
    const bytes = await componentFromCoreWat(`${DIR}/config.wat`, DIR, 'config');
    const f = await failure(loadPlugin(bytes, { grant, cache: null }));
    expect(f.code).toBe('LINK');
    expect(f.message).toContain('preview2-shim does not implement wasi:config/store');
  });
});

describe('a WASI version preview2-shim does not serve', () => {
  const grant: Grant = { imports: ['wasi:random/*'] };

  it('wasi:random/random@0.3.0 is served by the host when it implements that version', async () => {
    const bytes = await componentFromCoreWat(`${DIR}/random-next.wat`, DIR, 'random-next');
    const plugin = await loadPlugin(bytes, { grant, cache: null, host: { 'wasi:random/random@0.3.0': { getRandomU64: () => 41n } } });
    expect(plugin.fn('run')()).toBe(42n);
    await plugin.close();
  });

  it('without one, LINK says the shim serves 0.2.3 and the host gives none', async () => {
    const bytes = await componentFromCoreWat(`${DIR}/random-next.wat`, DIR, 'random-next');
    const f = await failure(loadPlugin(bytes, { grant, cache: null }));
    expect(f.code).toBe('LINK');
    expect(f.message).toContain('preview2-shim implements wasi:random/random at WASI 0.2.3, not 0.3.0');
    expect(f.message).toContain('the host gives no implementation');
  });
});
