/**
 * C → component with clang: freestanding wasm32 (no libc, no WASI) or
 * wasm32-wasi against Debian's wasi-libc (reactor model, linked through the
 * WASI preview1 adapter jco ships), then embed + `componentNew`.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedComponent } from './embed.js';
import { buildFailed, runTool, toolOutput, toolchainMissing } from './toolchain.js';

/**
 * Fixed, path-free flags so the output is byte-for-byte reproducible: no debug
 * info (-g would embed directories), the producers section names only the
 * clang version, and clang's temporary object-file names never reach the module.
 */
export const FREESTANDING_CFLAGS: readonly string[] = [
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

/** Debian's wasi-libc: headers in /usr/include/wasm32-wasi, crt and libc in /usr/lib/wasm32-wasi. */
const WASI_SYSROOT = '/usr';
const REACTOR_CRT = '/usr/lib/wasm32-wasi/crt1-reactor.o';
const WASI_LIBC = '/usr/lib/wasm32-wasi/libc.a';

export const WASI_LIBC_CFLAGS: readonly string[] = [
  '--target=wasm32-wasi',
  `--sysroot=${WASI_SYSROOT}`,
  '-O2',
  '-mexec-model=reactor',
  '-fvisibility=hidden',
  '-Wall',
  '-Wextra',
  '-Wl,--strip-debug',
];

export const INSTALL_CLANG = 'install clang and lld (Debian: apt-get install clang lld)';
export const INSTALL_WASI_LIBC = 'install clang, lld and wasi-libc (Debian: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32)';

/**
 * clang's wasm driver runs `wasm-opt` after linking whenever one is on PATH,
 * and npm puts binaryen's there under `npm run`: the output would depend on how
 * the build was started. node_modules/.bin is hidden from clang.
 */
export function clangEnv(): NodeJS.ProcessEnv {
  const sep = process.platform === 'win32' ? ';' : ':';
  const path = (process.env['PATH'] ?? '').split(sep).filter((p) => !/node_modules[\\/]\.bin/.test(p)).join(sep);
  return { ...process.env, PATH: path };
}

/** clang and wasm-ld are installed and clang knows the wasm32 target. */
export async function clangAvailable(): Promise<boolean> {
  const targets = await toolOutput('clang', ['-print-targets']);
  if (targets === null || !/\bwasm32\b/.test(targets)) return false;
  return (await toolOutput('wasm-ld', ['--version'])) !== null;
}

/** jco's WASI preview1 → 0.2 adapter (reactor flavour). */
export async function preview1ReactorAdapter(): Promise<string> {
  const { preview1AdapterReactorPath } = await import('@bytecodealliance/jco');
  return fileURLToPath(preview1AdapterReactorPath());
}

export async function wasiLibcAvailable(): Promise<boolean> {
  return existsSync(REACTOR_CRT) && existsSync(await preview1ReactorAdapter()) && (await clangAvailable());
}

/** First line of `clang --version`, or null without clang. */
export async function clangVersion(): Promise<string | null> {
  const out = await toolOutput('clang', ['--version']);
  return out === null ? null : out.split('\n')[0]!.trim();
}

/** clang's version and the wasi-libc build (its size stands for the Debian package version). */
export async function wasiLibcVersion(): Promise<string | null> {
  const clang = await clangVersion();
  if (clang === null || !existsSync(WASI_LIBC)) return null;
  return `${clang}; wasi-libc ${statSync(WASI_LIBC).size}`;
}

/** A generated file (the C bindings' header or source), written next to the build. */
export interface GeneratedFile { readonly name: string; readonly text: string }

export interface CCompileOptions {
  /** .c files are compiled and linked together; other files (headers) are ignored here. */
  readonly sourceFiles: readonly string[];
  readonly flags: readonly string[];
  /**
   * Generated bindings: written into the build directory, found with `-I .`, compiled with
   * `-Werror` under their relative names so no build path reaches the output (reproducible).
   */
  readonly bindings?: readonly GeneratedFile[];
  /** More `-I` directories (a project's `src/`). */
  readonly includeDirs?: readonly string[];
}

/** clang over the sources (and bindings) → the core module. */
export async function compileC({ sourceFiles, flags, bindings = [], includeDirs = [] }: CCompileOptions): Promise<Uint8Array> {
  const cFiles = sourceFiles.filter((f) => f.endsWith('.c')).map((f) => resolve(f));
  if (cFiles.length === 0) throw buildFailed('the C build', 'no .c file among the sources');
  const work = await mkdtemp(join(tmpdir(), 'witplug-c-'));
  try {
    for (const f of bindings) await writeFile(join(work, f.name), f.text);
    const bindingSources = bindings.filter((f) => f.name.endsWith('.c')).map((f) => f.name);
    const include = [...(bindings.length ? ['-I', '.', '-Werror'] : []), ...includeDirs.flatMap((d) => ['-I', resolve(d)])];
    try {
      await runTool('clang', [...flags, ...include, '-o', 'guest.wasm', ...cFiles, ...bindingSources], { timeoutMs: 120_000, env: clangEnv(), cwd: work });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw buildFailed('clang', e.stderr || e.message, err);
    }
    return new Uint8Array(await readFile(join(work, 'guest.wasm')));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The preview1 adapter a wasi-libc core module is linked with, by import module name. */
export async function wasiLibcAdapters(): Promise<[string, Uint8Array][]> {
  return [['wasi_snapshot_preview1', new Uint8Array(await readFile(await preview1ReactorAdapter()))]];
}

export interface CBuildOptions {
  readonly sourceFiles: readonly string[];
  readonly witDir: string;
  readonly world: string;
  readonly libc: 'none' | 'wasi-libc';
  readonly bindings?: readonly GeneratedFile[];
  readonly includeDirs?: readonly string[];
}

/** clang over the .c files, then embed (+ the preview1 adapter with wasi-libc) and componentNew. */
export async function buildCComponent({ sourceFiles, witDir, world, libc, bindings, includeDirs }: CBuildOptions): Promise<Uint8Array> {
  if (libc === 'wasi-libc' && !(await wasiLibcAvailable())) throw toolchainMissing('clang for wasm32-wasi with wasi-libc', INSTALL_WASI_LIBC);
  if (libc === 'none' && !(await clangAvailable())) throw toolchainMissing('clang for wasm32 with wasm-ld', INSTALL_CLANG);
  const flags = libc === 'wasi-libc' ? WASI_LIBC_CFLAGS : FREESTANDING_CFLAGS;
  const coreModule = await compileC({ sourceFiles, flags, ...(bindings ? { bindings } : {}), ...(includeDirs ? { includeDirs } : {}) });
  try {
    return libc === 'wasi-libc'
      ? await embedComponent({ coreModule, witDir, world, adapters: await wasiLibcAdapters() })
      : await embedComponent({ coreModule, witDir, world });
  } catch (err) {
    throw buildFailed(`embedding world ${world}`, err instanceof Error ? err.message : String(err), err);
  }
}
