/**
 * Splits a core Wasm module into its sections (without decoding them) and
 * knows the canonical section order, so new sections can be inserted in a
 * position a validator accepts.
 */
import { WitplugError } from '../../errors.js';
import { Reader, Writer } from './bytes.js';

export const SectionId = {
  CUSTOM: 0,
  TYPE: 1,
  IMPORT: 2,
  FUNCTION: 3,
  TABLE: 4,
  MEMORY: 5,
  GLOBAL: 6,
  EXPORT: 7,
  START: 8,
  ELEMENT: 9,
  CODE: 10,
  DATA: 11,
  DATA_COUNT: 12,
  TAG: 13,
} as const;

/** Position of each non-custom section id in the required order. */
const ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export interface RawSection {
  id: number;
  /** Offset of the section id byte. */
  headerStart: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset after the last content byte. */
  end: number;
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

export function splitModule(bytes: Uint8Array): RawSection[] {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WitplugError('MALFORMED', 'not a Wasm binary (bad magic)');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) {
    // Components use version 0x0d / layer 1; only core modules are instrumented.
    throw new WitplugError('MALFORMED', 'not a core Wasm module (expected version 1, layer 0; is this a component?)');
  }
  const r = new Reader(bytes, 8);
  const out: RawSection[] = [];
  let lastOrder = 0;
  while (!r.eof()) {
    const headerStart = r.pos;
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    if (id !== 0) {
      const ord = ORDER[id];
      if (ord === undefined) throw new WitplugError('MALFORMED', `core module: unknown section id ${id}`);
      if (ord <= lastOrder) throw new WitplugError('MALFORMED', `core module: section ${id} out of order or repeated`);
      lastOrder = ord;
    }
    out.push({ id, headerStart, start, end: r.pos });
  }
  return out;
}

export interface OutSection {
  id: number;
  /** Either the full encoded section (header included) or just its content. */
  raw?: Uint8Array;
  content?: Uint8Array;
}

/**
 * Inserts a new section with `id` right before the first non-custom section
 * that must come after it (custom sections stay where they were).
 */
export function insertSection(list: OutSection[], section: OutSection): void {
  const ord = ORDER[section.id] ?? 0;
  const at = list.findIndex((s) => s.id !== 0 && (ORDER[s.id] ?? 0) > ord);
  if (at < 0) list.push(section);
  else list.splice(at, 0, section);
}

export function encodeModule(list: OutSection[], sizeHint: number): Uint8Array {
  const w = new Writer(sizeHint + 1024);
  w.bytes(Uint8Array.from([...MAGIC, 1, 0, 0, 0]));
  for (const s of list) {
    if (s.raw) {
      w.bytes(s.raw);
    } else {
      w.byte(s.id);
      w.sized(s.content ?? new Uint8Array(0));
    }
  }
  return w.finish();
}
