/**
 * Calls of an in-process plugin importing async host functions, on a
 * runtime with JS promise integration: each export runs through
 * `WebAssembly.promising`, and an async host function's trampoline is a
 * `WebAssembly.Suspending` import, so the guest's stack waits while the host's
 * event loop settles the promise. Only `callAsync`/`fnAsync` can make such
 * calls; they run one at a time per instance, in order, and the wait for a
 * host function is bounded by the plugin's deadline.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { AbiContext } from '../abi/index.js';
import type { ContextSlots } from '../abi/context-slots.js';
import type { Sandbox } from '../limits/sandbox.js';
import type { PluginBlueprint } from '../link/blueprint.js';
import { resolveExport } from '../link/exports.js';
import { abandoned, generatedCallHost, type CallGuard } from './call-guard.js';
import type { PluginFunction } from './surface.js';

type AsyncFunction = (...args: unknown[]) => Promise<unknown>;

/** What the suspending calls need of their instance. */
export interface SuspendingInstance {
  readonly name: string;
  readonly blueprint: PluginBlueprint;
  readonly abi: AbiContext;
  readonly sandbox: Sandbox;
  readonly guard: CallGuard;
  readonly contextSlots: ContextSlots | null;
  instantiate(): void;
}

const promisingOf = new WeakMap<object, AsyncFunction>();

export class SuspendingCalls {
  readonly #resolved = new Map<string, AsyncFunction>();
  #queue: Promise<unknown> = Promise.resolve();
  /** The plugin's deadline (the default one unless the host chose none: then its promises are awaited as long as they take). */
  readonly #waitMs: number | undefined;

  constructor(private readonly instance: SuspendingInstance, readonly asyncImports: readonly string[]) {
    this.#waitMs = instance.sandbox.limits.timeoutMs;
  }

  /** The synchronous function of `target`: every call is refused (nothing can wait for the host's promises there). */
  refusal(target: string): PluginFunction {
    const hook = resolveExport(this.instance.blueprint.shape, target).target;
    const { name } = this.instance;
    return () => {
      throw new WitplugError(ErrorCodes.USAGE, `${hook}: plugin ${name} imports asynchronous host functions (${this.asyncImports.join(', ')}); call it with callAsync or fnAsync`, { plugin: name, hook });
    };
  }

  fn(target: string): AsyncFunction {
    let f = this.#resolved.get(target);
    if (f === undefined) this.#resolved.set(target, (f = this.#make(target)));
    return f;
  }

  #make(target: string): AsyncFunction {
    const { blueprint, abi, sandbox, guard, name } = this.instance;
    const { resolved, coreName, factory } = blueprint.caller(target, true);
    const hook = resolved.target;
    if (!abi.ready) {
      guard.refuseIfDisabled(hook);
      this.instance.instantiate();
    }
    if (factory === null || typeof abi.x[coreName] !== 'function') {
      // jco's bindings call the core export synchronously: a suspended host call would trap there.
      const err = new WitplugError(ErrorCodes.ASYNC_UNSUPPORTED, `${hook}: plugin ${name} imports asynchronous host functions, and this export is called through jco's bindings, which cannot wait for them; load it with isolate: true`, { plugin: name, hook });
      return () => Promise.reject(err);
    }
    const host = generatedCallHost(resolved, sandbox, guard, () => this.instance.instantiate());
    host.suspending = (f, args) => this.#bounded(promising(f)(...args), hook);
    const call = factory(abi, host) as AsyncFunction;
    const slots = this.instance.contextSlots;
    return (...args: unknown[]) => {
      const run = this.#queue.then(() => {
        slots?.reset();
        return call(...args);
      });
      this.#queue = run.then(ignore, ignore);
      return run;
    };
  }

  /** The export's promise, or TIMEOUT (the instance is then abandoned; not counted: a host function did not settle). */
  #bounded(run: Promise<unknown>, hook: string): Promise<unknown> {
    if (this.#waitMs === undefined) return run;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(abandoned(new WitplugError(ErrorCodes.TIMEOUT, `plugin ${this.instance.name} did not finish ${hook} within ${this.#waitMs} ms: an async host function it called did not settle; its instance was dropped`, { plugin: this.instance.name, hook }))), this.#waitMs);
    });
    return Promise.race([run, late]).finally(() => clearTimeout(timer));
  }
}

const ignore = (): void => {};

function promising(f: unknown): AsyncFunction {
  let p = promisingOf.get(f as object);
  if (p === undefined) {
    p = (WebAssembly as unknown as { promising(f: unknown): AsyncFunction }).promising(f);
    promisingOf.set(f as object, p);
  }
  return p;
}
