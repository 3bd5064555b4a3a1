/**
 * WIT file/directory + world → Contract (the world's structural shape).
 *
 * The WIT is read by witplug's own front-end (src/contract/wit/: lexer,
 * parser, resolver), the same one `witplug diff` uses, so the gate, `diff`
 * and `types` read a contract one way. The resolver keeps every import and
 * export the world declares, type-only interfaces included, as the world
 * type wasm-tools embeds does. A load takes a few milliseconds, so there is
 * no disk cache; the in-memory cache keeps a host's repeated loads free.
 */
import { resolve } from 'node:path';
import { WitplugError } from '../errors.js';
import type { ComponentShape } from '../component/types.js';
import { parseWitTree, readWitTree, resolveWitWorld, witTreeHash } from './wit/index.js';

export interface Contract {
  readonly world: string;
  readonly shape: ComponentShape;
  /** Where the contract came from: the resolved WIT path and a hash of every .wit file read. */
  readonly witSource?: { readonly path: string; readonly hash: string };
}

/**
 * @deprecated Contracts are read in milliseconds and are no longer cached on
 * disk, so there is nothing to configure; kept so existing callers compile.
 */
export interface LoadContractOptions {
  readonly cacheDir?: string | null;
}

const cache = new Map<string, Contract>();
/** Bounded so a long-running host that reloads many contracts does not grow without limit. */
const CACHE_MAX = 64;

/**
 * Load `world` (a name in the root package, or `ns:pkg/world[@version]`)
 * from a WIT file or directory (a directory may hold `deps/`). Cached per
 * (resolved path, world, content of every .wit file read).
 */
export async function loadContract(witPath: string, world: string, _options?: LoadContractOptions): Promise<Contract> {
  if (typeof witPath !== 'string' || witPath === '') throw new WitplugError('USAGE', 'a WIT path is required');
  if (typeof world !== 'string' || world === '') throw new WitplugError('USAGE', 'a world name is required');
  const path = resolve(witPath);
  const tree = await readWitTree(path, witPath);
  const hash = witTreeHash(tree);
  const key = `${path}\0${world}\0${hash}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // Parse and resolve errors are CONTRACT errors starting with file:line:column.
  const contract: Contract = { world, shape: resolveWitWorld(parseWitTree(tree), world).shape, witSource: { path, hash } };
  cache.set(key, contract);
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
  return contract;
}

/** Drop every cached contract (tests, long-running hosts reloading WIT). */
export function clearContractCache(): void {
  cache.clear();
}
