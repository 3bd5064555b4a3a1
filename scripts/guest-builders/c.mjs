// Guest builder for freestanding C sources: witplug's package builder (clang --target=wasm32,
// no libc, no WASI -> jco componentEmbed + componentNew; src/authoring/builders/c.ts). Needs
// Debian's clang + lld (scripts/setup.sh); without them available() is false and callers use
// guests/prebuilt/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FREESTANDING_CFLAGS, clangAvailable, clangEnv as packageClangEnv, clangVersion, compileC } from '../../dist/authoring/builders/c.js';
import { embedAndWrite } from './embed.mjs';

/** Fixed, path-free flags (reproducible output; see src/authoring/builders/c.ts). */
export const CFLAGS = [...FREESTANDING_CFLAGS];

/** clang runs with node_modules/.bin hidden from PATH (no wasm-opt after linking). */
export const clangEnv = packageClangEnv;

/** clang and wasm-ld are installed and clang knows the wasm32 target. */
export const available = clangAvailable;

/** First line of `clang --version` (part of the build cache key), or null without clang. */
export const getToolVersion = clangVersion;

/** Resolved at import time so callers can read it synchronously; null without clang. */
export const toolVersion = await getToolVersion();

/**
 * The C bindings `witplug bindgen c` makes for the world, from this checkout's compiled
 * witplug (dist/): [{ name, text }] of the header and the source. Deterministic, so the
 * caller hashes the text into its cache key. The module path is built at run time so the
 * build script's import scan does not hash the whole of dist/ into every C guest's key.
 * @param {string} witDir
 * @param {string} world
 * @returns {Promise<{ name: string, text: string }[]>}
 */
export async function cBindings(witDir, world) {
  const tools = fileURLToPath(new URL(['..', '..', 'dist', 'tools.js'].join('/'), import.meta.url));
  if (!existsSync(tools)) throw new Error('c builder: witplug is not compiled (no dist/tools.js): run `npx tsc -p tsconfig.json` first');
  const { generateCBindings } = await import(pathToFileURL(tools).href);
  const { loadContract } = await import(pathToFileURL(join(dirname(tools), 'index.js')).href);
  const { header, source } = generateCBindings(await loadContract(witDir, world));
  return [header, source];
}

/**
 * @param {import('./builder.d.mts').BuildOptions & { bindgen?: boolean }} opts
 *   bindgen: generate the world's C bindings (cBindings) next to the sources and compile them too.
 *   sourceFiles: .c files are compiled and linked together; other files (headers) are only
 *   part of the caller's cache key.
 * @returns {Promise<{ size: number }>}
 */
export async function build(opts) {
  return compileAndEmbed({ ...opts, flags: CFLAGS, label: 'c builder' });
}

/**
 * clang with `flags` over the .c files (and the generated bindings with `bindgen`), then
 * embed + componentNew (with `adapters`, if any). Shared with the wasi-libc builder (c-wasi.mjs).
 * @param {import('./builder.d.mts').BuildOptions & { flags: string[], label: string,
 *           adapters?: [string, Uint8Array][], bindgen?: boolean }} opts
 * @returns {Promise<{ size: number }>}
 */
export async function compileAndEmbed({ sourceFiles, witDir, world, outFile, metadata, flags, label, adapters, bindgen }) {
  const bindings = bindgen ? await cBindings(witDir, world) : [];
  let coreModule;
  try {
    coreModule = await compileC({ sourceFiles, flags, bindings });
  } catch (err) {
    throw new Error(`${label}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return embedAndWrite({ coreModule, witDir, world, outFile, metadata, adapters });
}
