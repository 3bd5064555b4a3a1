/**
 * Functions and resources imported at the world level
 * are served from `host.$root`, through generated trampolines, and admitted
 * or refused like interface imports.
 */
import { pluginInternals } from '../../src/runtime/instance/plugin.js';
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadContract } from '../../src/contract/load.js';
import { admit } from '../../src/admission/gate.js';
import { loadPlugin } from '../../src/runtime/load/load-plugin.js';
import { FIXTURES, componentFromCoreWat, failure } from './helpers.js';

const WIT = resolve(FIXTURES, 'world-imports');
const bytes = () => componentFromCoreWat('world-imports/plugin.wat', 'world-imports', 'plugin');

class Counter {
  constructor(public n: number) {}
}

function host(dropped: Counter[]) {
  return {
    $root: {
      add: (a: number, b: number) => a + b,
      greet: (name: string) => `hello, ${name}`,
      'make-counter': (start: number) => new Counter(start),
      '[method]counter.incr': (c: Counter) => ++c.n,
      '[resource-drop]counter': (c: Counter) => void dropped.push(c),
    },
  };
}

describe('world-level imports', () => {
  it('links world-level functions and a world-level resource from host.$root; the gate admits/refuses them', async () => {
    const contract = await loadContract(WIT, 'plugin');
    const dropped: Counter[] = [];
    const plugin = await loadPlugin(await bytes(), { contract, cache: null, host: host(dropped) });
    // add(2,3)*1000 + len("hello, wit")*100 + counter 10 → 11 → 12
    expect(plugin.fn('run')()).toBe(6012);
    expect(dropped.map((c) => c.n)).toEqual([12]);
    expect(pluginInternals(plugin).jcoFn('run')()).toBe(6012);
    // Admitted against its own world above; refused like interface imports by a world that differs.
    const report = admit(await bytes(), await loadContract(WIT, 'narrow'));
    expect(report.accepted).toBe(false);
    expect(report.problems.map((p) => `${p.code} ${p.path}`)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^IMPORT_MISMATCH .*add/),
      expect.stringMatching(/^EXTRA_IMPORT .*greet/),
    ]));
  });

  it('world-level functions are granted by default, and by $root or their name when the grant lists imports', async () => {
    const contract = await loadContract(WIT, 'plugin');
    const refused = await failure(loadPlugin(await bytes(), { contract, cache: null, host: host([]), grant: { imports: ['add', 'make-counter'] } }));
    expect(refused.code).toBe('REJECTED');
    expect(refused.message).toMatch(/EXTRA_IMPORT at import greet.*not granted/);
    for (const imports of [['$root'], ['add', 'greet', 'make-counter', '[method]counter.incr']]) {
      const plugin = await loadPlugin(await bytes(), { contract, cache: null, host: host([]), grant: { imports } });
      expect(plugin.fn('run')()).toBe(6012);
    }
  });

  it('a world-level function the host does not provide fails with UNSUPPORTED when called, naming it, not counted against the plugin', async () => {
    const plugin = await loadPlugin(await bytes(), { cache: null, host: { $root: { add: (a: number, b: number) => a + b } } });
    // The host's gap, not the plugin's: it never counts towards DISABLED (default: 5 failures).
    for (let i = 0; i < 7; i++) {
      const f = await failure(() => plugin.fn('run')());
      expect(f.code).toBe('UNSUPPORTED');
      expect(f.message).toContain('$root#greet');
    }
    expect(plugin.disabledReason).toBeNull();
  });
});
