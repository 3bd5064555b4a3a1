/** The vocabulary of `PluginHost`: dispatch kinds, hook and operation specs, anchors, options and what it reports. */
import type { Contract } from '../../contract/load.js';
import type { Plugin, PluginFunction, PluginOptions } from '../load/load-plugin.js';
import type { Grant, Limits } from '../capabilities/grant.js';
import type { ManifestPolicy } from './manifest.js';
import type { HostImplementations, LogLevel } from '../capabilities/host-imports.js';
import type { PluginServices } from '../services/services.js';

export type DispatchKind = 'series' | 'bail' | 'waterfall' | 'parallel' | 'first' | 'collect';
export type FailurePolicy = 'fail' | 'skip';

export interface HookSpec {
  /** The export every plugin provides for this hook: `iface#func` (short or full interface name). */
  readonly target: string;
  readonly kind: DispatchKind;
  /** `bail`: results equal to this value let dispatch go on (default `null`; a `{tag}` compares by tag). */
  readonly pass?: unknown;
  /** `waterfall`: the argument each output replaces (default: the last parameter of the result's type). */
  readonly feed?: number;
  /** Default: `skip` for `parallel`, `fail` for every other kind. */
  readonly onError?: FailurePolicy;
}

export interface OperationSpec {
  /** The export a plugin anchored to this operation provides. */
  readonly target: string;
  readonly onError?: FailurePolicy;
}

export type AnchorPosition = 'before' | 'define' | 'after';
export interface Anchor {
  readonly operation: string;
  readonly at: AnchorPosition;
}

export interface HostLogger {
  (level: LogLevel, message: string, plugin: string): void;
}

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
  /** Plugin logs and dispatch failures (default: stderr). */
  readonly logger?: HostLogger;
  /** Passed to `loadPlugin` (compile cache). */
  readonly cache?: PluginOptions['cache'];
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
  /** Higher runs first; equal priorities keep load order. */
  readonly priority?: number;
  readonly anchor?: Anchor | readonly Anchor[];
}

export interface HookStats {
  calls: number;
  failures: number;
}

export interface PluginInfo {
  readonly name: string;
  readonly priority: number;
  readonly enabled: boolean;
  /** `null` while healthy; the reason once the plugin is DISABLED. */
  readonly disabledReason: string | null;
  readonly anchors: readonly Anchor[];
  readonly componentHash: string;
  /** Per hook/operation name. */
  readonly stats: Readonly<Record<string, HookStats>>;
}

/** Internal to PluginHost. */
export interface Entry {
  readonly name: string;
  readonly plugin: Plugin;
  readonly priority: number;
  readonly order: number;
  readonly anchors: readonly Anchor[];
  readonly load: LoadOptions;
  enabled: boolean;
  readonly stats: Map<string, HookStats>;
}

/** One plugin's function for a hook, resolved once per plugin list. */
/** Internal to PluginHost. */
export interface Bound {
  readonly entry: Entry;
  readonly fn: PluginFunction;
  readonly stats: HookStats;
}
