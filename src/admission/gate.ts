/**
 * The admission gate: decide, before instantiating anything, whether a
 * plugin component fits a contract world. Never throws for bad plugin bytes:
 * every outcome is a report.
 */
import { isWitplugError, ErrorCodes } from '../errors.js';
import { decodeComponent, type DecodedComponent } from '../component/decode.js';
import { admitShape, type AdmitShapeOptions, type Contract } from './admit-shape.js';
import { AdmissionCodes, type AdmissionReport, type Problem } from './report.js';
import type { ShapeCache } from '../component/shape-cache.js';

export { admitShape, type AdmitShapeOptions, type Contract };

export interface AdmitOptions extends AdmitShapeOptions {
  /** Reuse decoded plugins by sha256 of their bytes. */
  readonly cache?: ShapeCache;
  /** sha256 hex of the plugin bytes when the caller already has it (trusted). */
  readonly componentHash?: string;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Classifies the 8-byte preamble; null when it is a component's. */
function preambleProblem(bytes: Uint8Array): Problem | null {
  if (bytes.length === 0) return { code: AdmissionCodes.MALFORMED, path: '', message: 'expected a component binary, found 0 bytes' };
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    return { code: AdmissionCodes.MALFORMED, path: '', message: `expected a component binary (\\0asm preamble), found ${bytes.length} bytes without one` };
  }
  const layer = bytes[6]! | (bytes[7]! << 8);
  if (layer === 0) {
    const message = 'expected a component (layer 1), found a core wasm module (layer 0); wrap it with `jco new` or wasm-tools component new';
    return { code: AdmissionCodes.NOT_A_COMPONENT, path: '', message };
  }
  if (layer !== 1) return { code: AdmissionCodes.MALFORMED, path: '', message: `expected a component (layer 1), found layer ${layer}` };
  return null;
}

/** Decodes plugin bytes, or the problem that prevents it. Never throws. */
export function decodeForAdmission(bytes: Uint8Array, cache?: ShapeCache, hash?: string): { decoded: DecodedComponent } | { problem: Problem } {
  const pre = preambleProblem(bytes);
  if (pre) return { problem: pre };
  try {
    return { decoded: cache ? cache.getOrDecode(bytes, decodeComponent, hash) : decodeComponent(bytes) };
  } catch (e) {
    return { problem: decodeFailureProblem(e) };
  }
}

/**
 * The admission problem of bytes someone else decoded (prepare() decodes
 * before it plans capabilities): a bad preamble first, as decodeForAdmission
 * reports it, else what the decoder threw (`failure`), else null.
 */
export function decodeProblem(bytes: Uint8Array, failure: unknown): Problem | null {
  return preambleProblem(bytes) ?? (failure === undefined ? null : decodeFailureProblem(failure));
}

function decodeFailureProblem(e: unknown): Problem {
  if (isWitplugError(e) && e.code === ErrorCodes.NOT_A_COMPONENT) return { code: AdmissionCodes.NOT_A_COMPONENT, path: '', message: e.message };
  if (isWitplugError(e) && e.code === ErrorCodes.UNSUPPORTED) return { code: AdmissionCodes.UNSUPPORTED, path: '', message: e.message };
  // Anything else the decoder throws on bytes is a malformed binary, including
  // RangeErrors from a defensive decoder: the gate must not leak exceptions.
  const msg = e instanceof Error ? e.message : String(e);
  return { code: AdmissionCodes.MALFORMED, path: '', message: `malformed component: ${msg}` };
}

/** Decodes and admits plugin bytes. Never throws for bad bytes (MALFORMED / NOT_A_COMPONENT problems, path ''). */
export function admit(pluginBytes: Uint8Array, contract: Contract, options: AdmitOptions = {}): AdmissionReport {
  const r = decodeForAdmission(pluginBytes, options.cache, options.componentHash);
  if ('problem' in r) return { accepted: false, problems: [r.problem], notes: [] };
  try {
    return admitShape(r.decoded.shape, contract, options);
  } catch (e) {
    // A decoder that accepted odd bytes must still not make the gate throw.
    // The message is distinctive so tests can tell this apart from real findings.
    const msg = e instanceof Error ? e.message : String(e);
    return { accepted: false, problems: [{ code: AdmissionCodes.MALFORMED, path: '', message: `internal error while checking a decoded component: ${msg}` }], notes: [] };
  }
}
