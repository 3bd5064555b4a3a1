/**
 * Type-only contract components on disk, so a CLI invocation with an
 * unchanged WIT skips jco entirely (~350 ms: loading jco + embed + new).
 * Files are `<sha256 of bytes><bytes>`: a corrupted or torn file fails the
 * check and is rebuilt, never decoded into a wrong contract.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const HASH_BYTES = 32;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export function contractCacheKey(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** The cached component, or null when absent or failing its integrity hash. */
export async function readCachedContract(dir: string, key: string): Promise<Uint8Array | null> {
  let file: Buffer;
  try {
    file = await readFile(join(dir, `${key}.wasm`));
  } catch {
    return null;
  }
  if (file.length <= HASH_BYTES) return null;
  const bytes = file.subarray(HASH_BYTES);
  return sha256(bytes).equals(file.subarray(0, HASH_BYTES)) ? bytes : null;
}

/** Best effort: a read-only or full disk only costs the next process a rebuild. */
export async function writeCachedContract(dir: string, key: string, bytes: Uint8Array): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    await writeFile(tmp, Buffer.concat([sha256(bytes), bytes]));
    await rename(tmp, join(dir, `${key}.wasm`)); // atomic: readers see the old file or the new one
  } catch {
    // ignore: caching is an optimisation
  }
}
