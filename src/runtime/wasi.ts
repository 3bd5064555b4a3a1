/**
 * Per-plugin WASI, confined by its grant. Built on preview2-shim's
 * `WASIShim` sandbox: each plugin gets its own preopens (only its granted
 * directories; `..` and absolute symlinks can't leave them), its own
 * environment (only granted variables, nothing inherited) and no network.
 * Interfaces the grant does not cover are not linked at all; admission has
 * already refused plugins that import them.
 */
import type { ComponentShape } from '../component/types.js';
import { isGranted, type Grant } from './grant.js';
import { readOnlyPreopens } from './wasi-readonly.js';
import { stripVersion } from './names.js';
import { WitplugError, ErrorCodes } from '../errors.js';

interface FilesystemShim {
  types: unknown;
  preopens: { getDirectories(): [unknown, string][] };
}

/**
 * The WASI part of a plugin's import object, keyed by unversioned interface
 * name. preview2-shim is imported on first use (~50 ms): hosts and CLI runs
 * whose plugins import no WASI never load it.
 */
export async function wasiImports(shape: ComponentShape, grant: Grant | undefined, pluginName: string): Promise<Record<string, unknown>> {
  const wanted = shape.imports.filter((i) => i.kind === 'interface' && i.name.startsWith('wasi:') && isGranted(grant, i.name));
  if (wanted.length === 0) return {};
  const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
  const preopens: Record<string, string> = {};
  for (const dir of grant?.filesystem ?? []) preopens[dir.guest] = dir.host;
  const shim = new WASIShim({
    sandbox: { preopens, env: { ...(grant?.env ?? {}) }, args: [pluginName], enableNetwork: false },
  });
  const all = shim.getImportObject() as Record<string, unknown>;
  const readOnly = new Set((grant?.filesystem ?? []).filter((d) => d.readonly).map((d) => d.guest));
  if (readOnly.size > 0) {
    const fs = all['wasi:filesystem/preopens'] as FilesystemShim['preopens'] | undefined;
    if (fs) all['wasi:filesystem/preopens'] = readOnlyPreopens(fs, readOnly);
  }
  confineCli(all);
  const out: Record<string, unknown> = {};
  for (const item of wanted) {
    const key = stripVersion(item.name);
    if (all[key] === undefined) {
      throw new WitplugError(ErrorCodes.LINK, `import ${item.name}: preview2-shim has no implementation of ${key}`, { plugin: pluginName, path: `import ${item.name}` });
    }
    out[key] = all[key];
    out[item.name] = all[key];
  }
  return out;
}

/**
 * Nothing ambient: the shim's initial-cwd is the host's cwd, and its exit
 * ends the host process. A plugin gets no cwd, and exit traps its own call.
 */
function confineCli(all: Record<string, unknown>): void {
  const env = all['wasi:cli/environment'] as Record<string, unknown> | undefined;
  if (env) all['wasi:cli/environment'] = { ...env, initialCwd: () => undefined };
  if (all['wasi:cli/exit']) {
    const refuse = (what: string) => (): never => {
      throw new WitplugError(ErrorCodes.TRAP, `plugin called wasi:cli/exit ${what}; a plugin cannot end the host process`);
    };
    all['wasi:cli/exit'] = { exit: refuse('exit'), exitWithCode: refuse('exit-with-code') };
  }
}
