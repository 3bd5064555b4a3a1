/**
 * The one-call shortcut: `loadPlugin` = `prepare` (src/runtime/load/prepare.ts)
 * + `instantiate` (src/runtime/instance/plugin.ts). A host making many instances
 * of one plugin prepares it once instead.
 */
import { prepare, type PluginOptions } from './prepare.js';
import type { Plugin } from '../instance/surface.js';
import type { IsolatedPlugin } from '../isolate/isolated-plugin.js';

export type { Plugin, PluginFunction, PluginInstance, PluginSandbox } from '../instance/surface.js';
export type { LoadInfo } from '../link/blueprint.js';
export { prepare, PreparedPlugin, sharedCompileCache, type PluginOptions, type InstanceOverrides } from './prepare.js';

export async function loadPlugin(source: string | Uint8Array, options?: PluginOptions & { readonly isolate?: false }): Promise<Plugin>;
export async function loadPlugin(source: string | Uint8Array, options: PluginOptions & { readonly isolate: true }): Promise<IsolatedPlugin>;
export async function loadPlugin(source: string | Uint8Array, options?: PluginOptions): Promise<Plugin | IsolatedPlugin>;
export async function loadPlugin(source: string | Uint8Array, options: PluginOptions = {}): Promise<Plugin | IsolatedPlugin> {
  const prepared = await prepare(source, options);
  try {
    return await prepared.instantiate();
  } finally {
    // The instance holds its own reference to the linked artifact.
    void prepared.close();
  }
}
