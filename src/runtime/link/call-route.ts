/**
 * Which call path a component can use, decided from its canon section (like
 * UTF-16 strings) and, per export, from where it is lifted: witplug's
 * generated callers call core exports directly,
 * without jco's per-call task. They keep `context.get/set` slots themselves
 * when the core imports follow wit-component's naming; components using
 * other async built-ins or the async ABI go through jco's bindings; and jco
 * runs the async ABI with JSPI, which Node 20 lacks.
 */
import type { DecodedComponent } from '../../component/decode.js';
import { CONTEXT_IMPORT_MODULE, CONTEXT_IMPORT_NAME, CONTEXT_SLOTS } from '../abi/context-slots.js';

/** Built-ins that suspend the calling core code: jco implements them with JSPI. */
const SUSPENDING = new Set([
  'waitable-set.wait', 'thread.yield', 'thread.suspend', 'thread.suspend-then-resume', 'thread.yield-then-resume',
  'thread.suspend-then-promote', 'thread.yield-then-promote',
]);
/**
 * The built-ins the generated path supports (plus context.get/set, below).
 * Every other one (streams, futures, subtasks, waitables, threads) sends the
 * component's calls through jco.
 */
const SYNC_ONLY = new Set(['lift', 'lower', 'resource.new', 'resource.drop', 'resource.rep']);

/** Task-state built-ins the generated path implements itself (src/runtime/abi/context-slots.ts). */
const CONTEXT = new Set(['context.get', 'context.set']);

export interface CallRoute {
  /** Calls may use the generated canonical-ABI path (else every call goes through jco). */
  readonly generatedCalls: boolean;
  /** The generated path keeps context slots (only with `generatedCalls`). */
  readonly contextSlots: boolean;
  /** Set when no call can run on this Node: names the features (the message of the calls' UNSUPPORTED). */
  readonly unsupported: string | null;
}

export function hasJspi(): boolean {
  const wa = WebAssembly as unknown as { promising?: unknown; Suspending?: unknown };
  return typeof wa.promising === 'function' && typeof wa.Suspending === 'function';
}

/** Whether the generated caller may serve the export with this core name (its lift is on the instance it calls). */
export function servesExport(decoded: DecodedComponent, coreName: string): boolean {
  return decoded.liftSource?.names.includes(coreName) ?? false;
}

/**
 * `namedContextImports`: whether the core modules import context.get/set
 * under wit-component's names, which the generated path can replace;
 * otherwise such a component's calls go through jco. `liftSourceLinked`:
 * the component has no exports, or the linker holds the module of the core
 * instance its exports are lifted from (src/component/core-wiring.ts); the
 * generated callers call that instance, and only for the exports lifted from
 * it under canonical names (`servesExport`), the others going through jco.
 */
export function callRoute(decoded: DecodedComponent, namedContextImports: boolean, liftSourceLinked: boolean, jspi: boolean = hasJspi()): CallRoute {
  const builtins = decoded.canonBuiltins ?? [];
  const contextSlots = namedContextImports && builtins.some((b) => CONTEXT.has(b));
  const needsJspi = [...(decoded.asyncCanon ? ['the async canon option (canon lift/lower async)'] : []), ...builtins.filter((b) => SUSPENDING.has(b)).map((b) => `canon ${b}`)];
  const generatedCalls = liftSourceLinked && decoded.utf8Strings !== false && !decoded.asyncCanon
    && builtins.every((b) => SYNC_ONLY.has(b) || (contextSlots && CONTEXT.has(b)));
  return {
    generatedCalls,
    contextSlots: generatedCalls && contextSlots,
    unsupported: needsJspi.length > 0 && !jspi
      ? `uses ${needsJspi.join(', ')}, which jco's bindings run with JSPI (WebAssembly.promising/Suspending); Node ${process.version} has no JSPI`
      : null,
  };
}

/** Whether some core module imports the context built-ins under wit-component's names (and only slots witplug keeps). */
export function usesNamedContextImports(modules: Iterable<WebAssembly.Module>): boolean {
  let found = false;
  for (const m of modules) {
    for (const imp of WebAssembly.Module.imports(m)) {
      const match = imp.module === CONTEXT_IMPORT_MODULE ? CONTEXT_IMPORT_NAME.exec(imp.name) : null;
      if (!match) continue;
      if (Number(match[2]) >= CONTEXT_SLOTS) return false;
      found = true;
    }
  }
  return found;
}
