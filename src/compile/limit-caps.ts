/**
 * Memory and table limits capped at load: a maximum above the cap (or none)
 * becomes the cap; an initial size above it is refused with MEMORY_LIMIT /
 * RESOURCE_LIMIT.
 */
import { WitplugError } from '../errors.js';
import type { InstrumentOptions } from './instrument-options.js';
import { Reader, Writer } from './wasm/bytes.js';

/** Copies limits, capping the maximum at `maxPages`. */
export function rewriteMemoryLimits(r: Reader, w: Writer, maxPages: number | undefined, what: string): void {
  rewriteLimits(r, w, maxPages, 65536, false, (min, cap) => {
    throw new WitplugError(
      'MEMORY_LIMIT',
      `${what} needs ${min} pages initially but the limit is ${cap} pages`,
      { details: { initialPages: min, maxMemoryPages: cap } },
    );
  });
}

/** Copies table limits, capping the maximum at `options.maxTableElements`. */
export function rewriteTableLimits(r: Reader, w: Writer, options: InstrumentOptions, what: string): void {
  rewriteLimits(r, w, options.maxTableElements, 0xffff_ffff, options.tableCapAtLeastInitial === true, (min, cap) => {
    throw new WitplugError(
      'RESOURCE_LIMIT',
      `${what} has ${min} elements initially but the limit is ${cap} elements`,
      { details: { initialElements: min, maxTableElements: cap } },
    );
  });
}

/**
 * Copies limits, capping the maximum at `cap` (at most `max32` for a 32-bit
 * memory/table: a larger maximum would make the module invalid). An initial
 * size over the cap calls `over`, or raises the cap to it with `atLeastInitial`.
 */
function rewriteLimits(r: Reader, w: Writer, cap: number | undefined, max32: number, atLeastInitial: boolean, over: (min: number, cap: number) => never): void {
  const flags = r.u8();
  if (flags & ~0x07) r.fail(`unsupported limits flags 0x${flags.toString(16)}`);
  const min = r.u64();
  const max = flags & 1 ? r.u64() : undefined;
  if (cap === undefined) {
    w.byte(flags);
    w.u64(min);
    if (max !== undefined) w.u64(max);
    return;
  }
  let c = flags & 4 ? cap : Math.min(cap, max32);
  if (min > c) {
    if (!atLeastInitial) over(min, c);
    c = min;
  }
  w.byte(flags | 1);
  w.u64(min);
  w.u64(max === undefined ? c : Math.min(max, c));
}
