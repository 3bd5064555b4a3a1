/**
 * Host file descriptors a plugin holds through WASI are bounded and given
 * back deterministically. Each descriptor, listing and stream a plugin
 * instance opens keeps a host descriptor open; past `maxOpenFiles`
 * (default 256) the open fails the call with RESOURCE_LIMIT, and everything
 * the instance holds is closed at once when its instance is replaced (a
 * trap, the limit itself) or the plugin is closed: counted here in
 * /proc/self/fd, never left to the garbage collector.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin, type Plugin } from '../src/runtime/load/load-plugin.js';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError, ErrorCodes } from '../src/errors.js';
import { DEFAULT_MAX_OPEN_FILES } from '../src/runtime/capabilities/descriptor-ledger.js';
import { parseGrant } from '../src/runtime/capabilities/grant.js';
import { limitFlags } from '../src/cli/run.js';
import { openWasiDescriptors, releaseWasi, wasiImports } from '../src/runtime/capabilities/wasi.js';
import { PROBE, WIT, type Result } from './helpers/fs-probe.js';

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-fs-fd-cache-')));
let contract: Contract;
let data: string;
const hasProc = existsSync('/proc/self/fd');

beforeAll(async () => {
  if (!existsSync(PROBE)) throw new Error(`${PROBE} missing: run npm run build:guests`);
  contract = await loadContract(WIT, 'fs-probe');
  data = mkdtempSync(join(tmpdir(), 'witplug-fs-fd-'));
  writeFileSync(join(data, 'f.txt'), 'file');
}, 60_000);

/** Open host descriptors of this process (every thread's, the shim's I/O thread included). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

type ProbePlugin = Pick<Plugin, 'call' | 'close' | 'shape'>;

async function load(limits?: { maxOpenFiles?: number }, isolate = false): Promise<ProbePlugin> {
  return loadPlugin(PROBE, {
    contract, cache, ...(limits ? { limits } : {}), ...(isolate ? { isolate: true as const } : {}),
    grant: { filesystem: [{ host: data, guest: '/data', readonly: true }] },
  }) as Promise<ProbePlugin>;
}

/** Opens f.txt `n` times without dropping; returns the guest handles. */
function openMany(plugin: ProbePlugin, n: number): number[] {
  const pre = plugin.call('preopen', [0]) as number;
  const handles: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = plugin.call('open-at', [pre, 'f.txt', true, 0, 1]) as Result;
    expect(r.tag, `open #${i + 1}`).toBe('ok');
    handles.push(r.val as number);
  }
  return handles;
}

/** The open past the cap: the call fails with RESOURCE_LIMIT naming maxOpenFiles. */
function overCap(plugin: ProbePlugin, max: number): void {
  const pre = plugin.call('preopen', [0]) as number;
  let err: unknown;
  try {
    plugin.call('open-at', [pre, 'f.txt', true, 0, 1]);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WitplugError);
  expect((err as WitplugError).code).toBe(ErrorCodes.RESOURCE_LIMIT);
  expect((err as WitplugError).message).toContain(`maxOpenFiles ${max}`);
}

/**
 * A warm baseline: the shim's I/O thread and its own descriptors exist once
 * a first file was opened and closed (and, isolated, the supervisor thread).
 */
async function baseline(isolate = false): Promise<number> {
  const warm = await load(undefined, isolate);
  const [h] = openMany(warm, 1);
  warm.call('drop', [h]);
  await warm.close();
  return openFds();
}

describe.skipIf(!hasProc)('maxOpenFiles', () => {
  it(`default ${DEFAULT_MAX_OPEN_FILES}: the open past it fails with RESOURCE_LIMIT, everything held is closed, the next call works`, async () => {
    const before = await baseline();
    const plugin = await load();
    openMany(plugin, DEFAULT_MAX_OPEN_FILES);
    expect(openFds() - before).toBeGreaterThanOrEqual(DEFAULT_MAX_OPEN_FILES);
    overCap(plugin, DEFAULT_MAX_OPEN_FILES);
    // The instance was replaced: all 256 closed at once, and the host's own file reads work.
    expect(openFds()).toBeLessThanOrEqual(before);
    expect(readFileSync(PROBE).byteLength).toBeGreaterThan(0);
    await loadContract(WIT, 'fs-probe');
    // The next call gets a fresh instance with the whole budget.
    openMany(plugin, 3);
    await plugin.close();
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('a lower cap from the limits, and dropped descriptors free their slots', async () => {
    const before = await baseline();
    const plugin = await load({ maxOpenFiles: 5 });
    const handles = openMany(plugin, 5);
    for (const h of handles.slice(0, 2)) plugin.call('drop', [h]);
    expect(openFds() - before).toBe(3);
    openMany(plugin, 2);
    overCap(plugin, 5);
    expect(openFds()).toBeLessThanOrEqual(before);
    await plugin.close();
  });

  it('close() closes every descriptor the plugin still holds, at once', async () => {
    const before = await baseline();
    const plugin = await load();
    openMany(plugin, 200);
    expect(openFds() - before).toBeGreaterThanOrEqual(200);
    await plugin.close();
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it('a trap replaces the instance and closes what it held (three traps, nothing left for the GC)', async () => {
    const before = await baseline();
    const plugin = await load();
    for (let round = 0; round < 3; round++) {
      openMany(plugin, 150);
      expect(openFds() - before).toBeGreaterThanOrEqual(150);
      // Reading through a handle the guest does not have traps inside jco's glue.
      expect(() => plugin.call('read', [100_000])).toThrow(expect.objectContaining({ code: ErrorCodes.TRAP }) as Error);
      expect(openFds()).toBeLessThanOrEqual(before);
    }
    await plugin.close();
  });

  it('isolated: the cap holds in the worker and close() gives the worker’s descriptors back', async () => {
    const before = await baseline(true);
    const plugin = await load({ maxOpenFiles: 40 }, true);
    try {
      openMany(plugin, 40);
      overCap(plugin, 40);
      openMany(plugin, 30);
    } finally {
      await plugin.close();
    }
    // The worker's threads are gone; give the process a moment to reap them.
    for (let i = 0; i < 50 && openFds() > before; i++) await new Promise((r) => setTimeout(r, 100));
    expect(openFds()).toBeLessThanOrEqual(before);
  }, 60_000);
});

/** The shim objects a guest gets, driven from JS: what jco's glue calls on the guest's behalf. */
interface Disposable { [Symbol.dispose](): void }
interface GuestDescriptor extends Disposable {
  openAt(pathFlags: object, path: string, openFlags: object, flags: object): GuestDescriptor;
  readViaStream(offset: bigint): Disposable;
  readDirectory(): Disposable;
}

describe.skipIf(!hasProc)('streams and listings count and are released too', () => {
  it('a stream keeps its file open after the descriptor is dropped; both count; release() closes all', async () => {
    const plugin = await load();
    const before = await baseline();
    const wasi = await wasiImports(plugin.shape, { filesystem: [{ host: data, guest: '/data', readonly: true }] }, 'direct', 4);
    const preopens = wasi['wasi:filesystem/preopens'] as { getDirectories(): [GuestDescriptor, string][] };
    const pre = preopens.getDirectories()[0]![0];
    const open = () => pre.openAt({ symlinkFollow: true }, 'f.txt', {}, { read: true });
    const fd = open();
    const stream = fd.readViaStream(0n);
    expect(openWasiDescriptors(wasi)).toBe(2);
    fd[Symbol.dispose]();
    expect(openWasiDescriptors(wasi)).toBe(1);
    expect(openFds() - before).toBe(1); // the stream still holds the file
    stream[Symbol.dispose]();
    expect(openWasiDescriptors(wasi)).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(before);
    // Files, a stream and a listing up to the cap of 4; the next of any kind is refused.
    const held = open();
    held.readViaStream(0n);
    pre.readDirectory();
    open();
    expect(openWasiDescriptors(wasi)).toBe(4);
    expect(() => open()).toThrow(expect.objectContaining({ code: ErrorCodes.RESOURCE_LIMIT }) as Error);
    expect(() => held.readViaStream(0n)).toThrow(expect.objectContaining({ code: ErrorCodes.RESOURCE_LIMIT }) as Error);
    expect(() => pre.readDirectory()).toThrow(expect.objectContaining({ code: ErrorCodes.RESOURCE_LIMIT }) as Error);
    expect(openFds() - before).toBeGreaterThanOrEqual(3);
    releaseWasi(wasi);
    expect(openWasiDescriptors(wasi)).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(before);
    await plugin.close();
  });
});

describe('maxOpenFiles is a limit like the others', () => {
  it('manifest, CLI flag and validation', async () => {
    expect(parseGrant({ limits: { maxOpenFiles: 12 } }).limits).toEqual({ maxOpenFiles: 12 });
    expect(() => parseGrant({ limits: { maxOpenFiles: 0 } })).toThrow(/maxOpenFiles/);
    expect(limitFlags({ wit: '', world: '', call: '', args: '[]', maxOpenFiles: '7' })).toEqual({ maxOpenFiles: 7 });
    expect(() => limitFlags({ wit: '', world: '', call: '', args: '[]', maxOpenFiles: '1.5' })).toThrow(/--max-open-files/);
    await expect(load({ maxOpenFiles: -1 })).rejects.toThrow(/maxOpenFiles/);
  });
});
