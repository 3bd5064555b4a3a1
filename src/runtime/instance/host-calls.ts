/**
 * Whose fault a host function's failure is: the host's implementations are
 * wrapped so what they throw becomes HOST_ERROR (or stays REENTRANCE when a
 * host function called back into the running plugin).
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { isStackOverflow } from '../abi/traps.js';
import type { HostFunction, LogSink, PluginEnvironment } from '../capabilities/host-imports.js';
import { asCaller, asyncHost, callerSlot, isAsyncHost, type HostCaller } from '../capabilities/host-caller.js';

export class HostCalls {
  /** REENTRANCE errors this plugin raised: a host function that lets one through fails the call with REENTRANCE, not HOST_ERROR. */
  readonly #refusals = new WeakSet<object>();

  constructor(readonly plugin: string) {}

  /**
   * The host's implementations (and its log sink), each wrapped so that what
   * it throws becomes HOST_ERROR naming `interface#function`, with the
   * host's error as `cause`: the host's fault, never counted against the
   * plugin. A try/catch costs nothing until something throws. Both call
   * paths (generated trampolines and jco's) look implementations up here.
   */
  attribute(env: PluginEnvironment): PluginEnvironment {
    const host: Record<string, Record<string, HostFunction>> = {};
    const caller = env.caller ?? { name: env.name, version: null, context: {} };
    for (const [iface, table] of Object.entries(env.host)) {
      const wrapped: Record<string, HostFunction> = {};
      for (const [func, impl] of Object.entries(table)) {
        wrapped[func] = typeof impl === 'function' ? this.#call(impl, `${iface}#${func}`, caller) : impl;
      }
      host[iface] = wrapped;
    }
    const log = this.#call(env.log as HostFunction, 'witplug:host/log#log (the log sink)', caller) as unknown as LogSink;
    return { ...env, host, log, caller };
  }

  /** The host's function, attributed, with `caller` as `currentCaller()` while it runs (one variable saved and restored per host call). */
  #call(impl: HostFunction, name: string, caller: HostCaller): HostFunction {
    const f = impl as (...args: unknown[]) => unknown;
    if (isAsyncHost(impl)) {
      // Still declared async; a rejection is attributed like a throw.
      return asyncHost(async (...args: unknown[]) => {
        try {
          return await asCaller(caller, f, args);
        } catch (e) {
          throw this.#error(e, name);
        }
      }) as HostFunction;
    }
    const slot = callerSlot;
    return ((...args: unknown[]) => {
      const previous = slot.active;
      slot.active = caller;
      try {
        return f(...args);
      } catch (e) {
        throw this.#error(e, name);
      } finally {
        slot.active = previous;
      }
    }) as HostFunction;
  }

  #error(e: unknown, name: string): unknown {
    // The stack is shared: a plugin that recursed deep before calling the host must not escape
    // DISABLED by making the host overflow it. A stack overflow stays a trap of the call.
    if (isStackOverflow(e)) return e;
    // A refusal to re-enter — this plugin's own, or one the isolated host side raised — stays REENTRANCE.
    if (this.#refusals.has(e as object) || (e instanceof WitplugError && e.code === ErrorCodes.REENTRANCE)) {
      const err = new WitplugError(ErrorCodes.REENTRANCE, `host function ${name} called back into plugin ${this.plugin} while it was running a call (${(e as Error).message})`, {
        plugin: this.plugin, cause: e, details: { hostFunction: name },
      });
      this.#refusals.add(err);
      return err;
    }
    const what = e instanceof Error ? `${e.name === 'WitplugError' ? (e as WitplugError).code : e.name}: ${e.message}` : String(e);
    return new WitplugError(ErrorCodes.HOST_ERROR, `host function ${name} threw while plugin ${this.plugin} was calling it: ${what}`, {
      plugin: this.plugin, cause: e, details: { hostFunction: name },
    });
  }

  /** The error for a call that would re-enter the running instance (the host's fault: not counted, the running call untouched). */
  reentered(hook: string): WitplugError {
    const err = new WitplugError(ErrorCodes.REENTRANCE, `${hook}: plugin ${this.plugin} is already running a call; a host function may not call back into the same plugin instance`, { plugin: this.plugin, hook });
    this.#refusals.add(err);
    return err;
  }
}
