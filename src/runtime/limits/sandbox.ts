/**
 * Per-plugin limits, in-process: fuel, wall-clock deadline, memory cap and
 * output cap.
 *
 * Every core module is instrumented once, at compile time, and the result is
 * cached with the artifact (the instrumentation settings are the cache
 * variant; budgets are not, so one artifact serves every budget). All core
 * instances of one component import the same `__witplug.fuel` and
 * `__witplug.grow_failed` globals, so one budget covers the main module and
 * jco's shim modules alike.
 *
 * Fuel and deadline share ONE counter (the instrumenter's `singleCounter`
 * mode): the host hands the budget out in slices (SliceSizer); when
 * a slice runs out the module calls `__witplug.check`, which charges the
 * slice, throws FUEL_EXHAUSTED / TIMEOUT, or hands out the next slice. Fuel
 * used is the sum of decrements, so it doesn't depend on slicing or timing:
 * the same call reports the same fuel in every run.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { GLOBAL_IMPORTS, WITPLUG_HOST_MODULE, CHECK_IMPORT } from '../../compile/instrument-options.js';
import { toPluginError } from '../abi/traps.js';
import { GROW_FAILED_MEMORY, GROW_FAILED_TABLE } from '../../compile/wasm/metering.js';
import { createSandboxControl } from './sandbox-control.js';
import { SliceSizer } from './slice-size.js';

import { DEFAULT_MAX_TABLE_ELEMENTS, PAGE, SLICE, needsInstrumentation, type ResolvedLimits } from './resolve-limits.js';
import { OUTPUT_CAP_SLOT, OUTPUT_LIMIT_MARK } from './glue-hardening.js';

function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/**
 * Total size of a lifted value, as the generated path charges it: strings in
 * UTF-8 bytes, typed arrays in bytes, one per element of other arrays.
 * Stops counting once past `cap` (the caller only needs to know that).
 */
function outputBytes(value: unknown, cap: number, depth = 0): number {
  if (depth > 64) return 0;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (ArrayBuffer.isView(value)) return value.byteLength;
  let n = 0;
  if (Array.isArray(value)) {
    n = value.length;
    for (let i = 0; i < value.length && n <= cap; i++) n += outputBytes(value[i], cap - n, depth + 1);
    return n;
  }
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) {
      n += outputBytes(v, cap - n, depth + 1);
      if (n > cap) break;
    }
  }
  return n;
}

/**
 * The runtime half of the limits of one plugin: the shared globals and the
 * `check` import, budget bookkeeping around each call, and the mapping of
 * whatever a call threw to a stable code.
 */
export class Sandbox {
  readonly limits: ResolvedLimits;
  readonly instrumented: boolean;
  readonly #metered: boolean;
  readonly #fuel: WebAssembly.Global | null;
  readonly #growFailed: WebAssembly.Global | null;
  /** Arms fuel slice and grow flag with one wasm call (src/runtime/limits/sandbox-control.ts); null when not instrumented. */
  readonly #arm: ((slice: bigint) => void) | null;
  readonly #hostModule: Record<string, unknown>;
  /** Fuel charged by finished slices of the current call. */
  #used = 0;
  /** Size of the slice currently in the global. */
  #slice = 0;
  readonly #sizer = new SliceSizer();
  /** performance.now() at the current call's last check (or its clock start); -1 before the first. */
  #lastCheckAt = -1;
  #deadline = Infinity;
  /**
   * The deadline's clock starts at the first check point of a call (a fuel
   * slice running out, or a host call), not in begin(): reading the clock
   * costs ~45 ns here, more than a whole short hook call, and such calls end
   * before any check point. The start is late by at most the guest work
   * before that point — under one slice (~12 µs of fib-like code).
   */
  #deadlinePending = false;
  /**
   * Entries armed and not yet disarmed. Only the outermost begin() arms and
   * only its end() disarms: a nested entry (which the Plugin refuses before
   * it gets here, see REENTRANCE) can never reset or switch off the running
   * call's budget and deadline.
   */
  #depth = 0;
  /** Output cap armed by an outer call (a host function may call another plugin). */
  #outerCap: unknown;
  #lastFuel: number | undefined;
  /** The last call ended and its fuel has not been read from the counter yet. */
  #fuelUnread = false;
  /** Whether begin() set the global output-cap slot (end() restores it). */
  #capSet = false;

  constructor(limits: ResolvedLimits) {
    this.limits = limits;
    this.instrumented = needsInstrumentation(limits);
    this.#metered = limits.fuel !== undefined || limits.timeoutMs !== undefined;
    const control = this.instrumented ? createSandboxControl() : null;
    this.#fuel = this.#metered ? control!.fuel : null;
    this.#growFailed = control?.growFailed ?? null;
    this.#arm = control?.arm ?? null;
    this.#hostModule = {
      ...(this.#fuel ? { [GLOBAL_IMPORTS.fuel]: this.#fuel, [CHECK_IMPORT]: () => this.#check() } : {}),
      ...(this.#growFailed ? { [GLOBAL_IMPORTS.growFailed]: this.#growFailed } : {}),
    };
  }

  /** Adds the `__witplug` import module to a core instance's imports. */
  readonly coreHook = (_module: WebAssembly.Module, imports: WebAssembly.Imports | undefined): WebAssembly.Imports | undefined => {
    if (!this.instrumented) return imports;
    return { ...(imports ?? {}), [WITPLUG_HOST_MODULE]: this.#hostModule as WebAssembly.ModuleImports };
  };

  /**
   * Arms the budget, the deadline, the grow flag and (for jco's glue) the
   * output cap for one call or an instantiation. `glueCap: false` skips the
   * global output-cap slot: the generated call path enforces the cap itself.
   */
  begin(glueCap = true): void {
    if (this.#depth++ !== 0) return;
    this.#fuelUnread = false;
    this.#used = 0;
    this.#deadline = Infinity;
    this.#lastCheckAt = -1;
    this.#deadlinePending = this.limits.timeoutMs !== undefined;
    // A plugin whose slices grew runs long calls: one clock read here is nothing to them, and
    // the deadline must not start a whole large slice late.
    if (this.#deadlinePending && this.#sizer.grown) {
      this.#lastCheckAt = performance.now();
      this.#pastDeadline(this.#lastCheckAt);
    }
    if (this.#arm) this.#arm(this.#fuel ? this.#nextSlice() : 0n);
    this.#capSet = glueCap;
    if (glueCap) {
      const slots = globalThis as Record<string, unknown>;
      this.#outerCap = slots[OUTPUT_CAP_SLOT];
      slots[OUTPUT_CAP_SLOT] = this.limits.maxOutputBytes;
    }
  }

  /**
   * Disarms. The fuel used is read from the counter only when someone asks
   * (`lastFuel`): converting the i64 counter costs ~30 ns, more than a short
   * call. The counter is left as it is; the next begin() refills it.
   */
  end(): void {
    if (this.#depth === 0 || --this.#depth !== 0) return;
    if (this.#capSet) (globalThis as Record<string, unknown>)[OUTPUT_CAP_SLOT] = this.#outerCap;
    this.#fuelUnread = this.#fuel !== null;
  }

  /** Fuel used by the last call (or instantiation); undefined when fuel is not metered. */
  get lastFuel(): number | undefined {
    if (!this.#fuel) return undefined;
    if (this.#fuelUnread) {
      this.#fuelUnread = false;
      this.#used += this.#slice - Number(this.#fuel.value as bigint);
      this.#slice = 0;
      this.#fuel.value = 0n;
      this.#lastFuel = this.limits.fuel !== undefined ? Math.min(this.#used, this.limits.fuel + 1) : this.#used;
    }
    return this.#lastFuel;
  }

  /** The next slice of the budget (recorded as the current one), for the fuel counter. */
  #nextSlice(): bigint {
    const left = this.limits.fuel !== undefined ? this.limits.fuel - this.#used : Infinity;
    const size = this.#sizer.size;
    if (left >= size) {
      this.#slice = size;
      return this.#sizer.sizeBig; // the common case, without a BigInt allocation
    }
    this.#slice = Math.max(0, left);
    return BigInt(this.#slice);
  }

  /** Refills the counter mid-call (the grow flag stays as the running call left it). */
  #refill(): void {
    this.#fuel!.value = this.#nextSlice();
  }

  /** Called by instrumented code when the current slice drops below zero. */
  #check(): void {
    const fuel = this.#fuel!;
    if (this.#depth === 0) {
      // Not inside a guarded call: settle the last call's figure, then give a slice so nothing traps spuriously.
      void this.lastFuel;
      this.#slice = SLICE;
      fuel.value = BigInt(SLICE);
      return;
    }
    const full = this.#slice === this.#sizer.size;
    this.#used += this.#slice - Number(fuel.value as bigint);
    this.#slice = 0;
    fuel.value = 0n;
    if (this.limits.fuel !== undefined && this.#used > this.limits.fuel) {
      throw new WitplugError(ErrorCodes.FUEL_EXHAUSTED, `plugin ran out of fuel (budget ${this.limits.fuel})`);
    }
    const now = performance.now();
    if (full && this.#lastCheckAt >= 0) this.#sizer.observe(now - this.#lastCheckAt);
    this.#lastCheckAt = now;
    if (this.limits.timeoutMs !== undefined && this.#pastDeadline(now)) {
      throw new WitplugError(ErrorCodes.TIMEOUT, `plugin exceeded its ${this.limits.timeoutMs} ms deadline`);
    }
    this.#refill();
  }

  /**
   * Checks the deadline on every host-function call as well: a loop that
   * mostly waits on the host burns little fuel per iteration, so slices alone
   * would check the clock too rarely. Resource classes (WASI descriptors…)
   * are left untouched (jco checks them with instanceof).
   */
  guardHostImports(imports: Record<string, unknown>): Record<string, unknown> {
    if (this.limits.timeoutMs === undefined) return imports;
    const wrapped = new Map<object, Record<string, unknown>>();
    const out: Record<string, unknown> = { ...imports };
    for (const [key, table] of Object.entries(imports)) {
      if (table === null || typeof table !== 'object') continue;
      let w = wrapped.get(table);
      if (!w) {
        w = {};
        for (const [name, f] of Object.entries(table as Record<string, unknown>)) {
          w[name] = typeof f === 'function' && !isClass(f) ? this.guardHostFunction(f as (...a: unknown[]) => unknown) : f;
        }
        wrapped.set(table, w);
      }
      out[key] = w;
    }
    return out;
  }

  /** Whether the current call is past its deadline; the first check of a call starts the clock. */
  #pastDeadline(now: number): boolean {
    if (this.#deadlinePending) {
      this.#deadlinePending = false;
      this.#deadline = now + this.limits.timeoutMs!;
      return false;
    }
    return now > this.#deadline;
  }

  /** One host function with the deadline check of `guardHostImports` (unchanged when there is no deadline). */
  guardHostFunction<F extends (...a: never[]) => unknown>(f: F): F {
    if (this.limits.timeoutMs === undefined) return f;
    return ((...args: never[]) => {
      if (this.#depth !== 0 && this.#pastDeadline(performance.now())) {
        throw new WitplugError(ErrorCodes.TIMEOUT, `plugin exceeded its ${this.limits.timeoutMs} ms deadline (noticed at a host call)`);
      }
      return f(...args);
    }) as F;
  }

  /** Refuses a lifted value over the output limit in total (the jco path checks after lifting; its strings are charged before). */
  checkOutput(value: unknown, plugin: string, hook: string): void {
    const cap = this.limits.maxOutputBytes;
    if (cap === undefined) return;
    const n = outputBytes(value, cap);
    if (n > cap) {
      throw new WitplugError(ErrorCodes.OUTPUT_LIMIT, `plugin ${plugin} returned more than ${cap} bytes from ${hook}, over the output limit of ${cap} bytes per call`, { plugin, hook });
    }
  }

  /** Maps what a call threw to a WitplugError with the right code. */
  classify(e: unknown, plugin: string, hook: string): WitplugError {
    if (e instanceof WitplugError) {
      const err = toPluginError(e, plugin, hook);
      if (err.code === ErrorCodes.FUEL_EXHAUSTED || err.code === ErrorCodes.TIMEOUT) {
        return new WitplugError(err.code, `plugin ${plugin} in ${hook}: ${e.message}`, { plugin, hook, cause: e });
      }
      return err;
    }
    if (e !== null && typeof e === 'object' && (e as Record<symbol, unknown>)[OUTPUT_LIMIT_MARK] === true) {
      return new WitplugError(ErrorCodes.OUTPUT_LIMIT, `plugin ${plugin} in ${hook}: ${(e as Error).message}`, { plugin, hook, cause: e });
    }
    const refused = this.#growFailed?.value as number | undefined;
    if (refused === GROW_FAILED_MEMORY) {
      const cap = this.limits.maxMemoryPages;
      const at = cap === undefined ? 'the 4 GiB maximum' : `the cap of ${cap} pages (${(cap * PAGE) / 1048576} MiB)`;
      return new WitplugError(ErrorCodes.MEMORY_LIMIT, `plugin ${plugin} trapped in ${hook} after memory.grow was refused at ${at}`, { plugin, hook, cause: e });
    }
    if (refused === GROW_FAILED_TABLE) {
      const cap = this.limits.maxTableElements ?? DEFAULT_MAX_TABLE_ELEMENTS;
      return new WitplugError(ErrorCodes.RESOURCE_LIMIT, `plugin ${plugin} trapped in ${hook} after table.grow was refused at the cap of ${cap} elements (maxTableElements)`, { plugin, hook, cause: e });
    }
    return toPluginError(e, plugin, hook);
  }
}
