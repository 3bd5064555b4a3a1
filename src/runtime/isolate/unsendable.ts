/**
 * Why the arguments of an isolated call could not be sent to the worker.
 * Calls cross as a structured clone; a function, a symbol, a getter that
 * throws… fail that clone with a bare DataCloneError (or whatever the getter
 * threw). In-process the same arguments fail WIT validation, so isolation
 * reports TYPE_MISMATCH too, naming the place the way the in-process check
 * does (`param req > field headers[2] > field name`).
 *
 * Runs only after a clone failed: the call path clones once and pays
 * nothing for this.
 */
import { serialize } from 'node:v8';
import type { FuncType, ValType } from '../../component/types.js';
import { WitplugError, ErrorCodes } from '../../errors.js';
import { describe } from '../abi/context.js';
import { lowerCamel } from '../../component/names.js';
import { assertNever } from '../../util/assert-never.js';

/** A value that could not be cloned, where it is, and what the clone (or a getter) threw. */
interface Culprit {
  readonly path: string;
  readonly type: ValType | null;
  readonly value: unknown;
  readonly why: unknown;
  /** Reading the value threw (a getter): `why` is what it threw. */
  readonly threw: boolean;
}

/** Deeper than any WIT type nests in practice; the walk stops there and reports what it has. */
const MAX_DEPTH = 64;

function cloneError(v: unknown): unknown {
  try {
    serialize(v);
    return null;
  } catch (e) {
    return e ?? 'undefined was thrown';
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What a WIT type expects, in the words of TYPE_MISMATCH messages. */
function expected(t: ValType): string {
  switch (t.kind) {
    case 'record': return `a record (object with ${t.fields.map((f) => lowerCamel(f.name)).join(', ')})`;
    case 'list': return 'a list (array)';
    case 'tuple': return `a tuple (array of ${t.types.length})`;
    case 'option': return 'an option (null or the value)';
    case 'variant': case 'result': return 'a {tag, val} object';
    case 'enum': return 'an enum case (string)';
    case 'flags': return 'flags (object of booleans)';
    case 'own': case 'borrow': return `a ${t.resource.name} handle`;
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'future': case 'stream': return t.kind;
    default: assertNever(t, 'kind');
  }
}

/** The parts of `value` that `type` reads, with the path segment and type of each (getters may throw). */
function* parts(type: ValType, value: unknown): Generator<{ segment: string; type: ValType | null; read: () => unknown }> {
  if (value === null || typeof value !== 'object') return;
  const v = value as Record<string, unknown>;
  switch (type.kind) {
    case 'record':
      for (const f of type.fields) yield { segment: ` > field ${f.name}`, type: f.type, read: () => v[lowerCamel(f.name)] };
      return;
    case 'list':
    case 'tuple':
      if (!Array.isArray(value)) return;
      for (let i = 0; i < value.length; i++) yield { segment: `[${i}]`, type: type.kind === 'list' ? type.element : type.types[i] ?? null, read: () => (value as unknown[])[i] };
      return;
    case 'variant':
    case 'result': {
      const cases = type.kind === 'variant' ? type.cases : [{ name: 'ok', type: type.ok }, { name: 'err', type: type.err }];
      let tag: unknown;
      try {
        tag = v.tag;
      } catch (e) {
        yield { segment: ' > tag', type: null, read: () => { throw e; } };
        return;
      }
      const c = cases.find((x) => x.name === tag);
      if (c) yield { segment: ` > ${c.name}`, type: c.type, read: () => v.val };
      return;
    }
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'option': case 'own': case 'borrow': case 'future': case 'stream':
      break;
    default: assertNever(type, 'kind');
  }
}

/** Descends through `value` along `type` to the innermost part that cannot be cloned. */
function culprit(path: string, type: ValType | null, value: unknown, why: unknown, depth: number): Culprit {
  if (type === null || depth >= MAX_DEPTH) return { path, type, value, why, threw: false };
  // An option's payload is the value itself (null is none).
  if (type.kind === 'option') return value === null || value === undefined ? { path, type, value, why, threw: false } : culprit(`${path} > some`, type.type, value, why, depth + 1);
  for (const part of parts(type, value)) {
    let inner: unknown;
    try {
      inner = part.read();
    } catch (e) {
      return { path: path + part.segment, type: part.type, value: undefined, why: e, threw: true };
    }
    const e = cloneError(inner);
    if (e !== null) return culprit(path + part.segment, part.type, inner, e, depth + 1);
  }
  return { path, type, value, why, threw: false };
}

/**
 * TYPE_MISMATCH for arguments whose clone failed with `error`: names the
 * parameter and, along the WIT type, the innermost part that cannot cross.
 */
export function unsendableArguments(func: FuncType, args: readonly unknown[], error: unknown, plugin: string, hook: string): WitplugError {
  let found: Culprit | null = null;
  for (let i = 0; i < args.length && found === null; i++) {
    const p = func.params[i];
    const e = cloneError(args[i]);
    if (e !== null) found = culprit(`param ${p?.name ?? i}`, p?.type ?? null, args[i], e, 0);
  }
  if (found === null) {
    return new WitplugError(ErrorCodes.TYPE_MISMATCH, `the arguments cannot be sent to isolated plugin ${plugin}: ${message(error)}`, { plugin, hook, cause: error });
  }
  const wanted = found.type ? `expected ${expected(found.type)}, got ` : 'got ';
  const got = found.threw ? 'a value whose getter threw' : describe(found.value);
  return new WitplugError(ErrorCodes.TYPE_MISMATCH, `${found.path}: ${wanted}${got}, which cannot be sent to isolated plugin ${plugin} (${message(found.why)})`, {
    path: found.path, plugin, hook, cause: found.why,
  });
}
