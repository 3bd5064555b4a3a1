/**
 * What the instrumenter is asked for and what it answers: its options, the
 * names it adds to a module (the `__witplug` import module, the exported or
 * imported globals) and the result it returns. The runtime reads the names to
 * link an instrumented module; src/compile/instrument.ts does the rewriting.
 */
import { WitplugError } from '../errors.js';

export const WITPLUG_HOST_MODULE = '__witplug';
export const CHECK_IMPORT = 'check';
export const FUEL_GLOBAL_EXPORT = '__witplug_fuel';
export const DEADLINE_GLOBAL_EXPORT = '__witplug_deadline_countdown';
export const GROW_FAILED_GLOBAL_EXPORT = '__witplug_grow_failed';
/** Import field names (module WITPLUG_HOST_MODULE) of the globals when `importGlobals` is set. */
export const GLOBAL_IMPORTS = Object.freeze({ fuel: 'fuel', deadline: 'deadline_countdown', growFailed: 'grow_failed' });
/** Fuel the module starts with, so a start function can run (bounded) before the host sets a budget. */
export const DEFAULT_INITIAL_FUEL = 1_000_000_000;

export interface InstrumentOptions {
  /** Meter function entries and loop headers against `__witplug_fuel`. */
  fuel: boolean;
  /** Fuel units between calls to `__witplug.check` (enables the deadline countdown and the import). */
  deadlineCheckEvery?: number;
  /**
   * With fuel + deadlineCheckEvery: meter ONE counter (the fuel global) and call
   * `__witplug.check` instead of trapping when it drops below zero. The host hands
   * the budget out in slices of at most deadlineCheckEvery and, in `check`, charges
   * the slice, throws on fuel exhaustion or a passed deadline, else sets the next
   * slice. Halves the metering cost of fuel + deadline; no countdown global.
   */
  singleCounter?: boolean;
  /** Cap for every memory's maximum, in 64 KiB pages. */
  maxMemoryPages?: number;
  /** Cap for every table's maximum, in elements. */
  maxTableElements?: number;
  /**
   * With maxTableElements: a table whose initial size is over the cap keeps
   * its initial size as its maximum instead of being refused (for a default
   * cap the user did not ask for).
   */
  tableCapAtLeastInitial?: boolean;
  /** Initial value of `__witplug_fuel` (default DEFAULT_INITIAL_FUEL; ignored with importGlobals). */
  initialFuel?: number;
  /**
   * Import the fuel / countdown / grow-failed globals from `__witplug` (fields in
   * GLOBAL_IMPORTS) instead of defining and exporting them, so all core
   * instances of one component can share one budget. Every existing global
   * index shifts (global.get/set, init exprs, segment offsets, exports, names
   * are rewritten). The host passes `new WebAssembly.Global({value:'i64', mutable:true}, n)`.
   */
  importGlobals?: boolean;
}

export interface InstrumentResult {
  bytes: Uint8Array;
  /** Export name of the mutable i64 fuel global (present when options.fuel). */
  fuelGlobalExport: string;
  /** Import module name of the host functions (`check`). */
  hostModule: string;
  /** Import field name of `() -> ()` called when the countdown runs out (present when deadline is on). */
  checkImport: string;
  /** Export name of the mutable i64 deadline countdown (present when deadline is on, unless singleCounter). */
  deadlineGlobalExport: string;
  /** Export name of the mutable i32 flag set when a memory.grow returned -1 (always present). */
  growFailedGlobalExport: string;
  features: { fuel: boolean; deadline: boolean; importedGlobals: boolean; singleCounter: boolean };
  stats: { functions: number; loops: number; memoryGrows: number; tableGrows: number; bulkOps: number };
}

export function usage(msg: string): never {
  throw new WitplugError('USAGE', msg);
}

export function checkOptions(o: InstrumentOptions): void {
  if (o.deadlineCheckEvery !== undefined && (!Number.isSafeInteger(o.deadlineCheckEvery) || o.deadlineCheckEvery <= 0)) {
    usage(`deadlineCheckEvery must be a positive integer, got ${String(o.deadlineCheckEvery)}`);
  }
  if (o.maxMemoryPages !== undefined && (!Number.isSafeInteger(o.maxMemoryPages) || o.maxMemoryPages < 0)) {
    usage(`maxMemoryPages must be a non-negative integer, got ${String(o.maxMemoryPages)}`);
  }
  if (o.maxTableElements !== undefined && (!Number.isSafeInteger(o.maxTableElements) || o.maxTableElements < 0)) {
    usage(`maxTableElements must be a non-negative integer, got ${String(o.maxTableElements)}`);
  }
  if (o.initialFuel !== undefined && !Number.isSafeInteger(o.initialFuel)) {
    usage(`initialFuel must be an integer, got ${String(o.initialFuel)}`);
  }
}
