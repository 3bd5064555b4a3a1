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
        "BUILD_STAMP",
        "CompileCache",
        "DEFAULT_CACHE_MAX_BYTES",
        "DEFAULT_MAX_OUTPUT_BYTES",
        "ErrorCodes",
        "IsolatedPlugin",
        "METADATA_SECTION",
        "NoteCodes",
        "Plugin",
        "PluginHost",
        "PluginResource",
        "ShapeCache",
        "VERSION",
        "WitplugError",
        "addPluginMetadata",
        "admit",
        "admitShape",
        "bindExports",
        "clearContractCache",
        "decodeComponent",
        "defaultCacheDir",
        "findPluginMetadata",
        "fingerprintFunc",
        "fingerprintInterface",
        "fingerprintValType",
        "fromJson",
        "generateBindings",
        "isGranted",
        "isWitplugError",
        "loadContract",
        "loadPlugin",
        "parseGrant",
        "prepare",
        "pruneCache",
        "readGrantManifest",
        "scanCache",
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
