/**
 * A live plugin instance: its sandbox (limits, health), its canonical-ABI
 * context (memory, allocator, resource handles) and the WebAssembly
 * instances created through the linked jco glue. Everything that does not
 * depend on the instance (shape, call route, generated caller and import
 * factories) comes precomputed in a `PluginBlueprint` (src/runtime/link/blueprint.ts).
 * An instance that trapped is never called again; the next call gets a
 * fresh one.
 */
import type { ComponentShape } from '../../component/types.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { CONTEXT_IMPORT_MODULE, ContextSlots } from '../abi/context-slots.js';
import { buildJcoImports, type PluginEnvironment } from '../capabilities/host-imports.js';
import { instantiateLinked, type LinkedArtifact } from '../link/linker.js';
import { suppliesAll } from '../link/direct.js';
import { resolveExport, type ResolvedExport } from '../link/exports.js';
import type { ImportMemory, LoadInfo, PluginBlueprint } from '../link/blueprint.js';
import { fromJco, toJco, sameInBoth, holdsStrings, loneSurrogateAt } from '../abi/jco-values.js';
import { lowerCamel, shortInterfaceName } from '../../component/names.js';
import { toPluginError, unreadableArgument } from '../abi/traps.js';
import {
  AbiContext, ImportContext, resourceIntrinsics, withGeneratedImports, DEFAULT_MAX_OUTPUT_BYTES, type CallHost,
} from '../abi/index.js';
import type { Sandbox } from '../limits/sandbox.js';
import { DEFAULT_MAX_HANDLES, type ResolvedLimits } from '../limits/resolve-limits.js';
import { PluginHealth } from '../limits/health.js';
import { releaseWasi, withStderrTail } from '../capabilities/wasi.js';
import type { Plugin, PluginFunction, PluginSandbox } from './surface.js';
import { HostCalls } from './host-calls.js';
import { NONE, bindGeneratedImports, bindHostDrops, canonWired } from './imports.js';
import { isLinkError, linkGap } from './link-gap.js';

export type { Plugin, PluginFunction, PluginInstance, PluginSandbox } from './surface.js';

/**
 * A plugin dropped without close() still gives back its references to the
 * linker's per-process caches when it is garbage-collected.
 */
const unreleased = new FinalizationRegistry<() => void>((release) => release());

/** The in-process class behind a `Plugin`, for witplug's own modules (and tests that compare call routes). */
export function pluginInternals(plugin: Plugin): InProcessPlugin {
  if (!(plugin instanceof InProcessPlugin)) throw new TypeError('not an in-process plugin made by witplug');
  return plugin;
}

export class InProcessPlugin implements Plugin {
  readonly name: string;
  readonly componentHash: string;
  readonly shape: ComponentShape;
  readonly loadInfo: LoadInfo;
  /** Null once closed (the compiled modules and glue may then be freed). */
  #linked: LinkedArtifact | null;
  #closed = false;
  /** jco's import object (the host's functions and WASI), built when an instance first goes through jco's glue. */
  #jcoImports: Record<string, unknown> | null = null;
  /** The host's implementations as attributed by HostCalls, and the granted WASI (for #jcoImports). */
  readonly #env: PluginEnvironment;
  readonly #wasi: Record<string, unknown>;
  /**
   * The main module and its complete imports when instances skip jco's glue
   * (src/runtime/link/direct.ts); null: through the glue; undefined: not decided yet.
   */
  #direct: { readonly main: WebAssembly.Module; readonly imports: WebAssembly.Imports } | null | undefined;
  /** The current instance when it was made directly (jco's bindings may adopt it later). */
  #main: WebAssembly.Instance | null = null;
  #bindings: Record<string, unknown> | null = null;
  /** Bumped whenever the instance is replaced, so resolved functions re-bind lazily. */
  #generation = 0;
  readonly #sandbox: Sandbox;
  readonly #health: PluginHealth;
  /** Functions `call()` resolved, by target string (resolving generates code: do it once). */
  readonly #resolved = new Map<string, PluginFunction>();
  /** State of the canonical-ABI fast path: memory, allocator, resource handles of the current instance. */
  readonly #abi = new AbiContext();
  /** Shared with every instance of the same prepared plugin. */
  readonly #blueprint: PluginBlueprint;
  /**
   * Core imports witplug supplies itself, by core module and name: generated
   * host-import trampolines and the intrinsics of exported resources.
   */
  readonly #generatedImports: ReadonlyMap<WebAssembly.Module, ReadonlyMap<string, Readonly<Record<string, unknown>>>>;
  /** Contexts of trampolines whose import is lowered with another instance's memory, attached when that instance exists. */
  readonly #importContexts = new Map<ImportMemory, AbiContext>();
  /** False when the component uses UTF-16 strings, context.get/set or the async ABI: every call then goes through jco. */
  readonly #generatedCalls: boolean;
  /** Attribution of the host's failures, and this plugin's REENTRANCE refusals. */
  readonly #hostCalls: HostCalls;
  /** Why no call can run on this Node (src/runtime/link/call-route.ts), or null. */
  readonly #unsupported: string | null;
  /** context.get/set slots of the generated path, for components that use them. */
  readonly #contextSlots: ContextSlots | null;

  /**
   * Internal: instances are made by `PreparedPlugin.instantiate()` (or
   * `loadPlugin`). `linked` is this instance's own reference to the linker's
   * caches, released by close().
   */
  constructor(blueprint: PluginBlueprint, linked: LinkedArtifact, env: PluginEnvironment, sandbox: PluginSandbox) {
    const route = blueprint.route;
    this.#blueprint = blueprint;
    this.#generatedCalls = route.generatedCalls;
    this.#unsupported = route.unsupported;
    this.#contextSlots = route.contextSlots ? new ContextSlots() : null;
    this.name = env.name;
    this.componentHash = blueprint.componentHash;
    this.shape = blueprint.shape;
    this.#linked = linked;
    unreleased.register(this, linked.release, this);
    this.loadInfo = blueprint.loadInfo;
    this.#sandbox = sandbox.sandbox;
    this.#health = sandbox.health;
    this.#hostCalls = new HostCalls(env.name);
    env = this.#hostCalls.attribute(env);
    this.#env = env;
    this.#wasi = sandbox.wasi;
    this.#abi.cap = this.#sandbox.limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.#abi.maxHandles = this.#sandbox.limits.maxHandles ?? DEFAULT_MAX_HANDLES;
    this.#abi.runDestructor = (call) => void this.guard('(resource destructor)', call);
    this.#abi.reentered = (hook) => {
      throw this.#hostCalls.reentered(hook);
    };
    const intrinsics = this.#generatedCalls ? resourceIntrinsics(this.#abi, blueprint.resources) : new Map<string, Record<string, unknown>>();
    if (this.#generatedCalls) bindHostDrops(blueprint, this.#abi, env, intrinsics);
    if (this.#contextSlots) {
      intrinsics.set(CONTEXT_IMPORT_MODULE, { ...intrinsics.get(CONTEXT_IMPORT_MODULE), ...this.#contextSlots.imports() });
    }
    this.#generatedImports = this.#generatedCalls
      ? bindGeneratedImports(blueprint, this.#abi, (memory) => this.#importContext(memory), this.#sandbox, env, intrinsics)
      : canonWired(blueprint.canonImports, intrinsics);
  }

  /** The context of trampolines writing into `memory` (one per distinct memory and realloc). */
  #importContext(memory: ImportMemory): AbiContext {
    let context = this.#importContexts.get(memory);
    if (context === undefined) this.#importContexts.set(memory, (context = new ImportContext(this.#abi)));
    return context;
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
   * How the current instance was made: `direct` (the plugin's own core
   * module alone, src/runtime/link/direct.ts), `jco` (through jco's glue), or
   * null (none yet, or it was dropped after a failure).
   */
  get instantiation(): 'direct' | 'jco' | null {
    if (this.#main !== null) return 'direct';
    return this.#bindings !== null ? 'jco' : null;
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
    releaseWasi(this.#wasi); // its files and streams, now, not when the GC gets to them
    this.#abi.detach();
    for (const context of this.#importContexts.values()) context.detach();
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
    if (this.#abi.busy) throw this.#hostCalls.reentered('(instantiate)');
    const linked = this.#linked;
    if (linked === null) throw this.#closedError('(instantiate)');
    const direct = this.#directImports();
    this.#abi.ready = false;
    this.#bindings = null;
    this.#main = null;
    releaseWasi(this.#wasi); // the instance being replaced held them
    this.#underLimits(() => {
      if (direct === null) {
        this.#throughGlue(linked, null);
        return;
      }
      let main: WebAssembly.Instance;
      try {
        main = new WebAssembly.Instance(direct.main, direct.imports);
      } catch (e) {
        // Only a LinkError is the host's: anything else was thrown by the module's start code.
        throw linkGap(e, 1, this.name) ?? e;
      }
      this.#main = main;
      this.#attachAbi(main, direct.main);
    });
    this.#generation++;
  }

  /** Runs instantiation work as plugin code under the call limits; a failure leaves no instance. */
  #underLimits(work: () => void): void {
    try {
      this.guard('(instantiate)', work, isLinkError);
    } catch (e) {
      this.#dropInstance();
      throw toPluginError(e, this.name, '(instantiate)');
    }
  }

  /**
   * Runs jco's glue. `existing`: the live direct instance, which the glue
   * adopts as its main core instance instead of creating one (its shim and
   * fixup then route imports the main instance does not use), so jco's
   * bindings call the same instance and state as the generated callers.
   */
  #throughGlue(linked: LinkedArtifact, existing: { readonly module: WebAssembly.Module; readonly instance: WebAssembly.Instance } | null): void {
    const sandboxHook = this.#sandbox.coreHook;
    const generated = this.#generatedImports;
    const hook = (module: WebAssembly.Module, imports: WebAssembly.Imports | undefined) => {
      // Counted before the instance exists: its start function is plugin code, and a trap there is the plugin's.
      started++;
      return withGeneratedImports(sandboxHook(module, imports), generated.get(module) ?? NONE);
    };
    this.#jcoImports ??= this.#sandbox.guardHostImports(buildJcoImports(this.shape, this.#env, this.#wasi));
    // Core instantiations the glue started (the adopted instance is not plugin code run here):
    // before the first, a failure is a linking gap, the host's.
    let started = 0;
    try {
      // Attach as soon as each instance exists: later instances' start code may already call the host.
      const { bindings } = instantiateLinked(linked, this.#jcoImports, hook, (inst, module) => this.#attachAbi(inst, module), existing ?? undefined);
      this.#bindings = bindings;
    } catch (e) {
      throw linkGap(e, started, this.name) ?? e;
    }
  }

  /** jco's bindings of the current instance (created, or attached to the direct instance, on first use). */
  #jcoBindings(): Record<string, unknown> {
    if (this.#bindings !== null) return this.#bindings;
    if (this.#main === null) {
      this.instantiate();
      if (this.#bindings !== null) return this.#bindings;
    }
    const linked = this.#linked;
    const main = this.#main;
    const layout = this.#blueprint.direct;
    if (linked === null) throw this.#closedError('(instantiate)');
    if (main === null || layout === null) throw new WitplugError(ErrorCodes.INTERNAL, `plugin ${this.name} has an instance without jco bindings`, { plugin: this.name });
    this.#underLimits(() => this.#throughGlue(linked, { module: layout.main, instance: main }));
    return this.#bindings!;
  }

  /**
   * The direct-instantiation plan of this plugin (decided once): the main
   * module with witplug's generated imports and the sandbox's, when they
   * supply every import it has; otherwise null (instances go through jco's
   * glue).
   */
  #directImports(): { readonly main: WebAssembly.Module; readonly imports: WebAssembly.Imports } | null {
    if (this.#direct !== undefined) return this.#direct;
    const layout = this.#blueprint.direct;
    let plan: { main: WebAssembly.Module; imports: WebAssembly.Imports } | null = null;
    if (layout !== null) {
      const imports: WebAssembly.Imports = { ...this.#sandbox.coreHook(layout.main, {}) };
      for (const [module, table] of this.#generatedImports.get(layout.main) ?? NONE) {
        imports[module] = { ...imports[module], ...(table as WebAssembly.ModuleImports) };
      }
      if (suppliesAll(layout, imports)) plan = { main: layout.main, imports };
    }
    return (this.#direct = plan);
  }

  /** Points the fast path at the core instance that holds the component's exported functions (once it exists). */
  #attachAbi(main: WebAssembly.Instance, module: WebAssembly.Module): void {
    for (const [memory, context] of this.#importContexts) {
      if (memory.module !== module) continue;
      const mem = memory.memory === null ? undefined : main.exports[memory.memory];
      const realloc = memory.realloc === null ? undefined : main.exports[memory.realloc];
      context.attach({
        exports: {},
        memory: mem instanceof WebAssembly.Memory ? mem : undefined,
        realloc: typeof realloc === 'function' ? (realloc as (a: number, b: number, c: number, d: number) => number) : undefined,
      });
    }
    if (this.#abi.ready) return;
    // The instance of the module the lifts come from; without a single one (then every call goes
    // through jco; the context only serves resource handles), the first that looks like it.
    const known = this.#blueprint.mainModule;
    const isMain = known !== null
      ? module === known
      : this.#blueprint.coreExportNames.some((n) => typeof main.exports[n] === 'function') || typeof main.exports['cabi_realloc'] === 'function';
    if (!isMain) return;
    const memory = main.exports['memory'];
    const realloc = main.exports['cabi_realloc'];
    this.#abi.attach({
      exports: main.exports,
      memory: memory instanceof WebAssembly.Memory ? memory : undefined,
      realloc: typeof realloc === 'function' ? (realloc as (a: number, b: number, c: number, d: number) => number) : undefined,
    }, this.#blueprint.destructors);
  }

  /** Forgets the current instance (it trapped, or failed to start): the next call creates a new one. */
  #dropInstance(): void {
    this.#bindings = null;
    this.#main = null;
    this.#abi.ready = false;
    releaseWasi(this.#wasi); // nothing can reach the dropped instance's files and streams any more
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
    if (abi.busy) throw this.#hostCalls.reentered(hook);
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
    const err = withStderrTail(this.#sandbox.classify(e, this.name, hook), this.#wasi);
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
    return this.fn(target)(...args);
  }

  /**
   * Resolves `target` once and returns a function that calls it through
   * witplug's generated canonical-ABI path (src/runtime/abi/), or through
   * jco's bindings for the few type kinds that path does not handle.
   */
  fn(target: string): PluginFunction {
    // One function per target (at most two spellings per export): typed accessors, PluginHost
    // dispatch lists and call() all share it, so each call site's JIT feedback stays monomorphic.
    let f = this.#resolved.get(target);
    if (f === undefined) {
      f = this.fastFn(target) ?? this.jcoFn(target);
      this.#resolved.set(target, f);
    }
    return f;
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
    const { resolved, coreName, factory } = this.#blueprint.caller(target);
    if (!this.#generatedCalls || factory === null) return null;
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
        throw this.#hostCalls.reentered(hook);
      },
      // The output cap needs no per-call work here (the AbiContext checks it while lifting).
      limited,
      begin: () => sandbox.begin(false),
      end: () => void sandbox.end(),
      fail: (e, entered) => {
        if (limited) sandbox.end();
        // A bad argument is the caller's mistake, not the plugin's: the instance stays. Anything else
        // is raised by plugin code or by what it called, cabi_realloc during lowering included.
        if (!entered) {
          if (e instanceof WitplugError && e.code === ErrorCodes.TYPE_MISMATCH) return toPluginError(e, this.name, hook);
          // Before plugin code runs only the checks read the caller's values: a throwing getter, a
          // symbol coerced to a number or a revoked proxy is the caller's value misbehaving.
          if (!(e instanceof WitplugError)) return toPluginError(unreadableArgument(e), this.name, hook);
        }
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
      if (this.#abi.busy) throw this.#hostCalls.reentered(hook);
      for (const i of stringParams) {
        const at = loneSurrogateAt(params[i]!.type, args[i], `param ${params[i]!.name}`);
        if (at !== null) {
          throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${at}: expected a string of Unicode scalar values (it has a lone surrogate)`, { plugin: this.name, hook, path: at });
        }
      }
      if (generation !== this.#generation || this.#bindings === null) {
        bound = this.#bindFn(resolved, this.#jcoBindings());
        generation = this.#generation;
      }
      const jcoArgs = plainArgs ? args : args.map((a, i) => toJco(params[i]!.type, a));
      this.#contextSlots?.reset(); // the core instance's context built-ins are witplug's (see fastFn)
      let value: unknown;
      const isErrResult = (e: unknown): boolean =>
        returnsResult && e !== null && typeof e === 'object' && 'payload' in e && !(e instanceof WebAssembly.RuntimeError);
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

  #bindFn(resolved: ResolvedExport, bindings: Record<string, unknown>): (...a: unknown[]) => unknown {
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

/** `target` called through jco's generated glue instead of witplug's own callers (`witplug bench` compares the two). */
export function jcoFunction(plugin: Plugin, target: string): PluginFunction {
  return pluginInternals(plugin).jcoFn(target);
}
