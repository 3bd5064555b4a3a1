/**
 * Host-thread handle of the supervisor thread (supervisor.ts): started on
 * first use, unref'd (it never keeps the process alive), replaced if it dies.
 *
 * Its death is reported by its 'exit' event, which the host sees only when
 * its event loop runs: not while a call blocks it. So a wait that passes a
 * whole slice without news also asks whether the thread still runs
 * (probeSupervisor), and a spawn checks before posting to it.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { SupervisorEvent, SupervisorRequest } from './supervisor.js';
import type { IsolatedInit } from './options.js';
import { Channel } from './channel.js';

export interface WorkerListener {
  readonly channel: Channel;
  onLog(level: string, message: string, plugin: string): void;
  /**
   * The worker stopped. `supervisorLost`: with the supervisor thread, which
   * is no doing of the plugin's. Can run synchronously inside a wait of the
   * host's (from probeSupervisor).
   */
  onExit(reason: string, supervisorLost: boolean): void;
}

/** A compiled module next to this one (tests run from src/, workers always run from dist/). */
export function siblingUrl(file: string): URL {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts') ? here.replace(/\/src\//, '/dist/').replace(/\.ts$/, '.js') : here;
  return new URL(`./${file}`, `file://${js}`);
}

let supervisor: Worker | null = null;
let nextId = 1;
const listeners = new Map<number, WorkerListener>();

/**
 * Whether a thread has stopped, read synchronously: Node reports an idle
 * time of -1 for a worker whose thread is gone (terminated, crashed, out
 * of memory), from the moment it stops, before its 'exit' event is
 * delivered — provided the worker's loop start time was read while it ran
 * (primeLiveness); until then it reports zeros.
 */
function stopped(w: Worker): boolean {
  return w.performance.eventLoopUtilization().idle < 0;
}

/**
 * Reads the worker's loop start time once its loop runs (Node caches it in
 * the Worker object), so that `stopped` can tell later. Retried briefly:
 * 'online' may come before the loop starts.
 */
function primeLiveness(w: Worker, triesLeft = 50): void {
  const u = w.performance.eventLoopUtilization();
  if (u.idle !== 0 || u.active !== 0 || triesLeft === 0) return;
  setTimeout(() => primeLiveness(w, triesLeft - 1), 20).unref();
}

/** The supervisor is gone: every worker died with it; fail their channels and forget it. */
function lost(s: Worker, why: string): void {
  if (supervisor !== s) return;
  supervisor = null;
  // A snapshot, every channel failed before any listener runs: a listener may start a
  // replacement (under a new supervisor) at once.
  const gone = [...listeners.values()].map((l) => ({ l, diedFirst: l.channel.dead }));
  listeners.clear();
  // A worker the supervisor had already seen die keeps its own reason (and its fault).
  for (const { l } of gone) l.channel.markDead(`the isolation supervisor thread stopped (${why})`);
  for (const { l, diedFirst } of gone) l.onExit(l.channel.deathReason, !diedFirst);
}

/**
 * Notices a supervisor that stopped while the host could not see its exit
 * event (a LivenessProbe; cheap: it runs once per idle wait slice).
 */
export function probeSupervisor(): void {
  const s = supervisor;
  if (s !== null && stopped(s)) lost(s, 'its thread is gone');
}

function ensureSupervisor(): Worker {
  probeSupervisor();
  if (supervisor) return supervisor;
  // No inherited execArgv: the threads run witplug's own compiled code, and a flag of the app's
  // (e.g. --input-type with -e) can make a worker fail to start.
  const s = new Worker(siblingUrl('supervisor.js'), { execArgv: [] });
  s.on('message', (m: SupervisorEvent) => {
    const l = listeners.get(m.id);
    if (!l) return;
    if (m.type === 'log') l.onLog(m.level, m.message, m.plugin);
    else {
      listeners.delete(m.id);
      l.onExit(m.reason, false);
    }
  });
  s.once('online', () => primeLiveness(s));
  s.on('error', (e) => lost(s, e.message));
  s.on('exit', (code) => lost(s, `exit code ${code}`));
  // After the listeners: adding a 'message' listener refs the worker again (measured: the process never exited).
  s.unref();
  supervisor = s;
  return s;
}

export interface SpawnOptions {
  readonly resourceLimits: ResourceLimits | undefined;
  /** A replacement for a plugin in use: started before queued first starts. */
  readonly urgent: boolean;
  /** How long the worker may take to load once its start has begun. */
  readonly startupMs: number;
}

/** Queues a plugin worker's start with the supervisor; returns its id. */
export function spawnWorker(init: IsolatedInit, listener: WorkerListener, o: SpawnOptions): number {
  const id = nextId++;
  const s = ensureSupervisor();
  listeners.set(id, listener);
  const request: SupervisorRequest = {
    type: 'spawn', id, url: siblingUrl('../load/worker.js').href, init, urgent: o.urgent, startupMs: o.startupMs,
    ...(o.resourceLimits ? { resourceLimits: o.resourceLimits } : {}),
  };
  s.postMessage(request);
  return id;
}

/** Asks the supervisor to terminate a worker (or drop its queued start); its listener's onExit follows. */
export function terminateWorker(id: number, reason: string): void {
  if (!listeners.has(id)) return;
  ensureSupervisor().postMessage({ type: 'terminate', id, reason } satisfies SupervisorRequest);
}

/**
 * Internal, for tests: the supervisor thread, or null when none runs. A
 * test stops it (terminate(), or a message it cannot handle) the way a
 * fault would, to check that the host recovers.
 */
export function supervisorThreadForTests(): Worker | null {
  return supervisor;
}
