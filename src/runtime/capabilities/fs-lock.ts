/**
 * One lock for every confined filesystem path operation of the process
 * (wasi-confined.ts): a path is proven inside its grant and then used by
 * path (Node has no openat), so another thread renaming a directory between
 * the two could redirect the use. Holding this lock across check and use
 * makes the pair atomic with respect to every other plugin of the process,
 * whichever thread (host thread, isolation worker, an app's own worker) it
 * runs on.
 *
 * The lock lives in a SharedArrayBuffer published as worker environment
 * data: every worker started after witplug was loaded (the isolation
 * supervisor, its plugin workers, an app's workers) inherits the same
 * buffer, and witplug loaded in such a worker adopts it instead of making
 * its own.
 *
 * Every wait is bounded. A holder can only vanish mid-operation if its
 * thread is terminated (an isolated plugin stopped at its deadline); a lock
 * held through one acquisition for longer than STALE_MS is taken over.
 */
import { getEnvironmentData, setEnvironmentData, threadId } from 'node:worker_threads';

const KEY = 'witplug:fs-lock';
/** Slot 0: owner (0 = free, else threadId + 1). Slot 1: acquisitions so far (tells a stuck holder from a busy one). */
const OWNER = 0;
const GENERATION = 1;
/**
 * No confined operation legitimately holds the lock this long (a few
 * syscalls; the first one also starts preview2-shim's I/O thread, which can
 * take a second on a loaded machine); beyond it the holder is presumed dead.
 */
export const STALE_MS = 10_000;

function sharedWords(): Int32Array {
  const inherited = getEnvironmentData(KEY);
  if (inherited instanceof SharedArrayBuffer && inherited.byteLength >= 8) return new Int32Array(inherited, 0, 2);
  const sab = new SharedArrayBuffer(8);
  setEnvironmentData(KEY, sab);
  return new Int32Array(sab);
}

const words = sharedWords();
const me = threadId + 1;
/** Re-entrant on one thread (a confined call never waits for itself). */
let depth = 0;

function acquire(): void {
  for (;;) {
    if (Atomics.compareExchange(words, OWNER, 0, me) === 0) break;
    const owner = Atomics.load(words, OWNER);
    if (owner === 0) continue;
    const generation = Atomics.load(words, GENERATION);
    const until = performance.now() + STALE_MS;
    let taken = false;
    for (;;) {
      const left = until - performance.now();
      if (left <= 0) {
        // The same acquisition for STALE_MS: its thread is gone. Take it over (one waiter wins).
        if (Atomics.load(words, GENERATION) === generation && Atomics.compareExchange(words, OWNER, owner, me) === owner) taken = true;
        break;
      }
      if (Atomics.wait(words, OWNER, owner, left) !== 'timed-out') break;
    }
    if (taken) break;
  }
  Atomics.add(words, GENERATION, 1);
}

function release(): void {
  // A holder whose lock was taken over does not free its successor's.
  if (Atomics.compareExchange(words, OWNER, me, 0) === me) Atomics.notify(words, OWNER, 1);
}

/** Runs `work` holding the process-wide filesystem lock. */
export function underFsLock<T>(work: () => T): T {
  if (depth > 0) {
    depth++;
    try {
      return work();
    } finally {
      depth--;
    }
  }
  acquire();
  depth = 1;
  try {
    return work();
  } finally {
    depth = 0;
    release();
  }
}
