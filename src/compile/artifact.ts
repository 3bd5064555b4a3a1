/**
 * The on-disk form of a compiled plugin: one file holding a header, the jco
 * glue and the core modules. One file means one atomic rename publishes an
 * entry, so concurrent writers can't leave a half-written entry behind.
 *
 * Layout: MAGIC (8 bytes) | u32 LE header length | header JSON | payload.
 * The payload is the concatenation of the blobs listed in `header.blobs`.
 */
import { createHash } from 'node:crypto';
import { WitplugError, ErrorCodes } from '../errors.js';

const MAGIC = new TextEncoder().encode('WPLUGAF1');

/** Fields that decide whether an entry may be reused; each is compared on load. */
export interface ArtifactKeyFields {
  readonly format: number;
  readonly witplugVersion: string;
  readonly jcoVersion: string;
  readonly componentHash: string;
  /** Canonical JSON of every option that changes the output (transpile options, instrumentation). */
  readonly options: string;
  /** Fingerprint of the contract the plugin was admitted against ('' when none). */
  readonly contractFingerprint: string;
}

export interface ArtifactHeader extends ArtifactKeyFields {
  readonly blobs: readonly { readonly name: string; readonly size: number }[];
  /** sha256 of the payload: a flipped byte anywhere is detected before anything runs. */
  readonly payloadSha256: string;
}

export interface Artifact {
  readonly header: ArtifactHeader;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

export const ARTIFACT_FORMAT = 1;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function encodeArtifact(key: ArtifactKeyFields, blobs: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const list = [...blobs].map(([name, data]) => ({ name, size: data.length }));
  const payload = Buffer.concat([...blobs.values()]);
  const header: ArtifactHeader = { ...key, blobs: list, payloadSha256: sha256Hex(payload) };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(headerBytes.length);
  return Buffer.concat([MAGIC, len, headerBytes, payload]);
}

/** Parses an entry; any structural problem or integrity failure is a CACHE error. */
export function decodeArtifact(file: Uint8Array): Artifact {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw corrupt('bad magic');
  const headerLen = buf.readUInt32LE(8);
  if (12 + headerLen > buf.length) throw corrupt('header length past end of file');
  let header: ArtifactHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + headerLen).toString('utf8')) as ArtifactHeader;
  } catch {
    throw corrupt('header is not JSON');
  }
  if (!Array.isArray(header.blobs)) throw corrupt('header has no blob list');
  const payload = buf.subarray(12 + headerLen);
  if (sha256Hex(payload) !== header.payloadSha256) throw corrupt('payload integrity hash mismatch');
  const blobs = new Map<string, Uint8Array>();
  let at = 0;
  for (const { name, size } of header.blobs) {
    if (at + size > payload.length) throw corrupt(`blob ${name} past end of payload`);
    blobs.set(name, new Uint8Array(payload.subarray(at, at + size)));
    at += size;
  }
  return { header, blobs };
}

/** The first key field that differs, phrased for a log line; null when compatible. */
export function headerMismatch(found: ArtifactKeyFields, expected: ArtifactKeyFields): string | null {
  const fields: (keyof ArtifactKeyFields)[] = ['format', 'witplugVersion', 'jcoVersion', 'componentHash', 'options', 'contractFingerprint'];
  for (const field of fields) {
    if (found[field] !== expected[field]) {
      return `cache entry ${field} is ${JSON.stringify(found[field])}, expected ${JSON.stringify(expected[field])}`;
    }
  }
  return null;
}

function corrupt(why: string): WitplugError {
  return new WitplugError(ErrorCodes.CACHE, `corrupted cache entry: ${why}`);
}
