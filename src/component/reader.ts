/**
 * A bounds-checked reader over component / core-wasm binary bytes.
 *
 * Every read checks the remaining length first, so hostile input can only
 * produce a WitplugError('MALFORMED') naming the absolute byte offset, never a
 * RangeError, an out-of-bounds `undefined`, or an unbounded allocation.
 */
import { WitplugError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function malformed(message: string, offset: number): WitplugError {
  return new WitplugError('MALFORMED', `malformed component: ${message} (at byte offset ${offset})`);
}

export class Reader {
  /** Absolute offset of the next byte to read. */
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    /** Exclusive absolute end of this reader's window. */
    readonly end = bytes.length,
  ) {
    if (start < 0 || end > bytes.length || start > end) throw malformed('bad reader window', start);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at = this.pos): never {
    throw malformed(message, at);
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) this.fail(`unexpected end of data reading ${what}`);
  }

  u8(): number {
    this.need(1, 'byte');
    return this.bytes[this.pos++]!;
  }

  peek(): number {
    this.need(1, 'byte');
    return this.bytes[this.pos]!;
  }

  /** Raw bytes, as a view (no copy). */
  take(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n: number, what = 'bytes'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Unsigned LEB128 of at most 32 bits; rejects overlong (>5 bytes) and overflowing encodings. */
  u32(): number {
    const start = this.pos;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      if (i === 4 && (b & 0xf0) !== 0) this.fail('u32 LEB128 overflows 32 bits', start);
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    return this.fail('u32 LEB128 longer than 5 bytes', start);
  }

  /** Signed LEB128 of at most 32 bits. */
  s32(): number {
    return Number(this.sleb(32));
  }

  /** Unsigned LEB128 of at most 64 bits (returned as bigint: it may exceed 2^53). */
  u64(): bigint {
    const start = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      if (i === 9 && (b & 0xfe) !== 0) this.fail('u64 LEB128 overflows 64 bits', start);
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    return this.fail('u64 LEB128 longer than 10 bytes', start);
  }

  /** Signed LEB128 of at most `bits` bits (32, 33 or 64). */
  sleb(bits: number): bigint {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0n;
    let shift = 0;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << BigInt(shift);
      shift += 7;
      if ((b & 0x80) === 0) {
        if (i === maxBytes - 1) {
          // The unused high bits of the last byte must all equal the sign bit.
          const used = bits - 7 * (maxBytes - 1);
          const rest = (b & 0x7f) >> (used - 1);
          const allowed = (b & 0x40) !== 0 ? 0x7f >> (used - 1) : 0;
          if (rest !== allowed) this.fail(`s${bits} LEB128 out of range`, start);
        }
        if ((b & 0x40) !== 0) result -= 1n << BigInt(shift); // sign-extend
        return result;
      }
    }
    return this.fail(`s${bits} LEB128 longer than ${maxBytes} bytes`, start);
  }

  /**
   * Length of a `vec(...)` whose items take at least `minItemSize` bytes each.
   * Checking against the remaining bytes means a hostile count cannot make a
   * caller loop (or allocate) far beyond what the input can possibly hold.
   */
  vecLen(minItemSize = 1): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minItemSize > this.remaining) this.fail(`vector length ${n} exceeds the remaining ${this.remaining} bytes`, at);
    return n;
  }

  /** A length-prefixed UTF-8 string (core `name`), validated. */
  name(): string {
    const at = this.pos;
    const len = this.u32();
    const raw = this.take(len, 'name');
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail('name is not valid UTF-8', at);
    }
  }

  /** A sub-reader over the next `len` bytes; this reader advances past them. */
  sub(len: number, what = 'section'): Reader {
    this.need(len, what);
    const r = new Reader(this.bytes, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} trailing bytes after ${what}`);
  }
}
