import type { BuildOptions } from './builder.d.mts';
export type { BuildOptions };

/** `bindgen`: generate the world's C bindings (`witplug bindgen c`) and compile them with the sources. */
export function build(opts: BuildOptions & { bindgen?: boolean }): Promise<{ size: number }>;
/** The header and source `witplug bindgen c` makes for the world (needs the compiled dist/). */
export function cBindings(witDir: string, world: string): Promise<{ name: string; text: string }[]>;
export function available(): Promise<boolean>;
/** Version of the underlying toolchain, for cache keys; null when it is not installed. */
export const toolVersion: string | null;
export function getToolVersion(): Promise<string | null>;
export const CFLAGS: string[];
/** The environment clang runs in (node_modules/.bin hidden: no wasm-opt after linking). */
export function clangEnv(): NodeJS.ProcessEnv;
/** clang with `flags`, then embed (+ `adapters`) and componentNew: shared with the wasi-libc builder. */
export function compileAndEmbed(
  opts: BuildOptions & { flags: string[]; label: string; adapters?: [string, Uint8Array][]; bindgen?: boolean },
): Promise<{ size: number }>;
