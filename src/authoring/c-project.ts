/**
 * The C side of a plugin project: bindings generated for the world the
 * plugin is built against (the WASI-narrowed one), written into the
 * project's `src/` so the author reads the header the build compiles.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCBindings, type CBindings } from '../bindings/c/index.js';
import { loadContract, type Contract } from '../contract/load.js';
import type { WasiChoice } from './project.js';
import { buildWorld } from './wasi-target.js';

/** Freestanding unless the plugin may import WASI: then wasi-libc (printf, malloc, files through WASI). */
export function cLibc(wasi: WasiChoice): 'none' | 'wasi-libc' {
  return wasi === 'none' || (Array.isArray(wasi) && wasi.length === 0) ? 'none' : 'wasi-libc';
}

/** The bindings for `contract`'s world narrowed to `wasi`. */
export async function cBindingsFor(witPath: string, contract: Contract, wasi: WasiChoice): Promise<CBindings> {
  const target = await buildWorld(witPath, contract, wasi);
  try {
    return generateCBindings(target.witPath === witPath ? contract : await loadContract(target.witPath, contract.world));
  } finally {
    await target.dispose();
  }
}

/** Writes the header and source into `srcDir`; returns their paths. */
export async function writeCBindings(srcDir: string, bindings: CBindings): Promise<{ header: string; source: string }> {
  const header = join(srcDir, bindings.header.name);
  const source = join(srcDir, bindings.source.name);
  await writeFile(header, bindings.header.text);
  await writeFile(source, bindings.source.text);
  return { header, source };
}
