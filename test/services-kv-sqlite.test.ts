/**
 * The SQLite kv store (`node:sqlite`, Node ≥ 22.13): the same answers as the memory store over a
 * random sequence of writes, state that survives a restart in a new process, the quota through
 * `PluginKv`, and clear errors. On a Node without `node:sqlite` the store refuses to open with
 * USAGE and `openKvStore` falls back to the journal. This file runs on Node 20 and again on the
 * JSPI Node (scripts/run-tests.mjs), which has `node:sqlite`.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostServices } from '../src/runtime/services/services.js';
import { MemoryKvStore, PluginKv } from '../src/runtime/services/kv.js';
import { JournalKvStore } from '../src/runtime/services/kv-journal.js';
import { SqliteKvStore, openKvStore, sqliteAvailable } from '../src/runtime/services/kv-sqlite.js';
import { counterGuestFixture } from './helpers/services-guest.js';

const dir = mkdtempSync(join(tmpdir(), 'witplug-kv-sqlite-'));

describe.runIf(sqliteAvailable())('SqliteKvStore (this Node has node:sqlite)', () => {
  const { hostWith } = counterGuestFixture();

  it('answers as the memory store does over 2 000 random writes, deletes and lookups in 3 namespaces', () => {
    const sql = new SqliteKvStore(join(dir, 'random.db'));
    const mem = new MemoryKvStore();
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const keys = ['a', 'ab', 'abc', 'b', 'ü', '😀', 'k/1', 'k/2', 'k/10', ''];
    for (let i = 0; i < 2000; i++) {
      const ns = `ns${rand(3)}`;
      const key = keys[rand(keys.length)]!;
      const op = rand(4);
      if (op < 2) {
        const value = new Uint8Array(rand(40)).map(() => rand(256));
        sql.set(ns, key, value);
        mem.set(ns, key, value);
      } else if (op === 2) {
        expect(sql.delete(ns, key)).toBe(mem.delete(ns, key));
      } else {
        expect(sql.get(ns, key)).toEqual(mem.get(ns, key));
      }
      if (i % 97 === 0) {
        const prefix = ['', 'a', 'k/', 'x'][rand(4)]!;
        expect(sql.keys(ns, prefix)).toEqual(mem.keys(ns, prefix));
        expect(sql.usage(ns)).toEqual(mem.usage(ns));
      }
    }
    for (const ns of ['ns0', 'ns1', 'ns2']) expect(sql.usage(ns)).toEqual(mem.usage(ns));
    sql.close();
    // Usage is rebuilt from the file on open.
    const reopened = new SqliteKvStore(join(dir, 'random.db'));
    for (const ns of ['ns0', 'ns1', 'ns2']) {
      expect(reopened.usage(ns)).toEqual(mem.usage(ns));
      expect(reopened.keys(ns, '')).toEqual(mem.keys(ns, ''));
    }
    reopened.close();
  });

  it('survives a restart: written by a guest here, read back in a new process, then counted on', async () => {
    const path = join(dir, 'state.db');
    const store = openKvStore(path);
    expect(store).toBeInstanceOf(SqliteKvStore);
    const host = await hostWith(new HostServices({ kv: store }), ['persist']);
    for (let i = 0; i < 3; i++) host.hook('hit')('n');
    host.close();
    store.close();
    const script = `import { SqliteKvStore } from ${JSON.stringify(join(process.cwd(), 'dist', 'index.js'))};
      const s = new SqliteKvStore(${JSON.stringify(path)});
      const v = s.get('persist', 'n');
      process.stdout.write(JSON.stringify({ n: new DataView(v.buffer, v.byteOffset).getUint32(0, true), keys: s.keys('persist', ''), usage: s.usage('persist') }));
      s.close();`;
    const out = JSON.parse(execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })) as unknown;
    expect(out).toEqual({ n: 3, keys: ['n'], usage: { keys: 1, bytes: 5 } });
    const reopened = new SqliteKvStore(path);
    const again = await hostWith(new HostServices({ kv: reopened }), ['persist']);
    expect(again.hook('hit')('n')).toEqual([4]);
    again.close();
    reopened.close();
  });

  it('quotas hold over it (PluginKv): the store\'s usage is what the quota checks', () => {
    const store = new SqliteKvStore(join(dir, 'quota.db'));
    const kv = new PluginKv(store, 'p', { maxKeys: 2, maxBytes: 100 });
    kv.set('a', new Uint8Array(10));
    kv.set('b', new Uint8Array(10));
    expect(() => kv.set('c', new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'KV_QUOTA' }) as Error);
    expect(() => kv.set('a', new Uint8Array(99))).toThrow(expect.objectContaining({ code: 'KV_QUOTA' }) as Error);
    expect(store.keys('p', '')).toEqual(['a', 'b']);
    expect(store.usage('p')).toEqual({ keys: 2, bytes: 22 });
    store.close();
  });

  it('a file that is not a database, and a closed store, are USAGE', () => {
    const bad = join(dir, 'not-a-db');
    writeFileSync(bad, 'this is not sqlite '.repeat(100));
    expect(() => new SqliteKvStore(bad)).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('cannot open') as string }) as Error);
    const s = new SqliteKvStore(join(dir, 'closed.db'));
    s.close();
    expect(() => s.get('ns', 'k')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('closed') as string }) as Error);
  });
});

describe.skipIf(sqliteAvailable())('without node:sqlite (this Node is older)', () => {
  it('SqliteKvStore refuses to open with USAGE naming node:sqlite; openKvStore gives the journal store', () => {
    expect(() => new SqliteKvStore(join(dir, 'x.db'))).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('node:sqlite') as string }) as Error);
    const s = openKvStore(join(dir, 'fallback.journal'));
    expect(s).toBeInstanceOf(JournalKvStore);
    s.set('ns', 'k', new Uint8Array([1]));
    s.close();
    expect(openKvStore(join(dir, 'fallback.journal')).get('ns', 'k')).toEqual(new Uint8Array([1]));
  });
});
