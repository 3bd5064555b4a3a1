// Builds bench/guests/*.wat: bench.wat -> core module -> component (jco
// componentEmbed + componentNew, WIT from bench.wit) and extism.wat -> core
// module (an Extism plugin is a plain core module). Output: bench/guests/dist/.
// Takes milliseconds; run.mjs calls it on every run so the figures always
// match the sources.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, componentEmbed, componentNew } from '@bytecodealliance/jco';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'guests');
const out = join(src, 'dist');

export async function buildBenchGuests() {
  mkdirSync(out, { recursive: true });
  const core = await parse(readFileSync(join(src, 'bench.wat'), 'utf8'));
  const witSource = readFileSync(join(src, 'bench.wit'), 'utf8');
  const embedded = await componentEmbed({ binary: core, witSource, world: 'bench' });
  const component = await componentNew(embedded);
  const extism = await parse(readFileSync(join(src, 'extism.wat'), 'utf8'));
  const files = {
    'bench-core.wasm': core,
    'bench.wasm': component,
    'extism.wasm': extism,
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(out, name), bytes);
  return Object.fromEntries(Object.keys(files).map((n) => [n, join(out, n)]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildBenchGuests();
  for (const [name, path] of Object.entries(built)) console.log(`${name}: ${readFileSync(path).length} bytes -> ${path}`);
}
