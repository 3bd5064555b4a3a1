/**
 * How an in-process instance's core modules meet witplug's call path: the
 * direct-instantiation plan (the plugin's own main module alone, when
 * witplug's generated imports and the sandbox's supply every import it has)
 * and attaching each new core instance's memory and allocator to the ABI
 * contexts that read and write it.
 */
import type { AbiContext } from '../abi/index.js';
import type { Sandbox } from '../limits/sandbox.js';
import { suppliesAll } from '../link/direct.js';
import type { ImportMemory, PluginBlueprint } from '../link/blueprint.js';
import { NONE } from './imports.js';

export interface DirectPlan {
  readonly main: WebAssembly.Module;
  readonly imports: WebAssembly.Imports;
}

/** The main module with its complete imports when instances can skip jco's glue (src/runtime/link/direct.ts); else null. */
export function directPlan(
  blueprint: PluginBlueprint, sandbox: Sandbox,
  generatedImports: ReadonlyMap<WebAssembly.Module, ReadonlyMap<string, Readonly<Record<string, unknown>>>>,
): DirectPlan | null {
  const layout = blueprint.direct;
  if (layout === null) return null;
  const imports: WebAssembly.Imports = { ...sandbox.coreHook(layout.main, {}) };
  for (const [module, table] of generatedImports.get(layout.main) ?? NONE) {
    imports[module] = { ...imports[module], ...(table as WebAssembly.ModuleImports) };
  }
  return suppliesAll(layout, imports) ? { main: layout.main, imports } : null;
}

type Realloc = (a: number, b: number, c: number, d: number) => number;

/** Points the fast path (and trampolines lowering into `module`'s memory) at a core instance once it exists. */
export function attachAbi(
  abi: AbiContext, importContexts: ReadonlyMap<ImportMemory, AbiContext>, blueprint: PluginBlueprint,
  main: WebAssembly.Instance, module: WebAssembly.Module,
): void {
  for (const [memory, context] of importContexts) {
    if (memory.module !== module) continue;
    const mem = memory.memory === null ? undefined : main.exports[memory.memory];
    const realloc = memory.realloc === null ? undefined : main.exports[memory.realloc];
    context.attach({
      exports: {},
      memory: mem instanceof WebAssembly.Memory ? mem : undefined,
      realloc: typeof realloc === 'function' ? (realloc as Realloc) : undefined,
    });
  }
  if (abi.ready) return;
  // The instance of the module the lifts come from; without a single one (then every call goes
  // through jco; the context only serves resource handles), the first that looks like it.
  const known = blueprint.mainModule;
  const isMain = known !== null
    ? module === known
    : blueprint.coreExportNames.some((n) => typeof main.exports[n] === 'function') || typeof main.exports['cabi_realloc'] === 'function';
  if (!isMain) return;
  const memory = main.exports['memory'];
  const realloc = main.exports['cabi_realloc'];
  abi.attach({
    exports: main.exports,
    memory: memory instanceof WebAssembly.Memory ? memory : undefined,
    realloc: typeof realloc === 'function' ? (realloc as Realloc) : undefined,
  }, blueprint.destructors);
}
