/**
 * Isolation mode, for plugins you trust least: the plugin runs in a worker
 * thread and the host blocks on a shared-memory channel with the call's
 * deadline. A deadline overrun terminates the worker (the only way to stop
 * code from outside in Node, whatever it is stuck in) and a fresh one is
 * started, synchronously, by the next call. Same call API (`call`, `fn`) and
 * error codes as in-process plugins.
 *
 * Fuel, memory and output caps are enforced inside the worker by the same
 * instrumentation as in-process; the deadline is enforced here, by the host
 * thread's wait. Failures count towards DISABLED on the host side, so a
 * plugin that keeps timing out is disabled like one that keeps trapping.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Channel, State, type CallOutcome } from './channel.js';
import { WitplugError, ErrorCodes, type ErrorCode } from '../../errors.js';
import type { ComponentShape } from '../../component/types.js';
import type { HostImplementations, LogSink } from '../host-imports.js';
import type { Grant, Limits } from '../grant.js';
import { PluginHealth, type HealthPolicy } from '../health.js';
import { resolveExport } from '../exports.js';

/** Serializable subset of PluginOptions that crosses into the worker. */
export interface IsolatedPluginOptions {
  readonly name: string;
  readonly config?: Readonly<Record<string, string>>;
  readonly grant?: Grant;
  /** Limits enforced in the worker (timeoutMs is not: the host enforces it). */
  readonly limits?: Limits;
}

export interface IsolatedInit {
  readonly sab: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  readonly options: IsolatedPluginOptions;
  /** Interfaces → function names implemented on the host thread. */
  readonly hostFunctions: Record<string, string[]>;
}

export interface IsolatedStartOptions {
  readonly name: string;
  readonly config?: Readonly<Record<string, string>>;
  readonly grant?: Grant;
  readonly limits?: Limits;
  readonly host?: HostImplementations;
  readonly log?: LogSink;
  readonly health?: Partial<HealthPolicy>;
}

/** How long a worker may take to load its plugin (first start compiles; later starts hit the cache). */
const STARTUP_MS = 60_000;

/** The compiled worker entry (tests run from src/, the worker always runs from dist/). */
function workerUrl(): URL {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts') ? here.replace(/\/src\//, '/dist/').replace(/\.ts$/, '.js') : here;
  return new URL('./worker.js', `file://${js}`);
}

export class IsolatedPlugin {
  readonly name: string;
  readonly shape: ComponentShape;
  #worker: Worker | null = null;
  #channel: Channel | null = null;
  /** A worker started ahead of need (after a termination), not yet known to be ready. */
  #pending: { worker: Worker; channel: Channel } | null = null;
  readonly #bytes: Uint8Array;
  readonly #options: IsolatedPluginOptions;
  readonly #timeoutMs: number;
  readonly #host: HostImplementations;
  readonly #log: LogSink | undefined;
  readonly #health: PluginHealth;
  /** Workers terminated after a deadline overrun. */
  restarts = 0;
  lastFuel: number | undefined;

  private constructor(bytes: Uint8Array, shape: ComponentShape, o: IsolatedStartOptions) {
    this.name = o.name;
    this.shape = shape;
    this.#bytes = bytes;
    const { timeoutMs, ...workerLimits } = o.limits ?? {};
    this.#timeoutMs = timeoutMs ?? Infinity;
    this.#options = {
      name: o.name,
      ...(o.config ? { config: o.config } : {}),
      ...(o.grant ? { grant: { ...o.grant, limits: {} } } : {}),
      limits: workerLimits,
    };
    this.#host = o.host ?? {};
    this.#log = o.log;
    this.#health = new PluginHealth(o.health);
  }

  /** Starts the worker and waits (blocking) until the plugin is loaded there. */
  static async start(bytes: Uint8Array, shape: ComponentShape, options: IsolatedStartOptions): Promise<IsolatedPlugin> {
    const p = new IsolatedPlugin(bytes, shape, options);
    p.#startSync();
    return p;
  }

  get disabledReason(): string | null {
    return this.#health.disabledReason;
  }

  /** Starts a worker without waiting for it: the replacement loads while the host does other work. */
  #spawn(): void {
    const channel = new Channel();
    const hostFunctions = Object.fromEntries(Object.entries(this.#host).map(([k, v]) => [k, Object.keys(v)]));
    const init: IsolatedInit = { sab: channel.sab, bytes: this.#bytes, options: this.#options, hostFunctions };
    const worker = new Worker(workerUrl(), { workerData: init });
    worker.unref();
    worker.on('message', (m: { type: string; level?: string; message?: string; plugin?: string }) => {
      if (m.type === 'log' && this.#log) this.#log(m.level as never, m.message ?? '', m.plugin ?? this.name);
    });
    worker.on('error', () => {
      // A crashed worker is noticed by the next call (its wait times out or the state is LOAD_FAILED).
    });
    this.#pending = { worker, channel };
  }

  /** Waits (blocking) until a worker has loaded the plugin. */
  #startSync(): void {
    if (!this.#pending) this.#spawn();
    const { worker, channel } = this.#pending!;
    this.#pending = null;
    // The worker reports through the channel, not postMessage, so the host can block on it.
    if (!channel.waitWhile(State.IDLE, STARTUP_MS)) {
      void worker.terminate();
      throw new WitplugError(ErrorCodes.COMPILE, `isolated plugin ${this.name} did not start within ${STARTUP_MS} ms`, { plugin: this.name });
    }
    if (channel.state === State.LOAD_FAILED) {
      const o = channel.read() as CallOutcome;
      void worker.terminate();
      throw new WitplugError((o.ok ? ErrorCodes.INTERNAL : o.code) as ErrorCode, o.ok ? 'worker failed' : o.message, { plugin: this.name });
    }
    Atomics.store(channel.ctrl, 0, State.IDLE);
    this.#worker = worker;
    this.#channel = channel;
  }

  /** Resolves `target` once and returns a function that calls it in the worker. */
  fn(target: string): (...args: unknown[]) => unknown {
    const resolved = resolveExport(this.shape, target).target;
    return (...args: unknown[]) => this.call(resolved, args);
  }

  /** Calls `target` with witplug values; blocks the host thread until it returns or the deadline passes. */
  call(target: string, args: readonly unknown[]): unknown {
    if (this.#closed) throw new WitplugError(ErrorCodes.CLOSED, `plugin ${this.name} is closed; load it again to call it`, { plugin: this.name, hook: target });
    const disabled = this.#health.disabledReason;
    if (disabled !== null) {
      throw new WitplugError(ErrorCodes.DISABLED, `plugin ${this.name} is disabled (${disabled}); reload it to enable it again`, { plugin: this.name, hook: target });
    }
    if (!this.#channel) this.#startSync();
    const channel = this.#channel!;
    const timeout = this.#timeoutMs;
    const deadline = performance.now() + timeout;
    channel.write(State.CALL, { target, args: [...args] });
    for (;;) {
      const finished = channel.waitWhile(State.CALL, deadline - performance.now()) && channel.waitWhile(State.HOST_DONE, deadline - performance.now());
      if (!finished) {
        this.#kill();
        throw this.#failed(new WitplugError(ErrorCodes.TIMEOUT, `plugin ${this.name} exceeded its ${timeout} ms deadline in ${target}; its worker was terminated`, { plugin: this.name, hook: target }));
      }
      if (channel.state === State.HOST_CALL) {
        channel.write(State.HOST_DONE, this.#serveHostCall(channel.read() as { iface: string; fn: string; args: unknown[] }));
        continue;
      }
      const outcome = channel.read() as CallOutcome;
      Atomics.store(channel.ctrl, 0, State.IDLE);
      this.lastFuel = outcome.fuel;
      if (outcome.ok) return outcome.value;
      throw this.#failed(new WitplugError(outcome.code as ErrorCode, outcome.message, { plugin: this.name, hook: target }));
    }
  }

  #failed(err: WitplugError): WitplugError {
    const counted = err.code !== ErrorCodes.USAGE && err.code !== ErrorCodes.NO_SUCH_FUNCTION && err.code !== ErrorCodes.TYPE_MISMATCH;
    if (counted && this.#health.recordTrap()) err.message += ` (plugin ${this.name} is now disabled: ${this.#health.disabledReason})`;
    return err;
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

  #kill(): void {
    const w = this.#worker;
    this.#worker = null;
    this.#channel = null;
    this.restarts++;
    // terminate() stops the thread even inside a wasm loop; no need to wait for it.
    if (w) void w.terminate();
    this.#spawn();
  }

  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Terminates the worker (and a pending replacement); idempotent. Later calls fail with CLOSED instead of starting a new worker. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = [this.#worker, this.#pending?.worker];
    this.#worker = null;
    this.#channel = null;
    this.#pending = null;
    await Promise.all(workers.map((w) => w?.terminate()));
  }
}
