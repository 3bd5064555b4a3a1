/**
 * The C side of each function: for an export, the prototype the plugin author
 * implements plus the core-wasm export wrapper (and its post-return); for an
 * import, the core-wasm import and a C wrapper around it.
 *
 * Calling convention (as in wit-bindgen's C generator): scalars, enums, flags
 * and handles go by value; every other argument by pointer; a result that is
 * not a scalar comes back through a trailing `ret` out-pointer. An export owns
 * its arguments (free them, or move them into the result); what an export
 * returns is freed by its post-return; what an import returns is the caller's.
 */
import { ErrorCodes, WitplugError } from '../../errors.js';
import type { FuncType, ValType } from '../../component/types.js';
import { flatten, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, type FlatType } from '../../runtime/abi/layout.js';
import { CORE_TYPE, FlatCode } from './abi.js';
import { cString, snake } from './names.js';
import { byValue, type CTypes } from './types.js';

export interface FunctionCode {
  /** Prototype for the header, with its doc comment. */
  readonly prototype: string;
  /** Definitions for the source file. */
  readonly definition: string;
}

interface Param { readonly c: string; readonly type: ValType }

const indent = (lines: readonly string[]): string => lines.map((l) => `  ${l}\n`).join('');

function checkFunc(f: FuncType, witName: string): void {
  if (f.async) throw new WitplugError(ErrorCodes.UNSUPPORTED, `the C bindings generator does not support async functions (${witName})`);
}

export class FunctionWriter {
  readonly #flat: FlatCode;

  constructor(private readonly types: CTypes) {
    this.#flat = new FlatCode(types);
  }

  #params(f: FuncType): Param[] {
    return f.params.map((p) => ({ c: snake(p.name), type: p.type }));
  }

  /** `T name(params)` as the author sees it. */
  #signature(cName: string, params: readonly Param[], result: ValType | null): string {
    const list = params.map((p) => `${this.types.name(p.type)}${byValue(p.type) ? ' ' : ' *'}${p.c}`);
    let ret = 'void';
    if (result !== null && byValue(result)) ret = this.types.name(result);
    else if (result !== null) list.push(`${this.types.name(result)} *ret`);
    return `${ret} ${cName}(${list.length ? list.join(', ') : 'void'})`;
  }

  /** `f` checked, its C parameters, and how its parameters and result cross as flat core values. */
  #flatShape(witName: string, f: FuncType): {
    params: Param[]; flatParams: FlatType[]; spilled: boolean; flatResult: FlatType[]; inMemory: boolean;
  } {
    checkFunc(f, witName);
    const flatParams = f.params.flatMap((p) => flatten(p.type));
    const flatResult: FlatType[] = f.result ? flatten(f.result) : [];
    return {
      params: this.#params(f), flatParams, spilled: flatParams.length > MAX_FLAT_PARAMS,
      flatResult, inMemory: flatResult.length > MAX_FLAT_RESULTS,
    };
  }

  /** An exported function: `cName` is what the author implements, `exportName` the core export. */
  exportFunction(witName: string, exportName: string, cName: string, f: FuncType): FunctionCode {
    const { params, flatParams, spilled, flatResult, inMemory } = this.#flatShape(witName, f);
    const coreParams = spilled ? ['int32_t args_ptr'] : flatParams.map((ft, i) => `${CORE_TYPE[ft]} p${i}`);
    const coreResult = flatResult.length === 0 ? 'void' : inMemory ? 'int32_t' : CORE_TYPE[flatResult[0]!];
    const wrapper = `__wasm_export_${cName}`;
    const lines: string[] = [];
    // Spilled arguments are used where the host wrote them (their layout is the C struct's);
    // the block itself is the glue's to free once the call is over (its contents are the callee's).
    const locals = params.map((p) => (spilled ? `args->${p.c}` : `a_${p.c}`));
    const release = spilled ? [`${this.types.world}_dealloc(args);`] : [];
    if (spilled) {
      lines.push(`${this.#argsStruct(params)} *args = (void *)(uintptr_t)args_ptr;`);
    } else {
      params.forEach((p, i) => lines.push(`${this.types.name(p.type)} ${locals[i]};`));
      let at = 0;
      params.forEach((p, i) => {
        const n = flatten(p.type).length;
        lines.push(...this.#flat.lift(p.type, locals[i]!, flatParams.slice(at, at + n).map((_, j) => `p${at + j}`)));
        at += n;
      });
    }
    const args = params.map((p, i) => (byValue(p.type) ? locals[i]! : `&${locals[i]}`));
    const pre: string[] = [];
    const post: string[] = [];
    if (f.result === null) {
      lines.push(`${cName}(${args.join(', ')});`, ...release, 'bindgen_call_end();');
    } else if (inMemory) {
      const area = `bindgen_ret_${cName}`;
      pre.push(`static ${this.types.name(f.result)} ${area};`);
      lines.push(`${cName}(${[...args, `&${area}`].join(', ')});`, ...release, `return (int32_t)(uintptr_t)&${area};`);
      const free = this.types.freeStatement(f.result, `(${this.types.name(f.result)} *)(uintptr_t)ret`);
      post.push(
        `__attribute__((export_name(${cString(`cabi_post_${exportName}`)})))`,
        `void ${wrapper}_post_return(int32_t ret) {\n${indent([...(free.length ? free : ['(void)ret;']), 'bindgen_call_end();'])}}`,
      );
    } else {
      const t = this.types.name(f.result);
      lines.push(byValue(f.result) ? `${t} r = ${cName}(${args.join(', ')});` : `${t} r;\n  ${cName}(${[...args, '&r'].join(', ')});`);
      lines.push(...release);
      const { names, lines: decls } = this.#flat.declare(flatResult);
      lines.push(...decls, ...this.#flat.lower(f.result, 'r', names), 'bindgen_call_end();', `return ${names[0]};`);
    }
    const definition = [
      ...pre,
      `__attribute__((export_name(${cString(exportName)})))`,
      `${coreResult} ${wrapper}(${coreParams.length ? coreParams.join(', ') : 'void'}) {\n${indent(lines)}}`,
      ...post,
    ].join('\n');
    return { prototype: `/** Implement this: WIT export \`${witName}\`. */\n${this.#signature(cName, params, f.result)};`, definition };
  }

  /** `struct { T0 a; T1 b; }`: the parameters laid out as the canonical ABI spills them (a tuple in memory). */
  #argsStruct(params: readonly Param[]): string {
    return `struct { ${params.map((p) => `${this.types.name(p.type)} ${p.c};`).join(' ')} }`;
  }

  /** An imported function: `module`/`field` name the core import, `cName` the C wrapper. */
  importFunction(witName: string, module: string, field: string, cName: string, f: FuncType): FunctionCode {
    const { params, flatParams, spilled, flatResult, inMemory } = this.#flatShape(witName, f);
    const coreParams = [...(spilled ? ['int32_t'] : flatParams.map((ft) => CORE_TYPE[ft])), ...(inMemory ? ['int32_t'] : [])];
    const coreResult = flatResult.length === 1 ? CORE_TYPE[flatResult[0]!] : 'void';
    const core = `__wasm_import_${cName}`;
    const lines: string[] = [];
    const value = (p: Param): string => (byValue(p.type) ? p.c : `(*${p.c})`);
    const callArgs: string[] = [];
    if (spilled) {
      lines.push(`${this.#argsStruct(params)} args;`, ...params.map((p) => `args.${p.c} = ${value(p)};`));
      callArgs.push('(int32_t)(uintptr_t)&args');
    } else {
      const { names, lines: decls } = this.#flat.declare(flatParams, 'p');
      lines.push(...decls);
      let at = 0;
      for (const p of params) {
        const n = flatten(p.type).length;
        lines.push(...this.#flat.lower(p.type, value(p), names.slice(at, at + n)));
        at += n;
      }
      callArgs.push(...names);
    }
    if (f.result === null) {
      lines.push(`${core}(${callArgs.join(', ')});`);
    } else if (inMemory) {
      lines.push(`${core}(${[...callArgs, '(int32_t)(uintptr_t)ret'].join(', ')});`);
    } else {
      lines.push(`${coreResult} r = ${core}(${callArgs.join(', ')});`);
      if (byValue(f.result)) {
        lines.push(`${this.types.name(f.result)} out;`, ...this.#flat.lift(f.result, 'out', ['r']), 'return out;');
      } else {
        lines.push(...this.#flat.lift(f.result, '(*ret)', ['r']));
      }
    }
    const definition = [
      `__attribute__((import_module(${cString(module)}), import_name(${cString(field)})))`,
      `extern ${coreResult} ${core}(${coreParams.length ? coreParams.join(', ') : 'void'});`,
      `${this.#signature(cName, params, f.result)} {\n${indent(lines)}}`,
    ].join('\n');
    return { prototype: `/** WIT import \`${witName}\`. */\n${this.#signature(cName, params, f.result)};`, definition };
  }
}
