import type { BuildOptions } from './builder.d.mts';
export type { BuildOptions };

export function build(opts: BuildOptions): Promise<{ size: number }>;
export function available(): Promise<boolean>;
/** Version of the underlying toolchain, for cache keys; null when it is not installed. */
export const toolVersion: string | null;
