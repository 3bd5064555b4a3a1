/** Starting and stopping one plugin under a PluginHost: its `init` hook, and a close that never rejects unhandled. */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { Plugin } from '../instance/surface.js';
import type { HostLogger } from './types.js';

/**
 * The optional lifecycle export `init: func(config: list<tuple<string, string>>)
 * -> result<_, string>`, run once after instantiation: an `err` (or a fault)
 * means the plugin is not loaded.
 */
export function runInit(plugin: Plugin, config: Readonly<Record<string, string>>): void {
  const init = plugin.shape.exports.find((e) => e.kind === 'func' && e.name === 'init');
  if (init === undefined) return;
  const result = plugin.fn('init')(Object.entries(config));
  if (result !== null && typeof result === 'object' && (result as { tag?: unknown }).tag === 'err') {
    const reason = (result as { val?: unknown }).val;
    throw new WitplugError(ErrorCodes.INIT_FAILED, `init refused to start: ${typeof reason === 'string' ? reason : 'no reason given'}`, { plugin: plugin.name, hook: 'init' });
  }
}

/**
 * Closes without waiting (in-process close() is synchronous work behind a
 * promise). It is refused while the plugin is running a call — a host
 * function unloading the plugin that called it: logged, never an unhandled
 * rejection.
 */
export function closePlugin(plugin: Plugin, log: HostLogger): void {
  plugin.close().catch((e: unknown) => log('error', `could not close: ${e instanceof Error ? e.message : String(e)}`, plugin.name));
}
