// Shared by the C and WAT guest builders: the component comes from witplug's package code
// (src/authoring/builders/, built into dist/), this writes it with the `witplug-metadata` section.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { embedComponent } from '../../dist/authoring/builders/embed.js';
import { appendMetadataSection } from './metadata.mjs';

/**
 * The metadata goes on the *component*, not on the core module: a custom section on the core
 * module survives componentNew only nested inside it, while `witplug inspect` reads the
 * component's top-level custom sections (docs/plugin-metadata.md).
 * @param {Uint8Array} component
 * @param {string} outFile
 * @param {Record<string, unknown> | undefined} metadata
 * @returns {Promise<{ size: number }>}
 */
export async function writeComponent(component, outFile, metadata) {
  const bytes = metadata ? appendMetadataSection(component, metadata) : component;
  await mkdir(dirname(resolve(outFile)), { recursive: true });
  await writeFile(outFile, bytes);
  return { size: bytes.length };
}

/**
 * @param {{ coreModule: Uint8Array, witDir: string, world: string, outFile: string,
 *           metadata?: Record<string, unknown>, adapters?: [string, Uint8Array][] }} opts
 * @returns {Promise<{ size: number }>}
 */
export async function embedAndWrite({ coreModule, witDir, world, outFile, metadata, adapters }) {
  const component = await embedComponent(adapters ? { coreModule, witDir, world, adapters } : { coreModule, witDir, world });
  return writeComponent(component, outFile, metadata);
}
