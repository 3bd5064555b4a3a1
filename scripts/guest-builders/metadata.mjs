// Shared by every guest builder: the `witplug-metadata` custom section (docs/plugin-metadata.md).
// Custom sections may appear anywhere in a component, so appending one at the end keeps the
// component valid without re-encoding anything.

export const METADATA_SECTION_NAME = 'witplug-metadata';
const MAX_PAYLOAD = 64 * 1024;

/** Unsigned LEB128 encoding of a non-negative integer. */
function uleb128(value) {
  const out = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/**
 * Encode one complete custom section (id 0) named `witplug-metadata` whose payload is the
 * UTF-8 JSON of `metadata`.
 * @param {Record<string, unknown>} metadata
 * @returns {Uint8Array}
 */
export function encodeMetadataSection(metadata) {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new TypeError('plugin metadata must be a JSON object');
  }
  const enc = new TextEncoder();
  const name = enc.encode(METADATA_SECTION_NAME);
  const payload = enc.encode(JSON.stringify(metadata));
  if (payload.length > MAX_PAYLOAD) {
    throw new RangeError(`plugin metadata is ${payload.length} bytes; the limit is ${MAX_PAYLOAD}`);
  }
  const nameLen = uleb128(name.length);
  const body = nameLen.length + name.length + payload.length;
  const size = uleb128(body);
  const out = new Uint8Array(1 + size.length + body);
  let o = 0;
  out[o++] = 0x00;
  out.set(size, o); o += size.length;
  out.set(nameLen, o); o += nameLen.length;
  out.set(name, o); o += name.length;
  out.set(payload, o);
  return out;
}

/**
 * Return a copy of `componentBytes` with a `witplug-metadata` custom section appended.
 * Refuses anything that is not a component binary (a core module would also accept the
 * section, but builders must only ever hand us components).
 * @param {Uint8Array} componentBytes
 * @param {Record<string, unknown>} metadata
 * @returns {Uint8Array}
 */
export function appendMetadataSection(componentBytes, metadata) {
  const b = componentBytes;
  // Preamble: \0asm, version 0x0d 0x00, layer 0x01 0x00 (component).
  const isComponent = b.length >= 8 && b[0] === 0x00 && b[1] === 0x61 && b[2] === 0x73 && b[3] === 0x6d
    && b[6] === 0x01 && b[7] === 0x00;
  if (!isComponent) throw new TypeError('appendMetadataSection: input is not a component binary');
  const section = encodeMetadataSection(metadata);
  const out = new Uint8Array(b.length + section.length);
  out.set(b, 0);
  out.set(section, b.length);
  return out;
}
