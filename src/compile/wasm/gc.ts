/**
 * Core modules that need Wasm GC (struct/array types, subtyping, typed
 * references; what Kotlin, Dart, OCaml, MoonBit's GC target emit): Node 20's
 * V8 cannot compile them without a flag, so a COMPILE error there should say
 * that a newer Node is needed, not only V8's "Unknown type code 0x50".
 */
import { WitplugError, ErrorCodes } from '../../errors.js';
import { Reader } from './bytes.js';
import { SectionId, splitModule } from './sections.js';

/** Type forms of the GC proposal: `rec`, `sub final`, `sub`, `array`, `struct`. */
const GC_TYPE_FORMS = new Set([0x4e, 0x4f, 0x50, 0x5e, 0x5f]);
/** Value types `(ref null? ht)` of typed references (function references, GC). */
const TYPED_REF = new Set([0x63, 0x64]);
const FUNC_FORM = 0x60;

/** A module with one struct type: valid exactly where Wasm GC is enabled. */
const GC_PROBE = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x5f, 0x01, 0x7f, 0x00]);

let gcSupported: boolean | undefined;

/** Whether this Node's WebAssembly compiles Wasm GC types. */
export function nodeHasWasmGc(): boolean {
  return (gcSupported ??= WebAssembly.validate(GC_PROBE));
}

/** Whether a core module declares GC types or typed references in its type section (false when unreadable). */
export function usesWasmGc(bytes: Uint8Array): boolean {
  try {
    const type = splitModule(bytes).find((s) => s.id === SectionId.TYPE);
    if (!type) return false;
    const r = new Reader(bytes, type.start, type.end);
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const form = r.u8();
      if (GC_TYPE_FORMS.has(form)) return true;
      if (form !== FUNC_FORM) return false; // something else new: let V8's message speak
      for (let side = 0; side < 2; side++) {
        const n = r.u32();
        for (let j = 0; j < n; j++) if (TYPED_REF.has(r.u8())) return true;
      }
    }
    return false;
  } catch {
    return false;
  }
}

/** The COMPILE error for a core module V8 refused, naming Wasm GC when that is why. */
export function coreCompileError(name: string, bytes: Uint8Array, cause: unknown): WitplugError {
  const v8 = cause instanceof Error ? cause.message : String(cause);
  if (!nodeHasWasmGc() && (usesWasmGc(bytes) || /experimental-wasm-gc/.test(v8))) {
    return new WitplugError(
      ErrorCodes.COMPILE,
      `core module ${name} uses Wasm GC (struct/array or typed reference types), which Node ${process.version} cannot compile: ` +
        `run it on a Node with Wasm GC (Node 22 or newer) (${v8})`,
      { cause },
    );
  }
  return new WitplugError(ErrorCodes.COMPILE, `core module ${name} does not compile: ${v8}`, { cause });
}
