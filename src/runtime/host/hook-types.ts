/**
 * The types of `PluginHost.hook(name)`: what a hook's dispatcher takes and
 * returns, derived from the hook's spec and its target's plugin function.
 * Generated bindings (`witplug types`) build a hook map from these, so a host
 * app calls `host.hook('check')(req)` typed, without casts.
 */
import type { DispatchKind } from './types.js';

/** A plugin function's type as generated bindings spell it. */
export type TargetFunction = (...args: never[]) => unknown;

/** Every hook's dispatcher by hook name: what `PluginHost<H>` knows about its hooks. */
export type HookFunctions = { readonly [hook: string]: TargetFunction };

/**
 * A dispatcher of a host whose hooks are not typed: any arguments. Declared
 * as a method so its parameters compare bivariantly: a host with typed hooks
 * is still a `PluginHost` (a plain function type would refuse `(req: Request) => …`).
 */
export type UntypedDispatcher = { dispatch(...args: unknown[]): unknown }['dispatch'];

/** A host whose hooks are not typed: any name, any arguments. */
export type UntypedHooks = { readonly [hook: string]: UntypedDispatcher };

/**
 * What one dispatch of a hook of kind `S['kind']` yields when each plugin
 * returns `R`: `series`/`parallel` nothing; `collect` every result;
 * `waterfall` the last plugin's; `first` the first non-null one, `null` when
 * none; `bail` the first result that is not the pass value, else the pass
 * value (`null` unless the spec sets `pass`, which should be a value of `R`).
 */
export type DispatchResult<S extends { readonly kind: DispatchKind }, R> =
  S['kind'] extends 'series' | 'parallel' ? undefined
    : S['kind'] extends 'collect' ? R[]
    : S['kind'] extends 'waterfall' ? R
    : S['kind'] extends 'first' ? R | null
    : S['kind'] extends 'bail' ? (S extends { readonly pass: unknown } ? R : R | null)
    : unknown;

/**
 * How a dispatch result reaches the caller. This is the one place where an
 * asynchronous hook (a spec with `async: true`) turns its result into a Promise.
 */
export type Delivered<S, T> = S extends { readonly async: true } ? Promise<T> : T;

/** The function `host.hook(name)` returns for a hook of spec `S` over plugin function `F`. */
export type HookDispatcher<S extends { readonly kind: DispatchKind }, F extends TargetFunction> =
  (...args: Parameters<F>) => Delivered<S, DispatchResult<S, ReturnType<F>>>;
