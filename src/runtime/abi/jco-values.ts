/**
 * Adapts witplug's JS value convention to jco's generated bindings and back.
 * Only three things differ: options (below), numeric lists
 * (arrays vs typed arrays) and a top-level `result` return (tagged value vs
 * jco's thrown ComponentError). Used by the jco fallback path and by
 * `witplug bench`'s jco baseline — never on witplug's own fast path.
 *
 * Options: witplug writes none as `null` and some as the value, except that
 * an option whose payload is itself an option writes some as
 * `{ tag: 'some', val }` (so some(none) ≠ none). jco 1.35 writes none as
 * `undefined` and tags an option (`{ tag: 'none' } | { tag: 'some', val }`)
 * only when its payload is an option it does not tag itself: the tags
 * alternate from the innermost option outwards (read from jco's glue for
 * option<option<option<option<u8>>>>: tagged, plain, tagged, plain).
 */
import type { ValType } from '../../component/types.js';
import { lowerCamel } from '../../component/names.js';
import { assertNever } from '../../util/assert-never.js';

/** True when values of `type` look the same under both conventions (skip the walk). */
export function sameInBoth(type: ValType): boolean {
  switch (type.kind) {
    case 'option': case 'result': return false;
    case 'list': return type.element.kind === 'u8' || (!isNumeric(type.element) && sameInBoth(type.element));
    case 'record': return type.fields.every((f) => sameInBoth(f.type));
    case 'tuple': return type.types.every(sameInBoth);
    case 'variant': return type.cases.every((c) => c.type === null || sameInBoth(c.type));
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'own': case 'borrow': case 'future': case 'stream': return true;
    default: assertNever(type, 'kind');
  }
}

type OptionType = Extract<ValType, { kind: 'option' }>;

function jcoTagged(t: OptionType): boolean {
  return t.type.kind === 'option' && !jcoTagged(t.type);
}

/** witplug's option value → [is some, payload]. */
function openOption(t: OptionType, v: unknown): [boolean, unknown] {
  if (v === null || v === undefined) return [false, undefined];
  return t.type.kind === 'option' ? [true, (v as { val?: unknown }).val] : [true, v];
}

function isNumeric(t: ValType): boolean {
  return ['s8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64'].includes(t.kind);
}

export function toJco(type: ValType, v: unknown): unknown {
  if (sameInBoth(type)) return v;
  switch (type.kind) {
    case 'option': {
      const [isSome, payload] = openOption(type, v);
      const val = isSome ? toJco(type.type, payload) : undefined;
      if (jcoTagged(type)) return isSome ? { tag: 'some', val } : { tag: 'none' };
      return val;
    }
    case 'result': {
      const r = v as { tag: 'ok' | 'err'; val?: unknown };
      const side = r.tag === 'ok' ? type.ok : type.err;
      return { tag: r.tag, val: side === null ? undefined : toJco(side, r.val) };
    }
    case 'list':
      return Array.from(v as ArrayLike<unknown>, (x) => toJco(type.element, x));
    case 'record': {
      const obj = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of type.fields) out[lowerCamel(f.name)] = toJco(f.type, obj[lowerCamel(f.name)]);
      return out;
    }
    case 'tuple':
      return type.types.map((t, i) => toJco(t, (v as unknown[])[i]));
    case 'variant': {
      const tagged = v as { tag: string; val?: unknown };
      const c = type.cases.find((k) => k.name === tagged.tag);
      return c?.type ? { tag: tagged.tag, val: toJco(c.type, tagged.val) } : v;
    }
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'own': case 'borrow': case 'future': case 'stream':
      return v;
    default: assertNever(type, 'kind');
  }
}

export function fromJco(type: ValType, v: unknown): unknown {
  if (sameInBoth(type)) return v;
  switch (type.kind) {
    case 'option': {
      let payload = v;
      if (jcoTagged(type)) {
        const tagged = v as { tag: string; val?: unknown } | undefined | null;
        if (tagged === undefined || tagged === null || tagged.tag === 'none') return null;
        payload = tagged.val;
      } else if (v === undefined || v === null) {
        return null;
      }
      const val = fromJco(type.type, payload);
      return type.type.kind === 'option' ? { tag: 'some', val } : val;
    }
    case 'result': {
      const r = v as { tag: 'ok' | 'err'; val?: unknown };
      const side = r.tag === 'ok' ? type.ok : type.err;
      return side === null ? { tag: r.tag } : { tag: r.tag, val: fromJco(side, r.val) };
    }
    case 'list': {
      const arr = Array.from(v as ArrayLike<unknown>, (x) => fromJco(type.element, x));
      return type.element.kind === 'u8' ? Uint8Array.from(arr as number[]) : arr;
    }
    case 'record': {
      const obj = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of type.fields) out[lowerCamel(f.name)] = fromJco(f.type, obj[lowerCamel(f.name)]);
      return out;
    }
    case 'tuple':
      return type.types.map((t, i) => fromJco(t, (v as unknown[])[i]));
    case 'variant': {
      const tagged = v as { tag: string; val?: unknown };
      const c = type.cases.find((k) => k.name === tagged.tag);
      return c?.type ? { tag: tagged.tag, val: fromJco(c.type, tagged.val) } : { tag: tagged.tag };
    }
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'own': case 'borrow': case 'future': case 'stream':
      return v;
    default: assertNever(type, 'kind');
  }
}

/** `String.prototype.isWellFormed` (Node 20+; not in the ES2022 lib typings). */
const wellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Whether values of `type` can hold a string (the only place a lone surrogate can hide). */
export function holdsStrings(type: ValType): boolean {
  switch (type.kind) {
    case 'string': return true;
    case 'list': return holdsStrings(type.element);
    case 'option': return holdsStrings(type.type);
    case 'result': return (type.ok !== null && holdsStrings(type.ok)) || (type.err !== null && holdsStrings(type.err));
    case 'record': return type.fields.some((f) => holdsStrings(f.type));
    case 'tuple': return type.types.some(holdsStrings);
    case 'variant': return type.cases.some((c) => c.type !== null && holdsStrings(c.type));
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64': case 'char':
    case 'error-context': case 'enum': case 'flags': case 'own': case 'borrow': case 'future': case 'stream': return false;
    default: assertNever(type, 'kind');
  }
}

/**
 * The path of the first string in `v` (a witplug value of `type`) that is not
 * Unicode scalar values, or null. jco's glue encodes with TextEncoder, which
 * would silently turn a lone surrogate into U+FFFD; the generated path refuses
 * it, and so does the jco path with this check. Values of the wrong shape are
 * skipped: jco's own checks report them.
 */
export function loneSurrogateAt(type: ValType, v: unknown, path: string): string | null {
  switch (type.kind) {
    case 'string': return typeof v === 'string' && !wellFormed(v) ? path : null;
    case 'list': {
      if (!Array.isArray(v) || !holdsStrings(type.element)) return null;
      for (let i = 0; i < v.length; i++) {
        const at = loneSurrogateAt(type.element, v[i], `${path}[${i}]`);
        if (at !== null) return at;
      }
      return null;
    }
    case 'option':
      if (v === null || v === undefined) return null;
      return type.type.kind === 'option'
        ? loneSurrogateAt(type.type, (v as { val?: unknown }).val, `${path} > some`)
        : loneSurrogateAt(type.type, v, `${path} > some`);
    case 'tuple':
      if (!Array.isArray(v)) return null;
      for (let i = 0; i < type.types.length; i++) {
        const at = loneSurrogateAt(type.types[i]!, v[i], `${path}[${i}]`);
        if (at !== null) return at;
      }
      return null;
    case 'record':
      if (v === null || typeof v !== 'object') return null;
      for (const f of type.fields) {
        const at = loneSurrogateAt(f.type, (v as Record<string, unknown>)[lowerCamel(f.name)], `${path} > field ${f.name}`);
        if (at !== null) return at;
      }
      return null;
    case 'result': case 'variant': {
      if (v === null || typeof v !== 'object') return null;
      const { tag, val } = v as { tag?: unknown; val?: unknown };
      const payload = type.kind === 'result'
        ? (tag === 'ok' ? type.ok : tag === 'err' ? type.err : null)
        : (type.cases.find((c) => c.name === tag)?.type ?? null);
      return payload ? loneSurrogateAt(payload, val, `${path} > ${String(tag)}`) : null;
    }
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64': case 'char':
    case 'error-context': case 'enum': case 'flags': case 'own': case 'borrow': case 'future': case 'stream': return null;
    default: assertNever(type, 'kind');
  }
}
