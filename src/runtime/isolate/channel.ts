/**
 * A synchronous request/response channel between the host thread and a
 * plugin worker over a SharedArrayBuffer. The host blocks in Atomics.wait
 * (with the call's deadline as timeout), which is what lets isolation mode
 * stop a runaway plugin: on timeout the worker is terminated.
 *
 * Slot 0 holds the state, slot 1 the payload length; payloads are
 * v8-serialized (bigint, Uint8Array and plain objects survive).
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
  /** worker → host: the plugin is loaded (state starts IDLE, so the host can block on startup) */
  READY: 5,
  /** worker → host: loading failed; the payload is a failed CallOutcome */
  LOAD_FAILED: 6,
} as const;

const HEADER_BYTES = 16;
export const DEFAULT_CHANNEL_BYTES = 16 * 1024 * 1024;

export class Channel {
  readonly sab: SharedArrayBuffer;
  readonly ctrl: Int32Array;
  readonly data: Uint8Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(HEADER_BYTES + DEFAULT_CHANNEL_BYTES)) {
    this.sab = sab;
    this.ctrl = new Int32Array(sab, 0, 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
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

  /** Blocks while the state equals `state`; false on timeout. */
  waitWhile(state: number, timeoutMs = Infinity): boolean {
    const deadline = performance.now() + timeoutMs;
    while (Atomics.load(this.ctrl, 0) === state) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.ctrl, 0, state, Number.isFinite(left) ? left : undefined);
    }
    return true;
  }
}

/** What crosses the channel for a finished call. */
export type CallOutcome =
  | { ok: true; value: unknown; fuel?: number }
  | { ok: false; code: string; message: string; fuel?: number };
