/**
 * scripts/build-guests.mjs: caching by input hash, --only/--out/--root/--force/--check, failure
 * reporting, and the shared `witplug-metadata` section helper.
 *
 * Nothing here builds the JavaScript guest from scratch (~15 s): the real-repo test requires the
 * cache to be warm already (`npm run build:guests`, which `pretest` runs) and checks that first.
 * Rebuild behaviour is exercised on a temp copy of a tiny WAT guest, the cheap builder.
 */
import { describe, expect, it } from 'vitest';
import { run } from './helpers/run.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addPluginMetadata, parsePluginMetadata } from '../src/component/plugin-metadata.js';
import { decodeComponent } from '../src/component/decode.js';
import { appendMetadataSection, encodeMetadataSection } from '../scripts/guest-builders/metadata.mjs';

const ROOT = process.cwd();
const SCRIPT = join(ROOT, 'scripts', 'build-guests.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

async function build(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = performance.now();
  const r = await run(process.execPath, [SCRIPT, ...args], {
    cwd: ROOT,
    env: { ...process.env, WITPLUG_GUESTS_OUT: '', WITPLUG_GUESTS_ROOT: '', ...env },
    timeoutMs: 120_000,
  });
  return { ...r, ms: performance.now() - started };
}

interface Stamp {
  inputHash: string;
  outputSha256: string;
  size: number;
  via: string;
}
const readStamp = (file: string): Stamp => JSON.parse(readFileSync(file, 'utf8')) as Stamp;

// A private fixture (not guests/wat-fixture) so the test does not depend on that guest's contents.
const CALC_WIT = `package witplug:calc-test;

world calc {
  export add: func(a: u32, b: u32) -> u32;
}
`;
const CALC_WAT = `(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add))
`;

function tempRoot(wat = CALC_WAT): string {
  const root = mkdtempSync(join(tmpdir(), 'witplug-build-guests-'));
  mkdirSync(join(root, 'guests', 'wat-fixture'), { recursive: true });
  writeFileSync(join(root, 'guests', 'wat-fixture', 'calc.wit'), CALC_WIT);
  writeFileSync(join(root, 'guests', 'wat-fixture', 'calc.wat'), wat);
  return root;
}

/** The payload of the last `witplug-metadata` custom section, found by a top-level section walk. */
/** The `witplug-metadata` payload, read by witplug's own component decoder. */
function metadataPayload(bytes: Uint8Array): Uint8Array | null {
  return decodeComponent(bytes).customSections.find((c) => c.name === 'witplug-metadata')?.data ?? null;
}

describe('build-guests: the repository cache', () => {
  it('a second run over the warm cache rebuilds nothing', async () => {
    // Guard: never let this test pay for a cold JS build.
    const js = await build(['--check', '--only', 'gateway-js']);
    if (js.code !== 0) {
      throw new Error(`guests/dist/gateway-js.wasm is not built or stale; run \`npm run build:guests\` first\n${js.stdout}${js.stderr}`);
    }
    const first = await build([]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const second = await build([]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('gateway-js: up to date (cached)');
    expect(second.stdout.trim().split('\n').at(-1)).toBe('nothing to rebuild');
    expect(second.ms).toBeLessThan(5_000);
  });

  it('rejects unknown guests and arguments with exit code 2', async () => {
    const r = await build(['--only', 'no-such-guest']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown guest\(s\): no-such-guest/);
    expect((await build(['--frobnicate'])).code).toBe(2);
  });
});

describe('build-guests: caching a WAT guest copy', () => {
  it('builds, caches, rebuilds on a changed source byte, and honours --force', async () => {
    const root = tempRoot();
    const out = join(root, 'out');
    const stampFile = join(out, 'calc-wat.stamp.json');
    const wasmFile = join(out, 'calc-wat.wasm');

    const cold = await build(['--root', root, '--out', out, '--only', 'calc-wat']);
    expect(cold.code, cold.stdout + cold.stderr).toBe(0);
    expect(cold.stdout).toMatch(/^calc-wat: built \d+(\.\d)? (B|KB) in \d+ ms$/m);
    const s1 = readStamp(stampFile);
    expect(s1.inputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(s1.via).toBe('built');
    expect(readFileSync(wasmFile).length).toBe(s1.size);

    // Every guest carries its self-description, whether or not the builder embedded it.
    const payload = metadataPayload(new Uint8Array(readFileSync(wasmFile)));
    expect(payload).not.toBeNull();
    const meta = parsePluginMetadata(payload!);
    expect(meta.error).toBeNull();
    expect(meta.metadata).toMatchObject({ name: 'calc-wat', version: '0.1.0' });

    // The output dir may also come from the environment.
    const warm = await build(['--root', root, '--only', 'calc-wat'], { WITPLUG_GUESTS_OUT: out });
    expect(warm.code, warm.stdout + warm.stderr).toBe(0);
    expect(warm.stdout).toContain('calc-wat: up to date (cached)');
    expect(warm.stdout.trim().split('\n').at(-1)).toBe('nothing to rebuild');
    expect(readStamp(stampFile).inputHash).toBe(s1.inputHash);

    // One changed source byte: add -> sub.
    writeFileSync(join(root, 'guests', 'wat-fixture', 'calc.wat'), CALC_WAT.replace('i32.add', 'i32.sub'));
    const changed = await build(['--root', root, '--out', out, '--only', 'calc-wat']);
    expect(changed.code, changed.stdout + changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/^calc-wat: built /m);
    const s2 = readStamp(stampFile);
    expect(s2.inputHash).not.toBe(s1.inputHash);
    expect(s2.outputSha256).not.toBe(s1.outputSha256);

    // A tampered output is not trusted even though the inputs did not change.
    writeFileSync(wasmFile, Buffer.concat([readFileSync(wasmFile), Buffer.from([0])]));
    const tampered = await build(['--root', root, '--out', out, '--only', 'calc-wat']);
    expect(tampered.stdout).toMatch(/^calc-wat: built /m);

    const forced = await build(['--root', root, '--out', out, '--only', 'calc-wat', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/^calc-wat: built /m);
    expect(readStamp(stampFile).inputHash).toBe(s2.inputHash);

    const check = await build(['--root', root, '--out', out, '--only', 'calc-wat', '--check']);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('nothing to rebuild');
  });

  it('a WIT change invalidates the cache; --check reports it without building', async () => {
    const root = tempRoot();
    const out = join(root, 'out');
    expect((await build(['--root', root, '--out', out, '--only', 'calc-wat'])).code).toBe(0);
    const before = readStamp(join(out, 'calc-wat.stamp.json'));
    writeFileSync(join(root, 'guests', 'wat-fixture', 'calc.wit'), CALC_WIT.replace('world calc', '/// docs\nworld calc'));
    const check = await build(['--root', root, '--out', out, '--only', 'calc-wat', '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('would rebuild: calc-wat');
    expect(readStamp(join(out, 'calc-wat.stamp.json')).inputHash).toBe(before.inputHash);
  });

  it('a failing build exits non-zero, names the guest, and leaves no stamp', async () => {
    const root = tempRoot('(module (func (export "add") (param i32 i32) (result i32) i32.frobnicate))');
    const out = join(root, 'out');
    const r = await build(['--root', root, '--out', out, '--only', 'calc-wat']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/calc-wat: FAILED \(wat builder\)/);
    expect(existsSync(join(out, 'calc-wat.stamp.json'))).toBe(false);
    expect(existsSync(join(out, 'calc-wat.wasm'))).toBe(false);
  });
});

describe('build-guests: C prebuilt fallback', () => {
  it('copies the prebuilt when the C toolchain is not on PATH, and caches that copy', async () => {
    const root = mkdtempSync(join(tmpdir(), 'witplug-build-guests-c-'));
    mkdirSync(join(root, 'guests', 'c'), { recursive: true });
    mkdirSync(join(root, 'guests', 'prebuilt'), { recursive: true });
    mkdirSync(join(root, 'wit'), { recursive: true });
    writeFileSync(join(root, 'wit', 'world.wit'), 'package a:b;\nworld gateway-plugin {}\n');
    // Never compiled: without clang on PATH the builder is unavailable.
    writeFileSync(join(root, 'guests', 'c', 'gateway.c'), 'int x;\n');
    const prebuilt = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x78]);
    writeFileSync(join(root, 'guests', 'prebuilt', 'gateway-c.wasm'), prebuilt);
    const env = { PATH: join(root, 'no-such-bin') };
    const first = await build(['--root', root, '--only', 'gateway-c'], env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^gateway-c: c toolchain unavailable, copied prebuilt guests\/prebuilt\/gateway-c\.wasm/m);
    expect(Buffer.from(readFileSync(join(root, 'guests', 'dist', 'gateway-c.wasm')))).toEqual(Buffer.from(prebuilt));
    expect(readStamp(join(root, 'guests', 'dist', 'gateway-c.stamp.json')).via).toBe('prebuilt');
    const second = await build(['--root', root, '--only', 'gateway-c'], env);
    expect(second.stdout).toContain('gateway-c: up to date (cached, prebuilt)');
    expect(second.stdout).toContain('nothing to rebuild');
  });
});

describe('guest-builders/metadata.mjs', () => {
  const component = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
  const meta = { name: 'gateway-js', version: '0.1.0', description: 'd', usage: 'ü'.repeat(100) };

  it('writes exactly the bytes the host library writes and reads back', () => {
    const ours = appendMetadataSection(component, meta);
    expect(Buffer.from(ours)).toEqual(Buffer.from(addPluginMetadata(component, meta)));
    expect(Buffer.from(ours.subarray(0, 8))).toEqual(Buffer.from(component));
    const payload = metadataPayload(ours);
    expect(parsePluginMetadata(payload!).metadata).toEqual(meta);
    // The size LEB128 spans two bytes here (payload > 127 bytes).
    expect(encodeMetadataSection(meta)[1]! & 0x80).toBe(0x80);
  });

  it('refuses a core module and non-object metadata', () => {
    const core = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    expect(() => appendMetadataSection(core, meta)).toThrow(/not a component/);
    expect(() => appendMetadataSection(component, [1, 2] as unknown as Record<string, unknown>)).toThrow(/JSON object/);
  });
});
