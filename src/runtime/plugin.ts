/**
 * A loaded plugin: decode → (admit) → compile (cached) → link → instantiate,
 * then typed calls by `iface#func`. An instance that trapped is never called
 * again; the next call gets a fresh one.
 */
import { readBytes } from '../util/read-bytes.js';
import { basename } from 'node:path';
import type { ComponentShape } from '../component/types.js';
import { CompileCache, type CompiledArtifact } from '../compile/cache.js';
import { WitplugError, ErrorCodes } from '../errors.js';
import { checkLinkable, versionCounts } from './link-check.js';
import { callRoute, type CallRoute } from './canon-features.js';
import { CONTEXT_IMPORT_MODULE, ContextSlots, usesNamedContextImports } from './abi/context-slots.js';
import { buildJcoImports, hostFunction, worldImports, type HostFunction, type HostImplementations, type LogSink, type PluginEnvironment } from './host-imports.js';
import { linkArtifact, instantiateLinked, type LinkedArtifact } from './linker.js';
import { listExportedFunctions, resolveExport, type ResolvedExport } from './exports.js';
import { fromJco, toJco, sameInBoth, holdsStrings, loneSurrogateAt } from './jco-values.js';
import { lowerCamel, shortInterfaceName } from './names.js';
import { isStackOverflow, toPluginError } from './traps.js';
import { admit, type Contract } from '../admission/gate.js';
import { ShapeCache, sha256Hex } from '../admission/shape-cache.js';
import { decodePlugin, type DecodedPlugin } from '../admission/decoded.js';
import {
  AbiContext, compileCaller, compileImport, coreExportName, destructorNames, exportedResources, importedResources, resourceIntrinsics,
  withGeneratedImports, UnsupportedAbiType, resourceKey, DEFAULT_MAX_OUTPUT_BYTES, type CallHost,
} from './abi/index.js';
import type { ResourceType } from '../component/types.js';
import type { AdmissionReport } from '../admission/report.js';
import type { Grant, Limits } from './grant.js';
import { Sandbox, resolveLimits, instrumentedCompileOptions, hardenGlue, DEFAULT_MAX_HANDLES, type ResolvedLimits } from './sandbox.js';
import { PluginHealth, type HealthPolicy } from './health.js';
import { grantedImports } from './grant-imports.js';
import { wasiImports } from './wasi.js';
import { IsolatedPlugin } from './isolate/isolated-plugin.js';

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

export interface LoadInfo {
  /** How the compiled artifact was obtained. */
  readonly cache: CompiledArtifact['source'];
  readonly rebuildReason?: string;
  /** Wall time of loadPlugin in ms. */
  readonly ms: number;
}

let defaultCache: CompileCache | undefined;
export function sharedCompileCache(): CompileCache {
  return (defaultCache ??= new CompileCache());
}

const stderrLog: LogSink = (level, message, plugin) => {
  process.stderr.write(`[${plugin}] ${level}: ${message}\n`);
};

export async function loadPlugin(source: string | Uint8Array, options?: PluginOptions & { readonly isolate?: false }): Promise<Plugin>;
export async function loadPlugin(source: string | Uint8Array, options: PluginOptions & { readonly isolate: true }): Promise<IsolatedPlugin>;
export async function loadPlugin(source: string | Uint8Array, options?: PluginOptions): Promise<Plugin | IsolatedPlugin>;
export async function loadPlugin(source: string | Uint8Array, options: PluginOptions = {}): Promise<Plugin | IsolatedPlugin> {
  const started = performance.now();
  const bytes = typeof source === 'string' ? await readPluginFile(source) : source;
  const name = options.name ?? (typeof source === 'string' ? basename(source).replace(/\.wasm$/, '') : 'plugin');
  const grant = options.grant;
  // Hashed once (~30 ms for a 12 MB plugin): the shape cache and the compile cache both key on it.
  const hash = sha256Hex(bytes);
  // Deny by default: without a grant no wasi:* import is allowed, even if the contract offers it.
  const allowed = options.contract ? grantedImports(options.contract.shape, grant, options.allowedImports, pluginShapeOrUndefined(bytes, hash)) : options.allowedImports;
  const decoded = options.contract ? admitOrThrow(bytes, hash, options.contract, name, allowed, options.missingImports) : shapeCache.getOrDecode(bytes, decodePlugin, hash);
  const shape = decoded.shape;
  // Before compiling or instantiating: imports the host cannot serve are the host's gap (LINK).
  checkLinkable(shape, options.host ?? {}, grant);
  const limits = { ...(grant?.limits ?? {}), ...(options.limits ?? {}) };
  if (options.isolate) return IsolatedPlugin.start(bytes, shape, { ...options, name, limits });
  const resolved = resolveLimits(limits);
  const cache = options.cache === undefined ? sharedCompileCache() : options.cache ?? new CompileCache(null);
  const artifact = await cache.compile(bytes, { ...instrumentedCompileOptions(resolved), componentHash: hash });
  // The variant keys the per-process compiled-module memo: instrumented and plain modules differ.
  const linked = await linkArtifact({ ...artifact, glue: hardenGlue(artifact.glue) }, JSON.stringify(instrumentedCompileOptions(resolved).variant ?? {}));
  const env: PluginEnvironment = {
    name,
    config: new Map(Object.entries({ ...(grant?.config ?? {}), ...(options.config ?? {}) })),
    log: options.log ?? stderrLog,
    host: options.host ?? {},
    versionCounts: versionCounts(shape),
  };
  const info: LoadInfo = {
    cache: artifact.source,
    ...(artifact.rebuildReason ? { rebuildReason: artifact.rebuildReason } : {}),
    ms: performance.now() - started,
  };
  const sandbox: PluginSandbox = { sandbox: new Sandbox(resolved), health: new PluginHealth(options.health), wasi: await wasiImports(shape, grant, name) };
  const route = callRoute(decoded, usesNamedContextImports(linked.modules.values()));
  let plugin: Plugin;
  try {
    plugin = new Plugin(name, artifact.componentHash, shape, linked, env, info, sandbox, route);
  } catch (e) {
    linked.release();
    throw e;
  }
  // Fail at load time, not on the first call, if linking is impossible; a plugin no call can run on
  // this Node (async ABI without JSPI) is admitted and loaded, and each call says why it cannot run.
  if (route.unsupported === null) {
    try {
      plugin.instantiate();
    } catch (e) {
      void plugin.close();
      throw e;
    }
  }
  return plugin;
}

/**
 * A failure while linking is the host's, not the plugin's: a WebAssembly
 * LinkError, or anything jco's glue throws before the first core instance
 * exists (it looks every import up first: "unexpectedly undefined instance
 * import", reading a missing interface). Plugin code has not run yet.
 */
function linkGap(e: unknown, coreInstancesCreated: number, plugin: string): WitplugError | null {
  if (e instanceof WitplugError) return null;
  if (!(e instanceof WebAssembly.LinkError) && coreInstancesCreated > 0) return null;
  const message = e instanceof Error ? e.message : String(e);
  return new WitplugError(ErrorCodes.LINK, `plugin ${plugin} cannot be linked with what the host offers: ${message}`, { plugin, hook: '(instantiate)', cause: e });
}

function isLinkError(e: unknown): boolean {
  return e instanceof WitplugError && e.code === ErrorCodes.LINK;
}

/** Decoded shapes per component hash: admission of a plugin loaded twice decodes once. */
const shapeCache = new ShapeCache();

function admitOrThrow(
  bytes: Uint8Array, hash: string, contract: Contract, name: string, allowedImports?: ReadonlySet<string>, missingImports?: 'reject' | 'trap',
): DecodedPlugin {
  const report: AdmissionReport = admit(bytes, contract, {
    cache: shapeCache, componentHash: hash, ...(allowedImports ? { allowedImports } : {}), ...(missingImports ? { missingImports } : {}),
  });
  if (!report.accepted) {
    const first = report.problems[0];
    const more = report.problems.length > 1 ? ` (+${report.problems.length - 1} more)` : '';
    throw new WitplugError(ErrorCodes.REJECTED, `plugin ${name} rejected by the admission gate: ${first ? `${first.code} at ${first.path || '(component)'}: ${first.message}` : 'no reason given'}${more}`, {
      plugin: name,
      details: { report },
    });
  }
  // Accepted means the decode succeeded, so this is a cache hit.
  return shapeCache.getOrDecode(bytes, decodePlugin, hash);
}

/** The plugin's decoded shape when it decodes (admission reports it when it doesn't). */
function pluginShapeOrUndefined(bytes: Uint8Array, hash: string): ComponentShape | undefined {
  try {
    return shapeCache.getOrDecode(bytes, decodePlugin, hash).shape;
  } catch {
    return undefined;
  }
}

async function readPluginFile(path: string): Promise<Uint8Array> {
  try {
    return await readBytes(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WitplugError(code === 'ENOENT' ? ErrorCodes.NOT_FOUND : ErrorCodes.USAGE, `cannot read plugin ${path}: ${code ?? (e as Error).message}`, { cause: e });
  }
}

/** A callable export, resolved once. */
export type PluginFunction = (...args: unknown[]) => unknown;

/** The limits, health and WASI of one plugin (src/runtime/sandbox.ts). */
export interface PluginSandbox {
  readonly sandbox: Sandbox;
  readonly health: PluginHealth;
  /** Per-plugin WASI imports (only granted interfaces). */
  readonly wasi: Record<string, unknown>;
}

/**
 * A plugin dropped without close() still gives back its references to the
 * linker's per-process caches when it is garbage-collected.
 */
const unreleased = new FinalizationRegistry<() => void>((release) => release());

export class Plugin {
  readonly name: string;
  readonly componentHash: string;
  readonly shape: ComponentShape;
  readonly loadInfo: LoadInfo;
  /** Null once closed (the compiled modules and glue may then be freed). */
  #linked: LinkedArtifact | null;
  #closed = false;
  readonly #imports: Record<string, unknown>;
  #bindings: Record<string, unknown> | null = null;
  /** Bumped whenever the instance is replaced, so resolved functions re-bind lazily. */
  #generation = 0;
  readonly #sandbox: Sandbox;
  readonly #health: PluginHealth;
  /** Functions `call()` resolved, by target string (resolving generates code: do it once). */
  readonly #resolved = new Map<string, PluginFunction>();
  /** State of the canonical-ABI fast path: memory, allocator, resource handles of the current instance. */
  readonly #abi = new AbiContext();
  readonly #resources: ReadonlyMap<string, ResourceType>;
  /** Resources the host provides (imported interfaces other than WASI), by key. */
  readonly #hostResources: ReadonlyMap<string, ResourceType>;
  readonly #ownerOf = (r: ResourceType): 'plugin' | 'host' | null => {
    const key = resourceKey(r);
    return this.#resources.has(key) ? 'plugin' : this.#hostResources.has(key) ? 'host' : null;
  };
  /**
   * Core imports witplug supplies itself, by core module and name: generated
   * host-import trampolines and the intrinsics of exported resources.
   */
  readonly #generatedImports: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Core names of the exported functions (how the main core instance is recognised). */
  readonly #coreExportNames: readonly string[];

  /** False when the component uses UTF-16 strings, context.get/set or the async ABI: every call then goes through jco. */
  readonly #generatedCalls: boolean;
  /** REENTRANCE errors this plugin raised: a host function that lets one through fails the call with REENTRANCE, not HOST_ERROR. */
  readonly #refusals = new WeakSet<object>();
  /** Why no call can run on this Node (src/runtime/canon-features.ts), or null. */
  readonly #unsupported: string | null;
  /** context.get/set slots of the generated path, for components that use them. */
  readonly #contextSlots: ContextSlots | null;

  constructor(
    name: string, componentHash: string, shape: ComponentShape, linked: LinkedArtifact, env: PluginEnvironment, info: LoadInfo,
    sandbox?: PluginSandbox, callPath: Partial<CallRoute> = {},
  ) {
    this.#generatedCalls = callPath.generatedCalls ?? true;
    this.#unsupported = callPath.unsupported ?? null;
    this.#contextSlots = callPath.contextSlots ? new ContextSlots() : null;
    this.name = name;
    this.componentHash = componentHash;
    this.shape = shape;
    this.#linked = linked;
    unreleased.register(this, linked.release, this);
    this.loadInfo = info;
    this.#sandbox = sandbox?.sandbox ?? new Sandbox({});
    this.#health = sandbox?.health ?? new PluginHealth();
    env = this.#attributeHost(env);
    this.#imports = this.#sandbox.guardHostImports(buildJcoImports(shape, env, sandbox?.wasi ?? {}));
    this.#resources = exportedResources(shape);
    this.#hostResources = importedResources(shape);
    this.#abi.cap = this.#sandbox.limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.#abi.maxHandles = this.#sandbox.limits.maxHandles ?? DEFAULT_MAX_HANDLES;
    this.#abi.runDestructor = (call) => void this.guard('(resource destructor)', call);
    this.#abi.reentered = (hook) => {
      throw this.#reentered(hook);
    };
    const generated = this.#generatedCalls
      ? new Map([...this.#buildGeneratedImports(shape, env), ...resourceIntrinsics(this.#abi, this.#resources)])
      : new Map<string, Record<string, unknown>>();
    if (this.#contextSlots) {
      generated.set(CONTEXT_IMPORT_MODULE, { ...generated.get(CONTEXT_IMPORT_MODULE), ...this.#contextSlots.imports() });
    }
    this.#generatedImports = generated;
    this.#coreExportNames = listExportedFunctions(shape).map((f) => coreExportName(f.iface, f.func));
  }

  /**
   * The host's implementations (and its log sink), each wrapped so that what
   * it throws becomes HOST_ERROR naming `interface#function`, with the
   * host's error as `cause`: the host's fault, never counted against the
   * plugin. A try/catch costs nothing until something throws. Both call
   * paths (generated trampolines and jco's) look implementations up here.
   */
  #attributeHost(env: PluginEnvironment): PluginEnvironment {
    const host: Record<string, Record<string, HostFunction>> = {};
    for (const [iface, table] of Object.entries(env.host)) {
      const wrapped: Record<string, HostFunction> = {};
      for (const [func, impl] of Object.entries(table)) {
        wrapped[func] = typeof impl === 'function' ? this.#hostCall(impl, `${iface}#${func}`) : impl;
      }
      host[iface] = wrapped;
    }
    const log = this.#hostCall(env.log as HostFunction, 'witplug:host/log#log (the log sink)') as unknown as LogSink;
    return { ...env, host, log };
  }

  #hostCall(impl: HostFunction, name: string): HostFunction {
    const f = impl as (...args: unknown[]) => unknown;
    return ((...args: unknown[]) => {
      try {
        return f(...args);
      } catch (e) {
        throw this.#hostError(e, name);
      }
    }) as HostFunction;
  }

  #hostError(e: unknown, name: string): unknown {
    // The stack is shared: a plugin that recursed deep before calling the host must not escape
    // DISABLED by making the host overflow it. A stack overflow stays a trap of the call.
    if (isStackOverflow(e)) return e;
    // A refusal to re-enter — this plugin's own, or one the isolated host side raised — stays REENTRANCE.
    if (this.#refusals.has(e as object) || (e instanceof WitplugError && e.code === ErrorCodes.REENTRANCE)) {
      const err = new WitplugError(ErrorCodes.REENTRANCE, `host function ${name} called back into plugin ${this.name} while it was running a call (${(e as Error).message})`, {
        plugin: this.name, cause: e, details: { hostFunction: name },
      });
      this.#refusals.add(err);
      return err;
    }
    const what = e instanceof Error ? `${e.name === 'WitplugError' ? (e as WitplugError).code : e.name}: ${e.message}` : String(e);
    return new WitplugError(ErrorCodes.HOST_ERROR, `host function ${name} threw while plugin ${this.name} was calling it: ${what}`, {
      plugin: this.name, cause: e, details: { hostFunction: name },
    });
  }

  /** The error for a call that would re-enter the running instance (the host's fault: not counted, the running call untouched). */
  #reentered(hook: string): WitplugError {
    const err = new WitplugError(ErrorCodes.REENTRANCE, `${hook}: plugin ${this.name} is already running a call; a host function may not call back into the same plugin instance`, { plugin: this.name, hook });
    this.#refusals.add(err);
    return err;
  }

  /**
   * Host functions of non-WASI interfaces get generated trampolines (the
   * guest calls them directly; memory is read through the AbiContext). WASI
   * and anything with host resources keep jco's.
   */
  #buildGeneratedImports(shape: ComponentShape, env: PluginEnvironment): Map<string, Record<string, unknown>> {
    const out = new Map<string, Record<string, unknown>>();
    const ifaces = shape.imports.flatMap((item) => (item.kind === 'interface' && !item.name.startsWith('wasi:') ? [item.iface] : []));
    // World-level functions and resources come from the core import module `$root`, like an interface.
    const root = worldImports(shape);
    if (root) ifaces.push(root);
    for (const iface of ifaces) {
      const table: Record<string, unknown> = {};
      for (const [funcName, func] of iface.funcs) {
        let factory;
        try {
          factory = compileImport(func, `${iface.name}#${funcName}`, this.#ownerOf);
        } catch (e) {
          if (e instanceof UnsupportedAbiType) continue;
          throw e;
        }
        // The sandbox adds its deadline check to host calls (a loop of host calls burns little fuel).
        table[funcName] = factory(this.#abi, this.#sandbox.guardHostFunction(hostFunction(env, iface, funcName)));
      }
      // Host resources: the plugin drops its handles through `[resource-drop]R`; the host may want to know.
      const owner = iface === root ? '' : iface.name;
      for (const [key, r] of this.#hostResources) {
        if (r.interfaceName !== owner) continue;
        table[`[resource-drop]${r.name}`] = (h: number) => this.#abi.resourceDrop(key, h >>> 0);
        const onDrop = hostFunction(env, iface, `[resource-drop]${r.name}`, null);
        if (onDrop) this.#abi.hostDrops.set(key, onDrop as (value: object) => unknown);
      }
      out.set(iface.name, table);
    }
    return out;
  }

  /** Fuel used by the last call (or instantiation); undefined unless fuel or a deadline is set. */
  get lastFuel(): number | undefined {
    return this.#sandbox.lastFuel;
  }

  /** The limits in force (validated; memory in pages). */
  get limits(): ResolvedLimits {
    return this.#sandbox.limits;
  }

  /** Why the plugin is disabled (too many failed calls), or null. Reload it to enable it again. */
  get disabledReason(): string | null {
    return this.#health.disabledReason;
  }

  /** True once close() was called: every call then fails with CLOSED. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Releases the instance, its resource handles, the resolved callers and this
   * plugin's share of the per-process compiled-module and glue caches (freed
   * with the last plugin using them). Idempotent. Calls afterwards, through
   * `call`, `fn` or functions resolved earlier, fail with CLOSED; resources
   * the host still holds are stale. Async for parity with isolated plugins.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#abi.busy) {
      // Detaching memory under a running guest call would turn its result into a bogus trap.
      return Promise.reject(new WitplugError(ErrorCodes.USAGE, `plugin ${this.name} cannot be closed by a host function it is calling`, { plugin: this.name }));
    }
    this.#closed = true;
    this.#bindings = null;
    this.#abi.detach();
    this.#resolved.clear();
    const linked = this.#linked;
    this.#linked = null;
    if (linked) {
      unreleased.unregister(this);
      linked.release();
    }
    return Promise.resolve();
  }

  /** (Re)creates the instance. Called at load and after a trap. Runs under the call limits (start functions are plugin code). */
  instantiate(): void {
    // Refused before anything is touched: replacing the instance under a running call would corrupt it.
    if (this.#abi.busy) throw this.#reentered('(instantiate)');
    const linked = this.#linked;
    if (linked === null) throw this.#closedError('(instantiate)');
    const sandboxHook = this.#sandbox.coreHook;
    const hook = (module: WebAssembly.Module, imports: WebAssembly.Imports | undefined) =>
      withGeneratedImports(sandboxHook(module, imports), this.#generatedImports);
    this.#abi.ready = false;
    try {
      this.guard('(instantiate)', () => {
        let created = 0;
        try {
          // Attach as soon as the main instance exists: later instances' start code may already call the host.
          const { bindings } = instantiateLinked(linked, this.#imports, hook, (inst) => {
            created++;
            this.#attachAbi(inst);
          });
          this.#bindings = bindings;
        } catch (e) {
          throw linkGap(e, created, this.name) ?? e;
        }
      }, isLinkError);
      this.#generation++;
    } catch (e) {
      this.#dropInstance();
      throw toPluginError(e, this.name, '(instantiate)');
    }
  }

  /** Points the fast path at the core instance that holds the component's exported functions (once it exists). */
  #attachAbi(main: WebAssembly.Instance): void {
    if (this.#abi.ready) return;
    const isMain = this.#coreExportNames.some((n) => typeof main.exports[n] === 'function') || typeof main.exports['cabi_realloc'] === 'function';
    if (!isMain) return;
    const memory = main.exports['memory'];
    const realloc = main.exports['cabi_realloc'];
    this.#abi.attach({
      exports: main.exports,
      memory: memory instanceof WebAssembly.Memory ? memory : undefined,
      realloc: typeof realloc === 'function' ? (realloc as (a: number, b: number, c: number, d: number) => number) : undefined,
    }, destructorNames(this.#resources));
  }

  /** Forgets the current instance (it trapped, or failed to start): the next call creates a new one. */
  #dropInstance(): void {
    this.#bindings = null;
    this.#abi.ready = false;
  }

  /**
   * Runs one guest call under the plugin's limits: refuses calls while
   * DISABLED, arms fuel/deadline/memory/output caps, and on failure maps the
   * error to its code (FUEL_EXHAUSTED, TIMEOUT, MEMORY_LIMIT, OUTPUT_LIMIT,
   * TRAP), drops the instance (its state may be corrupt; the next call gets
   * a fresh one) and counts the failure towards DISABLED. `expected(e)` marks
   * errors that are ordinary results (jco's thrown `err` of a result
   * export): they are rethrown untouched. The jco path, instantiation and
   * destructors use this; the generated callers do the same inline.
   * Refuses to enter an instance that is already running (REENTRANCE).
   */
  guard<T>(hook: string, call: () => T, expected?: (e: unknown) => boolean): T {
    this.#refuseIfDisabled(hook);
    const abi = this.#abi;
    if (abi.busy) throw this.#reentered(hook);
    abi.busy = true;
    const sandbox = this.#sandbox;
    sandbox.begin();
    let value: T;
    try {
      value = call();
    } catch (e) {
      abi.busy = false;
      sandbox.end();
      if (expected?.(e)) throw e;
      throw this.#failed(e, hook);
    }
    abi.busy = false;
    sandbox.end();
    return value;
  }

  /**
   * Plugin code ran and the call failed: classify and drop the instance (its
   * state may be mid-call; the next call gets a fresh one). The failure
   * counts towards DISABLED unless the host caused it: a host function threw
   * (HOST_ERROR) or called back into the plugin (REENTRANCE).
   */
  #failed(e: unknown, hook: string): WitplugError {
    const err = this.#sandbox.classify(e, this.name, hook);
    this.#dropInstance();
    if (err.code === ErrorCodes.HOST_ERROR || err.code === ErrorCodes.REENTRANCE) {
      return err.hook === undefined ? new WitplugError(err.code, `${hook}: ${err.message}`, { path: err.path, plugin: this.name, hook, cause: err.cause, details: err.details }) : err;
    }
    // A host gap (a function the host does not provide, a linking failure) is not the plugin's
    // fault: the interrupted instance is still replaced, but it does not count towards DISABLED.
    if (err.code === ErrorCodes.UNSUPPORTED || err.code === ErrorCodes.LINK) return err;
    if (this.#health.recordTrap()) {
      err.message += ` (plugin ${this.name} is now disabled: ${this.#health.disabledReason})`;
    }
    return err;
  }

  #closedError(hook: string): WitplugError {
    return new WitplugError(ErrorCodes.CLOSED, `plugin ${this.name} is closed; load it again to call it`, { plugin: this.name, hook });
  }

  #refuseIfDisabled(hook: string): void {
    if (this.#closed) throw this.#closedError(hook);
    const disabled = this.#health.disabledReason;
    if (disabled !== null) {
      throw new WitplugError(ErrorCodes.DISABLED, `plugin ${this.name} is disabled (${disabled}); reload it to enable it again`, { plugin: this.name, hook });
    }
  }

  /** Calls `target` (`iface#func` or a world-level name) with witplug JS values. */
  call(target: string, args: readonly unknown[]): unknown {
    let f = this.#resolved.get(target);
    if (f === undefined) {
      f = this.fn(target);
      this.#resolved.set(target, f);
    }
    return f(...args);
  }

  /**
   * Resolves `target` once and returns a function that calls it through
   * witplug's generated canonical-ABI path (src/runtime/abi/), or through
   * jco's bindings for the few type kinds that path does not handle.
   */
  fn(target: string): PluginFunction {
    return this.fastFn(target) ?? this.jcoFn(target);
  }

  /** A function refusing every call with UNSUPPORTED when this Node cannot run the plugin's calls, else null. */
  #refusal(target: string): PluginFunction | null {
    if (this.#unsupported === null) return null;
    const hook = resolveExport(this.shape, target).target;
    const err = () => new WitplugError(ErrorCodes.UNSUPPORTED, `cannot call ${hook}: plugin ${this.name} ${this.#unsupported}`, { plugin: this.name, hook });
    return () => {
      throw err();
    };
  }

  /** The generated canonical-ABI caller of `target`, or null when it needs the jco fallback. */
  fastFn(target: string): PluginFunction | null {
    const resolved = resolveExport(this.shape, target);
    if (!this.#generatedCalls) return null;
    const coreName = coreExportName(resolved.iface, resolved.func);
    let factory;
    try {
      factory = compileCaller(resolved.type, coreName, this.#ownerOf);
    } catch (e) {
      if (e instanceof UnsupportedAbiType) return null;
      throw e;
    }
    if (!this.#abi.ready) {
      this.#refuseIfDisabled(resolved.target);
      this.instantiate();
    }
    if (!this.#abi.ready || typeof this.#abi.x[coreName] !== 'function') return null;
    const call = factory(this.#abi, this.#callHost(resolved));
    const slots = this.#contextSlots;
    if (slots === null) return call;
    // Each call is a new task: its context slots start at 0.
    return (...args: unknown[]) => {
      slots.reset();
      return call(...args);
    };
  }

  #arityError(resolved: ResolvedExport, got: number): WitplugError {
    const params = resolved.type.params;
    return new WitplugError(ErrorCodes.USAGE, `${resolved.target} takes ${params.length} argument(s) (${params.map((p) => p.name).join(', ')}), got ${got}`, { plugin: this.name, hook: resolved.target });
  }

  #callHost(resolved: ResolvedExport): CallHost {
    const hook = resolved.target;
    const sandbox = this.#sandbox;
    const limited = sandbox.instrumented;
    return {
      arity: (n) => {
        throw this.#arityError(resolved, n);
      },
      prepare: () => {
        this.#refuseIfDisabled(hook);
        this.instantiate();
      },
      reentered: () => {
        // Not counted against the plugin and the running call is left alone: the host re-entered.
        throw this.#reentered(hook);
      },
      // The output cap needs no per-call work here (the AbiContext checks it while lifting).
      limited,
      begin: () => sandbox.begin(false),
      end: () => void sandbox.end(),
      fail: (e, entered) => {
        if (limited) sandbox.end();
        // A bad argument is the caller's mistake, not the plugin's: the instance stays. Anything else
        // is raised by plugin code or by what it called, cabi_realloc during lowering included.
        if (!entered && e instanceof WitplugError && e.code === ErrorCodes.TYPE_MISMATCH) return toPluginError(e, this.name, hook);
        return this.#failed(e, hook);
      },
    };
  }

  /**
   * The same call through jco's generated bindings (values adapted to
   * witplug's conventions). The baseline of `witplug bench`.
   */
  jcoFn(target: string): PluginFunction {
    const refusal = this.#refusal(target);
    if (refusal) return refusal;
    const resolved = resolveExport(this.shape, target);
    const hook = resolved.target;
    const params = resolved.type.params;
    const result = resolved.type.result;
    const plainArgs = params.every((p) => sameInBoth(p.type));
    const stringParams = params.flatMap((p, i) => (holdsStrings(p.type) ? [i] : []));
    const returnsResult = result?.kind === 'result';
    const plainResult = result === null || (!returnsResult && sameInBoth(result));
    let generation = -1;
    let bound: (...a: unknown[]) => unknown = () => undefined;
    return (...args: unknown[]) => {
      if (args.length !== params.length) throw this.#arityError(resolved, args.length);
      // Before anything that could replace the instance under the running call.
      if (this.#abi.busy) throw this.#reentered(hook);
      for (const i of stringParams) {
        const at = loneSurrogateAt(params[i]!.type, args[i], `param ${params[i]!.name}`);
        if (at !== null) {
          throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${at}: expected a string of Unicode scalar values (it has a lone surrogate)`, { plugin: this.name, hook, path: at });
        }
      }
      if (generation !== this.#generation || this.#bindings === null) {
        if (this.#bindings === null) this.instantiate();
        bound = this.#bindFn(resolved);
        generation = this.#generation;
      }
      const jcoArgs = plainArgs ? args : args.map((a, i) => toJco(params[i]!.type, a));
      this.#contextSlots?.reset(); // the core instance's context built-ins are witplug's (see fastFn)
      let value: unknown;
      const isErrResult = (e: unknown): boolean => returnsResult && e !== null && typeof e === 'object' && 'payload' in e && !(e instanceof WebAssembly.RuntimeError);
      try {
        value = this.guard(hook, () => bound(...jcoArgs), isErrResult);
        this.#sandbox.checkOutput(value, this.name, hook);
      } catch (e) {
        if (isErrResult(e)) {
          // jco reports `err` of a result-returning export as a thrown ComponentError.
          const payload = (e as { payload: unknown }).payload;
          this.#sandbox.checkOutput(payload, this.name, hook);
          const errType = result?.kind === 'result' ? result.err : null;
          return { tag: 'err', val: errType ? fromJco(errType, payload) : undefined };
        }
        this.#dropInstance(); // a trapped instance is never called again
        throw toPluginError(e, this.name, hook);
      }
      if (plainResult) return value;
      if (returnsResult) return result.ok ? { tag: 'ok', val: fromJco(result.ok, value) } : { tag: 'ok' };
      return fromJco(result!, value);
    };
  }

  #bindFn(resolved: ResolvedExport): (...a: unknown[]) => unknown {
    const bindings = this.#bindings!;
    const holder = resolved.iface === null
      ? bindings
      : ((bindings[resolved.iface] ?? bindings[shortInterfaceName(resolved.iface)]) as Record<string, unknown> | undefined);
    const fn = holder?.[lowerCamel(resolved.func)];
    if (typeof fn !== 'function') {
      throw new WitplugError(ErrorCodes.UNSUPPORTED, `cannot call ${resolved.target} (resource methods are not callable yet)`, { plugin: this.name, hook: resolved.target });
    }
    return fn as (...a: unknown[]) => unknown;
  }
}
