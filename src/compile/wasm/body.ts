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
import { shiftGlobal, shiftIndex } from './index-shift.js';
import {
  BULK_BYTES_SHIFT, bulkShape, emitCharge, emitChunked, emitGrowAfter, emitMeter, memory64Involved, pushScaled, type BodyContext,
} from './metering.js';

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
