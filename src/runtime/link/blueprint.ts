/**
 * The blueprint of a prepared plugin: everything its instances share,
 * computed once by prepare() (src/runtime/load/prepare.ts) and read by each
 * instance (src/runtime/instance/plugin.ts).
 */
import type { ComponentShape, InterfaceType, ResourceType } from '../../component/types.js';
import type { CompiledArtifact } from '../../compile/cache.js';
import type { compileCaller, compileImport } from '../abi/index.js';
import type { ResolvedLimits } from '../limits/resolve-limits.js';
import type { CallRoute } from './call-route.js';
import type { DirectLayout } from './direct.js';
import type { ResolvedExport } from './exports.js';

type Factory = ReturnType<typeof compileCaller>;
type ImportFactory = ReturnType<typeof compileImport>;

export interface LoadInfo {
  /** How the compiled artifact was obtained. */
  readonly cache: CompiledArtifact['source'];
  readonly rebuildReason?: string;
  /** Wall time of preparing the plugin (read, hash, decode, admit, compile, link, warm up) in ms. */
  readonly ms: number;
  /** The warm-up at load (src/runtime/limits/warm-up.ts): calls made and ms taken; absent when there was none. */
  readonly warmUp?: { readonly calls: number; readonly ms: number };
}

/** The generated trampolines of one imported interface (or `$root`), ready to bind to an instance. */
export interface ImportPlan {
  /** Core import module name (the interface name, or `$root`). */
  readonly module: string;
  readonly iface: InterfaceType;
  /** `suspending()`: the trampoline for an async host function (JS promise integration), compiled on first use. */
  readonly funcs: readonly { readonly name: string; readonly factory: ImportFactory; readonly suspending: () => ImportFactory }[];
  /** Host resources of this interface: `[resource-drop]R` imports, by resource key. */
  readonly drops: readonly { readonly key: string; readonly name: string }[];
}

/**
 * The memory and realloc a lowered import names, when they are not the
 * lifted instance's `memory` and `cabi_realloc`: exports of the single
 * instance of `module` (null: the option is absent).
 */
export interface ImportMemory {
  readonly module: WebAssembly.Module;
  readonly memory: string | null;
  readonly realloc: string | null;
}

/** A core import of one module proven to be a lowered host function that a generated trampoline serves. */
export interface ImportSite {
  /** The core import (module and field name) the trampoline replaces. */
  readonly importModule: string;
  readonly name: string;
  /** The trampoline: `PluginBlueprint.imports[plan].funcs[func]`. */
  readonly plan: number;
  readonly func: number;
  /** Where it reads and writes; null: the lifted instance's memory and `cabi_realloc` (the shared context). */
  readonly memory: ImportMemory | null;
}

/** A resolved export and its generated caller factory (null: jco's bindings call it). */
export interface CallerPlan {
  readonly resolved: ResolvedExport;
  readonly coreName: string;
  readonly factory: Factory | null;
}

/**
 * What every instance of one prepared plugin shares, computed once by
 * prepare(): no instance state, nothing mutable but the caller memo.
 */
export interface PluginBlueprint {
  readonly componentHash: string;
  readonly shape: ComponentShape;
  readonly loadInfo: LoadInfo;
  readonly route: CallRoute;
  readonly limits: ResolvedLimits;
  /** Resources the plugin exports / the host provides, by key. */
  readonly resources: ReadonlyMap<string, ResourceType>;
  readonly hostResources: ReadonlyMap<string, ResourceType>;
  readonly destructors: ReadonlyMap<string, string>;
  /** Core names of the exported functions. */
  readonly coreExportNames: readonly string[];
  /** The module of the core instance every export is lifted from (null: no single one; see src/component/core-wiring.ts). */
  readonly mainModule: WebAssembly.Module | null;
  /**
   * The plugin's own core module, when instances can skip jco's glue
   * (src/runtime/link/direct.ts): every call generated, wit-component's layout.
   */
  readonly direct: DirectLayout | null;
  /** Generated host-import trampolines (empty when every call goes through jco). */
  readonly imports: readonly ImportPlan[];
  /**
   * Which core imports of which module the trampolines replace, each with
   * the memory its `canon lower` names (src/component/core-wiring.ts): only
   * imports the component wires to that very host function; anything else
   * keeps what jco's glue gives it.
   */
  readonly importSites: ReadonlyMap<WebAssembly.Module, readonly ImportSite[]>;
  /** Core imports (`module\0name`) wired to canon built-ins (resource.new/rep/drop, context.get/set), by module. */
  readonly canonImports: ReadonlyMap<WebAssembly.Module, ReadonlySet<string>>;
  readonly versionCounts: ReadonlyMap<string, number>;
  /**
   * The generated caller of `target` (memoised per prepared plugin; throws
   * NO_SUCH_FUNCTION). `suspending`: the async caller of a plugin importing
   * async host functions (the export runs through `WebAssembly.promising`).
   */
  readonly caller: (target: string, suspending?: boolean) => CallerPlan;
}
