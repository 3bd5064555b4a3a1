// Guest builder for C with a libc: clang --target=wasm32-wasi against Debian's wasi-libc
// (reactor model) -> core module importing WASI preview 1 -> jco componentEmbed +
// componentNew with the preview1 adapter jco ships (lib/wasi_snapshot_preview1.reactor.wasm),
// which turns those imports into WASI 0.2 ones. Needs clang, lld and wasi-libc
// (scripts/setup.sh); without them available() is false and callers use guests/prebuilt/.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { available as clangAvailable, getToolVersion as clangVersion, compileAndEmbed } from './c.mjs';

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
export async function build(opts) {
  const adapter = new Uint8Array(await readFile(adapterPath()));
  return compileAndEmbed({ ...opts, flags: CFLAGS, label: 'c-wasi builder', adapters: [['wasi_snapshot_preview1', adapter]] });
}
