// Guest builder for C with a libc: witplug's package builder (clang --target=wasm32-wasi against
// Debian's wasi-libc, reactor model -> core module importing WASI preview 1 -> embed +
// componentNew with jco's preview1 adapter, which turns those imports into WASI 0.2 ones;
// src/authoring/builders/c.ts). Needs clang, lld and wasi-libc (scripts/setup.sh); without them
// available() is false and callers use guests/prebuilt/.
import { WASI_LIBC_CFLAGS, wasiLibcAdapters, wasiLibcAvailable, wasiLibcVersion } from '../../dist/authoring/builders/c.js';
import { compileAndEmbed } from './c.mjs';

/** As the freestanding builder's: fixed, path-free flags (reproducible output). */
export const CFLAGS = [...WASI_LIBC_CFLAGS];

export const available = wasiLibcAvailable;

/** clang's version and the wasi-libc build (its size stands for the Debian package version). */
export const getToolVersion = wasiLibcVersion;

export const toolVersion = await getToolVersion();

/** @param {import('./builder.d.mts').BuildOptions & { bindgen?: boolean }} opts */
export async function build(opts) {
  return compileAndEmbed({ ...opts, flags: CFLAGS, label: 'c-wasi builder', adapters: await wasiLibcAdapters() });
}
