/**
 * What `run`, `bench` and `check` take from files besides the plugin: the
 * grant (`--grant`, the plugin manifest format `PluginHost.loadDir` reads)
 * and the host app's own implementations (`--host`, a JavaScript module).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WitplugError, ErrorCodes, type Grant, type HostImplementations } from '../index.js';
import { readPluginManifest } from '../tools.js';
import { usage } from './output.js';

/**
 * The grant of a plugin manifest (`<name>.json` as `loadDir` reads it). Its
 * `priority` and `anchor` order plugins behind a PluginHost and mean nothing
 * to one plugin, so they are accepted and not used.
 */
export async function readGrantFlag(path: string): Promise<Grant> {
  const manifest = await readPluginManifest(path);
  if (manifest === null) throw new WitplugError(ErrorCodes.NOT_FOUND, `cannot read grant manifest ${path}: no such file`);
  return manifest.grant;
}

/**
 * The host implementations a `--host` module exports as its default export:
 * `{ 'pkg:ns/iface@1.0.0': { func(...args) { … } } }`, as the `host` option of
 * `loadPlugin` takes them. The module runs in the CLI's process.
 */
export async function importHostModule(path: string): Promise<HostImplementations> {
  const file = resolve(path);
  if (!existsSync(file)) throw new WitplugError(ErrorCodes.NOT_FOUND, `cannot read host module ${path}: no such file`);
  if (!statSync(file).isFile()) throw usage(`host module ${path} is not a file`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw usage(`host module ${path} failed to load: ${e instanceof Error ? e.message : String(e)}`);
  }
  return hostImplementations(module.default, path);
}

/** Checks the shape `loadPlugin` expects, naming the first entry that does not fit. */
function hostImplementations(value: unknown, path: string): HostImplementations {
  const shape = "a default export { '<interface>': { <function>: (...args) => result } }";
  if (value === null || typeof value !== 'object') throw usage(`host module ${path} must have ${shape}, its default export is ${value === null ? 'null' : typeof value}`);
  for (const [iface, table] of Object.entries(value)) {
    if (table === null || typeof table !== 'object') throw usage(`host module ${path}: "${iface}" must be an object of functions (${shape})`);
    for (const [name, fn] of Object.entries(table as object)) {
      if (typeof fn !== 'function') throw usage(`host module ${path}: "${iface}".${name} must be a function, got ${typeof fn}`);
    }
  }
  return value as HostImplementations;
}
