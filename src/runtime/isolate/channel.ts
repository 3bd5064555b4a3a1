/**
 * A synchronous request/response channel between the host thread and a
 * plugin worker over a SharedArrayBuffer. The host blocks in Atomics.wait,
 * in bounded slices: the call's deadline bounds the whole wait, and the
 * supervisor thread (supervisor.ts) raises the `dead` flag and wakes the
 * host when the worker stops, so a dead worker is noticed at once.
 *
 * ctrl: [0] state, [1] payload length, [2] dead flag (set once, by the
 * supervisor), [3] length of the death reason, [4] begun flag (set once, by
 * the supervisor, when it actually starts the worker: starts are queued).
 * The reason (UTF-8) has its own area, so writing it never races with a
 * payload being read. Payloads are v8-serialized (bigint, Uint8Array and
 * plain objects survive).
 */
import { serialize, deserialize } from 'node:v8';
import { WitplugError, ErrorCodes } from '../../errors.js';

export const State = {
  IDLE: 0,
  /** host → worker: call a plugin function */
  CALL: 1,
  /** worker → host: the call finished */
  DONE: 2,
  /** worker → host: the plugin called a host function */
  HOST_CALL: 3,
  /** host → worker: the host function returned */
  HOST_DONE: 4,
  /** worker → host: the plugin is loaded (state starts IDLE, so the host can wait for it) */
  READY: 5,
  /** worker → host: loading failed; the payload is a failed CallOutcome */
  LOAD_FAILED: 6,
} as const;

const HEADER_BYTES = 32;
const REASON_BYTES = 1024;
export const DEFAULT_CHANNEL_BYTES = 16 * 1024 * 1024;
/**
 * Longest single Atomics.wait on the host thread. The supervisor's notify
 * normally ends a wait on death at once; the slice is the backstop should
 * that wake-up be missed.
 */
const SLICE_MS = 100;

/** Atomics.waitAsync (Node ≥ 16; not in this project's TS lib). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

export type WaitResult = 'changed' | 'timeout' | 'dead';
/** 'queued': the worker's start never began within the queue bound. */
export type StartWaitResult = WaitResult | 'queued';

/**
 * Called on the host thread when a wait slice passes without news: it marks
 * the channels of a supervisor that died dead (the host's event loop, which
 * would report the supervisor's exit, is blocked by the wait itself).
 */
export type LivenessProbe = () => void;

/** Where a start stands: its result, or how long to sleep before looking again. */
type StartStep = { done: StartWaitResult } | { sleep: number };

export class Channel {
  readonly sab: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly data: Uint8Array;
  readonly #reason: Uint8Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(HEADER_BYTES + REASON_BYTES + DEFAULT_CHANNEL_BYTES)) {
    this.sab = sab;
    this.ctrl = new Int32Array(sab, 0, 5);
    this.#reason = new Uint8Array(sab, HEADER_BYTES, REASON_BYTES);
    this.data = new Uint8Array(sab, HEADER_BYTES + REASON_BYTES);
  }

  get state(): number {
    return Atomics.load(this.ctrl, 0);
  }

  write(state: number, value: unknown): void {
    const bytes = serialize(value);
    if (bytes.length > this.data.length) {
      throw new WitplugError(ErrorCodes.OUTPUT_LIMIT, `isolated call payload of ${bytes.length} bytes exceeds the ${this.data.length}-byte channel`);
    }
    this.data.set(bytes);
    Atomics.store(this.ctrl, 1, bytes.length);
    Atomics.store(this.ctrl, 0, state);
    Atomics.notify(this.ctrl, 0);
  }

  read(): unknown {
    const len = Atomics.load(this.ctrl, 1);
    return deserialize(this.data.slice(0, len));
  }

  /** The worker's side: blocks while the state equals `state` (the host bounds it by terminating the worker). */
  waitWhile(state: number): void {
    while (Atomics.load(this.ctrl, 0) === state) Atomics.wait(this.ctrl, 0, state);
  }

  /**
   * The host's side: waits while the state equals `state`, until the
   * `deadline` (performance.now() time) or the worker's death. A state
   * change wins over death: a result written before the worker died is good.
   * `probe` runs only when a whole slice passed without news (a call that
   * answers within a slice never runs it).
   */
  waitWhileAlive(state: number, deadline: number, probe?: LivenessProbe): WaitResult {
    for (;;) {
      if (Atomics.load(this.ctrl, 0) !== state) return 'changed';
      if (this.dead) return 'dead';
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      if (Atomics.wait(this.ctrl, 0, state, Math.min(left, SLICE_MS)) === 'timed-out') probe?.();
    }
  }

  /** waitWhileAlive without blocking the thread (the host's event loop keeps running; a death notifies this wait too). */
  async waitWhileAliveAsync(state: number, deadline: number): Promise<WaitResult> {
    for (;;) {
      if (Atomics.load(this.ctrl, 0) !== state) return 'changed';
      if (this.dead) return 'dead';
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      const w = waitAsync(this.ctrl, 0, state, Math.min(left, SLICE_MS));
      if (w.async) await w.value;
    }
  }

  /**
   * The host's side of a start: waits until the worker leaves `state` (IDLE;
   * HOST_DONE after serving a host call the plugin's start made) for READY,
   * LOAD_FAILED or a host call, or dies. The start may first wait in the
   * supervisor's queue (at most until `queueDeadline`); `startMs` counts from
   * when it began.
   */
  waitForStart(queueDeadline: number, startMs: number, probe?: LivenessProbe, state: number = State.IDLE): StartWaitResult {
    const start = { deadline: queueDeadline, begun: false };
    for (;;) {
      const step = this.#startStep(start, startMs, state);
      if ('done' in step) return step.done;
      if (Atomics.wait(this.ctrl, 0, state, step.sleep) === 'timed-out') probe?.();
    }
  }

  /** waitForStart without blocking the thread (the host's event loop keeps running). */
  async waitForStartAsync(queueDeadline: number, startMs: number, state: number = State.IDLE): Promise<StartWaitResult> {
    const start = { deadline: queueDeadline, begun: false };
    for (;;) {
      const step = this.#startStep(start, startMs, state);
      if ('done' in step) return step.done;
      const w = waitAsync(this.ctrl, 0, state, step.sleep);
      if (w.async) await w.value;
    }
  }

  #startStep(start: { deadline: number; begun: boolean }, startMs: number, state: number): StartStep {
    if (Atomics.load(this.ctrl, 0) !== state) return { done: 'changed' };
    if (this.dead) return { done: 'dead' };
    if (!start.begun && this.begun) {
      start.begun = true;
      start.deadline = performance.now() + startMs;
    }
    const left = start.deadline - performance.now();
    if (left <= 0) return { done: start.begun ? 'timeout' : 'queued' };
    return { sleep: Math.min(left, SLICE_MS) };
  }

  get dead(): boolean {
    return Atomics.load(this.ctrl, 2) !== 0;
  }

  /** Whether the supervisor has started the worker (it may wait in the start queue first). */
  get begun(): boolean {
    return Atomics.load(this.ctrl, 4) !== 0;
  }

  /** Records that the worker's start has begun and wakes whoever waits for it (called by the supervisor). */
  markBegun(): void {
    Atomics.store(this.ctrl, 4, 1);
    Atomics.notify(this.ctrl, 0);
  }

  /** Why the worker stopped (empty until `dead`). */
  get deathReason(): string {
    return new TextDecoder().decode(this.#reason.slice(0, Atomics.load(this.ctrl, 3)));
  }

  /** Records the worker's death and wakes whoever waits on the channel (called by the supervisor, or the host if the supervisor is gone). */
  markDead(reason: string): void {
    if (this.dead) return;
    const bytes = new TextEncoder().encode(reason);
    const len = Math.min(bytes.length, this.#reason.length);
    this.#reason.set(bytes.subarray(0, len));
    Atomics.store(this.ctrl, 3, len);
    Atomics.store(this.ctrl, 2, 1);
    Atomics.notify(this.ctrl, 0);
  }
}

/** What crosses the channel for a finished call. */
export type CallOutcome =
  | { ok: true; value: unknown; fuel?: number }
  | { ok: false; code: string; message: string; fuel?: number; stderr?: string };
