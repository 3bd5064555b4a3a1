/**
 * witplug's canonical-ABI call path: generated per function (codegen.ts),
 * bound to one plugin's AbiContext (context.ts: guest memory, handle table,
 * call claims). The Plugin routes `fn()`
 * through here; jco's generated bindings stay as the fallback for the few
 * kinds this path does not handle (futures, streams, error-context, async,
 * WASI's resources, UTF-16 components) and as the baseline of `witplug bench`.
 */
import type { FuncType, ResourceType, ComponentShape } from '../../component/types.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { toPluginError } from './traps.js';
import { AbiContext, typeMismatch, type Realloc } from './context.js';
import { generateCaller, generateImport, resourceKey } from './codegen.js';
import type { ResourceOwner } from './emit.js';

export { AbiContext, ImportContext, PluginResource, DEFAULT_MAX_OUTPUT_BYTES } from './context.js';
export { UnsupportedAbiType } from './layout.js';
export { resourceKey, callerSupported } from './codegen.js';
export type { ResourceOwner } from './emit.js';

/** What a generated caller needs from its owner (the Plugin, or a bare host in benchmarks). */
export interface CallHost {
  /** Throws USAGE for a wrong number of arguments. */
  arity(n: number): never;
  /** Makes `C.ready` true (re-instantiates) or throws (DISABLED). */
  prepare(): void;
  /** Throws REENTRANCE: the instance is already on the stack (a host function called back into it). */
  reentered(): never;
  /** Whether begin()/end() must run around each call (fuel, deadline, caps). */
  readonly limited: boolean;
  begin(): void;
  end(): void;
  /**
   * Maps what the call threw to the error to throw. `entered` is false when
   * the core function was never called (a bad argument): the instance stays.
   */
  fail(e: unknown, entered: boolean): Error;
  /** Suspending callers only: calls the core export through `WebAssembly.promising`, bounded by the plugin's deadline. */
  suspending?(f: unknown, args: unknown[]): Promise<unknown>;
}

export type Caller = (...args: unknown[]) => unknown;
type Factory = (C: AbiContext, H: CallHost) => Caller;

/** Float ⇄ bit-pattern conversions used by variant payload joining. */
const scratch = new DataView(new ArrayBuffer(8));
const floatBits = {
  f32ToI32: (x: number): number => (scratch.setFloat32(0, x, true), scratch.getInt32(0, true)),
  i32ToF32: (x: number): number => (scratch.setInt32(0, x, true), scratch.getFloat32(0, true)),
  f64ToI64: (x: number): bigint => (scratch.setFloat64(0, x, true), scratch.getBigUint64(0, true)),
  i64ToF64: (x: bigint): number => (scratch.setBigUint64(0, BigInt.asUintN(64, x), true), scratch.getFloat64(0, true)),
};

/**
 * Compiles generated source once per distinct text (callers of equal types
 * share it, so V8 shares the optimised code too). The source only contains
 * literals derived from the type model (names are JSON-quoted), never text
 * taken from a plugin as code.
 */
const compiled = new Map<string, unknown>();
/**
 * Bound on memoised factories: the key includes core export names, so a host
 * cycling through many distinct plugins would otherwise grow it forever. An
 * evicted factory stays alive as long as a plugin still uses its callers; it
 * is only recompiled if requested again (resolve time, not call time).
 */
export const GENERATED_CACHE_MAX = 1024;
/** Memoised generated factories (tests check the bound). */
export function generatedCacheSize(): number {
  return compiled.size;
}
function compileGenerated<F>(source: string, constants: readonly unknown[], params: string): F {
  const key = `${params}\0${source}\0${JSON.stringify(constants)}`;
  let factory = compiled.get(key) as F | undefined;
  if (factory) {
    // Most recently used last (Map keeps insertion order), so eviction drops the least recently used.
    compiled.delete(key);
    compiled.set(key, factory);
  } else {
    const make = new Function('K', 'T', 'F', `return function (${params}) {\n${source}\n};`) as (
      K: readonly unknown[], T: typeof typeMismatch, F: typeof floatBits,
    ) => F;
    factory = make(constants, typeMismatch, floatBits);
    compiled.set(key, factory);
    if (compiled.size > GENERATED_CACHE_MAX) compiled.delete(compiled.keys().next().value as string);
  }
  return factory;
}

/**
 * The factory of the caller of `func` exported as core function `coreName`.
 * Throws UnsupportedAbiType when the type needs the jco fallback.
 */
export function compileCaller(func: FuncType, coreName: string, ownerOf: ResourceOwner, suspending = false): Factory {
  const { source, constants } = generateCaller(func, coreName, ownerOf, suspending);
  return compileGenerated<Factory>(source, constants, 'C, H');
}

export type HostImplementation = (...args: never[]) => unknown;
type ImportFactory = (C: AbiContext, I: HostImplementation) => (...flat: never[]) => unknown;

/**
 * The factory of the core function a guest imports for host function
 * `hostName` of type `func`. Throws UnsupportedAbiType for types that keep
 * jco's trampoline (e.g. the plugin's own resources passed to the host).
 */
export function compileImport(func: FuncType, hostName: string, ownerOf: ResourceOwner, suspending = false): ImportFactory {
  const { source, constants } = generateImport(func, hostName, ownerOf, suspending);
  return compileGenerated<ImportFactory>(source, constants, 'C, I');
}

/** Replaces the core imports that have a generated replacement (`fast`: module → name → function); others stay. */
export function withGeneratedImports(
  imports: WebAssembly.Imports | undefined, fast: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): WebAssembly.Imports | undefined {
  if (!imports || fast.size === 0) return imports;
  let out: WebAssembly.Imports | undefined;
  for (const [module, funcs] of fast) {
    const table = imports[module];
    if (!table) continue;
    out ??= { ...imports };
    const rewritten: WebAssembly.ModuleImports = { ...table };
    for (const [name, f] of Object.entries(funcs)) if (name in table) rewritten[name] = f as WebAssembly.ImportValue;
    out[module] = rewritten;
  }
  return out ?? imports;
}

/** Core function name of an export: `iface#func`, or `func` at world level. */
export function coreExportName(iface: string | null, func: string): string {
  return iface === null ? func : `${iface}#${func}`;
}

/** Resources defined by the plugin's exported interfaces, by key (`iface#name`). */
export function exportedResources(shape: ComponentShape): Map<string, ResourceType> {
  const out = new Map<string, ResourceType>();
  for (const item of shape.exports) {
    if (item.kind !== 'interface') continue;
    for (const t of item.iface.types.values()) {
      if (t.kind === 'resource' && t.interfaceName === item.name) out.set(resourceKey(t), t);
    }
  }
  return out;
}

/**
 * Resources defined by the interfaces the plugin imports from the host
 * (preview2-shim's WASI excluded: jco's shim owns those; `servedByShim` says
 * which interfaces those are, src/runtime/capabilities/link-check.ts).
 */
export function importedResources(shape: ComponentShape, servedByShim: (iface: string) => boolean): Map<string, ResourceType> {
  const out = new Map<string, ResourceType>();
  for (const item of shape.imports) {
    // A resource imported at the world level (interfaceName '').
    if (item.kind === 'type' && item.type.kind === 'resource' && item.type.interfaceName === '') out.set(resourceKey(item.type), item.type);
    if (item.kind !== 'interface' || servedByShim(item.name)) continue;
    for (const t of item.iface.types.values()) {
      if (t.kind === 'resource' && t.interfaceName === item.name) out.set(resourceKey(t), t);
    }
  }
  return out;
}

/** Core export names of the destructors of exported resources, by resource key. */
export function destructorNames(resources: ReadonlyMap<string, ResourceType>): Map<string, string> {
  return new Map([...resources].map(([key, r]) => [key, `${r.interfaceName}#[dtor]${r.name}`]));
}

/**
 * The guest's `[resource-new|rep|drop]R` imports of exported resources,
 * routed to the context's table (so handles the host receives can be passed
 * back): replacement functions by core module (`[export]iface`) and name, for
 * `withGeneratedImports`.
 */
export function resourceIntrinsics(context: AbiContext, resources: ReadonlyMap<string, ResourceType>): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const handles = context.handles;
  for (const [key, r] of resources) {
    const module = `[export]${r.interfaceName}`;
    const table = out.get(module) ?? {};
    table[`[resource-new]${r.name}`] = (rep: number) => handles.resourceNew(key, rep);
    table[`[resource-rep]${r.name}`] = (h: number) => handles.resourceRep(key, h >>> 0);
    table[`[resource-drop]${r.name}`] = (h: number) => handles.resourceDrop(key, h >>> 0);
    out.set(module, table);
  }
  return out;
}

/** The parts of a core instance `createExportCaller` calls. */
export interface CoreExport {
  readonly fn: (...args: never[]) => unknown;
  readonly memory?: WebAssembly.Memory;
  readonly realloc?: Realloc;
  readonly postReturn?: (...args: never[]) => unknown;
}

/**
 * A caller for one core export without a Plugin around it (benchmarks,
 * tools): canonical-ABI lowering/lifting only, errors as WitplugErrors,
 * no limits. `context` lets several callers share one resource table.
 */
export function createExportCaller(func: FuncType, core: CoreExport, context: AbiContext = new AbiContext()): Caller {
  let exports = bareExports.get(context);
  if (!exports) {
    exports = {};
    bareExports.set(context, exports);
    context.attach({ exports, memory: core.memory, realloc: core.realloc });
  }
  const name = `export${Object.keys(exports).length}`;
  exports[name] = core.fn;
  if (core.postReturn) exports[`cabi_post_${name}`] = core.postReturn;
  return compileCaller(func, name, () => 'plugin')(context, bareHost(func));
}

/** The exports object of each context created by createExportCaller (callers add their functions). */
const bareExports = new WeakMap<AbiContext, Record<string, unknown>>();

function bareHost(func: FuncType): CallHost {
  return {
    arity(n) {
      throw new WitplugError(ErrorCodes.USAGE, `takes ${func.params.length} argument(s) (${func.params.map((p) => p.name).join(', ')}), got ${n}`);
    },
    prepare() {
      throw new WitplugError(ErrorCodes.TRAP, 'the instance trapped earlier and cannot be called again');
    },
    reentered() {
      throw new WitplugError(ErrorCodes.REENTRANCE, 'the instance is already running a call (re-entered from a host function)');
    },
    limited: false,
    begin() {},
    end() {},
    fail: (e) => (e instanceof WitplugError ? e : toPluginError(e, 'plugin', 'export')),
  };
}
