/**
 * wasm-tools' wit-parser as a test oracle, through jco (offline): a world's
 * shape as jco embeds it (the world type, read by witplug's decoder), or
 * wasm-tools' error. jco passes on the message without its source position,
 * so tests record the expected line:column next to each case.
 */
import { componentEmbed } from '@bytecodealliance/jco';
import { _addPreopen, _getPreopens } from '@bytecodealliance/preview2-shim/filesystem';
import { componentTypeSection, decodeWorldType } from './world-type.js';
import type { ComponentShape } from '../../src/component/types.js';

export type OracleAnswer =
  | { readonly ok: true; readonly shape: ComponentShape }
  | { readonly ok: false; readonly message: string };

let preopened = false;
function preopenRoot(): void {
  if (preopened) return;
  const current = _getPreopens() as unknown as [unknown, string][];
  // The package's "types" condition resolves to the browser typings; the Node build takes a host path.
  if (!current.some(([, guest]) => guest === '/')) (_addPreopen as unknown as (guest: string, host: string) => void)('/', '/');
  preopened = true;
}

/** wasm-tools' answer for `world` of an absolute WIT path (file or directory with deps/). */
export async function wasmTools(absPath: string, world?: string): Promise<OracleAnswer> {
  preopenRoot();
  try {
    const embedded = await componentEmbed({ dummy: true, witPath: absPath, ...(world === undefined ? {} : { world }) });
    const section = componentTypeSection(embedded);
    if (!section) throw new Error('jco embedded no component-type section');
    return { ok: true, shape: decodeWorldType(section).shape };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}
