/** The vocabulary of `PluginHost`: dispatch kinds, hook and operation specs, anchors, options and what it reports. */
import type { Contract } from '../../contract/load.js';
import type { PluginFunction, PluginInstance, PluginOptions } from '../load/load-plugin.js';
import type { IsolateChoice } from './isolation-choice.js';
import type { Grant, Limits } from '../capabilities/grant.js';
import type { ManifestPolicy } from './manifest.js';
import type { HostImplementations, LogLevel } from '../capabilities/host-imports.js';
import type { PluginServices } from '../services/services.js';
import type { WitplugError } from '../../errors.js';

export type DispatchKind = 'series' | 'bail' | 'waterfall' | 'parallel' | 'first' | 'collect';
export type FailurePolicy = 'fail' | 'skip';

export interface HookSpec {
  /** The export every plugin provides for this hook: `iface#func` (short or full interface name). */
  readonly target: string;
  readonly kind: DispatchKind;
  /** `bail`: results equal to this value let dispatch go on (default `null`; a `{tag}` compares by tag). */
  readonly pass?: unknown;
  /**
   * `waterfall`: the argument each output replaces. Default: the last
   * parameter of the result's type, else the last one of type T for a result
   * `result<T, E>` or `option<T>` (then `ok`/`some` feeds the next plugin).
   */
  readonly feed?: number;
  /** `waterfall` over `option<T>`: a `none` ends it with none (`stop`, default) or leaves the value unchanged (`skip`). */
  readonly onNone?: 'stop' | 'skip';
  /** Default: `skip` for `parallel`, `fail` for every other kind. */
  readonly onError?: FailurePolicy;
  /**
   * Plugins need not export the target's world export (its interface, or the
   * world-level function): admission notes the absence (`OPTIONAL_EXPORT_MISSING`)
   * and dispatch passes such a plugin by. Default false: every plugin must export it.
   */
  readonly optional?: boolean;
  /**
   * Dispatch through each plugin's `fnAsync`: `host.hook(name)` returns a
   * Promise; `parallel` and `collect` call their plugins concurrently. Needed
   * for plugins that import async host functions. Default false.
   */
  readonly async?: boolean;
}

export interface OperationSpec {
  /** The export a plugin anchored to this operation provides. */
  readonly target: string;
  readonly onError?: FailurePolicy;
  /** Call anchored plugins through `fnAsync`: `host.operation(…)` returns a Promise. Default false. */
  readonly async?: boolean;
}

export type AnchorPosition = 'before' | 'define' | 'after';
export interface Anchor {
  readonly operation: string;
  readonly at: AnchorPosition;
}

/**
 * `plugin`: a line the plugin wrote (`witplug:host/log`); `host`: witplug's own
 * message about the plugin (a skipped failure, a refused load, a disable).
 */
export type LogKind = 'plugin' | 'host';

export interface HostLogger {
  (level: LogLevel, message: string, plugin: string, kind: LogKind): void;
}

/** What `host.on(event, listener)` hands each listener. */
export interface PluginHostEvents {
  /** A plugin was loaded (`load`, `loadDir`). */
  loaded: [info: PluginInfo];
  /** A load or reload failed (not admitted, init refused, a policy or usage error); a rejected reload leaves the old version serving. */
  rejected: [event: { readonly name: string; readonly error: WitplugError; readonly reload: boolean }];
  reloaded: [info: PluginInfo];
  unloaded: [event: { readonly name: string }];
  /** A plugin was disabled after too many failed calls; dispatch passes it by until it is reloaded. Once per disable. */
  disabled: [event: { readonly name: string; readonly reason: string }];
  /** A plugin's failure dispatch skipped (`onError: 'skip'`, `parallel`), or a close that failed. Never thrown when no one listens. */
  error: [error: WitplugError];
}
export type PluginHostEvent = keyof PluginHostEvents;

export interface PluginHostOptions {
  readonly contract: Contract;
  /** The host's implementations of the contract's imports (shared by every plugin). */
  readonly host?: HostImplementations;
  readonly hooks?: Readonly<Record<string, HookSpec>>;
  readonly operations?: Readonly<Record<string, OperationSpec>>;
  /**
   * Limits for every plugin. What the host itself passes to `load` (`limits`,
   * or a grant's `limits`) overrides them field by field; a manifest read by
   * `loadDir` may only make them stricter, or raise one up to
   * `manifestPolicy.limits`.
   */
  readonly limits?: Limits;
  /**
   * What a manifest read by `loadDir` may request (filesystem roots, env
   * keys, WASI imports, priority, raised limits). Default: nothing beyond
   * what the host gives every plugin; a request beyond it is `POLICY`.
   */
  readonly manifestPolicy?: ManifestPolicy;
  /** Plugin log lines (`kind` 'plugin') and witplug's messages about plugins (`kind` 'host'); default: stderr. */
  readonly logger?: HostLogger;
  /**
   * Run every plugin in its own worker (`IsolatedPlugin`) unless `load` says otherwise. Default false.
   * `'auto'`: in-process where the plugin can run there, in a worker where it cannot (it imports async
   * host functions and this Node has no JS promise integration).
   */
  readonly isolate?: IsolateChoice;
  /** Passed to `loadPlugin` (compile cache). */
  readonly cache?: PluginOptions['cache'];
  /** Passed to `loadPlugin`: told when a plugin's compile misses the cache (e.g. `terminalProgress()`). */
  readonly onProgress?: PluginOptions['onProgress'];
  /** Plugins built against a newer minor of a host interface: `reject` (default) or `trap` (see `PluginOptions`). */
  readonly missingImports?: 'reject' | 'trap';
  /** Host services (per-plugin kv state, metrics, structured logs): a `HostServices` (docs/services.md). */
  readonly services?: PluginServices;
}

export interface LoadOptions {
  /** Unique name (default: the file name without `.wasm`). */
  readonly name?: string;
  readonly grant?: Grant;
  readonly config?: Readonly<Record<string, string>>;
  readonly limits?: Limits;
  /** Higher runs first; equal priorities keep load order. A finite number. */
  readonly priority?: number;
  readonly anchor?: Anchor | readonly Anchor[];
  /** Run this plugin in its own worker (default: the host's `isolate`; `'auto'` as there). */
  readonly isolate?: IsolateChoice;
}

export interface HookStats {
  calls: number;
  failures: number;
}

export interface PluginInfo {
  readonly name: string;
  readonly priority: number;
  /** False when the host disabled it (`disable`) or it was DISABLED after failing; dispatch passes it by. */
  readonly enabled: boolean;
  readonly isolated: boolean;
  /** `null` while healthy; the reason once the plugin is DISABLED. */
  readonly disabledReason: string | null;
  readonly anchors: readonly Anchor[];
  readonly componentHash: string;
  /** Per hook/operation name; kept across reloads. */
  readonly stats: Readonly<Record<string, HookStats>>;
}

/** Internal to PluginHost. */
export interface Entry {
  readonly name: string;
  readonly plugin: PluginInstance;
  readonly componentHash: string;
  readonly isolated: boolean;
  readonly priority: number;
  readonly order: number;
  readonly anchors: readonly Anchor[];
  readonly load: LoadOptions;
  enabled: boolean;
  /** Set once the plugin was found DISABLED (and announced). */
  failedOut: boolean;
  readonly stats: Map<string, HookStats>;
}

/** One plugin's function for a hook, resolved once per plugin list. */
/** Internal to PluginHost. */
export interface Bound {
  readonly entry: Entry;
  readonly fn: PluginFunction;
  /** Called instead of `fn` when `stats.calls & sample` is 0 after the count: host services time it (services-adapter.ts). */
  readonly timed: PluginFunction;
  readonly sample: number;
  /** A counted failure's code, for host services; null without them. */
  readonly failed: ((code: string) => void) | null;
  readonly stats: HookStats;
}
