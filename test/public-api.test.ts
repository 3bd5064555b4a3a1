import { describe, expect, it } from 'vitest';
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

describe('the CLI is built on the public API only', () => {
  it('src/cli/* imports nothing from the library but src/index.ts and src/tools.ts', () => {
    const offenders: string[] = [];
    for (const f of readdirSync('src/cli').filter((x) => x.endsWith('.ts'))) {
      for (const m of readFileSync(join('src/cli', f), 'utf8').matchAll(/^import[^;]*from '(\.\.\/[^']+)'/gm)) {
        if (m[1] !== '../index.js' && m[1] !== '../tools.js') offenders.push(`${f}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('src/contract/ does not reach into src/compile/ (contracts sit below compilation)', () => {
    const offenders = readdirSync('src/contract', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /from '(\.\.\/)+compile\//.test(readFileSync(join('src/contract', f), 'utf8')));
    expect(offenders).toEqual([]);
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
