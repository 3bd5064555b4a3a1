/**
 * The C and WAT guest builders (scripts/guest-builders/{c,wat}.mjs) produce valid components
 * with the right world: gateway guests in C and WAT, the committed prebuilt C component, and
 * the acme:calc fixture (a package other than witplug:gateway).
 *
 * Behaviour (what check/shape/observe return) is covered by the end-to-end runtime tests; here
 * we check the component-level contract: exports, imports, no WASI, metadata, reproducibility.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentWit } from '@bytecodealliance/jco';
import * as cBuilder from '../scripts/guest-builders/c.mjs';
import * as watBuilder from '../scripts/guest-builders/wat.mjs';

const ROOT = process.cwd();
const WIT_DIR = join(ROOT, 'wit');
const C_AVAILABLE: boolean = await cBuilder.available();

const GATEWAY_EXPORTS = [
  'export witplug:gateway/filter@0.1.0;',
  'export witplug:gateway/shaper@0.1.0;',
  'export witplug:gateway/observer@0.1.0;',
];
const GATEWAY_IMPORTS = ['import witplug:host/log@0.1.0;', 'import witplug:host/config@0.1.0;'];

let work = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'witplug-guests-native-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function isComponent(bytes: Uint8Array): boolean {
  // \0asm, version 0x0d 0x00, layer 0x01 0x00
  return bytes.length > 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73
    && bytes[3] === 0x6d && bytes[4] === 0x0d && bytes[6] === 0x01 && bytes[7] === 0x00;
}

async function worldOf(file: string): Promise<string> {
  const bytes = new Uint8Array(readFileSync(file));
  expect(isComponent(bytes)).toBe(true);
  return componentWit(bytes);
}

async function expectGatewayWorld(file: string): Promise<void> {
  const wit = await worldOf(file);
  for (const line of [...GATEWAY_EXPORTS, ...GATEWAY_IMPORTS]) expect(wit).toContain(line);
  // The contract offers no WASI: nothing from libc or a runtime may leak into the component.
  expect(wit).not.toMatch(/wasi:/);
  const exportLines = wit.split('\n').filter((l) => l.trim().startsWith('export '));
  expect(exportLines).toHaveLength(3);
}

function countOccurrences(haystack: Uint8Array, needle: string): number {
  const buf = Buffer.from(haystack);
  let n = 0;
  for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + 1)) n++;
  return n;
}

describe('wat builder', () => {
  it('is available and names its tool version', async () => {
    expect(await watBuilder.available()).toBe(true);
    expect(watBuilder.toolVersion).toMatch(/^jco \d+\.\d+\.\d+/);
  });

  it('builds the WAT gateway guest into a gateway-plugin component', async () => {
    const outFile = join(work, 'gateway-wat.wasm');
    const { size } = await watBuilder.build({
      sourceFiles: [join(ROOT, 'guests/wat/gateway.wat')],
      witDir: WIT_DIR,
      world: 'gateway-plugin',
      outFile,
    });
    expect(size).toBe(readFileSync(outFile).length);
    await expectGatewayWorld(outFile);
  });

  it('builds the acme:calc fixture from its own WIT file', async () => {
    const outFile = join(work, 'calc.wasm');
    await watBuilder.build({
      sourceFiles: [join(ROOT, 'guests/wat-fixture/calc.wat')],
      witDir: join(ROOT, 'guests/wat-fixture/calc.wit'),
      world: 'calc',
      outFile,
    });
    const wit = await worldOf(outFile);
    expect(wit).toContain('export acme:calc/work@1.2.3;');
    expect(wit).toContain('export version: func() -> string;');
    expect(wit).not.toMatch(/witplug:|wasi:|import /);
  });

  it('appends the witplug-metadata section to the component when metadata is given', async () => {
    const metadata = { name: 'gw-wat', version: '9.9.9', description: 'd', usage: 'u ü' };
    const withMeta = join(work, 'meta.wasm');
    const without = join(work, 'nometa.wasm');
    const common = { sourceFiles: [join(ROOT, 'guests/wat/gateway.wat')], witDir: WIT_DIR, world: 'gateway-plugin' };
    await watBuilder.build({ ...common, outFile: withMeta, metadata });
    await watBuilder.build({ ...common, outFile: without });
    const a = new Uint8Array(readFileSync(withMeta));
    const b = new Uint8Array(readFileSync(without));
    expect(countOccurrences(b, 'witplug-metadata')).toBe(0);
    expect(countOccurrences(a, 'witplug-metadata')).toBe(1);
    // The component is the metadata-less one plus a trailing custom section.
    expect(Buffer.from(a.subarray(0, b.length)).equals(Buffer.from(b))).toBe(true);
    const tail = Buffer.from(a.subarray(b.length)).toString('utf8');
    expect(tail).toContain(JSON.stringify(metadata));
    await expectGatewayWorld(withMeta);
  });

  it('rejects invalid WAT with an error naming the file', async () => {
    const bad = join(work, 'bad.wat');
    writeFileSync(bad, '(module (func (export "f") (result i32)');  // unbalanced parentheses
    await expect(watBuilder.build({ sourceFiles: [bad], witDir: WIT_DIR, world: 'gateway-plugin', outFile: join(work, 'bad.wasm') }))
      .rejects.toThrow(/bad\.wat/);
  });

  it('rejects a module that does not implement the world', async () => {
    const calc = join(ROOT, 'guests/wat-fixture/calc.wat');
    await expect(watBuilder.build({ sourceFiles: [calc], witDir: WIT_DIR, world: 'gateway-plugin', outFile: join(work, 'mismatch.wasm') }))
      .rejects.toThrow();
  });
});

describe('c builder', () => {
  // `npm run setup` installs clang; in CI a missing toolchain is a failure, not a skip. Elsewhere
  // (a non-root machine without clang) the C-only tests below are skipped and say so.
  it.runIf(process.env['CI'] !== undefined || C_AVAILABLE)('is installed and names clang as its tool', () => {
    expect(C_AVAILABLE, 'clang/wasm-ld/wasi-libc missing: run npm run setup as root').toBe(true);
    expect(cBuilder.toolVersion).toMatch(/clang/i);
  });

  it.skipIf(!C_AVAILABLE)('builds the C gateway guest into a gateway-plugin component, reproducibly', async () => {
    const common = { sourceFiles: [join(ROOT, 'guests/c/gateway.c')], witDir: WIT_DIR, world: 'gateway-plugin', bindgen: true };
    const first = join(work, 'gateway-c-1.wasm');
    const second = join(work, 'gateway-c-2.wasm');
    await cBuilder.build({ ...common, outFile: first });
    await cBuilder.build({ ...common, outFile: second });
    await expectGatewayWorld(first);
    const a = readFileSync(first);
    expect(a.equals(readFileSync(second))).toBe(true);
    // No build paths baked in (the prebuilt copy is compared across machines).
    expect(a.includes(ROOT)).toBe(false);
    expect(a.includes(tmpdir())).toBe(false);
  });

  it.skipIf(!C_AVAILABLE)('the committed guests/prebuilt/gateway-c.wasm is byte for byte what build:guests makes from source', () => {
    const out = mkdtempSync(join(tmpdir(), 'witplug-prebuilt-check-'));
    execFileSync(process.execPath, ['scripts/build-guests.mjs', '--only', 'gateway-c', '--force', '--out', out], { cwd: ROOT, stdio: 'pipe' });
    const fresh = readFileSync(join(out, 'gateway-c.wasm'));
    const committed = readFileSync(join(ROOT, 'guests/prebuilt/gateway-c.wasm'));
    // If this fails after editing guests/c/gateway.c: copy the fresh build over the prebuilt.
    expect(fresh.equals(committed)).toBe(true);
  }, 60_000);

  it.skipIf(!C_AVAILABLE)('reports clang errors', async () => {
    const bad = join(work, 'bad.c');
    writeFileSync(bad, 'int f(void) { return undefined_symbol; }\n');
    await expect(cBuilder.build({ sourceFiles: [bad], witDir: WIT_DIR, world: 'gateway-plugin', outFile: join(work, 'bad-c.wasm') }))
      .rejects.toThrow(/clang failed/);
  });
});

describe('prebuilt C guest', () => {
  it('guests/prebuilt/gateway-c.wasm is a gateway-plugin component (usable without clang)', async () => {
    await expectGatewayWorld(join(ROOT, 'guests/prebuilt/gateway-c.wasm'));
  });
});
