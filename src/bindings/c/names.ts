/**
 * C names for WIT names. WIT identifiers are kebab-case (`received-at-ms`),
 * C identifiers here are snake_case (`received_at_ms`); a name that would be
 * a C keyword or a macro the bindings rely on gets a trailing `_`. Anything
 * that is not a WIT identifier is refused: no text from a WIT file reaches
 * the generated C unchecked.
 */
import { ErrorCodes, WitplugError } from '../../errors.js';

const C_RESERVED = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float', 'for',
  'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct',
  'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while', 'alignas', 'alignof', 'atomic', 'bool', 'complex',
  'generic', 'imaginary', 'noreturn', 'static_assert', 'thread_local', 'true', 'false', 'null', 'asm', 'typeof',
  // Names the generated code itself uses for locals and members.
  'ptr', 'len', 'tag', 'val', 'ok', 'err', 'is_some', 'is_err', 'ret', 'args',
]);

/** The same rule the WIT lexer applies, `%` escapes allowed. */
const WIT_IDENTIFIER = /^%?[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z][a-zA-Z0-9]*)*$/;

/** `received-at-ms` → `received_at_ms`, without keyword escaping (a part of a longer name). */
export function snakePart(witName: string): string {
  if (!WIT_IDENTIFIER.test(witName)) {
    throw new WitplugError(ErrorCodes.CONTRACT, `${JSON.stringify(witName)} is not a WIT identifier; no C name can be made from it`);
  }
  return witName.replace(/^%/, '').toLowerCase().replace(/-/g, '_');
}

/** A WIT name as a whole C identifier (a field, case or parameter): keywords escaped. */
export function snake(witName: string): string {
  const s = snakePart(witName);
  return C_RESERVED.has(s) ? `${s}_` : s;
}

/** The upper-case form for constants (`CLIENT_TRAITS_AUTHENTICATED`). */
export function upper(cName: string): string {
  return cName.toUpperCase();
}

/**
 * The C prefix of an interface: `witplug:gateway/types@0.1.0` → `witplug_gateway_types`
 * (namespace, package, interface, as wit-bindgen's C generator names them; the
 * version is left out). A world-level item uses the world's prefix.
 */
export function interfacePrefix(name: string): string {
  const m = /^([^:/@]+):([^:/@]+)\/([^:/@]+)(@.*)?$/.exec(name);
  if (!m) return snakePart(name);
  return `${snakePart(m[1]!)}_${snakePart(m[2]!)}_${snakePart(m[3]!)}`;
}

/**
 * The C part of a function name: `check` → `check`, `[method]counter.incr` →
 * `method_counter_incr`, `[constructor]counter` → `constructor_counter`.
 */
export function funcPart(witName: string): string {
  const m = /^\[(constructor|method|static|resource-drop)\]([^.]+)(?:\.(.+))?$/.exec(witName);
  if (!m) return snakePart(witName);
  const kind = m[1]!.replace('-', '_');
  return m[3] === undefined ? `${kind}_${snakePart(m[2]!)}` : `${kind}_${snakePart(m[2]!)}_${snakePart(m[3])}`;
}

/** A string as a C string literal: only printable ASCII passes through, the rest is escaped. */
export function cString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (byte >= 0x20 && byte < 0x7f && ch !== '?') out += ch;
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}
