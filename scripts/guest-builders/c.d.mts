/** Options every guest builder accepts (scripts/build-guests.mjs passes exactly these). */
export interface BuildOptions {
  /** Source files; the builder picks the ones it compiles by extension, the rest are cache-key only. */
  sourceFiles: string[];
  /** WIT directory (with deps/) or a single .wit file. */
  witDir: string;
  world: string;
  outFile: string;
  /** Appended to the component as the `witplug-metadata` custom section (UTF-8 JSON). */
  metadata?: Record<string, unknown>;
}
export function build(opts: BuildOptions): Promise<{ size: number }>;
export function available(): Promise<boolean>;
/** Version of the underlying toolchain, for cache keys; null when it is not installed. */
export const toolVersion: string | null;
export function getToolVersion(): Promise<string | null>;
export const CFLAGS: string[];
