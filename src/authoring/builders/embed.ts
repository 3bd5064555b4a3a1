/**
 * Core module + WIT world → component: jco's `componentEmbed` and
 * `componentNew` (wasm-tools compiled to JS). Shared by the C and WAT builders.
 */
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let preopensSet = false;

const SHIM_FILESYSTEM = '@bytecodealliance/preview2-shim/filesystem';

/**
 * Every copy of preview2-shim's filesystem module the builders' readers
 * load: witplug's own, jco's, jco-transpile's and componentize-js's. An npm install
 * may keep separate copies of one shim version (nested under jco), and a
 * preopen set on one copy is not seen by another.
 */
function shimFilesystemCopies(): string[] {
  const found = new Set<string>();
  const from = (parent: string, ...chain: string[]): void => {
    try {
      let at = parent;
      for (const pkg of chain) at = createRequire(at).resolve(pkg);
      found.add(createRequire(at).resolve(SHIM_FILESYSTEM));
    } catch {
      // That package is not installed (componentize-js is optional): nothing of it to grant.
    }
  };
  const self = fileURLToPath(import.meta.url);
  // jco's wasm-tools (componentEmbed) lives in jco-transpile, which may hold a copy of its own.
  const jco = ['@bytecodealliance/jco', '@bytecodealliance/jco-transpile'];
  for (const base of [[], ['@bytecodealliance/componentize-js']]) {
    for (let depth = 0; depth <= jco.length; depth++) from(self, ...base, ...jco.slice(0, depth));
  }
  return [...found];
}

/**
 * preview2-shim starts with no preopens, and jco reads `witPath` (a
 * directory with deps/) through it: without a preopen every read fails with
 * "No such file or directory (os error 44)". `witSource` cannot carry deps/,
 * so the build grants each shim copy '/' once, before jco is loaded.
 */
export async function grantBuildFilesystem(): Promise<void> {
  if (preopensSet) return;
  for (const path of shimFilesystemCopies()) {
    const fs = await import(pathToFileURL(path).href) as { _setPreopens?: unknown };
    // Its published types describe a different signature than the function has (a path map).
    if (typeof fs._setPreopens === 'function') (fs._setPreopens as (preopens: Record<string, string>) => void)({ '/': '/' });
  }
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
