/**
 * Where `PluginHost` meets its `services` option (src/runtime/services/):
 * the plugin's host tables, the functions each hook calls it through (the
 * dispatch lists are built here), and the lifecycle events the services
 * keep records of. Without services every
 * function here hands back what the host would use anyway.
 */
import type { HostImplementations } from '../capabilities/host-imports.js';
import type { PluginServices } from '../services/services.js';
import type { Bound, Entry, HookSpec, HookStats, OperationSpec, PluginHostEvent, PluginHostOptions } from './types.js';
import type { PluginHostListener } from './events.js';
import { opKey, statsOf } from './dispatch.js';
import { exportsTarget } from './lifecycle.js';

/** A `Bound.sample` no call count reaches below 2^32 calls: every call takes `fn`. */
const NEVER_TIMED = -1;

/** The host tables plugin `name` is instantiated with: the services' added under the host's own. */
export function hostTables(services: PluginServices | undefined, name: string, base: HostImplementations | undefined): HostImplementations | undefined {
  return services === undefined ? base : services.hostFor(name, base);
}

/** `entry`'s function for `target`, counted in `stats` (the dispatcher bumps `stats.calls`; services read it when asked). */
export function boundOf(services: PluginServices | undefined, entry: Entry, spec: HookSpec | OperationSpec, stats: HookStats): Bound {
  const { target } = spec;
  // An async hook calls each plugin through its promise-returning form.
  const async = spec.async === true;
  if (services === undefined) {
    const fn = async ? entry.plugin.fnAsync(target) : entry.plugin.fn(target);
    return { entry, fn, timed: fn, sample: NEVER_TIMED, failed: null, stats };
  }
  const served = async ? services.serveAsync(entry.plugin, target, stats) : services.serve(entry.plugin, target, stats);
  return { entry, fn: served.fn, timed: served.timed, sample: served.sample, failed: (code) => served.failed(code), stats };
}

interface Observable {
  on<E extends PluginHostEvent>(event: E, listener: PluginHostListener<E>): unknown;
}

/** The services record refused versions (admission, policy, link, init) and let go of unloaded plugins' counters. */
export function observeLifecycle(host: Observable, services: PluginServices | undefined): void {
  if (services === undefined) return;
  host.on('rejected', (e) => services.rejected(e.name, e.error));
  host.on('unloaded', (e) => services.unloaded(e.name));
}

/** Every hook's and operation anchor's dispatch list for `entries` (enabled, in dispatch order). */
export function rebindLists(entries: readonly Entry[], options: PluginHostOptions, slot: (key: string) => { list: readonly Bound[] }): void {
  const { services } = options;
  for (const [name, spec] of Object.entries(options.hooks ?? {})) {
    const serving = spec.optional === true ? entries.filter((e) => exportsTarget(e.plugin, spec.target)) : entries;
    slot(name).list = serving.map((entry) => boundOf(services, entry, spec, statsOf(entry, name)));
  }
  for (const [name, spec] of Object.entries(options.operations ?? {})) {
    for (const at of ['before', 'define', 'after'] as const) {
      const anchored = entries.filter((e) => e.anchors.some((a) => a.operation === name && a.at === at));
      slot(opKey(name, at)).list = anchored.map((entry) => boundOf(services, entry, spec, statsOf(entry, name)));
    }
  }
}
