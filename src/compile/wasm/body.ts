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
 */
import { Reader, Writer } from './bytes.js';
import { Ev, skipInstr, skipValType } from './instructions.js';

export interface BodyContext {
  /** Global index of the i64 fuel counter, or -1 when fuel is off. */
  fuelGlobal: number;
  /** Global index of the i64 deadline countdown, or -1 when deadlines are off. */
  deadlineGlobal: number;
  /** Function index of the imported `check` function (only when deadlineGlobal >= 0). */
  checkFunc: number;
  /** Global index of the i32 grow-failed flag, or -1 to leave memory.grow alone. */
  growFailedGlobal: number;
  shift: IndexShift;
}

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
}

const P_LOOP = 0;
const P_FIDX = 1;
const P_GROW = 2;
const P_GIDX = 3;

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
  if (ctx.fuelGlobal >= 0) {
    // fuel -= cost; if (fuel < 0) unreachable   — the host reads fuel < 0 after the trap.
    // The i64 scratch local saves re-reading the global (measurably cheaper in tight loops).
    w.byte(0x23); w.u32(ctx.fuelGlobal);
    w.byte(0x42); w.s64(cost);
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
    w.byte(0x42); w.s64(cost);
    w.byte(0x7d);
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

function emitGrowRecord(w: Writer, ctx: BodyContext, scratchLocal: number): void {
  // local.tee s; i32.const -1; i32.eq; if; i32.const 1; global.set grow_failed; end; local.get s
  w.byte(0x22); w.u32(scratchLocal);
  w.byte(0x41); w.byte(0x7f);
  w.byte(0x46);
  w.byte(0x04); w.byte(0x40);
  w.byte(0x41); w.byte(0x01);
  w.byte(0x24); w.u32(ctx.growFailedGlobal);
  w.byte(0x0b);
  w.byte(0x20); w.u32(scratchLocal);
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
  let grows = 0;
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
    } else if (ev === Ev.MEMORY_GROW) {
      if (ctx.growFailedGlobal >= 0) {
        s.pushPatch(P_GROW, r.pos, 0);
        grows++;
      }
    }
  }
  if (r.pos !== end) r.fail('trailing bytes after function body end');

  // Pass 2: emit.
  const w = new Writer(end - start + 64 + s.nPatches * 24);
  // New locals go at the end of the local index space, so existing indices stay valid.
  const metering = ctx.fuelGlobal >= 0 || ctx.deadlineGlobal >= 0;
  let nextLocal = paramCount + totalLocals;
  const meterLocal = metering ? nextLocal++ : -1;
  const scratchLocal = grows > 0 ? nextLocal++ : -1;
  const extraGroups = (metering ? 1 : 0) + (grows > 0 ? 1 : 0);
  if (extraGroups > 0) {
    w.u32(nGroups + extraGroups);
    w.bytes(buf, groupsBodyStart, localsEnd);
    if (metering) {
      w.byte(0x01);
      w.byte(0x7e);
    }
    if (grows > 0) {
      w.byte(0x01);
      w.byte(0x7f);
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
      w.bytes(buf, cursor, a);
      emitGrowRecord(w, ctx, scratchLocal);
      cursor = a;
    }
  }
  w.bytes(buf, cursor, end);
  stats.loops += s.scopeCost.length - 1;
  stats.memoryGrows += grows;
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
