import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { WitplugError } from '../src/errors.js';

// The host implements api@1.0.0 (a); the plugin was built against api@1.1.0 (a, b).
const HOST_WIT = `package test:fc@1.0.0;
interface api { a: func() -> u32; }
interface hooks { use-a: func() -> u32; use-b: func() -> u32; }
world plugin { import api; export hooks; }`;
const PLUGIN_WIT = HOST_WIT.replace('@1.0.0', '@1.1.0').replace('a: func() -> u32; }', 'a: func() -> u32; b: func() -> u32; }');
const PLUGIN_WAT = `(module
  (import "test:fc/api@1.1.0" "a" (func $a (result i32)))
  (import "test:fc/api@1.1.0" "b" (func $b (result i32)))
  (memory (export "memory") 1)
  (func (export "test:fc/hooks@1.1.0#use-a") (result i32) (call $a))
  (func (export "test:fc/hooks@1.1.0#use-b") (result i32) (call $b)))`;

const cache = new CompileCache(null);
let contract: Contract;
let bytes: Uint8Array;
const host = { 'test:fc/api@1.0.0': { a: () => 7 } };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-fc-'));
  writeFileSync(join(dir, 'host.wit'), HOST_WIT);
  contract = await loadContract(join(dir, 'host.wit'), 'plugin');
  bytes = await componentNew(await componentEmbed({ binary: await parse(PLUGIN_WAT), witSource: PLUGIN_WIT, world: 'plugin' }));
}, 60_000);

describe('missingImports: a plugin built against a newer minor of a host interface', () => {
  it("'reject' (default): refused, naming the function the host lacks", async () => {
    const e = await loadPlugin(bytes, { contract, cache, host }).then(() => null, (x: unknown) => x as WitplugError);
    expect(e?.code).toBe('REJECTED');
    const report = (e?.details as { report: { problems: { code: string; path: string }[] } }).report;
    expect(report.problems.map((p) => [p.code, p.path])).toEqual([['IMPORT_MISMATCH', 'import test:fc/api@1.1.0 > func b']]);
  });

  it("'trap': admitted with a MISSING_IMPORT note; the present function works, the missing one fails with UNSUPPORTED naming it, and the plugin is not blamed", async () => {
    const plugin = await loadPlugin(bytes, { contract, cache, host, missingImports: 'trap', health: { maxTraps: 2 } });
    expect(plugin.fn('hooks#use-a')()).toBe(7);
    for (let i = 0; i < 3; i++) {
      try {
        plugin.fn('hooks#use-b')();
        expect.unreachable();
      } catch (e) {
        expect((e as WitplugError).code).toBe('UNSUPPORTED');
        expect((e as WitplugError).message).toContain('test:fc/api@1.1.0#b');
      }
    }
    expect(plugin.disabledReason).toBeNull();
    expect(plugin.fn('hooks#use-a')()).toBe(7);
  });
});
