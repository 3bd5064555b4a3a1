/** Versions of the tools witplug builds with; part of cache keys (a different jco → a rebuild). */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** jco's version, read from its package.json (part of the cache header). */
export const JCO_VERSION: string = readPackageVersion('@bytecodealliance/jco');

/** jco's `exports` map hides package.json, so find it next to the resolved entry point. */
function readPackageVersion(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  for (let i = 0; i < 5; i++) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg && json.version) return json.version;
    } catch {
      // not here; look one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
