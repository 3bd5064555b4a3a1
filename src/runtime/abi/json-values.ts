/**
 * JSON ↔ witplug's JS values, driven by the WIT type. Used by the CLI
 * (`--args`, `--json` output). Input is validated fully so that a bad
 * argument is a usage error naming the parameter, never a trap in the guest.
 *
 * JSON conventions (documented in README): records → objects with
 * lowerCamelCase keys; variants → {"tag","val"}; enums → case name; flags →
 * object of booleans; option → value or null (option<option<T>>: the outer
 * some is {"tag":"some","val":…}); result → {"tag":"ok"|"err","val"}; tuples
 * and lists → arrays (list<u8> too); u64/s64 → decimal strings (numbers
 * accepted on input); char → one-character string.
 */
import type { ValType } from '../../component/types.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { lowerCamel } from '../../component/names.js';
import { assertNever } from '../../util/assert-never.js';

const INT_RANGES: Record<string, readonly [number, number]> = {
  u8: [0, 0xff], s8: [-0x80, 0x7f], u16: [0, 0xffff], s16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff], s32: [-0x80000000, 0x7fffffff],
};
const BIG_RANGES: Record<string, readonly [bigint, bigint]> = {
  u64: [0n, 0xffffffffffffffffn], s64: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

/** Converts a JSON value to the JS value witplug passes to a plugin; throws USAGE naming `path`. */
export function fromJson(type: ValType, json: unknown, path: string): unknown {
  const fail = (expected: string): never => {
    throw new WitplugError(ErrorCodes.USAGE, `${path}: expected ${expected}, found ${describe(json)}`, { path });
  };
  switch (type.kind) {
    case 'bool':
      return typeof json === 'boolean' ? json : fail('a boolean');
    case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32': {
      const [lo, hi] = INT_RANGES[type.kind]!;
      if (typeof json !== 'number' || !Number.isInteger(json) || json < lo || json > hi) fail(`an integer in ${type.kind} range [${lo}, ${hi}]`);
      return json;
    }
    case 'u64': case 's64': {
      const [lo, hi] = BIG_RANGES[type.kind]!;
      let v: bigint | null = null;
      if (typeof json === 'number' && Number.isSafeInteger(json)) v = BigInt(json);
      else if (typeof json === 'string' && /^-?\d+$/.test(json)) v = BigInt(json);
      if (v === null || v < lo || v > hi) fail(`a ${type.kind} as a decimal string or safe integer in [${lo}, ${hi}]`);
      return v;
    }
    case 'f32': case 'f64':
      if (typeof json === 'number') return json;
      if (json === 'NaN' || json === 'Infinity' || json === '-Infinity') return Number(json);
      return fail('a number');
    case 'char':
      if (typeof json !== 'string' || [...json].length !== 1) fail('a one-character string');
      return json;
    case 'string':
      return typeof json === 'string' ? json : fail('a string');
    case 'list': {
      if (!Array.isArray(json)) fail(`an array (list<…>)`);
      const arr = json as unknown[];
      if (type.length !== undefined && arr.length !== type.length) fail(`an array of exactly ${type.length} elements`);
      const items = arr.map((item, i) => fromJson(type.element, item, `${path}[${i}]`));
      return type.element.kind === 'u8' ? Uint8Array.from(items as number[]) : items;
    }
    case 'tuple': {
      if (!Array.isArray(json) || json.length !== type.types.length) fail(`an array of ${type.types.length} elements (tuple)`);
      return type.types.map((t, i) => fromJson(t, (json as unknown[])[i], `${path}[${i}]`));
    }
    case 'record': {
      const obj = asObject(json) ?? fail(`an object (record${type.name ? ' ' + type.name : ''})`);
      const out: Record<string, unknown> = {};
      for (const f of type.fields) {
        const key = lowerCamel(f.name);
        if (!(key in obj)) fail(`an object with field "${key}" (record${type.name ? ' ' + type.name : ''})`);
        out[key] = fromJson(f.type, obj[key], `${path} > field ${f.name}`);
      }
      const extra = Object.keys(obj).filter((k) => !type.fields.some((f) => lowerCamel(f.name) === k));
      if (extra.length > 0) fail(`only fields ${type.fields.map((f) => lowerCamel(f.name)).join(', ')} (unknown field "${extra[0]}")`);
      return out;
    }
    case 'flags': {
      const obj = asObject(json) ?? fail('an object of booleans (flags)');
      const out: Record<string, boolean> = {};
      const known = new Set(type.names.map(lowerCamel));
      for (const k of Object.keys(obj)) {
        if (!known.has(k)) fail(`flags among ${[...known].join(', ')} (unknown flag "${k}")`);
        if (typeof obj[k] !== 'boolean') fail(`a boolean for flag "${k}"`);
      }
      for (const n of type.names) out[lowerCamel(n)] = obj[lowerCamel(n)] === true;
      return out;
    }
    case 'enum':
      if (typeof json !== 'string' || !type.names.includes(json)) fail(`one of ${type.names.map((n) => `"${n}"`).join(', ')}`);
      return json;
    case 'variant': {
      const obj = asObject(json) ?? fail(`{"tag": …} with tag one of ${type.cases.map((c) => c.name).join(', ')}`);
      const c = type.cases.find((k) => k.name === obj['tag']) ?? fail(`a tag among ${type.cases.map((k) => `"${k.name}"`).join(', ')}`);
      if (c.type === null) return { tag: c.name };
      return { tag: c.name, val: fromJson(c.type, obj['val'], `${path} > case ${c.name}`) };
    }
    case 'option': {
      if (type.type.kind === 'option') {
        if (json === null) return null;
        const obj = asObject(json);
        if (!obj || (obj['tag'] !== 'some' && obj['tag'] !== 'none')) fail('null or {"tag":"some","val":…} (nested option)');
        return obj!['tag'] === 'none' ? null : { tag: 'some', val: fromJson(type.type, obj!['val'], `${path} > some`) };
      }
      return json === null || json === undefined ? null : fromJson(type.type, json, `${path} > some`);
    }
    case 'result': {
      const obj = asObject(json);
      if (!obj || (obj['tag'] !== 'ok' && obj['tag'] !== 'err')) fail('{"tag":"ok"|"err","val":…} (result)');
      const side = obj!['tag'] === 'ok' ? type.ok : type.err;
      return side === null ? { tag: obj!['tag'] } : { tag: obj!['tag'], val: fromJson(side, obj!['val'], `${path} > ${String(obj!['tag'])}`) };
    }
    case 'error-context': case 'own': case 'borrow': case 'future': case 'stream':
      throw new WitplugError(ErrorCodes.USAGE, `${path}: values of type ${type.kind} cannot be given as JSON`, { path });
    default: assertNever(type, 'kind');
  }
}

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
