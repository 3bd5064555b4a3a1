// Guest builder for freestanding C sources: clang --target=wasm32 (no libc, no WASI) ->
// core module -> jco componentEmbed + componentNew. Needs Debian's clang + lld
// (scripts/setup.sh); without them available() is false and callers use guests/prebuilt/.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
 * @param {{ sourceFiles: string[], witDir: string, world: string, outFile: string,
 *           metadata?: Record<string, unknown> }} opts
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
export async function compileAndEmbed({ sourceFiles, witDir, world, outFile, metadata, flags, label, adapters }) {
  const cFiles = sourceFiles.filter((f) => f.endsWith('.c')).map((f) => resolve(f));
  if (cFiles.length === 0) throw new Error(`${label}: no .c file among sourceFiles`);
  const work = await mkdtemp(join(tmpdir(), 'witplug-c-'));
  try {
    const coreFile = join(work, 'guest.wasm');
    try {
      await run('clang', [...flags, '-o', coreFile, ...cFiles], { timeout: 120_000, env: clangEnv() });
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
