/**
 * A WAT guest of test/fixtures/services/counter.wit that keeps its counts in
 * `witplug:host/kv` and logs each hit through `witplug:host/log`, and the
 * contract it is admitted against (the fixture world next to a copy of the
 * repository's witplug:host package, in a temporary directory).
 */
import { cp, mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { loadContract, type Contract } from '../../src/contract/load.js';
import { CompileCache } from '../../src/compile/cache.js';
import { PluginHost } from '../../src/runtime/host/plugin-host.js';
import type { HostServices } from '../../src/runtime/services/services.js';
import { bumpAllocator } from './wat.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const C = 'test:svc/counter@0.1.0';
const KV = 'witplug:host/kv@0.1.0';

/** The WIT directory (world `counter-plugin`, with deps/host) in a fresh temporary directory. */
export async function servicesWitDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'witplug-services-wit-'));
  await mkdir(join(dir, 'deps'), { recursive: true });
  await cp(join(HERE, '..', '..', 'wit', 'deps', 'host'), join(dir, 'deps', 'host'), { recursive: true });
  await writeFile(join(dir, 'counter.wit'), await readFile(join(HERE, '..', 'fixtures', 'services', 'counter.wit')));
  return dir;
}

export async function servicesContract(witDir: string): Promise<Contract> {
  return loadContract(witDir, 'counter-plugin');
}

/** The counter guest; `step` is added to every new count (two builds differ in behaviour). */
export function counterWat(step = 0, refuseInit = false): string {
  // init's result<_, string> is returned through memory: tag at 80, the reason's pointer and length after it.
  const init = refuseInit
    ? `(data (i32.const 272) "not today")
  (func (export "init") (param i32 i32) (result i32)
    (i32.store8 (i32.const 80) (i32.const 1)) (i32.store (i32.const 84) (i32.const 272)) (i32.store (i32.const 88) (i32.const 9))
    (i32.const 80))`
    : '';
  return `(module
  (import "${KV}" "get" (func $get (param i32 i32 i32)))
  (import "${KV}" "set" (func $set (param i32 i32 i32 i32 i32)))
  (import "${KV}" "delete" (func $delete (param i32 i32) (result i32)))
  (import "${KV}" "list-keys" (func $list (param i32 i32 i32)))
  (import "witplug:host/log@0.1.0" "log" (func $log (param i32 i32 i32)))
${bumpAllocator(4096)}
  (data (i32.const 256) "hit")
  ;; return areas: get's option<list<u8>> at 16, the value to store at 32, set's result at 48, list-keys at 64
  (func (export "${C}#hit") (param $k i32) (param $kl i32) (result i32) (local $n i32)
    (call $get (local.get $k) (local.get $kl) (i32.const 16))
    (if (i32.eq (i32.load8_u (i32.const 16)) (i32.const 1))
      (then (local.set $n (i32.load (i32.load (i32.const 20))))))
    (local.set $n (i32.add (local.get $n) (i32.const ${1 + step})))
    (i32.store (i32.const 32) (local.get $n))
    (call $set (local.get $k) (local.get $kl) (i32.const 32) (i32.const 4) (i32.const 48))
    (if (i32.eq (i32.load8_u (i32.const 48)) (i32.const 1)) (then (return (i32.const 0))))
    (call $log (i32.const 2) (i32.const 256) (i32.const 3))
    (local.get $n))
  (func (export "${C}#forget") (param $k i32) (param $kl i32) (result i32)
    (call $delete (local.get $k) (local.get $kl)))
  (func (export "${C}#count-keys") (result i32)
    (call $list (i32.const 0) (i32.const 0) (i32.const 64))
    (i32.load (i32.const 68)))
  (func (export "${C}#boom") unreachable)
  ${init}
)`;
}

/** The guest as a component, embedded against `witDir`. */
export async function counterGuest(witDir: string, step = 0, refuseInit = false): Promise<Uint8Array> {
  // componentEmbed reads witPath through preview2-shim's filesystem, which starts with no preopens.
  const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
  (_setPreopens as unknown as (preopens: Record<string, string>) => void)({ '/': '/' });
  const { parse, componentEmbed, componentNew } = await import('@bytecodealliance/jco');
  const core = await parse(counterWat(step, refuseInit));
  return componentNew(await componentEmbed({ binary: core, witPath: witDir, world: refuseInit ? 'counter-plugin-refusing' : 'counter-plugin' }));
}

/**
 * The counter guest in a test file: builds it and its contract before the file's tests
 * (`beforeAll`) and closes every host made through `hostWith` after them. `hostWith(services,
 * names)` loads the guest under each name, its `counter#hit` behind a `collect` hook named `hit`.
 */
export function counterGuestFixture(): {
  readonly guest: () => Uint8Array;
  readonly contract: () => Contract;
  hostWith(services: HostServices | undefined, names: readonly string[]): Promise<PluginHost>;
} {
  let contract: Contract | undefined;
  let guest: Uint8Array | undefined;
  const cache = new CompileCache(null);
  const hosts: PluginHost[] = [];
  beforeAll(async () => {
    const wit = await servicesWitDir();
    contract = await servicesContract(wit);
    guest = await counterGuest(wit);
  }, 60_000);
  afterAll(() => {
    for (const h of hosts) h.close();
  });
  return {
    guest: () => guest!,
    contract: () => contract!,
    async hostWith(services, names) {
      const host = new PluginHost({ contract: contract!, cache, hooks: { hit: { target: 'counter#hit', kind: 'collect' } }, logger: () => {}, ...(services ? { services } : {}) });
      hosts.push(host);
      for (const name of names) await host.load(guest!, { name });
      return host;
    },
  };
}
