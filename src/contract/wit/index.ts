/**
 * WIT text → `ComponentShape` of a world with source positions, without jco.
 * Reads a file or a directory (its `.wit` files form the root package, each
 * entry of `deps/` another package), from disk or from a git tree.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { WitFile } from './ast.js';
import { parseWit } from './parser.js';
import { MAX_WIT_BYTES } from './lexer.js';
import { FileTooLargeError, inputError, readBytes } from '../../util/read-bytes.js';
import { validatePackages } from './validate.js';
import { collectPackages, findWorld, type WitPackage } from './packages.js';
import { resolveWorld, type ResolvedWorld } from './world.js';

export { parseWit } from './parser.js';
export { liveShape } from './live.js';
export type { SrcPos } from './lexer.js';
export type { ResolvedWorld } from './world.js';
export type { WitPackage } from './packages.js';
export type { InterfaceInfo, SourceMap } from './source-map.js';

/** WIT sources before parsing: the root package's files and each dependency's. */
export interface WitTree {
  readonly root: readonly { readonly file: string; readonly text: string }[];
  readonly deps: readonly (readonly { readonly file: string; readonly text: string }[])[];
}

const MAX_FILES = 1000;
/** Bounds all WIT read for one tree (root and deps/ together), however it is split into files. */
export const MAX_WIT_TREE_BYTES = 32 * 1024 * 1024;

/** Counts bytes read for one tree and refuses more than MAX_WIT_TREE_BYTES. */
function treeBudget(where: string): (bytes: number) => void {
  let total = 0;
  return (bytes) => {
    total += bytes;
    if (total > MAX_WIT_TREE_BYTES) throw new WitplugError(ErrorCodes.CONTRACT, `WIT under ${where} is larger than ${MAX_WIT_TREE_BYTES} bytes in total`);
  };
}
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type Source = { readonly file: string; readonly text: string };

/** What a directory entry is once symlinks are followed; a dangling link is `missing`. */
async function kindOf(path: string): Promise<'dir' | 'other' | 'missing'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Reads the WIT files of a path as wasm-tools lays them out: a file alone, or
 * a directory whose top-level `.wit` files form the root package and whose
 * `deps/` entries (a directory of `.wit` files, or one `.wit` file) are one
 * package each. The gate's contracts and `witplug diff` both read through it.
 *
 * Symlinks are followed (a shared package linked into `deps/` is common);
 * any other entry that is not a regular file is refused unread, since
 * opening a FIFO would block. Binary packages (`deps/*.wasm`, `*.wat`) are
 * refused by name: the front-end reads text only, and skipping them would
 * turn into a confusing "package not found" further on. File names in
 * messages start with `display`.
 */
export async function readWitTree(path: string, display = path): Promise<WitTree> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new WitplugError(ErrorCodes.NOT_FOUND, `WIT path not found: ${display}`, { path: display });
  }
  const charge = treeBudget(display);
  let count = 0;
  const read = async (p: string): Promise<Source> => {
    const file = join(display, relative(path, p)) || display;
    if (++count > MAX_FILES) throw new WitplugError(ErrorCodes.CONTRACT, `more than ${MAX_FILES} .wit files under ${display}`);
    try {
      // Counted against the tree's total before reading (stat does not block, even on a FIFO).
      charge((await stat(p)).size);
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

  if (!isDir) return { root: [await read(path)], deps: [] };
  const root = await packageDir(path);
  if (root.length === 0) throw new WitplugError(ErrorCodes.CONTRACT, `no .wit files in ${display}`);
  const deps: Source[][] = [];
  const depsDir = join(path, 'deps');
  if ((await kindOf(depsDir)) === 'dir') {
    for (const name of (await readdir(depsDir)).sort(byName)) {
      const p = join(depsDir, name);
      if ((await kindOf(p)) === 'dir') deps.push(await packageDir(p));
      else if (name.endsWith('.wit')) deps.push([await read(p)]);
      else if (/\.(wasm|wat)$/.test(name)) {
        throw new WitplugError(ErrorCodes.CONTRACT, `${join(display, 'deps', name)}: binary WIT packages are not supported; put the package's .wit files in deps/ instead`);
      }
    }
  }
  return { root, deps };
}

/** A sha256 over every file name and text of a tree: equal trees, equal hashes (contract caching). */
export function witTreeHash(tree: WitTree): string {
  const h = createHash('sha256');
  for (const f of [...tree.root, ...tree.deps.flat()]) h.update(f.file).update('\0').update(f.text).update('\0');
  return h.digest('hex');
}

const run = promisify(execFile);

/**
 * Reads the same WIT path from a git revision (`git ls-tree` + `git show`),
 * so `witplug diff wit/ --against git:main` needs no checkout.
 */
export async function readWitTreeAtRef(path: string, ref: string): Promise<WitTree> {
  if (!/^[A-Za-z0-9._/~^@{}-]+$/.test(ref) || ref.startsWith('-')) throw new WitplugError(ErrorCodes.USAGE, `invalid git ref '${ref}'`);
  const git = async (cwd: string, ...args: string[]): Promise<string> => {
    try {
      return (await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 30_000 })).stdout;
    } catch (e) {
      const msg = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
      throw new WitplugError(ErrorCodes.USAGE, `git ${args[0]} failed for ${ref}:${path}: ${msg}`);
    }
  };
  let isDir: boolean;
  let dir = path;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    // the path may exist only in the old revision: ask git below from its parent
    isDir = !path.endsWith('.wit');
  }
  if (!isDir) dir = join(path, '..');
  const prefix = (await git(dir, 'rev-parse', '--show-prefix')).trim();
  // ls-tree lists relative to the working directory: run everything from the top level.
  const cwd = (await git(dir, 'rev-parse', '--show-toplevel')).trim();
  const spec = (rel: string): string => `${ref}:${prefix}${rel}`;
  const charge = treeBudget(`${ref}:${prefix || '.'}`);
  const show = async (rel: string): Promise<{ file: string; text: string }> => {
    const text = await git(cwd, 'show', spec(rel));
    charge(Buffer.byteLength(text, 'utf8'));
    return { file: `${ref}:${join(prefix, rel)}`, text };
  };
  if (!isDir) return { root: [await show(basename(path))], deps: [] };
  const list = async (rel: string): Promise<{ name: string; type: string }[]> => {
    const out = await git(cwd, 'ls-tree', `${ref}:${prefix}${rel}`);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [meta, name] = l.split('\t');
        return { name: name!, type: meta!.split(' ')[1]! };
      })
      .sort((a, b) => byName(a.name, b.name));
  };
  const top = await list('');
  const root = await Promise.all(top.filter((e) => e.type === 'blob' && e.name.endsWith('.wit')).map((e) => show(e.name)));
  const deps: { file: string; text: string }[][] = [];
  if (top.some((e) => e.name === 'deps' && e.type === 'tree')) {
    for (const e of await list('deps')) {
      if (e.type === 'tree') {
        const files = (await list(`deps/${e.name}`)).filter((f) => f.type === 'blob' && f.name.endsWith('.wit'));
        deps.push(await Promise.all(files.map((f) => show(`deps/${e.name}/${f.name}`))));
      } else if (e.name.endsWith('.wit')) deps.push([await show(`deps/${e.name}`)]);
      if (deps.length > MAX_FILES) throw new WitplugError(ErrorCodes.CONTRACT, `more than ${MAX_FILES} packages under deps/`);
    }
  }
  if (root.length === 0) throw new WitplugError(ErrorCodes.CONTRACT, `no .wit files at ${ref}:${prefix}`);
  return { root, deps };
}

export interface ParsedWit {
  readonly root: WitPackage;
  readonly all: readonly WitPackage[];
  readonly files: readonly WitFile[];
}

export function parseWitTree(tree: WitTree): ParsedWit {
  const root = tree.root.map((f) => parseWit(f.text, f.file));
  const deps = tree.deps.map((files) => files.map((f) => parseWit(f.text, f.file)));
  const { root: pkg, all } = collectPackages(root, deps);
  validatePackages(all);
  return { root: pkg, all, files: [...root, ...deps.flat()] };
}

/** The shape of `world` (or the root package's only world) with positions. */
export function resolveWitWorld(parsed: ParsedWit, world?: string): ResolvedWorld {
  const { pkg, decl } = findWorld(parsed.root, parsed.all, world);
  return resolveWorld(parsed.all, pkg, decl);
}

/** Reads, parses and resolves a WIT path's world in one step. */
export async function loadWitWorld(path: string, world?: string): Promise<ResolvedWorld> {
  return resolveWitWorld(parseWitTree(await readWitTree(path)), world);
}
