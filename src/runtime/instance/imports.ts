/**
 * The core imports witplug supplies to one instance itself: generated
 * host-import trampolines bound to the instance's ABI contexts, and the
 * canon built-ins (resource intrinsics, context slots) its modules are wired to.
 */
import type { AbiContext } from '../abi/index.js';
import { hostFunction, type PluginEnvironment } from '../capabilities/host-imports.js';
import { isAsyncHost } from '../capabilities/host-caller.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { Sandbox } from '../limits/sandbox.js';
import type { ImportMemory, ImportSite, PluginBlueprint } from '../link/blueprint.js';
import { isThenable } from '../../util/thenable.js';

export const NONE: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map();

/** The canon built-ins of `intrinsics` that each module's imports are wired to, by module. */
export function canonWired(
  canon: ReadonlyMap<WebAssembly.Module, ReadonlySet<string>>, intrinsics: ReadonlyMap<string, Record<string, unknown>>,
): Map<WebAssembly.Module, Map<string, Record<string, unknown>>> {
  const out = new Map<WebAssembly.Module, Map<string, Record<string, unknown>>>();
  if (intrinsics.size === 0) return out;
  for (const [module, keys] of canon) {
    const tables = new Map<string, Record<string, unknown>>();
    for (const [importModule, funcs] of intrinsics) {
      const table: Record<string, unknown> = {};
      let any = false;
      for (const [name, f] of Object.entries(funcs)) {
        if (!keys.has(`${importModule}\0${name}`)) continue;
        table[name] = f;
        any = true;
      }
      if (any) tables.set(importModule, table);
    }
    if (tables.size > 0) out.set(module, tables);
  }
  return out;
}

/**
 * Host functions of non-WASI interfaces get generated trampolines (the
 * guest calls them directly; memory is read through an AbiContext),
 * compiled once by prepare() and bound here to this instance, each to the
 * context of the memory its `canon lower` names. They replace only the
 * core imports the component wires to that host function; `intrinsics`
 * (canon built-ins by import module) only imports wired to canon built-ins.
 * WASI keeps jco's.
 */
export function bindGeneratedImports(
  blueprint: PluginBlueprint, abi: AbiContext, contextFor: (memory: ImportMemory) => AbiContext, sandbox: Sandbox,
  env: PluginEnvironment, intrinsics: ReadonlyMap<string, Record<string, unknown>>, generation: () => number,
): Map<WebAssembly.Module, Map<string, Record<string, unknown>>> {
  const plans = blueprint.imports;
  const bound = new Map<AbiContext, unknown[][]>();
  const trampoline = (site: ImportSite): unknown => {
    const context = site.memory === null ? abi : contextFor(site.memory);
    let byPlan = bound.get(context);
    if (byPlan === undefined) bound.set(context, (byPlan = plans.map(() => [])));
    const fns = byPlan[site.plan]!;
    if (fns[site.func] === undefined) {
      const plan = plans[site.plan]!;
      const { name, factory, suspending } = plan.funcs[site.func]!;
      const impl = hostFunction(env, plan.iface, name);
      // The sandbox adds its deadline check to host calls (a loop of host calls burns little fuel).
      fns[site.func] = isAsyncHost(impl)
        ? suspendingImport(suspending()(context, sandbox.guardHostFunction(unlessReplaced(impl, generation, env.name))))
        : factory(context, sandbox.guardHostFunction(impl));
    }
    return fns[site.func];
  };
  const out = canonWired(blueprint.canonImports, intrinsics);
  for (const [module, sites] of blueprint.importSites) {
    let tables = out.get(module);
    if (tables === undefined) out.set(module, (tables = new Map()));
    for (const site of sites) {
      let table = tables.get(site.importModule);
      if (table === undefined) tables.set(site.importModule, (table = Object.create(null) as Record<string, unknown>));
      table[site.name] = trampoline(site);
    }
  }
  return out;
}

/** Host resources: the plugin drops its handles through `[resource-drop]R`; the host may want to know. */
export function bindHostDrops(blueprint: PluginBlueprint, abi: AbiContext, env: PluginEnvironment, into: Map<string, Record<string, unknown>>): void {
  for (const plan of blueprint.imports) {
    if (plan.drops.length === 0) continue;
    const table = into.get(plan.module) ?? {};
    for (const { key, name } of plan.drops) {
      table[`[resource-drop]${name}`] = (h: number) => abi.resourceDrop(key, h >>> 0);
      const onDrop = hostFunction(env, plan.iface, `[resource-drop]${name}`, null);
      if (onDrop) abi.hostDrops.set(key, onDrop as (value: object) => unknown);
    }
    into.set(plan.module, table);
  }
}

/** An import whose JS function returns a promise the guest's stack waits for (JS promise integration). */
function suspendingImport(f: unknown): unknown {
  const Suspending = (WebAssembly as unknown as { Suspending: new (f: unknown) => unknown }).Suspending;
  return new Suspending(f);
}

/**
 * An async host function whose result is refused when the instance was
 * replaced while it ran (the call timed out): the trampoline would write it
 * into the new instance's memory through the shared ABI context.
 */
function unlessReplaced(impl: (...args: never[]) => unknown, generation: () => number, plugin: string): (...args: never[]) => unknown {
  const f = impl as (...args: unknown[]) => unknown;
  return (...args: unknown[]) => {
    const started = generation();
    const value = f(...args);
    // A value answered at once (a cache hit) needs no suspension, and nothing can replace the instance meanwhile.
    if (!isThenable(value)) return value;
    return Promise.resolve(value).then((settled) => {
      if (generation() !== started) throw new WitplugError(ErrorCodes.HOST_ERROR, `an async host function settled after plugin ${plugin}'s call was abandoned; its result was dropped`, { plugin });
      return settled;
    });
  };
}
