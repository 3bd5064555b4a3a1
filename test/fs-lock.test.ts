/**
 * The process-wide filesystem lock (src/runtime/capabilities/fs-lock.ts) that confined
 * path calls hold across check and use: threads started after witplug was
 * loaded share it (worker environment data), it excludes them from each
 * other, and a holder whose thread was terminated mid-operation does not
 * block the others for ever. The workers run witplug's compiled code
 * (dist/), as isolation workers do.
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { underFsLock } from '../src/runtime/capabilities/fs-lock.js';

const LOCK = new URL('../dist/runtime/capabilities/fs-lock.js', import.meta.url).href;

function worker(body: string, workerData: unknown): Worker {
  if (!existsSync(new URL(LOCK))) throw new Error('dist/ missing: run npx tsc -p tsconfig.json');
  return new Worker(`const { parentPort, workerData } = require('node:worker_threads');\n(async () => {\n const { underFsLock } = await import(${JSON.stringify(LOCK)});\n${body}\n})();`, { eval: true, workerData });
}

function message<T>(w: Worker, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    w.on('message', (m: { type: string; value: T }) => {
      if (m.type === type) resolve(m.value);
    });
    w.on('error', reject);
  });
}

describe('process-wide filesystem lock', () => {
  it('threads exclude each other: no update of a shared counter is lost', async () => {
    const counter = new SharedArrayBuffer(8);
    const ROUNDS = 20_000;
    // A read-modify-write that yields in the middle, so unlocked threads would interleave.
    const body = `
      const c = new Int32Array(workerData.counter);
      for (let i = 0; i < workerData.rounds; i++) {
        underFsLock(() => { const v = c[0]; for (let k = 0; k < 50; k++) Atomics.load(c, 1); c[0] = v + 1; });
      }
      parentPort.postMessage({ type: 'done' });`;
    const workers = [worker(body, { counter, rounds: ROUNDS }), worker(body, { counter, rounds: ROUNDS })];
    const c = new Int32Array(counter);
    for (let i = 0; i < ROUNDS; i++) {
      underFsLock(() => {
        const v = c[0]!;
        for (let k = 0; k < 50; k++) Atomics.load(c, 1);
        c[0] = v + 1;
      });
    }
    await Promise.all(workers.map((w) => message(w, 'done')));
    await Promise.all(workers.map((w) => w.terminate()));
    expect(c[0]).toBe(3 * ROUNDS);
  }, 60_000);

  it('a holder terminated mid-operation is taken over: the next thread gets the lock, bounded', async () => {
    const holder = worker(`underFsLock(() => { parentPort.postMessage({ type: 'held' }); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); });`, null);
    await message(holder, 'held');
    await holder.terminate();
    // Another thread (not this one: the wait must not block the test runner) waits for it.
    const waiter = worker(`const t = Date.now(); const v = underFsLock(() => 42); parentPort.postMessage({ type: 'got', value: { v, ms: Date.now() - t } });`, null);
    const got = await message<{ v: number; ms: number }>(waiter, 'got');
    await waiter.terminate();
    expect(got.v).toBe(42);
    // And it is free again afterwards, here too.
    expect(underFsLock(() => 'again')).toBe('again');
  }, 60_000);

  it('re-entrant on one thread', () => {
    expect(underFsLock(() => underFsLock(() => 7))).toBe(7);
  });
});
