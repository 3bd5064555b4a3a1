/**
 * Per plugin and hook: calls, errors by code, traps, fuel used and a latency
 * histogram; per plugin: loads, compile-cache hits and rejections. Counted in
 * plain objects on the call path; turned into a stats object or Prometheus
 * text (prom-client) only when read.
 *
 * Every call is counted — by the host's dispatchers, whose per-hook counters
 * are read here when asked; latency (and fuel) on one call in `sampleEvery`
 * (default 16), so the clock reads stay off most calls.
 */
import { Counter, Registry } from 'prom-client';
import type { LoadInfo } from '../link/blueprint.js';

/** Upper bounds of the latency buckets, in microseconds (the last bucket is +Inf). */
export const LATENCY_BUCKETS_US: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500, 10000, 50000];

export interface HookStatsSnapshot {
  readonly calls: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly traps: number;
  /** Fuel used over the timed calls, when the plugin runs with a fuel budget (else 0). */
  readonly fuel: number;
  /** Latency of the timed calls: `buckets[i]` counts calls ≤ `LATENCY_BUCKETS_US[i]` µs (cumulative; the last is +Inf). */
  readonly latency: { readonly timed: number; readonly sumUs: number; readonly buckets: readonly number[] };
}

export interface PluginStatsSnapshot {
  readonly loads: number;
  readonly cacheHits: number;
  readonly rejections: number;
  readonly hooks: Readonly<Record<string, HookStatsSnapshot>>;
}

/** The mutable counters of one plugin's hook (one object per plugin × hook; kept across reloads). */
export class HookCounters {
  /** Where calls are counted (the host's per-hook counters), read when asked; bounded by the plugin's live hooks. */
  readonly #sources = new Set<{ readonly calls: number }>();
  /** Calls counted by sources that left (an unloaded plugin's). */
  #retired = 0;
  traps = 0;
  fuel = 0;
  timed = 0;
  sumUs = 0;
  readonly errors = new Map<string, number>();
  /** Per bucket, not cumulative; the last one is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_US.length + 1);

  get calls(): number {
    let n = this.#retired;
    for (const s of this.#sources) n += s.calls;
    return n;
  }

  countFrom(source: { readonly calls: number }): void {
    this.#sources.add(source);
  }

  retire(): void {
    for (const s of this.#sources) this.#retired += s.calls;
    this.#sources.clear();
  }

  failed(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    if (code === 'TRAP') this.traps++;
  }

  timedCall(us: number): void {
    this.timed++;
    this.sumUs += us;
    let i = 0;
    while (i < LATENCY_BUCKETS_US.length && us > LATENCY_BUCKETS_US[i]!) i++;
    this.buckets[i]!++;
  }

  snapshot(): HookStatsSnapshot {
    let acc = 0;
    const buckets = [...this.buckets].map((n) => (acc += n));
    const latency = { timed: this.timed, sumUs: this.sumUs, buckets };
    return { calls: this.calls, errors: Object.fromEntries(this.errors), traps: this.traps, fuel: this.fuel, latency };
  }
}

interface PluginCounters {
  loads: number;
  cacheHits: number;
  rejections: number;
  readonly hooks: Map<string, HookCounters>;
}

export class PluginMetrics {
  readonly #plugins = new Map<string, PluginCounters>();
  #registry: Registry | null = null;

  #plugin(name: string): PluginCounters {
    let p = this.#plugins.get(name);
    if (p === undefined) this.#plugins.set(name, (p = { loads: 0, cacheHits: 0, rejections: 0, hooks: new Map() }));
    return p;
  }

  /** The counters of `plugin`'s `hook`, created on first use. */
  hook(plugin: string, hook: string): HookCounters {
    const hooks = this.#plugin(plugin).hooks;
    let h = hooks.get(hook);
    if (h === undefined) hooks.set(hook, (h = new HookCounters()));
    return h;
  }

  loaded(plugin: string, info: LoadInfo | undefined): void {
    const p = this.#plugin(plugin);
    p.loads++;
    if (info?.cache === 'hit') p.cacheHits++;
  }

  /** `plugin` left its host: its counts so far are kept, its counters' sources let go. */
  retire(plugin: string): void {
    for (const h of this.#plugins.get(plugin)?.hooks.values() ?? []) h.retire();
  }

  /** A version of `plugin` was refused (admission, policy, link, init). */
  rejected(plugin: string): void {
    this.#plugin(plugin).rejections++;
  }

  stats(): Record<string, PluginStatsSnapshot> {
    const out: Record<string, PluginStatsSnapshot> = {};
    for (const [name, p] of this.#plugins) {
      const hooks: Record<string, HookStatsSnapshot> = {};
      for (const [hook, h] of p.hooks) hooks[hook] = h.snapshot();
      out[name] = { loads: p.loads, cacheHits: p.cacheHits, rejections: p.rejections, hooks };
    }
    return out;
  }

  /** The prom-client registry with witplug's metrics, read from the counters at each scrape. */
  get registry(): Registry {
    return (this.#registry ??= this.#buildRegistry());
  }

  /** Prometheus text exposition format. */
  prometheus(): Promise<string> {
    return this.registry.metrics();
  }

  #buildRegistry(): Registry {
    const registry = new Registry();
    const perHook = (name: string, help: string, value: (h: HookCounters) => number): void => {
      const plugins = this.#plugins;
      new Counter({
        name, help, labelNames: ['plugin', 'hook'], registers: [registry],
        collect() {
          this.reset();
          for (const [plugin, p] of plugins) for (const [hook, h] of p.hooks) this.inc({ plugin, hook }, value(h));
        },
      });
    };
    const perPlugin = (name: string, help: string, value: (p: PluginCounters) => number): void => {
      const plugins = this.#plugins;
      new Counter({
        name, help, labelNames: ['plugin'], registers: [registry],
        collect() {
          this.reset();
          for (const [plugin, p] of plugins) this.inc({ plugin }, value(p));
        },
      });
    };
    perHook('witplug_hook_calls_total', 'Calls into a plugin hook.', (h) => h.calls);
    perHook('witplug_hook_traps_total', 'Calls that trapped.', (h) => h.traps);
    perHook('witplug_hook_fuel_total', 'Fuel used by timed calls (plugins with a fuel budget).', (h) => h.fuel);
    const plugins = this.#plugins;
    new Counter({
      name: 'witplug_hook_errors_total', help: 'Failed calls by error code.', labelNames: ['plugin', 'hook', 'code'], registers: [registry],
      collect() {
        this.reset();
        for (const [plugin, p] of plugins) for (const [hook, h] of p.hooks) for (const [code, n] of h.errors) this.inc({ plugin, hook, code }, n);
      },
    });
    perPlugin('witplug_plugin_loads_total', 'Versions loaded (first load and reloads).', (p) => p.loads);
    perPlugin('witplug_plugin_cache_hits_total', 'Loads served from the compile cache.', (p) => p.cacheHits);
    perPlugin('witplug_plugin_rejections_total', 'Versions refused (admission, policy, link, init).', (p) => p.rejections);
    registry.registerMetric(latencyHistogram(plugins));
    return registry;
  }
}

/** The sampled latency as a Prometheus histogram (seconds), built from the counters at scrape time. */
function latencyHistogram(plugins: ReadonlyMap<string, PluginCounters>): Parameters<Registry['registerMetric']>[0] {
  const name = 'witplug_hook_latency_seconds';
  const help = 'Latency of timed hook calls (one call in sampleEvery is timed).';
  type Value = { metricName: string; labels: Record<string, string>; value: number };
  const get = (): { name: string; help: string; type: 'histogram'; values: Value[]; aggregator: 'sum' } => {
    const values: Value[] = [];
    for (const [plugin, p] of plugins) {
      for (const [hook, h] of p.hooks) {
        let acc = 0;
        h.buckets.forEach((n, i) => {
          acc += n;
          const le = i < LATENCY_BUCKETS_US.length ? String(LATENCY_BUCKETS_US[i]! / 1e6) : '+Inf';
          values.push({ metricName: `${name}_bucket`, labels: { plugin, hook, le }, value: acc });
        });
        values.push({ metricName: `${name}_sum`, labels: { plugin, hook }, value: h.sumUs / 1e6 });
        values.push({ metricName: `${name}_count`, labels: { plugin, hook }, value: h.timed });
      }
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  // A metric prom-client's registry reads through get(): the histogram's buckets are ours, not prom-client's.
  return { name, help, get, reset: () => undefined, labels: () => undefined, remove: () => undefined } as unknown as Parameters<Registry['registerMetric']>[0];
}
