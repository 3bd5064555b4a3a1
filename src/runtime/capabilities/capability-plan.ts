/**
 * Everything a plugin's capabilities decide, worked out in one step of
 * prepare() as plain data: which offered imports the grant allows (the
 * admission gate's `allowedImports`), whether the host can serve every
 * import (a `LINK` failure, raised by prepare only once admission passed, so
 * a plugin that is both rejected and unlinkable is still reported
 * `REJECTED`), which imports preview2-shim serves, the host interfaces that
 * get generated trampolines, and the WASI interfaces each instance links.
 */
import type { ComponentShape, InterfaceType } from '../../component/types.js';
import type { Grant } from './grant.js';
import { grantedImports } from './grant-imports.js';
import { checkLinkable, servedByShim } from './link-check.js';
import { worldImports, type HostImplementations } from './host-imports.js';
import { wasiInterfaces } from './wasi.js';
import { asyncImports } from './host-caller.js';

export interface CapabilityPlan {
  /** The gate's `allowedImports` (undefined without a contract). */
  readonly allowedImports: ReadonlySet<string> | undefined;
  /** Why the host cannot serve the plugin's imports (thrown after admission), or null. */
  readonly linkFailure: unknown;
  /** Imports served by preview2-shim (not by the host's implementations). */
  readonly shimServed: ReadonlySet<string>;
  /** Interfaces served by the host, the world-level functions as `$root` last: their functions get generated trampolines. */
  readonly hostInterfaces: readonly InterfaceType[];
  /** The WASI interfaces every instance links from preview2-shim. */
  readonly wasi: readonly string[];
  /** The host's asynchronous functions the plugin imports (src/runtime/capabilities/host-caller.ts). */
  readonly asyncImports: readonly string[];
}

export interface CapabilityInputs {
  /** The contract world's shape, when the plugin is admitted against one. */
  readonly contract: ComponentShape | undefined;
  readonly grant: Grant | undefined;
  readonly host: HostImplementations;
  /** The host's own restriction of the offered imports (PluginOptions.allowedImports). */
  readonly allowedImports: ReadonlySet<string> | undefined;
}

export async function planCapabilities(shape: ComponentShape, inputs: CapabilityInputs): Promise<CapabilityPlan> {
  const { contract, grant } = inputs;
  const allowedImports = contract ? grantedImports(contract, grant, inputs.allowedImports, shape) : undefined;
  let linkFailure: unknown = null;
  try {
    await checkLinkable(shape, inputs.host, grant);
  } catch (e) {
    linkFailure = e;
  }
  // servedByShim needs the shim's list, which checkLinkable loads for plugins importing wasi:*.
  const shimServed = new Set<string>();
  const hostInterfaces: InterfaceType[] = [];
  for (const item of shape.imports) {
    if (item.kind !== 'interface') continue;
    if (linkFailure === null && servedByShim(item.name)) shimServed.add(item.name);
    else hostInterfaces.push(item.iface);
  }
  // World-level functions and resources come from the core import module `$root`, like an interface.
  const root = worldImports(shape);
  if (root) hostInterfaces.push(root);
  const wasi = linkFailure === null ? wasiInterfaces(shape, grant) : [];
  return { allowedImports, linkFailure, shimServed, hostInterfaces, wasi, asyncImports: asyncImports(shape, inputs.host) };
}
