// Guest builder for freestanding C sources: clang --target=wasm32 (no libc, no WASI) ->
// core module -> jco componentEmbed + componentNew. Needs Debian's clang + lld
// (scripts/setup.sh); without them available() is false and callers use guests/prebuilt/.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { embedAndWrite } from './embed.mjs';

const run = promisify(execFile);

/**
 * Flags are fixed and path-free so the output is byte-for-byte reproducible: no debug info
 * (-g would embed source/compilation directories), the producers section only names the
 * clang version, and clang's temporary object-file names never reach the linked module.
 */
export const CFLAGS = [
  '--target=wasm32',
  '-O2',
  '-nostdlib',
  '-ffreestanding',
  '-fvisibility=hidden', // only functions marked export_name are exported
  '-Wall',
  '-Wextra',
  '-Wl,--no-entry',
  '-Wl,--strip-debug',
];

/**
 * clang's wasm driver runs `wasm-opt` after linking whenever one is on PATH, and npm
 * puts binaryen's (a componentize-js dependency) there under `npm run`: the output
 * would then depend on how the build was started. Hide node_modules/.bin from clang.
 */
export function clangEnv() {
  const sep = process.platform === 'win32' ? ';' : ':';
  const path = (process.env.PATH ?? '').split(sep).filter((p) => !/node_modules[\\/]\.bin/.test(p)).join(sep);
  return { ...process.env, PATH: path };
}

async function toolOutput(cmd, args) {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 30_000 });
    return `${stdout}${stderr}`;
  } catch {
    return null;
  }
}

/** clang and wasm-ld are installed and clang knows the wasm32 target. */
export async function available() {
  const targets = await toolOutput('clang', ['-print-targets']);
  if (targets === null || !/\bwasm32\b/.test(targets)) return false;
  return (await toolOutput('wasm-ld', ['--version'])) !== null;
}

/** First line of `clang --version` (part of the build cache key), or null without clang. */
export async function getToolVersion() {
  const out = await toolOutput('clang', ['--version']);
  return out === null ? null : out.split('\n')[0].trim();
}

/** Resolved at import time so callers can read it synchronously; null without clang. */
export const toolVersion = await getToolVersion();

/**
 * The C bindings `witplug bindgen c` makes for the world, from this checkout's compiled
 * witplug (dist/): [{ name, text }] of the header and the source. Deterministic, so the
 * caller hashes the text into its cache key. The module path is built at run time so the
 * build script's import scan does not hash the whole of dist/ into every C guest's key.
 * @param {string} witDir
 * @param {string} world
 * @returns {Promise<{ name: string, text: string }[]>}
 */
export async function cBindings(witDir, world) {
  const tools = fileURLToPath(new URL(['..', '..', 'dist', 'tools.js'].join('/'), import.meta.url));
  if (!existsSync(tools)) throw new Error('c builder: witplug is not compiled (no dist/tools.js): run `npx tsc -p tsconfig.json` first');
  const { generateCBindings } = await import(pathToFileURL(tools).href);
  const { loadContract } = await import(pathToFileURL(join(dirname(tools), 'index.js')).href);
  const { header, source } = generateCBindings(await loadContract(witDir, world));
  return [header, source];
}

/**
 * @param {{ sourceFiles: string[], witDir: string, world: string, outFile: string,
 *           metadata?: Record<string, unknown>, bindgen?: boolean }} opts
 *   bindgen: generate the world's C bindings (cBindings) next to the sources and compile them too.
 *   sourceFiles: .c files are compiled and linked together; other files (headers) are only
 *   part of the caller's cache key.
 * @returns {Promise<{ size: number }>}
 */
export async function build(opts) {
  return compileAndEmbed({ ...opts, flags: CFLAGS, label: 'c builder' });
}

/**
 * clang with `flags` over the .c files, then embed + componentNew (with `adapters`, if any).
 * Shared by this builder and the wasi-libc one (c-wasi.mjs).
 * @param {{ sourceFiles: string[], witDir: string, world: string, outFile: string,
 *           metadata?: Record<string, unknown>, flags: string[], label: string,
 *           adapters?: [string, Uint8Array][] }} opts
 */
export async function compileAndEmbed({ sourceFiles, witDir, world, outFile, metadata, flags, label, adapters, bindgen }) {
  const cFiles = sourceFiles.filter((f) => f.endsWith('.c')).map((f) => resolve(f));
  if (cFiles.length === 0) throw new Error(`${label}: no .c file among sourceFiles`);
  const work = await mkdtemp(join(tmpdir(), 'witplug-c-'));
  try {
    const coreFile = join(work, 'guest.wasm');
    // Generated into the work directory: `-I` lets the sources include the header, and the
    // relative source name keeps the build path out of the output (reproducible).
    const generated = bindgen ? await cBindings(witDir, world) : [];
    for (const f of generated) await writeFile(join(work, f.name), f.text);
    const bindingSources = generated.filter((f) => f.name.endsWith('.c')).map((f) => f.name);
    const include = generated.length ? ['-I', '.', '-Werror'] : [];
    try {
      await run('clang', [...flags, ...include, '-o', 'guest.wasm', ...cFiles, ...bindingSources], { timeout: 120_000, env: clangEnv(), cwd: work });
    } catch (err) {
      const e = /** @type {{ stderr?: string, message: string }} */ (err);
      throw new Error(`${label}: clang failed: ${e.stderr || e.message}`, { cause: err });
    }
    const coreModule = new Uint8Array(await readFile(coreFile));
    return await embedAndWrite({ coreModule, witDir, world, outFile, metadata, adapters });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
