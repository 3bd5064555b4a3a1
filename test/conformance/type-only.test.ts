/**
 * Interfaces that only declare types are part of the
 * contract (imports and exports, at two versions of one interface), so a
 * plugin that imports them is admitted and runs.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadContract } from '../../src/contract/load.js';
import { admit } from '../../src/admission/gate.js';
import { loadPlugin } from '../../src/runtime/load/load-plugin.js';
import { FIXTURES, componentFromWat } from './helpers.js';

const WIT = resolve(FIXTURES, 'type-only');

describe('type-only interfaces in contracts', () => {
  it('the contract keeps every import and export the world declares', async () => {
    const c = await loadContract(WIT, 'plugin');
    expect(c.shape.imports.map((i) => i.name)).toEqual(['fix:clocks/wall-clock@0.2.1', 'fix:cli/stdin@0.2.12', 'fix:cli/stdin@0.3.0']);
    expect(c.shape.exports.map((e) => e.name).sort()).toEqual(['conf:typeonly/shapes@1.0.0', 'run']);
    const clock = c.shape.imports[0]!;
    expect(clock.kind === 'interface' && [...clock.iface.types.keys()]).toEqual(['datetime']);
  });

  it('admits and runs a plugin importing type-only interfaces (one of them the 0.3.0 of a 0.2.12 with functions)', async () => {
    const c = await loadContract(WIT, 'plugin');
    const bytes = await componentFromWat('type-only/plugin.wat');
    const report = admit(bytes, c);
    expect(report.problems).toEqual([]);
    expect(report.accepted).toBe(true);
    const plugin = await loadPlugin(bytes, { contract: c, cache: null });
    expect(plugin.fn('run')()).toBe(42);
  });
});
