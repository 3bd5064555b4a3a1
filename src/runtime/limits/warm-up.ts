/**
 * Warming a plugin up at load, so its first real call is not the slow one.
 *
 * The first call into a large core module is slow for reasons that have
 * nothing to do with the call: V8 compiles each wasm function lazily on its
 * first call (Liftoff), then re-compiles the hot ones in the background
 * (TurboFan), and a language runtime settles its own lazy start-up on first
 * use (StarlingMonkey compiles the plugin's JavaScript functions to bytecode
 * when they first run). Measured on the JavaScript gateway guest (12 MB):
 * the first call of a fresh process took 47–80 ms, the next ones 0.1–5 ms;
 * the first call of a second instance in the same process 1–6 ms, so almost
 * all of it is per process and per compiled module, not per instance.
 *
 * So witplug runs every exported function once on a throwaway instance of the
 * same compiled modules, with arguments of the zero value of each type
 * (`zeroArguments`), before the plugin is handed out. The throwaway instance
 * has its own sandbox and health (nothing is charged to the plugin: no
 * deadline, fuel or DISABLED count) and no effect outside itself: the host's
 * own functions are not linked (a call reaching one fails, which ends that
 * warm-up call), `witplug:host/log` goes nowhere, its WASI has no directories
 * and no environment, and its stdout and stderr are not passed on. What the
 * warm-up calls return or throw is ignored. Each call has at most
 * WARM_UP_CALL_MS and all of them WARM_UP_TOTAL_MS; then the instance is
 * closed.
 */
import type { FuncType, ValType } from '../../component/types.js';
import { lowerCamel } from '../../component/names.js';
import { assertNever } from '../../util/assert-never.js';
import type { ResolvedLimits } from './resolve-limits.js';

/** Deadline of one warm-up call. */
export const WARM_UP_CALL_MS = 500;
/** Time all warm-up calls of one plugin may take together. */
export const WARM_UP_TOTAL_MS = 2_000;
/**
 * Times each export runs. One call pays V8's lazy compilation; the next ones
 * make the hot functions (a JavaScript engine's interpreter loop) reach V8's
 * optimizing tier. Measured on the JavaScript gateway guest: the first call
 * of the next instance took 46 ms after one warm-up call, 9 ms after three,
 * 1.3 ms after ten (of the same export; three exports × three rounds here).
 */
export const WARM_UP_ROUNDS = 3;
/**
 * Plugins whose core modules are smaller are not warmed up: their first call
 * compiles little (a WAT or C plugin of a few KB: well under a millisecond).
 */
export const WARM_UP_MIN_CODE_BYTES = 1 << 20;

const NO_VALUE: unique symbol = Symbol('no zero value');

/** The zero value of a type in witplug's JS values, or NO_VALUE for handles, futures and streams. */
function zeroValue(t: ValType): unknown {
  switch (t.kind) {
    case 'bool':
      return false;
    case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'f32': case 'f64':
      return 0;
    case 's64': case 'u64':
      return 0n;
    case 'char':
      return ' ';
    case 'string':
      return '';
    case 'list': {
      if (t.length === undefined) return [];
      const element = zeroValue(t.element);
      return element === NO_VALUE ? NO_VALUE : Array.from({ length: t.length }, () => element);
    }
    case 'option':
      return null;
    case 'result': {
      if (t.ok === null) return { tag: 'ok' };
      const val = zeroValue(t.ok);
      return val === NO_VALUE ? NO_VALUE : { tag: 'ok', val };
    }
    case 'enum':
      return t.names[0] ?? NO_VALUE;
    case 'flags':
      return Object.fromEntries(t.names.map((n) => [lowerCamel(n), false]));
    case 'variant': {
      const first = t.cases[0];
      if (first === undefined) return NO_VALUE;
      if (first.type === null) return { tag: first.name };
      const val = zeroValue(first.type);
      return val === NO_VALUE ? NO_VALUE : { tag: first.name, val };
    }
    case 'tuple': {
      const items = t.types.map(zeroValue);
      return items.includes(NO_VALUE) ? NO_VALUE : items;
    }
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const f of t.fields) {
        const v = zeroValue(f.type);
        if (v === NO_VALUE) return NO_VALUE;
        out[lowerCamel(f.name)] = v;
      }
      return out;
    }
    case 'own': case 'borrow': case 'future': case 'stream': case 'error-context':
      return NO_VALUE;
    default: return assertNever(t, 'kind');
  }
}

/** Zero arguments for a function, or null when one of its parameters has no zero value (a handle…). */
export function zeroArguments(func: FuncType): unknown[] | null {
  if (func.async === true) return null;
  const args = func.params.map((p) => zeroValue(p.type));
  return args.includes(NO_VALUE) ? null : args;
}

/** One call of a warm-up. */
export interface WarmUpCall {
  readonly target: string;
  readonly args: readonly unknown[];
}

/** The calls a warm-up makes of these exported functions (resource functions and async ones are left out). */
export function warmUpCalls(exported: readonly { readonly func: string; readonly type: FuncType; readonly target: string }[]): WarmUpCall[] {
  const calls: WarmUpCall[] = [];
  for (const f of exported) {
    if (f.func.startsWith('[')) continue;
    const args = zeroArguments(f.type);
    if (args !== null) calls.push({ target: f.target, args });
  }
  return calls;
}

/**
 * Runs the warm-up calls on `call` (a throwaway instance's `call`),
 * WARM_UP_ROUNDS times, until all ran or `totalMs` is spent; failures are
 * expected and ignored (a call that failed is not repeated). Returns how
 * many calls ran.
 */
export function runWarmUp(call: (target: string, args: readonly unknown[]) => unknown, planned: readonly WarmUpCall[], totalMs = WARM_UP_TOTAL_MS): number {
  const end = performance.now() + totalMs;
  let calls = planned;
  let ran = 0;
  for (let round = 0; round < WARM_UP_ROUNDS && calls.length > 0; round++) {
    const succeeded: WarmUpCall[] = [];
    for (const c of calls) {
      if (performance.now() > end) return ran;
      ran++;
      try {
        call(c.target, c.args);
        succeeded.push(c);
      } catch {
        // A warm-up call may fail (a host function that is not linked, a zero argument the plugin
        // refuses): it still warmed what it ran, but is not repeated (a failure replaces the instance).
      }
    }
    calls = succeeded;
  }
  return ran;
}

/**
 * The limits of the throwaway warm-up instance: the plugin's, without its
 * fuel budget and with WARM_UP_CALL_MS as the deadline (the same compiled,
 * instrumented modules). Null when the plugin's code is not metered (no
 * deadline and no fuel): nothing could stop a warm-up call, so there is none.
 */
export function warmUpLimits(limits: ResolvedLimits): ResolvedLimits | null {
  if (limits.fuel === undefined && limits.timeoutMs === undefined) return null;
  return { ...limits, fuel: undefined, timeoutMs: WARM_UP_CALL_MS };
}

/** Whether core modules of this total size are worth warming up. */
export function worthWarming(coreModules: ReadonlyMap<string, Uint8Array>): boolean {
  let bytes = 0;
  for (const m of coreModules.values()) bytes += m.byteLength;
  return bytes >= WARM_UP_MIN_CODE_BYTES;
}
