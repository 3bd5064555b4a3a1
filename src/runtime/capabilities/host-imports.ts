/**
 * Builds the import object a plugin instance is linked with. Deny by default:
 * only interfaces the plugin actually imports get an entry; witplug's own
 * `witplug:host` capabilities are served from the plugin's settings; host
 * interfaces the app implements are adapted to jco's value convention; any
 * other function is a stub that fails with UNSUPPORTED when called.
 */
import type { ComponentShape, FuncType, InterfaceType, NamedType } from '../../component/types.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { fromJco, toJco, sameInBoth } from '../abi/jco-values.js';
import { lowerCamel, upperCamel } from '../../component/names.js';
import { HOST_SERVED_VERSION, hostKeyFor, servedByShim } from './link-check.js';
import { unversioned, versionOf, versionsCompatible } from '../../component/versions.js';
import type { HostCaller } from './host-caller.js';

/** A host function receives and returns witplug JS values (see README "Values"). */
export type HostFunction = (...args: never[]) => unknown;
/**
 * Implementations by interface name → WIT function name. A versioned key
 * (`pkg:ns/iface@1.0.0`) serves imports of a semver-compatible version; the
 * unversioned key (`pkg:ns/iface`) serves any version, when the plugin
 * imports only one version of that interface.
 */
export type HostImplementations = Readonly<Record<string, Readonly<Record<string, HostFunction>>>>;

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export type LogSink = (level: LogLevel, message: string, plugin: string) => void;

export interface PluginEnvironment {
  readonly name: string;
  readonly config: ReadonlyMap<string, string>;
  readonly log: LogSink;
  readonly host: HostImplementations;
  /** How many versions of each (unversioned) interface the plugin imports; default 1. */
  readonly versionCounts?: ReadonlyMap<string, number>;
  /** What the host's functions see as `currentCaller()` while serving this plugin. */
  readonly caller?: HostCaller;
  /** `interface#function` of the imported host functions declared async (src/runtime/capabilities/host-caller.ts). */
  readonly asyncImports?: readonly string[];
}

export const HOST_PACKAGE = 'witplug:host';

/**
 * The key of `host` for functions and resources imported at the world level
 * (`world w { import add: func(…); resource r { … } }`): a table like an
 * interface's, `host: { $root: { add, '[method]r.m': … } }`. It is the core
 * import module name wit-component gives them, and cannot collide with an
 * imported interface name.
 */
export const WORLD_IMPORTS_KEY = '$root';

/** World-level imported functions and types as one interface named `$root` (null when there are none). */
export function worldImports(shape: ComponentShape): InterfaceType | null {
  const funcs = new Map<string, FuncType>();
  const types = new Map<string, NamedType>();
  for (const item of shape.imports) {
    if (item.kind === 'func') funcs.set(item.name, item.func);
    else if (item.kind === 'type') types.set(item.name, item.type);
  }
  return funcs.size === 0 && types.size === 0 ? null : { kind: 'interface', name: WORLD_IMPORTS_KEY, types, funcs };
}

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

/**
 * The table serving `iface` for this plugin environment, found once per
 * interface (instantiating many plugins looked it up per function: ~10 µs
 * of semver matching and built-in tables per instance, measured).
 */
const tablesOf = new WeakMap<PluginEnvironment, Map<string, Readonly<Record<string, HostFunction>> | undefined>>();

function tableFor(env: PluginEnvironment, ifaceName: string): Readonly<Record<string, HostFunction>> | undefined {
  let tables = tablesOf.get(env);
  if (tables === undefined) tablesOf.set(env, (tables = new Map()));
  if (tables.has(ifaceName)) return tables.get(ifaceName);
  const base = unversioned(ifaceName);
  const key = hostKeyFor(env.host, ifaceName, env.versionCounts?.get(base) ?? 1);
  const table = key !== undefined
    ? env.host[key]
    : versionsCompatible(versionOf(ifaceName) ?? HOST_SERVED_VERSION, HOST_SERVED_VERSION) ? builtinHost(env)[base] : undefined;
  tables.set(ifaceName, table);
  return table;
}

function lookupImplementation(env: PluginEnvironment, iface: InterfaceType, funcName: string): HostFunction | undefined {
  const table = tableFor(env, iface.name);
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

/** A function both versions define is refused in the union: jco's glue could not tell which version called. */
function unionOfVersions(base: string, a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a, ...b };
  for (const k of Object.keys(a)) {
    if (k in b && a[k] !== b[k]) {
      out[k] = () => {
        throw new WitplugError(ErrorCodes.LINK, `${base}#${k} is imported at two versions; only witplug's generated call path can serve each version its own implementation`);
      };
    }
  }
  return out;
}

/** jco's glue reads each world-level import as `imports[name].default` (a function, or a resource's class). */
function addWorldImports(imports: Record<string, unknown>, root: InterfaceType, env: PluginEnvironment): void {
  for (const [funcName, func] of root.funcs) {
    if (funcName.startsWith('[')) continue; // resource functions: jco calls them on the resource's class
    const impl = lookupImplementation(env, root, funcName);
    imports[funcName] = { default: impl ? adaptForJco(func, impl) : unsupported(WORLD_IMPORTS_KEY, funcName) };
  }
  for (const [name, t] of root.types) {
    if (t.kind === 'resource' && t.interfaceName === '') imports[name] = { default: placeholderClass(WORLD_IMPORTS_KEY, name) };
  }
}

function placeholderClass(iface: string, name: string): new () => object {
  return class {
    constructor() {
      throw new WitplugError(ErrorCodes.UNSUPPORTED, `resource ${iface}#${name} is only reachable through witplug's generated call path`);
    }
  };
}

/** The `imports` argument for jco's `instantiate`, keyed both with and without versions. */
export function buildJcoImports(shape: ComponentShape, env: PluginEnvironment, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...extra };
  const root = worldImports(shape);
  if (root) addWorldImports(imports, root, env);
  for (const item of shape.imports) {
    if (item.kind !== 'interface') continue;
    if (servedByShim(item.name)) continue; // supplied through `extra` (per-plugin WASI) or refused by admission
    const table: Record<string, unknown> = {};
    for (const [funcName, func] of item.iface.funcs) {
      const impl = lookupImplementation(env, item.iface, funcName);
      table[lowerCamel(funcName)] = impl ? adaptForJco(func, impl) : unsupported(item.name, funcName);
    }
    // jco's glue looks up a class per imported resource at instantiation; witplug's generated
    // trampolines replace every use of it, so a placeholder satisfies the lookup.
    for (const t of item.iface.types.values()) {
      if (t.kind !== 'resource' || t.interfaceName !== item.name) continue;
      table[upperCamel(t.name)] = placeholderClass(item.name, t.name);
    }
    imports[item.name] = table;
    // jco's glue reads every version of an interface from one unversioned entry (the union of
    // their functions). With two versions, witplug's generated trampolines serve each version
    // from its own table; the union only satisfies the glue's lookups.
    const base = unversioned(item.name);
    const prev = imports[base];
    imports[base] = prev !== undefined ? unionOfVersions(base, prev as Record<string, unknown>, table) : table;
  }
  return imports;
}
