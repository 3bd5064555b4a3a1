/**
 * C statements moving values between their C form and their flat canonical-ABI
 * form (the core function's parameters and result): `lower` flattens a C value
 * into flat variables, `lift` builds a C value from flat expressions. The flat
 * types and the joining of variant payloads come from layout.ts.
 */
import type { Case, ValType } from '../../component/types.js';
import { flatten, flattenCases, type FlatType } from '../../runtime/abi/layout.js';
import { assertNever } from '../../util/assert-never.js';
import { snake } from './names.js';
import type { CTypes } from './types.js';

export const CORE_TYPE: Readonly<Record<FlatType, string>> = { i32: 'int32_t', i64: 'int64_t', f32: 'float', f64: 'double' };

/** A case payload's flat value `e` (of type `from`) widened into the joined slot type `to`. */
function widen(from: FlatType, to: FlatType, e: string): string {
  if (from === to) return e;
  if (from === 'f32' && to === 'i32') return `bindgen_f32_to_i32(${e})`;
  if (from === 'i32' && to === 'i64') return `(int64_t)(uint32_t)(${e})`;
  if (from === 'f32' && to === 'i64') return `(int64_t)(uint32_t)bindgen_f32_to_i32(${e})`;
  return `bindgen_f64_to_i64(${e})`;
}

/** The joined slot value `e` (of type `from`) narrowed back to a case's own flat type `to`. */
function narrow(from: FlatType, to: FlatType, e: string): string {
  if (from === to) return e;
  if (from === 'i32' && to === 'f32') return `bindgen_i32_to_f32(${e})`;
  if (from === 'i64' && to === 'i32') return `(int32_t)(${e})`;
  if (from === 'i64' && to === 'f32') return `bindgen_i32_to_f32((int32_t)(${e}))`;
  return `bindgen_i64_to_f64(${e})`;
}

interface VariantView {
  readonly tag: string;
  readonly boolTag: boolean;
  readonly cases: readonly Case[];
  /** The C member holding case `i`'s payload. */
  readonly member: (i: number) => string;
}

export class FlatCode {
  #counter = 0;

  constructor(private readonly types: CTypes) {}

  /** A fresh local name. */
  local(prefix: string): string {
    return `${prefix}${this.#counter++}`;
  }

  /** Declarations of fresh locals for the flat types `flat`, initialised to zero. */
  declare(flat: readonly FlatType[], prefix = 'f'): { names: string[]; lines: string[] } {
    const names = flat.map(() => this.local(prefix));
    return { names, lines: names.map((n, i) => `${CORE_TYPE[flat[i]!]} ${n} = 0;`) };
  }

  #variant(t: ValType, v: string): VariantView {
    switch (t.kind) {
      case 'option':
        return { tag: `${v}.is_some`, boolTag: true, cases: [{ name: 'none', type: null }, { name: 'some', type: t.type }], member: () => `${v}.val` };
      case 'result':
        return { tag: `${v}.is_err`, boolTag: true, cases: [{ name: 'ok', type: t.ok }, { name: 'err', type: t.err }], member: (i) => `${v}.val.${i === 0 ? 'ok' : 'err'}` };
      case 'variant':
        return { tag: `${v}.tag`, boolTag: false, cases: t.cases, member: (i) => `${v}.val.${snake(t.cases[i]!.name)}` };
      case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32':
      case 'f64': case 'char': case 'string': case 'list': case 'record': case 'tuple': case 'enum': case 'flags': case 'own':
      case 'borrow': case 'error-context': case 'future': case 'stream':
        throw new Error(`not a variant: ${t.kind}`);
      default:
        return assertNever(t, 'value type kind');
    }
  }

  /** Statements that store the C value `v` (an lvalue expression) into the flat variables `out`. */
  lower(t: ValType, v: string, out: readonly string[]): string[] {
    switch (t.kind) {
      case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'char': case 'enum': case 'flags':
        return [`${out[0]} = (int32_t)(${v});`];
      case 's64': case 'u64': return [`${out[0]} = (int64_t)(${v});`];
      case 'f32': case 'f64': return [`${out[0]} = ${v};`];
      case 'own': case 'borrow': return [`${out[0]} = (${v}).handle;`];
      case 'string': case 'list':
        return [`${out[0]} = (int32_t)(uintptr_t)(${v}).ptr;`, `${out[1]} = (int32_t)(${v}).len;`];
      case 'record': return this.#lowerFields(t.fields.map((f) => [f.type, `(${v}).${snake(f.name)}`]), out);
      case 'tuple': return this.#lowerFields(t.types.map((x, i) => [x, `(${v}).f${i}`]), out);
      case 'variant': case 'option': case 'result': return this.#lowerVariant(this.#variant(t, `(${v})`), out);
      case 'error-context': case 'future': case 'stream': throw new Error(`${t.kind} has no C form`);
      default: return assertNever(t, 'value type kind');
    }
  }

  #lowerFields(fields: readonly [ValType, string][], out: readonly string[]): string[] {
    const lines: string[] = [];
    let at = 0;
    for (const [type, expr] of fields) {
      const n = flatten(type).length;
      lines.push(...this.lower(type, expr, out.slice(at, at + n)));
      at += n;
    }
    return lines;
  }

  #lowerVariant(view: VariantView, out: readonly string[]): string[] {
    const joined = flattenCases(view.cases);
    const lines = [`${out[0]} = (int32_t)(${view.tag});`];
    const branches: string[][] = view.cases.map((c, i) => {
      if (c.type === null) return [];
      const flat = flatten(c.type);
      const { names, lines: decls } = this.declare(flat);
      return [
        ...decls,
        ...this.lower(c.type, view.member(i), names),
        ...names.map((n, j) => `${out[1 + j]} = ${widen(flat[j]!, joined[j]!, n)};`),
      ];
    });
    return [...lines, ...this.#branch(view, branches)];
  }

  /** `if`/`else` on a bool tag, `switch` on an integer one; empty branches left out. */
  #branch(view: VariantView, branches: readonly string[][]): string[] {
    const body = (b: readonly string[]): string[] => b.map((l) => `  ${l}`);
    if (view.boolTag) {
      const [whenFalse, whenTrue] = [branches[0]!, branches[1]!];
      if (whenTrue.length === 0 && whenFalse.length === 0) return [];
      if (whenFalse.length === 0) return [`if (${view.tag}) {`, ...body(whenTrue), '}'];
      if (whenTrue.length === 0) return [`if (!(${view.tag})) {`, ...body(whenFalse), '}'];
      return [`if (${view.tag}) {`, ...body(whenTrue), '} else {', ...body(whenFalse), '}'];
    }
    const cases = branches.flatMap((b, i) => (b.length === 0 ? [] : [`case ${i}: {`, ...body(b), '  break;', '}']));
    return cases.length === 0 ? [] : [`switch (${view.tag}) {`, ...cases.map((l) => `  ${l}`), '  default: break;', '}'];
  }

  /** Statements that build the C value at the lvalue `v` from the flat expressions `src`. */
  lift(t: ValType, v: string, src: readonly string[]): string[] {
    switch (t.kind) {
      case 'bool': return [`${v} = (${src[0]}) != 0;`];
      case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'char': case 'enum': case 'flags':
        return [`${v} = (${this.types.name(t)})(${src[0]});`];
      case 'f32': case 'f64': return [`${v} = ${src[0]};`];
      case 'own': case 'borrow': return [`(${v}).handle = ${src[0]};`];
      case 'string': case 'list':
        return [
          `(${v}).ptr = (${t.kind === 'list' ? this.types.name(t.element) : 'uint8_t'} *)(uintptr_t)(${src[0]});`,
          `(${v}).len = (size_t)(uint32_t)(${src[1]});`,
        ];
      case 'record': return this.#liftFields(t.fields.map((f) => [f.type, `(${v}).${snake(f.name)}`]), src);
      case 'tuple': return this.#liftFields(t.types.map((x, i) => [x, `(${v}).f${i}`]), src);
      case 'variant': case 'option': case 'result': return this.#liftVariant(this.#variant(t, `(${v})`), src);
      case 'error-context': case 'future': case 'stream': throw new Error(`${t.kind} has no C form`);
      default: return assertNever(t, 'value type kind');
    }
  }

  #liftFields(fields: readonly [ValType, string][], src: readonly string[]): string[] {
    const lines: string[] = [];
    let at = 0;
    for (const [type, expr] of fields) {
      const n = flatten(type).length;
      lines.push(...this.lift(type, expr, src.slice(at, at + n)));
      at += n;
    }
    return lines;
  }

  #liftVariant(view: VariantView, src: readonly string[]): string[] {
    const joined = flattenCases(view.cases);
    const setTag = view.boolTag ? `${view.tag} = (${src[0]}) != 0;` : `${view.tag} = (__typeof__(${view.tag}))(${src[0]});`;
    const branches = view.cases.map((c, i) => {
      if (c.type === null) return [];
      const flat = flatten(c.type);
      return this.lift(c.type, view.member(i), flat.map((ft, j) => narrow(joined[j]!, ft, src[1 + j]!)));
    });
    return [setTag, ...this.#branch(view, branches)];
  }
}
