/**
 * `witplug bindgen c`: the generated C compiles with -Wall -Wextra -Werror for
 * wasm32 (freestanding and wasi-libc), its types have the canonical-ABI layout
 * (checked by the `_Static_assert`s it carries), WIT names are mangled into
 * safe C identifiers, and a C plugin written on the bindings for the
 * every-kind identity world answers exactly as the WAT guest of that world.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import * as cBuilder from '../scripts/guest-builders/c.mjs';
import * as cWasiBuilder from '../scripts/guest-builders/c-wasi.mjs';
import { generateCBindings } from '../src/bindings/c/index.js';
import { loadContract } from '../src/contract/load.js';
import { loadPlugin, type Plugin } from '../src/runtime/load/load-plugin.js';
import { pluginInternals } from '../src/runtime/instance/plugin.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError } from '../src/errors.js';
import { CASES, FUNCS, identityWat, PAD, WIT } from './helpers/identity-world.js';
import { cli } from './helpers/cli.js';

const execFileAsync = promisify(execFile);
const C_AVAILABLE: boolean = await cBuilder.available();
const C_WASI_AVAILABLE: boolean = await cWasiBuilder.available();
const work = mkdtempSync(join(tmpdir(), 'witplug-bindgen-c-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let dirs = 0;
/** Writes `wit` into a fresh directory and generates the bindings for `world` next to it. */
async function generate(wit: string, world: string): Promise<{ dir: string; header: string; source: string }> {
  const dir = join(work, `w${dirs++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'world.wit'), wit);
  const b = generateCBindings(await loadContract(join(dir, 'world.wit'), world));
  writeFileSync(join(dir, b.header.name), b.header.text);
  writeFileSync(join(dir, b.source.name), b.source.text);
  return { dir, header: b.header.name, source: b.source.name };
}

const FREESTANDING = ['--target=wasm32', '-nostdlib', '-ffreestanding'];
const WASI_LIBC = ['--target=wasm32-wasi', '--sysroot=/usr'];

/** Compiles `files` (relative to `dir`) to an object file with -Werror; rejects with clang's message. */
async function compile(dir: string, target: string[], files: string[]): Promise<void> {
  for (const file of files) {
    await execFileAsync('clang', [...target, '-O2', '-Wall', '-Wextra', '-Werror', '-I', '.', '-c', file, '-o', `${file}.o`], {
      cwd: dir, env: cBuilder.clangEnv(), timeout: 60_000,
    });
  }
}

describe('generated C compiles with -Werror and has the canonical-ABI layout', () => {
  it.skipIf(!C_AVAILABLE)('every-kind identity world: freestanding and wasi-libc (the _Static_asserts check every layout)', async () => {
    const { dir, source } = await generate(WIT, 'identity');
    const text = readFileSync(join(dir, source), 'utf8');
    // One layout check per declared type, all of them on the wasm32 path that was compiled.
    expect(text.match(/_Static_assert\(sizeof/g)!.length).toBeGreaterThan(20);
    writeFileSync(join(dir, 'plugin.c'), readFileSync(join(import.meta.dirname, 'fixtures/bindgen-c/identity.c')));
    await compile(dir, FREESTANDING, [source, 'plugin.c']);
    await compile(dir, WASI_LIBC, [source, 'plugin.c']);
  }, 60_000);

  it.skipIf(!C_AVAILABLE)('a wrong layout would not compile: the checks are real', async () => {
    const { dir, source } = await generate('package t:l@0.1.0;\ninterface i { record r { a: u8, b: u64 } f: func(x: r); }\nworld w { export i; }\n', 'w');
    const text = readFileSync(join(dir, source), 'utf8');
    expect(text).toContain('_Static_assert(sizeof(t_l_i_r_t) == 16 && _Alignof(t_l_i_r_t) == 8');
    writeFileSync(join(dir, source), text.replace('sizeof(t_l_i_r_t) == 16', 'sizeof(t_l_i_r_t) == 12'));
    await expect(compile(dir, FREESTANDING, [source])).rejects.toThrow(/static_assert|static assertion/i);
  }, 60_000);

  it('is deterministic', async () => {
    const a = await generate(WIT, 'identity');
    const b = await generate(WIT, 'identity');
    expect(readFileSync(join(a.dir, a.source), 'utf8')).toBe(readFileSync(join(b.dir, b.source), 'utf8'));
    expect(readFileSync(join(a.dir, a.header), 'utf8')).toBe(readFileSync(join(b.dir, b.header), 'utf8'));
  });
});

describe('names', () => {
  const KEYWORDS = `package my-ns:kw-pkg@1.0.0;
interface %default {
  record %record { int: u32, default: string, ptr: u8, %static: bool }
  variant %union { case(u32), while, %break(string) }
  enum %enum { auto, register, %void }
  flags %flags { const, volatile }
  %return: func(%char: %record, %switch: %union, %do: %enum, goto: %flags) -> %record;
}
world %for { import %default; export %default; }
`;

  it.skipIf(!C_AVAILABLE)('WIT names that are C keywords or the bindings\' own member names are escaped, and the result compiles', async () => {
    const { dir, header, source } = await generate(KEYWORDS, 'for');
    const h = readFileSync(join(dir, header), 'utf8');
    expect(h).toContain('uint32_t int_;');
    expect(h).toContain('uint8_t ptr_;');
    expect(h).toContain('typedef struct my_ns_kw_pkg_default_record {');
    expect(h).toContain('#define MY_NS_KW_PKG_DEFAULT_UNION_WHILE 1');
    expect(h).toContain('my_ns_kw_pkg_default_record_t *char_, my_ns_kw_pkg_default_union_t *switch_, my_ns_kw_pkg_default_enum_t do_');
    expect(h).toMatch(/void exports_my_ns_kw_pkg_default_return\(/);
    await compile(dir, FREESTANDING, [source]);
  }, 60_000);

  it('two WIT types that would share a C name are refused (CONTRACT), not merged', async () => {
    const dir = join(work, 'collide');
    mkdirSync(join(dir, 'deps', 'b'), { recursive: true });
    writeFileSync(join(dir, 'world.wit'), 'package a:b-c@0.1.0;\ninterface d { record t { x: u32 } f: func(v: t); }\nworld w { import d; import a:b/c-d; }\n');
    writeFileSync(join(dir, 'deps', 'b', 'b.wit'), 'package a:b@0.1.0;\ninterface c-d { record t { y: string } g: func(v: t); }\n');
    const contract = await loadContract(dir, 'w');
    expect(() => generateCBindings(contract)).toThrow(expect.objectContaining({ code: 'CONTRACT', message: expect.stringMatching(/a_b_c_d_t_t/) }));
  });

  it('exported resources are refused with UNSUPPORTED (the generator has no handle table for them)', async () => {
    const dir = join(work, 'res');
    mkdirSync(dir);
    writeFileSync(join(dir, 'world.wit'), 'package t:r@0.1.0;\ninterface i { resource c { get: func() -> u32; } }\nworld w { export i; }\n');
    const contract = await loadContract(dir, 'w');
    expect(() => generateCBindings(contract)).toThrow(WitplugError);
    expect(() => generateCBindings(contract)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
  });
});

describe('imported resources', () => {
  const WIT_FILES = `package t:h@0.1.0;
interface files {
  resource file { constructor(name: string); size: func() -> u64; open: static func(name: string) -> option<file>; }
  take: func(f: file);
}
world w { import files; export run: func(name: string) -> u64; }
`;
  // Opens a second handle through the static function and drops it; gives the first to `take`.
  const PLUGIN = `#include "w.h"
uint64_t exports_w_run(w_string_t *name) {
  t_h_files_own_file_t f = t_h_files_constructor_file(name);
  t_h_files_borrow_file_t b = { f.handle };
  uint64_t n = t_h_files_method_file_size(b);
  w_option_t_h_files_own_file_t other;
  t_h_files_static_file_open(name, &other);
  if (other.is_some) {
    n += 1000;
    t_h_files_file_drop_own(other.val);
  }
  t_h_files_take(f);
  w_string_free(name);
  return n;
}
`;

  it.skipIf(!C_AVAILABLE)('handles are structs of one i32 with a drop wrapper, and a C plugin creates, borrows, drops and passes them on', async () => {
    const { dir, header } = await generate(WIT_FILES, 'w');
    const h = readFileSync(join(dir, header), 'utf8');
    expect(h).toContain('t_h_files_own_file_t t_h_files_constructor_file(w_string_t *name);');
    expect(h).toContain('uint64_t t_h_files_method_file_size(t_h_files_borrow_file_t self);');
    expect(h).toContain('void t_h_files_file_drop_own(t_h_files_own_file_t handle);');
    writeFileSync(join(dir, 'plugin.c'), PLUGIN);
    await cBuilder.build({ sourceFiles: [join(dir, 'plugin.c')], witDir: join(dir, 'world.wit'), world: 'w', outFile: join(dir, 'w.wasm'), bindgen: true });
    class File { constructor(readonly name: string) {} }
    const dropped: string[] = [];
    const taken: string[] = [];
    const host = {
      't:h/files': {
        '[constructor]file': (name: string) => new File(name),
        '[method]file.size': (self: File) => BigInt(self.name.length),
        '[static]file.open': (name: string) => (name.startsWith('a') ? new File(`opened ${name}`) : null),
        '[resource-drop]file': (self: File) => void dropped.push(self.name),
        take: (f: File) => void taken.push(f.name),
      },
    };
    const plugin = await loadPlugin(readFileSync(join(dir, 'w.wasm')), { name: 'files-c', cache: new CompileCache(null), log: () => {}, host });
    expect(plugin.call('run', ['abc'])).toBe(1003n);
    expect(plugin.call('run', ['xy'])).toBe(2n);
    expect(dropped).toEqual(['opened abc']);
    expect(taken).toEqual(['abc', 'xy']);
  }, 60_000);
});

describe('a world including WASI (wasi:cli/imports, from jco\'s WIT)', () => {
  it.skipIf(!C_AVAILABLE)('compiles with -Werror; resources are named after the interface defining them, not the first one using them', async () => {
    const dir = join(work, 'wasi');
    const wasiWit = join(import.meta.dirname, '..', 'node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12');
    for (const pkg of readdirSync(wasiWit)) cpSync(join(wasiWit, pkg), join(dir, 'deps', pkg), { recursive: true });
    writeFileSync(join(dir, 'p.wit'), 'package acme:p@0.1.0;\ninterface api { greet: func(name: string) -> string; }\nworld plug {\n  include wasi:cli/imports@0.2.12;\n  export api;\n}\n');
    const b = generateCBindings(await loadContract(dir, 'plug'));
    writeFileSync(join(dir, b.header.name), b.header.text);
    writeFileSync(join(dir, b.source.name), b.source.text);
    expect(b.header.text).toContain('void wasi_io_poll_pollable_drop_own(wasi_io_poll_own_pollable_t handle);');
    expect(b.header.text).toContain('typedef struct wasi_io_streams_own_input_stream {');
    await compile(dir, FREESTANDING, [b.source.name]);
    await compile(dir, WASI_LIBC, [b.source.name]);
  }, 60_000);
});

describe('a C plugin on the generated bindings answers as the WAT guest does, for every type kind', () => {
  let c: Plugin;
  let cFlat: Plugin;
  /** Built with wasi-libc: malloc/free instead of the bump region, so every free path really frees. */
  let cLibc: Plugin | null = null;
  let wat: Plugin;
  const host = { 'test:identity/host': Object.fromEntries(FUNCS.map(([name]) => [name, (x: unknown) => x])) };

  beforeAll(async () => {
    if (!C_AVAILABLE) return;
    const dir = join(work, 'identity');
    mkdirSync(dir);
    writeFileSync(join(dir, 'identity.wit'), WIT);
    // The same functions without `pad`: arguments as flat values (lifted by the export
    // wrappers, lowered by the import wrappers) instead of a tuple in memory.
    mkdirSync(join(dir, 'flat'));
    writeFileSync(join(dir, 'flat', 'identity.wit'), WIT.replace(/, pad: pad/g, ''));
    const fixture = (f: string): string => join(import.meta.dirname, 'fixtures/bindgen-c', f);
    const build = async (source: string, wit: string, out: string): Promise<Uint8Array> => {
      await cBuilder.build({ sourceFiles: [fixture(source)], witDir: wit, world: 'identity', outFile: join(dir, out), bindgen: true });
      return readFileSync(join(dir, out));
    };
    const cache = new CompileCache(null);
    c = await loadPlugin(await build('identity.c', join(dir, 'identity.wit'), 'c.wasm'), { name: 'identity-c', cache, log: () => {}, host });
    cFlat = await loadPlugin(await build('identity-flat.c', join(dir, 'flat'), 'c-flat.wasm'), { name: 'identity-c-flat', cache, log: () => {}, host });
    if (C_WASI_AVAILABLE) {
      const out = join(dir, 'c-libc.wasm');
      await cWasiBuilder.build({ sourceFiles: [fixture('identity.c')], witDir: join(dir, 'identity.wit'), world: 'identity', outFile: out, bindgen: true });
      const grant = { imports: ['wasi:io/*', 'wasi:cli/*', 'wasi:clocks/*', 'wasi:filesystem/*'] };
      cLibc = await loadPlugin(readFileSync(out), { name: 'identity-c-libc', cache, log: () => {}, host, grant });
    }
    const watBytes = await componentNew(await componentEmbed({ binary: await parse(identityWat()), witSource: WIT, world: 'identity' }));
    wat = await loadPlugin(watBytes, { name: 'identity-wat', cache, log: () => {}, host });
  }, 120_000);

  it.skipIf(!C_AVAILABLE).each(CASES)('%s: id and fwd (through the import wrappers), spilled and flat, equal the argument and the WAT answer', (name, arb, spilled) => {
    const args = (v: unknown): unknown[] => (spilled ? [v, PAD] : [v]);
    const fast = pluginInternals(c).fastFn(`id#${name}`);
    expect(fast, 'the C plugin keeps witplug\'s generated call path').not.toBeNull();
    fc.assert(
      fc.property(arb, (v) => {
        const expected = wat.call(`id#${name}`, args(v));
        expect(c.call(`id#${name}`, args(v))).toEqual(expected);
        expect(c.call(`fwd#${name}`, args(v))).toEqual(expected);
        expect(cFlat.call(`id#${name}`, [v])).toEqual(expected);
        expect(cFlat.call(`fwd#${name}`, [v])).toEqual(expected);
        if (cLibc) {
          expect(cLibc.call(`id#${name}`, args(v))).toEqual(expected);
          expect(cLibc.call(`fwd#${name}`, args(v))).toEqual(expected);
        }
        expect(expected).toEqual(v);
      }),
      { numRuns: 40 },
    );
  });

  it.runIf(C_AVAILABLE)('the wasi-libc build is part of the comparison wherever wasi-libc is installed', () => {
    expect(cLibc !== null).toBe(C_WASI_AVAILABLE);
  });

  it.skipIf(!C_AVAILABLE)('large values: a 1 MiB byte list and 5000 strings, repeatedly (the bump region is reset per call; libc memory is freed)', () => {
    const big = new Uint8Array(1 << 20).map((_, i) => i * 7);
    const strings = Array.from({ length: 5000 }, (_, i) => `s${i}-ä😀`);
    for (let i = 0; i < 20; i++) {
      expect(Buffer.from(c.call('id#id-bytes', [big, PAD]) as Uint8Array).equals(big)).toBe(true);
      expect(c.call('fwd#id-strings', [strings, PAD])).toEqual(strings);
      if (cLibc) expect(cLibc.call('fwd#id-strings', [strings, PAD])).toEqual(strings);
    }
  }, 60_000);
});

describe('witplug bindgen c (CLI)', () => {
  const { witplug } = cli(join(work, 'cache'));

  it('writes <world>.h and <world>.c into the directory and prints their paths', async () => {
    const out = join(work, 'cli-out', 'nested');
    const r = await witplug('bindgen', 'c', '--wit', 'wit', '--world', 'gateway-plugin', '-o', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([join(out, 'gateway_plugin.h'), join(out, 'gateway_plugin.c')]);
    expect(readFileSync(join(out, 'gateway_plugin.h'), 'utf8')).toContain('void exports_witplug_gateway_filter_check(witplug_gateway_types_request_t *req, witplug_gateway_types_decision_t *ret);');
  });

  it('an unknown language or world is a usage / contract error (exit 2)', async () => {
    const lang = await witplug('bindgen', 'cobol', '--wit', 'wit', '--world', 'gateway-plugin', '-o', join(work, 'x'));
    expect(lang.code).toBe(2);
    expect(lang.stderr).toMatch(/\[USAGE\].*no bindings generator for "cobol"/);
    const world = await witplug('bindgen', 'c', '--wit', 'wit', '--world', 'nope', '-o', join(work, 'x'));
    expect(world.code).toBe(2);
    expect(world.stderr).toMatch(/\[CONTRACT\].*world 'nope' not found/);
  });
});
