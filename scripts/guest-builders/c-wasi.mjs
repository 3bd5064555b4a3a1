// Guest builder for C with a libc: clang --target=wasm32-wasi against Debian's wasi-libc
// (reactor model) -> core module importing WASI preview 1 -> jco componentEmbed +
// componentNew with the preview1 adapter jco ships (lib/wasi_snapshot_preview1.reactor.wasm),
// which turns those imports into WASI 0.2 ones. Needs clang, lld and wasi-libc
// (scripts/setup.sh); without them available() is false and callers use guests/prebuilt/.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { embedAndWrite } from './embed.mjs';
import { available as clangAvailable, getToolVersion as clangVersion, clangEnv } from './c.mjs';

const run = promisify(execFile);

/** Debian's wasi-libc: headers in /usr/include/wasm32-wasi, crt and libc in /usr/lib/wasm32-wasi. */
const SYSROOT = '/usr';
const REACTOR_CRT = '/usr/lib/wasm32-wasi/crt1-reactor.o';
const LIBC = '/usr/lib/wasm32-wasi/libc.a';

/** As the freestanding builder's: fixed, path-free flags (reproducible output). */
export const CFLAGS = [
  '--target=wasm32-wasi',
  `--sysroot=${SYSROOT}`,
  '-O2',
  '-mexec-model=reactor',
  '-fvisibility=hidden',
  '-Wall',
  '-Wextra',
  '-Wl,--strip-debug',
];

/** jco's package does not export its lib/ folder: found from the repo's node_modules. */
function adapterPath() {
  return fileURLToPath(new URL('../../node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.reactor.wasm', import.meta.url));
}

export async function available() {
  return existsSync(REACTOR_CRT) && existsSync(adapterPath()) && (await clangAvailable());
}

/** clang's version and the wasi-libc build (its size stands for the Debian package version). */
export async function getToolVersion() {
  const clang = await clangVersion();
  if (clang === null || !existsSync(LIBC)) return null;
  return `${clang}; wasi-libc ${statSync(LIBC).size}`;
}

export const toolVersion = await getToolVersion();

/** @param {import('./builder.d.mts').BuildOptions} opts */
export async function build({ sourceFiles, witDir, world, outFile, metadata }) {
  const cFiles = sourceFiles.filter((f) => f.endsWith('.c')).map((f) => resolve(f));
  if (cFiles.length === 0) throw new Error('c-wasi builder: no .c file among sourceFiles');
  const work = await mkdtemp(join(tmpdir(), 'witplug-c-wasi-'));
  try {
    const coreFile = join(work, 'guest.wasm');
    try {
      await run('clang', [...CFLAGS, '-o', coreFile, ...cFiles], { timeout: 120_000, env: clangEnv() });
    } catch (err) {
      const e = /** @type {{ stderr?: string, message: string }} */ (err);
      throw new Error(`c-wasi builder: clang failed: ${e.stderr || e.message}`);
    }
    const coreModule = new Uint8Array(await readFile(coreFile));
    const adapter = new Uint8Array(await readFile(adapterPath()));
    return await embedAndWrite({ coreModule, witDir, world, outFile, metadata, adapters: [['wasi_snapshot_preview1', adapter]] });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
