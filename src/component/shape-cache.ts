/**
 * Decoded plugins by content hash: a host admitting the same plugin bytes
 * again (reload, many instances) skips decoding. Bounded LRU on entry count.
 */
import { createHash } from 'node:crypto';
import type { DecodedComponent } from './decode.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class ShapeCache {
  private readonly entries = new Map<string, DecodedComponent>();
  hits = 0;
  misses = 0;

  constructor(readonly maxEntries = 64) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  get(hash: string): DecodedComponent | undefined {
    const v = this.entries.get(hash);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.entries.delete(hash);
    this.entries.set(hash, v);
    return v;
  }

  set(hash: string, value: DecodedComponent): void {
    this.entries.delete(hash);
    this.entries.set(hash, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /**
   * Decodes through the cache. Decoding errors propagate and are not cached.
   * `hash` (sha256 hex of exactly these bytes) saves rehashing a large plugin.
   */
  getOrDecode(bytes: Uint8Array, decode: (bytes: Uint8Array) => DecodedComponent, hash = sha256Hex(bytes)): DecodedComponent {
    const hit = this.get(hash);
    if (hit) return hit;
    const decoded = decode(bytes);
    this.set(hash, decoded);
    return decoded;
  }

  clear(): void {
    this.entries.clear();
  }
}
