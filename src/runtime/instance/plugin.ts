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
import type { ImportMemory, LoadInfo, PluginBlueprint } from '../link/blueprint.js';
import { toPluginError } from '../abi/traps.js';
import {
  AbiContext, ImportContext, resourceIntrinsics, withGeneratedImports, DEFAULT_MAX_OUTPUT_BYTES,
} from '../abi/index.js';
import type { Sandbox } from '../limits/sandbox.js';
import { DEFAULT_MAX_HANDLES, type ResolvedLimits } from '../limits/resolve-limits.js';
import { PluginHealth } from '../limits/health.js';
import { releaseWasi } from '../capabilities/wasi.js';
import type { Plugin, PluginFunction, PluginSandbox } from './surface.js';
import type { HostCaller } from '../capabilities/host-caller.js';
import { HostCalls } from './host-calls.js';
import { CallGuard, arityError, generatedCallHost } from './call-guard.js';
import { attachAbi, directPlan, type DirectPlan } from './instantiation.js';
import { jcoCaller, type JcoRoute } from './jco-route.js';
import { asyncFunction, settled } from './async-calls.js';
import { SuspendingCalls } from './suspending.js';
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
  /** jco's import object (the host's functions and WASI), built when an instance first goes through jco's glue. */
  #jcoImports: Record<string, unknown> | null = null;
  /** The host's implementations as attributed by HostCalls, and the granted WASI (for #jcoImports). */
  readonly #env: PluginEnvironment;
  readonly #wasi: Record<string, unknown>;
  /**
   * The main module and its complete imports when instances skip jco's glue
   * (src/runtime/link/direct.ts); null: through the glue; undefined: not decided yet.
   */
  #direct: DirectPlan | null | undefined;
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
  /** Closed/disabled refusals, limits around plugin code, and whose fault a failure is. */
  readonly #guard: CallGuard;
  /** What host functions see as `currentCaller()`; its `context` is the host's to fill. */
  readonly caller: HostCaller;
  /** Calls through `WebAssembly.promising` when the plugin imports async host functions, else null. */
  readonly #suspending: SuspendingCalls | null;
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
    this.caller = env.caller!;
    this.#env = env;
    this.#wasi = sandbox.wasi;
    this.#guard = new CallGuard(env.name, this.#sandbox, this.#health, this.#abi, this.#hostCalls, () => this.#dropInstance(), this.#wasi);
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
      ? bindGeneratedImports(blueprint, this.#abi, (memory) => this.#importContext(memory), this.#sandbox, env, intrinsics, () => this.#generation)
      : canonWired(blueprint.canonImports, intrinsics);
    this.#suspending = env.asyncImports?.length ? new SuspendingCalls({
      name: this.name, blueprint, abi: this.#abi, sandbox: this.#sandbox, guard: this.#guard, contextSlots: this.#contextSlots,
      instantiate: () => this.instantiate(),
    }, env.asyncImports) : null;
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
    return this.#guard.closed;
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
    if (this.#guard.closed) return Promise.resolve();
    if (this.#abi.busy) {
      // Detaching memory under a running guest call would turn its result into a bogus trap.
      return Promise.reject(new WitplugError(ErrorCodes.USAGE, `plugin ${this.name} cannot be closed by a host function it is calling`, { plugin: this.name }));
    }
    this.#guard.closed = true;
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
    if (linked === null) throw this.#guard.closedError('(instantiate)');
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
    if (linked === null) throw this.#guard.closedError('(instantiate)');
    if (main === null || layout === null) throw new WitplugError(ErrorCodes.INTERNAL, `plugin ${this.name} has an instance without jco bindings`, { plugin: this.name });
    this.#underLimits(() => this.#throughGlue(linked, { module: layout.main, instance: main }));
    return this.#bindings!;
  }

  /** The direct-instantiation plan (decided once, src/runtime/instance/instantiation.ts); null: through jco's glue. */
  #directImports(): DirectPlan | null {
    if (this.#direct === undefined) this.#direct = directPlan(this.#blueprint, this.#sandbox, this.#generatedImports);
    return this.#direct;
  }

  #attachAbi(main: WebAssembly.Instance, module: WebAssembly.Module): void {
    attachAbi(this.#abi, this.#importContexts, this.#blueprint, main, module);
  }

  /** Forgets the current instance (it trapped, or failed to start): the next call creates a new one. */
  #dropInstance(): void {
    this.#bindings = null;
    this.#main = null;
    this.#abi.ready = false;
    this.#generation++; // an abandoned suspended call's host result must not reach a later instance
    releaseWasi(this.#wasi); // nothing can reach the dropped instance's files and streams any more
  }

  /** Runs plugin code under the plugin's limits (src/runtime/instance/call-guard.ts). */
  guard<T>(hook: string, call: () => T, expected?: (e: unknown) => boolean): T {
    return this.#guard.run(hook, call, expected);
  }

  /** Calls `target` (`iface#func` or a world-level name) with witplug JS values. */
  call(target: string, args: readonly unknown[]): unknown {
    return this.fn(target)(...args);
  }

  /** `call` as a promise: same values and errors (the call itself runs now, on this thread). */
  callAsync(target: string, args: readonly unknown[]): Promise<unknown> {
    return settled(() => (this.#suspending ?? this).fn(target)(...args));
  }

  /** `fn` returning promises: same values and errors. */
  fnAsync(target: string): (...args: unknown[]) => Promise<unknown> {
    return this.#suspending?.fn(target) ?? asyncFunction(this.fn(target));
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
      f = this.#suspending?.refusal(target) ?? this.fastFn(target) ?? this.jcoFn(target);
      this.#resolved.set(target, f);
    }
    return f;
  }

  /** The generated canonical-ABI caller of `target`, or null when it needs the jco fallback. */
  fastFn(target: string): PluginFunction | null {
    const { resolved, coreName, factory } = this.#blueprint.caller(target);
    if (!this.#generatedCalls || factory === null) return null;
    if (!this.#abi.ready) {
      this.#guard.refuseIfDisabled(resolved.target);
      this.instantiate();
    }
    if (!this.#abi.ready || typeof this.#abi.x[coreName] !== 'function') return null;
    const call = factory(this.#abi, generatedCallHost(resolved, this.#sandbox, this.#guard, () => this.instantiate()));
    const slots = this.#contextSlots;
    if (slots === null) return call;
    // Each call is a new task: its context slots start at 0.
    return (...args: unknown[]) => {
      slots.reset();
      return call(...args);
    };
  }

  /**
   * The same call through jco's generated bindings (values adapted to
   * witplug's conventions). The baseline of `witplug bench`.
   */
  jcoFn(target: string): PluginFunction {
    return jcoCaller(this.#jcoRoute, target);
  }

  /** What the jco route (src/runtime/instance/jco-route.ts) reads of this instance. */
  get #jcoRoute(): JcoRoute {
    return {
      name: this.name,
      shape: this.shape,
      guard: this.#guard,
      abi: this.#abi,
      sandbox: this.#sandbox,
      contextSlots: this.#contextSlots,
      unsupported: this.#unsupported,
      generation: () => this.#generation,
      hasBindings: () => this.#bindings !== null,
      bindings: () => this.#jcoBindings(),
      dropInstance: () => this.#dropInstance(),
      arityError: (resolved, got) => arityError(this.name, resolved, got),
    };
  }
}

/** `target` called through jco's generated glue instead of witplug's own callers (`witplug bench` compares the two). */
export function jcoFunction(plugin: Plugin, target: string): PluginFunction {
  return pluginInternals(plugin).jcoFn(target);
}
