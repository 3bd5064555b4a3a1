/**
 * Type-only contract components on disk, so a CLI invocation with an
 * unchanged WIT skips jco entirely (~350 ms: loading jco + embed + new).
 * Files are `<sha256 of bytes><bytes>`: a corrupted or torn file fails the
 * check and is rebuilt, never decoded into a wrong contract. Files go through
 * the same trust checks as compile entries (src/util/cache-dir.ts).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readEntry, writeEntry } from '../util/cache-dir.js';

const HASH_BYTES = 32;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function contractCacheKey(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** The cached component, or null when absent, untrusted or failing its integrity hash. */
export async function readCachedContract(dir: string, key: string): Promise<Uint8Array | null> {
  const read = await readEntry(join(dir, `${key}.wasm`));
  if (read.kind !== 'ok') return null;
  const file = read.data;
  if (file.length <= HASH_BYTES) return null;
  const bytes = file.subarray(HASH_BYTES);
  return sha256(bytes).equals(file.subarray(0, HASH_BYTES)) ? bytes : null;
}

/** Best effort: a read-only or full disk only costs the next process a rebuild. */
export async function writeCachedContract(dir: string, key: string, bytes: Uint8Array): Promise<void> {
  await writeEntry(join(dir, `${key}.wasm`), Buffer.concat([sha256(bytes), bytes]));
}
