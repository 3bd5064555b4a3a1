/**
 * Per-plugin limits, in-process: fuel, wall-clock deadline, memory cap and
 * output cap (issue 6).
 *
 * Every core module is instrumented once, at compile time, and the result is
 * cached with the artifact (the instrumentation settings are the cache
 * variant; budgets are not, so one artifact serves every budget). All core
 * instances of one component import the same `__witplug.fuel` and
 * `__witplug.grow_failed` globals, so one budget covers the main module and
 * jco's shim modules alike.
 *
 * Fuel and deadline share ONE counter (the instrumenter's `singleCounter`
 * mode): the host hands the budget out in slices of at most SLICE units; when
 * a slice runs out the module calls `__witplug.check`, which charges the
 * slice, throws FUEL_EXHAUSTED / TIMEOUT, or hands out the next slice. Fuel
 * used is the sum of decrements, so it doesn't depend on slicing or timing:
 * the same call reports the same fuel in every run.
 */
import { WitplugError, ErrorCodes } from '../errors.js';
import {
  instrumentCoreModule, GLOBAL_IMPORTS, WITPLUG_HOST_MODULE, CHECK_IMPORT, type InstrumentOptions,
} from '../compile/instrument.js';
import type { CompileOptions } from '../compile/cache.js';
import type { Limits } from './grant.js';
import { toPluginError } from './traps.js';
import { GROW_FAILED_MEMORY, GROW_FAILED_TABLE } from '../compile/wasm/body.js';

/** Fuel units between deadline checks (≈ 0.1 ms of straight-line wasm). */
export const SLICE = 100_000;
const SLICE_BIGINT = BigInt(SLICE);
const PAGE = 65_536;
/**
 * Table cap when the limits don't set maxTableElements (tables are only capped
 * when the plugin is instrumented, like memory). A table that starts larger
 * keeps its initial size as its cap (the JS guest's table has ~7 700 elements).
 */
export const DEFAULT_MAX_TABLE_ELEMENTS = 10_000;

/** Limits after validation; `undefined` = unlimited. */
export interface ResolvedLimits {
  readonly fuel?: number;
  readonly timeoutMs?: number;
  readonly maxMemoryPages?: number;
  readonly maxOutputBytes?: number;
  readonly maxTableElements?: number;
}

export function resolveLimits(limits: Limits | undefined): ResolvedLimits {
  if (!limits) return {};
  const out: { -readonly [K in keyof ResolvedLimits]: ResolvedLimits[K] } = {};
  const positive = (name: string, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
      throw new WitplugError(ErrorCodes.USAGE, `limits.${name} must be a positive number, got ${String(v)}`);
    }
    return v;
  };
  const fuel = positive('fuel', limits.fuel);
  if (fuel !== undefined) out.fuel = Math.floor(fuel);
  const timeoutMs = positive('timeoutMs', limits.timeoutMs);
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  const mb = positive('maxMemoryMb', limits.maxMemoryMb);
  // 16 pages per MiB; a fraction of a page rounds down (the cap is a maximum).
  if (mb !== undefined) out.maxMemoryPages = Math.floor((mb * 1024 * 1024) / PAGE);
  const ob = positive('maxOutputBytes', limits.maxOutputBytes);
  if (ob !== undefined) out.maxOutputBytes = Math.floor(ob);
  const te = positive('maxTableElements', limits.maxTableElements);
  if (te !== undefined) out.maxTableElements = Math.floor(te);
  return out;
}

/** Whether the core modules need rewriting for these limits. */
export function needsInstrumentation(l: ResolvedLimits): boolean {
  return l.fuel !== undefined || l.timeoutMs !== undefined || l.maxMemoryPages !== undefined || l.maxTableElements !== undefined;
}

function instrumentOptions(l: ResolvedLimits): InstrumentOptions {
  const metered = l.fuel !== undefined || l.timeoutMs !== undefined;
  return {
    fuel: metered,
    ...(metered ? { deadlineCheckEvery: SLICE, singleCounter: true } : {}),
    ...(l.maxMemoryPages !== undefined ? { maxMemoryPages: l.maxMemoryPages } : {}),
    maxTableElements: l.maxTableElements ?? DEFAULT_MAX_TABLE_ELEMENTS,
    ...(l.maxTableElements === undefined ? { tableCapAtLeastInitial: true } : {}),
    importGlobals: true,
  };
}

/** Compile options that instrument (and cache) the core modules for these limits. */
export function instrumentedCompileOptions(l: ResolvedLimits): CompileOptions {
  if (!needsInstrumentation(l)) return {};
  const opts = instrumentOptions(l);
  return {
    // v: the instrumentation's own version (v2: bulk/grow charges, table caps), so older artifacts are not reused.
    variant: { instrument: { ...opts, v: 2 } },
    transformCoreModule: (_name, bytes) => instrumentCoreModule(bytes, opts).bytes,
  };
}

/** Marker on errors thrown by the hardened glue's string decoder. */
const OUTPUT_LIMIT_MARK = Symbol.for('witplug.outputLimit');
/** Global slot the hardened glue reads the current output cap from (calls are synchronous). */
const OUTPUT_CAP_SLOT = '__witplugMaxOutputBytes';

/**
 * Makes jco's glue (a) refuse invalid UTF-8 instead of substituting U+FFFD
 * (the canonical ABI says lifting invalid UTF-8 traps) and (b) refuse strings
 * over the output cap *before* decoding (copying) them. Everything else in
 * the glue is untouched; if jco changes the line, the glue is used as is and
 * only the after-the-fact output check applies.
 */
export function hardenGlue(glue: string): string {
  const line = /const TEXT_DECODER_UTF8 = new TextDecoder\(\);/;
  if (!line.test(glue)) return glue;
  return glue.replace(line, `const TEXT_DECODER_UTF8 = (() => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  return {
    decode(bytes) {
      const cap = globalThis.${OUTPUT_CAP_SLOT};
      if (cap !== undefined && bytes !== undefined && bytes.byteLength > cap) {
        const e = new RangeError('string of ' + bytes.byteLength + ' bytes exceeds the output limit of ' + cap + ' bytes');
        e[Symbol.for('witplug.outputLimit')] = true;
        throw e;
      }
      try {
        return fatal.decode(bytes);
      } catch (err) {
        throw new TypeError('invalid UTF-8 in a string lifted from the plugin (' + (err && err.message) + ')');
      }
    },
  };
})();`);
}

function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/** Largest string (UTF-8 bytes) or list (bytes for typed arrays, elements otherwise) in a lifted value. */
function findOversized(value: unknown, cap: number, depth = 0): number | null {
  if (depth > 64) return null;
  if (typeof value === 'string') {
    // Each UTF-16 unit is at most 3 UTF-8 bytes; only measure when it could matter.
    if (value.length * 3 > cap) {
      const n = Buffer.byteLength(value, 'utf8');
      if (n > cap) return n;
    }
    return null;
  }
  if (ArrayBuffer.isView(value)) return value.byteLength > cap ? value.byteLength : null;
  if (Array.isArray(value)) {
    if (value.length > cap) return value.length;
    for (const v of value) {
      const n = findOversized(v, cap, depth + 1);
      if (n !== null) return n;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) {
      const n = findOversized(v, cap, depth + 1);
      if (n !== null) return n;
    }
  }
  return null;
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
  readonly #hostModule: Record<string, unknown>;
  /** Fuel charged by finished slices of the current call. */
  #used = 0;
  /** Size of the slice currently in the global. */
  #slice = 0;
  #deadline = Infinity;
  /**
   * The deadline's clock starts at the first check point of a call (a fuel
   * slice running out, or a host call), not in begin(): reading the clock
   * costs ~45 ns here, more than a whole short hook call, and such calls end
   * before any check point. The start is late by at most the guest work
   * before that point — under one slice (~12 µs of fib-like code).
   */
  #deadlinePending = false;
  #active = false;
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
    this.#fuel = this.#metered ? new WebAssembly.Global({ value: 'i64', mutable: true }, 0n) : null;
    this.#growFailed = this.instrumented ? new WebAssembly.Global({ value: 'i32', mutable: true }, 0) : null;
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
    this.#active = true;
    this.#fuelUnread = false;
    this.#used = 0;
    this.#deadline = Infinity;
    this.#deadlinePending = this.limits.timeoutMs !== undefined;
    if (this.#fuel) this.#refill();
    if (this.#growFailed) this.#growFailed.value = 0;
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
    if (!this.#active) return;
    this.#active = false;
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

  #refill(): void {
    const left = this.limits.fuel !== undefined ? this.limits.fuel - this.#used : Infinity;
    if (left >= SLICE) {
      this.#slice = SLICE;
      this.#fuel!.value = SLICE_BIGINT; // the common case, without a BigInt allocation
      return;
    }
    this.#slice = Math.max(0, left);
    this.#fuel!.value = BigInt(this.#slice);
  }

  /** Called by instrumented code when the current slice drops below zero. */
  #check(): void {
    const fuel = this.#fuel!;
    if (!this.#active) {
      // Not inside a guarded call: settle the last call's figure, then give a slice so nothing traps spuriously.
      void this.lastFuel;
      this.#slice = SLICE;
      fuel.value = BigInt(SLICE);
      return;
    }
    this.#used += this.#slice - Number(fuel.value as bigint);
    this.#slice = 0;
    fuel.value = 0n;
    if (this.limits.fuel !== undefined && this.#used > this.limits.fuel) {
      throw new WitplugError(ErrorCodes.FUEL_EXHAUSTED, `plugin ran out of fuel (budget ${this.limits.fuel})`);
    }
    if (this.#pastDeadline()) {
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
  #pastDeadline(): boolean {
    const now = performance.now();
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
      if (this.#active && this.#pastDeadline()) {
        throw new WitplugError(ErrorCodes.TIMEOUT, `plugin exceeded its ${this.limits.timeoutMs} ms deadline (noticed at a host call)`);
      }
      return f(...args);
    }) as F;
  }

  /** Refuses an oversized lifted value (the jco path checks after lifting; strings are refused before). */
  checkOutput(value: unknown, plugin: string, hook: string): void {
    const cap = this.limits.maxOutputBytes;
    if (cap === undefined) return;
    const n = findOversized(value, cap);
    if (n !== null) {
      throw new WitplugError(ErrorCodes.OUTPUT_LIMIT, `plugin ${plugin} returned a value of ${n} bytes from ${hook}, over the output limit of ${cap} bytes`, { plugin, hook });
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
