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

/**
 * Set once jco has crashed in this thread: a panic inside jco's transpiler (a
 * wasm component itself) leaves its instance unusable ("cannot enter component
 * instance") for every later transpile, so later ones run in a replaceable
 * worker thread (transpiler-thread.ts). Until then, transpiling here costs no
 * thread start.
 */
let hostJcoCrashed = false;

export async function transpileComponent(bytes: Uint8Array): Promise<TranspiledComponent> {
  let files: Record<string, Uint8Array> | undefined;
  if (!hostJcoCrashed) {
    try {
      // Imported on first use: loading jco costs ~150 ms, and a warm (cached) load never needs it.
      const { transpile } = await import('@bytecodealliance/jco');
      ({ files } = await transpile(bytes, { ...TRANSPILE_OPTIONS }));
    } catch (e) {
      if (!isJcoCrash(e)) {
        throw new WitplugError(ErrorCodes.COMPILE, `jco could not transpile the component: ${errorText(e)}`, { cause: e });
      }
      hostJcoCrashed = true;
    }
  }
  if (files === undefined) {
    // A fresh transpiler: this component again (to succeed if it was another's crash
    // that poisoned this thread's jco, or to get jco's panic message), then every later one.
    const { transpileInThread } = await import('./transpiler-thread.js');
    const r = await transpileInThread({ bytes, options: TRANSPILE_OPTIONS });
    if (!r.ok) {
      const what = r.crashed ? `jco ${JCO_VERSION} crashed transpiling the component` : 'jco could not transpile the component';
      throw new WitplugError(ErrorCodes.COMPILE, `${what}: ${errorText(r.message)}`);
    }
    files = r.files;
  }
  const glueBytes = files[`${TRANSPILE_OPTIONS.name}.js`];
  if (!glueBytes) throw new WitplugError(ErrorCodes.COMPILE, 'jco produced no instantiation glue');
  const coreModules = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('.wasm')) coreModules.set(name, data);
  }
  return { glue: new TextDecoder().decode(glueBytes), coreModules };
}

/**
 * A trap (Rust panic → `unreachable`) or a stack overflow inside jco's own
 * wasm: its component instance cannot be entered again. jco's ordinary
 * refusals (invalid input) are plain errors and leave it usable.
 */
export function isJcoCrash(e: unknown): boolean {
  return e instanceof WebAssembly.RuntimeError || e instanceof RangeError;
}

/** Whether jco has crashed in this thread (later transpiles run in a worker thread). */
export function hostTranspilerCrashed(): boolean {
  return hostJcoCrashed;
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // jco's errors carry Rust backtraces / "Stack backtrace:" blocks; keep the first lines.
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' | ');
}
