import type { BuildOptions } from './builder.d.mts';
export type { BuildOptions };

export function build(opts: BuildOptions): Promise<{ size: number }>;
export function available(): Promise<boolean>;
/** clang's version and the wasi-libc build, for cache keys; null when either is missing. */
export const toolVersion: string | null;
export function getToolVersion(): Promise<string | null>;
export const CFLAGS: string[];
