/**
 * Timing helpers for `witplug bench` and the benchmark suite: warm up, then
 * time batches until the budget is spent and report the median batch.
 */
export interface Timing {
  readonly iterations: number;
  readonly nsPerCall: number;
}

/** Times `fn` for `iterations` calls, or for about `budgetMs` when iterations is undefined. */
export function timeCalls(fn: () => unknown, iterations?: number, budgetMs = 1000): Timing {
  // Warm-up lets V8 tier up both the glue and the wasm before measuring.
  const warmEnd = performance.now() + Math.min(200, budgetMs / 5);
  let warm = 0;
  while (performance.now() < warmEnd || warm < 100) {
    fn();
    warm++;
  }
  if (iterations !== undefined) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    return { iterations, nsPerCall: Number(process.hrtime.bigint() - t0) / iterations };
  }
  // Batch size ≈ 10 ms of calls; median of batches resists GC pauses.
  const perCall = estimateNs(fn);
  const batch = Math.max(1, Math.round(10e6 / perCall));
  const samples: number[] = [];
  let total = 0;
  const end = performance.now() + budgetMs;
  while (performance.now() < end || samples.length < 5) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / batch);
    total += batch;
  }
  samples.sort((a, b) => a - b);
  return { iterations: total, nsPerCall: samples[Math.floor(samples.length / 2)]! };
}

function estimateNs(fn: () => unknown): number {
  let n = 0;
  const t0 = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - t0) < 5e6) {
    fn();
    n++;
  }
  return Number(process.hrtime.bigint() - t0) / n;
}
