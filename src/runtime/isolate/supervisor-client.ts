/**
 * Host-thread handle of the supervisor thread (supervisor.ts): started on
 * first use, unref'd (it never keeps the process alive), replaced if it dies.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { SupervisorEvent, SupervisorRequest } from './supervisor.js';
import type { IsolatedInit } from './isolated-plugin.js';
import { Channel } from './channel.js';

export interface WorkerListener {
  readonly channel: Channel;
  onLog(level: string, message: string, plugin: string): void;
  onExit(reason: string): void;
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

function ensureSupervisor(): Worker {
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
      l.onExit(m.reason);
    }
  });
  const lost = (why: string) => {
    if (supervisor !== s) return;
    supervisor = null;
    // Its workers died with it: fail their calls (a blocked call also sees this through its deadline).
    for (const [id, l] of listeners) {
      listeners.delete(id);
      l.channel.markDead(`the isolation supervisor thread stopped (${why})`);
      l.onExit(l.channel.deathReason);
    }
  };
  s.on('error', (e) => lost(e.message));
  s.on('exit', (code) => lost(`exit code ${code}`));
  // After the listeners: adding a 'message' listener refs the worker again (measured: the process never exited).
  s.unref();
  supervisor = s;
  return s;
}

/** Starts a plugin worker under the supervisor; returns its id. */
export function spawnWorker(init: IsolatedInit, listener: WorkerListener, resourceLimits?: ResourceLimits): number {
  const id = nextId++;
  listeners.set(id, listener);
  const request: SupervisorRequest = { type: 'spawn', id, url: siblingUrl('worker.js').href, init, ...(resourceLimits ? { resourceLimits } : {}) };
  ensureSupervisor().postMessage(request);
  return id;
}

/** Asks the supervisor to terminate a worker; its listener's onExit follows. */
export function terminateWorker(id: number, reason: string): void {
  if (!listeners.has(id)) return;
  ensureSupervisor().postMessage({ type: 'terminate', id, reason } satisfies SupervisorRequest);
}
