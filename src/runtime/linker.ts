/**
 * Turns a compiled artifact into live instances. Compiled core modules and
 * the glue module are memoised per process, so the second instance of a
 * plugin costs only instantiation.
 */
import { Script } from 'node:vm';
import type { CompiledArtifact } from '../compile/cache.js';
import { sha256Hex } from '../compile/artifact.js';
import { WitplugError, ErrorCodes } from '../errors.js';

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
}

const glueCache = new Map<string, Promise<JcoInstantiate>>();
const moduleCache = new Map<string, Promise<Map<string, WebAssembly.Module>>>();

export async function linkArtifact(artifact: CompiledArtifact, compileVariant = ''): Promise<LinkedArtifact> {
  const [instantiate, modules] = await Promise.all([loadGlue(artifact.glue), compileModules(artifact, compileVariant)]);
  return { instantiate, modules };
}

function loadGlue(glue: string): Promise<JcoInstantiate> {
  const key = sha256Hex(glue);
  let p = glueCache.get(key);
  if (!p) {
    p = evaluateGlue(glue).then((instantiate) => {
      if (typeof instantiate !== 'function') throw new WitplugError(ErrorCodes.COMPILE, 'jco glue has no instantiate()');
      return instantiate;
    });
    glueCache.set(key, p);
    p.catch(() => glueCache.delete(key));
  }
  return p;
}

/**
 * The sync-instantiation glue imports nothing and exports `instantiate` (and
 * an empty `_util`), so it can run as a classic script: measured 3× cheaper
 * to compile than importing it as an ES module (6 ms vs 19 ms for 160 KB).
 * Anything unexpected falls back to a data: URL module import.
 */
async function evaluateGlue(glue: string): Promise<JcoInstantiate | undefined> {
  const body = glue.replace(/^export function instantiate\(/m, 'function instantiate(').replace(/^export const _util\b/m, 'const _util');
  if (!/^\s*(import|export)\b/m.test(body)) {
    const factory = new Script(`(function () {\n${body}\nreturn instantiate;\n})`, { filename: 'witplug-jco-glue.js' }).runInThisContext() as () => JcoInstantiate;
    return factory();
  }
  const m = (await import(`data:text/javascript;base64,${Buffer.from(glue).toString('base64')}`)) as { instantiate?: JcoInstantiate };
  return m.instantiate;
}

function compileModules(artifact: CompiledArtifact, variant: string): Promise<Map<string, WebAssembly.Module>> {
  const key = `${artifact.componentHash}:${variant}`;
  let p = moduleCache.get(key);
  if (!p) {
    p = (async () => {
      const out = new Map<string, WebAssembly.Module>();
      for (const [name, bytes] of artifact.coreModules) {
        try {
          out.set(name, await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
        } catch (e) {
          throw new WitplugError(ErrorCodes.COMPILE, `core module ${name} does not compile: ${(e as Error).message}`, { cause: e });
        }
      }
      return out;
    })();
    moduleCache.set(key, p);
    p.catch(() => moduleCache.delete(key));
  }
  return p;
}

/**
 * Instantiates synchronously; `hook` sees (and may rewrite) every core
 * instance's imports, `created` sees each core instance as soon as it exists
 * (before later ones run their start functions).
 */
export function instantiateLinked(
  linked: LinkedArtifact, imports: Record<string, unknown>, hook?: CoreInstanceHook, created?: (instance: WebAssembly.Instance) => void,
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
      const inst = new WebAssembly.Instance(module, hook ? hook(module, coreImports) : coreImports);
      coreInstances.push(inst);
      created?.(inst);
      return inst;
    },
  );
  return { bindings, coreInstances };
}
