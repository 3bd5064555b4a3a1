/**
 * The on-disk form of a compiled plugin: one file holding a header, the jco
 * glue and the core modules. One file means one atomic rename publishes an
 * entry, so concurrent writers can't leave a half-written entry behind.
 *
 * Layout (format 3; 2 had no `builder` header field):
 *   MAGIC "WPLUGART" (8) | u32 LE format (4) | sha256 (32) | u32 LE header length (4) | header JSON | payload
 * The sha256 covers everything after it (header length, header, payload): a
 * flipped byte anywhere past the format word is detected before any field is
 * trusted or any code is compiled. The payload is the concatenation of the
 * blobs listed in `header.blobs`, except blobs stored by reference: a core
 * module that jco copied verbatim out of the component (the 12 MB SpiderMonkey
 * module of a JS guest, the code of a C guest) is recorded as an offset into
 * the component instead. The component is in memory on every load anyway and
 * its sha256 is a key field, so the reference is as tamper-proof as a copy —
 * and a warm load doesn't read and hash the same megabytes twice.
 */
import { createHash } from 'node:crypto';
import { WitplugError, ErrorCodes } from '../errors.js';
import { assertNever } from '../util/assert-never.js';

const MAGIC = Buffer.from('WPLUGART', 'latin1');
/** Format 1 (witplug ≤ 0.1.0 pre-release) had its own magic and no format word. */
const MAGIC_V1 = Buffer.from('WPLUGAF1', 'latin1');
const PREFIX = 8 + 4 + 32 + 4;

/** Bumped whenever the layout or the meaning of a field changes (3: the `builder` key field). */
export const ARTIFACT_FORMAT = 3;

/** Fields that decide whether an entry may be reused; each is compared on load. */
export interface ArtifactKeyFields {
  readonly format: number;
  readonly witplugVersion: string;
  readonly jcoVersion: string;
  /** witplug's BUILD_STAMP: how witplug builds artifacts (changes without a version bump invalidate entries too). */
  readonly builder: string;
  readonly componentHash: string;
  /** Canonical JSON of every option that changes the output (transpile options, instrumentation). */
  readonly options: string;
  /** Fingerprint of the contract the plugin was admitted against ('' when none). */
  readonly contractFingerprint: string;
}

export interface BlobEntry {
  readonly name: string;
  readonly size: number;
  /** Present when the blob is bytes [componentOffset, componentOffset + size) of the component, not in the payload. */
  readonly componentOffset?: number;
}

export interface ArtifactHeader extends ArtifactKeyFields {
  readonly blobs: readonly BlobEntry[];
}

export interface Artifact {
  readonly header: ArtifactHeader;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

/** The key fields in the order they are compared (and reported). */
export const KEY_FIELDS: readonly (keyof ArtifactKeyFields)[] = [
  'format', 'witplugVersion', 'jcoVersion', 'builder', 'componentHash', 'options', 'contractFingerprint',
];

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * @param component the component the blobs were compiled from: core modules
 *   found verbatim in it are stored by reference (see the file comment).
 */
export function encodeArtifact(key: ArtifactKeyFields, blobs: ReadonlyMap<string, Uint8Array>, component?: Uint8Array): Uint8Array {
  const modules = component ? topLevelCoreModules(component) : [];
  const list: BlobEntry[] = [];
  const inline: Uint8Array[] = [];
  for (const [name, data] of blobs) {
    const offset = modules.find((m) => m.size === data.length && equalBytes(component!, m.offset, data))?.offset;
    if (offset !== undefined) list.push({ name, size: data.length, componentOffset: offset });
    else {
      list.push({ name, size: data.length });
      inline.push(data);
    }
  }
  const header: ArtifactHeader = {
    format: key.format,
    witplugVersion: key.witplugVersion,
    jcoVersion: key.jcoVersion,
    builder: key.builder,
    componentHash: key.componentHash,
    options: key.options,
    contractFingerprint: key.contractFingerprint,
    blobs: list,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(headerBytes.length);
  const body = Buffer.concat([len, headerBytes, ...inline]);
  const format = Buffer.alloc(4);
  format.writeUInt32LE(key.format);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([MAGIC, format, digest, body]);
}

/**
 * Reads the format word without trusting anything else: an entry written by
 * another layout is reported as a format mismatch, not as corruption.
 * Throws a CACHE error when the file is not a witplug artifact at all.
 */
export function artifactFormat(file: Uint8Array): number {
  const buf = asBuffer(file);
  if (buf.length >= 8 && buf.subarray(0, 8).equals(MAGIC_V1)) return 1;
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw corrupt('bad magic');
  return buf.readUInt32LE(8);
}

/**
 * Parses and verifies an entry of the current format; any structural problem
 * or integrity failure is a CACHE error. `component` resolves blobs stored by
 * reference; the caller must still check `header.componentHash` against it
 * (the cache does, as a key field) before using them.
 */
export function decodeArtifact(file: Uint8Array, component?: Uint8Array): Artifact {
  const buf = asBuffer(file);
  const format = artifactFormat(buf);
  if (format !== ARTIFACT_FORMAT) throw corrupt(`format ${format} is not ${ARTIFACT_FORMAT}`);
  if (buf.length < PREFIX) throw corrupt('truncated before the header');
  const body = buf.subarray(12 + 32);
  if (!createHash('sha256').update(body).digest().equals(buf.subarray(12, 12 + 32))) {
    throw corrupt('integrity hash (sha256) mismatch');
  }
  const headerLen = buf.readUInt32LE(12 + 32);
  if (PREFIX + headerLen > buf.length) throw corrupt('header length past end of file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.subarray(PREFIX, PREFIX + headerLen).toString('utf8'));
  } catch {
    throw corrupt('header is not JSON');
  }
  const header = validateHeader(parsed);
  const payload = buf.subarray(PREFIX + headerLen);
  const blobs = new Map<string, Uint8Array>();
  let at = 0;
  for (const { name, size, componentOffset } of header.blobs) {
    if (blobs.has(name)) throw corrupt(`blob ${name} listed twice`);
    if (componentOffset !== undefined) {
      if (!component) throw corrupt(`blob ${name} refers to the component, which was not given`);
      if (componentOffset + size > component.length) throw corrupt(`blob ${name} past end of the component`);
      blobs.set(name, component.subarray(componentOffset, componentOffset + size));
      continue;
    }
    if (at + size > payload.length) throw corrupt(`blob ${name} past end of payload`);
    // Views, not copies: the file buffer is ours alone, and copying a 12 MB core
    // module costs ~35 ms of page faults on a warm load (more than the hash).
    blobs.set(name, payload.subarray(at, at + size));
    at += size;
  }
  if (at !== payload.length) throw corrupt(`${payload.length - at} bytes after the last blob`);
  return { header, blobs };
}

/** Checks the header's shape field by field (a well-hashed entry from a buggy writer must still not crash us). */
function validateHeader(value: unknown): ArtifactHeader {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw corrupt('header is not an object');
  const h = value as Record<string, unknown>;
  if (typeof h['format'] !== 'number') throw corrupt('header field format is not a number');
  for (const field of KEY_FIELDS) {
    if (field !== 'format' && typeof h[field] !== 'string') throw corrupt(`header field ${field} is not a string`);
  }
  const blobs = h['blobs'];
  if (!Array.isArray(blobs)) throw corrupt('header has no blob list');
  for (const b of blobs as unknown[]) {
    const blob = b as Record<string, unknown> | null;
    if (blob === null || typeof blob !== 'object' || typeof blob['name'] !== 'string' || !Number.isSafeInteger(blob['size']) || (blob['size'] as number) < 0) {
      throw corrupt('header has a malformed blob entry');
    }
    const offset = blob['componentOffset'];
    if (offset !== undefined && (!Number.isSafeInteger(offset) || (offset as number) < 0)) throw corrupt('header has a malformed blob reference');
  }
  return h as unknown as ArtifactHeader;
}

/**
 * The first key field that differs, phrased for a log line (the caller adds
 * "→ rebuilding"), e.g. `cache entry built by jco 1.12.0, running 1.35.0`;
 * null when every field matches.
 */
export function headerMismatch(found: ArtifactKeyFields, expected: ArtifactKeyFields): string | null {
  for (const field of KEY_FIELDS) {
    if (found[field] !== expected[field]) return describeMismatch(field, found[field], expected[field]);
  }
  return null;
}

function describeMismatch(field: keyof ArtifactKeyFields, found: string | number, expected: string | number): string {
  const show = (v: string | number) => (v === '' ? '(none)' : String(v));
  switch (field) {
    case 'format':
      return `cache entry has format ${found}, running format ${expected}`;
    case 'witplugVersion':
      return `cache entry built by witplug ${show(found)}, running ${show(expected)}`;
    case 'jcoVersion':
      return `cache entry built by jco ${show(found)}, running ${show(expected)}`;
    case 'builder':
      return `cache entry built by witplug build stamp ${show(found)}, running ${show(expected)}`;
    case 'componentHash':
      return `cache entry is for component sha256 ${show(found)}, loading ${show(expected)}`;
    case 'options':
      return `cache entry built with options ${show(found)}, running with ${show(expected)}`;
    case 'contractFingerprint':
      return `cache entry built for contract fingerprint ${show(found)}, running ${show(expected)}`;
    default:
      return assertNever(field, 'artifact key field');
  }
}

/**
 * Offsets and sizes of the core modules (section id 1) at the top level of a
 * component binary. Anything unexpected ends the scan: references are an
 * optimisation, a blob not found is simply stored inline.
 */
function topLevelCoreModules(component: Uint8Array): { offset: number; size: number }[] {
  const out: { offset: number; size: number }[] = [];
  // Preamble: \0asm, version 0x0d 0x00, layer 0x01 0x00 (a component).
  if (component.length < 8 || component[0] !== 0 || component[1] !== 0x61 || component[2] !== 0x73 || component[3] !== 0x6d || component[6] !== 1) return out;
  let pos = 8;
  while (pos < component.length) {
    const id = component[pos++]!;
    let size = 0;
    let shift = 0;
    for (;;) {
      if (pos >= component.length || shift > 28) return out;
      const b = component[pos++]!;
      size += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    if (pos + size > component.length) return out;
    if (id === 1) out.push({ offset: pos, size });
    pos += size;
  }
  return out;
}

function equalBytes(haystack: Uint8Array, offset: number, needle: Uint8Array): boolean {
  return asBuffer(haystack).subarray(offset, offset + needle.length).equals(needle);
}

function asBuffer(file: Uint8Array): Buffer {
  return Buffer.isBuffer(file) ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength);
}

function corrupt(why: string): WitplugError {
  return new WitplugError(ErrorCodes.CACHE, `corrupted cache entry: ${why}`);
}
