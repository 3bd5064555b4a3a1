/**
 * Builds the import object a plugin instance is linked with. Deny by default:
 * only interfaces the plugin actually imports get an entry; witplug's own
 * `witplug:host` capabilities are served from the plugin's settings; host
 * interfaces the app implements are adapted to jco's value convention; any
 * other function is a stub that fails with UNSUPPORTED when called.
 */
import type { ComponentShape, FuncType, InterfaceType } from '../component/types.js';
import { WitplugError, ErrorCodes } from '../errors.js';
import { fromJco, toJco, sameInBoth } from './jco-values.js';
import { lowerCamel, stripVersion, upperCamel } from './names.js';

/** A host function receives and returns witplug JS values (see README "Values"). */
export type HostFunction = (...args: never[]) => unknown;
/** Implementations by interface name (qualified `pkg:ns/iface@1.0.0` or unversioned) → WIT function name. */
export type HostImplementations = Readonly<Record<string, Readonly<Record<string, HostFunction>>>>;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (level: LogLevel, message: string, plugin: string) => void;

export interface PluginEnvironment {
  readonly name: string;
  readonly config: ReadonlyMap<string, string>;
  readonly log: LogSink;
  readonly host: HostImplementations;
}

export const HOST_PACKAGE = 'witplug:host';

/** witplug's built-in implementation of `witplug:host@0.1.x`. */
function builtinHost(env: PluginEnvironment): Record<string, Record<string, HostFunction>> {
  return {
    'witplug:host/log': {
      log: ((level: LogLevel, message: string) => env.log(level, message, env.name)) as HostFunction,
    },
    'witplug:host/config': {
      get: ((key: string) => env.config.get(key) ?? null) as HostFunction,
      keys: (() => [...env.config.keys()]) as HostFunction,
    },
  };
}

function lookupImplementation(env: PluginEnvironment, iface: InterfaceType, funcName: string): HostFunction | undefined {
  const unversioned = stripVersion(iface.name);
  const table = env.host[iface.name] ?? env.host[unversioned] ?? builtinHost(env)[unversioned];
  return table?.[funcName] ?? table?.[lowerCamel(funcName)];
}

/** Wraps a witplug-convention host function for jco's glue. */
function adaptForJco(func: FuncType, impl: HostFunction): (...args: unknown[]) => unknown {
  const params = func.params.map((p) => p.type);
  const plainParams = params.every(sameInBoth);
  const result = func.result;
  const call = impl as (...args: unknown[]) => unknown;
  return (...args: unknown[]) => {
    const converted = plainParams ? args : args.map((a, i) => fromJco(params[i]!, a));
    const value = call(...converted);
    if (result === null) return undefined;
    if (result.kind === 'result') {
      // jco lowers a host `result` return from a returned ok value or a thrown err payload.
      const r = value as { tag: 'ok' | 'err'; val?: unknown };
      if (r.tag === 'err') throw Object.assign(new Error('host function returned err'), { payload: result.err ? toJco(result.err, r.val) : undefined });
      return result.ok ? toJco(result.ok, r.val) : undefined;
    }
    return toJco(result, value);
  };
}

/**
 * The witplug-convention implementation of an imported host function, or
 * `fallback` when the host has none (default: a stub that fails with
 * UNSUPPORTED). Resource functions use their canonical names:
 * `[constructor]r`, `[method]r.m`, `[static]r.m`, and the optional
 * `[resource-drop]r` callback.
 */
export function hostFunction(env: PluginEnvironment, iface: InterfaceType, funcName: string): HostFunction;
export function hostFunction(env: PluginEnvironment, iface: InterfaceType, funcName: string, fallback: null): HostFunction | null;
export function hostFunction(env: PluginEnvironment, iface: InterfaceType, funcName: string, fallback?: null): HostFunction | null {
  return lookupImplementation(env, iface, funcName) ?? (fallback === null ? null : unsupported(iface.name, funcName));
}

function unsupported(iface: string, func: string): () => never {
  return () => {
    throw new WitplugError(ErrorCodes.UNSUPPORTED, `host function ${iface}#${func} is not provided by this host`, { hook: `${iface}#${func}` });
  };
}

/** The `imports` argument for jco's `instantiate`, keyed both with and without versions. */
export function buildJcoImports(shape: ComponentShape, env: PluginEnvironment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...extra };
  for (const item of shape.imports) {
    if (item.kind !== 'interface') continue;
    if (item.name.startsWith('wasi:')) continue; // supplied through `extra` (per-plugin WASI) or refused by admission
    const table: Record<string, unknown> = {};
    for (const [funcName, func] of item.iface.funcs) {
      const impl = lookupImplementation(env, item.iface, funcName);
      table[lowerCamel(funcName)] = impl ? adaptForJco(func, impl) : unsupported(item.name, funcName);
    }
    // jco's glue looks up a class per imported resource at instantiation; witplug's generated
    // trampolines replace every use of it, so a placeholder satisfies the lookup.
    for (const t of item.iface.types.values()) {
      if (t.kind !== 'resource' || t.interfaceName !== item.name) continue;
      const name = t.name;
      table[upperCamel(name)] = class {
        constructor() {
          throw new WitplugError(ErrorCodes.UNSUPPORTED, `resource ${item.name}#${name} is only reachable through witplug's generated call path`);
        }
      };
    }
    imports[item.name] = table;
    imports[stripVersion(item.name)] = table;
  }
  return imports;
}
