/**
 * Worker-thread side of isolation mode: loads the plugin, reports READY (or
 * LOAD_FAILED) through the channel, then serves calls until terminated. Host
 * functions the app implements are called back on the host thread through
 * the same channel; logs are posted (to the supervisor, which forwards them).
 * Its waits need no bound of their own: the host bounds every call with a
 * deadline and terminates the worker when it passes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Channel, State, type CallOutcome } from '../isolate/channel.js';
import { loadPlugin, type Plugin } from './load-plugin.js';
import type { HostFunction, HostImplementations } from '../capabilities/host-imports.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { PluginResource } from '../abi/index.js';
import { CompileCache } from '../../compile/cache.js';
import type { IsolatedInit } from '../isolate/options.js';
import type { Limits } from '../capabilities/grant.js';
import { coreUsesWasmGc } from './prepare.js';

const init = workerData as IsolatedInit;
const channel = new Channel(init.sab);

/**
 * Errors of the host-call bridge that are the plugin's doing: arguments it
 * passed to a host function that do not fit the channel. The instance
 * reports whatever a host function throws as HOST_ERROR (with it as the
 * cause); the call loop finds these in the cause chain and reports the
 * plugin's OUTPUT_LIMIT instead: the host never ran.
 */
const pluginsFault = new WeakSet<object>();

function pluginsFaultIn(e: unknown): WitplugError | null {
  for (let x = e, depth = 0; x !== null && typeof x === 'object' && depth < 8; x = (x as { cause?: unknown }).cause, depth++) {
    if (pluginsFault.has(x)) return x as WitplugError;
  }
  return null;
}

function remoteHost(): HostImplementations {
  const host: Record<string, Record<string, HostFunction>> = {};
  for (const [iface, funcs] of Object.entries(init.hostFunctions)) {
    host[iface] = {};
    for (const fn of funcs) {
      host[iface]![fn] = ((...args: unknown[]) => {
        try {
          channel.write(State.HOST_CALL, { iface, fn, args });
        } catch (e) {
          if (!(e instanceof WitplugError && e.code === ErrorCodes.OUTPUT_LIMIT)) throw e;
          const err = new WitplugError(ErrorCodes.OUTPUT_LIMIT, `the arguments plugin ${init.options.name} passed to host function ${iface}#${fn} do not fit the isolation channel (${e.message}); the host function did not run`);
          pluginsFault.add(err);
          throw err;
        }
        channel.waitWhile(State.HOST_CALL);
        const outcome = channel.read() as CallOutcome;
        if (!outcome.ok) throw new WitplugError(outcome.code as WitplugError['code'], outcome.message);
        return outcome.value;
      }) as HostFunction;
    }
  }
  return host;
}

function failure(e: unknown): CallOutcome {
  const err = e instanceof WitplugError ? e : new WitplugError(ErrorCodes.TRAP, String(e));
  return { ok: false, code: err.code, message: err.message, ...(err.stderr === undefined ? {} : { stderr: err.stderr }) };
}

/** Resource handles inside a result (they can't cross to the host thread: their table lives here). */
function resourcesIn(value: unknown, found: PluginResource[] = [], depth = 0): PluginResource[] {
  if (value instanceof PluginResource) found.push(value);
  else if (depth < 64 && value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) resourcesIn(v, found, depth + 1);
  }
  return found;
}

/**
 * The in-process deadline the host passes is a backstop of its own choosing (it enforces the real
 * one): dropped where the plugin's code cannot be metered (Wasm GC), as for a plugin without limits.
 */
function workerLimits(): Limits | undefined {
  const limits = init.options.limits;
  return limits?.timeoutMs !== undefined && coreUsesWasmGc(init.bytes) ? { ...limits, timeoutMs: 0 } : limits;
}

let plugin: Plugin;
try {
  const limits = workerLimits();
  plugin = await loadPlugin(init.bytes, {
    ...init.options,
    ...(limits ? { limits } : {}),
    cache: init.cacheDir === null ? null : new CompileCache(init.cacheDir),
    host: remoteHost(),
    // The host thread counts failures (it also sees timeouts); the worker never disables itself.
    health: { maxTraps: Number.MAX_SAFE_INTEGER },
    log: (level, message, name) => parentPort?.postMessage({ type: 'log', level, message, plugin: name }),
  });
} catch (e) {
  channel.write(State.LOAD_FAILED, failure(e));
  throw e;
}
channel.write(State.READY, null);
// The supervisor counts this start as over: the next queued one may begin.
parentPort?.postMessage({ type: 'loaded' });

for (;;) {
  channel.waitWhile(State.READY);
  channel.waitWhile(State.IDLE);
  channel.waitWhile(State.DONE);
  if (channel.state !== State.CALL) continue;
  const { target, args } = channel.read() as { target: string; args: unknown[] };
  let outcome: CallOutcome;
  try {
    const value = plugin.call(target, args);
    const handles = resourcesIn(value);
    if (handles.length > 0) {
      for (const h of handles) h.drop(); // nobody on the host thread can ever use them
      throw new WitplugError(ErrorCodes.UNSUPPORTED, `${target} returns a resource (${handles[0]!.resource}); resource handles cannot leave an isolated plugin yet — load it without isolate to use resources`);
    }
    outcome = { ok: true, value, ...(plugin.lastFuel !== undefined ? { fuel: plugin.lastFuel } : {}) };
  } catch (e) {
    outcome = { ...failure(pluginsFaultIn(e) ?? e), ...(plugin.lastFuel !== undefined ? { fuel: plugin.lastFuel } : {}) } as CallOutcome;
  }
  try {
    channel.write(State.DONE, outcome);
  } catch (e) {
    channel.write(State.DONE, failure(e));
  }
}
