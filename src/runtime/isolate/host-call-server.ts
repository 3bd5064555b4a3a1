/**
 * The host side of a host function an isolated plugin calls: the worker
 * writes the request and blocks; the host runs the function and writes the
 * outcome back. Whatever happens, the worker gets an answer. An async host
 * function's promise is settled by the host's event loop (only on
 * `callAsync`); the worker keeps waiting meanwhile, bounded by the call's
 * deadline.
 */
import { Channel, State, type CallOutcome } from './channel.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { HostImplementations } from '../capabilities/host-imports.js';
import { asCaller, type HostCaller } from '../capabilities/host-caller.js';
import { isThenable } from '../../util/thenable.js';

/** What a host function gave back: a value to send now, or a promise to settle first. */
type Served = { readonly name: string } & ({ readonly outcome: CallOutcome } | { readonly pending: PromiseLike<unknown> });

/** The settled promise of an async host function did not come within the call's deadline. */
export const UNSETTLED = Symbol('unsettled');

export class HostCallServer {
  constructor(
    private readonly host: HostImplementations,
    private readonly caller: HostCaller,
  ) {}

  /** Serves the request on `channel` when the call cannot wait for promises (`call`): a promise is the host's error. */
  serve(channel: Channel, target: string): void {
    const served = this.#run(channel, target);
    if ('outcome' in served) return this.#answer(channel, served.outcome, served.name, target);
    // Never left pending: the host thread cannot wait for it without blocking the loop that settles it.
    void Promise.resolve(served.pending).catch(() => {});
    this.#answer(channel, {
      ok: false, code: ErrorCodes.HOST_ERROR,
      message: `host function ${served.name} (called by ${target}) returned a promise, which a synchronous call cannot wait for; call the plugin with callAsync (and declare the function async: an async function or asyncHost(fn))`,
    }, served.name, target);
  }

  /**
   * Serves the request on `channel`, awaiting an async function's promise
   * until `deadline` (performance.now() time). Resolves UNSETTLED when it did
   * not settle in time (nothing was answered: the caller stops the worker).
   */
  async serveAsync(channel: Channel, target: string, deadline: number): Promise<typeof UNSETTLED | void> {
    const served = this.#run(channel, target);
    if ('outcome' in served) return this.#answer(channel, served.outcome, served.name, target);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // No deadline (Infinity): the host chose to wait as long as its promise takes.
    const late = new Promise<typeof UNSETTLED>((r) => {
      if (deadline !== Infinity) timer = setTimeout(() => r(UNSETTLED), Math.max(0, deadline - performance.now()));
    });
    let outcome: CallOutcome;
    try {
      const value = await Promise.race([served.pending, late]);
      if (value === UNSETTLED) return UNSETTLED;
      outcome = { ok: true, value };
    } catch (e) {
      outcome = hostFailure(e, served.name, target, 'rejected');
    } finally {
      clearTimeout(timer);
    }
    this.#answer(channel, outcome, served.name, target);
  }

  #run(channel: Channel, target: string): Served {
    const { iface, fn, args } = channel.read() as { iface: string; fn: string; args: unknown[] };
    const name = `${iface}#${fn}`;
    try {
      const impl = this.host[iface]?.[fn] as ((...a: unknown[]) => unknown) | undefined;
      if (!impl) throw new WitplugError(ErrorCodes.UNSUPPORTED, `host function ${name} is not provided`);
      const value = asCaller(this.caller, impl, args);
      if (isThenable(value)) return { pending: value, name };
      return { outcome: { ok: true, value }, name };
    } catch (e) {
      return { outcome: hostFailure(e, name, target, 'threw'), name };
    }
  }

  #answer(channel: Channel, outcome: CallOutcome, name: string, target: string): void {
    try {
      channel.write(State.HOST_DONE, outcome);
    } catch (e) {
      // A value the structured clone can't carry (a function, a class instance with private state…), or too big.
      const why = e instanceof Error ? e.message : String(e);
      channel.write(State.HOST_DONE, { ok: false, code: ErrorCodes.HOST_ERROR, message: `host function ${name} (called by ${target}) returned a value that cannot be sent to the isolated plugin: ${why}` } satisfies CallOutcome);
    }
  }
}

function hostFailure(e: unknown, name: string, target: string, how: 'threw' | 'rejected'): CallOutcome {
  if (e instanceof WitplugError) return { ok: false, code: e.code, message: e.message };
  const why = e instanceof Error ? e.message : String(e);
  return { ok: false, code: ErrorCodes.HOST_ERROR, message: `host function ${name} (called by ${target}) ${how}: ${why}` };
}
