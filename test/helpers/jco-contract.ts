/**
 * The contract route witplug used before it read WIT itself, kept as a test
 * oracle: jco (wasm-tools) embeds the world as a component type in a
 * `component-type` custom section, decoded with witplug's binary decoder
 * (`wasmTools`). `component` is the type-only component `componentNew` builds
 * from it, for tests that need one (it drops interfaces no function uses;
 * `shape` keeps them).
 */
import { componentEmbed, componentNew } from '@bytecodealliance/jco';
import { decodeComponent } from '../../src/component/decode.js';
import type { ComponentShape } from '../../src/component/types.js';
import { wasmTools } from './wasm-tools-oracle.js';

/** jco's contract for `world` at an absolute WIT path; jco's error is thrown. */
export async function loadContractViaJco(
  absPath: string,
  world: string,
  opts: { component?: boolean } = {},
): Promise<{ shape: ComponentShape; component?: Uint8Array }> {
  const answer = await wasmTools(absPath, world);
  if (!answer.ok) throw new Error(answer.message);
  if (!opts.component) return { shape: answer.shape };
  const component = await componentNew(await componentEmbed({ dummy: true, witPath: absPath, world }));
  decodeComponent(component);
  return { shape: answer.shape, component };
}
