/**
 * How many fuel units the host hands out per slice of the single counter.
 *
 * A unit is an upper bound of one instruction, and how long a unit takes
 * varies a lot: a SpiderMonkey guest charges whole interpreter scopes at each
 * entry (31–65 M units for one short JS hook, ~0.2 ns per unit), a tight
 * arithmetic loop ~0.1–1 ns per unit, `table.fill` more. A fixed slice small
 * enough for a prompt deadline made the JS guest call back into the host
 * every ~0.2 µs (hundreds of checks per hook call, ~40% of its time). So the
 * slice adapts: a slice that ran out quickly doubles the next one, a slow one
 * halves it, between SLICE and MAX_SLICE. The worst case for the deadline is
 * one MAX_SLICE of the most expensive units after a run of cheap ones.
 * Fuel used does not depend on slicing (the sum of decrements), so the
 * reported fuel stays the same in every run.
 */
import { SLICE } from './resolve-limits.js';

/**
 * Largest slice: 64 × SLICE (6.4 M units). A slice grows only while it runs out within 0.1 ms, so
 * it reaches this size only in code whose units are very cheap (a JS guest: a few µs); the worst
 * case is cheap units and then the dearest ones, at most ~2–20 ns each: 13–130 ms late.
 */
export const MAX_SLICE = 64 * SLICE;
/** A slice that ended sooner than this (ms) after the previous check doubles the next. */
const FAST_SLICE_MS = 0.1;
/** A slice that took longer than this (ms) halves the next. */
const SLOW_SLICE_MS = 1;

export class SliceSizer {
  /** Units in the next full slice. */
  size = SLICE;
  /** `size` as a bigint (the counter is an i64 global; converting on every refill would allocate). */
  sizeBig = BigInt(SLICE);

  /** A full slice ran out `elapsedMs` after the previous check of the same call. */
  observe(elapsedMs: number): void {
    if (elapsedMs < FAST_SLICE_MS) {
      if (this.size < MAX_SLICE) this.#set(this.size * 2);
    } else if (elapsedMs > SLOW_SLICE_MS && this.size > SLICE) {
      this.#set(this.size / 2);
    }
  }

  /** Whether the slice grew past its first size (the plugin's calls run long). */
  get grown(): boolean {
    return this.size > SLICE;
  }

  #set(size: number): void {
    this.size = size;
    this.sizeBig = BigInt(size);
  }
}
