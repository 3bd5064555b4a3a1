/**
 * Reads a whole file with one positioned read per chunk the kernel returns.
 * `fs/promises.readFile` reads in 512 KiB slices through the thread pool:
 * measured 53 ms for the 12 MB JS guest, against 3 ms this way.
 */
import { open } from 'node:fs/promises';
import { WitplugError, ErrorCodes } from '../errors.js';

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

/**
 * `readBytes` for input the caller named (a plugin, a manifest, a WIT file):
 * a missing file is NOT_FOUND, anything else unreadable is USAGE, both
 * naming `what` and the path.
 */
export async function readInput(path: string, what = 'file'): Promise<Uint8Array> {
  try {
    return await readBytes(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WitplugError(
      code === 'ENOENT' ? ErrorCodes.NOT_FOUND : ErrorCodes.USAGE,
      `cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`,
      { cause: e },
    );
  }
}
