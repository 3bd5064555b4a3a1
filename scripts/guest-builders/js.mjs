// Guest builder for JavaScript sources, via componentize-js (SpiderMonkey embedding, ~17 s).
// componentize-js is loaded lazily inside build() so that a cached run never pays for it.
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { appendMetadataSection } from './metadata.mjs';

// Every WASI feature off: the gateway contract offers only witplug:host imports, and the
// admission gate rejects anything else. 'fetch-event' is accepted by 0.23 (DEFAULT_FEATURES).
export const DISABLED_FEATURES = ['stdio', 'random', 'clocks', 'http', 'fetch-event'];

export async function available() {
  // Resolve without importing: loading componentize-js costs far more than this check.
  try {
    import.meta.resolve('@bytecodealliance/componentize-js');
    import.meta.resolve('@bytecodealliance/preview2-shim/filesystem');
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {{ sourceFiles: string[], witDir: string, world: string, outFile: string,
 *           metadata?: Record<string, unknown> }} opts
 */
export async function build({ sourceFiles, witDir, world, outFile, metadata }) {
  if (sourceFiles.length !== 1) {
    throw new Error(`js builder expects exactly one entry source, got ${sourceFiles.length}`);
  }
  // componentize-js reads the WIT through preview2-shim's filesystem, which starts with no
  // preopens (toolchain.md): grant '/' before componentize-js is imported.
  const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
  _setPreopens({ '/': '/' });
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const { component } = await componentize({
    sourcePath: resolve(sourceFiles[0]),
    witPath: resolve(witDir),
    worldName: world,
    disableFeatures: DISABLED_FEATURES,
  });
  const bytes = metadata ? appendMetadataSection(component, metadata) : component;
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, bytes);
  return { size: bytes.length };
}
