// Guest builder for hand-written WAT: witplug's package builder (jco parse -> componentEmbed +
// componentNew; src/authoring/builders/wat.ts). Pure JS, so it is always available.
import { buildWatComponent, watToolVersion } from '../../dist/authoring/builders/wat.js';
import { writeComponent } from './embed.mjs';

export async function available() {
  try {
    await import('@bytecodealliance/jco');
    return true;
  } catch {
    return false;
  }
}

/** jco version (its bundled wasm-tools does the parsing), part of the build cache key. */
export const toolVersion = await watToolVersion();

/**
 * @param {import('./builder.d.mts').BuildOptions} opts
 *   sourceFiles: exactly one .wat file (other files are only part of the caller's cache key).
 * @returns {Promise<{ size: number }>}
 */
export async function build({ sourceFiles, witDir, world, outFile, metadata }) {
  const watFiles = sourceFiles.filter((f) => f.endsWith('.wat'));
  if (watFiles.length !== 1) {
    throw new Error(`wat builder expects exactly one .wat source, got ${watFiles.length}`);
  }
  return writeComponent(await buildWatComponent(watFiles[0], witDir, world), outFile, metadata);
}
