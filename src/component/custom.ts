/**
 * Best-effort decoding of well-known custom sections. A malformed custom
 * section never makes a component malformed (custom sections carry no
 * semantics), so these return undefined instead of throwing.
 */
import { Reader } from './reader.js';

export interface CustomSection {
  readonly name: string;
  /** Raw payload (after the section name). */
  readonly data: Uint8Array;
}

/** `producers` section: field (language / processed-by / sdk) → tool name → version. */
export function parseProducers(data: Uint8Array): Record<string, Record<string, string>> | undefined {
  try {
    const r = new Reader(data);
    const out: Record<string, Record<string, string>> = Object.create(null) as Record<string, Record<string, string>>;
    for (let n = r.vecLen(2), i = 0; i < n; i++) {
      const field = r.name();
      const values: Record<string, string> = Object.create(null) as Record<string, string>;
      for (let m = r.vecLen(2), j = 0; j < m; j++) {
        const name = r.name();
        values[name] = r.name();
      }
      out[field] = { ...(out[field] ?? {}), ...values };
    }
    r.expectEnd('producers section');
    // Plain objects (not null-prototype) so callers can JSON / deep-equal them naturally.
    return JSON.parse(JSON.stringify(out)) as Record<string, Record<string, string>>;
  } catch {
    return undefined;
  }
}

/** `component-name` section: the component's own name (subsection 0), if present. */
export function parseComponentName(data: Uint8Array): string | undefined {
  try {
    const r = new Reader(data);
    while (!r.atEnd()) {
      const id = r.u8();
      const size = r.u32();
      const sub = r.sub(size, 'name subsection');
      if (id === 0) return sub.name();
    }
    return undefined;
  } catch {
    return undefined;
  }
}
