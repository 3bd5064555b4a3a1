/**
 * Canonical ABI layout of witplug's type model (CanonicalABI.md: alignment,
 * elem_size, flatten_type, discriminant_type). Pure functions of the type,
 * evaluated at code-generation time only — never on the call path.
 */
import type { ValType, Case } from '../../component/types.js';
import { assertNever } from '../../util/assert-never.js';

export type FlatType = 'i32' | 'i64' | 'f32' | 'f64';

export const MAX_FLAT_PARAMS = 16;
export const MAX_FLAT_RESULTS = 1;

/** Thrown for type kinds the generated path does not handle (the caller falls back to jco). */
export class UnsupportedAbiType extends Error {}

export function alignTo(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** The cases of the variant-like types (variant, option, result, enum) in order. */
export function variantCases(t: ValType): readonly Case[] {
  switch (t.kind) {
    case 'variant': return t.cases;
    case 'option': return [{ name: 'none', type: null }, { name: 'some', type: t.type }];
    case 'result': return [{ name: 'ok', type: t.ok }, { name: 'err', type: t.err }];
    case 'enum': return t.names.map((name) => ({ name, type: null }));
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'record': case 'flags': case 'tuple': case 'list': case 'own': case 'borrow': case 'future':
    case 'stream': throw new Error(`not a variant: ${t.kind}`);
    default: assertNever(t, 'kind');
  }
}

/** Bytes of the discriminant of a variant with `n` cases. */
export function discriminantSize(n: number): 1 | 2 | 4 {
  return n <= 0x100 ? 1 : n <= 0x10000 ? 2 : 4;
}

/** Bytes of a flags value with `n` labels (at most 32, as the component model allows). */
export function flagsSize(n: number): 1 | 2 | 4 {
  if (n > 32) throw new UnsupportedAbiType(`flags with ${n} labels`);
  return n <= 8 ? 1 : n <= 16 ? 2 : 4;
}

export function alignment(t: ValType): number {
  switch (t.kind) {
    case 'bool': case 's8': case 'u8': return 1;
    case 's16': case 'u16': return 2;
    case 's32': case 'u32': case 'f32': case 'char': case 'own': case 'borrow': return 4;
    case 's64': case 'u64': case 'f64': return 8;
    case 'string': return 4;
    case 'list':
      if (t.length !== undefined) throw new UnsupportedAbiType('fixed-length lists');
      return 4;
    case 'record': return t.fields.reduce((a, f) => Math.max(a, alignment(f.type)), 1);
    case 'tuple': return t.types.reduce((a, x) => Math.max(a, alignment(x)), 1);
    case 'flags': return flagsSize(t.names.length);
    case 'variant': case 'option': case 'result': case 'enum': {
      const cases = variantCases(t);
      return Math.max(discriminantSize(cases.length), maxCaseAlignment(cases));
    }
    case 'error-context': case 'future': case 'stream': throw new UnsupportedAbiType(`${t.kind} values`);
    default: assertNever(t, 'kind');
  }
}

function maxCaseAlignment(cases: readonly Case[]): number {
  return cases.reduce((a, c) => (c.type ? Math.max(a, alignment(c.type)) : a), 1);
}

export function elemSize(t: ValType): number {
  switch (t.kind) {
    case 'bool': case 's8': case 'u8': return 1;
    case 's16': case 'u16': return 2;
    case 's32': case 'u32': case 'f32': case 'char': case 'own': case 'borrow': return 4;
    case 's64': case 'u64': case 'f64': return 8;
    case 'string': return 8;
    case 'list':
      if (t.length !== undefined) throw new UnsupportedAbiType('fixed-length lists');
      return 8;
    case 'record': return alignTo(fieldOffsets(t.fields.map((f) => f.type)).end, alignment(t));
    case 'tuple': return alignTo(fieldOffsets(t.types).end, alignment(t));
    case 'flags': return flagsSize(t.names.length);
    case 'variant': case 'option': case 'result': case 'enum': {
      const cases = variantCases(t);
      const payload = payloadOffset(cases);
      const maxSize = cases.reduce((a, c) => (c.type ? Math.max(a, elemSize(c.type)) : a), 0);
      return alignTo(payload + maxSize, alignment(t));
    }
    case 'error-context': case 'future': case 'stream': throw new UnsupportedAbiType(`${t.kind} values`);
    default: assertNever(t, 'kind');
  }
}

/** Offset of each field in a record/tuple laid out in memory, and the end of the last one. */
export function fieldOffsets(types: readonly ValType[]): { offsets: number[]; end: number } {
  let at = 0;
  const offsets: number[] = [];
  for (const t of types) {
    at = alignTo(at, alignment(t));
    offsets.push(at);
    at += elemSize(t);
  }
  return { offsets, end: at };
}

/** Where a variant's payload starts, after the discriminant. */
export function payloadOffset(cases: readonly Case[]): number {
  return alignTo(discriminantSize(cases.length), maxCaseAlignment(cases));
}

function join(a: FlatType, b: FlatType): FlatType {
  if (a === b) return a;
  if ((a === 'i32' && b === 'f32') || (a === 'f32' && b === 'i32')) return 'i32';
  return 'i64';
}

export function flatten(t: ValType): FlatType[] {
  switch (t.kind) {
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'char':
    case 'own': case 'borrow': case 'enum': case 'flags':
      if (t.kind === 'flags') flagsSize(t.names.length);
      return ['i32'];
    case 's64': case 'u64': return ['i64'];
    case 'f32': return ['f32'];
    case 'f64': return ['f64'];
    case 'string': return ['i32', 'i32'];
    case 'list':
      if (t.length !== undefined) throw new UnsupportedAbiType('fixed-length lists');
      return ['i32', 'i32'];
    case 'record': return t.fields.flatMap((f) => flatten(f.type));
    case 'tuple': return t.types.flatMap(flatten);
    case 'variant': case 'option': case 'result':
      return ['i32', ...flattenCases(variantCases(t))];
    case 'error-context': case 'future': case 'stream': throw new UnsupportedAbiType(`${t.kind} values`);
    default: assertNever(t, 'kind');
  }
}

/** The joined flat payload of a variant's cases (without the discriminant). */
export function flattenCases(cases: readonly Case[]): FlatType[] {
  const out: FlatType[] = [];
  for (const c of cases) {
    if (!c.type) continue;
    flatten(c.type).forEach((ft, i) => {
      out[i] = i < out.length ? join(out[i]!, ft) : ft;
    });
  }
  return out;
}

/** Throws UnsupportedAbiType if any part of `t` can't be lowered/lifted by the generated path. */
export function assertSupported(t: ValType): void {
  flatten(t);
  elemSize(t);
  const visit = (x: ValType): void => {
    switch (x.kind) {
      case 'list': visit(x.element); break;
      case 'record': x.fields.forEach((f) => visit(f.type)); break;
      case 'tuple': x.types.forEach(visit); break;
      case 'option': visit(x.type); break;
      case 'result': if (x.ok) visit(x.ok); if (x.err) visit(x.err); break;
      case 'variant': x.cases.forEach((c) => c.type && visit(c.type)); break;
      case 'error-context': case 'future': case 'stream': throw new UnsupportedAbiType(`${x.kind} values`);
      case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32':
      case 'f64': case 'char': case 'enum': case 'flags': case 'own': case 'borrow': break;
      default: assertNever(x, 'kind');
    }
  };
  visit(t);
}
