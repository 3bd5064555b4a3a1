// Adaptive batch timer: calibrates a batch to ~batchMs, warms up, then reports
// the median ns/call over several batches (median: robust to GC pauses and the
// other core's noise on a 2-core machine). Results are folded into a sink so
// V8 cannot drop the calls.
export const defaults = { batchMs: 40, batches: 9, warmupMs: 150 };

let sink = 0;
function consume(v) {
  // Cheap, type-agnostic use of the value.
  if (v !== undefined && v !== null) sink = (sink + 1) | 0;
}
export function sinkValue() { return sink; }

function stats(perCall) {
  const sorted = [...perCall].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]) };
}
const round = (x) => Math.round(x * 10) / 10;

// A fresh loop function per measured runner (new Function = its own feedback
// vector), so the `fn()` call site stays monomorphic: with one shared loop, V8
// sees every runner there and the megamorphic call adds a few ns to each —
// which matters when the floor is ~5 ns.
const SYNC_LOOP = `
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) consume(fn());
  return Number(process.hrtime.bigint() - t0);`;
const ASYNC_LOOP = `
  return (async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) consume(await fn(i));
    return Number(process.hrtime.bigint() - t0);
  })();`;
function freshLoop(body) {
  const loop = new Function('fn', 'n', 'consume', 'process', body);
  return (fn, n) => loop(fn, n, consume, process);
}

/**
 * @param {() => unknown} fn  the call to time (a closure over pre-built arguments)
 * @returns {{ nsPerCall: number, min: number, max: number, iterations: number, batches: number }}
 */
export function measureSync(fn, opts = {}) {
  const { batchMs, batches, warmupMs } = { ...defaults, ...opts };
  const runSync = freshLoop(SYNC_LOOP);
  let n = 1;
  let ns = runSync(fn, n);
  while (ns < batchMs * 1e6 / 8 && n < 1 << 30) { n *= 2; ns = runSync(fn, n); }
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) ns = runSync(fn, n);
  const perBatch = Math.max(1, Math.round(n * (batchMs * 1e6) / Math.max(ns, 1)));
  const perCall = [];
  for (let b = 0; b < batches; b++) perCall.push(runSync(fn, perBatch) / perBatch);
  const s = stats(perCall);
  return { nsPerCall: s.median, min: s.min, max: s.max, iterations: perBatch, batches };
}

/** Same for async calls (Extism's `plugin.call` returns a promise); fn gets the call index. */
export async function measureAsync(fn, opts = {}) {
  const { batchMs, batches, warmupMs } = { ...defaults, ...opts };
  const runAsync = freshLoop(ASYNC_LOOP);
  let n = 1;
  let ns = await runAsync(fn, n);
  while (ns < batchMs * 1e6 / 8 && n < 1 << 30) { n *= 2; ns = await runAsync(fn, n); }
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) ns = await runAsync(fn, n);
  const perBatch = Math.max(1, Math.round(n * (batchMs * 1e6) / Math.max(ns, 1)));
  const perCall = [];
  for (let b = 0; b < batches; b++) perCall.push(await runAsync(fn, perBatch) / perBatch);
  const s = stats(perCall);
  return { nsPerCall: s.median, min: s.min, max: s.max, iterations: perBatch, batches };
}

/**
 * ns per call of each runner in `fns`: every runner warmed with one loop of `n` calls, then
 * `batches` batches of `n` calls each, the runners in a new (seeded) order each batch — the first
 * runner measured in a batch runs measurably faster (seen: 4.0 ns first, 7.2 ns later), so none
 * may always be first. Each runner gets a loop of its own (a shared `f()` call site would be
 * megamorphic and favour whichever runner it saw first). Returns the fastest and the median batch.
 */
export function measureInterleaved(fns, n, batches = 11) {
  const loops = Object.fromEntries(Object.keys(fns).map((k) => [k, new Function('f', 'n', 'for (let i = 0; i < n; i++) f();')]));
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (const [k, f] of Object.entries(fns)) loops[k](f, n);
  const keys = Object.keys(fns);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let b = 0; b < batches; b++) {
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [keys[i], keys[j]] = [keys[j], keys[i]];
    }
    for (const k of keys) {
      const t0 = process.hrtime.bigint();
      loops[k](fns[k], n);
      times[k].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  const out = {};
  for (const [k, v] of Object.entries(times)) {
    v.sort((a, b) => a - b);
    out[k] = { nsPerCall: Math.round(v[0] * 10) / 10, medianNs: Math.round(v[v.length >> 1] * 10) / 10 };
  }
  return out;
}
