/** Appending a custom section (id 0) to a wasm binary: core module or component alike. */

/** Unsigned LEB128, as every wasm length is written. */
export function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** `binary` with a custom section `name` holding `data` appended (sections may come in any order at the end). */
export function appendCustomSection(binary: Uint8Array, name: string, data: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const head = [...leb128(nameBytes.length), ...nameBytes];
  const section = [0x00, ...leb128(head.length + data.length), ...head];
  const out = new Uint8Array(binary.length + section.length + data.length);
  out.set(binary);
  out.set(section, binary.length);
  out.set(data, binary.length + section.length);
  return out;
}
