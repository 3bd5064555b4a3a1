/**
 * Decoding of component-model value types and function types: primitives,
 * `defvaltype`s (checked as defs.ts builds them) and labels.
 */
import type { Case, Field, FuncType, Param, PrimitiveKind, ResourceType, ValType } from './types.js';
import type { Reader } from './reader.js';
import { WitplugError } from '../errors.js';
import { isLabel } from './labels.js';
import { type Scope, checked, checkedFunc, levelOf } from './defs.js';
import { typeAt } from './index-spaces.js';

const PRIMS: Record<number, PrimitiveKind> = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32',
  0x78: 's64', 0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string', 0x64: 'error-context',
};

// One shared object per primitive keeps the model small and comparisons cheap.
const primCache = new Map<PrimitiveKind, ValType>();
export function prim(kind: PrimitiveKind): ValType {
  let t = primCache.get(kind);
  if (!t) primCache.set(kind, (t = { kind }));
  return t;
}

function valDef(r: Reader, scope: Scope, idx: number, pos: number): ValType {
  const d = typeAt(r, scope, idx, pos);
  if (d.d !== 'val') r.fail(`type index ${idx} is not a value type`, pos);
  return d.t;
}

function resourceAt(r: Reader, scope: Scope, idx: number, pos: number): ResourceType {
  const d = typeAt(r, scope, idx, pos);
  if (d.d !== 'resource') r.fail(`type index ${idx} is not a resource type`, pos);
  return d.r;
}

export function readValType(r: Reader, scope: Scope): ValType {
  const pos = r.pos;
  const v = r.sleb(33);
  if (v < 0n) {
    const kind = PRIMS[Number(v) + 0x80];
    if (!kind) r.fail(`unknown primitive value type ${v}`, pos);
    return prim(kind);
  }
  if (v > 0xffffffffn) r.fail('type index out of range', pos);
  return valDef(r, scope, Number(v), pos);
}

function readOptVal(r: Reader, scope: Scope): ValType | null {
  const b = r.u8();
  if (b === 0x00) return null;
  if (b === 0x01) return readValType(r, scope);
  return r.fail('bad option byte', r.pos - 1);
}

/**
 * A `labellit`: refused unless it is a WIT label (labels become JS property
 * keys and appear in generated code; only kebab-case ASCII may get there).
 */
function label(r: Reader, what: string, i: number): string {
  const at = r.pos;
  const l = r.name();
  if (!isLabel(l)) r.fail(`${what} #${i} name ${JSON.stringify(l.length > 64 ? `${l.slice(0, 64)}…` : l)} is not a WIT label (kebab-case ASCII words, starting with a letter)`, at);
  return l;
}

function labels(r: Reader, what: string, pos: number): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (let n = r.vecLen(), i = 0; i < n; i++) {
    const l = label(r, what, i);
    if (seen.has(l)) r.fail(`duplicate ${what} name '${l}'`, pos);
    seen.add(l);
    names.push(l);
  }
  return names;
}

export function readDefValType(r: Reader, scope: Scope, op: number, pos: number): ValType {
  switch (op) {
    case 0x72: {
      const fields: Field[] = [];
      for (let n = r.vecLen(2), i = 0; i < n; i++) fields.push({ name: label(r, 'record field', i), type: readValType(r, scope) });
      if (fields.length === 0) r.fail('record with no fields', pos);
      return checked({ kind: 'record', fields }, fields.map((f) => f.type), pos);
    }
    case 0x71: {
      const cases: Case[] = [];
      for (let n = r.vecLen(3), i = 0; i < n; i++) {
        const name = label(r, 'variant case', i);
        const type = readOptVal(r, scope);
        if (r.u8() !== 0x00) r.fail('variant case refinement is not supported', r.pos - 1);
        cases.push({ name, type });
      }
      if (cases.length === 0) r.fail('variant with no cases', pos);
      return checked({ kind: 'variant', cases }, cases.map((c) => c.type), pos);
    }
    case 0x70: {
      const element = readValType(r, scope);
      return checked({ kind: 'list', element }, [element], pos);
    }
    case 0x67: {
      const element = readValType(r, scope);
      const length = r.u32();
      if (length === 0) r.fail('fixed-length list of length 0', pos);
      return checked({ kind: 'list', element, length }, [element], pos);
    }
    case 0x6f: {
      const types: ValType[] = [];
      for (let n = r.vecLen(), i = 0; i < n; i++) types.push(readValType(r, scope));
      if (types.length === 0) r.fail('empty tuple', pos);
      return checked({ kind: 'tuple', types }, types, pos);
    }
    case 0x6e: {
      const names = labels(r, 'flag', pos);
      if (names.length === 0 || names.length > 32) r.fail(`flags must have 1..32 names, found ${names.length}`, pos);
      return checked({ kind: 'flags', names }, [], pos);
    }
    case 0x6d: {
      const names = labels(r, 'enum case', pos);
      if (names.length === 0) r.fail('enum with no cases', pos);
      return checked({ kind: 'enum', names }, [], pos);
    }
    case 0x6b: {
      const type = readValType(r, scope);
      return checked({ kind: 'option', type }, [type], pos);
    }
    case 0x6a: {
      const ok = readOptVal(r, scope);
      const err = readOptVal(r, scope);
      return checked({ kind: 'result', ok, err }, [ok, err], pos);
    }
    case 0x69:
    case 0x68: {
      const ipos = r.pos;
      const resource = resourceAt(r, scope, r.u32(), ipos);
      return checked({ kind: op === 0x69 ? 'own' : 'borrow', resource }, [], pos, levelOf(resource));
    }
    case 0x66:
    case 0x65: {
      const type = readOptVal(r, scope);
      return checked({ kind: op === 0x66 ? 'stream' : 'future', type }, [type], pos);
    }
    case 0x63:
      // Valid (Binary.md), but no canonical ABI, WIT parser or value mapping of witplug handles it yet.
      throw new WitplugError('UNSUPPORTED', `map<K, V> types are not supported by witplug (at byte offset ${pos})`);
    default: {
      const kind = PRIMS[op];
      if (!kind) r.fail(`unknown type opcode 0x${op.toString(16)}`, pos);
      return prim(kind);
    }
  }
}

export function readFuncType(r: Reader, scope: Scope, async: boolean, pos: number): FuncType {
  const params: Param[] = [];
  const seen = new Set<string>();
  for (let n = r.vecLen(2), i = 0; i < n; i++) {
    const name = label(r, 'parameter', i);
    if (seen.has(name)) r.fail(`duplicate parameter name '${name}'`, pos);
    seen.add(name);
    params.push({ name, type: readValType(r, scope) });
  }
  let result: ValType | null = null;
  const rb = r.u8();
  if (rb === 0x00) result = readValType(r, scope);
  else if (rb !== 0x01 || r.u8() !== 0x00) r.fail('bad function result list', r.pos - 1);
  const f: FuncType = async ? { kind: 'func', params, result, async: true } : { kind: 'func', params, result };
  return checkedFunc(f, pos);
}
