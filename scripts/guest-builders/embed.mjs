// Shared by the C and WAT guest builders: core module + WIT world -> component binary.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { appendMetadataSection } from './metadata.mjs';

let preopensSet = false;

/**
 * Embed the world's types into `coreModule`, wrap it as a component, optionally append the
 * `witplug-metadata` section and write it to `outFile`.
 *
 * The metadata goes on the *component*, not on the core module. Measured with jco 1.35: a
 * custom section on the core module does survive componentNew, but only nested inside the
 * embedded core module, while `witplug inspect` reads the component's top-level custom
 * sections (docs/plugin-metadata.md). Appending afterwards is simple and always seen.
 *
 * @param {{ coreModule: Uint8Array, witDir: string, world: string, outFile: string,
 *           metadata?: Record<string, unknown>, adapters?: [string, Uint8Array][] }} opts
 *   adapters: core modules wit-component links in by import module name (the WASI
 *   preview1 adapter for a libc guest).
 * @returns {Promise<{ size: number }>}
 */
export async function embedAndWrite({ coreModule, witDir, world, outFile, metadata, adapters }) {
  // componentEmbed({ witPath }) reads the WIT directory (with deps/) through preview2-shim's
  // filesystem, which starts with no preopens (toolchain.md). witSource cannot carry deps/.
  if (!preopensSet) {
    const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
    _setPreopens({ '/': '/' });
    preopensSet = true;
  }
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco');
  const embedded = await componentEmbed({ binary: coreModule, witPath: resolve(witDir), world });
  const component = adapters?.length ? await componentNew(embedded, adapters) : await componentNew(embedded);
  const bytes = metadata ? appendMetadataSection(component, metadata) : component;
  await mkdir(dirname(resolve(outFile)), { recursive: true });
  await writeFile(outFile, bytes);
  return { size: bytes.length };
}
