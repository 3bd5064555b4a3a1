/**
 * The compile cache with real components (guests/dist/*.wasm) and real
 * processes: key fields, header checks with a reason naming the field,
 * integrity (a tampered entry is rebuilt, never executed), cross-process hits,
 * concurrent writers, counters, default location.
 *
 * The child-process cases run `dist/index.js`: build first (`npx tsc -p tsconfig.json`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CompileCache, defaultCacheDir } from '../src/compile/cache.js';
import {
  ARTIFACT_FORMAT, KEY_FIELDS, decodeArtifact, encodeArtifact, sha256Hex, type ArtifactKeyFields,
} from '../src/compile/artifact.js';
import { JCO_VERSION, TRANSPILE_OPTIONS } from '../src/compile/transpile.js';
import { VERSION } from '../src/version.js';
import { loadPlugin, type Plugin } from '../src/runtime/load/load-plugin.js';
import { instrumentCoreModule } from '../src/compile/instrument.js';
import { ErrorCodes, WitplugError } from '../src/errors.js';

const GATEWAY = resolve('guests/dist/gateway-wat.wasm');
const CALC = resolve('guests/dist/calc-wat.wasm');
const DIST = resolve('dist/index.js');
const silent = (): void => {};

let calcBytes: Uint8Array;
let gatewayBytes: Uint8Array;

beforeAll(() => {
  for (const p of [GATEWAY, CALC]) if (!existsSync(p)) throw new Error(`${p} missing: run npm run build:guests`);
  calcBytes = readFileSync(CALC);
  gatewayBytes = readFileSync(GATEWAY);
});

const tempDir = (tag: string): string => mkdtempSync(join(tmpdir(), `witplug-cc-${tag}-`));
const entries = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.wpa'));
const onlyEntry = (dir: string): string => {
  const list = entries(dir);
  expect(list, `entries in ${dir}: ${readdirSync(dir).join(', ')}`).toHaveLength(1);
  return join(dir, list[0]!);
};

/** Rewrites the header of a real entry of `component` (keeping its real blobs and a valid integrity hash). */
function rewriteHeader(path: string, change: Partial<ArtifactKeyFields>, component: Uint8Array = calcBytes): void {
  const { header, blobs } = decodeArtifact(readFileSync(path), component);
  writeFileSync(path, encodeArtifact({ ...header, ...change }, blobs, component));
}

/** Loads calc through the real loader with `cache` and checks a call works. */
async function loadCalc(cache: CompileCache): Promise<Plugin> {
  // No deadline: the plain (uninstrumented) variant, the entry `cache.compile(calcBytes)` makes.
  const plugin = await loadPlugin(calcBytes, { name: 'calc', cache, log: silent, limits: { timeoutMs: 0 } });
  expect(plugin.call('work#add', [4294967295, 3])).toBe(2);
  expect(plugin.call('work#echo', ['grüße 🎉'])).toBe('grüße 🎉');
  return plugin;
}

describe('entry keys and header', () => {
  it('an entry records component hash, witplug and jco versions, options and contract fingerprint', async () => {
    const dir = tempDir('key');
    const cache = new CompileCache(dir);
    const a = await cache.compile(gatewayBytes, { contractFingerprint: 'fp-1', variant: { fuel: true } });
    expect(a.source).toBe('miss');
    const { header, blobs } = decodeArtifact(readFileSync(onlyEntry(dir)), gatewayBytes);
    expect(header).toMatchObject({
      format: ARTIFACT_FORMAT,
      witplugVersion: VERSION,
      jcoVersion: JCO_VERSION,
      componentHash: sha256Hex(gatewayBytes),
      contractFingerprint: 'fp-1',
    });
    expect(JCO_VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(JSON.parse(header.options)).toEqual({ transpile: { ...TRANSPILE_OPTIONS }, variant: { fuel: true } });
    expect([...blobs.keys()]).toContain('glue.js');
    expect([...blobs.keys()].some((k) => k.endsWith('.wasm'))).toBe(true);
    expect(a.componentHash).toBe(sha256Hex(gatewayBytes));
  });

  it('different options or contracts get their own entries; same inputs hit', async () => {
    const dir = tempDir('variants');
    const cache = new CompileCache(dir);
    const sources = [];
    for (const opts of [{}, { contractFingerprint: 'a' }, { contractFingerprint: 'b' }, { variant: { x: 1 } }, {}, { contractFingerprint: 'a' }]) {
      sources.push((await cache.compile(calcBytes, opts)).source);
    }
    expect(sources).toEqual(['miss', 'miss', 'miss', 'miss', 'hit', 'hit']);
    expect(entries(dir)).toHaveLength(4);
    // Variant keys are canonical: key order does not matter.
    expect(cache.entryPath('ab', { variant: { a: 1, b: 2 } })).toBe(cache.entryPath('ab', { variant: { b: 2, a: 1 } }));
  });

  it('a hit returns exactly what the miss stored', async () => {
    const dir = tempDir('same');
    const first = await new CompileCache(dir).compile(gatewayBytes);
    const second = await new CompileCache(dir).compile(gatewayBytes);
    expect(second.source).toBe('hit');
    expect(second.glue).toBe(first.glue);
    expect([...second.coreModules.keys()]).toEqual([...first.coreModules.keys()]);
    for (const [name, bytes] of first.coreModules) expect(Buffer.from(second.coreModules.get(name)!).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('a precomputed component hash', () => {
  it('is used as the key instead of hashing again (same entry as without it)', async () => {
    const dir = tempDir('prehash');
    expect((await new CompileCache(dir).compile(calcBytes)).source).toBe('miss');
    const r = await new CompileCache(dir).compile(calcBytes, { componentHash: sha256Hex(calcBytes) });
    expect(r.source).toBe('hit');
    expect(r.componentHash).toBe(sha256Hex(calcBytes));
    expect(entries(dir)).toHaveLength(1);
  });
});

describe('core modules copied verbatim from the component are stored by reference', () => {
  it('the entry holds the glue and offsets, not the modules; a hit slices them out of the component', async () => {
    const dir = tempDir('refs');
    const miss = await new CompileCache(dir).compile(gatewayBytes);
    const file = readFileSync(onlyEntry(dir));
    const { header } = decodeArtifact(file, gatewayBytes);
    const wasm = header.blobs.filter((b) => b.name.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    for (const b of wasm) expect(b.componentOffset, b.name).toBeGreaterThan(0);
    const glueSize = header.blobs.find((b) => b.name === 'glue.js')!.size;
    expect(file.length).toBeLessThan(glueSize + 2048); // glue + header only
    const hit = await new CompileCache(dir).compile(gatewayBytes);
    expect(hit.source).toBe('hit');
    for (const [name, bytes] of miss.coreModules) expect(Buffer.from(hit.coreModules.get(name)!).equals(Buffer.from(bytes)), name).toBe(true);
    // Without the component, the references can't be resolved: a CACHE error, never garbage.
    expect(() => decodeArtifact(file)).toThrow(/refers to the component/);
    expect(() => decodeArtifact(file, gatewayBytes.subarray(0, 100))).toThrow(/past end of the component/);
  });
});

describe('header mismatch: rebuilt, and the reason names the field and both values', () => {
  const cases: [keyof ArtifactKeyFields, string | number, (running: string) => string][] = [
    ['jcoVersion', '1.12.0', (running) => `cache entry built by jco 1.12.0, running ${running} → rebuilding`],
    ['witplugVersion', '0.0.1', (running) => `cache entry built by witplug 0.0.1, running ${running} → rebuilding`],
    // A witplug that changed how it builds (same version) must not reuse the old build's entry.
    ['builder', 'build-0', (running) => `cache entry built by witplug build stamp build-0, running ${running} → rebuilding`],
    ['contractFingerprint', 'stale-contract', () => 'cache entry built for contract fingerprint stale-contract, running (none) → rebuilding'],
    ['componentHash', 'f'.repeat(64), (running) => `cache entry is for component sha256 ${'f'.repeat(64)}, loading ${running} → rebuilding`],
    ['options', '{"transpile":{"old":true}}', (running) => `cache entry built with options {"transpile":{"old":true}}, running with ${running} → rebuilding`],
  ];
  it.each(cases)('%s', async (field, stale, reason) => {
    const dir = tempDir(`hdr-${field}`);
    const first = new CompileCache(dir);
    await loadCalc(first);
    const path = onlyEntry(dir);
    const running = String(decodeArtifact(readFileSync(path), calcBytes).header[field]);
    rewriteHeader(path, { [field]: stale });

    const cache = new CompileCache(dir);
    const plugin = await loadCalc(cache);
    expect(plugin.loadInfo.cache).toBe('rebuild');
    expect(plugin.loadInfo.rebuildReason).toBe(reason(running));
    expect(cache.stats).toMatchObject({ hits: 0, misses: 0, rebuilds: 1, lastRebuildReason: reason(running) });
    // The rebuilt entry replaced the stale one in place, and the next load hits.
    expect(decodeArtifact(readFileSync(onlyEntry(dir)), calcBytes).header[field]).toBe(running);
    expect((await loadCalc(cache)).loadInfo.cache).toBe('hit');
  });

  it('the example of the issue, exactly: an entry built by jco 1.12.0', async () => {
    const dir = tempDir('jco112');
    await new CompileCache(dir).compile(calcBytes);
    rewriteHeader(onlyEntry(dir), { jcoVersion: '1.12.0' });
    const running = new CompileCache(dir, { witplugVersion: VERSION, jcoVersion: '1.35.0' });
    const again = await running.compile(calcBytes);
    expect(again.rebuildReason).toBe('cache entry built by jco 1.12.0, running 1.35.0 → rebuilding');
  });

  it('an entry of another format is reported as such (format word checked before anything else)', async () => {
    const dir = tempDir('format');
    await new CompileCache(dir).compile(calcBytes);
    const path = onlyEntry(dir);
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(7, 8); // the format word
    writeFileSync(path, bytes);
    const cache = new CompileCache(dir);
    expect((await cache.compile(calcBytes)).rebuildReason).toBe(`cache entry has format 7, running format ${ARTIFACT_FORMAT} → rebuilding`);
    // A format-1 entry (old magic) too.
    writeFileSync(path, Buffer.concat([Buffer.from('WPLUGAF1'), Buffer.alloc(40)]));
    expect((await cache.compile(calcBytes)).rebuildReason).toBe(`cache entry has format 1, running format ${ARTIFACT_FORMAT} → rebuilding`);
  });

  it('an entry written by a cache with another identity is rebuilt by the current one', async () => {
    const dir = tempDir('identity');
    const old = new CompileCache(dir, { witplugVersion: '0.0.9', jcoVersion: '1.12.0' });
    expect((await old.compile(calcBytes)).source).toBe('miss');
    expect((await old.compile(calcBytes)).source).toBe('hit');
    const current = new CompileCache(dir);
    const r = await current.compile(calcBytes);
    expect(r.rebuildReason).toBe(`cache entry built by witplug 0.0.9, running ${VERSION} → rebuilding`);
  });
});

describe('integrity: a corrupted entry is detected and rebuilt, never executed', () => {
  it('glue tampered without updating the hash never runs; the entry is repaired', async () => {
    const dir = tempDir('tamper');
    await new CompileCache(dir).compile(calcBytes);
    const path = onlyEntry(dir);
    const bytes = readFileSync(path);
    const at = bytes.indexOf(Buffer.from('"use components";'));
    expect(at).toBeGreaterThan(0);
    // Same length, so every offset in the header stays right: only the hash can tell.
    Buffer.from('globalThis.P=1;//').copy(bytes, at);
    writeFileSync(path, bytes);
    const g = globalThis as { P?: number };
    delete g.P;

    const cache = new CompileCache(dir);
    const plugin = await loadCalc(cache);
    expect(g.P).toBeUndefined();
    expect(plugin.loadInfo.cache).toBe('rebuild');
    expect(plugin.loadInfo.rebuildReason).toBe('corrupted cache entry: integrity hash (sha256) mismatch → rebuilding');
    expect(readFileSync(path).indexOf(Buffer.from('globalThis.P=1;//'))).toBe(-1);
    expect((await new CompileCache(dir).compile(calcBytes)).source).toBe('hit');
  });

  it('a single flipped bit anywhere (hash, header, glue, an inline core module) is never a hit', async () => {
    const dir = tempDir('flip');
    const cache = new CompileCache(dir);
    // Instrumented core modules differ from the component's, so they are stored inline.
    const options = { variant: { instrument: 'fuel' }, transformCoreModule: (_n: string, b: Uint8Array) => instrumentCoreModule(b, { fuel: true }).bytes };
    await cache.compile(calcBytes, options);
    const path = onlyEntry(dir);
    const good = readFileSync(path);
    const wasmAt = good.indexOf(Buffer.from([0x00, 0x61, 0x73, 0x6d]), 48); // the inline core module's magic
    expect(wasmAt).toBeGreaterThan(48);
    const glueAt = good.indexOf(Buffer.from('export function instantiate'));
    expect(glueAt).toBeGreaterThan(48);
    const positions = [12, 20, 44, 48, 60, 100, good.indexOf(Buffer.from('jcoVersion')), glueAt + 3, wasmAt + 20, good.length - 1, Math.floor(good.length / 2)];
    for (const pos of positions) {
      const bad = Buffer.from(good);
      bad[pos]! ^= 0x04;
      writeFileSync(path, bad);
      const r = await cache.compile(calcBytes, options);
      expect(r.source, `flip at ${pos}`).toBe('rebuild');
      expect(r.rebuildReason, `flip at ${pos}`).toMatch(/^corrupted cache entry: .* → rebuilding$/);
      expect(readFileSync(path).equals(good), `repaired after flip at ${pos}`).toBe(true);
    }
    expect(cache.stats.rebuilds).toBe(positions.length);
    expect(cache.stats.hits).toBe(0);
    const hit = await cache.compile(calcBytes, options);
    expect(hit.source).toBe('hit');
    for (const m of hit.coreModules.values()) expect(WebAssembly.validate(m as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it('plain instrumentation options give the same modules and key as the same rewrite passed as a function', async () => {
    const opts = { fuel: true, deadlineCheckEvery: 1000, singleCounter: true, importGlobals: true } as const;
    const plain = new CompileCache(null);
    const viaOptions = await plain.compile(calcBytes, { instrument: opts });
    const viaFunction = await plain.compile(calcBytes, {
      variant: { instrument: { ...opts, v: 2 } }, transformCoreModule: (_n: string, b: Uint8Array) => instrumentCoreModule(b, opts).bytes,
    });
    expect([...viaOptions.coreModules.keys()]).toEqual([...viaFunction.coreModules.keys()]);
    for (const [name, m] of viaOptions.coreModules) expect(Buffer.from(m).equals(Buffer.from(viaFunction.coreModules.get(name)!)), name).toBe(true);
    const untouched = await plain.compile(calcBytes);
    expect([...viaOptions.coreModules].some(([name, m]) => !Buffer.from(m).equals(Buffer.from(untouched.coreModules.get(name)!)))).toBe(true);
    expect(plain.keyFields('h', { instrument: opts })).toEqual(plain.keyFields('h', { variant: { instrument: { ...opts, v: 2 } } }));
    expect(plain.keyFields('h', { instrument: opts })).not.toEqual(plain.keyFields('h'));
  });

  it('empty, truncated and foreign files are rebuilt', async () => {
    const dir = tempDir('junk');
    const cache = new CompileCache(dir);
    await cache.compile(calcBytes);
    const path = onlyEntry(dir);
    const good = readFileSync(path);
    for (const junk of [Buffer.alloc(0), good.subarray(0, 30), good.subarray(0, good.length - 5), Buffer.from('not a cache entry at all')]) {
      writeFileSync(path, junk);
      const r = await cache.compile(calcBytes);
      expect(r.source).toBe('rebuild');
      expect(r.rebuildReason).toMatch(/^corrupted cache entry: /);
    }
  });

  it('decodeArtifact throws WitplugError CACHE on corruption', () => {
    const blobs = new Map([['glue.js', new TextEncoder().encode('x')]]);
    const key: ArtifactKeyFields = { format: ARTIFACT_FORMAT, witplugVersion: 'w', jcoVersion: 'j', builder: 'b', componentHash: 'h', options: '{}', contractFingerprint: '' };
    const entry = Buffer.from(encodeArtifact(key, blobs));
    expect(decodeArtifact(entry).header.jcoVersion).toBe('j');
    entry[entry.length - 1]! ^= 1;
    try {
      decodeArtifact(entry);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WitplugError);
      expect((e as WitplugError).code).toBe(ErrorCodes.CACHE);
    }
    expect(KEY_FIELDS).toEqual(['format', 'witplugVersion', 'jcoVersion', 'builder', 'componentHash', 'options', 'contractFingerprint']);
  });
});

interface ChildResult { cache: string; reason: string | null; add: number; stats: Record<string, unknown> }

/** A new node process loading calc through dist/index.js with the default cache (WITPLUG_CACHE_DIR). */
function childLoad(cacheDir: string): Promise<ChildResult> {
  const script = `
    const { loadPlugin } = await import(${JSON.stringify(`file://${DIST}`)});
    const p = await loadPlugin(${JSON.stringify(CALC)}, { log: () => {}, limits: { timeoutMs: 0 } });
    console.log(JSON.stringify({ cache: p.loadInfo.cache, reason: p.loadInfo.rebuildReason ?? null, add: p.call('work#add', [20, 22]) }));`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, WITPLUG_CACHE_DIR: cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err}`));
      try {
        resolvePromise(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
      } catch (e) {
        reject(new Error(`bad child output ${out} / ${err}: ${String(e)}`));
      }
    });
  });
}

describe('across processes', () => {
  beforeAll(() => {
    if (!existsSync(DIST)) throw new Error(`${DIST} missing: run npx tsc -p tsconfig.json`);
  });

  it('first process misses, a second (new) process hits the entry it left', async () => {
    const dir = tempDir('procs');
    expect(await childLoad(dir)).toMatchObject({ cache: 'miss', add: 42 });
    expect(entries(dir)).toHaveLength(1);
    expect(await childLoad(dir)).toMatchObject({ cache: 'hit', add: 42 });
  }, 60_000);

  it('a header rewritten between processes is reported by the next process', async () => {
    const dir = tempDir('procs-hdr');
    await childLoad(dir);
    rewriteHeader(onlyEntry(dir), { jcoVersion: '1.12.0' });
    expect(await childLoad(dir)).toMatchObject({ cache: 'rebuild', reason: `cache entry built by jco 1.12.0, running ${JCO_VERSION} → rebuilding`, add: 42 });
    expect(await childLoad(dir)).toMatchObject({ cache: 'hit' });
  }, 60_000);

  it('processes populating the same cache at once leave one valid entry (atomic rename)', async () => {
    const dir = tempDir('race');
    const results = await Promise.all([childLoad(dir), childLoad(dir), childLoad(dir)]);
    for (const r of results) {
      expect(r.add).toBe(42);
      expect(['miss', 'hit']).toContain(r.cache);
    }
    // Whoever renamed last, the entry is whole: no temp files left, integrity holds, and it hits.
    expect(readdirSync(dir).filter((f) => !f.endsWith('.wpa'))).toEqual([]);
    const { header } = decodeArtifact(readFileSync(onlyEntry(dir)), calcBytes);
    expect(header.componentHash).toBe(sha256Hex(calcBytes));
    const cache = new CompileCache(dir);
    expect((await loadCalc(cache)).loadInfo.cache).toBe('hit');
    expect(await childLoad(dir)).toMatchObject({ cache: 'hit', add: 42 });
  }, 90_000);
});

describe('counters', () => {
  it('count hits, misses and rebuilds per cache', async () => {
    const dir = tempDir('stats');
    const cache = new CompileCache(dir);
    await loadCalc(cache);
    await loadCalc(cache);
    await loadPlugin(gatewayBytes, { cache, log: silent });
    rewriteHeader(join(dir, entries(dir).find((f) => f.startsWith(sha256Hex(calcBytes).slice(0, 32)))!), { witplugVersion: '0.0.0' });
    await loadCalc(cache);
    await loadCalc(cache);
    expect(cache.stats).toEqual({
      hits: 2, misses: 2, rebuilds: 1, writeFailures: 0, evictions: 0,
      compiled: 3, waitedForPeer: 0, joinedInFlight: 0, lockTakeovers: 0, peerWaitTimeouts: 0,
      lastRebuildReason: `cache entry built by witplug 0.0.0, running ${VERSION} → rebuilding`,
    });
  });

  it('an unwritable cache location still loads, counting the failed write', async () => {
    const file = join(tempDir('ro'), 'a-file');
    writeFileSync(file, 'x'); // a file where the cache dir should be: mkdir fails
    const cache = new CompileCache(join(file, 'sub'));
    expect((await loadCalc(cache)).loadInfo.cache).toBe('miss');
    expect(cache.stats).toMatchObject({ misses: 1, writeFailures: 1 });
  });

  it('dir null disables the disk cache', async () => {
    const cache = new CompileCache(null);
    expect((await loadCalc(cache)).loadInfo.cache).toBe('disabled');
    expect(cache.entryPath('x')).toBeNull();
    expect(cache.stats).toMatchObject({ hits: 0, misses: 0, rebuilds: 0, compiled: 1 });
  });
});

describe('default location', () => {
  it('WITPLUG_CACHE_DIR, else $XDG_CACHE_HOME/witplug, else ~/.cache/witplug', () => {
    expect(defaultCacheDir({ WITPLUG_CACHE_DIR: '/x/wp', XDG_CACHE_HOME: '/y' })).toBe('/x/wp');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/witplug');
    expect(defaultCacheDir({})).toBe(join(homedir(), '.cache', 'witplug'));
    // The XDG spec: empty or relative values are ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: '' })).toBe(join(homedir(), '.cache', 'witplug'));
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel/dir' })).toBe(join(homedir(), '.cache', 'witplug'));
    expect(defaultCacheDir({ WITPLUG_CACHE_DIR: '', XDG_CACHE_HOME: '/y' })).toBe('/y/witplug');
  });

  it('new CompileCache() reads the environment; a dir argument overrides it', () => {
    const saved = process.env['WITPLUG_CACHE_DIR'];
    try {
      process.env['WITPLUG_CACHE_DIR'] = '/tmp/witplug-env-dir';
      expect(new CompileCache().dir).toBe('/tmp/witplug-env-dir');
      expect(new CompileCache('/elsewhere').dir).toBe('/elsewhere');
    } finally {
      if (saved === undefined) delete process.env['WITPLUG_CACHE_DIR'];
      else process.env['WITPLUG_CACHE_DIR'] = saved;
    }
  });
});
