/**
 * Waiting for a worker to load its plugin. The plugin's start code (a core
 * start function, a component's start) may call host functions before the
 * load completes: those requests are served here, so a host call is never
 * taken for the end of the load, and the whole start stays within one
 * `startMs` bound however many host calls it makes.
 */
import { State, type Channel, type LivenessProbe, type StartWaitResult } from './channel.js';
import { UNSETTLED, type HostCallServer } from './host-call-server.js';

/** What host functions' failures name as the caller while the plugin starts. */
const DURING_START = 'its start';

/** Blocks until the worker is READY or its start ended otherwise, serving the start's host calls (sync functions only). */
export function waitForLoad(channel: Channel, server: HostCallServer, queueMs: number, startMs: number, probe?: LivenessProbe): StartWaitResult {
  let state: number = State.IDLE;
  let end = Infinity;
  for (;;) {
    const waited = channel.waitForStart(performance.now() + queueMs, Math.max(0, Math.min(startMs, end - performance.now())), probe, state);
    if (waited !== 'changed' || channel.state !== State.HOST_CALL) return waited;
    if (end === Infinity) end = performance.now() + startMs;
    server.serve(channel, DURING_START);
    state = State.HOST_DONE;
  }
}

/** waitForLoad without blocking the host thread; the start's async host functions are awaited within the start's bound. */
export async function waitForLoadAsync(channel: Channel, server: HostCallServer, queueMs: number, startMs: number): Promise<StartWaitResult> {
  let state: number = State.IDLE;
  let end = Infinity;
  for (;;) {
    const waited = await channel.waitForStartAsync(performance.now() + queueMs, Math.max(0, Math.min(startMs, end - performance.now())), state);
    if (waited !== 'changed' || channel.state !== State.HOST_CALL) return waited;
    if (end === Infinity) end = performance.now() + startMs;
    if (await server.serveAsync(channel, DURING_START, end) === UNSETTLED) return 'timeout';
    state = State.HOST_DONE;
  }
}
