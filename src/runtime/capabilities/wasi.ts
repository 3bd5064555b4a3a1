/**
 * Per-plugin WASI, confined by its grant. Built on preview2-shim's
 * `WASIShim` sandbox: each plugin gets its own preopens (only its granted
 * directories, every path checked by wasi-confined.ts), its own
 * environment (only granted variables, nothing inherited) and no network.
 * Interfaces the grant does not cover are not linked at all; admission has
 * already refused plugins that import them.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ComponentShape } from '../../component/types.js';
import { isGranted, type DirectoryGrant, type Grant } from './grant.js';
import { confinedPreopens } from './wasi-confined.js';
import { rootIdentity, DescriptorLedger, DEFAULT_MAX_OPEN_FILES, type GrantedRoot, type ShimDescriptor } from './descriptor-ledger.js';
import { unversioned } from '../../component/versions.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { servedByShim } from './link-check.js';
import { StderrTail, captureStderr, captureStdout, registerStderrTail } from './stderr-tail.js';

interface FilesystemShim {
  types: unknown;
  preopens: { getDirectories(): [unknown, string][] };
}

/** The descriptor ledger of each WASI import object (one per plugin instance). */
const ledgers = new WeakMap<object, DescriptorLedger>();

/**
 * Closes every file, directory, listing and stream the plugin instance
 * using these WASI imports still holds: when its core instance is replaced
 * or dropped (a trap), and when it is closed. Not on any call path.
 */
export function releaseWasi(imports: Record<string, unknown>): void {
  ledgers.get(imports)?.release();
}

/** How many WASI descriptors and streams the instance using these imports holds open (0 without a filesystem grant). */
export function openWasiDescriptors(imports: Record<string, unknown>): number {
  return ledgers.get(imports)?.size ?? 0;
}

/**
 * The WASI part of a plugin's import object, keyed by unversioned interface
 * name. preview2-shim is imported on first use (~50 ms): hosts and CLI runs
 * whose plugins import no WASI never load it. `maxOpenFiles` caps what the
 * instance may hold open at once (default DEFAULT_MAX_OPEN_FILES). What the
 * plugin writes to stderr is kept (the tail its TRAP errors carry) and passed
 * on to the host's stderr; `quiet` keeps stdout and stderr from the host
 * (an instance run only to warm the plugin up).
 */
export async function wasiImports(
  shape: ComponentShape, grant: Grant | undefined, pluginName: string, maxOpenFiles = DEFAULT_MAX_OPEN_FILES, quiet = false,
): Promise<Record<string, unknown>> {
  return wasiImportsOf(wasiInterfaces(shape, grant), grant, pluginName, maxOpenFiles, quiet);
}

/**
 * The interfaces preview2-shim serves this plugin: only what the shim
 * implements (other wasi:* proposals are served from the host's
 * implementations) and the grant covers. Once per prepared plugin.
 */
export function wasiInterfaces(shape: ComponentShape, grant: Grant | undefined): readonly string[] {
  return shape.imports.filter((i) => i.kind === 'interface' && servedByShim(i.name) && isGranted(grant, i.name)).map((i) => i.name);
}

/** `wasiImports` of the interfaces `wasiInterfaces` chose: once per instance. */
export async function wasiImportsOf(
  wanted: readonly string[], grant: Grant | undefined, pluginName: string, maxOpenFiles = DEFAULT_MAX_OPEN_FILES, quiet = false,
): Promise<Record<string, unknown>> {
  if (wanted.length === 0) return {};
  const { WASIShim } = await import('@bytecodealliance/preview2-shim/instantiation');
  const preopens: Record<string, string> = {};
  for (const dir of grant?.filesystem ?? []) preopens[dir.guest] = dir.host;
  const shim = new WASIShim({
    sandbox: { preopens, env: { ...(grant?.env ?? {}) }, args: [pluginName], enableNetwork: false },
  });
  const all = shim.getImportObject() as Record<string, unknown>;
  const fs = all['wasi:filesystem/preopens'] as FilesystemShim['preopens'] | undefined;
  const ledger = new DescriptorLedger(maxOpenFiles, pluginName);
  if (fs) all['wasi:filesystem/preopens'] = confinedPreopens(fs, await grantedRoots(grant?.filesystem ?? [], ledger));
  confineCli(all);
  const tail = new StderrTail();
  captureStderr(all, tail, !quiet);
  if (quiet) captureStdout(all);
  const out: Record<string, unknown> = {};
  for (const name of wanted) {
    const key = unversioned(name);
    if (all[key] === undefined) {
      throw new WitplugError(ErrorCodes.LINK, `import ${name}: preview2-shim has no implementation of ${key}`, { plugin: pluginName, path: `import ${name}` });
    }
    out[key] = all[key];
    out[name] = all[key];
  }
  ledgers.set(out, ledger);
  if (out['wasi:cli/stderr'] !== undefined) registerStderrTail(out, tail);
  return out;
}

/**
 * Each granted directory's real path and identity, and the shim's factory for
 * descriptors of proven directories (same module, so the same Descriptor
 * class jco checks). Nested and overlapping grants are allowed: each root is
 * re-identified on every call, whatever another grant moves around it.
 */
async function grantedRoots(dirs: readonly DirectoryGrant[], ledger: DescriptorLedger): Promise<Map<string, GrantedRoot>> {
  const roots = new Map<string, GrantedRoot>();
  if (dirs.length === 0) return roots;
  const { _createPreopenDescriptor } = await import('@bytecodealliance/preview2-shim/filesystem');
  const at = (hostDir: string) => _createPreopenDescriptor(hostDir) as unknown as ShimDescriptor;
  for (const dir of dirs) {
    let root: string;
    try {
      root = realpathSync(dir.host);
    } catch {
      root = resolve(dir.host); // missing now: every call fails with no-entry until it exists
    }
    roots.set(dir.guest, { root, readonly: dir.readonly, at, identity: rootIdentity(root), ledger });
  }
  return roots;
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
