/**
 * Per-plugin key-value state: a `KvStore` holds every plugin's keys under a
 * namespace (the plugin's name in the host); `PluginKv` is one plugin's view
 * of it, with quotas; `kvHostTable` serves `witplug:host/kv` from that view.
 *
 * Host functions are synchronous (a plugin call runs to completion), so the
 * store a plugin reaches through WIT is synchronous too.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { HostFunction } from '../capabilities/host-imports.js';

/** What a namespace holds: its key count and the bytes of its keys (UTF-8) and values. */
export interface KvUsage {
  readonly keys: number;
  readonly bytes: number;
}

/** Storage for many plugins' keys. Implementations: `MemoryKvStore`, `JournalKvStore`. */
export interface KvStore {
  get(ns: string, key: string): Uint8Array | undefined;
  set(ns: string, key: string, value: Uint8Array): void;
  delete(ns: string, key: string): boolean;
  /** The namespace's keys starting with `prefix`, sorted. */
  keys(ns: string, prefix: string): string[];
  usage(ns: string): KvUsage;
  close(): void;
}

export interface KvQuota {
  /** Most keys one plugin may keep (default 1 000). */
  readonly maxKeys?: number;
  /** Most bytes (keys in UTF-8 plus values) one plugin may keep (default 1 MiB). */
  readonly maxBytes?: number;
}

export const DEFAULT_KV_QUOTA: Required<KvQuota> = { maxKeys: 1000, maxBytes: 1 << 20 };

const utf8 = new TextEncoder();
/** What one entry counts against a byte quota: its key in UTF-8 plus its value's bytes. */
export const entryBytes = (key: string, valueBytes: number): number => utf8.encode(key).length + valueBytes;

/** Keys and their values in memory, per namespace; usage kept up to date on every write. */
export class MemoryKvStore implements KvStore {
  readonly #spaces = new Map<string, { map: Map<string, Uint8Array>; bytes: number }>();

  #space(ns: string): { map: Map<string, Uint8Array>; bytes: number } {
    let s = this.#spaces.get(ns);
    if (s === undefined) this.#spaces.set(ns, (s = { map: new Map(), bytes: 0 }));
    return s;
  }

  get(ns: string, key: string): Uint8Array | undefined {
    return this.#spaces.get(ns)?.map.get(key);
  }

  set(ns: string, key: string, value: Uint8Array): void {
    const s = this.#space(ns);
    const old = s.map.get(key);
    if (old !== undefined) s.bytes -= entryBytes(key, old.length);
    const copy = new Uint8Array(value); // the caller's buffer may be a view into guest memory
    s.map.set(key, copy);
    s.bytes += entryBytes(key, copy.length);
  }

  delete(ns: string, key: string): boolean {
    const s = this.#spaces.get(ns);
    const old = s?.map.get(key);
    if (s === undefined || old === undefined) return false;
    s.map.delete(key);
    s.bytes -= entryBytes(key, old.length);
    return true;
  }

  keys(ns: string, prefix: string): string[] {
    const s = this.#spaces.get(ns);
    return s === undefined ? [] : [...s.map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  usage(ns: string): KvUsage {
    const s = this.#spaces.get(ns);
    return { keys: s?.map.size ?? 0, bytes: s?.bytes ?? 0 };
  }

  /** Every namespace and its entries (what a persistent store rewrites when it compacts). */
  *entries(): Generator<[string, string, Uint8Array]> {
    for (const [ns, s] of this.#spaces) for (const [k, v] of s.map) yield [ns, k, v];
  }

  close(): void {
    this.#spaces.clear();
  }
}

/** One plugin's keys: the store under its namespace, with its quota checked before every write. */
export class PluginKv {
  readonly #store: KvStore;
  readonly #ns: string;
  readonly #quota: Required<KvQuota>;

  constructor(store: KvStore, namespace: string, quota: KvQuota = {}) {
    this.#store = store;
    this.#ns = namespace;
    this.#quota = { ...DEFAULT_KV_QUOTA, ...quota };
  }

  /** A copy: changing it does not change the stored value. */
  get(key: string): Uint8Array | undefined {
    const v = this.#store.get(this.#ns, key);
    return v === undefined ? undefined : new Uint8Array(v);
  }

  /** Throws `KV_QUOTA` (nothing written) when the write would pass the key or byte quota. */
  set(key: string, value: Uint8Array): void {
    const old = this.#store.get(this.#ns, key);
    const used = this.#store.usage(this.#ns);
    const keys = used.keys + (old === undefined ? 1 : 0);
    const bytes = used.bytes - (old === undefined ? 0 : entryBytes(key, old.length)) + entryBytes(key, value.length);
    if (keys > this.#quota.maxKeys) {
      throw new WitplugError(ErrorCodes.KV_QUOTA, `plugin "${this.#ns}" would keep ${keys} keys (quota ${this.#quota.maxKeys})`, { plugin: this.#ns });
    }
    if (bytes > this.#quota.maxBytes) {
      throw new WitplugError(ErrorCodes.KV_QUOTA, `plugin "${this.#ns}" would keep ${bytes} bytes (quota ${this.#quota.maxBytes})`, { plugin: this.#ns });
    }
    this.#store.set(this.#ns, key, value);
  }

  delete(key: string): boolean {
    return this.#store.delete(this.#ns, key);
  }

  keys(prefix = ''): string[] {
    return this.#store.keys(this.#ns, prefix);
  }

  usage(): KvUsage {
    return this.#store.usage(this.#ns);
  }
}

/**
 * `witplug:host/kv` for one plugin. A quota is the plugin's to handle:
 * `set` returns `err(quota)` rather than trapping, so a rate limiter can
 * degrade instead of failing the hook. A store failure is `err(unavailable)`.
 */
export function kvHostTable(kv: PluginKv): Record<string, HostFunction> {
  const set = (key: string, value: Uint8Array): { tag: 'ok' } | { tag: 'err'; val: 'quota' | 'unavailable' } => {
    try {
      kv.set(key, value);
      return { tag: 'ok' };
    } catch (e) {
      return { tag: 'err', val: e instanceof WitplugError && e.code === ErrorCodes.KV_QUOTA ? 'quota' : 'unavailable' };
    }
  };
  return {
    get: ((key: string) => kv.get(key) ?? null) as HostFunction,
    set: set as HostFunction,
    delete: ((key: string) => kv.delete(key)) as HostFunction,
    'list-keys': ((prefix: string) => kv.keys(prefix)) as HostFunction,
  };
}
