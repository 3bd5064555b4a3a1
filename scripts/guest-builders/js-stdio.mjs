// Guest builder for JavaScript sources that write to stdout/stderr (console.log, console.error,
// uncaught exceptions): componentize-js with its stdio feature on, so the component imports
// wasi:cli/stdout, wasi:cli/stderr and what they need (a grant must allow them).
// The other WASI features stay off. Loaded lazily, like the js builder.
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { appendMetadataSection } from './metadata.mjs';

export const DISABLED_FEATURES = ['random', 'clocks', 'http', 'fetch-event'];

export async function available() {
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
    throw new Error(`js-stdio builder expects exactly one entry source, got ${sourceFiles.length}`);
  }
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
