/**
 * The WIT sources of a contract path, laid out as wasm-tools reads them: a
 * file alone, or a directory whose top-level `.wit` files form the root
 * package and whose `deps/` entries (a directory of `.wit` files, or one
 * `.wit` file) are one package each.
 *
 * Symlinks are followed (a shared package linked into `deps/` is common);
 * any other entry that is not a regular file is refused unread, since
 * opening a FIFO would block. Binary packages (`deps/*.wasm`, `*.wat`) are
 * refused by name: the WIT front-end reads text only, and skipping them
 * would turn into a confusing "package not found" further on.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { WitplugError, ErrorCodes } from '../errors.js';
import { FileTooLargeError, inputError, readBytes } from '../util/read-bytes.js';
import { MAX_WIT_BYTES } from './wit/lexer.js';
import type { WitTree } from './wit/index.js';

const MAX_FILES = 1000;

type Source = { readonly file: string; readonly text: string };

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** What a directory entry is once symlinks are followed; a dangling link is `missing`. */
async function kindOf(path: string): Promise<'dir' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Reads the WIT sources under `path` (file names in messages start with
 * `display`) and a sha256 over every file name and text, for caching.
 */
export async function readWitSources(path: string, display: string, isDir: boolean): Promise<{ tree: WitTree; hash: string }> {
  let count = 0;
  const read = async (p: string): Promise<Source> => {
    const file = join(display, relative(path, p)) || display;
    if (++count > MAX_FILES) throw new WitplugError(ErrorCodes.CONTRACT, `more than ${MAX_FILES} .wit files under ${display}`);
    try {
      // Regular files only (a FIFO would block), and a huge one is refused unread.
      return { file, text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(await readBytes(p, MAX_WIT_BYTES)) };
    } catch (e) {
      if (e instanceof FileTooLargeError) throw new WitplugError(ErrorCodes.CONTRACT, `${file}: WIT file larger than ${MAX_WIT_BYTES} bytes`);
      throw inputError(e, file, 'WIT file');
    }
  };
  /** The `.wit` entries of one package directory (not recursive, as wasm-tools). */
  const packageDir = async (dir: string): Promise<Source[]> => {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.wit')).sort(byName);
    const out: Source[] = [];
    for (const n of names) if ((await kindOf(join(dir, n))) !== 'dir') out.push(await read(join(dir, n)));
    return out;
  };

  let tree: WitTree;
  if (!isDir) tree = { root: [await read(path)], deps: [] };
  else {
    const root = await packageDir(path);
    if (root.length === 0) throw new WitplugError(ErrorCodes.CONTRACT, `no .wit files in ${display}`);
    const deps: Source[][] = [];
    const depsDir = join(path, 'deps');
    if ((await kindOf(depsDir)) === 'dir') {
      for (const name of (await readdir(depsDir)).sort(byName)) {
        const p = join(depsDir, name);
        const kind = await kindOf(p);
        if (kind === 'dir') deps.push(await packageDir(p));
        else if (name.endsWith('.wit')) deps.push([await read(p)]);
        else if (/\.(wasm|wat)$/.test(name)) {
          throw new WitplugError(ErrorCodes.CONTRACT, `${join(display, 'deps', name)}: binary WIT packages are not supported; put the package's .wit files in deps/ instead`);
        }
      }
    }
    tree = { root, deps };
  }

  const h = createHash('sha256');
  for (const f of [...tree.root, ...tree.deps.flat()]) h.update(f.file).update('\0').update(f.text).update('\0');
  return { tree, hash: h.digest('hex') };
}
