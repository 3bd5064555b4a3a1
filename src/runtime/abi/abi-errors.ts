/** The errors the canonical-ABI helpers and the generated code throw. */
import { WitplugError, ErrorCodes } from '../../errors.js';

export function trap(message: string): WitplugError {
  return new WitplugError(ErrorCodes.TRAP, `canonical ABI: ${message}`);
}

/** A short description of a JS value for TYPE_MISMATCH messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  if (typeof v === 'bigint') return `bigint ${v}n`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** Thrown by generated code when an argument does not fit its WIT type. */
export function typeMismatch(path: string, expected: string, v: unknown): never {
  throw new WitplugError(ErrorCodes.TYPE_MISMATCH, `${path}: expected ${expected}, got ${describe(v)}`, { path });
}

/**
 * What an import trampoline throws when lowering the host's result failed:
 * a value that does not fit the result type is the host's fault
 * (HOST_ERROR); anything else (the plugin's `cabi_realloc` trapping,
 * running out of fuel…) stays the plugin's.
 */
export function hostResultError(e: unknown): unknown {
  if (e instanceof WitplugError && e.code === ErrorCodes.TYPE_MISMATCH) {
    return new WitplugError(ErrorCodes.HOST_ERROR, e.message, { path: e.path, cause: e });
  }
  return e;
}
