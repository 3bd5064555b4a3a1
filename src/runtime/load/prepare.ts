/**
 * Stage 1 of a plugin's life: bytes → `PreparedPlugin` (wasmtime's
 * Component + InstancePre). Everything that depends only on the bytes, the
 * contract and the host's options happens here, once: read, hash, decode
 * (one shape-cache lookup), admit, check linkability, compile (through the
 * compile cache), link (jco glue + compiled core modules), and compile the
 * generated import trampolines. `instantiate()` then only builds the
 * per-instance state (src/runtime/instance/plugin.ts).
 */
import { basename } from 'node:path';
import { readInput } from '../../util/read-bytes.js';
import type { ComponentShape, ResourceType } from '../../component/types.js';
import { CompileCache, compileVariant } from '../../compile/cache.js';
import { coreModuleFile } from '../../compile/transpile.js';
import { splitModule, SectionId } from '../../compile/wasm/sections.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { decodeForAdmission, admitShape, type Contract } from '../../admission/gate.js';
import { AdmissionCodes, type AdmissionReport } from '../../admission/report.js';
import { ShapeCache, sha256Hex } from '../../component/shape-cache.js';
import { decodePlugin, type DecodedPlugin } from '../../component/decoded.js';
import { checkLinkable, versionCounts } from '../capabilities/link-check.js';
import { callRoute, servesExport } from '../link/call-route.js';
import { usesNamedContextImports } from '../abi/context-slots.js';
import { worldImports, type HostImplementations, type LogSink, type PluginEnvironment } from '../capabilities/host-imports.js';
import { linkArtifact, type GlueTransform, type LinkedArtifact } from '../link/linker.js';
import { directLayout } from '../link/direct.js';
import { listExportedFunctions, resolveExport } from '../link/exports.js';
import {
  callerSupported, compileCaller, compileImport, coreExportName, destructorNames, exportedResources, importedResources, resourceKey, UnsupportedAbiType,
} from '../abi/index.js';
import type { Grant, Limits } from '../capabilities/grant.js';
import { Sandbox } from '../limits/sandbox.js';
import { resolveLimits, instrumentedCompileOptions, type ResolvedLimits } from '../limits/resolve-limits.js';
import { hardenGlue } from '../limits/glue-hardening.js';
import { PluginHealth, type HealthPolicy } from '../limits/health.js';
import { grantedImports } from '../capabilities/grant-imports.js';
import { wasiImports } from '../capabilities/wasi.js';
import { IsolatedPlugin } from '../isolate/isolated-plugin.js';
import { InProcessPlugin, type Plugin, type PluginInstance } from '../instance/plugin.js';
import type { CallerPlan, ImportMemory, ImportPlan, ImportSite, LoadInfo, PluginBlueprint } from '../link/blueprint.js';
import type { CoreImportWire } from '../../component/decode.js';

export interface PluginOptions {
  /** Name used in logs and errors (default: file name or 'plugin'). */
  readonly name?: string;
  /** Implementations of the contract's host interfaces (witplug values). */
  readonly host?: HostImplementations;
  /** Values served by `witplug:host/config`. */
  readonly config?: Readonly<Record<string, string>>;
  /** Where `witplug:host/log` records go (default: stderr). */
  readonly log?: LogSink;
  /** Compile cache; `null` disables the disk cache. Default: a shared cache in the user's cache dir. */
  readonly cache?: CompileCache | null;
  /**
   * The contract world the plugin must fit. When given, the admission gate
   * runs before anything is compiled or instantiated and a rejected plugin
   * fails with `REJECTED` (the report is in `error.details.report`).
   */
  readonly contract?: Contract;
  /** Offered interfaces this plugin may import (see admission `allowedImports`). Default: all offered. */
  readonly allowedImports?: ReadonlySet<string>;
  /**
   * A plugin importing functions the host's interfaces lack (built against a
   * newer minor): `reject` (default) or `trap` — admitted with a MISSING_IMPORT
   * note per member, each linked to a stub failing the call with UNSUPPORTED.
   */
  readonly missingImports?: 'reject' | 'trap';
  /**
   * Capabilities, deny by default (docs/sandbox.md): which offered imports the
   * plugin may use (no `wasi:*` without a grant), its config, directories,
   * environment, clocks/random, and default limits. See `readGrantManifest`.
   */
  readonly grant?: Grant;
  /** Per-call limits; each field overrides the grant's `limits`. */
  readonly limits?: Limits;
  /** Crash-loop protection: `maxTraps` failed calls within `windowMs` → DISABLED (default 5 in 60 s). */
  readonly health?: Partial<HealthPolicy>;
  /** Run the plugin in a worker thread (deadline overrun → worker terminated and recreated). */
  readonly isolate?: boolean;
}

/**
 * What may differ between instances of one prepared plugin. Limits, grant
 * and host implementations may not: they decide admission, linking and the
 * compiled (instrumented) code, so they are fixed by prepare().
 */
export interface InstanceOverrides {
  /** Name in logs and errors (default: the prepared plugin's name). */
  readonly name?: string;
  /** `witplug:host/config` values, merged over the grant's and prepare's `config`. */
  readonly config?: Readonly<Record<string, string>>;
  /** Where this instance's `witplug:host/log` records go (default: prepare's `log`). */
  readonly log?: LogSink;
}

let defaultCache: CompileCache | undefined;
export function sharedCompileCache(): CompileCache {
  return (defaultCache ??= new CompileCache());
}

const stderrLog: LogSink = (level, message, plugin) => {
  process.stderr.write(`[${plugin}] ${level}: ${message}\n`);
};

/** jco's glue as every plugin runs it (src/runtime/limits/sandbox.ts hardenGlue). */
const HARDENED_GLUE: GlueTransform = { name: 'hardened', apply: hardenGlue };

/** Decoded shapes per component hash: a plugin prepared twice decodes once. Exported for tests (hits/misses). */
export const pluginShapeCache = new ShapeCache();

/** A prepared plugin dropped without close() still gives back its reference to the linker's caches. */
const unreleased = new FinalizationRegistry<() => void>((release) => release());

/** How a prepared plugin makes instances: in this thread from a linked artifact, or in a worker from the bytes. */
type Stage =
  | { readonly kind: 'in-process'; readonly blueprint: PluginBlueprint; readonly linked: LinkedArtifact; readonly options: PluginOptions }
  | { readonly kind: 'isolated'; readonly bytes: Uint8Array; readonly options: PluginOptions & { readonly limits: Limits } };

/**
 * A plugin checked, compiled and linked once, ready to be instantiated any
 * number of times (each instance has its own memory, state, limits and
 * health). Holds one reference to the linker's per-process caches until
 * close(); every instance holds its own, so closing the prepared plugin
 * leaves its live instances working.
 */
export class PreparedPlugin<P extends PluginInstance = Plugin> {
  readonly name: string;
  readonly componentHash: string;
  readonly shape: ComponentShape;
  /** The admission report (with its notes), or null when no contract was given. */
  readonly report: AdmissionReport | null;
  /** How the compiled artifact was obtained; undefined when isolated (the worker compiles). */
  readonly loadInfo: LoadInfo | undefined;
  #stage: Stage | null;

  /** Internal: use prepare(). */
  constructor(name: string, componentHash: string, shape: ComponentShape, report: AdmissionReport | null, stage: Stage) {
    this.name = name;
    this.componentHash = componentHash;
    this.shape = shape;
    this.report = report;
    this.loadInfo = stage.kind === 'in-process' ? stage.blueprint.loadInfo : undefined;
    this.#stage = stage;
    if (stage.kind === 'in-process') unreleased.register(this, stage.linked.release, this);
  }

  /** True once close() was called: instantiate() then fails with CLOSED. */
  get closed(): boolean {
    return this.#stage === null;
  }

  /**
   * A new, independent instance. In-process this builds only per-instance
   * state (sandbox, health, WASI, ABI context, bound trampolines) and runs
   * the core instantiation (start functions are plugin code, under the
   * limits); isolated, it starts a worker.
   */
  async instantiate(overrides: InstanceOverrides = {}): Promise<P> {
    const stage = this.#stage;
    if (stage === null) throw this.#closedError();
    const name = overrides.name ?? this.name;
    const options = stage.options;
    const config = overrides.config ? { ...options.config, ...overrides.config } : options.config;
    if (stage.kind === 'isolated') {
      const log = overrides.log ?? options.log;
      return (await IsolatedPlugin.start(stage.bytes, this.shape, {
        ...options, name, ...(config ? { config } : {}), ...(log ? { log } : {}),
      })) as unknown as P;
    }
    const { blueprint, linked } = stage;
    const grant = options.grant;
    const env: PluginEnvironment = {
      name,
      config: new Map(Object.entries({ ...(grant?.config ?? {}), ...(config ?? {}) })),
      log: overrides.log ?? options.log ?? stderrLog,
      host: options.host ?? {},
      versionCounts: blueprint.versionCounts,
    };
    const sandbox = { sandbox: new Sandbox(blueprint.limits), health: new PluginHealth(options.health), wasi: await wasiImports(this.shape, grant, name, blueprint.limits.maxOpenFiles) };
    // Re-checked after the await: close() may have run meanwhile.
    if (this.#stage === null) throw this.#closedError();
    const own = linked.share();
    let plugin: InProcessPlugin;
    try {
      plugin = new InProcessPlugin(blueprint, own, env, sandbox);
    } catch (e) {
      own.release();
      throw e;
    }
    // Fail here, not on the first call, if linking is impossible; a plugin no call can run on
    // this Node (async ABI without JSPI) is instantiated lazily, and each call says why it cannot run.
    if (blueprint.route.unsupported === null) {
      try {
        plugin.instantiate();
      } catch (e) {
        void plugin.close();
        throw e;
      }
    }
    return plugin as unknown as P;
  }

  #closedError(): WitplugError {
    return new WitplugError(ErrorCodes.CLOSED, `prepared plugin ${this.name} is closed; prepare it again to instantiate it`, { plugin: this.name, hook: '(instantiate)' });
  }

  /**
   * Gives back this prepared plugin's reference to the linker's per-process
   * caches (the compiled modules are freed once no instance uses them
   * either). Idempotent; live instances keep working.
   */
  close(): Promise<void> {
    const stage = this.#stage;
    this.#stage = null;
    if (stage?.kind === 'in-process') {
      unreleased.unregister(this);
      stage.linked.release();
    }
    return Promise.resolve();
  }
}

export async function prepare(source: string | Uint8Array, options?: PluginOptions & { readonly isolate?: false }): Promise<PreparedPlugin<Plugin>>;
export async function prepare(source: string | Uint8Array, options: PluginOptions & { readonly isolate: true }): Promise<PreparedPlugin<IsolatedPlugin>>;
export async function prepare(source: string | Uint8Array, options?: PluginOptions): Promise<PreparedPlugin<Plugin> | PreparedPlugin<IsolatedPlugin>>;
export async function prepare(source: string | Uint8Array, options: PluginOptions = {}): Promise<PreparedPlugin<Plugin> | PreparedPlugin<IsolatedPlugin>> {
  const started = performance.now();
  const bytes = typeof source === 'string' ? await readInput(source, 'plugin') : source;
  const name = options.name ?? (typeof source === 'string' ? basename(source).replace(/\.wasm$/, '') : 'plugin');
  const grant = options.grant;
  // Hashed once (~30 ms for a 12 MB plugin): the shape cache and the compile cache both key on it.
  const hash = sha256Hex(bytes);
  const { decoded, report } = options.contract
    ? admitOrThrow(bytes, hash, options.contract, name, grant, options)
    : { decoded: pluginShapeCache.getOrDecode(bytes, decodePlugin, hash), report: null };
  const shape = decoded.shape;
  // Before compiling or instantiating: imports the host cannot serve are the host's gap (LINK).
  checkLinkable(shape, options.host ?? {}, grant);
  const limits = { ...(grant?.limits ?? {}), ...(options.limits ?? {}) };
  if (options.isolate) {
    return new PreparedPlugin<IsolatedPlugin>(name, hash, shape, report, { kind: 'isolated', bytes, options: { ...options, limits } });
  }
  const resolved = resolveLimits(limits);
  const cache = options.cache === undefined ? sharedCompileCache() : options.cache ?? new CompileCache(null);
  const compileOptions = instrumentedCompileOptions(resolved);
  const artifact = await cache.compile(bytes, { ...compileOptions, componentHash: hash });
  // The variant keys the per-process compiled-module memo: instrumented and plain modules differ.
  const linked = await linkArtifact(artifact, JSON.stringify(compileVariant(compileOptions)), HARDENED_GLUE);
  try {
    const loadInfo: LoadInfo = {
      cache: artifact.source,
      ...(artifact.rebuildReason ? { rebuildReason: artifact.rebuildReason } : {}),
      ms: performance.now() - started,
    };
    const hasStart = (m: WebAssembly.Module) => hasStartSection(artifact.coreModules, linked, m);
    const blueprint = blueprintOf(artifact.componentHash, shape, decoded, linked, loadInfo, resolved, hasStart);
    return new PreparedPlugin<Plugin>(name, artifact.componentHash, shape, report, { kind: 'in-process', blueprint, linked, options });
  } catch (e) {
    linked.release();
    throw e;
  }
}

/**
 * Decodes once (one shape-cache lookup) and admits. Deny by default: without
 * a grant no wasi:* import is allowed, even if the contract offers it.
 */
function admitOrThrow(
  bytes: Uint8Array, hash: string, contract: Contract, name: string, grant: Grant | undefined, options: PluginOptions,
): { decoded: DecodedPlugin; report: AdmissionReport } {
  const r = decodeForAdmission(bytes, pluginShapeCache, hash);
  const decoded = 'decoded' in r ? r.decoded : undefined;
  const allowedImports = grantedImports(contract.shape, grant, options.allowedImports, decoded?.shape);
  let report: AdmissionReport;
  if (decoded === undefined) {
    report = { accepted: false, problems: 'problem' in r ? [r.problem] : [], notes: [] };
  } else {
    try {
      report = admitShape(decoded.shape, contract, { allowedImports, ...(options.missingImports ? { missingImports: options.missingImports } : {}) });
    } catch (e) {
      // As the gate's admit(): a decoder that accepted odd bytes must still not make admission throw.
      const msg = e instanceof Error ? e.message : String(e);
      report = { accepted: false, problems: [{ code: AdmissionCodes.MALFORMED, path: '', message: `internal error while checking a decoded component: ${msg}` }], notes: [] };
    }
  }
  if (!report.accepted || decoded === undefined) {
    const first = report.problems[0];
    const more = report.problems.length > 1 ? ` (+${report.problems.length - 1} more)` : '';
    throw new WitplugError(ErrorCodes.REJECTED, `plugin ${name} rejected by the admission gate: ${first ? `${first.code} at ${first.path || '(component)'}: ${first.message}` : 'no reason given'}${more}`, {
      plugin: name,
      details: { report },
    });
  }
  return { decoded, report };
}

/** Everything instances share: call route, resources, generated trampolines, and a memo of generated callers. */
function blueprintOf(
  componentHash: string, shape: ComponentShape, decoded: DecodedPlugin, linked: LinkedArtifact, loadInfo: LoadInfo, limits: ResolvedLimits,
  hasStart: (m: WebAssembly.Module) => boolean,
): PluginBlueprint {
  const exported = listExportedFunctions(shape);
  const coreExportNames = exported.map((f) => coreExportName(f.iface, f.func));
  const mainModule = liftedModule(decoded, linked);
  // The generated callers need the instance the exports are lifted from (src/component/core-wiring.ts).
  const route = callRoute(decoded, usesNamedContextImports(linked.modules.values()), coreExportNames.length === 0 || mainModule !== null);
  const resources = exportedResources(shape);
  const hostResources = importedResources(shape);
  const ownerOf = (r: ResourceType): 'plugin' | 'host' | null => {
    const key = resourceKey(r);
    return resources.has(key) ? 'plugin' : hostResources.has(key) ? 'host' : null;
  };
  // Bounded by the plugin's exports: only targets that resolve are memoised.
  const callers = new Map<string, CallerPlan>();
  const caller = (target: string): CallerPlan => {
    let plan = callers.get(target);
    if (plan === undefined) {
      const resolved = resolveExport(shape, target);
      const coreName = coreExportName(resolved.iface, resolved.func);
      let factory: CallerPlan['factory'] = null;
      if (route.generatedCalls && servesExport(decoded, coreName)) {
        try {
          factory = compileCaller(resolved.type, coreName, ownerOf);
        } catch (e) {
          if (!(e instanceof UnsupportedAbiType)) throw e;
        }
      }
      plan = { resolved, coreName, factory };
      callers.set(target, plan);
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
function liftedModule(decoded: DecodedPlugin, linked: LinkedArtifact): WebAssembly.Module | null {
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
  decoded: DecodedPlugin, linked: LinkedArtifact, plans: readonly ImportPlan[], mainModule: WebAssembly.Module | null,
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
    const lifted = (item: { module: number; name: string } | null, canonical: string) => item === null || (item.module === liftModule && item.name === canonical);
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
function hasStartSection(bytes: ReadonlyMap<string, Uint8Array>, linked: LinkedArtifact, m: WebAssembly.Module): boolean {
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
function importPlans(shape: ComponentShape, ownerOf: (r: ResourceType) => 'plugin' | 'host' | null, hostResources: ReadonlyMap<string, ResourceType>): ImportPlan[] {
  const ifaces = shape.imports.flatMap((item) => (item.kind === 'interface' && !item.name.startsWith('wasi:') ? [item.iface] : []));
  // World-level functions and resources come from the core import module `$root`, like an interface.
  const root = worldImports(shape);
  if (root) ifaces.push(root);
  return ifaces.map((iface) => {
    const funcs: { name: string; factory: ImportPlan['funcs'][number]['factory'] }[] = [];
    for (const [funcName, func] of iface.funcs) {
      try {
        funcs.push({ name: funcName, factory: compileImport(func, `${iface.name}#${funcName}`, ownerOf) });
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
