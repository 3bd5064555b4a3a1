/**
 * Isolation mode, for plugins you trust least: the plugin runs in a worker
 * thread and the host blocks on a shared-memory channel. Same call API
 * (`call`, `fn`) and error codes as in-process plugins, plus WORKER_EXIT.
 *
 * No call waits without bound: every call has a deadline (default
 * DEFAULT_ISOLATED_TIMEOUT_MS) and a worker that stops (out of memory,
 * terminated, crashed) fails the pending call at once, through the
 * supervisor thread (supervisor.ts) which sees the worker's exit while this
 * thread is blocked. A deadline overrun terminates the worker (the only way
 * to stop code from outside in Node, whatever it is stuck in); a replacement
 * is started at once and serves the next call.
 *
 * Fuel, memory and output caps are enforced inside the worker by the same
 * instrumentation as in-process; the worker's JS heap is capped from
 * `maxMemoryMb` (resourceLimits). Failures count towards DISABLED on the
 * host side, so a plugin that keeps timing out is disabled like one that keeps trapping.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { Channel, State, type CallOutcome, type StartWaitResult, type WaitResult } from './channel.js';
import { HostCallServer, UNSETTLED } from './host-call-server.js';
import { waitForLoad, waitForLoadAsync } from './start-wait.js';
import type { HostCaller } from '../capabilities/host-caller.js';
import type { PluginInstance } from '../instance/surface.js';
import { probeSupervisor, spawnWorker, terminateWorker } from './supervisor-client.js';
import { unsendableArguments } from './unsendable.js';
import { WitplugError, ErrorCodes, type ErrorCode } from '../../errors.js';
import type { ComponentShape } from '../../component/types.js';
import type { LogLevel, LogSink } from '../capabilities/host-imports.js';
import { PluginHealth } from '../limits/health.js';
import { resolveExport } from '../link/exports.js';
import { effectiveTimeoutMs, resolveLimits, workerBackstopMs } from '../limits/resolve-limits.js';
import { defaultCacheDir } from '../../compile/cache.js';
import type { IsolatedInit, IsolatedStartOptions } from './options.js';
import {
  EXIT_MS, KEEP_ALIVE_MS, NOT_COUNTED, STARTUP_MS, START_QUEUE_MS, ignore, keptAlive, workerResourceLimits,
} from './bounds.js';

export type { IsolatedInit, IsolatedPluginOptions, IsolatedStartOptions } from './options.js';

export { DEFAULT_ISOLATED_TIMEOUT_MS, START_QUEUE_MS, WORKER_HEAP_HEADROOM_MB, workerResourceLimits } from './bounds.js';

/** One worker: its channel, supervisor id, and whether it has loaded the plugin. */
interface Slot {
  id: number;
  readonly channel: Channel;
  ready: boolean;
  /** Set when the host itself stopped it (deadline, terminateWorker, close): not the plugin's fault. */
  stoppedByHost: string | null;
  /** Set when it died with the supervisor thread: not the plugin's fault either. */
  supervisorLost: boolean;
  /** Resolves once the worker has exited. */
  readonly exited: Promise<string>;
}

export class IsolatedPlugin implements PluginInstance {
  readonly name: string;
  readonly shape: ComponentShape;
  /** The call deadline in ms (the given `timeoutMs`, or DEFAULT_ISOLATED_TIMEOUT_MS; Infinity for 0: none). */
  readonly timeoutMs: number;
  /** The worker's resourceLimits (undefined: Node's defaults). */
  readonly resourceLimits: ResourceLimits | undefined;
  #slot: Slot | null = null;
  readonly #init: Omit<IsolatedInit, 'sab'>;
  readonly #server: HostCallServer;
  /** Imported host functions declared async: only `callAsync` can serve them. */
  readonly #asyncImports: readonly string[];
  /** The running call's deadline (performance.now() time). */
  #deadline = 0;
  /** The last queued `callAsync` (they run one at a time). */
  #queue: Promise<void> = Promise.resolve();
  /** What host functions see as `currentCaller()`; its `context` is the host's to fill. */
  readonly caller: HostCaller;
  readonly #log: LogSink | undefined;
  readonly #health: PluginHealth;
  /** The target of the call in progress (a host function calling back in is refused). */
  #running: string | null = null;
  #closed = false;
  /** Call targets as given → resolved `iface#func` (errors and the worker see the full name). */
  readonly #targets = new Map<string, string>();
  /** Workers replaced (deadline overrun, worker exit). */
  restarts = 0;
  lastFuel: number | undefined;
  /** Why the last worker stopped, when it stopped on its own or was stopped by the host. */
  lastExitReason: string | null = null;

  private constructor(bytes: Uint8Array, shape: ComponentShape, o: IsolatedStartOptions) {
    this.name = o.name;
    this.shape = shape;
    const { timeoutMs, ...workerLimits } = o.limits ?? {};
    resolveLimits(o.limits); // USAGE for a bad limit here, before any thread starts
    this.timeoutMs = effectiveTimeoutMs(timeoutMs) ?? Infinity;
    this.resourceLimits = workerResourceLimits(workerLimits);
    const host = o.host ?? {};
    this.#init = {
      bytes,
      options: {
        name: o.name,
        ...(o.config ? { config: o.config } : {}),
        ...(o.grant ? { grant: { ...o.grant, limits: {} } } : {}),
        limits: { ...workerLimits, timeoutMs: workerBackstopMs(this.timeoutMs) },
        ...(o.warmUp === false ? { warmUp: false } : {}),
      },
      hostFunctions: Object.fromEntries(Object.entries(host).map(([k, v]) => [k, Object.keys(v)])),
      cacheDir: o.cache === undefined ? defaultCacheDir() : o.cache === null ? null : o.cache.dir,
    };
    this.caller = o.caller ?? { name: o.name, version: null, context: {} };
    this.#server = new HostCallServer(host, this.caller);
    this.#asyncImports = o.asyncImports ?? [];
    this.#log = o.log;
    this.#health = new PluginHealth(o.health);
  }

  /** Starts the worker and waits, without blocking the event loop, until it has loaded the plugin. */
  static async start(bytes: Uint8Array, shape: ComponentShape, options: IsolatedStartOptions): Promise<IsolatedPlugin> {
    const p = new IsolatedPlugin(bytes, shape, options);
    // A start the supervisor thread's death cut short is no doing of the plugin's: it is tried once more, under a new supervisor.
    for (let tries = 2; ; tries--) {
      const slot = p.#spawn(false);
      const waited = await keptAlive(waitForLoadAsync(slot.channel, p.#server, START_QUEUE_MS, STARTUP_MS), START_QUEUE_MS + STARTUP_MS + 1_000);
      if (waited === 'dead' && slot.supervisorLost && tries > 1) continue;
      p.#loaded(slot, waited ?? 'timeout', false);
      return p;
    }
  }

  get disabledReason(): string | null {
    return this.#health.disabledReason;
  }

  /**
   * Starts a worker without waiting for it: a replacement loads while the
   * host does other work. `urgent`: it replaces the worker of a plugin in
   * use, so it is started before queued first starts.
   */
  #spawn(urgent: boolean): Slot {
    const channel = new Channel();
    let exited!: (reason: string) => void;
    const slot: Slot = { id: 0, channel, ready: false, stoppedByHost: null, supervisorLost: false, exited: new Promise((r) => (exited = r)) };
    const id = spawnWorker({ ...this.#init, sab: channel.sab }, {
      channel,
      onLog: (level, message, plugin) => this.#log?.(level as LogLevel, message, plugin),
      onExit: (reason, supervisorLost) => {
        exited(reason);
        if (supervisorLost) slot.supervisorLost = true;
        // Between calls nobody is waiting on the channel: record, report and replace the worker here.
        // (A worker that had not loaded yet is handled by whoever waits for it, and so is one a call
        // is waiting on: this runs inside that wait when the supervisor's loss is noticed there.)
        if (this.#slot !== slot || !slot.ready || this.#running !== null) return;
        this.#lost(slot);
        if (slot.stoppedByHost === null) this.#log?.('warn', `isolated worker stopped between calls: ${reason}; a new one was started`, this.name);
        this.#replace();
      },
    }, { resourceLimits: this.resourceLimits, urgent, startupMs: STARTUP_MS });
    slot.id = id;
    this.#slot = slot;
    return slot;
  }

  /** Starts the next worker ahead of need (it loads while the host does other work), unless the plugin was closed. */
  #replace(): void {
    if (!this.#closed) this.#spawn(true);
  }

  /**
   * Handles the end of a wait for READY: the slot is ready, or this throws
   * why not (and the worker is gone). `count`: a failure that is the
   * plugin's counts towards DISABLED (a replacement that a call waited for;
   * a first start that fails just fails).
   */
  #loaded(slot: Slot, waited: StartWaitResult, count: boolean): void {
    const channel = slot.channel;
    if (waited === 'changed' && channel.state === State.READY) {
      Atomics.compareExchange(channel.ctrl, 0, State.READY, State.IDLE);
      slot.ready = true;
      return;
    }
    // A start that never began, or a worker the host or the supervisor's death stopped, is not the plugin's doing.
    const excused = waited === 'queued' || !channel.begun || slot.stoppedByHost !== null || slot.supervisorLost;
    this.#stop(slot, 'it did not load the plugin');
    let err: WitplugError;
    if (waited === 'timeout') {
      err = new WitplugError(ErrorCodes.COMPILE, `isolated plugin ${this.name} did not start within ${STARTUP_MS} ms`, { plugin: this.name });
    } else if (waited === 'queued') {
      err = new WitplugError(ErrorCodes.WORKER_EXIT, `isolated plugin ${this.name} did not start: its worker waited ${START_QUEUE_MS} ms for its turn behind other starts`, { plugin: this.name });
    } else if (waited === 'dead') {
      const what = channel.begun ? 'stopped while loading it' : 'could not start';
      err = new WitplugError(ErrorCodes.WORKER_EXIT, `the worker of isolated plugin ${this.name} ${what}: ${channel.deathReason}`, { plugin: this.name });
    } else {
      const o = channel.read() as CallOutcome;
      err = new WitplugError((o.ok ? ErrorCodes.INTERNAL : o.code) as ErrorCode, o.ok ? 'worker failed' : o.message, { plugin: this.name });
    }
    throw count && !excused ? this.#failed(err) : err;
  }

  /** Resolves `target` once and returns a function that calls it in the worker. */
  fn(target: string): (...args: unknown[]) => unknown {
    const resolved = resolveExport(this.shape, target).target;
    return (...args: unknown[]) => this.call(resolved, args);
  }

  /** Resolves `target` once and returns a function that calls it with `callAsync`. */
  fnAsync(target: string): (...args: unknown[]) => Promise<unknown> {
    const resolved = resolveExport(this.shape, target).target;
    return (...args: unknown[]) => this.callAsync(resolved, args);
  }

  /** Calls `target` with witplug values; blocks the host thread until it returns, the deadline passes or the worker stops. */
  call(target: string, args: readonly unknown[]): unknown {
    const resolved = this.#enter(target);
    if (this.#asyncImports.length > 0) {
      throw new WitplugError(ErrorCodes.USAGE, `${resolved}: plugin ${this.name} imports asynchronous host functions (${this.#asyncImports.join(', ')}); call it with callAsync or fnAsync`, { plugin: this.name, hook: resolved });
    }
    this.#running = resolved;
    try {
      const slot = this.#readySlot();
      let waitingOn = this.#send(slot, resolved, args);
      for (;;) {
        const done = this.#settle(slot, slot.channel.waitWhileAlive(waitingOn, this.#deadline, probeSupervisor), resolved);
        if ('value' in done) return done.value;
        this.#server.serve(slot.channel, resolved);
        waitingOn = State.HOST_DONE;
      }
    } finally {
      this.#running = null;
    }
  }

  /**
   * Calls `target` without blocking the host thread (the wait is
   * Atomics.waitAsync): same values and errors as `call`. Host functions may
   * be async. Calls to one plugin run one at a time, in order.
   */
  callAsync(target: string, args: readonly unknown[]): Promise<unknown> {
    const run = this.#queue.then(() => this.#callNow(target, args));
    this.#queue = run.then(ignore, ignore);
    return run;
  }

  async #callNow(target: string, args: readonly unknown[]): Promise<unknown> {
    const resolved = this.#enter(target);
    this.#running = resolved;
    // Neither Atomics.waitAsync nor the unref'd supervisor keeps the process alive while the call runs (nor may a deadline of Infinity).
    const alive = setInterval(ignore, Math.min(this.timeoutMs + 1_000, KEEP_ALIVE_MS));
    try {
      const slot = this.#slot?.ready === true && !this.#slot.channel.dead ? this.#slot : await this.#readySlotAsync();
      let waitingOn = this.#send(slot, resolved, args);
      for (;;) {
        const done = this.#settle(slot, await slot.channel.waitWhileAliveAsync(waitingOn, this.#deadline), resolved);
        if ('value' in done) return done.value;
        if (await this.#server.serveAsync(slot.channel, resolved, this.#deadline) === UNSETTLED) {
          const fn = this.#hostFunctionOf(slot);
          this.#stop(slot, `a host function it called (${fn}) did not settle within the ${this.timeoutMs} ms deadline of ${resolved}`);
          this.#replace();
          // The host's promise, not the plugin, ran out the deadline: not counted.
          throw new WitplugError(ErrorCodes.TIMEOUT, `host function ${fn} did not settle within plugin ${this.name}'s ${this.timeoutMs} ms deadline in ${resolved}; its worker was terminated`, { plugin: this.name, hook: resolved });
        }
        waitingOn = State.HOST_DONE;
      }
    } finally {
      clearInterval(alive);
      this.#running = null;
    }
  }

  /** The host function a worker is waiting on (its request is still in the channel). */
  #hostFunctionOf(slot: Slot): string {
    const { iface, fn } = slot.channel.read() as { iface: string; fn: string };
    return `${iface}#${fn}`;
  }

  /** Checks a call may start and resolves its target. */
  #enter(target: string): string {
    if (this.#closed) throw new WitplugError(ErrorCodes.CLOSED, `plugin ${this.name} is closed; load it again to call it`, { plugin: this.name, hook: target });
    const disabled = this.#health.disabledReason;
    if (disabled !== null) {
      throw new WitplugError(ErrorCodes.DISABLED, `plugin ${this.name} is disabled (${disabled}); reload it to enable it again`, { plugin: this.name, hook: target });
    }
    let resolved = this.#targets.get(target);
    if (resolved === undefined) {
      resolved = resolveExport(this.shape, target).target;
      this.#targets.set(target, resolved);
    }
    if (this.#running !== null) {
      // The host re-entered (its function runs inside our call), or called synchronously while an async call waits: refused, not counted.
      throw new WitplugError(ErrorCodes.REENTRANCE, `${resolved}: isolated plugin ${this.name} is already running a call (${this.#running}); a host function may not call back into the same plugin, and a call made while an async call is in flight must use callAsync`, { plugin: this.name, hook: resolved });
    }
    return resolved;
  }

  /** The current worker, once it has loaded the plugin (a replacement may still be loading: startup has its own bounds). */
  #readySlot(): Slot {
    const slot = this.#liveSlot();
    if (!slot.ready) this.#loaded(slot, waitForLoad(slot.channel, this.#server, START_QUEUE_MS, STARTUP_MS, probeSupervisor), true);
    return slot;
  }

  async #readySlotAsync(): Promise<Slot> {
    const slot = this.#liveSlot();
    if (!slot.ready) this.#loaded(slot, await waitForLoadAsync(slot.channel, this.#server, START_QUEUE_MS, STARTUP_MS), true);
    return slot;
  }

  #liveSlot(): Slot {
    const slot = this.#slot;
    if (slot !== null && !slot.channel.dead) return slot;
    if (slot) this.#lost(slot);
    return this.#spawn(true);
  }

  /** Sends the call (its deadline starts now: it covers the call, not a replacement's startup); returns the state to wait on. */
  #send(slot: Slot, target: string, args: readonly unknown[]): number {
    this.#deadline = performance.now() + this.timeoutMs;
    try {
      slot.channel.write(State.CALL, { target, args: [...args] });
    } catch (e) {
      // A value the structured clone cannot carry (a function, a symbol, a getter that throws): the caller's, as in-process.
      if (e instanceof WitplugError) throw e;
      throw unsendableArguments(resolveExport(this.shape, target).type, args, e, this.name, target);
    }
    return State.CALL;
  }

  /** What a wait on the running call ended with: its value, a host call to serve (`{}`), or the error it throws. */
  #settle(slot: Slot, waited: WaitResult, target: string): { value: unknown } | Record<string, never> {
    const channel = slot.channel;
    if (waited === 'timeout') {
      this.#stop(slot, `it exceeded the ${this.timeoutMs} ms deadline in ${target}`);
      this.#replace();
      throw this.#failed(new WitplugError(ErrorCodes.TIMEOUT, `plugin ${this.name} exceeded its ${this.timeoutMs} ms deadline in ${target}; its worker was terminated`, { plugin: this.name, hook: target }));
    }
    if (waited === 'dead') {
      const byHost = slot.stoppedByHost !== null || slot.supervisorLost;
      this.#lost(slot);
      this.#replace();
      const err = new WitplugError(ErrorCodes.WORKER_EXIT, `the worker of isolated plugin ${this.name} stopped during ${target}: ${channel.deathReason}; a new worker serves the next call`, { plugin: this.name, hook: target });
      throw byHost ? err : this.#failed(err);
    }
    if (channel.state === State.HOST_CALL) return {};
    const outcome = channel.read() as CallOutcome;
    Atomics.compareExchange(channel.ctrl, 0, State.DONE, State.IDLE);
    this.lastFuel = outcome.fuel;
    if (outcome.ok) return { value: outcome.value };
    const stderr = outcome.stderr === undefined ? {} : { stderr: outcome.stderr };
    throw this.#failed(new WitplugError(outcome.code as ErrorCode, outcome.message, { plugin: this.name, hook: target, ...stderr }));
  }

  #failed(err: WitplugError): WitplugError {
    // The caller's and the host's mistakes are not the plugin's.
    const counted = !NOT_COUNTED.has(err.code);
    if (counted && this.#health.recordTrap()) err.message += ` (plugin ${this.name} is now disabled: ${this.#health.disabledReason})`;
    return err;
  }

  /** Forgets a worker that stopped (or is being stopped); the next call or the exit handler starts another. */
  #lost(slot: Slot): void {
    if (this.#slot !== slot) return;
    this.#slot = null;
    this.restarts++;
    this.lastExitReason = slot.channel.dead ? slot.channel.deathReason : slot.stoppedByHost;
  }

  /** Stops a worker from the host side. */
  #stop(slot: Slot, why: string): void {
    slot.stoppedByHost ??= why;
    this.#lost(slot);
    // terminate() stops the thread even inside a wasm loop; nothing waits for it.
    terminateWorker(slot.id, `the host stopped it: ${why}`);
  }

  /**
   * Terminates the current worker, as an operator (or a test) would from
   * outside; a call in progress fails with WORKER_EXIT (not counted against
   * the plugin) and a new worker serves the next call. Resolves once the old
   * worker has exited.
   */
  async terminateWorker(): Promise<void> {
    const slot = this.#slot;
    if (!slot) return;
    slot.stoppedByHost ??= 'terminateWorker() was called';
    terminateWorker(slot.id, `the host stopped it: ${slot.stoppedByHost}`);
    await keptAlive(slot.exited, EXIT_MS);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Terminates the worker (and a pending replacement); idempotent. Later calls fail with CLOSED instead of starting a new worker. */
  async close(): Promise<void> {
    this.#closed = true;
    const slot = this.#slot;
    if (!slot) return;
    // Closing is not a restart: forget the worker before stopping it.
    this.#slot = null;
    slot.stoppedByHost ??= 'the plugin was closed';
    terminateWorker(slot.id, `the host stopped it: ${slot.stoppedByHost}`);
    await keptAlive(slot.exited, EXIT_MS);
  }
}
