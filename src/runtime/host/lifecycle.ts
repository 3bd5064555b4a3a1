/** Starting and stopping one plugin under a PluginHost: its `init` hook, and a close that never rejects unhandled. */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { PluginInstance } from '../instance/surface.js';
import { resolveExport } from '../link/exports.js';
import type { Entry, PluginInfo } from './types.js';

/**
 * The optional lifecycle export `init: func(config: list<tuple<string, string>>)
 * -> result<_, string>`, run once after instantiation: an `err` (or a fault)
 * means the plugin is not loaded.
 */
export function runInit(plugin: PluginInstance, config: Readonly<Record<string, string>>): void {
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
 * promise). A close that fails is reported through `failed`, never an
 * unhandled rejection.
 */
export function closePlugin(plugin: PluginInstance, failed: (e: unknown) => void): void {
  plugin.close().catch(failed);
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function asWitplugError(e: unknown, plugin: string, hook?: string): WitplugError {
  return e instanceof WitplugError ? e : new WitplugError(ErrorCodes.INTERNAL, String(e), { plugin, ...(hook === undefined ? {} : { hook }), cause: e });
}

export function checkPriority(name: string, priority: unknown): void {
  if (priority !== undefined && (typeof priority !== 'number' || !Number.isFinite(priority))) {
    throw new WitplugError(ErrorCodes.USAGE, `plugin "${name}": priority must be a finite number, got ${typeof priority === 'string' ? JSON.stringify(priority) : String(priority)}`, { plugin: name });
  }
}

/** Does the plugin export `target`? (An optional hook's plugins may not.) */
export function exportsTarget(plugin: PluginInstance, target: string): boolean {
  try {
    resolveExport(plugin.shape, target);
    return true;
  } catch {
    return false;
  }
}

/** What `plugins()` reports of an entry (a copy: later calls do not change it). */
export function infoOf(e: Entry): PluginInfo {
  const disabledReason = e.plugin.disabledReason;
  return {
    name: e.name,
    priority: e.priority,
    enabled: e.enabled && !e.failedOut && disabledReason === null,
    isolated: e.isolated,
    disabledReason,
    anchors: e.anchors,
    componentHash: e.componentHash,
    stats: Object.fromEntries([...e.stats].map(([k, v]) => [k, { ...v }])),
  };
}
