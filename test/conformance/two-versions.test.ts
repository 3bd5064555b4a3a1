/**
 * A plugin importing two versions of one interface gets
 * each from its own implementation (host keys with the version), and the
 * unversioned key keeps working for a single version.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadContract } from '../../src/contract/load.js';
import { loadPlugin } from '../../src/runtime/load/load-plugin.js';
import { FIXTURES, componentFromCoreWat, failure } from './helpers.js';

const bytes = () => componentFromCoreWat('two-versions/plugin.wat', 'two-versions', 'plugin');

describe('two versions of one interface', () => {
  it('serves each version from its own host table', async () => {
    const contract = await loadContract(resolve(FIXTURES, 'two-versions'), 'plugin');
    const plugin = await loadPlugin(await bytes(), {
      contract, cache: null,
      host: {
        'test:dep/test@0.1.0': { x: () => 1, y: () => 2 },
        'test:dep/test@0.2.0': { x: () => 3, z: () => 4 },
      },
    });
    expect(plugin.fn('run')()).toBe(1234);
  });

  it('accepts a semver-compatible versioned key (0.1.7 serves an import of 0.1.0)', async () => {
    const plugin = await loadPlugin(await bytes(), {
      cache: null,
      host: {
        'test:dep/test@0.1.7': { x: () => 5, y: () => 6 },
        'test:dep/test@0.2.0': { x: () => 7, z: () => 8 },
      },
    });
    expect(plugin.fn('run')()).toBe(5678);
  });

  it('refuses one unversioned table for two imported versions, and an incompatible version, with LINK at load', async () => {
    const amb = await failure(loadPlugin(await bytes(), { cache: null, host: { 'test:dep/test': { x: () => 1, y: () => 2, z: () => 3 } } }));
    expect(amb.code).toBe('LINK');
    expect(amb.message).toMatch(/test:dep\/test@0\.1\.0.*2 versions.*own key/);
    const incompatible = await failure(loadPlugin(await bytes(), {
      cache: null,
      host: { 'test:dep/test@0.3.0': { x: () => 1 }, 'test:dep/test@0.2.0': { x: () => 3, z: () => 4 } },
    }));
    expect(incompatible.code).toBe('LINK');
    expect(incompatible.message).toContain('import test:dep/test@0.1.0: no host implementation compatible with 0.1.0 (the host implements test:dep/test@0.3.0, test:dep/test@0.2.0)');
  });
});
