/**
 * Direct instantiation: for a component whose every call and every import
 * witplug's generated path serves, an instance is one core instance of the
 * plugin's own module with witplug's imports — no jco glue, no shim and
 * fixup modules.
 *
 * Why: jco's glue defines its whole runtime (task machinery, classes,
 * ~4 600 lines) inside `instantiate()`, so every instance re-creates it
 * (~40 KB of heap per instance) and wit-component's shim/fixup pair costs
 * two more core instances. Measured on the C gateway guest: ~340 µs average
 * per instance through jco, most of it glue objects and the GC they cause.
 *
 * The layout recognised is wit-component's: one main module; optionally a
 * shim (no imports but the sandbox's instrumentation; exports functions and
 * the `$imports` table) and a fixup (imports only `actual.*` functions and
 * `shim.$imports`; exports nothing) whose only effect is to route the main
 * module's lowered imports through that table. When witplug supplies every import of the main module itself,
 * that routing is dead and the pair can be skipped. What it supplies is only what the component wires
 * there (src/runtime/load/prepare.ts `importSites`): a core module's own function standing where a host
 * import is expected, or a host import lowered with another instance's memory, keeps the glue. Anything else (a WASI
 * adapter, several real modules, `_initialize`) keeps jco's glue.
 */

import { WITPLUG_HOST_MODULE } from '../../compile/instrument-options.js';

/** The core module an instance is made of, and what it imports. */
export interface DirectLayout {
  readonly main: WebAssembly.Module;
  readonly imports: readonly WebAssembly.ModuleImportDescriptor[];
}

/**
 * Initialisers run at instantiation (wit-component adds a module whose start
 * function calls `_initialize`; measured on guests/c-wasi): such components
 * keep the glue.
 */
const INIT_EXPORTS = new Set(['_initialize', '_start']);

/** Imports the sandbox's instrumentation adds to every module (fuel, deadline, grow flag). */
const plain = (imports: WebAssembly.ModuleImportDescriptor[]) => imports.filter((i) => i.module !== WITPLUG_HOST_MODULE);

function isShim(m: WebAssembly.Module): boolean {
  const exports = WebAssembly.Module.exports(m);
  return plain(WebAssembly.Module.imports(m)).length === 0
    && exports.every((e) => e.kind === 'function' || (e.kind === 'table' && e.name === '$imports'));
}

function isFixup(m: WebAssembly.Module): boolean {
  return WebAssembly.Module.exports(m).length === 0
    && plain(WebAssembly.Module.imports(m))
      .every((i) => (i.module === 'actual' && i.kind === 'function') || (i.module === 'shim' && i.name === '$imports' && i.kind === 'table'));
}

/**
 * The layout when every core module other than `main` (the module the
 * component's lifts come from, src/component/core-wiring.ts) is
 * wit-component's shim or fixup without start code, and `main` has no init
 * export jco would call; null otherwise (instances then go through jco's glue).
 */
export function directLayout(
  modules: Iterable<WebAssembly.Module>, main: WebAssembly.Module, hasStart: (m: WebAssembly.Module) => boolean,
): DirectLayout | null {
  for (const m of modules) {
    if (m === main) continue;
    // Another real module is linked by the glue. A shim or fixup with start code would run plugin
    // code at instantiation that skipping them would drop (wit-component's never have one).
    if ((!isShim(m) && !isFixup(m)) || hasStart(m)) return null;
  }
  if (WebAssembly.Module.exports(main).some((e) => INIT_EXPORTS.has(e.name))) return null;
  return { main, imports: WebAssembly.Module.imports(main) };
}

/** True when `imports` supplies every import of the layout's main module, each of the right kind. */
export function suppliesAll(layout: DirectLayout, imports: WebAssembly.Imports): boolean {
  return layout.imports.every((d) => {
    const value = (imports[d.module] as Record<string, unknown> | undefined)?.[d.name];
    return d.kind === 'function' ? typeof value === 'function' || isSuspending(value) : value !== undefined;
  });
}

/** A `WebAssembly.Suspending` import (an async host function's trampoline, JS promise integration). */
function isSuspending(value: unknown): boolean {
  const Suspending = (WebAssembly as unknown as { Suspending?: abstract new (...args: never[]) => object }).Suspending;
  return Suspending !== undefined && value instanceof Suspending;
}
