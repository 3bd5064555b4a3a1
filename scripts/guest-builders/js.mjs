// Guest builder for JavaScript sources: witplug's package builder (componentize-js, SpiderMonkey
// embedding, ~17 s; src/authoring/builders/js.ts). componentize-js is loaded lazily inside
// build() so that a cached run never pays for it.
import { buildJsComponent, componentizeJsAvailable } from '../../dist/authoring/builders/js.js';
import { writeComponent } from './embed.mjs';

export async function available() {
  return componentizeJsAvailable();
}

/**
 * Every WASI feature off: the gateway contract offers only witplug:host imports, and the
 * admission gate rejects anything else.
 * @param {import('./builder.d.mts').BuildOptions} opts
 */
export async function build({ sourceFiles, witDir, world, outFile, metadata }) {
  if (sourceFiles.length !== 1) {
    throw new Error(`js builder expects exactly one entry source, got ${sourceFiles.length}`);
  }
  return writeComponent(await buildJsComponent({ source: sourceFiles[0], witDir, world }), outFile, metadata);
}
