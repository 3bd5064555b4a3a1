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
import { appendExports, appendGlobals, appendImports, patchCount } from './instrument-additions.js';
import {
  CHECK_IMPORT, DEADLINE_GLOBAL_EXPORT, FUEL_GLOBAL_EXPORT, GROW_FAILED_GLOBAL_EXPORT, WITPLUG_HOST_MODULE, checkOptions, usage,
  type InstrumentOptions, type InstrumentResult,
} from './instrument-options.js';
import { rewriteMemoryLimits, rewriteTableLimits } from './limit-caps.js';
import { Reader, Writer } from './wasm/bytes.js';
import { rewriteBody, type BodyStats } from './wasm/body.js';
import { NO_SHIFT, rewriteConstExpr, rewriteData, rewriteElements, rewriteNameSection, shiftGlobal, shiftIndex, type IndexShift } from './wasm/index-shift.js';
import { skipValType } from './wasm/instructions.js';
import type { BodyContext } from './wasm/metering.js';
import { readInfo } from './wasm/module-info.js';
import { SectionId, encodeModule, insertSection, splitModule, type OutSection, type RawSection } from './wasm/sections.js';

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
