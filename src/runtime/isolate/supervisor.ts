/**
 * The supervisor thread of isolation mode: one per process, parent of every
 * plugin worker. The host thread is blocked in Atomics.wait during a call
 * and cannot receive a worker's 'error'/'exit' events; this thread's event
 * loop is always free, so it receives them, writes the reason into the
 * worker's channel, raises the dead flag and wakes the host at once
 * (docs/decisions.md, "Isolation mode never hangs the host").
 *
 * It also queues worker starts: at most MAX_STARTING load at once (a start
 * is mostly CPU: a hundred at once on two cores starve each other past any
 * deadline), replacements of running plugins first. A start's deadline
 * counts from when it begins (Channel.markBegun), and this thread bounds
 * each start itself, so a start nobody waits for cannot hold the queue.
 *
 * Messages from the host: spawn {id, url, init, resourceLimits, urgent, startupMs}, terminate {id}.
 * Messages to the host: log {id, …} (forwarded from the worker), exit {id, reason}.
 * Messages from a worker: log {…}, loaded (READY or LOAD_FAILED is in its channel).
 */
import { availableParallelism } from 'node:os';
import { parentPort, Worker, type ResourceLimits } from 'node:worker_threads';
import { Channel } from './channel.js';
import type { IsolatedInit } from './options.js';

export interface SpawnRequest {
  readonly type: 'spawn';
  readonly id: number;
  readonly url: string;
  readonly init: IsolatedInit;
  readonly resourceLimits?: ResourceLimits;
  /** A replacement for a plugin in use: it goes to the front of the start queue. */
  readonly urgent: boolean;
  /** How long the worker may take to load once its start has begun. */
  readonly startupMs: number;
}

export type SupervisorRequest =
  | SpawnRequest
  | { type: 'terminate'; id: number; reason: string };

export type SupervisorEvent =
  | { type: 'log'; id: number; level: string; message: string; plugin: string }
  | { type: 'exit'; id: number; reason: string };

/** Worker starts running at once: enough to keep the cores busy, few enough that none starves. */
export const MAX_STARTING = Math.max(2, Math.min(4, availableParallelism()));
/** Starts that may wait for their turn; beyond that a start is refused at once (it would wait too long anyway). */
export const MAX_QUEUED = 1_000;
/**
 * This thread's own start bound runs this much past the host's, so that a
 * start the host waits for ends by the host's deadline (and its message);
 * this one only catches starts nobody waits for.
 */
const START_GRACE_MS = 5_000;

const port = parentPort!;

interface Entry {
  readonly worker: Worker;
  reason: string | null;
  /** Pending until the worker reports it has loaded (or failed to). */
  startTimer: ReturnType<typeof setTimeout> | null;
}
const workers = new Map<number, Entry>();
const queue: SpawnRequest[] = [];
let starting = 0;

function died(id: number, channel: Channel, reason: string): void {
  workers.delete(id);
  channel.markDead(reason);
  port.postMessage({ type: 'exit', id, reason } satisfies SupervisorEvent);
}

/** A start is over (loaded, failed or the worker exited): the next queued one may begin. */
function startEnded(entry: Entry): void {
  if (entry.startTimer === null) return;
  clearTimeout(entry.startTimer);
  entry.startTimer = null;
  starting--;
  pump();
}

function pump(): void {
  while (starting < MAX_STARTING && queue.length > 0) begin(queue.shift()!);
}

function begin(m: SpawnRequest): void {
  const channel = new Channel(m.init.sab);
  channel.markBegun();
  let worker: Worker;
  try {
    worker = new Worker(new URL(m.url), { workerData: m.init, ...(m.resourceLimits ? { resourceLimits: m.resourceLimits } : {}) });
  } catch (e) {
    died(m.id, channel, `the worker could not be started: ${(e as Error).message}`);
    return;
  }
  starting++;
  const entry: Entry = { worker, reason: null, startTimer: null };
  entry.startTimer = setTimeout(() => {
    entry.reason ??= `it did not load the plugin within ${m.startupMs} ms`;
    void worker.terminate();
  }, m.startupMs + START_GRACE_MS);
  workers.set(m.id, entry);
  worker.on('message', (msg: { type: string }) => {
    if (msg.type === 'log') port.postMessage({ ...msg, id: m.id });
    else if (msg.type === 'loaded') startEnded(entry);
  });
  // 'error' comes before 'exit' and carries the cause (ERR_WORKER_OUT_OF_MEMORY, an uncaught exception).
  worker.on('error', (e: Error & { code?: string }) => {
    entry.reason ??= e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it ran out of memory (${e.message})` : `it crashed: ${e.code ? `${e.code}: ` : ''}${e.message}`;
  });
  worker.on('exit', (code) => {
    startEnded(entry);
    died(m.id, channel, entry.reason ?? `it exited with code ${code}`);
  });
}

port.on('message', (m: SupervisorRequest) => {
  if (m.type === 'terminate') {
    const w = workers.get(m.id);
    if (w) {
      w.reason ??= m.reason;
      void w.worker.terminate();
      return;
    }
    const queued = queue.findIndex((q) => q.id === m.id);
    if (queued >= 0) died(m.id, new Channel(queue.splice(queued, 1)[0]!.init.sab), m.reason);
    return;
  }
  if (queue.length >= MAX_QUEUED) {
    died(m.id, new Channel(m.init.sab), `${MAX_QUEUED} isolated workers were already waiting to start`);
    return;
  }
  if (m.urgent) queue.unshift(m);
  else queue.push(m);
  pump();
});
