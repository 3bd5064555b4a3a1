// Sections written by other modules: bench/<name>.bench.mjs, each printing one
// JSON object as its last stdout line. Absent modules are skipped with a note.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './child.mjs';

export const SUB_BENCHES = ['admission', 'instrument', 'sandbox', 'host', 'instances'];
/** Node flags a sub-bench needs (instances measures RSS after a full GC). */
const NODE_FLAGS = { instances: ['--expose-gc'] };

export async function subBenches() {
  const out = {};
  for (const name of SUB_BENCHES) {
    const path = fileURLToPath(new URL(`../${name}.bench.mjs`, import.meta.url));
    if (!existsSync(path)) { out[name] = { skipped: `bench/${name}.bench.mjs not present` }; continue; }
    const t0 = performance.now();
    const r = await runJsonChild([...(NODE_FLAGS[name] ?? []), path], { timeoutMs: 240_000, cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    out[name] = r.ok ? { ...r.value, _wallMs: Math.round(performance.now() - t0) } : { error: r.error };
  }
  return out;
}
