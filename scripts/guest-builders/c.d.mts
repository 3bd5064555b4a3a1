import type { BuildOptions } from './builder.d.mts';
export type { BuildOptions };

export function build(opts: BuildOptions): Promise<{ size: number }>;
export function available(): Promise<boolean>;
/** Version of the underlying toolchain, for cache keys; null when it is not installed. */
export const toolVersion: string | null;
export function getToolVersion(): Promise<string | null>;
export const CFLAGS: string[];
/** The environment clang runs in (node_modules/.bin hidden: no wasm-opt after linking). */
export function clangEnv(): NodeJS.ProcessEnv;
/** clang with `flags`, then embed (+ `adapters`) and componentNew: shared with the wasi-libc builder. */
export function compileAndEmbed(opts: BuildOptions & { flags: string[]; label: string; adapters?: [string, Uint8Array][] }): Promise<{ size: number }>;
