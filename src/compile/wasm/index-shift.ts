/**
 * Index shifting: appending a function import moves every defined function up
 * by one, appending global imports moves every defined global; each place that
 * names such an index is rewritten (bodies in src/compile/wasm/body.ts).
 */
import { Reader, Writer } from './bytes.js';
import { Ev, skipInstr, skipValType } from './instructions.js';
import type { RawSection } from './sections.js';

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

export function shiftIndex(idx: number, shiftFrom: number): number {
  return shiftFrom >= 0 && idx >= shiftFrom ? idx + 1 : idx;
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

/** Rewrites the `name` section's index-keyed subsections: 1 functions, 2 locals, 3 labels (by function), 7 globals. */
export function rewriteNameSection(bytes: Uint8Array, s: RawSection, shift: IndexShift): Uint8Array {
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

export function rewriteElements(bytes: Uint8Array, s: RawSection, shift: IndexShift): Uint8Array {
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
export function rewriteData(bytes: Uint8Array, s: RawSection, shift: IndexShift): Uint8Array {
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
