/**
 * Instruments a core Wasm module so the host can bound what an untrusted
 * plugin does on the same thread (wasmtime's fuel technique, done in bytes):
 *
 * - fuel: a mutable i64 global exported as `__witplug_fuel`. Function entries
 *   and loop headers subtract a static cost (see src/compile/wasm/body.ts for
 *   the cost model) and execute `unreachable` once it drops below zero. No
 *   function import is needed, so no indices move; the host tells fuel
 *   exhaustion from other traps by reading `fuel < 0` after the trap.
 * - deadlines: a second i64 global `__witplug_deadline_countdown` decremented
 *   by the same costs; when it drops below zero the module calls the imported
 *   `__witplug.check: () -> ()`. The host either throws (deadline passed) or
 *   resets the countdown through the exported global (typically to
 *   `deadlineCheckEvery`). Appending that import shifts every defined function
 *   index by one; calls, ref.func, element segments, global initializers,
 *   exports, the start function and the `name` section are all rewritten.
 *   With `singleCounter` (fuel + deadline) there is no countdown: the fuel
 *   global itself calls `check` when it drops below zero and the host slices
 *   the budget (cheapest way to have both).
 * - memory: `maxMemoryPages` caps every memory's maximum (defined and
 *   imported); an initial size above the cap is a MEMORY_LIMIT error. Each
 *   `memory.grow` that returns -1 sets the exported i32 global
 *   `__witplug_grow_failed` to 1, so the host can map a later trap to
 *   MEMORY_LIMIT.
 * - tables: `maxTableElements` caps every table's maximum the same way; a
 *   refused `table.grow` sets the flag to 2 (RESOURCE_LIMIT).
 * - bulk work: memory.fill/copy/init, table.fill/copy/init and successful
 *   memory.grow / table.grow are charged in proportion to their size, and a
 *   grow is followed by a check (cost model in src/compile/wasm/body.ts).
 *
 * Everything else (data, custom sections other than `name`…) is copied
 * byte-for-byte. Same input + options ⇒ identical output bytes.
 */
import { WitplugError } from '../errors.js';
import { Reader, Writer } from './wasm/bytes.js';
import { NO_SHIFT, rewriteBody, rewriteConstExpr, shiftGlobal, shiftIndex, type BodyContext, type BodyStats, type IndexShift } from './wasm/body.js';
import { Ev, skipInstr, skipValType } from './wasm/instructions.js';
import { SectionId, encodeModule, insertSection, splitModule, type OutSection, type RawSection } from './wasm/sections.js';

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

interface FuncType {
  params: number;
  isUnitToUnit: boolean;
}

interface ModuleInfo {
  types: FuncType[];
  /** True if the type section holds anything but plain function types (GC). */
  gcTypes: boolean;
  importedFuncs: number;
  importedGlobals: number;
  definedGlobals: number;
  funcTypeIdx: number[];
  importNames: Array<[string, string]>;
  exportNames: Set<string>;
  /** Per memory index, imports first: 64-bit? */
  memory64: boolean[];
  /** Per table index, imports first: 64-bit? */
  table64: boolean[];
}

function usage(msg: string): never {
  throw new WitplugError('USAGE', msg);
}

function checkOptions(o: InstrumentOptions): void {
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

/** Skips a constant expression up to and including its `end` (no blocks in constant expressions). */
function skipConstExpr(r: Reader): void {
  while (skipInstr(r) !== Ev.END);
}

/** Skips limits, returning whether they describe a 64-bit memory/table. */
function skipLimits(r: Reader): boolean {
  const flags = r.u8();
  if (flags & ~0x07) r.fail(`unsupported limits flags 0x${flags.toString(16)}`);
  r.u64();
  if (flags & 1) r.u64();
  return (flags & 4) !== 0;
}

function readInfo(bytes: Uint8Array, sections: RawSection[]): ModuleInfo {
  const info: ModuleInfo = {
    types: [],
    gcTypes: false,
    importedFuncs: 0,
    importedGlobals: 0,
    definedGlobals: 0,
    funcTypeIdx: [],
    importNames: [],
    exportNames: new Set(),
    memory64: [],
    table64: [],
  };
  for (const s of sections) {
    const r = new Reader(bytes, s.start, s.end);
    switch (s.id) {
      case SectionId.TYPE: {
        const n = r.u32();
        for (let i = 0; i < n && !info.gcTypes; i++) {
          if (r.u8() !== 0x60) {
            info.gcTypes = true;
            break;
          }
          const np = r.u32();
          for (let k = 0; k < np; k++) skipValType(r);
          const nr = r.u32();
          for (let k = 0; k < nr; k++) skipValType(r);
          info.types.push({ params: np, isUnitToUnit: np === 0 && nr === 0 });
        }
        break;
      }
      case SectionId.IMPORT: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const mod = r.name();
          const field = r.name();
          info.importNames.push([mod, field]);
          const kind = r.u8();
          if (kind === 0x00) {
            r.u32();
            info.importedFuncs++;
          } else if (kind === 0x01) {
            skipValType(r);
            info.table64.push(skipLimits(r));
          } else if (kind === 0x02) {
            info.memory64.push(skipLimits(r));
          } else if (kind === 0x03) {
            skipValType(r);
            r.u8();
            info.importedGlobals++;
          } else if (kind === 0x04) {
            r.u8();
            r.u32();
          } else r.fail(`unknown import kind ${kind}`);
        }
        break;
      }
      case SectionId.FUNCTION: {
        const n = r.u32();
        for (let i = 0; i < n; i++) info.funcTypeIdx.push(r.u32());
        break;
      }
      case SectionId.MEMORY: {
        const n = r.u32();
        for (let i = 0; i < n; i++) info.memory64.push(skipLimits(r));
        break;
      }
      case SectionId.TABLE: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const init = r.buf[r.pos] === 0x40; // table with an initializer expression
          if (init) r.skip(2);
          skipValType(r);
          info.table64.push(skipLimits(r));
          if (init) skipConstExpr(r);
        }
        break;
      }
      case SectionId.GLOBAL:
        info.definedGlobals = r.u32();
        break;
      case SectionId.EXPORT: {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          info.exportNames.add(r.name());
          r.u8();
          r.u32();
        }
        break;
      }
      default:
        break;
    }
  }
  return info;
}

/** Copies limits, capping the maximum at `maxPages`. */
function rewriteMemoryLimits(r: Reader, w: Writer, maxPages: number | undefined, what: string): void {
  rewriteLimits(r, w, maxPages, 65536, false, (min, cap) => {
    throw new WitplugError(
      'MEMORY_LIMIT',
      `${what} needs ${min} pages initially but the limit is ${cap} pages`,
      { details: { initialPages: min, maxMemoryPages: cap } },
    );
  });
}

/** Copies table limits, capping the maximum at `options.maxTableElements`. */
function rewriteTableLimits(r: Reader, w: Writer, options: InstrumentOptions, what: string): void {
  rewriteLimits(r, w, options.maxTableElements, 0xffff_ffff, options.tableCapAtLeastInitial === true, (min, cap) => {
    throw new WitplugError(
      'RESOURCE_LIMIT',
      `${what} has ${min} elements initially but the limit is ${cap} elements`,
      { details: { initialElements: min, maxTableElements: cap } },
    );
  });
}

/**
 * Copies limits, capping the maximum at `cap` (at most `max32` for a 32-bit
 * memory/table: a larger maximum would make the module invalid). An initial
 * size over the cap calls `over`, or raises the cap to it with `atLeastInitial`.
 */
function rewriteLimits(r: Reader, w: Writer, cap: number | undefined, max32: number, atLeastInitial: boolean, over: (min: number, cap: number) => never): void {
  const flags = r.u8();
  if (flags & ~0x07) r.fail(`unsupported limits flags 0x${flags.toString(16)}`);
  const min = r.u64();
  const max = flags & 1 ? r.u64() : undefined;
  if (cap === undefined) {
    w.byte(flags);
    w.u64(min);
    if (max !== undefined) w.u64(max);
    return;
  }
  let c = flags & 4 ? cap : Math.min(cap, max32);
  if (min > c) {
    if (!atLeastInitial) over(min, c);
    c = min;
  }
  w.byte(flags | 1);
  w.u64(min);
  w.u64(max === undefined ? c : Math.min(max, c));
}

function exportEntry(w: Writer, name: string, kind: number, idx: number): void {
  w.name(name);
  w.byte(kind);
  w.u32(idx);
}

/** Rewrites the `name` section's index-keyed subsections: 1 functions, 2 locals, 3 labels (by function), 7 globals. */
function rewriteNameSection(bytes: Uint8Array, s: RawSection, shift: IndexShift): Uint8Array {
  const r = new Reader(bytes, s.start, s.end);
  const w = new Writer(s.end - s.start + 64);
  w.name(r.name());
  while (!r.eof()) {
    const id = r.u8();
    const size = r.u32();
    const subEnd = r.pos + size;
    if (subEnd > s.end) r.fail('name subsection overflows');
    if ((id < 1 || id > 3) && id !== 7) {
      w.byte(id);
      w.u32(size);
      w.bytes(bytes, r.pos, subEnd);
      r.pos = subEnd;
      continue;
    }
    const sub = new Writer(size + 16);
    const n = r.u32();
    sub.u32(n);
    for (let i = 0; i < n; i++) {
      const idx = r.u32();
      sub.u32(id === 7 ? shiftGlobal(idx, shift) : shiftIndex(idx, shift.funcFrom));
      if (id === 1 || id === 7) {
        const st = r.pos;
        r.skip(r.u32());
        sub.bytes(bytes, st, r.pos);
      } else {
        const st = r.pos;
        const m = r.u32();
        for (let k = 0; k < m; k++) {
          r.u32();
          r.skip(r.u32());
        }
        sub.bytes(bytes, st, r.pos);
      }
    }
    if (r.pos !== subEnd) r.fail('name subsection size mismatch');
    w.byte(id);
    w.sized(sub);
  }
  return w.finish();
}

function rewriteElements(bytes: Uint8Array, s: RawSection, shift: IndexShift): Uint8Array {
  const r = new Reader(bytes, s.start, s.end);
  const w = new Writer(s.end - s.start + 64);
  const n = r.u32();
  w.u32(n);
  const copyFrom = (st: number): void => w.bytes(bytes, st, r.pos);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    w.u32(flags);
    if (flags > 7) r.fail(`unknown element segment flags ${flags}`);
    if (flags === 2 || flags === 6) w.u32(r.u32()); // table index
    if ((flags & 1) === 0) rewriteConstExpr(r, w, shift); // active: offset
    if (flags & 4) {
      if (flags !== 4) {
        const st = r.pos;
        skipValType(r);
        copyFrom(st);
      }
      const m = r.u32();
      w.u32(m);
      for (let k = 0; k < m; k++) rewriteConstExpr(r, w, shift);
    } else {
      if (flags !== 0) w.byte(r.u8()); // elemkind
      const m = r.u32();
      w.u32(m);
      for (let k = 0; k < m; k++) w.u32(shiftIndex(r.u32(), shift.funcFrom));
    }
  }
  if (!r.eof()) r.fail('trailing bytes in element section');
  return w.finish();
}

/** Data segments only need rewriting for `global.get` in active offsets. */
function rewriteData(bytes: Uint8Array, s: RawSection, shift: IndexShift): Uint8Array {
  const r = new Reader(bytes, s.start, s.end);
  const w = new Writer(s.end - s.start + 64);
  const n = r.u32();
  w.u32(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    w.u32(flags);
    if (flags > 2) r.fail(`unknown data segment flags ${flags}`);
    if (flags === 2) w.u32(r.u32());
    if (flags !== 1) rewriteConstExpr(r, w, shift);
    const st = r.pos;
    r.skip(r.u32());
    w.bytes(bytes, st, r.pos);
  }
  if (!r.eof()) r.fail('trailing bytes in data section');
  return w.finish();
}

export function instrumentCoreModule(bytes: Uint8Array, options: InstrumentOptions): InstrumentResult {
  checkOptions(options);
  const sections = splitModule(bytes);
  const info = readInfo(bytes, sections);
  const reservedExport = [FUEL_GLOBAL_EXPORT, DEADLINE_GLOBAL_EXPORT, GROW_FAILED_GLOBAL_EXPORT].some((e) => info.exportNames.has(e));
  if (info.importNames.some(([m]) => m === WITPLUG_HOST_MODULE) || reservedExport) {
    usage('core module is already instrumented by witplug (or uses its reserved names)');
  }
  const definedFuncs = info.funcTypeIdx.length;
  const codeSection = sections.find((s) => s.id === SectionId.CODE);
  if (info.gcTypes && definedFuncs > 0) {
    throw new WitplugError('UNSUPPORTED', 'core module uses GC / rec-group types; not supported by the instrumenter');
  }

  const fuel = options.fuel;
  const deadline = options.deadlineCheckEvery !== undefined;

  // Defined: appended after all existing globals, nothing shifts. Imported: appended after the
  // existing global imports, so every defined global moves up by the number added.
  const importGlobals = options.importGlobals === true;
  let nextGlobal = importGlobals ? info.importedGlobals : info.importedGlobals + info.definedGlobals;
  const fuelGlobal = fuel ? nextGlobal++ : -1;
  const single = fuel && deadline && options.singleCounter === true;
  const countdown = deadline && !single;
  const deadlineGlobal = countdown ? nextGlobal++ : -1;
  const growFailedGlobal = nextGlobal++;
  const addedGlobals = (fuel ? 1 : 0) + (countdown ? 1 : 0) + 1;

  // The check import is appended after the existing function imports, so every defined function shifts by one.
  let checkType = -1;
  if (deadline) {
    checkType = info.types.findIndex((t) => t.isUnitToUnit);
    if (checkType < 0) {
      if (info.gcTypes) throw new WitplugError('UNSUPPORTED', 'core module uses GC types; cannot add a function type');
      checkType = info.types.length;
    }
  }
  const checkFunc = deadline ? info.importedFuncs : -1;
  const shift: IndexShift = {
    funcFrom: deadline ? info.importedFuncs : -1,
    globalFrom: info.importedGlobals,
    globalBy: importGlobals ? addedGlobals : 0,
  };
  const shifting = shift.funcFrom >= 0 || shift.globalBy !== 0;
  const ctx: BodyContext = {
    // Single counter: the fuel global is metered like a countdown (calls check instead of trapping).
    fuelGlobal: single ? -1 : fuelGlobal,
    deadlineGlobal: single ? fuelGlobal : deadlineGlobal,
    checkFunc,
    growFailedGlobal,
    memory64: info.memory64,
    table64: info.table64,
    shift: shifting ? shift : NO_SHIFT,
  };

  const out: OutSection[] = [];
  const stats: BodyStats = { loops: 0, memoryGrows: 0, tableGrows: 0, bulkOps: 0 };
  const seen = new Set<number>();
  const raw = (s: RawSection): OutSection => ({ id: s.id, raw: bytes.subarray(s.headerStart, s.end) });

  for (const s of sections) {
    seen.add(s.id);
    const r = new Reader(bytes, s.start, s.end);
    switch (s.id) {
      case SectionId.TYPE: {
        if (!deadline || checkType < info.types.length) {
          out.push(raw(s));
          break;
        }
        const w = new Writer(s.end - s.start + 8);
        w.u32(r.u32() + 1);
        w.bytes(bytes, r.pos, s.end);
        w.bytes(Uint8Array.of(0x60, 0x00, 0x00));
        out.push({ id: s.id, content: w.finish() });
        break;
      }
      case SectionId.IMPORT: {
        const w = new Writer(s.end - s.start + 32);
        const n = r.u32();
        w.u32(n + (deadline ? 1 : 0) + (importGlobals ? addedGlobals : 0));
        for (let i = 0; i < n; i++) {
          const st = r.pos;
          const mod = r.name();
          const field = r.name();
          const kind = r.u8();
          if (kind === 0x02) {
            w.bytes(bytes, st, r.pos);
            rewriteMemoryLimits(r, w, options.maxMemoryPages, `imported memory ${mod}.${field}`);
            continue;
          }
          if (kind === 0x01) {
            skipValType(r);
            w.bytes(bytes, st, r.pos);
            rewriteTableLimits(r, w, options, `imported table ${mod}.${field}`);
            continue;
          }
          if (kind === 0x00) r.u32();
          else if (kind === 0x03) {
            skipValType(r);
            r.u8();
          } else {
            r.u8();
            r.u32();
          }
          w.bytes(bytes, st, r.pos);
        }
        appendImports(w, deadline, checkType, importGlobals, fuel, countdown);
        out.push({ id: s.id, content: w.finish() });
        break;
      }
      case SectionId.MEMORY: {
        if (options.maxMemoryPages === undefined) {
          out.push(raw(s));
          break;
        }
        const w = new Writer(s.end - s.start + 16);
        const n = r.u32();
        w.u32(n);
        for (let i = 0; i < n; i++) rewriteMemoryLimits(r, w, options.maxMemoryPages, `memory ${i}`);
        out.push({ id: s.id, content: w.finish() });
        break;
      }
      case SectionId.TABLE: {
        if (options.maxTableElements === undefined && !shifting) {
          out.push(raw(s));
          break;
        }
        const w = new Writer(s.end - s.start + 16);
        const n = r.u32();
        w.u32(n);
        for (let i = 0; i < n; i++) {
          const init = r.buf[r.pos] === 0x40;
          const st = r.pos;
          if (init) r.skip(2);
          skipValType(r);
          w.bytes(bytes, st, r.pos);
          rewriteTableLimits(r, w, options, `table ${i}`);
          if (init) rewriteConstExpr(r, w, shift);
        }
        out.push({ id: s.id, content: w.finish() });
        break;
      }
      case SectionId.GLOBAL: {
        const w = new Writer(s.end - s.start + 64);
        const n = r.u32();
        w.u32(importGlobals ? n : nextGlobal - info.importedGlobals);
        if (!shifting) {
          w.bytes(bytes, r.pos, s.end);
        } else {
          for (let i = 0; i < n; i++) {
            const st = r.pos;
            skipValType(r);
            r.u8();
            w.bytes(bytes, st, r.pos);
            rewriteConstExpr(r, w, shift);
          }
        }
        if (!importGlobals) appendGlobals(w, options, fuel, countdown);
        out.push({ id: s.id, content: w.finish() });
        break;
      }
      case SectionId.EXPORT: {
        const w = new Writer(s.end - s.start + 128);
        const n = r.u32();
        w.u32(n);
        for (let i = 0; i < n; i++) {
          const st = r.pos;
          r.skip(r.u32());
          const kind = r.u8();
          w.bytes(bytes, st, r.pos);
          const idx = r.u32();
          w.u32(kind === 0x00 ? shiftIndex(idx, shift.funcFrom) : kind === 0x03 ? shiftGlobal(idx, shift) : idx);
        }
        const extra = importGlobals ? 0 : appendExports(w, fuel, countdown, fuelGlobal, deadlineGlobal, growFailedGlobal);
        out.push({ id: s.id, content: patchCount(w.finish(), n, n + extra) });
        break;
      }
      case SectionId.START: {
        if (shift.funcFrom < 0) {
          out.push(raw(s));
          break;
        }
        const w = new Writer(8);
        w.u32(shiftIndex(r.u32(), shift.funcFrom));
        out.push({ id: s.id, content: w.finish() });
        break;
      }
      case SectionId.ELEMENT:
        out.push(!shifting ? raw(s) : { id: s.id, content: rewriteElements(bytes, s, shift) });
        break;
      case SectionId.DATA:
        out.push(shift.globalBy === 0 ? raw(s) : { id: s.id, content: rewriteData(bytes, s, shift) });
        break;
      case SectionId.CODE: {
        const n = r.u32();
        if (n !== definedFuncs) r.fail('function and code section counts differ');
        const w = new Writer(Math.ceil((s.end - s.start) * 1.25) + 64);
        w.u32(n);
        for (let i = 0; i < n; i++) {
          const size = r.u32();
          const start = r.pos;
          r.skip(size);
          const t = info.types[info.funcTypeIdx[i] as number];
          if (!t) throw new WitplugError('MALFORMED', `core module: function ${i} has an unknown type index`);
          rewriteBody(bytes, start, r.pos, t.params, ctx, w, stats);
        }
        out.push({ id: s.id, content: w.finish() });
        break;
      }
      case SectionId.CUSTOM: {
        if (shifting && new Reader(bytes, s.start, s.end).name() === 'name') {
          try {
            out.push({ id: 0, content: rewriteNameSection(bytes, s, shift) });
          } catch {
            // A malformed name section is ignored by engines; dropping it is the safe equivalent.
          }
          break;
        }
        out.push(raw(s));
        break;
      }
      default:
        out.push(raw(s));
    }
  }
  if (codeSection === undefined && definedFuncs > 0) throw new WitplugError('MALFORMED', 'core module: function section without code section');

  if (deadline && !seen.has(SectionId.TYPE)) {
    insertSection(out, { id: SectionId.TYPE, content: Uint8Array.of(0x01, 0x60, 0x00, 0x00) });
  }
  if ((deadline || importGlobals) && !seen.has(SectionId.IMPORT)) {
    const w = new Writer(32);
    w.u32((deadline ? 1 : 0) + (importGlobals ? addedGlobals : 0));
    appendImports(w, deadline, checkType, importGlobals, fuel, countdown);
    insertSection(out, { id: SectionId.IMPORT, content: w.finish() });
  }
  if (!importGlobals && !seen.has(SectionId.GLOBAL)) {
    const w = new Writer(64);
    w.u32(nextGlobal - info.importedGlobals);
    appendGlobals(w, options, fuel, countdown);
    insertSection(out, { id: SectionId.GLOBAL, content: w.finish() });
  }
  if (!importGlobals && !seen.has(SectionId.EXPORT)) {
    const w = new Writer(128);
    const extra = appendExports(w, fuel, countdown, fuelGlobal, deadlineGlobal, growFailedGlobal);
    const c = new Writer(w.len + 5);
    c.u32(extra);
    c.bytes(w.finish());
    insertSection(out, { id: SectionId.EXPORT, content: c.finish() });
  }

  return {
    bytes: encodeModule(out, bytes.length + (bytes.length >> 2)),
    fuelGlobalExport: FUEL_GLOBAL_EXPORT,
    hostModule: WITPLUG_HOST_MODULE,
    checkImport: CHECK_IMPORT,
    deadlineGlobalExport: DEADLINE_GLOBAL_EXPORT,
    growFailedGlobalExport: GROW_FAILED_GLOBAL_EXPORT,
    features: { fuel, deadline, importedGlobals: importGlobals, singleCounter: single },
    stats: { functions: definedFuncs, loops: stats.loops, memoryGrows: stats.memoryGrows, tableGrows: stats.tableGrows, bulkOps: stats.bulkOps },
  };
}

function appendImports(w: Writer, deadline: boolean, checkType: number, importGlobals: boolean, fuel: boolean, countdown: boolean): void {
  if (deadline) {
    w.name(WITPLUG_HOST_MODULE);
    w.name(CHECK_IMPORT);
    w.byte(0x00);
    w.u32(checkType);
  }
  if (!importGlobals) return;
  // Same order as the defined variant: fuel, countdown, grow-failed.
  const globalImport = (field: string, valType: number): void => {
    w.name(WITPLUG_HOST_MODULE);
    w.name(field);
    w.byte(0x03);
    w.byte(valType);
    w.byte(0x01);
  };
  if (fuel) globalImport(GLOBAL_IMPORTS.fuel, 0x7e);
  if (countdown) globalImport(GLOBAL_IMPORTS.deadline, 0x7e);
  globalImport(GLOBAL_IMPORTS.growFailed, 0x7f);
}

function appendGlobals(w: Writer, options: InstrumentOptions, fuel: boolean, deadline: boolean): void {
  if (fuel) {
    w.byte(0x7e); // i64
    w.byte(0x01); // mutable
    w.byte(0x42);
    w.s64(options.initialFuel ?? DEFAULT_INITIAL_FUEL);
    w.byte(0x0b);
  }
  if (deadline) {
    w.byte(0x7e);
    w.byte(0x01);
    w.byte(0x42);
    w.s64(options.deadlineCheckEvery ?? 0);
    w.byte(0x0b);
  }
  w.byte(0x7f); // i32 grow-failed flag
  w.byte(0x01);
  w.byte(0x41);
  w.byte(0x00);
  w.byte(0x0b);
}

function appendExports(w: Writer, fuel: boolean, deadline: boolean, fuelGlobal: number, deadlineGlobal: number, growFailedGlobal: number): number {
  let n = 0;
  if (fuel) {
    exportEntry(w, FUEL_GLOBAL_EXPORT, 0x03, fuelGlobal);
    n++;
  }
  if (deadline) {
    exportEntry(w, DEADLINE_GLOBAL_EXPORT, 0x03, deadlineGlobal);
    n++;
  }
  exportEntry(w, GROW_FAILED_GLOBAL_EXPORT, 0x03, growFailedGlobal);
  return n + 1;
}

/** Replaces the leading u32 count `from` of an encoded vector with `to`. */
function patchCount(content: Uint8Array, from: number, to: number): Uint8Array {
  const r = new Reader(content);
  if (r.u32() !== from) r.fail('internal: count mismatch');
  const w = new Writer(content.length + 5);
  w.u32(to);
  w.bytes(content, r.pos);
  return w.finish();
}
