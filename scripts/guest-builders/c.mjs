// Guest builder for freestanding C sources: witplug's package builder (clang --target=wasm32,
// no libc, no WASI -> jco componentEmbed + componentNew; src/authoring/builders/c.ts). Needs
// Debian's clang + lld (scripts/setup.sh); without them available() is false and callers use
// guests/prebuilt/.
import { FREESTANDING_CFLAGS, buildCComponent, clangAvailable, clangEnv as packageClangEnv, clangVersion } from '../../dist/authoring/builders/c.js';
import { writeComponent } from './embed.mjs';

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
 * @param {import('./builder.d.mts').BuildOptions} opts
 *   sourceFiles: .c files are compiled and linked together; other files (headers) are only
 *   part of the caller's cache key.
 * @returns {Promise<{ size: number }>}
 */
export async function build({ sourceFiles, witDir, world, outFile, metadata }) {
  return writeComponent(await buildCComponent({ sourceFiles, witDir, world, libc: 'none' }), outFile, metadata);
}
