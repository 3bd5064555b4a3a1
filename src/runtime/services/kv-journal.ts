/**
 * A persistent `KvStore` in one append-only journal file: every write is a
 * JSON line appended and fsync'd before `set`/`delete` return, replayed into
 * memory on open. When the journal grows past twice the live data it is
 * compacted: the live entries are written to a new file, fsync'd and renamed
 * over the old one, so the file stays bounded by what the plugins keep.
 *
 * Node 22.5+ has `node:sqlite`; this store needs nothing beyond `node:fs`
 * and runs on every Node witplug supports. A torn last line (a crash while
 * appending) is dropped on open: its write had not returned.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync, ftruncateSync } from 'node:fs';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { MemoryKvStore, type KvStore, type KvUsage } from './kv.js';

export interface JournalKvOptions {
  /** fsync after every write (default true). Off, a write survives a process crash but not a power loss. */
  readonly fsync?: boolean;
  /** Compact once the journal is this many bytes larger than the live data and twice its size (default 64 KiB). */
  readonly compactSlackBytes?: number;
}

type Line = { n: string; k: string; v: string } | { n: string; k: string; d: 1 };

export class JournalKvStore implements KvStore {
  readonly #path: string;
  readonly #mem = new MemoryKvStore();
  readonly #fsync: boolean;
  readonly #slack: number;
  #fd: number;
  #fileBytes = 0;
  #liveBytes = 0;

  constructor(path: string, options: JournalKvOptions = {}) {
    this.#path = path;
    this.#fsync = options.fsync ?? true;
    this.#slack = options.compactSlackBytes ?? 64 * 1024;
    this.#replay();
    this.#fd = this.#open(path, 'a');
  }

  get path(): string {
    return this.#path;
  }

  #open(path: string, flags: string): number {
    try {
      return openSync(path, flags);
    } catch (e) {
      throw new WitplugError(ErrorCodes.USAGE, `kv journal ${path}: cannot open (${(e as Error).message})`, { cause: e });
    }
  }

  #replay(): void {
    if (!existsSync(this.#path)) return;
    const text = readFileSync(this.#path, 'utf8');
    let end = 0;
    for (let start = 0, lineNo = 1; start < text.length; lineNo++) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break; // torn last line: never acknowledged
      const line = parseLine(text.slice(start, nl));
      if (line === null) throw new WitplugError(ErrorCodes.USAGE, `kv journal ${this.#path}: line ${lineNo} is not a journal record (the file is corrupted or not a journal)`);
      if ('d' in line) this.#mem.delete(line.n, line.k);
      else this.#mem.set(line.n, line.k, Buffer.from(line.v, 'base64'));
      start = end = nl + 1;
    }
    this.#fileBytes = Buffer.byteLength(text.slice(0, end));
    if (end < text.length) {
      const fd = this.#open(this.#path, 'r+');
      ftruncateSync(fd, this.#fileBytes);
      closeSync(fd);
    }
    this.#liveBytes = this.#serialized();
  }

  #serialized(): number {
    let n = 0;
    for (const [ns, k, v] of this.#mem.entries()) n += Buffer.byteLength(lineOf(ns, k, v));
    return n;
  }

  #append(text: string): void {
    if (this.#fd < 0) throw new WitplugError(ErrorCodes.USAGE, `kv journal ${this.#path} is closed`);
    const bytes = Buffer.from(text);
    try {
      writeSync(this.#fd, bytes);
      if (this.#fsync) fsyncSync(this.#fd);
    } catch (e) {
      // A partly written line must not sit between acknowledged ones: cut the file back.
      ftruncateSync(this.#fd, this.#fileBytes);
      throw e;
    }
    this.#fileBytes += bytes.length;
  }

  get(ns: string, key: string): Uint8Array | undefined {
    return this.#mem.get(ns, key);
  }

  set(ns: string, key: string, value: Uint8Array): void {
    const old = this.#mem.get(ns, key);
    const line = lineOf(ns, key, value);
    this.#append(line);
    this.#mem.set(ns, key, value);
    this.#liveBytes += Buffer.byteLength(line) - (old === undefined ? 0 : Buffer.byteLength(lineOf(ns, key, old)));
    this.#maybeCompact();
  }

  delete(ns: string, key: string): boolean {
    const old = this.#mem.get(ns, key);
    if (old === undefined) return false;
    this.#append(`${JSON.stringify({ n: ns, k: key, d: 1 })}\n`);
    this.#mem.delete(ns, key);
    this.#liveBytes -= Buffer.byteLength(lineOf(ns, key, old));
    this.#maybeCompact();
    return true;
  }

  keys(ns: string, prefix: string): string[] {
    return this.#mem.keys(ns, prefix);
  }

  usage(ns: string): KvUsage {
    return this.#mem.usage(ns);
  }

  /** The journal's size on disk (bytes). */
  get fileBytes(): number {
    return this.#fileBytes;
  }

  #maybeCompact(): void {
    if (this.#fileBytes > 2 * this.#liveBytes && this.#fileBytes - this.#liveBytes > this.#slack) this.compact();
  }

  /** Rewrites the journal with only the live entries (written and fsync'd aside, then renamed over it). */
  compact(): void {
    const tmp = `${this.#path}.compact`;
    const fd = this.#open(tmp, 'w');
    let bytes = 0;
    try {
      for (const [ns, k, v] of this.#mem.entries()) bytes += writeSync(fd, lineOf(ns, k, v));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#path);
    closeSync(this.#fd);
    this.#fd = this.#open(this.#path, 'a');
    this.#fileBytes = this.#liveBytes = bytes;
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
    this.#mem.close();
  }
}

function parseLine(text: string): Line | null {
  try {
    const v = JSON.parse(text) as Partial<{ n: unknown; k: unknown; v: unknown; d: unknown }> | null;
    if (v === null || typeof v !== 'object' || typeof v.n !== 'string' || typeof v.k !== 'string') return null;
    if (v.d === 1) return { n: v.n, k: v.k, d: 1 };
    return typeof v.v === 'string' ? { n: v.n, k: v.k, v: v.v } : null;
  } catch {
    return null;
  }
}

function lineOf(ns: string, key: string, value: Uint8Array): string {
  return `${JSON.stringify({ n: ns, k: key, v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') })}\n`;
}
