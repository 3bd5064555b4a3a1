/**
 * jco transpilation of a component into core modules plus instantiation glue.
 *
 * We always use jco's `instantiation: 'sync'` mode: the glue then exports an
 * `instantiate(getCoreModule, imports, instantiateCore)` function and imports
 * nothing itself, so witplug decides every import (host capabilities,
 * per-plugin WASI) and sees every core instance jco creates (which is how the
 * fast call path and instrumentation hook in).
 */
import { JCO_VERSION } from '../util/tool-versions.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WitplugError, ErrorCodes } from '../errors.js';

export interface TranspiledComponent {
  /** Source of the ES module exporting `instantiate`. */
  readonly glue: string;
  /** Core wasm modules by the file name the glue asks for. */
  readonly coreModules: ReadonlyMap<string, Uint8Array>;
}

/** The options passed to jco; part of every cache key. */
export const TRANSPILE_OPTIONS = Object.freeze({
  name: 'component',
  instantiation: 'sync' as const,
  noTypescript: true,
  quiet: true,
});

export { JCO_VERSION };

/** The file jco names the core module of definition index `index` (`component.core.wasm`, `component.core2.wasm`, …). */
export function coreModuleFile(index: number): string {
  return `${TRANSPILE_OPTIONS.name}.core${index === 0 ? '' : index + 1}.wasm`;
}

export async function transpileComponent(bytes: Uint8Array): Promise<TranspiledComponent> {
  let files: Record<string, Uint8Array>;
  try {
    // Imported on first use: loading jco costs ~150 ms, and a warm (cached) load never needs it.
    const { transpile } = await import('@bytecodealliance/jco');
    ({ files } = await transpile(bytes, { ...TRANSPILE_OPTIONS }));
  } catch (e) {
    throw new WitplugError(ErrorCodes.COMPILE, `jco could not transpile the component: ${errorText(e)}`, { cause: e });
  }
  const glueBytes = files[`${TRANSPILE_OPTIONS.name}.js`];
  if (!glueBytes) throw new WitplugError(ErrorCodes.COMPILE, 'jco produced no instantiation glue');
  const coreModules = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('.wasm')) coreModules.set(name, data);
  }
  return { glue: new TextDecoder().decode(glueBytes), coreModules };
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // jco's errors carry Rust backtraces / "Stack backtrace:" blocks; keep the first lines.
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' | ');
}
