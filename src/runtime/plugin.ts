/**
 * A loaded plugin: decode → (admit) → compile (cached) → link → instantiate,
 * then typed calls by `iface#func`. An instance that trapped is never called
 * again; the next call gets a fresh one.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ComponentShape } from '../component/types.js';
import { decodeComponent } from '../component/decode.js';
import { CompileCache, type CompiledArtifact } from '../compile/cache.js';
import { WitplugError, ErrorCodes } from '../errors.js';
import { buildJcoImports, type HostImplementations, type LogSink, type PluginEnvironment } from './host-imports.js';
import { linkArtifact, instantiateLinked, type LinkedArtifact } from './linker.js';
import { resolveExport, type ResolvedExport } from './exports.js';
import { fromJco, toJco, sameInBoth } from './jco-values.js';
import { lowerCamel, shortInterfaceName } from './names.js';
import { toPluginError } from './traps.js';
import { admit, type Contract } from '../admission/gate.js';
import { ShapeCache } from '../admission/shape-cache.js';
import { decodePlugin } from '../admission/decoded.js';
import type { AdmissionReport } from '../admission/report.js';

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
   * The contract world the plugin must fit. When given, the admission gate
   * runs before anything is compiled or instantiated and a rejected plugin
   * fails with `REJECTED` (the report is in `error.details.report`).
   */
  readonly contract?: Contract;
  /** Offered interfaces this plugin may import (see admission `allowedImports`). Default: all offered. */
  readonly allowedImports?: ReadonlySet<string>;
}

export interface LoadInfo {
  /** How the compiled artifact was obtained. */
  readonly cache: CompiledArtifact['source'];
  readonly rebuildReason?: string;
  /** Wall time of loadPlugin in ms. */
  readonly ms: number;
}

let defaultCache: CompileCache | undefined;
export function sharedCompileCache(): CompileCache {
  return (defaultCache ??= new CompileCache());
}

const stderrLog: LogSink = (level, message, plugin) => {
  process.stderr.write(`[${plugin}] ${level}: ${message}\n`);
};

export async function loadPlugin(source: string | Uint8Array, options: PluginOptions = {}): Promise<Plugin> {
  const started = performance.now();
  const bytes = typeof source === 'string' ? await readPluginFile(source) : source;
  const name = options.name ?? (typeof source === 'string' ? basename(source).replace(/\.wasm$/, '') : 'plugin');
  const shape = options.contract ? admitOrThrow(bytes, options.contract, name, options.allowedImports) : decodeComponent(bytes).shape;
  const cache = options.cache === undefined ? sharedCompileCache() : options.cache ?? new CompileCache(null);
  const artifact = await cache.compile(bytes);
  const linked = await linkArtifact(artifact);
  const env: PluginEnvironment = {
    name,
    config: new Map(Object.entries(options.config ?? {})),
    log: options.log ?? stderrLog,
    host: options.host ?? {},
  };
  const info: LoadInfo = {
    cache: artifact.source,
    ...(artifact.rebuildReason ? { rebuildReason: artifact.rebuildReason } : {}),
    ms: performance.now() - started,
  };
  const plugin = new Plugin(name, artifact.componentHash, shape, linked, env, info);
  plugin.instantiate(); // fail at load time, not on the first call, if linking is impossible
  return plugin;
}

/** Decoded shapes per component hash: admission of a plugin loaded twice decodes once. */
const shapeCache = new ShapeCache();

function admitOrThrow(bytes: Uint8Array, contract: Contract, name: string, allowedImports?: ReadonlySet<string>): ComponentShape {
  const report: AdmissionReport = admit(bytes, contract, { cache: shapeCache, ...(allowedImports ? { allowedImports } : {}) });
  if (!report.accepted) {
    const first = report.problems[0];
    const more = report.problems.length > 1 ? ` (+${report.problems.length - 1} more)` : '';
    throw new WitplugError(ErrorCodes.REJECTED, `plugin ${name} rejected by the admission gate: ${first ? `${first.code} at ${first.path || '(component)'}: ${first.message}` : 'no reason given'}${more}`, {
      plugin: name,
      details: { report },
    });
  }
  // Accepted means the decode succeeded, so this is a cache hit.
  return shapeCache.getOrDecode(bytes, decodePlugin).shape;
}

async function readPluginFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WitplugError(code === 'ENOENT' ? ErrorCodes.NOT_FOUND : ErrorCodes.USAGE, `cannot read plugin ${path}: ${code ?? (e as Error).message}`, { cause: e });
  }
}

/** A callable export, resolved once. */
export type PluginFunction = (...args: unknown[]) => unknown;

export class Plugin {
  readonly name: string;
  readonly componentHash: string;
  readonly shape: ComponentShape;
  readonly loadInfo: LoadInfo;
  readonly #linked: LinkedArtifact;
  readonly #env: PluginEnvironment;
  readonly #imports: Record<string, unknown>;
  #bindings: Record<string, unknown> | null = null;
  /** Bumped whenever the instance is replaced, so resolved functions re-bind lazily. */
  #generation = 0;

  constructor(name: string, componentHash: string, shape: ComponentShape, linked: LinkedArtifact, env: PluginEnvironment, info: LoadInfo) {
    this.name = name;
    this.componentHash = componentHash;
    this.shape = shape;
    this.#linked = linked;
    this.#env = env;
    this.loadInfo = info;
    this.#imports = buildJcoImports(shape, env);
  }

  /** (Re)creates the instance. Called at load and after a trap. */
  instantiate(): void {
    try {
      this.#bindings = instantiateLinked(this.#linked, this.#imports).bindings;
      this.#generation++;
    } catch (e) {
      this.#bindings = null;
      throw toPluginError(e, this.name, '(instantiate)');
    }
  }

  /** Calls `target` (`iface#func` or a world-level name) with witplug JS values. */
  call(target: string, args: readonly unknown[]): unknown {
    return this.fn(target)(...args);
  }

  /** Resolves `target` once and returns a function that calls it. */
  fn(target: string): PluginFunction {
    return this.jcoFn(target);
  }

  /**
   * The same call through jco's generated bindings (values adapted to
   * witplug's conventions). The baseline of `witplug bench`.
   */
  jcoFn(target: string): PluginFunction {
    const resolved = resolveExport(this.shape, target);
    const hook = resolved.target;
    const params = resolved.type.params;
    const result = resolved.type.result;
    const plainArgs = params.every((p) => sameInBoth(p.type));
    const returnsResult = result?.kind === 'result';
    const plainResult = result === null || (!returnsResult && sameInBoth(result));
    let generation = -1;
    let bound: (...a: unknown[]) => unknown = () => undefined;
    return (...args: unknown[]) => {
      if (args.length !== params.length) {
        throw new WitplugError(ErrorCodes.USAGE, `${hook} takes ${params.length} argument(s) (${params.map((p) => p.name).join(', ')}), got ${args.length}`, { plugin: this.name, hook });
      }
      if (generation !== this.#generation || this.#bindings === null) {
        if (this.#bindings === null) this.instantiate();
        bound = this.#bindFn(resolved);
        generation = this.#generation;
      }
      const jcoArgs = plainArgs ? args : args.map((a, i) => toJco(params[i]!.type, a));
      let value: unknown;
      try {
        value = bound(...jcoArgs);
      } catch (e) {
        if (returnsResult && e !== null && typeof e === 'object' && 'payload' in e && !(e instanceof WebAssembly.RuntimeError)) {
          // jco reports `err` of a result-returning export as a thrown ComponentError.
          return { tag: 'err', val: result.err ? fromJco(result.err, (e as { payload: unknown }).payload) : undefined };
        }
        this.#bindings = null; // a trapped instance is never called again
        throw toPluginError(e, this.name, hook);
      }
      if (plainResult) return value;
      if (returnsResult) return result.ok ? { tag: 'ok', val: fromJco(result.ok, value) } : { tag: 'ok' };
      return fromJco(result!, value);
    };
  }

  #bindFn(resolved: ResolvedExport): (...a: unknown[]) => unknown {
    const bindings = this.#bindings!;
    const holder = resolved.iface === null
      ? bindings
      : ((bindings[resolved.iface] ?? bindings[shortInterfaceName(resolved.iface)]) as Record<string, unknown> | undefined);
    const fn = holder?.[lowerCamel(resolved.func)];
    if (typeof fn !== 'function') {
      throw new WitplugError(ErrorCodes.UNSUPPORTED, `cannot call ${resolved.target} (resource methods are not callable yet)`, { plugin: this.name, hook: resolved.target });
    }
    return fn as (...a: unknown[]) => unknown;
  }
}
