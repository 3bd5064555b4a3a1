// Guest builder for hand-written WAT: jco parse (WAT -> core module) -> componentEmbed +
// componentNew. Pure JS (jco's bundled wasm-tools), so it is always available.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedAndWrite } from './embed.mjs';

export async function available() {
  try {
    await import('@bytecodealliance/jco');
    return true;
  } catch {
    return false;
  }
}

function readJcoVersion() {
  // jco's exports map hides package.json (and import.meta.resolve is missing under some
  // loaders), so look for node_modules/@bytecodealliance/jco upwards from this file.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const file = join(dir, 'node_modules', '@bytecodealliance', 'jco', 'package.json');
      return `jco ${JSON.parse(readFileSync(file, 'utf8')).version}`;
    } catch {
      // not installed at this level
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** jco version (its bundled wasm-tools does the parsing), part of the build cache key. */
export const toolVersion = readJcoVersion();

/**
 * @param {{ sourceFiles: string[], witDir: string, world: string, outFile: string,
 *           metadata?: Record<string, unknown> }} opts
 *   sourceFiles: exactly one .wat file (other files are only part of the caller's cache key).
 * @returns {Promise<{ size: number }>}
 */
export async function build({ sourceFiles, witDir, world, outFile, metadata }) {
  const watFiles = sourceFiles.filter((f) => f.endsWith('.wat'));
  if (watFiles.length !== 1) {
    throw new Error(`wat builder expects exactly one .wat source, got ${watFiles.length}`);
  }
  const { parse } = await import('@bytecodealliance/jco');
  const watText = await readFile(watFiles[0], 'utf8');
  let coreModule;
  try {
    coreModule = await parse(watText);
  } catch (err) {
    throw new Error(`wat builder: ${watFiles[0]}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return embedAndWrite({ coreModule, witDir, world, outFile, metadata });
}
