/**
 * The contract route witplug used before it read WIT itself, kept as a test
 * oracle: jco (wasm-tools) embeds the world as a component type in a
 * `component-type` custom section, decoded with witplug's binary decoder.
 * `component` is the type-only component `componentNew` builds from it, for
 * tests that need one (it drops interfaces no function uses; `shape` keeps them).
 */
import { decodeComponent } from '../../src/component/decode.js';
import type { ComponentShape } from '../../src/component/types.js';
import { componentTypeSection, decodeWorldType } from './world-type.js';

let preopensReady: Promise<void> | null = null;

/** jco reads `witPath` through preview2-shim's filesystem, which starts with no preopens: add `/` once. */
function ensureRootPreopen(): Promise<void> {
  preopensReady ??= (async () => {
    const fs = await import('@bytecodealliance/preview2-shim/filesystem');
    const current = fs._getPreopens() as unknown as [unknown, string][];
    // The package's "types" condition resolves to the browser typings; the Node build takes a host path.
    const addPreopen = fs._addPreopen as unknown as (guest: string, host: string) => void;
    if (!current.some(([, guest]) => guest === '/')) addPreopen('/', '/');
  })();
  return preopensReady;
}

/** jco's verdict on `world` at an absolute WIT path: the world type's shape, or jco's error. */
export async function loadContractViaJco(absPath: string, world: string, opts: { component?: boolean } = {}): Promise<{ shape: ComponentShape; component?: Uint8Array }> {
  await ensureRootPreopen();
  const jco = await import('@bytecodealliance/jco');
  const embedded = await jco.componentEmbed({ dummy: true, witPath: absPath, world });
  const worldType = componentTypeSection(embedded);
  if (!worldType) throw new Error('jco embedded no component-type section');
  const shape = decodeWorldType(worldType).shape;
  if (!opts.component) return { shape };
  const component = await jco.componentNew(embedded);
  decodeComponent(component);
  return { shape, component };
}
