/** The pieces PluginHost dispatches with: waterfall steps, pass tests, anchors and priority order. */
import type { PluginFunction } from '../load/load-plugin.js';

import type { Anchor, AnchorPosition, Bound, Entry, HookStats } from './types.js';

/** One waterfall step: calls `f` with the arguments, the fed one replaced by the running value. */
export type WaterfallStep = (f: PluginFunction, args: unknown[], acc: unknown) => unknown;

/** Steps for the common arities (no per-plugin array writes or spreads); the general one otherwise. */
export function arityStep(arity: number, feed: number): WaterfallStep {
  const steps: Record<string, WaterfallStep> = {
    '1:0': (f, _a, acc) => f(acc),
    '2:0': (f, a, acc) => f(acc, a[1]),
    '2:1': (f, a, acc) => f(a[0], acc),
    '3:0': (f, a, acc) => f(acc, a[1], a[2]),
    '3:1': (f, a, acc) => f(a[0], acc, a[2]),
    '3:2': (f, a, acc) => f(a[0], a[1], acc),
  };
  return steps[`${arity}:${feed}`] ?? spreadStep(feed);
}

export function spreadStep(feed: number): WaterfallStep {
  return (f, a, acc) => {
    a[feed] = acc;
    return f(...a);
  };
}

/** A distinct value: "this plugin's call failed and was skipped". */
/**
 * Counts one call of `b` and picks the function it goes through: `timed` on the sampled calls.
 * (The sync dispatchers write this inline in each kind's loop: dispatchers.ts.)
 */
export function countedCall(b: Bound): PluginFunction {
  return (++b.stats.calls & b.sample) === 0 ? b.timed : b.fn;
}

export const SKIPPED: unique symbol = Symbol('skipped');

export function opKey(operation: string, at: AnchorPosition): string {
  return `\0${at}\0${operation}`;
}

export function toArray(anchor: Anchor | readonly Anchor[] | undefined): readonly Anchor[] {
  return anchor === undefined ? [] : Array.isArray(anchor) ? anchor : [anchor as Anchor];
}

export function byPriority(a: Entry, b: Entry): number {
  return b.priority - a.priority || a.order - b.order;
}

export function statsOf(entry: Entry, hook: string): HookStats {
  let s = entry.stats.get(hook);
  if (s === undefined) entry.stats.set(hook, (s = { calls: 0, failures: 0 }));
  return s;
}

/** `null`/primitives compare with ===; `{tag}` compares the tag. */
export function passTest(pass: unknown): (r: unknown) => boolean {
  if (pass !== null && typeof pass === 'object' && 'tag' in pass) {
    const tag = (pass as { tag: unknown }).tag;
    return (r) => r !== null && typeof r === 'object' && (r as { tag?: unknown }).tag === tag;
  }
  return (r) => r === pass || (pass === null && r === undefined);
}
