/**
 * One core instance's linear memory as the generated callers see it: the
 * views (`u8`, `dv`), the allocator (`cabi_realloc`), the string and byte
 * codecs, and the output budget every lifted string and list is charged to.
 *
 * Helpers here assume their input was validated by the generated code (the
 * type checks are inlined there so a failing path string is only built on
 * failure); what they check is what the guest hands back (CanonicalABI
 * traps: bounds, alignment, UTF-8, code points).
 */
import { isAscii } from 'node:buffer';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { trap } from './abi-errors.js';

export type Realloc = (oldPtr: number, oldSize: number, align: number, newSize: number) => number;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const EMPTY = new Uint8Array(0);
/** Zero-length views shared by every context until it attaches to a memory (an ArrayBuffer per instance is measurable when instantiating many). */
const EMPTY_VIEW = new DataView(new ArrayBuffer(0));
const EMPTY_BUFFER = Buffer.alloc(0);

/**
 * Output cap when the plugin's limits set none: what one call may lift out
 * of the guest in total (strings, lists, nested). Without a cap, a guest
 * returning many references to one large block makes the host materialise
 * gigabytes and die (V8 heap OOM), so there is always one.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Short strings are encoded/decoded in JS: cheaper than a native call below this length. */
const SHORT_STRING = 32;

export class GuestMemory {
  u8: Uint8Array = EMPTY;
  dv: DataView = EMPTY_VIEW;
  /** Second result of `str`/`bytes`: the length of what was just written. */
  len = 0;
  /** Bytes one call may lift out of the guest in total (strings, lists, nested). */
  cap = DEFAULT_MAX_OUTPUT_BYTES;
  /**
   * What is left of `cap` for the values being lifted: reset to `cap` when a
   * call's results (or a host call's arguments) start being lifted, charged
   * by every string and list before it is copied.
   */
  left = DEFAULT_MAX_OUTPUT_BYTES;
  #memory: WebAssembly.Memory | undefined;
  #buffer: Buffer = EMPTY_BUFFER;
  #reallocFn: Realloc | undefined;

  attach(memory: WebAssembly.Memory | undefined, realloc: Realloc | undefined): void {
    this.#memory = memory;
    this.#reallocFn = realloc;
    this.u8 = EMPTY;
    this.v();
  }

  /** Lets go of the memory (its views and allocator), so a closed instance's memory can be collected. */
  detach(): void {
    this.#memory = undefined;
    this.#reallocFn = undefined;
    this.u8 = EMPTY;
    this.dv = new DataView(new ArrayBuffer(0));
    this.#buffer = Buffer.alloc(0);
  }

  /** Refreshes the views when memory.grow detached the buffer (its length drops to 0). */
  v(): void {
    if (this.u8.length !== 0 || this.#memory === undefined) return;
    const buf = this.#memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.#buffer = Buffer.from(buf);
  }

  /** `cabi_realloc(0, 0, align, size)`, checked as the canonical ABI requires. */
  alloc(align: number, size: number): number {
    return this.#realloc(0, 0, align, size);
  }

  #realloc(oldPtr: number, oldSize: number, align: number, size: number): number {
    const realloc = this.#reallocFn;
    if (realloc === undefined) throw trap('the plugin exports no cabi_realloc but the call needs to pass data in memory');
    const ptr = realloc(oldPtr, oldSize, align, size) >>> 0;
    this.v();
    if ((ptr & (align - 1)) !== 0) throw trap(`cabi_realloc returned ${ptr}, not aligned to ${align}`);
    if (ptr + size > this.u8.length) throw trap(`cabi_realloc returned ${ptr}..${ptr + size}, outside memory of ${this.u8.length} bytes`);
    return ptr;
  }

  /** Writes a (validated) string as UTF-8 into a fresh guest allocation; returns the pointer, sets `len`. */
  str(s: string): number {
    const n = s.length;
    if (n <= SHORT_STRING) {
      // Inlined allocation: this is the hottest helper (one call per string argument).
      const realloc = this.#reallocFn;
      if (realloc === undefined) return this.alloc(1, n);
      const ptr = realloc(0, 0, 1, n) >>> 0;
      let u8 = this.u8;
      if (u8.length === 0) {
        this.v();
        u8 = this.u8;
      }
      if (ptr + n > u8.length) throw trap(`cabi_realloc returned ${ptr}..${ptr + n}, outside memory of ${u8.length} bytes`);
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        u8[ptr + i] = c;
      }
      if (i === n) {
        this.len = n;
        return ptr;
      }
      // Not ASCII: grow the allocation to the UTF-8 size (as the canonical ABI's realloc protocol allows).
      const utf8 = Buffer.byteLength(s, 'utf8');
      const grown = this.#realloc(ptr, n, 1, utf8);
      this.#buffer.write(s, grown, utf8, 'utf8');
      this.len = utf8;
      return grown;
    }
    const bytes = Buffer.byteLength(s, 'utf8');
    const ptr = this.alloc(1, bytes);
    // UTF-8 length equal to the UTF-16 length means ASCII: a latin1 copy is ~4× cheaper than encoding.
    this.#buffer.write(s, ptr, bytes, bytes === n ? 'latin1' : 'utf8');
    this.len = bytes;
    return ptr;
  }

  /** Copies bytes (a Uint8Array, or an array of validated u8s) into the guest; sets `len`. */
  bytes(v: Uint8Array | readonly number[]): number {
    const n = v.length;
    const ptr = this.alloc(1, n);
    if (v instanceof Uint8Array) this.u8.set(v, ptr);
    else {
      const u8 = this.u8;
      for (let i = 0; i < n; i++) u8[ptr + i] = v[i]!;
    }
    this.len = n;
    return ptr;
  }

  /** Reads a UTF-8 string out of the guest: bounds, output cap, then strict decoding. */
  liftStr(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    if (ptr + len > this.u8.length) throw trap(`string at ${ptr} of ${len} bytes is outside memory of ${this.u8.length} bytes`);
    if ((this.left -= len) < 0) throw this.#overBudget('a string', len);
    if (len <= SHORT_STRING) {
      const u8 = this.u8;
      let s = '';
      let i = 0;
      for (; i < len; i++) {
        const c = u8[ptr + i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === len) return s;
    }
    const bytes = this.u8.subarray(ptr, ptr + len);
    // ASCII (checked with SIMD) is valid UTF-8 and copies into a one-byte string without decoding.
    if (isAscii(bytes)) return this.#buffer.toString('latin1', ptr, ptr + len);
    try {
      return fatalUtf8.decode(bytes);
    } catch {
      throw trap(`string at ${ptr} of ${len} bytes is not valid UTF-8`);
    }
  }

  /** Copies a list<u8> out of the guest. */
  liftBytes(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    if (ptr + len > this.u8.length) throw trap(`list at ${ptr} of ${len} bytes is outside memory of ${this.u8.length} bytes`);
    if ((this.left -= len) < 0) throw this.#overBudget('a list', len);
    return this.u8.slice(ptr, ptr + len);
  }

  /** Checks a list of `count` elements of `size` bytes at `ptr` before it is read. */
  checkList(ptr: number, count: number, size: number, align: number, charge: number): void {
    const bytes = count * size;
    if ((ptr & (align - 1)) !== 0) throw trap(`list at ${ptr} is not aligned to ${align}`);
    if (ptr + bytes > this.u8.length) throw trap(`list at ${ptr} of ${count} elements (${bytes} bytes) is outside memory of ${this.u8.length} bytes`);
    // `charge` per element (≥ size): what an element costs once materialised as JS values.
    if ((this.left -= count * charge) < 0) throw this.#overBudget('a list', count * charge);
  }

  #overBudget(what: string, bytes: number): WitplugError {
    const before = this.left + bytes;
    this.left = 0;
    return new WitplugError(
      ErrorCodes.OUTPUT_LIMIT,
      `the plugin's output exceeds the output limit of ${this.cap} bytes per call (${what} of ${bytes} bytes with ${before} bytes left; lifting stopped before copying it)`,
    );
  }

  /** Checks a return area before it is read. */
  checkArea(ptr: number, size: number, align: number): void {
    if ((ptr & (align - 1)) !== 0) throw trap(`return area at ${ptr} is not aligned to ${align}`);
    if (ptr + size > this.u8.length) throw trap(`return area at ${ptr} of ${size} bytes is outside memory of ${this.u8.length} bytes`);
  }

  /** An out-of-range discriminant lifted from the guest. */
  badCase(d: number, cases: number): never {
    throw trap(`discriminant ${d} is out of range (${cases} cases)`);
  }

  /** A char lifted from the guest: a Unicode scalar value, or a trap. */
  char(cp: number): string {
    cp >>>= 0;
    if (cp >= 0x110000 || (cp >= 0xd800 && cp <= 0xdfff)) throw trap(`${cp} is not a Unicode scalar value (char)`);
    return String.fromCodePoint(cp);
  }
}
