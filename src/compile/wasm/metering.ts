/**
 * The instructions metering inserts into a function body: a charge against the
 * fuel global or the deadline countdown (trap or call `check` below zero), the
 * grow-failed flag and charge after memory.grow / table.grow, and 32-bit bulk
 * memory operations split into charged pieces. What is charged where (the cost
 * model) is in src/compile/wasm/body.ts.
 */
import { Reader, type Writer } from './bytes.js';
import { Fc } from './instructions.js';
import type { IndexShift } from './index-shift.js';

/** memory.fill/copy/init: 1 fuel unit per 2^3 bytes. */
export const BULK_BYTES_SHIFT = 3;
/** Successful memory.grow: 2^13 units per new page (64 KiB at 1 per 8 bytes)... */
export const GROW_PAGE_SHIFT = 13;
/** ...plus 2^2 units per page the memory had before. */
export const GROW_SIZE_SHIFT = 2;

export interface BodyContext {
  /** Global index of the i64 fuel counter, or -1 when fuel is off. */
  fuelGlobal: number;
  /** Global index of the i64 deadline countdown, or -1 when deadlines are off. */
  deadlineGlobal: number;
  /** Function index of the imported `check` function (only when deadlineGlobal >= 0). */
  checkFunc: number;
  /** Global index of the i32 grow-failed flag (set to 1 by memory.grow, 2 by table.grow); every instrumented module has one. */
  growFailedGlobal: number;
  /** Per memory index (imports first): whether it is a 64-bit memory (i64 addresses and counts). */
  memory64: readonly boolean[];
  /** Per table index (imports first): whether it is a 64-bit table. */
  table64: readonly boolean[];
  shift: IndexShift;
}

/** Values the grow-failed flag takes; the host maps a later trap to MEMORY_LIMIT or RESOURCE_LIMIT. */
export const GROW_FAILED_MEMORY = 1;
export const GROW_FAILED_TABLE = 2;

export function emitMeter(w: Writer, ctx: BodyContext, cost: number, tmp: number): void {
  emitCharge(w, ctx, tmp, false, () => {
    w.byte(0x42); w.s64(cost);
  });
}

/**
 * counter -= cost (an i64 pushed by `pushCost`); fuel: trap below zero;
 * countdown / single counter: call check below zero, or always with `force`.
 * Leaves the stack as it found it.
 */
export function emitCharge(w: Writer, ctx: BodyContext, tmp: number, force: boolean, pushCost: () => void): void {
  if (ctx.fuelGlobal >= 0) {
    // fuel -= cost; if (fuel < 0) unreachable   — the host reads fuel < 0 after the trap.
    // The i64 scratch local saves re-reading the global (measurably cheaper in tight loops).
    w.byte(0x23); w.u32(ctx.fuelGlobal);
    pushCost();
    w.byte(0x7d); // i64.sub
    w.byte(0x22); w.u32(tmp);
    w.byte(0x24); w.u32(ctx.fuelGlobal);
    w.byte(0x20); w.u32(tmp);
    w.byte(0x42); w.byte(0x00);
    w.byte(0x53); // i64.lt_s
    w.byte(0x04); w.byte(0x40);
    w.byte(0x00);
    w.byte(0x0b);
  }
  if (ctx.deadlineGlobal >= 0) {
    // countdown -= cost; if (countdown < 0) __witplug.check()   — the host resets the countdown or throws.
    w.byte(0x23); w.u32(ctx.deadlineGlobal);
    pushCost();
    w.byte(0x7d);
    if (force) {
      w.byte(0x24); w.u32(ctx.deadlineGlobal);
      w.byte(0x10); w.u32(ctx.checkFunc);
      return;
    }
    w.byte(0x22); w.u32(tmp);
    w.byte(0x24); w.u32(ctx.deadlineGlobal);
    w.byte(0x20); w.u32(tmp);
    w.byte(0x42); w.byte(0x00);
    w.byte(0x53);
    w.byte(0x04); w.byte(0x40);
    w.byte(0x10); w.u32(ctx.checkFunc);
    w.byte(0x0b);
  }
}

/** Pushes local `l` as an i64 (zero-extended if it is an i32), shifted left by `shl` (negative: right). */
export function pushScaled(w: Writer, l: number, i64: boolean, shl: number): void {
  w.byte(0x20); w.u32(l);
  if (!i64) w.byte(0xad); // i64.extend_i32_u
  if (shl === 0) return;
  w.byte(0x42); w.byte(Math.abs(shl));
  w.byte(shl > 0 ? 0x86 : 0x88); // i64.shl / i64.shr_u
}

/**
 * After a memory.grow / table.grow whose delta is in local `delta` (when
 * metering): on -1 set the grow-failed flag; on success charge the new and
 * the existing size, then call check (a deadline check after every grow).
 */
export function emitGrowAfter(w: Writer, ctx: BodyContext, table: boolean, i64: boolean, delta: number, res: number, meterLocal: number): void {
  w.byte(0x22); w.u32(res); // local.tee res: stays on the stack as the result
  w.byte(0x20); w.u32(res);
  if (i64) {
    w.byte(0x42); w.byte(0x7f);
    w.byte(0x51); // i64.eq
  } else {
    w.byte(0x41); w.byte(0x7f);
    w.byte(0x46); // i32.eq
  }
  w.byte(0x04); w.byte(0x40);
  w.byte(0x41); w.byte(table ? GROW_FAILED_TABLE : GROW_FAILED_MEMORY);
  w.byte(0x24); w.u32(ctx.growFailedGlobal);
  if (meterLocal >= 0) {
    w.byte(0x05); // else
    emitCharge(w, ctx, meterLocal, true, () => {
      pushScaled(w, delta, i64, table ? 0 : GROW_PAGE_SHIFT);
      pushScaled(w, res, i64, table ? 0 : GROW_SIZE_SHIFT);
      w.byte(0x7c); // i64.add
    });
  }
  w.byte(0x0b);
}

/** Bytes per piece when a memory.fill/copy/init is split (a multiple of 8, so the pieces' charges add up to the whole's). */
export const BULK_CHUNK = 1 << 20;

/**
 * A 32-bit memory.fill/copy/init (operands d, x, n on the stack; x is the
 * value, source or segment offset), split into pieces of BULK_CHUNK bytes,
 * each charged before it runs. One fill of a whole memory takes seconds when
 * its pages are cold; pieces let the deadline stop it within one piece.
 * Bounds are checked first, with the spec's trap (the original instruction
 * runs with the original operands), so a trapping operation writes nothing.
 * Locals: l, l+1, l+2, l+3 = d, x, n, c (i32).
 */
export function emitChunked(
  w: Writer, ctx: BodyContext, buf: Uint8Array, a: number, b: number, sub: number, memDst: number, memSrc: number, l: number, meterLocal: number,
): void {
  const D = l, X = l + 1, N = l + 2, C = l + 3;
  const get = (x: number): void => { w.byte(0x20); w.u32(x); };
  const set = (x: number): void => { w.byte(0x21); w.u32(x); };
  const op = (): void => w.bytes(buf, a, b);
  /** Pushes i64(x) + i64(N) > i64(memory.size m) * 64 KiB. */
  const beyond = (x: number, m: number): void => {
    get(x); w.byte(0xad); get(N); w.byte(0xad); w.byte(0x7c); // i64.add
    w.byte(0x3f); w.u32(m); w.byte(0xad); w.byte(0x42); w.byte(16); w.byte(0x86); // memory.size, i64.shl
    w.byte(0x56); // i64.gt_u
  };
  set(N); set(X); set(D);
  w.byte(0x02); w.byte(0x40); // block $done
  // Fast path, the common case: one piece, charged, then the instruction as it was.
  get(N); w.byte(0x41); w.s64(BULK_CHUNK); w.byte(0x4d); // i32.le_u
  w.byte(0x04); w.byte(0x40);
  emitCharge(w, ctx, meterLocal, false, () => pushScaled(w, N, false, -BULK_BYTES_SHIFT));
  get(D); get(X); get(N); op();
  w.byte(0x0c); w.u32(1); // br $done
  w.byte(0x0b);
  beyond(D, memDst);
  if (sub === Fc.MEMORY_COPY) {
    beyond(X, memSrc);
    w.byte(0x72); // i32.or
  } else if (sub === Fc.MEMORY_INIT) {
    // x + n past 4 GiB is past any segment
    get(X); w.byte(0xad); get(N); w.byte(0xad); w.byte(0x7c);
    w.byte(0x42); w.s64(0xffff_ffff); w.byte(0x56);
    w.byte(0x72);
  }
  w.byte(0x04); w.byte(0x40); // if: out of bounds → the original instruction traps
  get(D); get(X); get(N); op();
  w.byte(0x0c); w.u32(1); // br $done (not reached)
  w.byte(0x0b);
  if (sub === Fc.MEMORY_INIT) {
    // A zero-length init at x + n traps exactly when the segment is too short (or dropped).
    get(D); get(X); get(N); w.byte(0x6a); w.byte(0x41); w.byte(0x00); op();
  }
  const piece = (): void => {
    // c = n > CHUNK ? CHUNK : n; charge c / 8
    w.byte(0x41); w.s64(BULK_CHUNK); get(N); get(N); w.byte(0x41); w.s64(BULK_CHUNK); w.byte(0x4b); w.byte(0x1b); set(C);
    emitCharge(w, ctx, meterLocal, false, () => pushScaled(w, C, false, -BULK_BYTES_SHIFT));
  };
  const backward = sub === Fc.MEMORY_COPY;
  if (backward) {
    // An overlapping copy to a higher address goes from the end (memmove).
    get(D); get(X); w.byte(0x4b); // i32.gt_u
    w.byte(0x04); w.byte(0x40);
    w.byte(0x03); w.byte(0x40);
    piece();
    get(N); get(C); w.byte(0x6b); set(N); // n -= c
    get(D); get(N); w.byte(0x6a); get(X); get(N); w.byte(0x6a); get(C); op();
    get(N); w.byte(0x0d); w.u32(0); // br_if loop
    w.byte(0x0b);
    w.byte(0x0c); w.u32(1); // br $done
    w.byte(0x0b);
  }
  w.byte(0x03); w.byte(0x40); // loop: forward
  piece();
  get(D); get(X); get(C); op();
  get(D); get(C); w.byte(0x6a); set(D);
  if (sub !== Fc.MEMORY_FILL) {
    get(X); get(C); w.byte(0x6a); set(X);
  }
  get(N); get(C); w.byte(0x6b); w.byte(0x22); w.u32(N); // n -= c (tee)
  w.byte(0x0d); w.u32(0);
  w.byte(0x0b);
  w.byte(0x0b); // end $done
}

/** Whether a memory.fill/copy/init (0xFC sub-opcode at `pos`) touches a 64-bit memory. */
export function memory64Involved(buf: Uint8Array, pos: number, end: number, ctx: BodyContext): boolean {
  const r = new Reader(buf, pos, end);
  const sub = r.u32();
  const a = r.u32();
  if (sub === Fc.MEMORY_FILL) return ctx.memory64[a] === true;
  const b = r.u32();
  if (sub === Fc.MEMORY_INIT) return ctx.memory64[b] === true;
  return ctx.memory64[a] === true || ctx.memory64[b] === true;
}

/** Whether the count of the bulk instruction whose 0xFC sub-opcode starts at `pos` is an i64, and whether it counts table elements. */
export function bulkShape(buf: Uint8Array, pos: number, end: number, ctx: BodyContext): { i64: boolean; table: boolean } {
  const r = new Reader(buf, pos, end);
  const sub = r.u32();
  const a = r.u32();
  switch (sub) {
    case Fc.MEMORY_FILL:
      return { i64: ctx.memory64[a] === true, table: false };
    case Fc.MEMORY_COPY:
      // A copy between a 32- and a 64-bit memory takes an i32 count.
      return { i64: ctx.memory64[a] === true && ctx.memory64[r.u32()] === true, table: false };
    case Fc.TABLE_FILL:
      return { i64: ctx.table64[a] === true, table: true };
    case Fc.TABLE_COPY:
      return { i64: ctx.table64[a] === true && ctx.table64[r.u32()] === true, table: true };
    case Fc.TABLE_INIT:
      return { i64: false, table: true };
    default: // memory.init
      return { i64: false, table: false };
  }
}
