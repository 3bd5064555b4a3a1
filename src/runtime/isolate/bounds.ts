/** The bounds of an isolated plugin's waits and of its worker's heap, and which failures are not the plugin's. */
import type { ResourceLimits } from 'node:worker_threads';
import { ErrorCodes } from '../../errors.js';
import type { Limits } from '../capabilities/grant.js';
import { DEFAULT_TIMEOUT_MS } from '../limits/resolve-limits.js';

/** Call deadline when none is given (the same as in-process): an isolated call never waits without bound. */
export const DEFAULT_ISOLATED_TIMEOUT_MS = DEFAULT_TIMEOUT_MS;
/** How long a worker may take to load its plugin once its start has begun (a first start compiles; later starts hit the cache). */
export const STARTUP_MS = 60_000;
/**
 * How long a start may wait for its turn (the supervisor runs a few starts
 * at once, supervisor.ts MAX_STARTING): a hundred plugins loaded together
 * on two cores wait well under a minute; this bounds a backlog, not a start.
 */
export const START_QUEUE_MS = 300_000;
export const ignore = (): void => {};
/** Period of the timer keeping the process alive while an async call runs (below setTimeout's 2^31-1 ms cap). */
export const KEEP_ALIVE_MS = 60_000;
/** How long close()/terminateWorker() wait for a terminated worker to exit. */
export const EXIT_MS = 5_000;

/**
 * Awaits `promise` for at most `ms` (then resolves undefined). The timer also
 * keeps the process alive meanwhile: neither Atomics.waitAsync nor the
 * unref'd supervisor does.
 */
export async function keptAlive<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * JS heap of a worker beyond what the plugin's values need: measured at
 * 9–20 MB after loading a plugin (WAT or the 12 MB JS guest, cache hit or
 * miss), so 64 MB leaves room for the call path and serialization.
 */
export const WORKER_HEAP_HEADROOM_MB = 64;

/** The worker's resourceLimits: values lifted from linear memory (≤ maxMemoryMb) may take about twice its size as JS values. */
export function workerResourceLimits(limits: Limits): ResourceLimits | undefined {
  if (limits.maxMemoryMb === undefined) return undefined;
  return { maxOldGenerationSizeMb: Math.ceil(WORKER_HEAP_HEADROOM_MB + 2 * limits.maxMemoryMb) };
}

/** The caller's and the host's mistakes, as in-process (docs/sandbox.md, "Who is at fault"): UNSUPPORTED and LINK are gaps of the host. */
export const NOT_COUNTED: ReadonlySet<string> = new Set([
  ErrorCodes.USAGE, ErrorCodes.NO_SUCH_FUNCTION, ErrorCodes.TYPE_MISMATCH, ErrorCodes.REENTRANCE,
  ErrorCodes.HOST_ERROR, ErrorCodes.UNSUPPORTED, ErrorCodes.LINK,
]);
