/**
 * Parsers that only *skip* constructs whose content witplug does not need
 * (core types, core extern types, canon definitions other than `lift`).
 * They still validate the encoding enough to stay in sync with the stream,
 * because these constructs appear inside type declarators without a length
 * prefix.
 */
import type { Reader } from './reader.js';

/** Core value type, including GC reference types with an s33 heap type. */
export function skipCoreValType(r: Reader): void {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) {
    r.sleb(33); // (ref null? heaptype)
    return;
  }
  // Number, vector and abstract-heap-type shorthand reference types are single bytes.
  if (b >= 0x69 && b <= 0x7f) return;
  r.fail(`unknown core value type 0x${b.toString(16)}`, r.pos - 1);
}

function skipStorageType(r: Reader): void {
  const b = r.peek();
  if (b === 0x78 || b === 0x77) {
    r.u8(); // i8 / i16 packed
    return;
  }
  skipCoreValType(r);
}

function skipFieldType(r: Reader): void {
  skipStorageType(r);
  const m = r.u8();
  if (m > 1) r.fail('bad field mutability', r.pos - 1);
}

function skipCompType(r: Reader): void {
  const at = r.pos;
  const form = r.u8();
  switch (form) {
    case 0x60: {
      for (let n = r.vecLen(), i = 0; i < n; i++) skipCoreValType(r);
      for (let n = r.vecLen(), i = 0; i < n; i++) skipCoreValType(r);
      return;
    }
    case 0x5f:
      for (let n = r.vecLen(2), i = 0; i < n; i++) skipFieldType(r);
      return;
    case 0x5e:
      skipFieldType(r);
      return;
    default:
      r.fail(`unknown core composite type 0x${form.toString(16)}`, at);
  }
}

function skipSubType(r: Reader): void {
  const b = r.peek();
  if (b === 0x50 || b === 0x4f) {
    r.u8();
    for (let n = r.vecLen(), i = 0; i < n; i++) r.u32();
  }
  skipCompType(r);
}

function skipLimits(r: Reader): void {
  const flags = r.u8();
  if (flags > 0x07) r.fail('bad limits flags', r.pos - 1);
  const is64 = (flags & 0x04) !== 0;
  if (is64) r.u64();
  else r.u32();
  if (flags & 0x01) {
    if (is64) r.u64();
    else r.u32();
  }
}

/** Core `externtype` (imports / export declarations in module types). */
export function skipCoreExternType(r: Reader): void {
  const at = r.pos;
  const kind = r.u8();
  switch (kind) {
    case 0x00: // func
      r.u32();
      return;
    case 0x01: // table
      skipCoreValType(r);
      skipLimits(r);
      return;
    case 0x02: // memory
      skipLimits(r);
      return;
    case 0x03: // global
      skipCoreValType(r);
      if (r.u8() > 1) r.fail('bad global mutability', r.pos - 1);
      return;
    case 0x04: // tag
      if (r.u8() !== 0) r.fail('bad tag attribute', r.pos - 1);
      r.u32();
      return;
    default:
      r.fail(`unknown core extern kind 0x${kind.toString(16)}`, at);
  }
}

function skipModuleType(r: Reader): void {
  for (let n = r.vecLen(), i = 0; i < n; i++) {
    const at = r.pos;
    const tag = r.u8();
    switch (tag) {
      case 0x00: // import
        r.name();
        r.name();
        skipCoreExternType(r);
        break;
      case 0x01: // type
        skipCoreDefType(r, false);
        break;
      case 0x02: // outer alias of a type
        if (r.u8() !== 0x10 || r.u8() !== 0x01) r.fail('bad core alias in module type', at);
        r.u32();
        r.u32();
        break;
      case 0x03: // export
        r.name();
        skipCoreExternType(r);
        break;
      default:
        r.fail(`unknown module type declaration 0x${tag.toString(16)}`, at);
    }
  }
}

/** Core `deftype` as used in component core-type positions. */
export function skipCoreDefType(r: Reader, allowModule = true): void {
  const b = r.peek();
  if (b === 0x50) {
    if (!allowModule) r.fail('nested module type');
    r.u8();
    skipModuleType(r);
  } else if (b === 0x4e) {
    r.u8();
    for (let n = r.vecLen(), i = 0; i < n; i++) skipSubType(r);
  } else if (b === 0x00) {
    r.u8();
    if (r.u8() !== 0x50) r.fail('expected 0x50 after 0x00 in core sub type', r.pos - 1);
    for (let n = r.vecLen(), i = 0; i < n; i++) r.u32();
    skipCompType(r);
  } else {
    skipSubType(r);
  }
}

function skipResultList(r: Reader, readValType: (r: Reader) => void): void {
  const b = r.u8();
  if (b === 0x00) readValType(r);
  else if (b === 0x01) {
    if (r.u8() !== 0x00) r.fail('bad result list', r.pos - 1);
  } else r.fail('bad result list', r.pos - 1);
}

/**
 * What the canon definitions seen since the last reset use: string
 * encodings other than UTF-8, the `async` option, and every built-in by its
 * spec name. Decoding is synchronous, so module-level state reset per decode
 * is safe.
 */
let nonUtf8Strings = false;
let asyncOpt = false;
const builtins = new Set<string>();
export function resetStringEncodingScan(): void {
  nonUtf8Strings = false;
  asyncOpt = false;
  builtins.clear();
}
export function sawNonUtf8Strings(): boolean {
  return nonUtf8Strings;
}
export function sawAsyncOption(): boolean {
  return asyncOpt;
}
/** Spec names of the canon built-ins used (`lift`, `lower`, `context.get`, …), sorted. */
export function canonBuiltinsSeen(): string[] {
  return [...builtins].sort();
}

export function skipCanonOpts(r: Reader): void {
  for (let n = r.vecLen(), i = 0; i < n; i++) {
    const at = r.pos;
    const opt = r.u8();
    if (opt === 0x01 || opt === 0x02) nonUtf8Strings = true;
    if (opt === 0x06) asyncOpt = true;
    if (opt <= 0x02 || opt === 0x06) continue;
    if (opt === 0x03 || opt === 0x04 || opt === 0x05 || opt === 0x07) {
      r.u32();
      continue;
    }
    r.fail(`unknown canon option 0x${opt.toString(16)}`, at);
  }
}

function flagByte(r: Reader): void {
  if (r.u8() > 1) r.fail('bad flag byte', r.pos - 1);
}

/** Binary.md "Canonical Definitions": opcode → built-in name. */
const CANON_NAMES: Readonly<Record<number, string>> = {
  0x00: 'lift', 0x01: 'lower', 0x02: 'resource.new', 0x03: 'resource.drop', 0x04: 'resource.rep',
  0x24: 'backpressure.inc', 0x25: 'backpressure.dec', 0x09: 'task.return', 0x05: 'task.cancel',
  0x0a: 'context.get', 0x0b: 'context.set', 0x06: 'subtask.cancel', 0x0d: 'subtask.drop',
  0x0e: 'stream.new', 0x0f: 'stream.read', 0x10: 'stream.write', 0x11: 'stream.cancel-read', 0x12: 'stream.cancel-write',
  0x13: 'stream.drop-readable', 0x14: 'stream.drop-writable',
  0x15: 'future.new', 0x16: 'future.read', 0x17: 'future.write', 0x18: 'future.cancel-read', 0x19: 'future.cancel-write',
  0x1a: 'future.drop-readable', 0x1b: 'future.drop-writable',
  0x1c: 'error-context.new', 0x1d: 'error-context.debug-message', 0x1e: 'error-context.drop',
  0x1f: 'waitable-set.new', 0x20: 'waitable-set.wait', 0x21: 'waitable-set.poll', 0x22: 'waitable-set.drop', 0x23: 'waitable.join',
  0x26: 'thread.index', 0x27: 'thread.new-indirect', 0x28: 'thread.resume-later', 0x29: 'thread.suspend', 0x0c: 'thread.yield',
  0x2a: 'thread.suspend-then-resume', 0x2b: 'thread.yield-then-resume', 0x2c: 'thread.suspend-then-promote', 0x2d: 'thread.yield-then-promote',
  0x40: 'thread.spawn-ref', 0x41: 'thread.spawn-indirect', 0x42: 'thread.available-parallelism',
};

/**
 * One `canon` definition. Returns the lifted function's type index for
 * `canon lift` (which defines a component function); null for everything
 * else (which defines core functions witplug does not track).
 */
export function readCanon(r: Reader, readValType: (r: Reader) => void): number | null {
  const at = r.pos;
  const op = r.u8();
  const name = CANON_NAMES[op];
  if (name !== undefined) builtins.add(name);
  switch (op) {
    case 0x00: {
      if (r.u8() !== 0x00) r.fail('canon lift expects a core func', r.pos - 1);
      r.u32();
      skipCanonOpts(r);
      return r.u32();
    }
    case 0x01:
      if (r.u8() !== 0x00) r.fail('canon lower expects a func', r.pos - 1);
      r.u32();
      skipCanonOpts(r);
      return null;
    case 0x02: case 0x03: case 0x04: case 0x0e: case 0x13: case 0x14: case 0x15: case 0x1a: case 0x1b:
      r.u32();
      return null;
    case 0x05: case 0x0d: case 0x1e: case 0x1f: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: case 0x28:
      return null;
    case 0x09:
      skipResultList(r, readValType);
      skipCanonOpts(r);
      return null;
    case 0x0a: case 0x0b:
      skipCoreValType(r);
      r.u32();
      return null;
    case 0x06: case 0x0c: case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d:
      flagByte(r);
      return null;
    case 0x0f: case 0x10: case 0x16: case 0x17:
      r.u32();
      skipCanonOpts(r);
      return null;
    case 0x11: case 0x12: case 0x18: case 0x19:
      r.u32();
      flagByte(r);
      return null;
    case 0x1c: case 0x1d:
      skipCanonOpts(r);
      return null;
    case 0x20: case 0x21:
      flagByte(r);
      r.u32();
      return null;
    case 0x27:
      r.u32();
      r.u32();
      return null;
    case 0x40:
      flagByte(r);
      r.u32();
      return null;
    case 0x41:
      flagByte(r);
      r.u32();
      r.u32();
      return null;
    case 0x42:
      flagByte(r);
      return null;
    default:
      return r.fail(`unknown canon opcode 0x${op.toString(16)}`, at);
  }
}
