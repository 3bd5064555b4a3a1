/** Starting and stopping one plugin under a PluginHost: its `init` hook, and a close that never rejects unhandled. */
import { WitplugError, ErrorCodes } from '../../errors.js';
import type { PluginInstance } from '../instance/surface.js';
import { resolveExport } from '../link/exports.js';
import { asyncImports } from '../capabilities/host-caller.js';
import type { Anchor, Entry, PluginHostOptions, PluginInfo } from './types.js';

/**
 * The optional lifecycle export `init: func(config: list<tuple<string, string>>)
 * -> result<_, string>`, run once after instantiation: an `err` (or a fault)
 * means the plugin is not loaded.
 */
export async function runInit(plugin: PluginInstance, config: Readonly<Record<string, string>>, waits: boolean): Promise<void> {
  const init = plugin.shape.exports.find((e) => e.kind === 'func' && e.name === 'init');
  if (init === undefined) return;
  // A plugin importing async host functions can only be called asynchronously, init included.
  const result = waits ? await plugin.fnAsync('init')(Object.entries(config)) : plugin.fn('init')(Object.entries(config));
  if (result !== null && typeof result === 'object' && (result as { tag?: unknown }).tag === 'err') {
    const reason = (result as { val?: unknown }).val;
    throw new WitplugError(ErrorCodes.INIT_FAILED, `init refused to start: ${typeof reason === 'string' ? reason : 'no reason given'}`, { plugin: plugin.name, hook: 'init' });
  }
}

/**
 * A plugin importing async host functions can only be called through
 * `fnAsync`: every hook that would call it, and every operation it anchors
 * to, must be `async: true`. Refused at load
 * (ASYNC_UNSUPPORTED, naming the hooks to declare async), never per call.
 * Returns whether the plugin imports async host functions.
 */
export function checkAsyncHooks(plugin: PluginInstance, options: PluginHostOptions, anchors: readonly Anchor[]): boolean {
  const awaited = asyncImports(plugin.shape, options.host ?? {});
  const hooks = options.hooks ?? {};
  if (awaited.length === 0) return false;
  const syncHooks = Object.entries(hooks)
    .filter(([, spec]) => spec.async !== true && (spec.optional !== true || exportsTarget(plugin, spec.target)))
    .map(([name]) => name);
  const ops = options.operations ?? {};
  const syncOperation = (op: string): boolean => Object.hasOwn(ops, op) && ops[op]!.async !== true;
  const operations = [...new Set(anchors.map((a) => a.operation))].filter(syncOperation);
  if (syncHooks.length === 0 && operations.length === 0) return true;
  const fixes = [
    ...(syncHooks.length === 0 ? [] : [`declare hook(s) ${syncHooks.map((h) => `"${h}"`).join(', ')} with async: true`]),
    ...(operations.length === 0 ? [] : [`declare operation(s) ${operations.map((o) => `"${o}"`).join(', ')} with async: true`]),
  ];
  throw new WitplugError(ErrorCodes.ASYNC_UNSUPPORTED, `plugin ${plugin.name} imports asynchronous host functions (${awaited.join(', ')}), which only an async dispatch can wait for: ${fixes.join('; ')}`, {
    plugin: plugin.name, details: { asyncImports: awaited, syncHooks, operations },
  });
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
