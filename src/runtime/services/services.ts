/**
 * `HostServices`: the per-plugin state, metrics and structured logs a
 * `PluginHost` offers its plugins, given as its `services` option. The host
 * asks it for each plugin's extra host tables (`witplug:host/kv`,
 * `witplug:host/log`) before instantiating, and hands it every new instance
 * to count its calls.
 */
import type { HostFunction, HostImplementations } from '../capabilities/host-imports.js';
import type { Plugin, PluginFunction } from '../instance/surface.js';
import { WitplugError, type WitplugErrorJson } from '../../errors.js';
import { resolveExport } from '../link/exports.js';
import { MemoryKvStore, PluginKv, kvHostTable, type KvQuota, type KvStore } from './kv.js';
import { PluginMetrics, type HookCounters, type PluginStatsSnapshot } from './metrics.js';
import { eventLogger, logHostTable, type EventLogger, type Logger, type PluginLogTags } from './logger.js';
import { watchPluginDir, type DirWatcher, type WatchableHost, type WatchOptions } from './watch.js';

/** What `PluginHost` calls on its `services` (implemented by `HostServices`). */
export interface PluginServices {
  /** The host tables for plugin `name`: `base` (the host's own, which win) plus the services'. */
  hostFor(name: string, base: HostImplementations | undefined): HostImplementations;
  /** The instance as the host should hold it (calls counted). */
  instrument(plugin: Plugin): Plugin;
  /** A version of plugin `name` failed to load (admission, policy, link, init). */
  rejected(name: string, error: unknown): void;
  /** witplug's own events, when the services have a logger. */
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
  /** Log tags of the version being instantiated, per plugin name, until `instrument` takes them. */
  readonly #pendingTags = new Map<string, PluginLogTags>();
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

  /** The lifecycle `init`: an `err` result (or a failure) keeps this version out, as a rejection does. */
  #initCounted(name: string, init: PluginFunction): PluginFunction {
    return (...args) => {
      let result: unknown;
      try {
        result = init(...args);
      } catch (e) {
        this.rejected(name, e);
        throw e;
      }
      const r = result as { tag?: unknown; val?: unknown } | null;
      if (r !== null && typeof r === 'object' && r.tag === 'err') {
        this.rejected(name, new WitplugError('INIT_FAILED', `init refused to start: ${typeof r.val === 'string' ? r.val : 'no reason given'}`, { plugin: name, hook: 'init' }));
      }
      return result;
    };
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

  instrument(plugin: Plugin): Plugin {
    const tags = this.#pendingTags.get(plugin.name) ?? { plugin: plugin.name, version: null, hook: null };
    this.#pendingTags.delete(plugin.name);
    tags.version = plugin.componentHash.slice(0, 12);
    this.#rejections.delete(plugin.name); // a version that loads supersedes an earlier refusal
    this.metrics.loaded(plugin.name, plugin.loadInfo);
    const wrapped = new Map<string, PluginFunction>();
    const fn = (target: string): PluginFunction => {
      let w = wrapped.get(target);
      if (w !== undefined) return w;
      const f = plugin.fn(target);
      const arity = resolveExport(plugin.shape, target).type.params.length;
      w = counted(plugin, f, this.metrics.hook(plugin.name, target), this.logger === undefined ? null : tags, target, this.#mask, arity);
      wrapped.set(target, (w = target === 'init' ? this.#initCounted(plugin.name, w) : w));
      return w;
    };
    // The instance keeps its private state: every other property is read from it, methods bound to it.
    return new Proxy(plugin, {
      get(target, prop) {
        if (prop === 'fn') return fn;
        if (prop === 'call') return (t: string, args: readonly unknown[]) => fn(t)(...args);
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
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

/**
 * `fn` counted into `c`: every call, failures by code, fuel when the plugin
 * has a budget; one call in `mask + 1` timed. With a logger, the current
 * hook is set for the plugin's log lines while it runs. Untimed calls take
 * the short path: a clock read costs more than a small hook call.
 */
function counted(plugin: Plugin, fn: PluginFunction, c: HookCounters, tags: PluginLogTags | null, hook: string, mask: number, arity: number): PluginFunction {
  const fuel = plugin.lastFuel !== undefined;
  const full = (args: unknown[]): unknown => {
    const outer = tags?.hook ?? null;
    if (tags !== null) tags.hook = hook;
    const t0 = performance.now();
    try {
      return fn(...args);
    } catch (e) {
      c.failed(e instanceof WitplugError ? e.code : 'INTERNAL');
      throw e;
    } finally {
      if (tags !== null) tags.hook = outer;
      c.timedCall((performance.now() - t0) * 1000);
      if (fuel) c.fuel += plugin.lastFuel ?? 0;
    }
  };
  if (fuel || tags !== null) {
    return (...args) => {
      if ((++c.calls & mask) === 0) return full(args);
      const outer = tags?.hook ?? null;
      if (tags !== null) tags.hook = hook;
      try {
        return fn(...args);
      } catch (e) {
        c.failed(e instanceof WitplugError ? e.code : 'INTERNAL');
        throw e;
      } finally {
        if (tags !== null) tags.hook = outer;
        if (fuel) c.fuel += plugin.lastFuel ?? 0;
      }
    };
  }
  // No rest parameter for the common arities: the argument array is not allocated per call.
  const fail = (e: unknown): never => {
    c.failed(e instanceof WitplugError ? e.code : 'INTERNAL');
    throw e;
  };
  switch (arity) {
    case 0: return () => {
      if ((++c.calls & mask) === 0) return full([]);
      try { return fn(); } catch (e) { return fail(e); }
    };
    case 1: return (a) => {
      if ((++c.calls & mask) === 0) return full([a]);
      try { return fn(a); } catch (e) { return fail(e); }
    };
    case 2: return (a, b) => {
      if ((++c.calls & mask) === 0) return full([a, b]);
      try { return fn(a, b); } catch (e) { return fail(e); }
    };
    default: return (...args) => {
      if ((++c.calls & mask) === 0) return full(args);
      try { return fn(...args); } catch (e) { return fail(e); }
    };
  }
}

/**
 * `load` with the services' host tables for plugin `name` (the host's own
 * `base` tables win), its instance instrumented, a failure recorded as a
 * rejection. Without services: `load(base)` as is.
 */
export async function loadWithServices(
  services: PluginServices | undefined, name: string, base: HostImplementations | undefined,
  load: (host: HostImplementations | undefined) => Promise<Plugin>,
): Promise<Plugin> {
  if (services === undefined) return load(base);
  try {
    return services.instrument(await load(services.hostFor(name, base)));
  } catch (e) {
    services.rejected(name, e);
    throw e;
  }
}
