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
