/**
 * Isolation mode, for plugins you trust least: the plugin runs in a worker
 * thread and the host blocks on a shared-memory channel with the call's
 * deadline. A deadline overrun terminates the worker (the only way to stop
 * wasm from outside in Node) and a fresh one is started for the next call.
 * Same call API and error codes as in-process plugins; ~tens of µs per call.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Channel, State, type CallOutcome } from './channel.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { HostImplementations, LogSink } from '../host-imports.js';
import type { Grant } from '../grant.js';

/** Serializable subset of PluginOptions that crosses into the worker. */
export interface IsolatedPluginOptions {
  readonly name: string;
  readonly config?: Readonly<Record<string, string>>;
  readonly grant?: Grant;
  /** Deadline per call in ms (default: none). */
  readonly timeoutMs?: number;
}

export interface IsolatedInit {
  readonly sab: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  readonly options: IsolatedPluginOptions;
  /** Interfaces → function names implemented on the host thread. */
  readonly hostFunctions: Record<string, string[]>;
}

/** The compiled worker entry (tests run from src/, the worker always runs from dist/). */
function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts') ? here.replace(/\/src\//, '/dist/').replace(/\.ts$/, '.js') : here;
  return new URL('./worker.js', `file://${js}`);
}

export class IsolatedPlugin {
  readonly name: string;
  #worker: Worker | null = null;
  #channel: Channel | null = null;
  readonly #bytes: Uint8Array;
  readonly #options: IsolatedPluginOptions;
  readonly #host: HostImplementations;
  readonly #log: LogSink | undefined;
  restarts = 0;

  private constructor(bytes: Uint8Array, options: IsolatedPluginOptions, host: HostImplementations, log?: LogSink) {
    this.name = options.name;
    this.#bytes = bytes;
    this.#options = options;
    this.#host = host;
    this.#log = log;
  }

  static async create(bytes: Uint8Array, options: IsolatedPluginOptions, host: HostImplementations = {}, log?: LogSink): Promise<IsolatedPlugin> {
    const p = new IsolatedPlugin(bytes, options, host, log);
    await p.#start();
    return p;
  }

  async #start(): Promise<void> {
    const channel = new Channel();
    const hostFunctions = Object.fromEntries(Object.entries(this.#host).map(([k, v]) => [k, Object.keys(v)]));
    const init: IsolatedInit = { sab: channel.sab, bytes: this.#bytes, options: this.#options, hostFunctions };
    const worker = new Worker(workerUrl(), { workerData: init });
    worker.unref();
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(new WitplugError(ErrorCodes.COMPILE, `isolated plugin ${this.name} failed to start: ${e.message}`, { cause: e }));
      worker.once('error', onError);
      worker.on('message', (m: { type: string; level?: string; message?: string; plugin?: string }) => {
        if (m.type === 'ready') {
          worker.off('error', onError);
          resolve();
        } else if (m.type === 'log' && this.#log) this.#log(m.level as never, m.message ?? '', m.plugin ?? this.name);
      });
    });
    this.#worker = worker;
    this.#channel = channel;
  }

  /** Calls `target` with witplug values; blocks the host thread until it returns or the deadline passes. */
  async call(target: string, args: readonly unknown[]): Promise<unknown> {
    if (!this.#channel) await this.#start();
    const channel = this.#channel!;
    const timeout = this.#options.timeoutMs ?? Infinity;
    const deadline = performance.now() + timeout;
    channel.write(State.CALL, { target, args: [...args] });
    for (;;) {
      const finished = channel.waitWhile(State.CALL, deadline - performance.now()) && channel.waitWhile(State.HOST_DONE, deadline - performance.now());
      if (!finished) {
        await this.#kill();
        throw new WitplugError(ErrorCodes.TIMEOUT, `plugin ${this.name} exceeded its ${timeout} ms deadline in ${target}; its worker was terminated`, { plugin: this.name, hook: target });
      }
      if (channel.state === State.HOST_CALL) {
        channel.write(State.HOST_DONE, this.#serveHostCall(channel.read() as { iface: string; fn: string; args: unknown[] }));
        continue;
      }
      const outcome = channel.read() as CallOutcome;
      Atomics.store(channel.ctrl, 0, State.IDLE);
      if (outcome.ok) return outcome.value;
      throw new WitplugError(outcome.code as WitplugError['code'], outcome.message, { plugin: this.name, hook: target });
    }
  }

  #serveHostCall({ iface, fn, args }: { iface: string; fn: string; args: unknown[] }): CallOutcome {
    try {
      const impl = this.#host[iface]?.[fn] as ((...a: unknown[]) => unknown) | undefined;
      if (!impl) throw new WitplugError(ErrorCodes.UNSUPPORTED, `host function ${iface}#${fn} is not provided`);
      return { ok: true, value: impl(...args) };
    } catch (e) {
      const err = e instanceof WitplugError ? e : new WitplugError(ErrorCodes.INTERNAL, String(e));
      return { ok: false, code: err.code, message: err.message };
    }
  }

  async #kill(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    this.#channel = null;
    this.restarts++;
    if (w) await w.terminate();
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    this.#channel = null;
    if (w) await w.terminate();
  }
}
