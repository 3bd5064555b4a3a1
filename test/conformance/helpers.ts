/** Shared by the conformance tests: fixture paths and component-text fixtures. */
import { parse } from '@bytecodealliance/jco';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIXTURES = resolve(__dirname, 'fixtures');

/** A fixture written in the component text format (jco's wasm-tools assembles it). */
export async function componentFromWat(relPath: string): Promise<Uint8Array> {
  return parse(readFileSync(resolve(FIXTURES, relPath), 'utf8'));
}

export async function failure(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { code: err.code ?? 'non-witplug', message: err.message ?? String(e) };
  }
  return { code: 'ok', message: '' };
}

let preopened = false;

/** A core-module WAT fixture through the repo's WAT route: jco parse → componentEmbed (world from a WIT dir) → componentNew. */
export async function componentFromCoreWat(relWat: string, relWitDir: string, world: string): Promise<Uint8Array> {
  if (!preopened) {
    const { _addPreopen } = await import('@bytecodealliance/preview2-shim/filesystem');
    (_addPreopen as unknown as (guest: string, host: string) => void)('/', '/');
    preopened = true;
  }
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco');
  const core = await parse(readFileSync(resolve(FIXTURES, relWat), 'utf8'));
  return componentNew(await componentEmbed({ binary: core, witPath: resolve(FIXTURES, relWitDir), world }));
}
