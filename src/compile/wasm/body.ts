/**
 * Rewrites one function body: inserts metering at function entry and every
 * loop header, records failed memory.grow calls, and (optionally) shifts
 * function indices in call / return_call / ref.func and global indices in
 * global.get / global.set.
 *
 * Cost model: every instruction belongs to its innermost enclosing *scope*,
 * which is either the function body or a `loop` body (nested blocks/ifs do not
 * open scopes; a `loop` opcode itself belongs to the outer scope, its `end` to
 * the loop). On each entry to a scope (function entry, every loop iteration)
 * the static instruction count of the whole scope is charged at once. Inside a
 * scope control only moves forward (the only backward edges target loop
 * headers, which re-enter a scope), so every instruction executes at most once
 * per charge: fuel used is a deterministic upper bound of the instructions
 * executed, with checks only where wasmtime puts them (entries and loop heads).
 *
 * Instructions whose work depends on an operand (bulk memory and table
 * operations) are charged that operand on top of their unit:
 * memory.fill/copy/init 1 per 8 bytes (what one i64.store per 8 bytes would
 * cost; a loop doing the same work costs more),
 * table.fill/copy/init 1 per element, before they run, so a budget runs out
 * before the work is done; a 32-bit memory.fill/copy/init runs in pieces of
 * BULK_CHUNK bytes, each charged, so one huge operation meets a check too. A
 * successful memory.grow costs 8192 per new page
 * (zero-filling it, same rate) + 4 per page already there, a successful
 * table.grow 1 per new element + 1 per element already there (the engine
 * re-allocates the table); both then call `check` unconditionally, since one
 * grow can take milliseconds on a large memory (docs/decisions.md).
 */
import { Reader, Writer } from './bytes.js';
import { Ev, Fc, skipInstr, skipValType } from './instructions.js';

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

/** How existing indices move because imports were appended. */
export interface IndexShift {
  /** Function indices >= this move up by one (a function import was appended); -1: none. */
  funcFrom: number;
  /** Global indices >= globalFrom move up by globalBy (global imports were appended); globalBy 0: none. */
  globalFrom: number;
  globalBy: number;
}

export const NO_SHIFT: IndexShift = { funcFrom: -1, globalFrom: 0, globalBy: 0 };

export function shiftGlobal(idx: number, s: IndexShift): number {
  return s.globalBy !== 0 && idx >= s.globalFrom ? idx + s.globalBy : idx;
}

export interface BodyStats {
  loops: number;
  memoryGrows: number;
  /** Bulk memory/table operations charged by their operand. */
  bulkOps: number;
  tableGrows: number;
}

const P_LOOP = 0;
const P_FIDX = 1;
const P_GROW = 2;
const P_GIDX = 3;
const P_BULK = 4;
// Flags or-ed into a P_GROW / P_BULK kind.
const F_I64 = 1 << 4;
const F_TABLE = 1 << 5;
/** P_BULK: a 32-bit memory.fill/copy/init split into pieces (emitChunked). */
const F_CHUNK = 1 << 6;

/** Scratch state reused across bodies: the big SpiderMonkey module has ~30k functions. */
class Scratch {
  blocks = new Int32Array(256);
  scopeCost: number[] = [];
  scopeParent: number[] = [];
  patches = new Int32Array(3 * 256);
  nPatches = 0;

  pushPatch(kind: number, a: number, b: number): void {
    const i = this.nPatches * 3;
    if (i + 3 > this.patches.length) {
      const next = new Int32Array(this.patches.length * 2);
      next.set(this.patches);
      this.patches = next;
    }
    this.patches[i] = kind;
    this.patches[i + 1] = a;
    this.patches[i + 2] = b;
    this.nPatches++;
  }
}
const scratch = new Scratch();

export function shiftIndex(idx: number, shiftFrom: number): number {
  return shiftFrom >= 0 && idx >= shiftFrom ? idx + 1 : idx;
}

function emitMeter(w: Writer, ctx: BodyContext, cost: number, tmp: number): void {
  emitCharge(w, ctx, tmp, false, () => {
    w.byte(0x42); w.s64(cost);
  });
}

/**
 * counter -= cost (an i64 pushed by `pushCost`); fuel: trap below zero;
 * countdown / single counter: call check below zero, or always with `force`.
 * Leaves the stack as it found it.
 */
function emitCharge(w: Writer, ctx: BodyContext, tmp: number, force: boolean, pushCost: () => void): void {
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
function pushScaled(w: Writer, l: number, i64: boolean, shl: number): void {
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
function emitGrowAfter(w: Writer, ctx: BodyContext, table: boolean, i64: boolean, delta: number, res: number, meterLocal: number): void {
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
function emitChunked(
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
function memory64Involved(buf: Uint8Array, pos: number, end: number, ctx: BodyContext): boolean {
  const r = new Reader(buf, pos, end);
  const sub = r.u32();
  const a = r.u32();
  if (sub === Fc.MEMORY_FILL) return ctx.memory64[a] === true;
  const b = r.u32();
  if (sub === Fc.MEMORY_INIT) return ctx.memory64[b] === true;
  return ctx.memory64[a] === true || ctx.memory64[b] === true;
}

/** Whether the count of the bulk instruction whose 0xFC sub-opcode starts at `pos` is an i64, and whether it counts table elements. */
function bulkShape(buf: Uint8Array, pos: number, end: number, ctx: BodyContext): { i64: boolean; table: boolean } {
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

/**
 * Reads the body at [start, end) of `buf` (after the size prefix) and appends
 * the rewritten body, size-prefixed, to `out`.
 */
export function rewriteBody(
  buf: Uint8Array,
  start: number,
  end: number,
  paramCount: number,
  ctx: BodyContext,
  out: Writer,
  stats: BodyStats,
): void {
  const s = scratch;
  s.nPatches = 0;
  s.scopeCost.length = 0;
  s.scopeParent.length = 0;
  const r = new Reader(buf, start, end);

  const groupsStart = r.pos;
  const nGroups = r.u32();
  const groupsBodyStart = r.pos;
  let totalLocals = 0;
  for (let g = 0; g < nGroups; g++) {
    totalLocals += r.u32();
    skipValType(r);
  }
  const localsEnd = r.pos;

  // Pass 1: decode, count per-scope cost, record patch points.
  s.scopeCost.push(0);
  s.scopeParent.push(-1);
  let scope = 0;
  let depth = 0;
  const metering = ctx.fuelGlobal >= 0 || ctx.deadlineGlobal >= 0;
  let grows = 0;
  let tableGrows = 0;
  let bulk = 0;
  // Which scratch pairs (count/delta, result) the patches need: i32 and/or i64.
  let need32 = false;
  let need64 = false;
  let chunked = false;
  const shifting = ctx.shift.funcFrom >= 0;
  const shiftingGlobals = ctx.shift.globalBy !== 0;
  for (;;) {
    if (r.pos >= end) r.fail('function body without final end');
    const instrStart = r.pos;
    const ev = skipInstr(r);
    s.scopeCost[scope] = (s.scopeCost[scope] as number) + 1;
    if (ev === Ev.PLAIN) continue;
    if (ev === Ev.GLOBAL) {
      if (shiftingGlobals) s.pushPatch(P_GIDX, instrStart + 1, r.pos);
      continue;
    }
    if (ev === Ev.OPEN || ev === Ev.LOOP) {
      if (depth === s.blocks.length) {
        const next = new Int32Array(s.blocks.length * 2);
        next.set(s.blocks);
        s.blocks = next;
      }
      if (ev === Ev.LOOP) {
        const id = s.scopeCost.length;
        s.scopeCost.push(0);
        s.scopeParent.push(scope);
        scope = id;
        s.blocks[depth++] = id;
        s.pushPatch(P_LOOP, r.pos, id);
      } else {
        s.blocks[depth++] = -1;
      }
    } else if (ev === Ev.END || ev === Ev.DELEGATE) {
      if (depth === 0) {
        if (ev === Ev.DELEGATE) r.fail('delegate outside try');
        break; // end of the function body
      }
      const closed = s.blocks[--depth] as number;
      if (closed >= 0) scope = s.scopeParent[closed] as number;
    } else if (ev === Ev.CALL || ev === Ev.REF_FUNC) {
      if (shifting) s.pushPatch(P_FIDX, instrStart + 1, r.pos);
    } else if (ev === Ev.MEMORY_GROW || ev === Ev.TABLE_GROW) {
      const table = ev === Ev.TABLE_GROW;
      const ir = new Reader(buf, instrStart + 1, r.pos);
      if (table) ir.u32(); // the 0xFC sub-opcode
      const idx = ir.u32();
      const i64 = table ? ctx.table64[idx] === true : ctx.memory64[idx] === true;
      if (i64) need64 = true;
      else need32 = true;
      s.pushPatch(P_GROW | (i64 ? F_I64 : 0) | (table ? F_TABLE : 0), instrStart, r.pos);
      if (table) tableGrows++;
      else grows++;
    } else if (ev === Ev.BULK) {
      if (!metering) continue;
      const shape = bulkShape(buf, instrStart + 1, r.pos, ctx);
      if (shape.i64) need64 = true;
      else need32 = true;
      // 32-bit memory operations are split into pieces; tables are bounded by maxTableElements.
      const chunk = !shape.table && !memory64Involved(buf, instrStart + 1, r.pos, ctx);
      if (chunk) chunked = true;
      s.pushPatch(P_BULK | (shape.i64 ? F_I64 : 0) | (shape.table ? F_TABLE : 0) | (chunk ? F_CHUNK : 0), instrStart, r.pos);
      bulk++;
    }
  }
  if (r.pos !== end) r.fail('trailing bytes after function body end');

  // Pass 2: emit.
  const w = new Writer(end - start + 64 + s.nPatches * 24);
  // New locals go at the end of the local index space, so existing indices stay valid.
  let nextLocal = paramCount + totalLocals;
  const meterLocal = metering ? nextLocal++ : -1;
  // Two scratch locals per width: [count or delta, grow result].
  // Four with chunked bulk operations: [d, x, n, c].
  const s32 = need32 ? nextLocal : -1;
  const n32 = !need32 ? 0 : chunked ? 4 : 2;
  nextLocal += n32;
  const s64 = need64 ? nextLocal : -1;
  const extraGroups = (metering ? 1 : 0) + (need32 ? 1 : 0) + (need64 ? 1 : 0);
  if (extraGroups > 0) {
    w.u32(nGroups + extraGroups);
    w.bytes(buf, groupsBodyStart, localsEnd);
    if (metering) {
      w.byte(0x01);
      w.byte(0x7e);
    }
    if (need32) {
      w.byte(n32);
      w.byte(0x7f);
    }
    if (need64) {
      w.byte(0x02);
      w.byte(0x7e);
    }
  } else {
    w.bytes(buf, groupsStart, localsEnd);
  }
  if (metering) emitMeter(w, ctx, s.scopeCost[0] as number, meterLocal);
  let cursor = localsEnd;
  const p = s.patches;
  for (let i = 0; i < s.nPatches; i++) {
    const kind = p[i * 3] as number;
    const a = p[i * 3 + 1] as number;
    const b = p[i * 3 + 2] as number;
    if (kind === P_LOOP) {
      if (!metering) continue;
      w.bytes(buf, cursor, a);
      emitMeter(w, ctx, s.scopeCost[b] as number, meterLocal);
      cursor = a;
    } else if (kind === P_FIDX) {
      w.bytes(buf, cursor, a);
      const idx = new Reader(buf, a, b).u32();
      w.u32(shiftIndex(idx, ctx.shift.funcFrom));
      cursor = b;
    } else if (kind === P_GIDX) {
      w.bytes(buf, cursor, a);
      w.u32(shiftGlobal(new Reader(buf, a, b).u32(), ctx.shift));
      cursor = b;
    } else {
      const i64 = (kind & F_I64) !== 0;
      const table = (kind & F_TABLE) !== 0;
      const cnt = i64 ? s64 : s32;
      w.bytes(buf, cursor, a);
      if ((kind & F_CHUNK) !== 0) {
        const ir = new Reader(buf, a + 1, b);
        const sub = ir.u32();
        const first = ir.u32();
        const second = sub === Fc.MEMORY_FILL ? first : ir.u32();
        // memory.init's immediates are (segment, memory); copy's (destination, source).
        const dst = sub === Fc.MEMORY_INIT ? second : first;
        emitChunked(w, ctx, buf, a, b, sub, dst, second, s32, meterLocal);
        cursor = b;
        continue;
      }
      if (metering) {
        w.byte(0x22); w.u32(cnt); // local.tee: the count / delta stays on the stack for the instruction
      }
      if ((kind & 0x0f) === P_BULK) {
        emitCharge(w, ctx, meterLocal, false, () => pushScaled(w, cnt, i64, table ? 0 : -BULK_BYTES_SHIFT));
        cursor = a;
      } else {
        w.bytes(buf, a, b); // the grow itself
        emitGrowAfter(w, ctx, table, i64, cnt, cnt + 1, meterLocal);
        cursor = b;
      }
    }
  }
  w.bytes(buf, cursor, end);
  stats.loops += s.scopeCost.length - 1;
  stats.memoryGrows += grows;
  stats.tableGrows += tableGrows;
  stats.bulkOps += bulk;
  out.sized(w);
}

/**
 * Copies a constant expression (global initializer, segment offset, element
 * expression) shifting `ref.func` indices. Returns after its `end`.
 */
export function rewriteConstExpr(r: Reader, out: Writer, shift: IndexShift): void {
  for (;;) {
    const start = r.pos;
    const ev = skipInstr(r);
    if (ev === Ev.REF_FUNC) {
      out.byte(0xd2);
      out.u32(shiftIndex(new Reader(r.buf, start + 1, r.pos).u32(), shift.funcFrom));
    } else if (ev === Ev.GLOBAL) {
      out.byte(r.buf[start] as number);
      out.u32(shiftGlobal(new Reader(r.buf, start + 1, r.pos).u32(), shift));
    } else {
      out.bytes(r.buf, start, r.pos);
    }
    if (ev === Ev.END) return;
  }
}
