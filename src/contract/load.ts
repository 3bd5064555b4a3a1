/**
 * WIT file/directory + world → Contract (the world's structural shape).
 *
 * The WIT is compiled by jco (wasm-tools): `componentEmbed({ dummy: true })`
 * encodes the world as a component type in a `component-type` custom section,
 * which witplug's own decoder reads (the same type decoder that reads plugins,
 * so admission compares like with like). The world type keeps every import and
 * export the world declares; the component `componentNew` builds from it drops
 * interfaces no function uses (type-only ones), so it only serves as the
 * contract's `component` (fixtures, inspect), carrying the world type in a
 * `witplug-world` custom section so a cache hit needs no jco.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WitplugError, isWitplugError } from '../errors.js';
import { decodeComponent } from '../component/decode.js';
import { componentTypeSection, decodeWorldType } from '../component/world-type.js';
import type { ComponentShape } from '../component/types.js';
import { defaultCacheDir } from '../util/cache-dir.js';
import { JCO_VERSION } from '../util/tool-versions.js';
import { contractCacheKey, readCachedContract, writeCachedContract } from './disk-cache.js';
import { BUILD_STAMP, VERSION } from '../version.js';
import { appendCustomSection } from '../util/custom-section.js';
import { readInput } from '../util/read-bytes.js';

export interface LoadContractOptions {
  /** Directory for built contract components; `null` disables the disk cache. Default: `<cache dir>/contracts`. */
  readonly cacheDir?: string | null;
  /**
   * Internal (tests): the build stamp keying disk entries, default
   * BUILD_STAMP. A different stamp must never reuse another stamp's entry.
   */
  readonly buildStamp?: string;
}

export interface Contract {
  readonly world: string;
  readonly shape: ComponentShape;
  /** Where the contract came from: the resolved WIT path and a hash of every .wit file read. */
  readonly witSource?: { readonly path: string; readonly hash: string };
  /** The type-only component jco built for the world (useful for fixtures and `inspect`). */
  readonly component?: Uint8Array;
}

const cache = new Map<string, Promise<Contract>>();
/** Bounded so a long-running host that reloads many contracts does not grow without limit. */
const CACHE_MAX = 64;
const MAX_WIT_FILES = 1000;

/**
 * Every file jco reads under `dir`, sorted for a stable hash: `.wit` entries
 * (recursively) and the binary packages (`.wasm`, `.wat`) directly in a
 * `deps/`. Symlinks and other non-directories are listed too: jco reads them,
 * so they are hashed, and one that is not a regular file (a FIFO would block
 * jco's synchronous read for ever) is refused when hashed.
 */
async function witFiles(dir: string, out: string[], inDeps = false): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await witFiles(p, out, e.name === 'deps');
    else if (e.name.endsWith('.wit') || (inDeps && /\.(wasm|wat)$/.test(e.name))) out.push(p);
    if (out.length > MAX_WIT_FILES) throw new WitplugError('CONTRACT', `more than ${MAX_WIT_FILES} .wit files under ${dir}`);
  }
}

async function hashWit(path: string, isDir: boolean): Promise<string> {
  const files: string[] = [];
  if (isDir) await witFiles(path, files);
  else files.push(path);
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f).update('\0');
    h.update(await readInput(f, 'WIT file')).update('\0');
  }
  return h.digest('hex');
}

/** jco errors arrive as multi-line text with a Rust-style cause chain, sometimes with a JS stack: keep the message. */
export function cleanJcoMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : typeof e === 'string' ? e : String(e);
  const lines = raw
    .split('\n')
    .filter((l) => !/^\s+at\s/.test(l) && !/^Stack backtrace:/.test(l))
    .map((l) => l.trimEnd());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n').replace(/^(Error: )+/, '').trim() || 'unknown error';
}

/** Parse each top-level .wit file of a directory alone; report the first syntax (not resolution) error. */
async function diagnoseParse(dir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.wit')).sort();
  } catch {
    return undefined;
  }
  const jco = await import('@bytecodealliance/jco');
  for (const n of names) {
    try {
      const witSource = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await readInput(join(dir, n), 'WIT file'));
      await jco.componentEmbed({ dummy: true, witSource });
    } catch (e) {
      const msg = cleanJcoMessage(e);
      if (!/not found|known packages|no worlds?|multiple worlds|failed to resolve|does not exist|not defined/i.test(msg)) return `${join(dir, n)}: ${msg}`;
    }
  }
  return undefined;
}

let preopensReady: Promise<void> | null = null;

/**
 * jco's wasm-tools component reads WIT through preview2-shim's global
 * filesystem, which starts with no preopens. Add `/` once (additively: other
 * preopens someone else configured stay as they are).
 */
function ensureRootPreopen(): Promise<void> {
  preopensReady ??= (async () => {
    const fs = await import('@bytecodealliance/preview2-shim/filesystem');
    const current = fs._getPreopens() as unknown as [unknown, string][];
    // The package's "types" condition resolves to the browser typings; the Node build takes a host path.
    const addPreopen = fs._addPreopen as unknown as (guest: string, host: string) => void;
    if (!current.some(([, guest]) => guest === '/')) addPreopen('/', '/');
  })();
  return preopensReady;
}

/** Custom section of the contract component holding the world type (see the header comment). */
const WORLD_SECTION = 'witplug-world';

function worldShape(component: Uint8Array): ComponentShape | undefined {
  const section = decodeComponent(component).customSections.find((c) => c.name === WORLD_SECTION);
  return section ? decodeWorldType(section.data).shape : undefined;
}

async function build(path: string, world: string, hash: string, cacheDir: string | null, stamp: string): Promise<Contract> {
  // Keyed on what builds the entry (witplug version and build stamp, jco) as well as on the input.
  const key = contractCacheKey(['contract-v2', VERSION, stamp, JCO_VERSION, world, hash]);
  const cached = cacheDir === null ? null : await readCachedContract(cacheDir, key);
  if (cached) {
    try {
      const shape = worldShape(cached);
      if (shape) return { world, shape, witSource: { path, hash }, component: cached };
    } catch {
      // unreadable despite a good hash (decoder changed): rebuild below
    }
  }
  const { embedded, component: bare } = await buildWithJco(path, world);
  let shape: ComponentShape;
  let component: Uint8Array;
  try {
    const worldType = componentTypeSection(embedded);
    if (!worldType) throw new WitplugError('INTERNAL', 'jco embedded no component-type section');
    shape = decodeWorldType(worldType).shape;
    component = appendCustomSection(bare, WORLD_SECTION, worldType);
    decodeComponent(component);
  } catch (e) {
    // jco produced something our decoder cannot read: a witplug bug, not a user error.
    const msg = isWitplugError(e) ? e.message : String(e);
    throw new WitplugError('INTERNAL', `decoding the contract component for '${world}' failed: ${msg}`, { cause: e });
  }
  if (cacheDir !== null) await writeCachedContract(cacheDir, key, component);
  return { world, shape, witSource: { path, hash }, component };
}

async function buildWithJco(path: string, world: string): Promise<{ embedded: Uint8Array; component: Uint8Array }> {
  await ensureRootPreopen();
  const jco = await import('@bytecodealliance/jco');
  try {
    const embedded = await jco.componentEmbed({ dummy: true, witPath: path, world });
    return { embedded, component: await jco.componentNew(embedded) };
  } catch (e) {
    let msg = cleanJcoMessage(e);
    // For a directory, wasm-tools only says "failed to parse package: <dir>";
    // find the file with the syntax error so the user sees what is wrong.
    if (/^failed to parse package/.test(msg)) msg = (await diagnoseParse(path)) ?? msg;
    throw new WitplugError('CONTRACT', `cannot load world '${world}' from ${path}: ${msg}`, { cause: e });
  }
}

/**
 * Load `world` from a WIT file or directory (a directory may hold `deps/`).
 * Cached per (resolved path, world, content hash of every .wit file).
 */
export async function loadContract(witPath: string, world: string, options: LoadContractOptions = {}): Promise<Contract> {
  if (typeof witPath !== 'string' || witPath === '') throw new WitplugError('USAGE', 'a WIT path is required');
  if (typeof world !== 'string' || world === '') throw new WitplugError('USAGE', 'a world name is required');
  const path = resolve(witPath);
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new WitplugError('NOT_FOUND', `WIT path not found: ${witPath}`, { path: witPath });
  }
  let hash: string;
  try {
    hash = await hashWit(path, isDir);
  } catch (e) {
    if (isWitplugError(e)) throw e;
    throw new WitplugError('CONTRACT', `cannot read WIT at ${witPath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const stamp = options.buildStamp ?? BUILD_STAMP;
  const key = `${path}\0${world}\0${hash}\0${stamp}`;
  let p = cache.get(key);
  if (!p) {
    p = build(path, world, hash, options.cacheDir === undefined ? join(defaultCacheDir(), 'contracts') : options.cacheDir, stamp);
    cache.set(key, p);
    // Failures are not cached: the user will fix the WIT and the hash changes anyway,
    // but a transient failure must not stick.
    p.catch(() => cache.delete(key));
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
  }
  return p;
}

/** Drop every cached contract (tests, long-running hosts reloading WIT). */
export function clearContractCache(): void {
  cache.clear();
}
