/**
 * Per-plugin key-value state through `witplug:host/kv`, from a real guest:
 * namespaced per plugin, quotas reaching the guest as `err(quota)` (not a
 * trap), the memory store and the journal store, which survives a restart
 * in a new process.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostServices } from '../src/runtime/services/services.js';
import { MemoryKvStore, PluginKv, type KvStore } from '../src/runtime/services/kv.js';
import { JournalKvStore } from '../src/runtime/services/kv-journal.js';
import { CompileCache } from '../src/compile/cache.js';
import { WitplugError } from '../src/errors.js';
import { counterGuestFixture } from './helpers/services-guest.js';

const { guest, contract, hostWith } = counterGuestFixture();

const u32 = (v: Uint8Array | undefined): number | undefined => (v === undefined ? undefined : new DataView(v.buffer, v.byteOffset).getUint32(0, true));

describe('witplug:host/kv', () => {
  it('keeps each plugin\'s keys apart: same key, separate counts', async () => {
    const services = new HostServices();
    const host = await hostWith(services, ['a', 'b']);
    const hit = host.hook('hit');
    expect(hit('visits')).toEqual([1, 1]);
    expect(hit('visits')).toEqual([2, 2]);
    expect(host.run('hit', 'visits')).toEqual([3, 3]);
    host.unload('b');
    expect(hit('visits')).toEqual([4]);
    expect(u32(services.kv('a').get('visits'))).toBe(4);
    expect(u32(services.kv('b').get('visits'))).toBe(3);
    expect(services.kv('a').keys()).toEqual(['visits']);
  });

  it('without host services the import is unserved: the call fails with UNSUPPORTED', async () => {
    const host = await hostWith(undefined, ['plain']);
    expect(() => host.hook('hit')('visits')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }) as Error);
  });

  it('serves get / set / delete / list-keys to the guest', async () => {
    const services = new HostServices();
    const host = await hostWith(services, ['c']);
    const plugin = host.plugins()[0]!;
    expect(plugin.name).toBe('c');
    const hit = host.hook('hit');
    hit('x');
    hit('y');
    hit('prefix-1');
    expect(services.kv('c').keys('prefix')).toEqual(['prefix-1']);
    const direct = (await import('../src/runtime/load/load-plugin.js')).loadPlugin;
    const solo = await direct(guest(), { name: 'c', contract: contract(), cache: new CompileCache(null), host: services.hostFor('c', undefined), log: () => {} });
    expect(solo.fn('counter#count-keys')()).toBe(3);
    expect(solo.fn('counter#forget')('x')).toBe(true);
    expect(solo.fn('counter#forget')('x')).toBe(false);
    expect(solo.fn('counter#count-keys')()).toBe(2);
    await solo.close();
  });

  it('a key quota reaches the guest as err(quota), nothing written, the plugin still healthy', async () => {
    const services = new HostServices({ kvQuota: { maxKeys: 2 } });
    const host = await hostWith(services, ['q']);
    const hit = host.hook('hit');
    expect(hit('k1')).toEqual([1]);
    expect(hit('k2')).toEqual([1]);
    expect(hit('k3')).toEqual([0]);
    expect(services.kv('q').keys()).toEqual(['k1', 'k2']);
    expect(hit('k1')).toEqual([2]); // replacing a key needs no new one
    expect(host.plugins()[0]!.disabledReason).toBeNull();
  });

  it('a byte quota counts keys and values; the host-side API throws KV_QUOTA', () => {
    const kv = new PluginKv(new MemoryKvStore(), 'p', { maxBytes: 10 });
    kv.set('ab', new Uint8Array(8));
    expect(kv.usage()).toEqual({ keys: 1, bytes: 10 });
    const err = (() => { try { kv.set('c', new Uint8Array(1)); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(WitplugError);
    expect((err as WitplugError).code).toBe('KV_QUOTA');
    kv.set('ab', new Uint8Array(2)); // shrinking frees room
    kv.set('c', new Uint8Array(5));
    expect(kv.usage()).toEqual({ keys: 2, bytes: 10 });
  });

  it('the memory store copies values: a later change to the caller\'s buffer does not leak in', () => {
    const store: KvStore = new MemoryKvStore();
    const buf = new Uint8Array([1, 2, 3]);
    store.set('n', 'k', buf);
    buf[0] = 9;
    expect([...store.get('n', 'k')!]).toEqual([1, 2, 3]);
  });
});

describe('JournalKvStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-kv-journal-'));

  it('survives a restart: written by a guest here, read back in a new process', async () => {
    const path = join(dir, 'state.journal');
    const store = new JournalKvStore(path);
    const host = await hostWith(new HostServices({ kv: store }), ['persist']);
    const hit = host.hook('hit');
    hit('n');
    hit('n');
    hit('n');
    host.close();
    store.close();
    const script = `import { JournalKvStore } from ${JSON.stringify(join(process.cwd(), 'dist', 'index.js'))};
      const s = new JournalKvStore(${JSON.stringify(path)});
      const v = s.get('persist', 'n');
      process.stdout.write(JSON.stringify({ n: new DataView(v.buffer, v.byteOffset).getUint32(0, true), keys: s.keys('persist', '') }));
      s.close();`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })) as unknown;
    expect(out).toEqual({ n: 3, keys: ['n'] });
    // And the guest goes on counting from the reopened journal.
    const reopened = new JournalKvStore(path);
    const again = await hostWith(new HostServices({ kv: reopened }), ['persist']);
    expect(again.hook('hit')('n')).toEqual([4]);
    again.close();
    reopened.close();
  });

  it('drops a torn last line (a write that never returned) and keeps every acknowledged one', () => {
    const path = join(dir, 'torn.journal');
    const s = new JournalKvStore(path);
    s.set('ns', 'a', new Uint8Array([1]));
    s.set('ns', 'b', new Uint8Array([2]));
    s.close();
    appendFileSync(path, '{"n":"ns","k":"c","v":"Aw');
    const r = new JournalKvStore(path);
    expect(r.keys('ns', '')).toEqual(['a', 'b']);
    r.set('ns', 'c', new Uint8Array([3]));
    r.close();
    expect(new JournalKvStore(path).keys('ns', '')).toEqual(['a', 'b', 'c']);
  });

  it('refuses a journal with a bad record before its last line, naming the line (USAGE)', () => {
    const path = join(dir, 'corrupt.journal');
    writeFileSync(path, '{"n":"ns","k":"a","v":"AQ=="}\nnot json\n{"n":"ns","k":"b","v":"Ag=="}\n');
    expect(() => new JournalKvStore(path)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/line 2 is not a journal record/) as string }) as Error);
    writeFileSync(path, '{"n":"ns","k":"a"}\n');
    expect(() => new JournalKvStore(path)).toThrow(expect.objectContaining({ code: 'USAGE' }) as Error);
  });

  it('compacts: rewriting one key many times keeps the file bounded', () => {
    const path = join(dir, 'compact.journal');
    const s = new JournalKvStore(path, { fsync: false, compactSlackBytes: 4096 });
    for (let i = 0; i < 5000; i++) s.set('ns', 'counter', new Uint8Array(new Uint32Array([i]).buffer));
    s.delete('ns', 'gone');
    expect(statSync(path).size).toBeLessThan(4096 * 3);
    expect(statSync(path).size).toBe(s.fileBytes);
    s.close();
    const r = new JournalKvStore(path);
    expect(u32(r.get('ns', 'counter'))).toBe(4999);
    r.close();
  });
});
