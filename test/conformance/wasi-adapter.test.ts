/**
 * A libc toolchain's component (guests/c-wasi: C + wasi-libc + the WASI
 * preview1 adapter): main module, adapter module, wit-component's shim and
 * fixup, `_initialize`, WASI 0.2 imports the world never mentions. What
 * wasi-sdk + wit-bindgen, cargo-component and TinyGo produce. It must decode,
 * be admitted by a contract that offers its WASI imports, link through
 * preview2-shim under a grant, and answer the same through witplug's calls
 * and jco's bindings.
 */
import { pluginInternals } from '../../src/runtime/instance/plugin.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { admit, loadContract, loadPlugin, CompileCache, type Contract } from '../../src/index.js';
import { decodeComponent } from '../../src/component/decode.js';
import { failure } from './helpers.js';

const GUEST = resolve('guests/dist/greeter-c-wasi.wasm');
const WASI_WIT = resolve('node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12');
const GRANT = { imports: ['wasi:io/*', 'wasi:cli/*', 'wasi:clocks/*', 'wasi:filesystem/*'] };
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-wasi-adapter-')));
let bytes: Uint8Array;
let hostContract: Contract;

/** The host's contract: the greeter world plus everything wasi:cli/imports offers (WASI WIT from jco's package). */
async function contractOfferingWasi(): Promise<Contract> {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-wasi-contract-'));
  for (const pkg of readdirSync(WASI_WIT)) cpSync(join(WASI_WIT, pkg), join(dir, 'deps', pkg), { recursive: true });
  cpSync(resolve('guests/c-wasi/wit/greeter.wit'), join(dir, 'deps', 'greeter', 'greeter.wit'));
  writeFileSync(join(dir, 'host.wit'), `package acme:host@0.1.0;
world greeter-host {
  include wasi:cli/imports@0.2.12;
  export acme:greeter/api@0.1.0;
}
`);
  return loadContract(dir, 'greeter-host');
}

beforeAll(async () => {
  bytes = new Uint8Array(readFileSync(GUEST));
  hostContract = await contractOfferingWasi();
}, 120_000);

describe('a libc component with the WASI preview1 adapter', () => {
  it('decodes: WASI 0.2 imports from the adapter, lifts from the C module', () => {
    const d = decodeComponent(bytes);
    const imports = d.shape.imports.map((i) => i.name);
    expect(imports).toContain('wasi:cli/stdout@0.2.12');
    expect(imports).toContain('wasi:io/streams@0.2.12');
    expect(d.shape.exports.map((e) => e.name)).toEqual(['acme:greeter/api@0.1.0']);
    expect(d.coreModules.length).toBeGreaterThanOrEqual(3); // main, adapter, shim, fixup
    expect(d.liftSource?.names).toEqual(['acme:greeter/api@0.1.0#greet', 'acme:greeter/api@0.1.0#calls']);
  });

  it('is admitted by a contract that offers its WASI imports; its bare world does not offer them', async () => {
    expect(admit(bytes, hostContract).accepted).toBe(true);
    const bare = await loadContract('guests/c-wasi/wit', 'greeter');
    const report = admit(bytes, bare);
    expect(report.accepted).toBe(false);
    expect(new Set(report.problems.map((p) => p.code))).toEqual(new Set(['EXTRA_IMPORT']));
  });

  it('without a WASI grant it is refused before running (deny by default)', async () => {
    expect((await failure(loadPlugin(bytes, { contract: hostContract, cache, log: () => {} }))).code).toBe('REJECTED');
  });

  it('links through the glue and preview2-shim; witplug\'s calls and jco\'s bindings agree and share state', async () => {
    const p = await loadPlugin(bytes, { contract: hostContract, grant: GRANT, cache, log: () => {} });
    expect(p.instantiation).toBe('jco'); // the adapter is a second real module
    expect(pluginInternals(p).fastFn('api#greet')).not.toBeNull(); // calls still take the generated path, on the C module's instance
    expect(p.call('api#greet', ['ann'])).toBe('hello, ann');
    expect(pluginInternals(p).jcoFn('api#greet')('bob')).toBe('hello, bob');
    expect(p.call('api#greet', ['ünïcödé ✓'])).toBe('hello, ünïcödé ✓');
    expect(p.call('api#calls', [])).toBe(3);
    expect(pluginInternals(p).jcoFn('api#calls')()).toBe(3);
    await p.close();
  });

  it('writes to stdout through wasi:cli/stdout (a separate process, to read it)', () => {
    const script = `
      const { loadPlugin, CompileCache } = await import(${JSON.stringify(resolve('dist/index.js'))});
      const p = await loadPlugin(${JSON.stringify(GUEST)}, { cache: new CompileCache(null), grant: ${JSON.stringify(GRANT)}, log: () => {} });
      p.call('api#greet', ['ann']);
      p.call('api#greet', ['bob']);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toBe('greeting ann (call 1)\ngreeting bob (call 2)\n');
  });
});
