/**
 * Turns a compiled artifact into live instances. Compiled core modules and
 * the glue module are memoised per process, so the second instance of a
 * plugin costs only instantiation. Entries are reference-counted: each
 * LinkedArtifact holds one reference until `release()` (Plugin.close, or the
 * plugin being garbage-collected), and the last release drops the entry, so a
 * host cycling through many distinct plugins does not keep them all compiled.
 */
import { coreCompileError } from '../../compile/wasm/gc.js';
import { compileFunction } from 'node:vm';
import type { CompiledArtifact } from '../../compile/cache.js';
import { WitplugError, ErrorCodes } from '../../errors.js';

/** The function jco's sync-instantiation glue exports. */
export type JcoInstantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports?: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

/** Called for every core instance jco creates; may replace imports before instantiation. */
export type CoreInstanceHook = (module: WebAssembly.Module, imports: WebAssembly.Imports | undefined) => WebAssembly.Imports | undefined;

export interface LinkedArtifact {
  readonly instantiate: JcoInstantiate;
  readonly modules: ReadonlyMap<string, WebAssembly.Module>;
  /** Gives back this artifact's references to the per-process caches (idempotent). */
  readonly release: () => void;
  /** Another handle on the same entries, with its own references (synchronous: one per instance of a prepared plugin). */
  readonly share: () => LinkedArtifact;
}

interface Shared<T> {
  readonly promise: Promise<T>;
  refs: number;
}

const glueCache = new Map<string, Shared<JcoInstantiate>>();
const moduleCache = new Map<string, Shared<Map<string, WebAssembly.Module>>>();

/** Entries in the per-process caches (tests and `witplug` diagnostics). */
export function linkerCacheSize(): { glue: number; modules: number } {
  return { glue: glueCache.size, modules: moduleCache.size };
}

/** Takes a reference to the entry `key`, creating it with `make` when absent. */
function acquire<T>(cache: Map<string, Shared<T>>, key: string, make: () => Promise<T>): Shared<T> {
  let entry = cache.get(key);
  if (!entry) {
    const created: Shared<T> = { promise: make(), refs: 0 };
    // A failure is not memoised (only this entry: a newer one under the same key stays).
    created.promise.catch(() => {
      if (cache.get(key) === created) cache.delete(key);
    });
    cache.set(key, created);
    entry = created;
  }
  entry.refs++;
  return entry;
}

function release<T>(cache: Map<string, Shared<T>>, key: string, entry: Shared<T>): void {
  if (--entry.refs <= 0 && cache.get(key) === entry) cache.delete(key);
}

/** A rewrite of jco's glue before it is evaluated; `name` keys the per-process cache (one name, one rewrite). */
export interface GlueTransform {
  readonly name: string;
  readonly apply: (glue: string) => string;
}

const AS_IS: GlueTransform = { name: 'as-is', apply: (glue) => glue };

/**
 * `transform` (the sandbox's hardening) runs only when the glue is not
 * cached yet. The glue is keyed by the component's hash: it is a function of
 * the component alone (transpile options and jco are fixed per process; the
 * instrumentation variant changes core modules, not glue), so a cache hit
 * neither hashes nor rewrites the ~160 KB text (measured: ~40% of a warm
 * loadPlugin did).
 */
export async function linkArtifact(artifact: CompiledArtifact, compileVariant = '', transform: GlueTransform = AS_IS): Promise<LinkedArtifact> {
  const glueKey = `${artifact.componentHash}:${transform.name}`;
  const moduleKey = `${artifact.componentHash}:${compileVariant}`;
  const glue = acquire(glueCache, glueKey, () => loadGlue(transform.apply(artifact.glue)));
  const modules = acquire(moduleCache, moduleKey, () => compileModules(artifact));
  return handleOn(glueKey, glue, moduleKey, modules);
}

/**
 * The LinkedArtifact owning one reference to each entry (taken by the
 * caller). A function of its own so that its closures cannot capture the
 * artifact: a closure context that held it kept every plugin's ~160 KB glue
 * string alive as long as the plugin (measured).
 */
async function handleOn(
  glueKey: string, glue: Shared<JcoInstantiate>, moduleKey: string, modules: Shared<Map<string, WebAssembly.Module>>,
): Promise<LinkedArtifact> {
  const handle = (instantiate: JcoInstantiate, compiled: ReadonlyMap<string, WebAssembly.Module>): LinkedArtifact => {
    let released = false;
    return {
      instantiate,
      modules: compiled,
      release: () => {
        if (released) return;
        released = true;
        release(glueCache, glueKey, glue);
        release(moduleCache, moduleKey, modules);
      },
      share: () => {
        if (released) throw new WitplugError(ErrorCodes.INTERNAL, 'a released linked artifact cannot be shared');
        glue.refs++;
        modules.refs++;
        return handle(instantiate, compiled);
      },
    };
  };
  try {
    const [instantiate, compiled] = await Promise.all([glue.promise, modules.promise]);
    return handle(instantiate, compiled);
  } catch (e) {
    release(glueCache, glueKey, glue);
    release(moduleCache, moduleKey, modules);
    throw e;
  }
}

async function loadGlue(glue: string): Promise<JcoInstantiate> {
  const instantiate = await evaluateGlue(glue);
  if (typeof instantiate !== 'function') throw new WitplugError(ErrorCodes.COMPILE, 'jco glue has no instantiate()');
  return instantiate;
}

/**
 * The sync-instantiation glue imports nothing and exports `instantiate` (and
 * an empty `_util`), so it can run as a classic script: measured 3× cheaper
 * to compile than importing it as an ES module (6 ms vs 19 ms for 160 KB).
 * Anything unexpected falls back to a data: URL module import.
 */
async function evaluateGlue(glue: string): Promise<JcoInstantiate | undefined> {
  const body = glueAsScript(glue);
  if (body !== undefined) {
    // compileFunction, not vm.Script or new Function: V8 keeps those in its
    // source-keyed compilation cache (measured: ~90 KB per distinct glue still
    // live after GC), so a host cycling through plugins would never free them.
    const factory = compileFunction(`${body}\nreturn instantiate;`, [], { filename: 'witplug-jco-glue.js' }) as () => JcoInstantiate;
    return factory();
  }
  const m = (await import(`data:text/javascript;base64,${Buffer.from(glue).toString('base64')}`)) as { instantiate?: JcoInstantiate };
  return m.instantiate;
}

/** The glue with its two `export`s dropped, or undefined when it has other imports or exports (then it runs as a module). */
export function glueAsScript(glue: string): string | undefined {
  const body = glue.replace(/^export function instantiate\(/m, 'function instantiate(').replace(/^export const _util\b/m, 'const _util');
  return /^\s*(import|export)\b/m.test(body) ? undefined : body;
}

async function compileModules(artifact: CompiledArtifact): Promise<Map<string, WebAssembly.Module>> {
  const out = new Map<string, WebAssembly.Module>();
  for (const [name, bytes] of artifact.coreModules) {
    try {
      out.set(name, await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
    } catch (e) {
      throw coreCompileError(name, bytes, e);
    }
  }
  return out;
}

/**
 * Instantiates synchronously; `hook` sees (and may rewrite) every core
 * instance's imports, `created` sees each core instance as soon as it exists
 * (before later ones run their start functions). `existing` stands in for
 * the core instance of its module (created neither again nor reported).
 */
export function instantiateLinked(
  linked: LinkedArtifact, imports: Record<string, unknown>, hook?: CoreInstanceHook,
  created?: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
  existing?: { readonly module: WebAssembly.Module; readonly instance: WebAssembly.Instance },
): {
  bindings: Record<string, unknown>;
  coreInstances: WebAssembly.Instance[];
} {
  const coreInstances: WebAssembly.Instance[] = [];
  const bindings = linked.instantiate(
    (name) => {
      const m = linked.modules.get(name);
      if (!m) throw new WitplugError(ErrorCodes.COMPILE, `jco glue asked for unknown core module ${name}`);
      return m;
    },
    imports,
    (module, coreImports) => {
      if (module === existing?.module) {
        coreInstances.push(existing.instance);
        return existing.instance;
      }
      const inst = new WebAssembly.Instance(module, hook ? hook(module, coreImports) : coreImports);
      coreInstances.push(inst);
      created?.(inst, module);
      return inst;
    },
  );
  return { bindings, coreInstances };
}
