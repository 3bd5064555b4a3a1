/**
 * The blueprint of a prepared plugin (src/runtime/link/blueprint.ts): its
 * call route, resources, generated callers and host-import trampolines, and
 * which core imports of which module those trampolines replace.
 */
import type { ComponentShape, InterfaceType, ResourceType } from '../../component/types.js';
import type { ModuleFacts } from '../../compile/module-facts.js';
import type { CoreImportWire, DecodedComponent } from '../../component/decode.js';
import { callRoute, servesExport, usesNamedContextImports } from './call-route.js';
import type { LinkedArtifact } from './linker.js';
import { directLayout } from './direct.js';
import { listExportedFunctions, resolveExport } from './exports.js';
import {
  callerSupported, compileCaller, compileImport, coreExportName, destructorNames, exportedResources, importedResources, resourceKey, UnsupportedAbiType,
} from '../abi/index.js';
import type { ResolvedLimits } from '../limits/resolve-limits.js';
import { WORLD_IMPORTS_KEY } from '../capabilities/host-imports.js';
import type { CallerPlan, ImportMemory, ImportPlan, ImportSite, LoadInfo, PluginBlueprint } from './blueprint.js';

/** What the earlier stages of prepare() found, as plain data. */
export interface BlueprintInputs {
  readonly componentHash: string;
  readonly shape: ComponentShape;
  readonly decoded: DecodedComponent;
  readonly linked: LinkedArtifact;
  readonly loadInfo: LoadInfo;
  readonly limits: ResolvedLimits;
  /** How many versions of each unversioned interface the plugin imports (src/component/versions.ts). */
  readonly versionCounts: ReadonlyMap<string, number>;
  /** Imports preview2-shim serves, and the host's interfaces (src/runtime/capabilities/capability-plan.ts). */
  readonly shimServed: ReadonlySet<string>;
  readonly hostInterfaces: readonly InterfaceType[];
  /** Which file each core module index is, which modules run no start code (src/compile/module-facts.ts). */
  readonly modules: ModuleFacts;
}

/**
 * Everything instances share: call route, resources, generated trampolines,
 * and a memo of generated callers. Worked out stage by stage: the linking
 * questions first (the lifted module, exports, call route, direct layout),
 * then the canonical ABI (resources, trampolines, callers).
 */
export function blueprintOf(inputs: BlueprintInputs): PluginBlueprint {
  const { componentHash, shape, decoded, linked, loadInfo, limits } = inputs;
  const { files, withoutStart } = inputs.modules;
  const moduleAt = (index: number): WebAssembly.Module | undefined => {
    const file = files[index];
    return file === undefined ? undefined : linked.modules.get(file);
  };
  // The generated callers need the instance the exports are lifted from (src/component/core-wiring.ts).
  const mainModule = liftedModule(decoded, moduleAt);
  const exported = listExportedFunctions(shape);
  const route = callRoute(decoded, usesNamedContextImports(linked.modules.values()), exported.length === 0 || mainModule !== null);
  // Direct instantiation when no call is expected to need jco's bindings (they would attach to the
  // instance on first use anyway, at the glue's cost); the ABI checks below may still rule it out.
  // Each core module jco extracted must be instantiated exactly once by the component.
  const oneEach = decoded.oneInstancePerModule === true && decoded.coreModules?.length === linked.modules.size;
  const layout = oneEach && mainModule && route.generatedCalls && route.unsupported === null
    ? directLayout(linked.modules.values(), mainModule, (m) => !withoutStart.has(fileOf(linked, m)))
    : null;

  const coreExportNames = exported.map((f) => coreExportName(f.iface, f.func));
  const resources = exportedResources(shape);
  const hostResources = importedResources(shape, (name) => inputs.shimServed.has(name));
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
  const imports = route.generatedCalls ? importPlans(inputs.hostInterfaces, ownerOf, hostResources) : [];
  const { sites, canon } = importSites(decoded, moduleAt, imports, mainModule);
  // A direct instance is the main module's instance alone: every trampoline it imports must use its memory.
  const sitesOnMain = [...(mainModule ? sites.get(mainModule) ?? [] : [])].every((s) => s.memory === null || s.memory.module === mainModule);
  const allGenerated = layout !== null && sitesOnMain
    && exported.every((f, i) => servesExport(decoded, coreExportNames[i]!) && callerSupported(f.type, ownerOf));
  return {
    componentHash, shape, loadInfo, route, limits, resources, hostResources, caller,
    destructors: destructorNames(resources),
    coreExportNames,
    mainModule,
    direct: allGenerated ? layout : null,
    imports,
    importSites: sites,
    canonImports: canon,
    versionCounts: inputs.versionCounts,
  };
}

/**
 * The compiled module the component's lifts come from: jco names core modules
 * by definition index. Checked against what it exports, so that if jco ever
 * named them differently the calls would go through jco's bindings instead of
 * a wrong instance.
 */
function liftedModule(decoded: DecodedComponent, moduleAt: (index: number) => WebAssembly.Module | undefined): WebAssembly.Module | null {
  const source = decoded.liftSource;
  const module = source ? moduleAt(source.module) : undefined;
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
  decoded: DecodedComponent, moduleAt: (index: number) => WebAssembly.Module | undefined, plans: readonly ImportPlan[], mainModule: WebAssembly.Module | null,
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
    const module = moduleAt(index);
    if (module === undefined) return undefined;
    const key = `${index}\0${memory?.name ?? ''}\0${realloc?.name ?? ''}\0${memory === null}${realloc === null}`;
    let found = memories.get(key);
    if (found === undefined) memories.set(key, (found = { module, memory: memory?.name ?? null, realloc: realloc?.name ?? null }));
    return found;
  };
  for (const [index, imports] of wiring) {
    const module = moduleAt(index);
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

/** The file a compiled module was made from. */
function fileOf(linked: LinkedArtifact, m: WebAssembly.Module): string {
  for (const [file, module] of linked.modules) if (module === m) return file;
  return '';
}

/**
 * Host functions of non-WASI interfaces get generated trampolines; the
 * factories are compiled here once and bound per instance. WASI and
 * anything with host resources keep jco's.
 */
function importPlans(
  ifaces: readonly InterfaceType[], ownerOf: (r: ResourceType) => 'plugin' | 'host' | null, hostResources: ReadonlyMap<string, ResourceType>,
): ImportPlan[] {
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
    // World-level resources belong to no interface (`$root`, src/runtime/capabilities/host-imports.ts).
    const owner = iface.name === WORLD_IMPORTS_KEY ? '' : iface.name;
    const drops = [...hostResources].filter(([, r]) => r.interfaceName === owner).map(([key, r]) => ({ key, name: r.name }));
    return { module: iface.name, iface, funcs, drops };
  });
}
