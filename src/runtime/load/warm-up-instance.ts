/**
 * The warm-up at load of an in-process plugin (src/runtime/limits/warm-up.ts
 * says why and what it calls): a throwaway instance of the prepared plugin's
 * own blueprint and linked modules, closed before prepare() returns.
 */
import type { PluginEnvironment } from '../capabilities/host-imports.js';
import { wasiImportsOf } from '../capabilities/wasi.js';
import { Sandbox } from '../limits/sandbox.js';
import { PluginHealth } from '../limits/health.js';
import { runWarmUp, warmUpCalls, warmUpLimits } from '../limits/warm-up.js';
import { listExportedFunctions } from '../link/exports.js';
import type { LinkedArtifact } from '../link/linker.js';
import type { PluginBlueprint } from '../link/blueprint.js';
import { InProcessPlugin } from '../instance/plugin.js';
import type { PluginOptions } from './prepare.js';

/** What the warm-up needs of a prepared in-process plugin's stage. */
export interface WarmUpStage {
  readonly blueprint: PluginBlueprint;
  readonly linked: LinkedArtifact;
  readonly options: PluginOptions;
  /** The WASI interfaces each instance links. */
  readonly wasi: readonly string[];
  readonly version: string | null;
}

/**
 * Runs the plugin's exports once on a throwaway instance (src/runtime/limits/warm-up.ts):
 * V8's lazy compilation and the guest's lazy start-up are paid here, under the
 * warm-up's own deadline and health, with no host function, log, files or
 * output reaching the host. Whatever fails is ignored: the plugin's own
 * instantiation reports real problems.
 */
export async function warmUp(stage: WarmUpStage, name: string): Promise<{ calls: number; ms: number } | null> {
  const { blueprint, linked, options } = stage;
  const limits = warmUpLimits(blueprint.limits);
  if (limits === null) return null;
  const started = performance.now();
  const grant = options.grant;
  const env: PluginEnvironment = {
    name: `${name} (warm-up)`,
    config: new Map(Object.entries({ ...(grant?.config ?? {}), ...(options.config ?? {}) })),
    log: () => {},
    host: {},
    versionCounts: blueprint.versionCounts,
    caller: { name: `${name} (warm-up)`, version: stage.version, context: {} },
  };
  const quietGrant = grant === undefined ? undefined : { ...grant, filesystem: [], env: {} };
  let wasi: Record<string, unknown>;
  try {
    wasi = await wasiImportsOf(stage.wasi, quietGrant, env.name, limits.maxOpenFiles, true);
  } catch {
    return null; // the plugin's own instantiation reports it
  }
  const own = linked.share();
  let plugin: InProcessPlugin;
  try {
    plugin = new InProcessPlugin(blueprint, own, env, { sandbox: new Sandbox(limits), health: new PluginHealth({ maxTraps: Number.MAX_SAFE_INTEGER }), wasi });
  } catch {
    own.release();
    return null;
  }
  let calls = 0;
  try {
    plugin.instantiate();
    calls = runWarmUp((target, args) => plugin.call(target, args), warmUpCalls(listExportedFunctions(blueprint.shape)));
  } catch {
    // The plugin's own instantiation, next, reports what is wrong.
  } finally {
    await plugin.close();
  }
  return { calls, ms: performance.now() - started };
}
