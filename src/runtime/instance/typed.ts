/**
 * Typed access to a plugin's exports for generated bindings (`witplug types`).
 * `plugin.exports.filter.check` *is* `plugin.fn('…/filter@…#check')`: resolved
 * once here, so a typed call costs what `plugin.fn` costs.
 */
import type { Plugin } from './surface.js';

/** A plugin whose exports are typed by the generated `Exports` of its world. */
export type TypedPlugin<E> = Plugin & { readonly exports: E };

/** Export table of generated bindings: JS key → `plugin.fn` target, per interface or world-level function. */
export type ExportTable = Readonly<Record<string, string | Readonly<Record<string, string>>>>;

export function bindExports<E>(plugin: Plugin, table: ExportTable): TypedPlugin<E> {
  const exports: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(table)) {
    if (typeof entry === 'string') {
      exports[key] = plugin.fn(entry);
    } else {
      const iface: Record<string, unknown> = {};
      for (const [fn, target] of Object.entries(entry)) iface[fn] = plugin.fn(target);
      exports[key] = Object.freeze(iface);
    }
  }
  return Object.assign(plugin, { exports: Object.freeze(exports) as E });
}
