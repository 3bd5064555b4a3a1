/**
 * Components whose calls need jco's task
 * machinery (context.get/set) are routed to jco's bindings, decided from the
 * canon section; async components are admitted against their own world and,
 * where this Node has no JSPI, loaded with every call refused as UNSUPPORTED
 * naming the feature.
 */
import { pluginInternals } from '../../src/runtime/instance/plugin.js';
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadContract } from '../../src/contract/load.js';
import { admit } from '../../src/admission/gate.js';
import { loadPlugin } from '../../src/runtime/load/load-plugin.js';
import { hasJspi } from '../../src/runtime/link/call-route.js';
import { FIXTURES, componentFromCoreWat, componentFromWat, failure } from './helpers.js';

describe('context.get / context.set', () => {
  it('run on the generated path when imported under wit-component\'s names: each call starts with fresh slots', async () => {
    const bytes = await componentFromCoreWat('canon/context-bindgen.wat', 'canon/context.wit', 'plugin');
    const plugin = await loadPlugin(bytes, { cache: null });
    const fast = pluginInternals(plugin).fastFn('bump');
    expect(fast).not.toBeNull();
    expect([fast!(5), fast!(5), fast!(7)]).toEqual([5, 5, 7]);
    const viaJco = pluginInternals(plugin).jcoFn('bump');
    expect([viaJco(5), viaJco(5)]).toEqual([5, 5]);
    expect(fast!(3)).toBe(3);
  });

  it('go through jco when the core code imports them under other names', async () => {
    const plugin = await loadPlugin(await componentFromWat('canon/context.wat'), { cache: null });
    expect(pluginInternals(plugin).fastFn('bump')).toBeNull();
    const bump = plugin.fn('bump');
    expect([bump(5), bump(5), bump(7)]).toEqual([5, 5, 7]);
  });
});

describe('async components', () => {
  const WIT = resolve(FIXTURES, 'canon/async.wit');

  it('are admitted against their own world, refused by one with a sync func, and fail calls clearly without JSPI', async () => {
    const bytes = await componentFromWat('canon/async.wat');
    expect(admit(bytes, await loadContract(WIT, 'sync-answer')).problems.map((p) => p.code)).toEqual(['EXPORT_MISMATCH']);
    const plugin = await loadPlugin(bytes, { cache: null, contract: await loadContract(WIT, 'plugin') });
    if (hasJspi()) {
      expect(plugin.fn('answer')()).toBe(42);
      return;
    }
    const f = await failure(() => plugin.fn('answer')());
    expect(f.code).toBe('UNSUPPORTED');
    expect(f.message).toMatch(/answer.*async canon option.*JSPI/);
    // The sync export of the same component lives in the same (uninstantiable) instance.
    expect((await failure(() => plugin.fn('sync-one')())).code).toBe('UNSUPPORTED');
  });
});
