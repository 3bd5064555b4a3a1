/**
 * Stage 1 of a plugin's life: bytes → `PreparedPlugin` (wasmtime's
 * Component + InstancePre). Everything that depends only on the bytes, the
 * contract and the host's options happens here, once: read, hash, decode
 * (one shape-cache lookup), admit, check linkability, compile (through the
 * compile cache), link (jco glue + compiled core modules), and compile the
 * generated import trampolines. `instantiate()` then only builds the
 * per-instance state (src/runtime/instance/plugin.ts).
 */
import { basename } from 'node:path';
import { readInput } from '../../util/read-bytes.js';
import type { ComponentShape } from '../../component/types.js';
import { CompileCache, compileVariant } from '../../compile/cache.js';
import type { CompileProgressListener } from '../../compile/progress.js';
import { moduleFacts } from '../../compile/module-facts.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { admitShape, decodeProblem, type Contract } from '../../admission/gate.js';
import { AdmissionCodes, type AdmissionReport } from '../../admission/report.js';
import { ShapeCache, sha256Hex } from '../../component/shape-cache.js';
import { decodeComponent, type DecodedComponent } from '../../component/decode.js';
import { versionCounts } from '../../component/versions.js';
import { planCapabilities, type CapabilityPlan } from '../capabilities/capability-plan.js';
import { hasJspi } from '../capabilities/host-caller.js';
import { findPluginMetadata } from '../../component/plugin-metadata.js';
import type { HostImplementations, LogSink, PluginEnvironment } from '../capabilities/host-imports.js';
import { linkArtifact, type GlueTransform, type LinkedArtifact } from '../link/linker.js';
import type { Grant, Limits } from '../capabilities/grant.js';
import { Sandbox } from '../limits/sandbox.js';
import { resolveLimits, instrumentedCompileOptions } from '../limits/resolve-limits.js';
import { hardenGlue } from '../limits/glue-hardening.js';
import { PluginHealth, type HealthPolicy } from '../limits/health.js';
import { wasiImportsOf } from '../capabilities/wasi.js';
import { blueprintOf } from '../link/build-blueprint.js';
import { worthWarming } from '../limits/warm-up.js';
import { warmUp } from './warm-up-instance.js';
import { usesWasmGc } from '../../compile/wasm/gc.js';
import { IsolatedPlugin } from '../isolate/isolated-plugin.js';
import { InProcessPlugin, type Plugin, type PluginInstance } from '../instance/plugin.js';
import type { LoadInfo, PluginBlueprint } from '../link/blueprint.js';

export interface PluginOptions {
  /** Name used in logs and errors (default: file name or 'plugin'). */
  readonly name?: string;
  /** Implementations of the contract's host interfaces (witplug values). */
  readonly host?: HostImplementations;
  /** Values served by `witplug:host/config`. */
  readonly config?: Readonly<Record<string, string>>;
  /** Where `witplug:host/log` records go (default: stderr). */
  readonly log?: LogSink;
  /** Compile cache; `null` disables the disk cache. Default: a shared cache in the user's cache dir. */
  readonly cache?: CompileCache | null;
  /**
   * Told when this plugin's compile misses the cache (seconds for a JS
   * guest), and when it ends; `terminalProgress()` prints it on a terminal.
   * Default: silent. Not called for `isolate: true` (the worker compiles).
   */
  readonly onProgress?: CompileProgressListener;
  /**
   * The contract world the plugin must fit. When given, the admission gate
   * runs before anything is compiled or instantiated and a rejected plugin
   * fails with `REJECTED` (the report is in `error.details.report`).
   */
  readonly contract?: Contract;
  /** Offered interfaces this plugin may import (see admission `allowedImports`). Default: all offered. */
  readonly allowedImports?: ReadonlySet<string>;
  /**
   * A plugin importing functions the host's interfaces lack (built against a
   * newer minor): `reject` (default) or `trap` — admitted with a MISSING_IMPORT
   * note per member, each linked to a stub failing the call with UNSUPPORTED.
   */
  readonly missingImports?: 'reject' | 'trap';
  /** Contract exports the plugin may leave out (admitted with an OPTIONAL_EXPORT_MISSING note; see admission `optionalExports`). */
  readonly optionalExports?: ReadonlySet<string>;
  /**
   * Capabilities, deny by default (docs/sandbox.md): which offered imports the
   * plugin may use (no `wasi:*` without a grant), its config, directories,
   * environment, clocks/random, and default limits. See `readGrantManifest`.
   */
  readonly grant?: Grant;
  /** Per-call limits; each field overrides the grant's `limits`. */
  readonly limits?: Limits;
  /** Crash-loop protection: `maxTraps` failed calls within `windowMs` → DISABLED (default 5 in 60 s). */
  readonly health?: Partial<HealthPolicy>;
  /** Run the plugin in a worker thread (deadline overrun → worker terminated and recreated). */
  readonly isolate?: boolean;
  /** What host functions see as `currentCaller().context` for this plugin (default: a fresh `{}` per instance). */
  readonly hostContext?: Record<string, unknown>;
  /**
   * Warm a large plugin up at load (default true): each exported function runs
   * once, with zero arguments, on a throwaway instance whose host functions,
   * log and output go nowhere, so the first real call does not pay for lazy
   * compilation and start-up. Not charged to the plugin (src/runtime/limits/warm-up.ts).
   */
  readonly warmUp?: boolean;
}

/**
 * What may differ between instances of one prepared plugin. Limits, grant
 * and host implementations may not: they decide admission, linking and the
 * compiled (instrumented) code, so they are fixed by prepare().
 */
export interface InstanceOverrides {
  /** Name in logs and errors (default: the prepared plugin's name). */
  readonly name?: string;
  /** `witplug:host/config` values, merged over the grant's and prepare's `config`. */
  readonly config?: Readonly<Record<string, string>>;
  /** Where this instance's `witplug:host/log` records go (default: prepare's `log`). */
  readonly log?: LogSink;
  /** This instance's `currentCaller().context` (default: prepare's `hostContext`, else a fresh `{}`). */
  readonly hostContext?: Record<string, unknown>;
}

let defaultCache: CompileCache | undefined;
export function sharedCompileCache(): CompileCache {
  return (defaultCache ??= new CompileCache());
}

const stderrLog: LogSink = (level, message, plugin) => {
  process.stderr.write(`[${plugin}] ${level}: ${message}\n`);
};

/** jco's glue as every plugin runs it (src/runtime/limits/sandbox.ts hardenGlue). */
const HARDENED_GLUE: GlueTransform = { name: 'hardened', apply: hardenGlue };

/** Decoded shapes per component hash: a plugin prepared twice decodes once. Exported for tests (hits/misses). */
export const pluginShapeCache = new ShapeCache();

/** A prepared plugin dropped without close() still gives back its reference to the linker's caches. */
const unreleased = new FinalizationRegistry<() => void>((release) => release());

/** How a prepared plugin makes instances: in this thread from a linked artifact, or in a worker from the bytes. */
type Stage =
  | {
    readonly kind: 'in-process'; readonly blueprint: PluginBlueprint; readonly linked: LinkedArtifact; readonly options: PluginOptions;
    /** The WASI interfaces each instance links (src/runtime/capabilities/capability-plan.ts). */
    readonly wasi: readonly string[];
    readonly version: string | null; readonly asyncImports: readonly string[];
  }
  | {
    readonly kind: 'isolated'; readonly bytes: Uint8Array; readonly options: PluginOptions & { readonly limits: Limits };
    readonly version: string | null; readonly asyncImports: readonly string[];
  };

/**
 * A plugin checked, compiled and linked once, ready to be instantiated any
 * number of times (each instance has its own memory, state, limits and
 * health). Holds one reference to the linker's per-process caches until
 * close(); every instance holds its own, so closing the prepared plugin
 * leaves its live instances working.
 */
export class PreparedPlugin<P extends PluginInstance = Plugin> {
  readonly name: string;
  readonly componentHash: string;
  readonly shape: ComponentShape;
  /** The admission report (with its notes), or null when no contract was given. */
  readonly report: AdmissionReport | null;
  /** How the compiled artifact was obtained; undefined when isolated (the worker compiles). */
  readonly loadInfo: LoadInfo | undefined;
  #stage: Stage | null;

  /** Internal: use prepare(). */
  constructor(name: string, componentHash: string, shape: ComponentShape, report: AdmissionReport | null, stage: Stage) {
    this.name = name;
    this.componentHash = componentHash;
    this.shape = shape;
    this.report = report;
    this.loadInfo = stage.kind === 'in-process' ? stage.blueprint.loadInfo : undefined;
    this.#stage = stage;
    if (stage.kind === 'in-process') unreleased.register(this, stage.linked.release, this);
  }

  /** True once close() was called: instantiate() then fails with CLOSED. */
  get closed(): boolean {
    return this.#stage === null;
  }

  /**
   * A new, independent instance. In-process this builds only per-instance
   * state (sandbox, health, WASI, ABI context, bound trampolines) and runs
   * the core instantiation (start functions are plugin code, under the
   * limits); isolated, it starts a worker.
   */
  async instantiate(overrides: InstanceOverrides = {}): Promise<P> {
    const stage = this.#stage;
    if (stage === null) throw this.#closedError();
    const name = overrides.name ?? this.name;
    const options = stage.options;
    const config = overrides.config ? { ...options.config, ...overrides.config } : options.config;
    const caller = { name, version: stage.version, context: overrides.hostContext ?? options.hostContext ?? {} };
    if (stage.kind === 'isolated') {
      const log = overrides.log ?? options.log;
      return (await IsolatedPlugin.start(stage.bytes, this.shape, {
        ...options, name, ...(config ? { config } : {}), ...(log ? { log } : {}), caller, asyncImports: stage.asyncImports,
      })) as unknown as P;
    }
    const { blueprint, linked, wasi } = stage;
    const grant = options.grant;
    const env: PluginEnvironment = {
      name,
      config: new Map(Object.entries({ ...(grant?.config ?? {}), ...(config ?? {}) })),
      log: overrides.log ?? options.log ?? stderrLog,
      host: options.host ?? {},
      versionCounts: blueprint.versionCounts,
      caller,
      asyncImports: stage.asyncImports,
    };
    const sandbox = {
      sandbox: new Sandbox(blueprint.limits), health: new PluginHealth(options.health),
      wasi: await wasiImportsOf(wasi, grant, name, blueprint.limits.maxOpenFiles),
    };
    // Re-checked after the await: close() may have run meanwhile.
    if (this.#stage === null) throw this.#closedError();
    const own = linked.share();
    let plugin: InProcessPlugin;
    try {
      plugin = new InProcessPlugin(blueprint, own, env, sandbox);
    } catch (e) {
      own.release();
      throw e;
    }
    // Fail here, not on the first call, if linking is impossible; a plugin no call can run on
    // this Node (async ABI without JSPI) is instantiated lazily, and each call says why it cannot run.
    if (blueprint.route.unsupported === null) {
      try {
        plugin.instantiate();
      } catch (e) {
        void plugin.close();
        throw e;
      }
    }
    return plugin as unknown as P;
  }

  #closedError(): WitplugError {
    return new WitplugError(ErrorCodes.CLOSED, `prepared plugin ${this.name} is closed; prepare it again to instantiate it`, { plugin: this.name, hook: '(instantiate)' });
  }

  /**
   * Gives back this prepared plugin's reference to the linker's per-process
   * caches (the compiled modules are freed once no instance uses them
   * either). Idempotent; live instances keep working.
   */
  close(): Promise<void> {
    const stage = this.#stage;
    this.#stage = null;
    if (stage?.kind === 'in-process') {
      unreleased.unregister(this);
      stage.linked.release();
    }
    return Promise.resolve();
  }
}

export async function prepare(source: string | Uint8Array, options?: PluginOptions & { readonly isolate?: false }): Promise<PreparedPlugin<Plugin>>;
export async function prepare(source: string | Uint8Array, options: PluginOptions & { readonly isolate: true }): Promise<PreparedPlugin<IsolatedPlugin>>;
export async function prepare(source: string | Uint8Array, options?: PluginOptions): Promise<PreparedPlugin<Plugin> | PreparedPlugin<IsolatedPlugin>>;
export async function prepare(source: string | Uint8Array, options: PluginOptions = {}): Promise<PreparedPlugin<Plugin> | PreparedPlugin<IsolatedPlugin>> {
  const started = performance.now();
  // The stages in layer order, each handing plain data to the next: bytes, decoding, capabilities,
  // admission, limits, compile, link and blueprint.
  const bytes = typeof source === 'string' ? await readInput(source, 'plugin') : source;
  const name = options.name ?? (typeof source === 'string' ? basename(source).replace(/\.wasm$/, '') : 'plugin');
  const grant = options.grant;
  // Hashed once (~30 ms for a 12 MB plugin): the shape cache and the compile cache both key on it.
  const hash = sha256Hex(bytes);
  const decoding = decodeOnce(bytes, hash, options.contract !== undefined);
  const decoded = 'decoded' in decoding ? decoding.decoded : undefined;
  const counts = decoded ? versionCounts(decoded.shape) : new Map<string, number>();
  // Read with the decoded component, before the later stages (what host functions see as the caller's version).
  const version = decoded ? findPluginMetadata(decoded.customSections).metadata?.version ?? null : null;
  // Without a decoded shape there is nothing to plan: admission reports why (REJECTED).
  const capabilities = decoded ? await planCapabilities(decoded.shape, {
    contract: options.contract?.shape, grant, host: options.host ?? {}, allowedImports: options.allowedImports,
  }) : undefined;
  const report = options.contract ? admitOrThrow(bytes, decoding, options.contract, name, capabilities, options) : null;
  if (decoded === undefined || capabilities === undefined) throw new WitplugError(ErrorCodes.INTERNAL, `plugin ${name}: decoded without a shape`);
  const shape = decoded.shape;
  // Only now (a rejected plugin is REJECTED first): imports the host cannot serve are the host's gap (LINK).
  if (capabilities.linkFailure !== null) throw capabilities.linkFailure;
  const limits = { ...(grant?.limits ?? {}), ...(options.limits ?? {}) };
  const awaited = capabilities.asyncImports;
  if (options.isolate) {
    const stage = { kind: 'isolated', bytes, options: { ...options, limits }, version, asyncImports: awaited } as const;
    return new PreparedPlugin<IsolatedPlugin>(name, hash, shape, report, stage);
  }
  if (awaited.length > 0 && !hasJspi()) {
    const why = 'this runtime has no JS promise integration (WebAssembly.Suspending and WebAssembly.promising); run a Node with it (25 or newer)';
    throw asyncUnsupported(name, awaited, why);
  }
  // Wasm GC core modules cannot be instrumented yet: no default deadline for them (one asked for fails clearly).
  const gc = limits.timeoutMs === undefined && coreUsesWasmGc(bytes, decoded);
  const resolved = resolveLimits(gc ? { ...limits, timeoutMs: 0 } : limits);
  const cache = options.cache === undefined ? sharedCompileCache() : options.cache ?? new CompileCache(null);
  const compileOptions = instrumentedCompileOptions(resolved);
  const artifact = await cache.compile(bytes, { ...compileOptions, componentHash: hash, label: name, onProgress: options.onProgress });
  // Start code matters only to a direct instantiation, which needs one instance per module.
  const lifted = decoded.liftSource;
  const scanStarts = decoded.oneInstancePerModule === true && lifted !== null;
  const modules = moduleFacts(artifact.coreModules, decoded.coreModules.length, scanStarts, lifted?.module ?? null);
  // The variant keys the per-process compiled-module memo: instrumented and plain modules differ.
  const linked = await linkArtifact(artifact, JSON.stringify(compileVariant(compileOptions)), HARDENED_GLUE);
  try {
    // Completed below, after the warm-up (which needs the blueprint).
    const loadInfo: { -readonly [K in keyof LoadInfo]: LoadInfo[K] } = {
      cache: artifact.source,
      ...(artifact.rebuildReason ? { rebuildReason: artifact.rebuildReason } : {}),
      ms: 0,
    };
    const blueprint = blueprintOf({
      componentHash: artifact.componentHash, shape, decoded, linked, loadInfo, limits: resolved, versionCounts: counts,
      shimServed: capabilities.shimServed, hostInterfaces: capabilities.hostInterfaces,
      modules,
    });
    if (awaited.length > 0 && !blueprint.route.generatedCalls) {
      const why = 'its calls go through jco\'s glue (a feature witplug\'s generated calls do not cover: docs/conformance.md), '
        + 'which calls the plugin synchronously';
      throw asyncUnsupported(name, awaited, why);
    }
    const stage = { kind: 'in-process', blueprint, linked, options, wasi: capabilities.wasi, version, asyncImports: awaited } as const;
    // Not with async host functions: the warm-up links none, and such a plugin is built to wait on them.
    if (options.warmUp !== false && awaited.length === 0 && blueprint.route.unsupported === null && worthWarming(artifact.coreModules)) {
      const warmed = await warmUp(stage, name);
      if (warmed !== null) loadInfo.warmUp = warmed;
    }
    loadInfo.ms = performance.now() - started;
    return new PreparedPlugin<Plugin>(name, artifact.componentHash, shape, report, stage);
  } catch (e) {
    linked.release();
    throw e;
  }
}

/** Whether a core module of the component uses Wasm GC (witplug cannot instrument it yet). */
export function coreUsesWasmGc(bytes: Uint8Array, decoded: DecodedComponent = pluginShapeCache.getOrDecode(bytes, decodeComponent)): boolean {
  return decoded.coreModules.some((m) => usesWasmGc(bytes.subarray(m.offset, m.offset + m.size)));
}

/**
 * An in-process plugin waits for a host function's promise by suspending
 * its wasm stack, which needs JS promise integration and witplug's
 * generated calls; without them it is refused here, not on each call.
 */
function asyncUnsupported(name: string, functions: readonly string[], why: string): WitplugError {
  return new WitplugError(ErrorCodes.ASYNC_UNSUPPORTED, `plugin ${name} imports asynchronous host functions (${functions.join(', ')}), which it cannot wait for in-process: ${why}; or load it with isolate: true (its worker waits while the host's event loop settles the promise)`, {
    plugin: name, details: { asyncImports: functions },
  });
}

/**
 * One shape-cache lookup. Without a contract a failure is thrown as the
 * decoder's error; with one it is kept for admission, which reports it as a
 * problem (REJECTED).
 */
function decodeOnce(bytes: Uint8Array, hash: string, admitting: boolean): { decoded: DecodedComponent } | { failure: unknown } {
  try {
    return { decoded: pluginShapeCache.getOrDecode(bytes, decodeComponent, hash) };
  } catch (e) {
    if (!admitting) throw e;
    return { failure: e };
  }
}

/**
 * Admits the decoded plugin (or reports why it could not be decoded). Deny
 * by default: without a grant no wasi:* import is allowed, even if the
 * contract offers it (`capabilities.allowedImports`).
 */
function admitOrThrow(
  bytes: Uint8Array, decoding: { decoded: DecodedComponent } | { failure: unknown }, contract: Contract, name: string,
  capabilities: CapabilityPlan | undefined, options: PluginOptions,
): AdmissionReport {
  const problem = decodeProblem(bytes, 'failure' in decoding ? decoding.failure : undefined);
  const decoded = problem === null && 'decoded' in decoding ? decoding.decoded : undefined;
  let report: AdmissionReport;
  if (decoded === undefined) {
    report = { accepted: false, problems: problem ? [problem] : [], notes: [] };
  } else {
    try {
      const allowedImports = capabilities?.allowedImports;
      report = admitShape(decoded.shape, contract, {
        ...(allowedImports ? { allowedImports } : {}),
        ...(options.missingImports ? { missingImports: options.missingImports } : {}),
        ...(options.optionalExports ? { optionalExports: options.optionalExports } : {}),
      });
    } catch (e) {
      // As the gate's admit(): a decoder that accepted odd bytes must still not make admission throw.
      const msg = e instanceof Error ? e.message : String(e);
      report = { accepted: false, problems: [{ code: AdmissionCodes.MALFORMED, path: '', message: `internal error while checking a decoded component: ${msg}` }], notes: [] };
    }
  }
  if (!report.accepted || decoded === undefined) {
    const first = report.problems[0];
    const more = report.problems.length > 1 ? ` (+${report.problems.length - 1} more)` : '';
    throw new WitplugError(ErrorCodes.REJECTED, `plugin ${name} rejected by the admission gate: ${first ? `${first.code} at ${first.path || '(component)'}: ${first.message}` : 'no reason given'}${more}`, {
      plugin: name,
      details: { report },
    });
  }
  return report;
}
