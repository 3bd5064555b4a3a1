/**
 * A persistent `KvStore` in an SQLite database through Node's built-in
 * `node:sqlite` (Node ≥ 22.13; `sqliteAvailable()` says whether this Node has
 * it). One table keyed by (namespace, key); WAL journal with synchronous=FULL,
 * so a `set`/`delete` that returned survives a crash and a power loss. Usage per
 * namespace (keys, bytes) is read once on open and kept up to date on writes,
 * so a quota check costs no query.
 *
 * `openKvStore(path)` picks this store where the Node has `node:sqlite` and
 * the `JournalKvStore` (plain files, every Node) elsewhere.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { entryBytes, type KvStore, type KvUsage } from './kv.js';
import { JournalKvStore } from './kv-journal.js';

/** The part of `node:sqlite` used here (typed locally: Node 20's types do not have the module). */
interface Statement {
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
  run(...params: unknown[]): unknown;
}
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}
type SqliteModule = { DatabaseSync: new (path: string) => Database };

function sqliteModule(): SqliteModule | undefined {
  // getBuiltinModule: synchronous, and undefined (not a throw) for a module this Node lacks.
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  try {
    return get?.('node:sqlite') as SqliteModule | undefined;
  } catch {
    return undefined; // an older Node that knows the name only behind a flag
  }
}

/** Whether this Node has `node:sqlite` (Node ≥ 22.13, or 22.5 with --experimental-sqlite). */
export function sqliteAvailable(): boolean {
  return sqliteModule() !== undefined;
}

export class SqliteKvStore implements KvStore {
  readonly #path: string;
  #db: Database | null;
  readonly #get: Statement;
  readonly #set: Statement;
  readonly #delete: Statement;
  readonly #size: Statement;
  readonly #keys: Statement;
  readonly #usage = new Map<string, { keys: number; bytes: number }>();

  constructor(path: string) {
    const sqlite = sqliteModule();
    if (sqlite === undefined) {
      throw new WitplugError(ErrorCodes.USAGE, `kv store ${path}: this Node (${process.version}) has no node:sqlite (Node ≥ 22.13); use JournalKvStore, or openKvStore(path) to pick one`);
    }
    this.#path = path;
    let db: Database | undefined;
    try {
      db = new sqlite.DatabaseSync(path);
      db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
        CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (ns, key)) WITHOUT ROWID;`);
      this.#db = db;
      this.#get = db.prepare('SELECT value FROM kv WHERE ns = ? AND key = ?');
      this.#set = db.prepare('INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value');
      this.#delete = db.prepare('DELETE FROM kv WHERE ns = ? AND key = ?');
      this.#size = db.prepare('SELECT length(value) AS n FROM kv WHERE ns = ? AND key = ?');
      this.#keys = db.prepare('SELECT key FROM kv WHERE ns = ? AND substr(key, 1, length(?)) = ?');
      // Keys are stored as UTF-8 text: their blob length is their UTF-8 size, as entryBytes counts it.
      const usage = db.prepare('SELECT ns, count(*) AS keys, sum(length(CAST(key AS BLOB)) + length(value)) AS bytes FROM kv GROUP BY ns');
      for (const row of usage.all()) this.#count(String(row['ns']), Number(row['bytes']), Number(row['keys']));
    } catch (e) {
      if (e instanceof WitplugError) throw e;
      db?.close();
      throw new WitplugError(ErrorCodes.USAGE, `kv store ${path}: cannot open (${(e as Error).message})`, { cause: e });
    }
  }

  #count(ns: string, bytes: number, keys: number): void {
    const u = this.#usage.get(ns) ?? { keys: 0, bytes: 0 };
    u.keys += keys;
    u.bytes += bytes;
    if (u.keys === 0) this.#usage.delete(ns);
    else this.#usage.set(ns, u);
  }

  #open(): void {
    if (this.#db === null) throw new WitplugError(ErrorCodes.USAGE, `kv store ${this.#path} is closed`);
  }

  /** The stored value's size, or -1 when the key is not there. */
  #sizeOf(ns: string, key: string): number {
    const row = this.#size.get(ns, key);
    return row === undefined ? -1 : Number(row['n']);
  }

  get(ns: string, key: string): Uint8Array | undefined {
    this.#open();
    const row = this.#get.get(ns, key);
    return row === undefined ? undefined : new Uint8Array(row['value'] as Uint8Array);
  }

  set(ns: string, key: string, value: Uint8Array): void {
    this.#open();
    const old = this.#sizeOf(ns, key);
    this.#set.run(ns, key, value);
    if (old < 0) this.#count(ns, entryBytes(key, value.length), 1);
    else this.#count(ns, value.length - old, 0);
  }

  delete(ns: string, key: string): boolean {
    this.#open();
    const old = this.#sizeOf(ns, key);
    if (old < 0) return false;
    this.#delete.run(ns, key);
    this.#count(ns, -entryBytes(key, old), -1);
    return true;
  }

  keys(ns: string, prefix: string): string[] {
    this.#open();
    // Sorted here, as MemoryKvStore sorts (JS string order, not SQLite's byte order).
    return this.#keys.all(ns, prefix, prefix).map((r) => String(r['key'])).sort();
  }

  usage(ns: string): KvUsage {
    const u = this.#usage.get(ns);
    return { keys: u?.keys ?? 0, bytes: u?.bytes ?? 0 };
  }

  close(): void {
    this.#db?.close();
    this.#db = null;
  }
}

/** A persistent store at `path`: SQLite where this Node has `node:sqlite`, else the journal file. */
export function openKvStore(path: string): KvStore {
  return sqliteAvailable() ? new SqliteKvStore(path) : new JournalKvStore(path);
}
