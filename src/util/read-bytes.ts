/**
 * Reads a whole file with one positioned read per chunk the kernel returns.
 * `fs/promises.readFile` reads in 512 KiB slices through the thread pool:
 * measured 53 ms for the 12 MB JS guest, against 3 ms this way.
 */
import { open } from 'node:fs/promises';

export async function readBytes(path: string): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await file.read(buf, at, size - at, at);
      if (bytesRead === 0) break; // the file shrank while we read it
      at += bytesRead;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    await file.close();
  }
}
