/**
 * Where a host's plugin runs: in-process, in its own worker, or `'auto'`:
 * in-process where it can run there, in a worker where it cannot (it imports
 * async host functions and this Node has no JS promise integration, or its
 * calls go through jco's bindings, which cannot wait). The same host code then
 * runs on every supported Node and takes the cheaper path where there is one.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { prepare, type PluginInstance, type PluginOptions, type PreparedPlugin } from '../load/load-plugin.js';

export type IsolateChoice = boolean | 'auto';

export async function prepareWhere(
  source: string | Uint8Array, options: Omit<PluginOptions, 'isolate'>, choice: IsolateChoice,
): Promise<{ prepared: PreparedPlugin<PluginInstance>; isolated: boolean }> {
  if (choice !== 'auto') return { prepared: await prepare(source, { ...options, isolate: choice }), isolated: choice };
  try {
    return { prepared: await prepare(source, { ...options, isolate: false }), isolated: false };
  } catch (e) {
    // Refused before anything ran (prepare decides it from the imports), so trying again is clean.
    if (!(e instanceof WitplugError) || e.code !== ErrorCodes.ASYNC_UNSUPPORTED) throw e;
    return { prepared: await prepare(source, { ...options, isolate: true }), isolated: true };
  }
}
