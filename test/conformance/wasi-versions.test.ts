/**
 * A WASI import is served only from an implementation
 * whose version is semver-compatible with it; otherwise the load fails with
 * LINK before anything is compiled or instantiated.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin } from '../../src/runtime/load/load-plugin.js';
import { CompileCache } from '../../src/compile/cache.js';
import type { Grant } from '../../src/runtime/capabilities/grant.js';
import { componentFromCoreWat, failure } from './helpers.js';

const grant: Grant = { imports: ['wasi:cli/*'] };

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String);
}

describe('WASI versions', () => {
  it('refuses wasi:cli/stdout@0.3.0 at load with LINK, naming the interface and both versions, before compiling', async () => {
    const bytes = await componentFromCoreWat('wasi-versions/p3.wat', 'wasi-versions', 'p3');
    const dir = mkdtempSync(join(tmpdir(), 'witplug-conf-'));
    const f = await failure(loadPlugin(bytes, { grant, cache: new CompileCache(dir) }));
    expect(f.code).toBe('LINK');
    expect(f.message).toContain('wasi:cli/stdout@0.3.0');
    expect(f.message).toContain('0.2.3');
    expect(filesUnder(dir)).toEqual([]); // nothing was transpiled
    // while wasi:cli/environment@0.2.0 is served by preview2-shim (0.2.3, compatible)
    const p2 = await loadPlugin(await componentFromCoreWat('wasi-versions/p2.wat', 'wasi-versions', 'p2'), { grant, cache: null, name: 'p2' });
    expect(p2.fn('run')()).toBe(1); // args: [plugin name]
  });

  it('an ungranted WASI import without a contract is a LINK error at load, not a plugin trap', async () => {
    const bytes = await componentFromCoreWat('wasi-versions/p2.wat', 'wasi-versions', 'p2');
    const f = await failure(loadPlugin(bytes, { cache: null }));
    expect(f.code).toBe('LINK');
    expect(f.message).toMatch(/wasi:cli\/environment@0\.2\.0: not granted/);
  });
});

describe('witplug:host versions', () => {
  it('witplug:host/log@0.2.0 is refused with LINK (the built-in host is 0.1.0) unless the app serves that version', async () => {
    const bytes = await componentFromCoreWat('wasi-versions/host-next.wat', 'wasi-versions', 'host-next');
    const f = await failure(loadPlugin(bytes, { cache: null }));
    expect(f.code).toBe('LINK');
    expect(f.message).toContain('witplug:host/log@0.2.0: witplug serves witplug:host 0.1.0, not 0.2.0');
    const logged: string[] = [];
    const plugin = await loadPlugin(bytes, { cache: null, host: { 'witplug:host/log@0.2.0': { log: (m: string) => void logged.push(m) } } });
    expect(plugin.fn('run')()).toBe(1);
    expect(logged).toEqual(['']);
  });
});

describe('a linking gap is not a plugin trap', () => {
  it('a function a compatible WASI version has but preview2-shim lacks fails the load with LINK, naming it', async () => {
    const bytes = await componentFromCoreWat('wasi-versions/p2-newer.wat', 'wasi-versions', 'p2-newer');
    const f = await failure(loadPlugin(bytes, { grant, cache: null }));
    expect(f.code).toBe('LINK');
    expect(f.message).toMatch(/cannot be linked with what the host offers.*getLaunchCount/);
  });
});
