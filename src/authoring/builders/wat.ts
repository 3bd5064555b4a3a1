/**
 * WebAssembly text → component: jco's `parse` (wasm-tools' WAT parser) for
 * the core module, then embed + `componentNew`. Pure JS, always available.
 */
import { readFile } from 'node:fs/promises';
import { embedComponent } from './embed.js';
import { buildFailed } from './toolchain.js';

/** The WAT parser's version is jco's (it bundles wasm-tools); part of the repository's build cache key. */
export async function watToolVersion(): Promise<string | null> {
  try {
    const { createRequire } = await import('node:module');
    // jco's exports map hides package.json, so it is found next to its resolved entry point.
    const entry = createRequire(import.meta.url).resolve('@bytecodealliance/jco');
    const root = entry.slice(0, entry.lastIndexOf('/node_modules/@bytecodealliance/jco/') + '/node_modules/@bytecodealliance/jco/'.length);
    return `jco ${(JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { version: string }).version}`;
  } catch {
    return null;
  }
}

/** Parses one WAT source into a core module; a syntax error is the author's (`BUILD`), naming the file. */
export async function watToCore(file: string): Promise<Uint8Array> {
  const { parse } = await import('@bytecodealliance/jco');
  const text = await readFile(file, 'utf8');
  try {
    return await parse(text);
  } catch (err) {
    throw buildFailed(`parsing ${file}`, err instanceof Error ? err.message : String(err), err);
  }
}

/** One .wat file → component for `world` of the WIT at `witDir`. */
export async function buildWatComponent(watFile: string, witDir: string, world: string): Promise<Uint8Array> {
  const coreModule = await watToCore(watFile);
  try {
    return await embedComponent({ coreModule, witDir, world });
  } catch (err) {
    throw buildFailed(`embedding world ${world} into ${watFile}`, err instanceof Error ? err.message : String(err), err);
  }
}
