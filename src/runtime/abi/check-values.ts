/**
 * Validation of argument values, as generated JavaScript: every argument is
 * checked against its WIT type before any of it is lowered (TYPE_MISMATCH
 * with the value's path on failure, no side effects).
 */
import type { ValType, ResourceType } from '../../component/types.js';
import { lowerCamel } from '../../component/names.js';
import { flagsSize, UnsupportedAbiType } from './layout.js';
import { resourceKey, str, cat, type Emitter, type PathExpr, type ResourceOwner } from './emit.js';
import { INT_CHECKS, fail, switchCase } from './value-code.js';
import { assertNever } from '../../util/assert-never.js';

export class CheckGenerator {
  readonly #e: Emitter;
  readonly #ownerOf: ResourceOwner;
  /** Whether the function moves handles (own<R> of the plugin's resources): handle arguments are then claimed. */
  readonly #claims: boolean;
  constructor(e: Emitter, ownerOf: ResourceOwner, claims = false) {
    this.#e = e;
    this.#ownerOf = ownerOf;
    this.#claims = claims;
  }

  // ---- validation -----------------------------------------------------------
  //
  // Every argument is validated before any of it is lowered: lowering calls
  // `cabi_realloc`, which is plugin code, and a caller's mistake must be
  // refused before the plugin runs (and a fault once it runs is the plugin's).
  // Lowering below therefore assumes validated values and checks nothing.

  /** Emits the checks of `v` against `t` (TYPE_MISMATCH with `path` on failure); no side effects. */
  check(t: ValType, v: string, path: PathExpr): void {
    const e = this.#e;
    const int = INT_CHECKS[t.kind];
    if (int) {
      e.line(`if (${int[0](v)}) ${fail(path, int[1], v)};`);
      return;
    }
    switch (t.kind) {
      case 'bool':
        e.line(`if (typeof ${v} !== 'boolean') ${fail(path, 'a boolean', v)};`);
        return;
      case 'u64': case 's64': {
        // Any safe integer fits s64; u64 also needs it non-negative. No BigInt is made here.
        const [min, max] = t.kind === 'u64' ? ['0n', '18446744073709551615n'] : ['-9223372036854775808n', '9223372036854775807n'];
        const what = `an integer in ${t.kind} range (bigint or safe integer number)`;
        const numberOk = t.kind === 'u64' ? `Number.isSafeInteger(${v}) && ${v} >= 0` : `Number.isSafeInteger(${v})`;
        e.line(`if (typeof ${v} === 'bigint' ? ${v} < ${min} || ${v} > ${max} : !(${numberOk})) ${fail(path, what, v)};`);
        return;
      }
      case 'f32': case 'f64':
        e.line(`if (typeof ${v} !== 'number') ${fail(path, 'a number', v)};`);
        return;
      case 'char': {
        const x = e.tmp('cp');
        e.line(`const ${x} = typeof ${v} === 'string' && ${v}.length > 0 && ${v}.length <= 2 ? ${v}.codePointAt(0) : -1;`);
        e.line(`if (${x} < 0 || (${x} >= 0xd800 && ${x} <= 0xdfff) || ${v}.length !== (${x} > 0xffff ? 2 : 1)) ${fail(path, 'a single Unicode scalar value (char)', v)};`);
        return;
      }
      case 'string':
        e.line(`if (typeof ${v} !== 'string') ${fail(path, 'a string', v)};`);
        // A component-model string is Unicode scalar values: UTF-8 encoding would turn a lone surrogate into U+FFFD.
        e.line(`if (!${v}.isWellFormed()) ${fail(path, 'a string of Unicode scalar values (it has a lone surrogate)', v)};`);
        return;
      case 'list': {
        const elem = t.element;
        if (elem.kind === 'u8') {
          e.line(`if (!(${v} instanceof Uint8Array)) {`);
          e.line(`  if (!Array.isArray(${v})) ${fail(path, 'a list<u8> (Uint8Array or array of bytes)', v)};`);
          e.line(`  for (let i = 0; i < ${v}.length; i++) if ((${v}[i] & 0xff) !== ${v}[i]) ${fail(`${path} + "[" + i + "]"`, 'an integer in u8 range (0..255)', `${v}[i]`)};`);
          e.line('}');
          return;
        }
        e.line(`if (!Array.isArray(${v}) && !(ArrayBuffer.isView(${v}) && !(${v} instanceof DataView))) ${fail(path, 'a list (array)', v)};`);
        const i = e.tmp('i');
        e.block(`for (let ${i} = 0; ${i} < ${v}.length; ${i}++) {`, () => {
          const x = e.tmp('x');
          e.line(`const ${x} = ${v}[${i}];`);
          this.check(elem, x, `${path} + "[" + ${i} + "]"`);
        });
        return;
      }
      case 'record':
        e.line(`if (${v} === null || typeof ${v} !== 'object') ${fail(path, `a record (object with ${t.fields.map((f) => lowerCamel(f.name)).join(', ')})`, v)};`);
        for (const f of t.fields) {
          const x = e.tmp('f');
          e.line(`const ${x} = ${v}[${str(lowerCamel(f.name))}];`);
          this.check(f.type, x, cat(path, ` > field ${f.name}`));
        }
        return;
      case 'tuple':
        e.line(`if (!Array.isArray(${v}) || ${v}.length !== ${t.types.length}) ${fail(path, `a tuple (array of ${t.types.length})`, v)};`);
        t.types.forEach((x, i) => {
          const y = e.tmp('f');
          e.line(`const ${y} = ${v}[${i}];`);
          this.check(x, y, cat(path, `[${i}]`));
        });
        return;
      case 'flags':
        flagsSize(t.names.length);
        e.line(`if (${v} === null || typeof ${v} !== 'object') ${fail(path, `flags (object of booleans: ${t.names.map(lowerCamel).join(', ')})`, v)};`);
        return;
      case 'enum':
        e.block(`switch (${v}) {`, () => {
          e.line(`${t.names.map((n) => `case ${str(n)}:`).join(' ')} break;`);
          e.line(`default: ${fail(path, `one of ${t.names.map((n) => `"${n}"`).join(', ')}`, v)};`);
        });
        return;
      case 'own': case 'borrow':
        e.line(`${this.#checkHandle(t.kind, t.resource)}(${v}, ${str(resourceKey(t.resource))}, ${path});`);
        return;
      case 'variant': case 'option': case 'result':
        switchCase(e, t, v, path, true, (_index, payload, payloadValue, payloadPath) => {
          if (payload) this.check(payload, payloadValue, payloadPath);
        });
        return;
      case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'error-context': case 'future': case 'stream':
        throw new UnsupportedAbiType(`${t.kind} values`);
      default: assertNever(t, 'kind');
    }
  }

  /** The handle table or claims method that checks a handle argument without taking it. */
  #checkHandle(kind: 'own' | 'borrow', r: ResourceType): string {
    const owner = this.#ownerOf(r);
    if (owner === 'plugin') return kind === 'own' ? 'O.claimOwn' : this.#claims ? 'O.claimBorrow' : 'R.checkOwnHandle';
    if (owner === 'host') return 'R.checkHostObject';
    throw new UnsupportedAbiType(`resource ${r.name} is neither exported by the plugin nor provided by the host`);
  }
}
