/**
 * What instrumentation adds to a module: the `__witplug.check` import and, by
 * option, the fuel / countdown / grow-failed globals as imports, or defined
 * and exported.
 */
import { Reader, Writer } from './wasm/bytes.js';
import {
  CHECK_IMPORT, DEADLINE_GLOBAL_EXPORT, DEFAULT_INITIAL_FUEL, FUEL_GLOBAL_EXPORT, GLOBAL_IMPORTS, GROW_FAILED_GLOBAL_EXPORT, WITPLUG_HOST_MODULE,
  type InstrumentOptions,
} from './instrument-options.js';

function exportEntry(w: Writer, name: string, kind: number, idx: number): void {
  w.name(name);
  w.byte(kind);
  w.u32(idx);
}

export function appendImports(w: Writer, deadline: boolean, checkType: number, importGlobals: boolean, fuel: boolean, countdown: boolean): void {
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

export function appendGlobals(w: Writer, options: InstrumentOptions, fuel: boolean, deadline: boolean): void {
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

export function appendExports(w: Writer, fuel: boolean, deadline: boolean, fuelGlobal: number, deadlineGlobal: number, growFailedGlobal: number): number {
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
export function patchCount(content: Uint8Array, from: number, to: number): Uint8Array {
  const r = new Reader(content);
  if (r.u32() !== from) r.fail('internal: count mismatch');
  const w = new Writer(content.length + 5);
  w.u32(to);
  w.bytes(content, r.pos);
  return w.finish();
}
