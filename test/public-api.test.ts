import { describe, expect, expectTypeOf, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as api from '../src/index.js';
import { VERSION } from '../src/version.js';

describe('public API', () => {
  it('exports exactly this list (a change here is a change of the public API)', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "AdmissionCodes",
        "CompileCache",
        "DEFAULT_MAX_OUTPUT_BYTES",
        "ErrorCodes",
        "NoteCodes",
        "PluginHost",
        "VERSION",
        "WitplugError",
        "admit",
        "bindExports",
        "clearContractCache",
        "defaultCacheDir",
        "isWitplugError",
        "loadContract",
        "loadPlugin",
        "parseGrant",
        "prepare",
        "readGrantManifest",
        "sharedCompileCache",
      ]
    `);
  });

  it('VERSION matches package.json', () => {
    expect(VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });
});

describe('documentation links', () => {
  it('every relative link in README.md and docs/ points at a file inside the repository', () => {
    const root = resolve('.');
    const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const broken: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        const abs = resolve(dirname(file), target);
        if (!abs.startsWith(root + '/') || !existsSync(abs)) broken.push(`${file} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the exported Plugin type', () => {
  it('shows the public surface only (instantiation, call guard and call routes stay inside witplug)', () => {
    expectTypeOf<keyof api.Plugin>().toEqualTypeOf<
      'name' | 'shape' | 'closed' | 'disabledReason' | 'fn' | 'call' | 'close' | 'componentHash' | 'loadInfo' | 'lastFuel' | 'limits' | 'instantiation'
    >();
  });
});

describe('witplug/tools', () => {
  it('exports exactly this list', async () => {
    expect(Object.keys(await import('../src/tools.js')).sort()).toMatchInlineSnapshot(`
      [
        "DEFAULT_CACHE_MAX_BYTES",
        "METADATA_SECTION",
        "addPluginMetadata",
        "admitShape",
        "cacheMaxBytes",
        "decodeComponent",
        "diffWorlds",
        "directoryProblem",
        "findPluginMetadata",
        "fingerprintFunc",
        "fingerprintInterface",
        "fingerprintValType",
        "formatDiff",
        "formatDiffFailure",
        "fromJson",
        "generateBindings",
        "inspectComponent",
        "isBreaking",
        "isGranted",
        "jcoFunction",
        "loadWitWorld",
        "parseByteCount",
        "parseWit",
        "parseWitTree",
        "printInterfaceBody",
        "printWorldItem",
        "pruneCache",
        "readInput",
        "readWitAgainstRef",
        "readWitTree",
        "readWitTreeAtRef",
        "resolveExport",
        "resolveWitWorld",
        "scanCache",
        "timeCalls",
      ]
    `);
  });
});
