// Builds bench/guests/*.wat: bench.wat -> core module -> component (jco
// componentEmbed + componentNew, WIT from bench.wit) and extism.wat -> core
// module (an Extism plugin is a plain core module). Output: bench/guests/dist/.
// Cached by a hash of the sources and jco's version (dist/.stamp), so
// `npm run build:guests` twice rebuilds nothing; run.mjs calls it on every
// run so the figures always match the sources.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'guests');
const out = join(src, 'dist');

const SOURCES = ['bench.wat', 'bench.wit', 'extism.wat'];
const OUTPUTS = ['bench-core.wasm', 'bench.wasm', 'extism.wasm'];

function sourceHash() {
  // jco's `exports` map hides package.json: read it next to the resolved entry point.
  let dir = dirname(createRequire(import.meta.url).resolve('@bytecodealliance/jco'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const jcoVersion = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  const h = createHash('sha256').update(`jco ${jcoVersion}\n`);
  for (const f of SOURCES) h.update(`${f}\n`).update(readFileSync(join(src, f)));
  return h.digest('hex');
}

/** @returns {Promise<Record<string, string> & { rebuilt?: boolean }>} output paths by file name */
export async function buildBenchGuests({ force = false } = {}) {
  const paths = Object.fromEntries(OUTPUTS.map((n) => [n, join(out, n)]));
  const stampPath = join(out, '.stamp');
  const hash = sourceHash();
  const fresh = !force && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === hash && OUTPUTS.every((n) => existsSync(paths[n]));
  Object.defineProperty(paths, 'rebuilt', { value: !fresh, enumerable: false });
  if (fresh) return paths;
  const { parse, componentEmbed, componentNew } = await import('@bytecodealliance/jco');
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
  writeFileSync(stampPath, hash);
  return paths;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildBenchGuests({ force: process.argv.includes('--force') });
  if (!built.rebuilt) console.log('bench guests: up to date, nothing rebuilt');
  else for (const [name, path] of Object.entries(built)) console.log(`bench guest ${name}: ${readFileSync(path).length} bytes -> ${path}`);
}
