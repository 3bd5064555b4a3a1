/**
 * Adapter over the component decoder (src/component/decode.ts, owned by
 * another module): the admission layer depends only on this narrow view.
 */
import { decodeComponent, type CoreImportWiring } from './decode.js';
import type { ComponentShape } from './types.js';

export interface CustomSection {
  readonly name: string;
  readonly data: Uint8Array;
}

/** What admission and inspect read from a decoded plugin. */
export interface DecodedPlugin {
  readonly shape: ComponentShape;
  readonly customSections: readonly CustomSection[];
  readonly producers?: unknown;
  /** Every canon lift/lower uses UTF-8 strings. */
  readonly utf8Strings?: boolean;
  /** Canon built-ins used, by spec name (src/component/decode.ts). */
  readonly canonBuiltins?: readonly string[];
  /** Some canon lift/lower uses the async option. */
  readonly asyncCanon?: boolean;
  /** Every core module defined at the top level and instantiated once (src/component/decode.ts). */
  readonly oneInstancePerModule?: boolean;
  /** The core module every canon lift comes from, under canonical names (src/component/core-wiring.ts); null: none single. */
  readonly liftSource?: { readonly module: number; readonly names: readonly string[] } | null;
  /** What each core module's function imports are wired to (src/component/core-wiring.ts); null: not followed. */
  readonly importWiring?: CoreImportWiring | null;
  /** Core modules in the component (nested included). */
  readonly coreModules?: readonly unknown[];
}

export function decodePlugin(bytes: Uint8Array): DecodedPlugin {
  return decodeComponent(bytes);
}
