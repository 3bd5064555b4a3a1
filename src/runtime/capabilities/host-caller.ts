/**
 * Which plugin a host function is serving, and which host functions are
 * asynchronous. Both are read where host functions are bound (in-process)
 * or served (isolated), never on a plugin call that does not reach the host.
 */
import type { ComponentShape } from '../../component/types.js';
import { hostFunction, worldImports, type HostFunction, type HostImplementations, type PluginEnvironment } from './host-imports.js';
import { versionCounts } from '../../component/versions.js';

/** The plugin a host function is running for (see `currentCaller`). */
export interface HostCaller {
  /** The plugin's name (`name` option, else its file name). */
  readonly name: string;
  /** The `version` of the plugin's own metadata (docs/plugin-metadata.md), or null. */
  readonly version: string | null;
  /** Per-plugin-instance state the host may fill (the `hostContext` option, else a fresh `{}`). */
  readonly context: Record<string, unknown>;
}

/**
 * The caller of the running host function. Host-call wrappers set and
 * restore `active` inline (a property write; a helper call measured ~8 ns
 * per host call).
 */
export const callerSlot: { active: HostCaller | null } = { active: null };

/**
 * The plugin whose call the running host function is serving, or null
 * outside a host function. An async host function reads it before its first
 * `await`: afterwards other plugins' host calls may run.
 */
export function currentCaller(): HostCaller | null {
  return callerSlot.active;
}

/** Runs `f(...args)` with `caller` as the current caller (restored after, also when it throws). */
export function asCaller(caller: HostCaller, f: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  const previous = callerSlot.active;
  callerSlot.active = caller;
  try {
    return f(...args);
  } finally {
    callerSlot.active = previous;
  }
}

const ASYNC_MARK = Symbol.for('witplug.asyncHost');

/**
 * Declares a host function asynchronous: it may return a Promise of its
 * result, which the plugin waits for. Not needed for an `async function`,
 * which is recognised as such; needed for a plain function returning a
 * promise — or returning a value when it has one at once (a cache hit) and a
 * promise otherwise: a value is lowered at once, without suspending the
 * plugin's stack.
 */
export function asyncHost<F extends (...args: never[]) => unknown>(fn: F): F {
  Object.defineProperty(fn, ASYNC_MARK, { value: true });
  return fn;
}

/** Whether a host function was declared asynchronous (an `async function`, or marked with `asyncHost`). */
export function isAsyncHost(fn: unknown): boolean {
  if (typeof fn !== 'function') return false;
  return (fn as unknown as Record<symbol, unknown>)[ASYNC_MARK] === true || fn.constructor?.name === 'AsyncFunction';
}

/** `interface#function` of every function the plugin imports whose host implementation is asynchronous. */
export function asyncImports(shape: ComponentShape, host: HostImplementations): string[] {
  const env: PluginEnvironment = { name: '', config: new Map(), log: () => {}, host, versionCounts: versionCounts(shape) };
  const found: string[] = [];
  const root = worldImports(shape);
  const ifaces = shape.imports.flatMap((item) => (item.kind === 'interface' ? [item.iface] : []));
  for (const iface of root ? [root, ...ifaces] : ifaces) {
    for (const funcName of iface.funcs.keys()) {
      const impl: HostFunction | null = hostFunction(env, iface, funcName, null);
      if (isAsyncHost(impl)) found.push(`${iface.name}#${funcName}`);
    }
  }
  return found;
}

/** Whether this runtime has JS promise integration (`WebAssembly.Suspending` and `WebAssembly.promising`). */
export function hasJspi(): boolean {
  const wasm = WebAssembly as unknown as Record<string, unknown>;
  return typeof wasm['Suspending'] === 'function' && typeof wasm['promising'] === 'function';
}
