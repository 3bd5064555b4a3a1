/**
 * The call guard of an in-process instance: refuses calls to a closed or
 * disabled plugin and re-entry into a running instance, runs plugin code
 * under the sandbox's limits, and decides whose fault a failure is (the
 * plugin's counts towards DISABLED; the host's and the caller's never do).
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { AbiContext, CallHost } from '../abi/index.js';
import { toPluginError, unreadableArgument } from '../abi/traps.js';
import type { Sandbox } from '../limits/sandbox.js';
import type { ResolvedExport } from '../link/exports.js';
import type { PluginHealth } from '../limits/health.js';
import type { HostCalls } from './host-calls.js';
import { takeStderr, withStderrTail } from '../capabilities/stderr-tail.js';

/** Calls given up while waiting on the host (an async host function that did not settle): the host's doing, not counted. */
const abandonedCalls = new WeakSet<WitplugError>();

/** Marks `err` as a call abandoned while the host had not answered. */
export function abandoned(err: WitplugError): WitplugError {
  abandonedCalls.add(err);
  return err;
}

export class CallGuard {
  /** True once the plugin was closed: every call then fails with CLOSED. */
  closed = false;

  constructor(
    readonly name: string,
    private readonly sandbox: Sandbox,
    private readonly health: PluginHealth,
    private readonly abi: AbiContext,
    readonly hostCalls: HostCalls,
    /** Forgets the current instance (it failed: the next call gets a fresh one). */
    private readonly dropInstance: () => void,
    /** The instance's WASI imports: what the plugin wrote to stderr is attached to a TRAP. */
    private readonly wasi: object,
  ) {}

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
  run<T>(hook: string, call: () => T, expected?: (e: unknown) => boolean): T {
    this.refuseIfDisabled(hook);
    const abi = this.abi;
    if (abi.busy) throw this.hostCalls.reentered(hook);
    abi.busy = true;
    const sandbox = this.sandbox;
    sandbox.begin();
    let value: T;
    try {
      value = call();
    } catch (e) {
      abi.busy = false;
      sandbox.end();
      if (expected?.(e)) throw e;
      throw this.failed(e, hook);
    }
    abi.busy = false;
    sandbox.end();
    return value;
  }

  /**
   * Plugin code ran and the call failed: classify and drop the instance (its
   * state may be mid-call; the next call gets a fresh one). The failure
   * counts towards DISABLED unless the host caused it: a host function threw
   * (HOST_ERROR) or called back into the plugin (REENTRANCE). A TRAP carries
   * the last lines the plugin wrote to stderr; any failure empties that tail.
   */
  failed(e: unknown, hook: string): WitplugError {
    if (e instanceof WitplugError && abandonedCalls.has(e)) {
      takeStderr(this.wasi);
      this.dropInstance();
      return e;
    }
    const err = withStderrTail(this.sandbox.classify(e, this.name, hook), this.wasi);
    this.dropInstance();
    if (err.code === ErrorCodes.HOST_ERROR || err.code === ErrorCodes.REENTRANCE) {
      return err.hook === undefined ? new WitplugError(err.code, `${hook}: ${err.message}`, { path: err.path, plugin: this.name, hook, cause: err.cause, details: err.details }) : err;
    }
    // A host gap (a function the host does not provide, a linking failure) is not the plugin's
    // fault: the interrupted instance is still replaced, but it does not count towards DISABLED.
    if (err.code === ErrorCodes.UNSUPPORTED || err.code === ErrorCodes.LINK) return err;
    if (this.health.recordTrap()) {
      err.message += ` (plugin ${this.name} is now disabled: ${this.health.disabledReason})`;
    }
    return err;
  }

  closedError(hook: string): WitplugError {
    return new WitplugError(ErrorCodes.CLOSED, `plugin ${this.name} is closed; load it again to call it`, { plugin: this.name, hook });
  }

  refuseIfDisabled(hook: string): void {
    if (this.closed) throw this.closedError(hook);
    const disabled = this.health.disabledReason;
    if (disabled !== null) {
      throw new WitplugError(ErrorCodes.DISABLED, `plugin ${this.name} is disabled (${disabled}); reload it to enable it again`, { plugin: this.name, hook });
    }
  }
}

export function arityError(plugin: string, resolved: ResolvedExport, got: number): WitplugError {
  const params = resolved.type.params;
  return new WitplugError(ErrorCodes.USAGE, `${resolved.target} takes ${params.length} argument(s) (${params.map((p) => p.name).join(', ')}), got ${got}`, { plugin, hook: resolved.target });
}

/** What a generated caller of `resolved` calls back into: refusals, (re)instantiation, limits, and whose fault a failure is. */
export function generatedCallHost(resolved: ResolvedExport, sandbox: Sandbox, guard: CallGuard, instantiate: () => void): CallHost {
  const hook = resolved.target;
  const name = guard.name;
  const limited = sandbox.instrumented;
  return {
    arity: (n) => {
      throw arityError(name, resolved, n);
    },
    prepare: () => {
      guard.refuseIfDisabled(hook);
      instantiate();
    },
    reentered: () => {
      // Not counted against the plugin and the running call is left alone: the host re-entered.
      throw guard.hostCalls.reentered(hook);
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
        if (e instanceof WitplugError && e.code === ErrorCodes.TYPE_MISMATCH) return toPluginError(e, name, hook);
        // Before plugin code runs only the checks read the caller's values: a throwing getter, a
        // symbol coerced to a number or a revoked proxy is the caller's value misbehaving.
        if (!(e instanceof WitplugError)) return toPluginError(unreadableArgument(e), name, hook);
      }
      return guard.failed(e, hook);
    },
  };
}
