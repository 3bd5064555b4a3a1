/**
 * Watched plugin directories: a changed plugin file is reloaded (admitted
 * first), a new one loaded; a rejected version leaves the old one serving,
 * with its error kept and logged; the watcher closes with the host.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import { HostServices } from '../src/runtime/services/services.js';
import { watchPluginDir, type DirWatcher, type WatchEvent } from '../src/runtime/services/watch.js';
import { CompileCache } from '../src/compile/cache.js';
import type { Contract } from '../src/contract/load.js';
import { counterGuest, servicesContract, servicesWitDir } from './helpers/services-guest.js';

let contract: Contract;
let v1: Uint8Array;
let v2: Uint8Array;
const cache = new CompileCache(null);
const open: PluginHost[] = [];

beforeAll(async () => {
  const wit = await servicesWitDir();
  contract = await servicesContract(wit);
  v1 = await counterGuest(wit);
  v2 = await counterGuest(wit, 100); // counts in steps of 101
}, 60_000);
afterEach(() => {
  for (const h of open.splice(0)) h.close();
});

/** Events of a watcher, awaited one at a time; a missing event fails after a generous bound instead of hanging. */
function events(): { onChange: (e: WatchEvent) => void; next: () => Promise<WatchEvent> } {
  const queue: WatchEvent[] = [];
  let waiter: ((e: WatchEvent) => void) | null = null;
  return {
    onChange: (e) => (waiter ? (waiter(e), (waiter = null)) : queue.push(e)),
    next: () => new Promise((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      const t = setTimeout(() => reject(new Error('no watch event within 20 s')), 20_000);
      waiter = (e) => { clearTimeout(t); resolve(e); };
    }),
  };
}

/** Written aside and renamed in, as a deploy does: the watcher never sees half a file. */
function put(dir: string, file: string, bytes: Uint8Array): void {
  writeFileSync(join(dir, `.${file}.tmp`), bytes);
  renameSync(join(dir, `.${file}.tmp`), join(dir, file));
}

interface Watched { dir: string; host: PluginHost; services: HostServices; watcher: DirWatcher; next: () => Promise<WatchEvent>; logs: string[] }

async function setup(): Promise<Watched> {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-watch-'));
  put(dir, 'counter.wasm', v1);
  const logs: string[] = [];
  const services = new HostServices();
  const host = new PluginHost({ contract, cache, hooks: { hit: { target: 'counter#hit', kind: 'collect' } }, logger: () => {}, services });
  open.push(host);
  expect((await host.loadDir(dir)).loaded.map((p) => p.name)).toEqual(['counter']);
  const ev = events();
  const watcher = services.watch(host, dir, { debounceMs: 20, onChange: ev.onChange, log: (level, message, plugin) => logs.push(`${level} ${plugin}: ${message}`) });
  return { dir, host, services, watcher, next: ev.next, logs };
}

describe('watched plugin directory', () => {
  it('reloads a changed plugin: the new version serves, state kept per plugin', async () => {
    const { dir, host, next } = await setup();
    expect(host.hook('hit')('k')).toEqual([1]);
    put(dir, 'counter.wasm', v2);
    expect(await next()).toEqual({ name: 'counter', action: 'reload', error: null });
    expect(host.hook('hit')('k')).toEqual([102]); // the same key-value state, the new step
  });

  it('a rejected version leaves the old one serving; its error is kept and logged, then cleared by a good one', async () => {
    const { dir, host, watcher, next, logs, services } = await setup();
    put(dir, 'counter.wasm', new Uint8Array([0, 97, 115, 109, 13, 0, 1, 0, 0xff]));
    const bad = await next();
    expect(bad.action).toBe('reload');
    expect(bad.error?.code).toBe('REJECTED');
    expect(host.hook('hit')('k')).toEqual([1]);
    expect(watcher.rejected.get('counter')?.error.code).toBe('REJECTED');
    expect(services.rejections().get('counter')?.error.code).toBe('REJECTED');
    expect(logs.some((l) => /^error counter: reload refused, the previous version keeps serving: \[REJECTED\]/.test(l))).toBe(true);
    expect(services.pluginsReport(host).rejected).toEqual([
      expect.objectContaining({ name: 'counter', error: expect.objectContaining({ code: 'REJECTED' }) as object, report: expect.objectContaining({ accepted: false, problems: [expect.objectContaining({ code: 'MALFORMED' })] }) as object }),
    ]);
    expect(services.pluginsReport(host).loaded).toEqual([expect.objectContaining({ name: 'counter', metrics: expect.objectContaining({ loads: 1, rejections: 1 }) as object })]);
    put(dir, 'counter.wasm', v2);
    expect((await next()).error).toBeNull();
    expect(watcher.rejected.has('counter')).toBe(false);
    expect(services.rejections().has('counter')).toBe(false);
    expect(host.hook('hit')('k')).toEqual([102]);
  });

  it('loads a plugin that appears; coalesces a burst of changes into one reload', async () => {
    const { dir, host, next } = await setup();
    put(dir, 'second.wasm', v1);
    expect(await next()).toEqual({ name: 'second', action: 'load', error: null });
    expect(host.plugins().map((p) => p.name).sort()).toEqual(['counter', 'second']);
    for (let i = 0; i < 5; i++) put(dir, 'counter.wasm', i % 2 === 0 ? v2 : v1);
    put(dir, 'counter.wasm', v2);
    expect(await next()).toMatchObject({ name: 'counter', action: 'reload', error: null });
    const more = await Promise.race([next().then(() => 'another event'), new Promise((r) => setTimeout(() => r('quiet'), 300))]);
    expect(more).toBe('quiet');
  });

  it('closes with the host: later changes are ignored', async () => {
    const { dir, host, watcher, next } = await setup();
    host.close();
    expect(watcher.closed).toBe(true);
    put(dir, 'counter.wasm', v2);
    const more = await Promise.race([next().then(() => 'an event'), new Promise((r) => setTimeout(() => r('quiet'), 300))]);
    expect(more).toBe('quiet');
    expect(host.plugins()).toEqual([]);
  });

  it('tracks at most maxPlugins names: a further one is logged and ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-watch-bound-'));
    const host = new PluginHost({ contract, cache, logger: () => {} });
    open.push(host);
    const logs: string[] = [];
    const ev = events();
    const watcher = watchPluginDir(host, dir, { debounceMs: 20, maxPlugins: 1, onChange: ev.onChange, log: (level, message, plugin) => logs.push(`${level} ${plugin}: ${message}`) });
    put(dir, 'first.wasm', v1);
    expect(await ev.next()).toEqual({ name: 'first', action: 'load', error: null });
    put(dir, 'second.wasm', v1);
    const more = await Promise.race([ev.next().then(() => 'an event'), new Promise((r) => setTimeout(() => r('quiet'), 300))]);
    expect(more).toBe('quiet');
    expect(logs).toContain('warn second: ignored: the watcher tracks at most 1 plugins');
    expect(host.plugins().map((p) => p.name)).toEqual(['first']);
    watcher.close();
  });

  it('watchPluginDir on a missing directory fails with NOT_FOUND', () => {
    const host = new PluginHost({ contract, cache, logger: () => {} });
    expect(() => watchPluginDir(host, join(tmpdir(), 'witplug-no-such-dir-xyz'))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error);
  });
});
