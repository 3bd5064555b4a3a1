/**
 * witplug depends on two things its dependencies do not promise: the text of
 * jco's generated glue (hardenGlue rewrites it; the linker runs it as a
 * script) and preview2-shim's private preopen API. A jco or shim that changes
 * them would not break loading: hardening would silently be skipped. These
 * tests fail first, naming what changed, on a freshly transpiled component
 * (the gateway guest: strings, UTF-16, typed-array lists, other lists, exports).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transpileComponent, JCO_VERSION } from '../src/compile/transpile.js';
import { GLUE_REWRITES, hardenGlue } from '../src/runtime/limits/glue-hardening.js';
import { glueAsScript } from '../src/runtime/link/linker.js';
import type { ShimDescriptor } from '../src/runtime/capabilities/descriptor-ledger.js';

const GUEST = 'guests/dist/gateway-wat.wasm';

const transpiled = (async () => (await transpileComponent(new Uint8Array(readFileSync(GUEST)))).glue)();

const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`))?.length ?? 0;

/** The part of the glue jco generated (hardenGlue puts its helpers ahead of it). */
const generated = (glue: string): string => glue.slice(glue.indexOf('function instantiate('));

describe(`jco ${JCO_VERSION}'s glue has the shape witplug patches`, () => {
  for (const rewrite of GLUE_REWRITES) {
    it(`hardenGlue's rewrite "${rewrite.name}" matches`, async () => {
      const glue = await transpiled;
      expect(
        count(glue, rewrite.pattern),
        `jco ${JCO_VERSION} no longer emits what hardenGlue's rewrite "${rewrite.name}" (${rewrite.pattern}) expects; ` +
          'plugins would run without it: update src/runtime/limits/glue-hardening.ts to the new glue',
      ).toBeGreaterThan(0);
    }, 60_000);
  }

  it('nothing the rewrites target is left in the hardened glue (a changed variant of a pattern)', async () => {
    const hardened = generated(hardenGlue(await transpiled));
    const leftovers: Record<string, RegExp> = {
      'a TextDecoder created by the glue': /new TextDecoder\(/,
      'an unchecked memory slice': /\.buffer\.slice\(/,
      'an uncharged list lifting loop': /for \(let i = 0; i < len\d+;/,
      'a WebAssembly.promising probe': /\bWebAssembly\.promising\(/,
    };
    for (const [what, pattern] of Object.entries(leftovers)) {
      expect(count(hardened, pattern), `hardened jco ${JCO_VERSION} glue still has ${what} (${pattern}): a rewrite in src/runtime/limits/glue-hardening.ts missed it`).toBe(0);
    }
  }, 60_000);

  it('runs as a classic script: its only exports are `instantiate` and `_util`', async () => {
    const glue = await transpiled;
    const script = glueAsScript(glue);
    expect(script, `jco ${JCO_VERSION}'s glue has imports or exports besides instantiate/_util; the linker would fall back to a slower module import (src/runtime/link/linker.ts)`).toBeDefined();
    expect(script, 'glue without `export function instantiate(`').toMatch(/^function instantiate\(/m);
  }, 60_000);
});

describe('preview2-shim: the private API witplug calls', () => {
  it('filesystem exports _addPreopen, _getPreopens, _setPreopens and _createPreopenDescriptor', async () => {
    const fs = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as Record<string, unknown>;
    for (const name of ['_addPreopen', '_getPreopens', '_setPreopens', '_createPreopenDescriptor']) {
      expect(typeof fs[name], `@bytecodealliance/preview2-shim/filesystem has no function ${name} (src/contract/load.ts, src/runtime/capabilities/wasi.ts, scripts/guest-builders use it)`).toBe('function');
    }
  });

  it("_createPreopenDescriptor's descriptor has every method the confined filesystem delegates to", async () => {
    const { _createPreopenDescriptor } = await import('@bytecodealliance/preview2-shim/filesystem');
    // Keyed by ShimDescriptor's methods: a method added to the interface must be listed here.
    const methods: Record<Exclude<keyof ShimDescriptor, typeof Symbol.dispose>, true> = {
      openAt: true, statAt: true, setTimesAt: true, linkAt: true, readlinkAt: true, removeDirectoryAt: true, renameAt: true,
      symlinkAt: true, unlinkFileAt: true, createDirectoryAt: true, metadataHashAt: true, isSameObject: true, readDirectory: true,
    };
    const dir = mkdtempSync(join(tmpdir(), 'witplug-shim-'));
    try {
      const descriptor = _createPreopenDescriptor(dir) as unknown as Record<string, unknown>;
      for (const name of Object.keys(methods)) {
        expect(typeof descriptor[name], `preview2-shim's Descriptor has no method ${name} (src/runtime/capabilities/wasi-confined.ts delegates to it)`).toBe('function');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('instantiation exports WASIShim with getImportObject', async () => {
    const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
    const shim = new WASIShim({ sandbox: { preopens: {}, env: {}, args: ['p'], enableNetwork: false } });
    expect(typeof shim.getImportObject, 'preview2-shim WASIShim has no getImportObject (src/runtime/capabilities/wasi.ts)').toBe('function');
  });
});

describe('jco and preview2-shim are pinned', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
  const installed = (pkg: string): string => (JSON.parse(readFileSync(join('node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  for (const pkg of ['@bytecodealliance/jco', '@bytecodealliance/preview2-shim']) {
    it(`${pkg}: an exact version in package.json, the one installed`, () => {
      const wanted = manifest.dependencies[pkg];
      expect(wanted, `${pkg} must be pinned to an exact version: witplug relies on its internals`).toMatch(/^\d+\.\d+\.\d+$/);
      expect(installed(pkg), `installed ${pkg} differs from the pinned version`).toBe(wanted);
    });
  }
});
