/**
 * Valid components that crash jco's transpiler (a Rust panic inside jco's own
 * wasm component) must fail with COMPILE and jco's message, and must not take
 * the transpiler down for the rest of the process: jco's crashed instance
 * refuses every later call ("cannot enter component instance"), so later
 * transpiles run in a fresh one. Fixtures: test/fixtures/jco-crash/*.wat.
 * Every test here runs in the same process, in order.
 */
import { describe, expect, it } from 'vitest';
import { parse } from '@bytecodealliance/jco';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transpileComponent, hostTranspilerCrashed } from '../src/compile/transpile.js';
import { loadContract } from '../src/contract/load.js';
import { admit } from '../src/admission/gate.js';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { panicText } from '../src/compile/transpiler-thread.js';

const DIR = join(process.cwd(), 'test', 'fixtures', 'jco-crash');
const wat = (name: string): Promise<Uint8Array> => parse(readFileSync(join(DIR, name), 'utf8'));

const CRASHERS = [
  'copy-utf16.wat',
  'core-module-import.wat',
  'iface-func-import.wat',
  'transcode-latin1-utf16-to-utf8.wat',
  'transcode-utf8-to-latin1-utf16.wat',
];

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { code: err.code ?? 'non-witplug', message: err.message ?? String(e) };
  }
  return { code: 'ok', message: '' };
}

describe('a plugin that crashes jco does not poison it for the process', () => {
  it('crash through loadPlugin: COMPILE with jco\'s panic message; then a good plugin loads and is called', async () => {
    const contract = await loadContract(join(DIR, 'run.wit'), 'plugin');
    const bad = await wat('copy-utf16.wat');
    // The gate has nothing against it: it only crashes the transpiler.
    expect(admit(bad, contract).accepted).toBe(true);
    const f = await failure(loadPlugin(bad, { contract, cache: null }));
    expect(f.code).toBe('COMPILE');
    expect(f.message).toMatch(/^jco \d+\.\d+\.\d+ crashed transpiling the component: panicked at \S+\.rs:\d+:\d+: not implemented: utf16 copier$/);
    expect(hostTranspilerCrashed()).toBe(true);

    const good = await loadPlugin(await wat('good.wat'), { contract, cache: null });
    const run = good.fn('run');
    run();
    run();
    await good.close();
  }, 120_000);

  it.each(CRASHERS)('%s: COMPILE naming jco\'s panic, and the next transpile succeeds', async (name) => {
    const f = await failure(transpileComponent(await wat(name)));
    expect(f.code).toBe('COMPILE');
    expect(f.message).toMatch(/crashed transpiling the component: panicked at \S+\.rs:\d+:\d+: \S/);
    const next = await transpileComponent(await wat('good.wat'));
    expect(next.glue).toContain('instantiate');
    expect(next.coreModules.size).toBeGreaterThan(0);
  }, 120_000);

  it('crashes back to back, then plugins load and are called', async () => {
    const contract = await loadContract(join(DIR, 'run.wit'), 'plugin');
    for (const name of ['transcode-latin1-utf16-to-utf8.wat', 'transcode-utf8-to-latin1-utf16.wat']) {
      expect((await failure(loadPlugin(await wat(name), { contract, cache: null }))).code).toBe('COMPILE');
    }
    const loaded = await Promise.all([1, 2, 3].map(async () => loadPlugin(await wat('good.wat'), { contract, cache: null })));
    for (const p of loaded) {
      p.fn('run')();
      await p.close();
    }
  }, 120_000);

  it('an ordinary jco refusal (not a crash) is still COMPILE with jco\'s message', async () => {
    // A component jco cannot describe (validation fails inside jco): not a crash.
    const bytes = await wat('good.wat');
    const truncated = bytes.subarray(0, bytes.length - 3);
    const f = await failure(transpileComponent(truncated));
    expect(f.code).toBe('COMPILE');
    expect(f.message).toMatch(/^jco could not transpile the component: /);
  }, 120_000);
});

describe('panicText', () => {
  it('keeps where and what of a Rust panic report', () => {
    const report = "\nthread '<unnamed>' (1) panicked at crates/js-component-bindgen/src/transpile_bindgen.rs:2987:62:\nnot implemented: utf16 copier\nstack backtrace:\nnote: Some details are omitted\n";
    expect(panicText(report)).toBe('panicked at crates/js-component-bindgen/src/transpile_bindgen.rs:2987:62: not implemented: utf16 copier');
    expect(panicText("thread 'x' panicked at /home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/wit-parser-0.259.0/src/decoding.rs:1229:55:\ninternal error\n"))
      .toBe('panicked at wit-parser-0.259.0/src/decoding.rs:1229:55: internal error');
    expect(panicText('no panic here')).toBeNull();
  });
});
