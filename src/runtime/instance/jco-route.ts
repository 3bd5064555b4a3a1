/**
 * Calls through jco's generated bindings, with values adapted to witplug's
 * conventions: the route for the few type kinds witplug's generated callers
 * do not handle, and the baseline of `witplug bench`.
 */
import type { ComponentShape } from '../../component/types.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { ContextSlots } from '../abi/context-slots.js';
import type { AbiContext } from '../abi/index.js';
import { fromJco, toJco, sameInBoth, holdsStrings, loneSurrogateAt } from '../abi/jco-values.js';
import { toPluginError } from '../abi/traps.js';
import { lowerCamel, shortInterfaceName } from '../../component/names.js';
import type { Sandbox } from '../limits/sandbox.js';
import { resolveExport, type ResolvedExport } from '../link/exports.js';
import type { CallGuard } from './call-guard.js';
import type { PluginFunction } from './surface.js';

/** What the jco route needs of its instance. */
export interface JcoRoute {
  readonly name: string;
  readonly shape: ComponentShape;
  readonly guard: CallGuard;
  readonly abi: AbiContext;
  readonly sandbox: Sandbox;
  readonly contextSlots: ContextSlots | null;
  /** Why no call can run on this Node (src/runtime/link/call-route.ts), or null. */
  readonly unsupported: string | null;
  /** Bumped whenever the instance is replaced (bound functions then re-bind). */
  generation(): number;
  /** Whether the current instance has jco bindings yet. */
  hasBindings(): boolean;
  /** jco's bindings of the current instance (created, or attached to the direct instance, on first use). */
  bindings(): Record<string, unknown>;
  dropInstance(): void;
  arityError(resolved: ResolvedExport, got: number): WitplugError;
}

/** `target` called through jco's bindings of `route`'s current instance. */
export function jcoCaller(route: JcoRoute, target: string): PluginFunction {
  const resolved = resolveExport(route.shape, target);
  const hook = resolved.target;
  const name = route.name;
  if (route.unsupported !== null) {
    const why = route.unsupported;
    return () => {
      throw new WitplugError(ErrorCodes.UNSUPPORTED, `cannot call ${hook}: plugin ${name} ${why}`, { plugin: name, hook });
    };
  }
  const params = resolved.type.params;
  const result = resolved.type.result;
  const plainArgs = params.every((p) => sameInBoth(p.type));
  const stringParams = params.flatMap((p, i) => (holdsStrings(p.type) ? [i] : []));
  const returnsResult = result?.kind === 'result';
  const plainResult = result === null || (!returnsResult && sameInBoth(result));
  const isErrResult = (e: unknown): boolean =>
    returnsResult && e !== null && typeof e === 'object' && 'payload' in e && !(e instanceof WebAssembly.RuntimeError);
  let generation = -1;
  let bound: (...a: unknown[]) => unknown = () => undefined;
  return (...args: unknown[]) => {
    if (args.length !== params.length) throw route.arityError(resolved, args.length);
    // Before anything that could replace the instance under the running call.
    if (route.abi.busy) throw route.guard.hostCalls.reentered(hook);
    for (const i of stringParams) {
      const at = loneSurrogateAt(params[i]!.type, args[i], `param ${params[i]!.name}`);
      if (at !== null) {
        throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${at}: expected a string of Unicode scalar values (it has a lone surrogate)`, { plugin: name, hook, path: at });
      }
    }
    if (generation !== route.generation() || !route.hasBindings()) {
      bound = bindFn(name, resolved, route.bindings());
      generation = route.generation();
    }
    const jcoArgs = plainArgs ? args : args.map((a, i) => toJco(params[i]!.type, a));
    route.contextSlots?.reset(); // the core instance's context built-ins are witplug's (each call is a new task)
    let value: unknown;
    try {
      value = route.guard.run(hook, () => bound(...jcoArgs), isErrResult);
      route.sandbox.checkOutput(value, name, hook);
    } catch (e) {
      if (isErrResult(e)) {
        // jco reports `err` of a result-returning export as a thrown ComponentError.
        const payload = (e as { payload: unknown }).payload;
        route.sandbox.checkOutput(payload, name, hook);
        const errType = result?.kind === 'result' ? result.err : null;
        return { tag: 'err', val: errType ? fromJco(errType, payload) : undefined };
      }
      route.dropInstance(); // a trapped instance is never called again
      throw toPluginError(e, name, hook);
    }
    if (plainResult) return value;
    if (returnsResult) return result.ok ? { tag: 'ok', val: fromJco(result.ok, value) } : { tag: 'ok' };
    return fromJco(result!, value);
  };
}

function bindFn(plugin: string, resolved: ResolvedExport, bindings: Record<string, unknown>): (...a: unknown[]) => unknown {
  const holder = resolved.iface === null
    ? bindings
    : ((bindings[resolved.iface] ?? bindings[shortInterfaceName(resolved.iface)]) as Record<string, unknown> | undefined);
  const fn = holder?.[lowerCamel(resolved.func)];
  if (typeof fn !== 'function') {
    throw new WitplugError(ErrorCodes.UNSUPPORTED, `cannot call ${resolved.target} (resource methods are not callable yet)`, { plugin, hook: resolved.target });
  }
  return fn as (...a: unknown[]) => unknown;
}
