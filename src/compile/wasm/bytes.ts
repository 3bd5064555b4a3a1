/**
 * Byte reader/writer with LEB128 helpers for rewriting core Wasm modules.
 * Pure TS, no dependencies. Errors are WitplugError('MALFORMED') so bad input
 * never crashes the caller with a RangeError.
 */
import { WitplugError } from '../../errors.js';

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end: number = buf.length,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new WitplugError('MALFORMED', `core module: ${what} at byte ${this.pos}`);
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.buf[this.pos++] as number;
  }

  /** Unsigned LEB128 that fits in 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift < 28) result |= (b & 0x7f) << shift;
      else if (shift === 28) {
        if ((b & 0x70) !== 0) this.fail('u32 LEB overflow');
        result += (b & 0x0f) * 2 ** 28;
      } else this.fail('u32 LEB too long');
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return result >>> 0;
  }

  /** Unsigned LEB128 up to 64 bits as a number (exact below 2^53; memory64 limits stay far below). */
  u64(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    this.fail('u64 LEB too long');
  }

  /** Skips any LEB128 (signed or unsigned, up to 64 bits). */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) {
      if ((this.u8() & 0x80) === 0) return;
    }
    this.fail('LEB too long');
  }

  /** Reads a signed LEB128 that is known to be small (used for block types / heap types). */
  s33(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      if (shift > 35) this.fail('s33 LEB too long');
      b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (b & 0x40) result -= 2 ** shift;
    return result;
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail('unexpected end');
    this.pos += n;
  }

  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    return new TextDecoder('utf-8', { fatal: false }).decode(this.buf.subarray(start, start + len));
  }
}

/** Growable byte buffer. */
export class Writer {
  buf: Uint8Array;
  len = 0;
  constructor(initial = 1024) {
    this.buf = new Uint8Array(Math.max(16, initial));
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    this.ensure(n);
    this.buf.set(src.subarray(start, end), this.len);
    this.len += n;
  }

  u32(v: number): void {
    this.ensure(5);
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.buf[this.len++] = b;
    } while (x !== 0);
  }

  /** Unsigned LEB128 for any non-negative safe integer. */
  u64(v: number): void {
    this.ensure(10);
    let x = Math.trunc(v);
    do {
      const b = x % 128;
      x = Math.floor(x / 128);
      this.buf[this.len++] = x !== 0 ? b | 0x80 : b;
    } while (x !== 0);
  }

  /** Signed LEB128 for any safe integer. */
  s64(v: number): void {
    this.ensure(10);
    let x = Math.trunc(v);
    for (;;) {
      const b = ((x % 128) + 128) % 128;
      x = Math.floor(x / 128);
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.buf[this.len++] = done ? b : b | 0x80;
      if (done) return;
    }
  }

  name(s: string): void {
    const enc = new TextEncoder().encode(s);
    this.u32(enc.length);
    this.bytes(enc);
  }

  /** Appends `content` prefixed with its u32 length. */
  sized(content: Writer | Uint8Array): void {
    const bytes = content instanceof Writer ? content.finish() : content;
    this.u32(bytes.length);
    this.bytes(bytes);
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
