/**
 * Core module + WIT world → component: jco's `componentEmbed` and
 * `componentNew` (wasm-tools compiled to JS). Shared by the C and WAT builders.
 */
import { resolve } from 'node:path';

let preopensSet = false;

/**
 * preview2-shim starts with no preopens, and jco reads `witPath` (a
 * directory with deps/) through it: without a preopen every read fails with
 * "No such file or directory (os error 44)". `witSource` cannot carry deps/,
 * so the build grants the shim '/' once, before jco is loaded.
 */
export async function grantBuildFilesystem(): Promise<void> {
  if (preopensSet) return;
  const fs = await import('@bytecodealliance/preview2-shim/filesystem');
  // Its published types describe a different signature than the function has (a path map).
  (fs._setPreopens as unknown as (preopens: Record<string, string>) => void)({ '/': '/' });
  preopensSet = true;
}

export interface EmbedOptions {
  readonly coreModule: Uint8Array;
  /** WIT directory (with deps/) or a single .wit file. */
  readonly witDir: string;
  readonly world: string;
  /** Core modules wit-component links in by import module name (the WASI preview1 adapter of a libc guest). */
  readonly adapters?: readonly (readonly [string, Uint8Array])[];
}

/** Embeds the world's types into the core module and wraps it as a component. */
export async function embedComponent({ coreModule, witDir, world, adapters }: EmbedOptions): Promise<Uint8Array> {
  await grantBuildFilesystem();
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco');
  const embedded = await componentEmbed({ binary: coreModule, witPath: resolve(witDir), world });
  return adapters !== undefined && adapters.length > 0
    ? componentNew(embedded, adapters.map(([name, bytes]) => [name, bytes] as [string, Uint8Array]))
    : componentNew(embedded);
}
