/**
 * The blueprint of a prepared plugin (src/runtime/link/blueprint.ts): its
 * call route, resources, generated callers and host-import trampolines, and
 * which core imports of which module those trampolines replace.
 */
import type { ComponentShape, ResourceType } from '../../component/types.js';
import { coreModuleFile } from '../../compile/transpile.js';
import { splitModule, SectionId } from '../../compile/wasm/sections.js';
import type { CoreImportWire, DecodedComponent } from '../../component/decode.js';
import { servedByShim, versionCounts } from '../capabilities/link-check.js';
import { callRoute, servesExport } from '../link/call-route.js';
import { usesNamedContextImports } from '../abi/context-slots.js';
import { worldImports } from '../capabilities/host-imports.js';
import type { LinkedArtifact } from '../link/linker.js';
import { directLayout } from '../link/direct.js';
import { listExportedFunctions, resolveExport } from '../link/exports.js';
import {
  callerSupported, compileCaller, compileImport, coreExportName, destructorNames, exportedResources, importedResources, resourceKey, UnsupportedAbiType,
} from '../abi/index.js';
import type { ResolvedLimits } from '../limits/resolve-limits.js';
import type { CallerPlan, ImportMemory, ImportPlan, ImportSite, LoadInfo, PluginBlueprint } from '../link/blueprint.js';

/** Everything instances share: call route, resources, generated trampolines, and a memo of generated callers. */
export function blueprintOf(
  componentHash: string, shape: ComponentShape, decoded: DecodedComponent, linked: LinkedArtifact, loadInfo: LoadInfo, limits: ResolvedLimits,
  hasStart: (m: WebAssembly.Module) => boolean,
): PluginBlueprint {
  const exported = listExportedFunctions(shape);
  const coreExportNames = exported.map((f) => coreExportName(f.iface, f.func));
  const mainModule = liftedModule(decoded, linked);
  // The generated callers need the instance the exports are lifted from (src/component/core-wiring.ts).
  const route = callRoute(decoded, usesNamedContextImports(linked.modules.values()), coreExportNames.length === 0 || mainModule !== null);
  const resources = exportedResources(shape);
  const hostResources = importedResources(shape, servedByShim);
  const ownerOf = (r: ResourceType): 'plugin' | 'host' | null => {
    const key = resourceKey(r);
    return resources.has(key) ? 'plugin' : hostResources.has(key) ? 'host' : null;
  };
  // Bounded by the plugin's exports: only targets that resolve are memoised.
  const callers = new Map<string, CallerPlan>();
  const caller = (target: string, suspending = false): CallerPlan => {
    const key = suspending ? `\0${target}` : target;
    let plan = callers.get(key);
    if (plan === undefined) {
      const resolved = resolveExport(shape, target);
      const coreName = coreExportName(resolved.iface, resolved.func);
      let factory: CallerPlan['factory'] = null;
      if (route.generatedCalls && servesExport(decoded, coreName)) {
        try {
          factory = compileCaller(resolved.type, coreName, ownerOf, suspending);
        } catch (e) {
          if (!(e instanceof UnsupportedAbiType)) throw e;
        }
      }
      plan = { resolved, coreName, factory };
      callers.set(key, plan);
    }
    return plan;
  };
  // Direct instantiation when no call is expected to need jco's bindings (they would attach to the
  // instance on first use anyway, at the glue's cost), and each core module jco extracted is
  // instantiated exactly once by the component.
  const imports = route.generatedCalls ? importPlans(shape, ownerOf, hostResources) : [];
  const { sites, canon } = importSites(decoded, linked, imports, mainModule);
  // A direct instance is the main module's instance alone: every trampoline it imports must use its memory.
  const sitesOnMain = [...(mainModule ? sites.get(mainModule) ?? [] : [])].every((s) => s.memory === null || s.memory.module === mainModule);
  const allGenerated = route.generatedCalls && route.unsupported === null && sitesOnMain
    && exported.every((f, i) => servesExport(decoded, coreExportNames[i]!) && callerSupported(f.type, ownerOf))
    && decoded.oneInstancePerModule === true && decoded.coreModules?.length === linked.modules.size;
  return {
    componentHash, shape, loadInfo, route, limits, resources, hostResources, caller,
    destructors: destructorNames(resources),
    coreExportNames,
    mainModule,
    direct: allGenerated && mainModule ? directLayout(linked.modules.values(), mainModule, hasStart) : null,
    imports,
    importSites: sites,
    canonImports: canon,
    versionCounts: versionCounts(shape),
  };
}

/**
 * The compiled module the component's lifts come from: jco names core modules
 * by definition index. Checked against what it exports, so that if jco ever
 * named them differently the calls would go through jco's bindings instead of
 * a wrong instance.
 */
function liftedModule(decoded: DecodedComponent, linked: LinkedArtifact): WebAssembly.Module | null {
  const source = decoded.liftSource;
  const module = source ? linked.modules.get(coreModuleFile(source.module)) : undefined;
  if (!source || module === undefined) return null;
  const exported = new Set(WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name));
  return source.names.every((n) => exported.has(n)) ? module : null;
}

/**
 * Which core imports the generated trampolines replace, from the
 * component's own wiring (src/component/core-wiring.ts): a core import is
 * served by the trampoline of host function `iface#func` only when the
 * component wires it to a `canon lower` of exactly that function; it then
 * reads and writes the memory (and allocates with the realloc) that lower
 * names (another instance's than the lifted one: a context of its own,
 * sharing the lifted one's handle table). Imports wired to anything else —
 * a core module's own function standing in — keep what jco's glue gives
 * them, as do lowers whose memory and realloc are on different instances.
 */
function importSites(
  decoded: DecodedComponent, linked: LinkedArtifact, plans: readonly ImportPlan[], mainModule: WebAssembly.Module | null,
): { sites: Map<WebAssembly.Module, ImportSite[]>; canon: Map<WebAssembly.Module, Set<string>> } {
  const sites = new Map<WebAssembly.Module, ImportSite[]>();
  const canon = new Map<WebAssembly.Module, Set<string>>();
  const wiring = decoded.importWiring;
  if (!wiring) return { sites, canon };
  const trampolines = new Map<string, { plan: number; func: number }>();
  plans.forEach((p, plan) => p.funcs.forEach((f, func) => trampolines.set(`${p.module}\0${f.name}`, { plan, func })));
  const liftModule = mainModule === null ? null : decoded.liftSource?.module ?? null;
  const memories = new Map<string, ImportMemory>();
  const memoryOf = (wire: Extract<CoreImportWire, { kind: 'lower' }>): ImportMemory | null | undefined => {
    const { memory, realloc } = wire;
    const lifted = (item: { module: number; name: string } | null, canonical: string) =>
      item === null || (item.module === liftModule && item.name === canonical);
    if (memory === null && realloc === null) return null;
    if (liftModule !== null && lifted(memory, 'memory') && lifted(realloc, 'cabi_realloc')) return null;
    if (memory !== null && realloc !== null && memory.module !== realloc.module) return undefined;
    const index = (memory ?? realloc)!.module;
    const module = linked.modules.get(coreModuleFile(index));
    if (module === undefined) return undefined;
    const key = `${index}\0${memory?.name ?? ''}\0${realloc?.name ?? ''}\0${memory === null}${realloc === null}`;
    let found = memories.get(key);
    if (found === undefined) memories.set(key, (found = { module, memory: memory?.name ?? null, realloc: realloc?.name ?? null }));
    return found;
  };
  for (const [index, imports] of wiring) {
    const module = linked.modules.get(coreModuleFile(index));
    // Checked against what the compiled module imports, so that if jco ever numbered modules
    // differently nothing would be replaced (jco's glue then serves every import).
    if (module === undefined || !importsAll(module, imports)) continue;
    const list: ImportSite[] = [];
    const builtins = new Set<string>();
    for (const [importModule, fields] of imports) {
      for (const [name, wire] of fields) {
        if (wire.kind === 'canon') builtins.add(`${importModule}\0${name}`);
        if (wire.kind !== 'lower' || wire.iface === null || wire.func === null) continue;
        const target = trampolines.get(`${wire.iface}\0${wire.func}`);
        if (target === undefined) continue;
        const memory = memoryOf(wire);
        if (memory !== undefined) list.push({ importModule, name, ...target, memory });
      }
    }
    if (list.length > 0) sites.set(module, list);
    if (builtins.size > 0) canon.set(module, builtins);
  }
  return { sites, canon };
}

/** Whether `module` imports every function the wiring says is a lower or a canon built-in. */
function importsAll(module: WebAssembly.Module, wiring: ReadonlyMap<string, ReadonlyMap<string, CoreImportWire>>): boolean {
  const has = new Set(WebAssembly.Module.imports(module).filter((i) => i.kind === 'function').map((i) => `${i.module}\0${i.name}`));
  for (const [importModule, fields] of wiring) {
    for (const [name, wire] of fields) if (wire.kind !== 'other' && !has.has(`${importModule}\0${name}`)) return false;
  }
  return true;
}

/** Whether compiled module `m` has a start section (plugin code that runs at instantiation); asked only of shim/fixup candidates. */
export function hasStartSection(bytes: ReadonlyMap<string, Uint8Array>, linked: LinkedArtifact, m: WebAssembly.Module): boolean {
  for (const [name, module] of linked.modules) {
    if (module !== m) continue;
    const b = bytes.get(name);
    return b === undefined || splitModule(b).some((s) => s.id === SectionId.START);
  }
  return true;
}

/**
 * Host functions of non-WASI interfaces get generated trampolines; the
 * factories are compiled here once and bound per instance. WASI and
 * anything with host resources keep jco's.
 */
function importPlans(
  shape: ComponentShape, ownerOf: (r: ResourceType) => 'plugin' | 'host' | null, hostResources: ReadonlyMap<string, ResourceType>,
): ImportPlan[] {
  const ifaces = shape.imports.flatMap((item) => (item.kind === 'interface' && !servedByShim(item.name) ? [item.iface] : []));
  // World-level functions and resources come from the core import module `$root`, like an interface.
  const root = worldImports(shape);
  if (root) ifaces.push(root);
  return ifaces.map((iface) => {
    const funcs: ImportPlan['funcs'][number][] = [];
    for (const [funcName, func] of iface.funcs) {
      try {
        const hostName = `${iface.name}#${funcName}`;
        let suspending: ImportPlan['funcs'][number]['factory'] | undefined;
        funcs.push({
          name: funcName, factory: compileImport(func, hostName, ownerOf),
          suspending: () => (suspending ??= compileImport(func, hostName, ownerOf, true)),
        });
      } catch (e) {
        if (e instanceof UnsupportedAbiType) continue;
        throw e;
      }
    }
    const owner = iface === root ? '' : iface.name;
    const drops = [...hostResources].filter(([, r]) => r.interfaceName === owner).map(([key, r]) => ({ key, name: r.name }));
    return { module: iface.name, iface, funcs, drops };
  });
}
