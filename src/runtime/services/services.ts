/**
 * `HostServices`: the per-plugin state, metrics and structured logs a
 * `PluginHost` offers its plugins, given as its `services` option. The host
 * asks it for each plugin's extra host tables (`witplug:host/kv`,
 * `witplug:host/log`) before instantiating, and for the functions it calls
 * each hook through; the host's dispatchers count the calls.
 */
import type { HostFunction, HostImplementations } from '../capabilities/host-imports.js';
import type { PluginFunction, PluginInstance } from '../instance/surface.js';
import type { LoadInfo } from '../link/blueprint.js';
import { WitplugError, type WitplugErrorJson } from '../../errors.js';
import { MemoryKvStore, PluginKv, kvHostTable, type KvQuota, type KvStore } from './kv.js';
import { PluginMetrics, type HookCounters, type PluginStatsSnapshot } from './metrics.js';
import { eventLogger, logHostTable, type EventLogger, type Logger, type PluginLogTags } from './logger.js';
import { watchPluginDir, type DirWatcher, type WatchableHost, type WatchOptions } from './watch.js';

type AsyncPluginFunction = (...args: unknown[]) => Promise<unknown>;

/** What a hook's call count is read from: the host's own per-hook counter, bumped by its dispatcher. */
export interface CallCount {
  readonly calls: number;
}

/**
 * How a host with services calls one plugin's hook: `fn` on most calls,
 * `timed` on the calls whose count ANDed with `sample` is 0 (one in
 * `sampleEvery`). Calls are counted by the host (`CallCount`), failures
 * reported through `failed`: neither costs a wrapper frame per call.
 */
export interface ServedHook {
  readonly fn: PluginFunction;
  readonly timed: PluginFunction;
  readonly sample: number;
  failed(code: string): void;
}

/** What `PluginHost` calls on its `services` (implemented by `HostServices`). */
export interface PluginServices {
  /** The host tables for plugin `name`: `base` (the host's own, which win) plus the services'. */
  hostFor(name: string, base: HostImplementations | undefined): HostImplementations;
  /** A version of plugin `name` was instantiated (its hash, and how it was compiled when known). */
  loaded(name: string, componentHash: string, info: LoadInfo | undefined): void;
  /** The functions the host calls `target` of `plugin` through, its calls counted in `count`. */
  serve(plugin: PluginInstance, target: string, count: CallCount): ServedHook;
  /** As `serve`, for an async hook: the functions return promises (the plugin's `fnAsync`), timed until they settle. */
  serveAsync(plugin: PluginInstance, target: string, count: CallCount): ServedHook;
  /** A version of plugin `name` failed to load (admission, policy, link, init). */
  rejected(name: string, error: unknown): void;
  /** Plugin `name` left the host: its call counts are kept, their sources let go. */
  unloaded(name: string): void;
  /** witplug's own events and the plugins' log lines, when the services have a logger. */
  readonly eventLog: EventLogger | undefined;
  /** `host` closed: what the services run for it (directory watchers) stops. */
  hostClosed(host: object): void;
}

export interface Rejection {
  readonly error: WitplugError;
  /** ISO time of the refusal. */
  readonly at: string;
}

export interface PluginsReport<T> {
  readonly loaded: readonly (T & { readonly metrics: PluginStatsSnapshot | null })[];
  readonly rejected: readonly { readonly name: string; readonly at: string; readonly error: WitplugErrorJson; readonly report: unknown }[];
}

/** The admission report a `REJECTED` error carries (`details.report`), or null. */
function reportOf(e: WitplugError): unknown {
  const d = e.details as { report?: unknown } | null | undefined;
  return d !== null && typeof d === 'object' && 'report' in d ? d.report : null;
}

export interface HostServicesOptions {
  /** Where plugins' key-value state lives (default: a `MemoryKvStore`). */
  readonly kv?: KvStore;
  readonly kvQuota?: KvQuota;
  /** A pino-compatible logger for plugin log lines and witplug's events (default: the host's `logger`). */
  readonly logger?: Logger;
  /** Time one call in this many per plugin hook (a power of two; default 16; 1 times every call). */
  readonly sampleEvery?: number;
}

const KV = 'witplug:host/kv@0.1.0';
const LOG = 'witplug:host/log@0.1.0';

export class HostServices implements PluginServices {
  readonly metrics = new PluginMetrics();
  readonly kvStore: KvStore;
  readonly logger: Logger | undefined;
  readonly eventLog: EventLogger | undefined;
  readonly #quota: KvQuota;
  readonly #mask: number;
  /** Log tags of the version being instantiated, per plugin name, until `loaded` takes them. */
  readonly #pendingTags = new Map<string, PluginLogTags>();
  /** Log tags of the loaded version, per plugin name. */
  readonly #tags = new Map<string, PluginLogTags>();
  /** One entry per plugin name: bounded by the plugins the host has tried to load. */
  readonly #rejections = new Map<string, Rejection>();
  readonly #watchers = new Map<object, Set<DirWatcher>>();

  constructor(options: HostServicesOptions = {}) {
    this.kvStore = options.kv ?? new MemoryKvStore();
    this.#quota = options.kvQuota ?? {};
    this.logger = options.logger;
    this.eventLog = options.logger === undefined ? undefined : eventLogger(options.logger);
    const every = options.sampleEvery ?? 16;
    if (!Number.isInteger(every) || every < 1 || (every & (every - 1)) !== 0) {
      throw new WitplugError('USAGE', `sampleEvery must be a power of two ≥ 1, got ${String(every)}`);
    }
    this.#mask = every - 1;
  }

  /** Plugin `name`'s key-value state (what it reaches through `witplug:host/kv`). */
  kv(name: string): PluginKv {
    return new PluginKv(this.kvStore, name, this.#quota);
  }

  hostFor(name: string, base: HostImplementations | undefined): HostImplementations {
    const tags: PluginLogTags = { plugin: name, version: null, hook: null };
    this.#pendingTags.set(name, tags);
    const own: Record<string, Record<string, HostFunction>> = { [KV]: kvHostTable(this.kv(name)) };
    if (this.logger !== undefined) own[LOG] = logHostTable(this.logger, tags);
    return { ...own, ...base };
  }

  loaded(name: string, componentHash: string, info: LoadInfo | undefined): void {
    const tags = this.#pendingTags.get(name);
    this.#pendingTags.delete(name);
    if (tags !== undefined) this.#tags.set(name, tags);
    const current = tags ?? this.#tags.get(name);
    if (current !== undefined) current.version = componentHash.slice(0, 12);
    this.#rejections.delete(name); // a version that loads supersedes an earlier refusal
    this.metrics.loaded(name, info);
  }

  serve(plugin: PluginInstance, target: string, count: CallCount): ServedHook {
    return this.#served(plugin, target, count, plugin.fn(target), tagged, timed);
  }

  serveAsync(plugin: PluginInstance, target: string, count: CallCount): ServedHook {
    return this.#served(plugin, target, count, plugin.fnAsync(target), taggedAsync, timedAsync);
  }

  /** `raw`, counted into the plugin's hook counters, tagged for its log lines and timed on sampled calls. */
  #served<F extends PluginFunction>(
    plugin: PluginInstance, target: string, count: CallCount, raw: F,
    tag: (fn: F, tags: PluginLogTags, hook: string) => F,
    time: (plugin: PluginInstance, fn: F, c: HookCounters, tags: PluginLogTags | null, hook: string) => F,
  ): ServedHook {
    const c = this.metrics.hook(plugin.name, target);
    c.countFrom(count);
    const tags = this.logger === undefined ? null : this.#tags.get(plugin.name) ?? null;
    return {
      fn: tags === null ? raw : tag(raw, tags, target),
      timed: time(plugin, raw, c, tags, target),
      sample: this.#mask,
      failed: (code) => c.failed(code),
    };
  }

  unloaded(name: string): void {
    this.metrics.retire(name);
    this.#tags.delete(name);
  }

  /**
   * Watches `dir` for `host` (docs/services.md): a changed `<name>.wasm` is
   * reloaded, admitted first. Closed when the host closes (or by `close()`).
   */
  watch(host: WatchableHost, dir: string, options: WatchOptions = {}): DirWatcher {
    const log = this.eventLog;
    const watcher = watchPluginDir(host, dir, { ...(log === undefined ? {} : { log }), ...options });
    let set = this.#watchers.get(host);
    if (set === undefined) this.#watchers.set(host, (set = new Set()));
    set.add(watcher);
    return watcher;
  }

  hostClosed(host: object): void {
    for (const w of this.#watchers.get(host) ?? []) w.close();
    this.#watchers.delete(host);
  }

  rejected(name: string, error: unknown): void {
    this.#pendingTags.delete(name);
    this.metrics.rejected(name);
    const e = error instanceof WitplugError ? error : new WitplugError('INTERNAL', String(error), { plugin: name, cause: error });
    this.#rejections.set(name, { error: e, at: new Date().toISOString() });
  }

  /** The latest refused version of each plugin (its error, with the admission report for `REJECTED`). */
  rejections(): ReadonlyMap<string, Rejection> {
    return this.#rejections;
  }

  /**
   * What a `/plugins` listing shows: the host's plugins with their metrics,
   * and each refused version's error with its admission report (when the gate refused it).
   */
  pluginsReport<T extends { readonly name: string }>(host: { plugins(): readonly T[] }): PluginsReport<T> {
    const stats = this.metrics.stats();
    return {
      loaded: host.plugins().map((p) => ({ ...p, metrics: stats[p.name] ?? null })),
      rejected: [...this.#rejections].map(([name, r]) => ({ name, at: r.at, error: r.error.toJSON(), report: reportOf(r.error) })),
    };
  }
}

/** `fn` with the running hook set in the plugin's log tags while it runs. */
function tagged(fn: PluginFunction, tags: PluginLogTags, hook: string): PluginFunction {
  return (...args) => {
    const outer = tags.hook;
    tags.hook = hook;
    try {
      return fn(...args);
    } finally {
      tags.hook = outer;
    }
  };
}

/** Async calls under way per plugin's tags (an isolated plugin queues them; they still overlap in time here). */
const asyncCallsUnderWay = new WeakMap<PluginLogTags, number>();

/**
 * `fn` (async) with the running hook set in the plugin's log tags until its last overlapping call
 * settles. A plugin runs one call at a time, so the tag is right unless calls of different hooks
 * of one plugin overlap: then it is the latest started one's.
 */
function taggedAsync(fn: AsyncPluginFunction, tags: PluginLogTags, hook: string): AsyncPluginFunction {
  const settled = (): void => {
    const left = (asyncCallsUnderWay.get(tags) ?? 1) - 1;
    asyncCallsUnderWay.set(tags, left);
    if (left === 0) tags.hook = null;
  };
  return (...args) => {
    asyncCallsUnderWay.set(tags, (asyncCallsUnderWay.get(tags) ?? 0) + 1);
    tags.hook = hook;
    const run = fn(...args);
    void run.then(settled, settled);
    return run;
  };
}

/** `fn` (async) timed into `c` from the call until its promise settles; tagged as `taggedAsync` is. */
function timedAsync(plugin: PluginInstance, fn: AsyncPluginFunction, c: HookCounters, tags: PluginLogTags | null, hook: string): AsyncPluginFunction {
  const run = tags === null ? fn : taggedAsync(fn, tags, hook);
  return (...args) => {
    const t0 = performance.now();
    return run(...args).finally(() => recordTimed(c, plugin, t0));
  };
}

/** `fn` timed into `c` (and its fuel added, when the plugin has a budget); tagged as `tagged` is. */
function timed(plugin: PluginInstance, fn: PluginFunction, c: HookCounters, tags: PluginLogTags | null, hook: string): PluginFunction {
  return (...args) => {
    const outer = tags?.hook ?? null;
    if (tags !== null) tags.hook = hook;
    const t0 = performance.now();
    try {
      return fn(...args);
    } finally {
      if (tags !== null) tags.hook = outer;
      recordTimed(c, plugin, t0);
    }
  };
}

/** A timed call that began at `t0` (performance.now()) ended: its latency, and its fuel when the plugin has a budget. */
function recordTimed(c: HookCounters, plugin: PluginInstance, t0: number): void {
  c.timedCall((performance.now() - t0) * 1000);
  const fuel = (plugin as { readonly lastFuel?: number }).lastFuel;
  if (fuel !== undefined) c.fuel += fuel;
}
