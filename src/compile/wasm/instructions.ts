/**
 * Instruction decoder: knows the immediates of every opcode we accept so the
 * instrumenter can walk a function body without understanding its semantics.
 * Covered: MVP, sign-extension, non-trapping float-to-int (0xFC 0-7), bulk
 * memory + reference types (0xFC 8-17, 0xD0-0xD2, table.get/set, typed select),
 * multi-value block types, tail calls, typed function references (call_ref,
 * br_on_null…), legacy and new exception handling, SIMD + relaxed SIMD (0xFD),
 * threads atomics (0xFE). GC (0xFB) and other unknown opcodes are rejected
 * with WitplugError('UNSUPPORTED') rather than guessed at.
 */
import { WitplugError } from '../../errors.js';
import type { Reader } from './bytes.js';

/** What the instrumenter needs to know about an instruction it just skipped. */
export const Ev = {
  PLAIN: 0,
  /** block, if, try, try_table: opens a non-loop label. */
  OPEN: 1,
  /** loop: opens a label whose header is a back-edge target. */
  LOOP: 2,
  /** end: closes the innermost label (or the function body). */
  END: 3,
  /** delegate: closes a legacy `try` like `end` does. */
  DELEGATE: 4,
  /** call / return_call: immediate is a function index (LEB right after the opcode). */
  CALL: 5,
  /** ref.func: immediate is a function index (LEB right after the opcode). */
  REF_FUNC: 6,
  /** memory.grow: leaves the old size or -1 on the stack. */
  MEMORY_GROW: 7,
  /** global.get / global.set: immediate is a global index (LEB right after the opcode). */
  GLOBAL: 8,
  /** memory.fill/copy/init, table.fill/copy/init: the element count is on top of the stack. */
  BULK: 9,
  /** table.grow: leaves the old size or -1 on the stack. */
  TABLE_GROW: 10,
} as const;
export type Ev = (typeof Ev)[keyof typeof Ev];

function unsupported(r: Reader, what: string): never {
  throw new WitplugError('UNSUPPORTED', `core module: unsupported ${what} at byte ${r.pos}`);
}

/** Value type, including `(ref null? ht)` forms from function references / GC. */
export function skipValType(r: Reader): void {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) r.s33();
}

export function skipBlockType(r: Reader): void {
  const b = r.buf[r.pos];
  if (b === 0x63 || b === 0x64) {
    r.pos++;
    r.s33();
  } else {
    // 0x40, a one-byte value type (negative s33), or a type index (s33 >= 0).
    r.s33();
  }
}

function skipMemarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory: explicit memory index
  r.skipLeb(); // offset: u32, or u64 with memory64
}

/** Skips one instruction starting at r.pos (the opcode) and classifies it. */
export function skipInstr(r: Reader): Ev {
  const op = r.u8();
  switch (op) {
    case 0x00: // unreachable
    case 0x01: // nop
    case 0x05: // else
    case 0x0a: // throw_ref
    case 0x0f: // return
    case 0x19: // catch_all
    case 0x1a: // drop
    case 0x1b: // select
    case 0xd1: // ref.is_null
    case 0xd3: // ref.eq
    case 0xd4: // ref.as_non_null
      return Ev.PLAIN;
    case 0x02: // block
    case 0x04: // if
    case 0x06: // try (legacy EH)
      skipBlockType(r);
      return Ev.OPEN;
    case 0x03:
      skipBlockType(r);
      return Ev.LOOP;
    case 0x1f: {
      // try_table bt vec(catch)
      skipBlockType(r);
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const kind = r.u8();
        if (kind === 0x00 || kind === 0x01) r.u32(); // tag
        else if (kind !== 0x02 && kind !== 0x03) r.fail('bad try_table catch kind');
        r.u32(); // label
      }
      return Ev.OPEN;
    }
    case 0x0b:
      return Ev.END;
    case 0x18: // delegate label
      r.u32();
      return Ev.DELEGATE;
    case 0x07: // catch tag
    case 0x08: // throw tag
    case 0x09: // rethrow label
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x14: // call_ref type
    case 0x15: // return_call_ref type
    case 0xd5: // br_on_null
    case 0xd6: // br_on_non_null
    case 0x20:
    case 0x21:
    case 0x22: // local.get/set/tee
    case 0x25:
    case 0x26: // table.get/set
    case 0x3f: // memory.size
      r.u32();
      return Ev.PLAIN;
    case 0x0e: {
      const n = r.u32();
      for (let i = 0; i <= n; i++) r.u32();
      return Ev.PLAIN;
    }
    case 0x23: // global.get
    case 0x24: // global.set
      r.u32();
      return Ev.GLOBAL;
    case 0x10: // call
    case 0x12: // return_call
      r.u32();
      return Ev.CALL;
    case 0x11: // call_indirect type table
    case 0x13: // return_call_indirect
      r.u32();
      r.u32();
      return Ev.PLAIN;
    case 0x1c: {
      const n = r.u32();
      for (let i = 0; i < n; i++) skipValType(r);
      return Ev.PLAIN;
    }
    case 0x40:
      r.u32();
      return Ev.MEMORY_GROW;
    case 0x41:
    case 0x42:
      r.skipLeb();
      return Ev.PLAIN;
    case 0x43:
      r.skip(4);
      return Ev.PLAIN;
    case 0x44:
      r.skip(8);
      return Ev.PLAIN;
    case 0xd0: // ref.null heaptype
      r.s33();
      return Ev.PLAIN;
    case 0xd2:
      r.u32();
      return Ev.REF_FUNC;
    case 0xfc:
      return skipFc(r);
    case 0xfd:
      skipFd(r);
      return Ev.PLAIN;
    case 0xfe:
      skipFe(r);
      return Ev.PLAIN;
    case 0xfb:
      return unsupported(r, 'GC instruction (0xFB prefix)');
    default:
      if (op >= 0x28 && op <= 0x3e) {
        skipMemarg(r);
        return Ev.PLAIN;
      }
      if (op >= 0x45 && op <= 0xc4) return Ev.PLAIN; // numeric, incl. sign-extension
      r.pos--;
      unsupported(r, `opcode 0x${op.toString(16)}`);
  }
}

/** 0xFC sub-opcodes of the bulk operations (their count is on top of the stack). */
export const Fc = { MEMORY_INIT: 8, MEMORY_COPY: 10, MEMORY_FILL: 11, TABLE_INIT: 12, TABLE_COPY: 14, TABLE_GROW: 15, TABLE_FILL: 17 } as const;

function skipFc(r: Reader): Ev {
  const sub = r.u32();
  if (sub <= 7) return Ev.PLAIN; // trunc_sat
  switch (sub) {
    case 8: // memory.init data mem
    case 10: // memory.copy mem mem
    case 12: // table.init elem table
    case 14: // table.copy t t
      r.u32();
      r.u32();
      return Ev.BULK;
    case 11: // memory.fill mem
    case 17: // table.fill t
      r.u32();
      return Ev.BULK;
    case 15: // table.grow
      r.u32();
      return Ev.TABLE_GROW;
    case 9: // data.drop
    case 13: // elem.drop
    case 16: // table.size
      r.u32();
      return Ev.PLAIN;
    default:
      unsupported(r, `0xFC ${sub}`);
  }
}

function skipFd(r: Reader): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) {
    skipMemarg(r); // v128 loads/stores, load_zero
    return;
  }
  if (sub === 12 || sub === 13) {
    r.skip(16); // v128.const, i8x16.shuffle
    return;
  }
  if (sub >= 21 && sub <= 34) {
    r.skip(1); // extract/replace lane
    return;
  }
  if (sub >= 84 && sub <= 91) {
    skipMemarg(r); // load/store lane
    r.skip(1);
    return;
  }
  if (sub <= 0x113) return; // everything else (incl. relaxed SIMD 0x100-0x113) has no immediates
  unsupported(r, `0xFD ${sub}`);
}

function skipFe(r: Reader): void {
  const sub = r.u32();
  if (sub === 0x03) {
    r.u8(); // atomic.fence reserved byte
    return;
  }
  if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) {
    skipMemarg(r);
    return;
  }
  unsupported(r, `0xFE ${sub}`);
}
