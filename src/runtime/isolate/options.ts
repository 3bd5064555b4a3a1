/** What an isolated plugin is started with, on the host side and across into its worker. */
import type { HostImplementations, LogSink } from '../capabilities/host-imports.js';
import type { HostCaller } from '../capabilities/host-caller.js';
import type { Grant, Limits } from '../capabilities/grant.js';
import type { HealthPolicy } from '../limits/health.js';
import type { CompileCache } from '../../compile/cache.js';

/** Serializable subset of PluginOptions that crosses into the worker. */
export interface IsolatedPluginOptions {
  readonly name: string;
  readonly config?: Readonly<Record<string, string>>;
  readonly grant?: Grant;
  /** Limits enforced in the worker (timeoutMs is not: the host enforces it). */
  readonly limits?: Limits;
  /** `false`: no warm-up at load in the worker (PluginOptions.warmUp). */
  readonly warmUp?: boolean;
}

export interface IsolatedInit {
  readonly sab: SharedArrayBuffer;
  readonly bytes: Uint8Array;
  readonly options: IsolatedPluginOptions;
  /** Interfaces → function names implemented on the host thread. */
  readonly hostFunctions: Record<string, string[]>;
  /** The compile cache directory the worker uses; null: no disk cache. */
  readonly cacheDir: string | null;
}

export interface IsolatedStartOptions {
  readonly name: string;
  readonly config?: Readonly<Record<string, string>>;
  readonly grant?: Grant;
  readonly limits?: Limits;
  readonly warmUp?: boolean;
  readonly host?: HostImplementations;
  readonly log?: LogSink;
  readonly health?: Partial<HealthPolicy>;
  /** Compile cache (its directory is used in the worker); null disables the disk cache. */
  readonly cache?: CompileCache | null;
  /** What host functions see as `currentCaller()` (default: the name, no version, a fresh context). */
  readonly caller?: HostCaller;
  /** `interface#function` of the imported host functions declared asynchronous: calls must then be `callAsync`. */
  readonly asyncImports?: readonly string[];
}
