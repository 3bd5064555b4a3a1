// Sections written by other modules: bench/<name>.bench.mjs, each printing one
// JSON object as its last stdout line. Absent modules are skipped with a note.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './child.mjs';

export const SUB_BENCHES = ['admission', 'instrument', 'sandbox', 'host', 'close', 'instances', 'services'];
/** Node flags and arguments a section needs (close and instances measure RSS after full GCs). */
const SECTION_ARGS = { close: { flags: ['--expose-gc'], args: ['1000'] }, instances: { flags: ['--expose-gc'], args: [] } };

export async function subBenches() {
  const out = {};
  for (const name of SUB_BENCHES) {
    const path = fileURLToPath(new URL(`../${name}.bench.mjs`, import.meta.url));
    if (!existsSync(path)) { out[name] = { skipped: `bench/${name}.bench.mjs not present` }; continue; }
    const t0 = performance.now();
    const extra = SECTION_ARGS[name] ?? { flags: [], args: [] };
    const r = await runJsonChild([...extra.flags, path, ...extra.args], { timeoutMs: 240_000, cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    out[name] = r.ok ? { ...r.value, _wallMs: Math.round(performance.now() - t0) } : { error: r.error };
  }
  return out;
}
