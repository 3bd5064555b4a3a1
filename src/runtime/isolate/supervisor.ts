/**
 * The supervisor thread of isolation mode: one per process, parent of every
 * plugin worker. The host thread is blocked in Atomics.wait during a call
 * and cannot receive a worker's 'error'/'exit' events; this thread's event
 * loop is always free, so it receives them, writes the reason into the
 * worker's channel, raises the dead flag and wakes the host at once
 * (docs/decisions.md, "Isolation mode never hangs the host").
 *
 * Messages from the host: spawn {id, url, init, resourceLimits}, terminate {id}.
 * Messages to the host: log {id, …} (forwarded from the worker), exit {id, reason}.
 */
import { parentPort, Worker, type ResourceLimits } from 'node:worker_threads';
import { Channel } from './channel.js';
import type { IsolatedInit } from './isolated-plugin.js';

export type SupervisorRequest =
  | { type: 'spawn'; id: number; url: string; init: IsolatedInit; resourceLimits?: ResourceLimits }
  | { type: 'terminate'; id: number; reason: string };

export type SupervisorEvent =
  | { type: 'log'; id: number; level: string; message: string; plugin: string }
  | { type: 'exit'; id: number; reason: string };

const port = parentPort!;
const workers = new Map<number, { worker: Worker; reason: string | null }>();

function died(id: number, channel: Channel, reason: string): void {
  workers.delete(id);
  channel.markDead(reason);
  port.postMessage({ type: 'exit', id, reason } satisfies SupervisorEvent);
}

port.on('message', (m: SupervisorRequest) => {
  if (m.type === 'terminate') {
    const w = workers.get(m.id);
    if (w) {
      w.reason ??= m.reason;
      void w.worker.terminate();
    }
    return;
  }
  const channel = new Channel(m.init.sab);
  let worker: Worker;
  try {
    worker = new Worker(new URL(m.url), { workerData: m.init, ...(m.resourceLimits ? { resourceLimits: m.resourceLimits } : {}) });
  } catch (e) {
    died(m.id, channel, `the worker could not be started: ${(e as Error).message}`);
    return;
  }
  const entry = { worker, reason: null as string | null };
  workers.set(m.id, entry);
  worker.on('message', (msg: { type: string }) => {
    if (msg.type === 'log') port.postMessage({ ...msg, id: m.id });
  });
  // 'error' comes before 'exit' and carries the cause (ERR_WORKER_OUT_OF_MEMORY, an uncaught exception).
  worker.on('error', (e: Error & { code?: string }) => {
    entry.reason ??= e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it ran out of memory (${e.message})` : `it crashed: ${e.code ? `${e.code}: ` : ''}${e.message}`;
  });
  worker.on('exit', (code) => died(m.id, channel, entry.reason ?? `it exited with code ${code}`));
});
