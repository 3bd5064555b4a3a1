/**
 * What hosts see of a plugin instance; the classes behind these types keep
 * their instantiation, call guard and call routes to themselves.
 */
import type { ComponentShape } from '../../component/types.js';
import type { LoadInfo } from '../link/blueprint.js';
import type { Sandbox } from '../limits/sandbox.js';
import type { ResolvedLimits } from '../limits/resolve-limits.js';
import type { PluginHealth } from '../limits/health.js';
import type { HostCaller } from '../capabilities/host-caller.js';

/** A callable export, resolved once. */
export type PluginFunction = (...args: unknown[]) => unknown;

/** What in-process (`Plugin`) and isolated (`IsolatedPlugin`) instances have in common. */
export interface PluginInstance {
  readonly name: string;
  readonly shape: ComponentShape;
  /** True once close() was called: every call then fails with CLOSED. */
  readonly closed: boolean;
  /** Why the instance is disabled (too many failed calls), or null. */
  readonly disabledReason: string | null;
  /** What host functions see as `currentCaller()` while serving this instance; fill `context` as you like. */
  readonly caller: HostCaller;
  fn(target: string): PluginFunction;
  call(target: string, args: readonly unknown[]): unknown;
  /**
   * Resolves `target` once; the function returns a promise of the value
   * `fn(target)` would return (rejected with the same errors). Isolated, the
   * host thread is not blocked while the plugin runs.
   */
  fnAsync(target: string): (...args: unknown[]) => Promise<unknown>;
  /** `call` as a promise; the only way to call a plugin importing async host functions. */
  callAsync(target: string, args: readonly unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** The limits, health and WASI of one plugin (src/runtime/limits/sandbox.ts). */
export interface PluginSandbox {
  readonly sandbox: Sandbox;
  readonly health: PluginHealth;
  /** Per-plugin WASI imports (only granted interfaces). */
  readonly wasi: Record<string, unknown>;
}

/**
 * An in-process plugin instance, as hosts see it. The class behind it
 * (`InProcessPlugin`) keeps its instantiation, call guard and fast/jco call
 * routes to itself.
 */
export interface Plugin extends PluginInstance {
  readonly componentHash: string;
  readonly loadInfo: LoadInfo;
  /** Fuel used by the last call (or instantiation); undefined unless fuel or a deadline is set. */
  readonly lastFuel: number | undefined;
  /** The limits in force (validated; memory in pages). */
  readonly limits: ResolvedLimits;
  /**
   * How the current instance was made: `direct` (the plugin's own core
   * module alone), `jco` (through jco's glue), or null (none yet, or it was
   * dropped after a failure).
   */
  readonly instantiation: 'direct' | 'jco' | null;
}
