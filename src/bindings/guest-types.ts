/**
 * `witplug types --guest`: the `.d.ts` a JavaScript plugin author codes
 * against with componentize-js. The values are componentize-js's (jco's guest
 * convention), not witplug's host convention; where the two differ the
 * output says so, once in its header and at each function it affects.
 *
 * Shape of the output (a script file of ambient module declarations):
 * - one `declare module 'ns:pkg/iface@ver'` per imported interface, as the
 *   plugin imports it (`import { log } from 'witplug:host/log@0.1.0'`);
 * - one `declare module 'name'` per world-level imported function (a default
 *   export: componentize-js maps `$root` imports to `import name from 'name'`);
 * - `declare module 'witplug:guest/<world>'`, type-only: every named WIT type,
 *   one `…Export` interface per exported interface (the object the entry module
 *   exports under the interface's name) and `Exports`, the whole module shape.
 *
 * As in `witplug types`, WIT names reach the output only as checked
 * identifiers or JSON-quoted strings.
 */
import type { Contract } from '../contract/load.js';
import type {
  FuncType, InterfaceType, NamedType, RecordType, ResourceType, ValType, VariantType, EnumType, FlagsType, WorldItem,
} from '../component/types.js';
import { lowerCamel, shortInterfaceName } from '../component/names.js';
import { assertNever } from '../util/assert-never.js';
import { takeTypeName, tsIdentifier, typeStructureKey } from './typescript.js';

const quote = (s: string): string => JSON.stringify(s);

/** The type-only module holding the world's types and the shape the entry module exports. */
export function guestWorldModule(world: string): string {
  return `witplug:guest/${world}`;
}

/** componentize-js (as jco) gives numeric lists as typed arrays. */
const TYPED_ARRAYS: Readonly<Record<string, string>> = {
  u8: 'Uint8Array', s8: 'Int8Array', u16: 'Uint16Array', s16: 'Int16Array', u32: 'Uint32Array', s32: 'Int32Array',
  u64: 'BigUint64Array', s64: 'BigInt64Array', f32: 'Float32Array', f64: 'Float64Array',
};

/** Names the world module declares itself; a WIT type meeting one gets a `_n` suffix. */
const RESERVED = ['Exports', 'Uint8Array', 'Array', 'Promise', 'Record', 'Object', 'String', 'Number', 'Boolean', 'BigInt', 'Error'];

const HEADER = `/*
 * Values are componentize-js's (jco's guest convention). Where witplug's host side
 * (\`witplug types\`, plugin.fn, host functions) sees the same value differently:
 *   option<T>            guest: T | undefined (a record field: an optional property);
 *                        host: T | null. option<option<T>>: guest { tag: 'none' } | { tag: 'some', val },
 *                        host { tag: 'some', val } | null.
 *   result<T, E>         as a function's result, guest: return the ok value, throw for err
 *                        (the err value is the thrown value's \`payload\`, jco's ComponentError; an Error
 *                        without one traps); an imported function throws that way. Elsewhere
 *                        { tag: 'ok' | 'err', val }, as on the host.
 *   flags                guest: an object of optional booleans; host: every flag present.
 *   list<number type>    guest: a typed array (Uint16Array, Float64Array, BigInt64Array…);
 *                        host: list<u8> is a Uint8Array, other lists are arrays.
 *   resources            guest: classes (exported ones are classes the plugin exports inside
 *                        its interface object); host: PluginResource handles and host objects.
 *   s64, u64             bigint on both sides; char is a one-character string on both.
 * Exported functions may be async: componentize-js runs the returned promise to completion.
 */`;

type Declared = RecordType | VariantType | EnumType | FlagsType;

/** The TS type of each WIT value type in componentize-js's convention, declaring named types once. */
class GuestTypeNamer {
  readonly #byKey = new Map<string, string>();
  readonly #taken = new Set<string>(RESERVED);
  readonly declarations: string[] = [];
  /** Exported resources: their instance type's name in the world module. */
  readonly #exported = new Map<ResourceType, string>();

  constructor(reserved: Iterable<string>) {
    for (const r of reserved) this.#taken.add(r);
  }

  take(witName: string): string {
    return takeTypeName(this.#taken, witName);
  }

  exportResource(r: ResourceType): string {
    const known = this.#exported.get(r);
    if (known !== undefined) return known;
    const alias = `$w.${this.take(r.name)}`;
    this.#exported.set(r, alias);
    return alias;
  }

  isExported(r: ResourceType): boolean {
    return this.#exported.has(r);
  }

  type(t: ValType): string {
    switch (t.kind) {
      case 'bool': return 'boolean';
      case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'f32': case 'f64': return 'number';
      case 's64': case 'u64': return 'bigint';
      case 'char': case 'string': return 'string';
      case 'error-context': case 'future': case 'stream': return 'unknown';
      case 'list': return TYPED_ARRAYS[t.element.kind] ?? `Array<${this.type(t.element)}>`;
      case 'tuple': return `[${t.types.map((x) => this.type(x)).join(', ')}]`;
      case 'option':
        return t.type.kind === 'option'
          ? `{ tag: 'none' } | { tag: 'some'; val: ${this.type(t.type)} }`
          : `${this.type(t.type)} | undefined`;
      case 'result':
        return `${resultCase('ok', t.ok ? this.type(t.ok) : null)} | ${resultCase('err', t.err ? this.type(t.err) : null)}`;
      case 'own': case 'borrow': return this.resource(t.resource);
      case 'record': case 'variant': case 'enum': case 'flags':
        return t.name === undefined ? this.#body(t) : this.#named(t.name, t);
      default:
        return assertNever(t, 'value type kind');
    }
  }

  /** An exported resource's instance interface, or an imported resource's class in its interface module. */
  resource(r: ResourceType): string {
    const exported = this.#exported.get(r);
    if (exported !== undefined) return exported;
    if (r.interfaceName === '') return 'object'; // a world-level imported resource: componentize-js names no module for it
    return `import(${quote(r.interfaceName)}).${tsIdentifier(r.name, 'upper')}`;
  }

  #named(witName: string, t: Declared): string {
    const key = `${witName}\0${typeStructureKey(t)}`;
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    const alias = this.take(witName);
    this.#byKey.set(key, `$w.${alias}`);
    this.declarations.push(`  /** WIT \`${t.kind} ${witName.replace(/[^a-z0-9-]/gi, '')}\` */\n  export type ${alias} = ${this.#body(t)};`);
    return `$w.${alias}`;
  }

  #body(t: Declared): string {
    switch (t.kind) {
      case 'record':
        // An option field is an optional property (jco's guest types).
        return `{ ${t.fields.map((f) => `${quote(lowerCamel(f.name))}${f.type.kind === 'option' ? '?' : ''}: ${this.type(f.type)};`).join(' ')} }`;
      case 'flags':
        return `{ ${t.names.map((n) => `${quote(lowerCamel(n))}?: boolean;`).join(' ')} }`;
      case 'enum':
        return t.names.length === 0 ? 'never' : t.names.map(quote).join(' | ');
      case 'variant':
        return t.cases.length === 0
          ? 'never'
          : t.cases.map((c) => `{ tag: ${quote(c.name)}${c.type ? `; val: ${this.type(c.type)}` : ''} }`).join(' | ');
      default:
        return assertNever(t, 'named type kind');
    }
  }
}

function resultCase(tag: 'ok' | 'err', val: string | null): string {
  return `{ tag: '${tag}'; val${val === null ? '?: undefined' : `: ${val}`} }`;
}

/** A parameter name TS accepts (reserved words get a `_` suffix, as in `witplug types`). */
function parameterName(witName: string): string {
  const id = tsIdentifier(witName, 'lower');
  return /^(break|case|catch|class|const|continue|debugger|default|delete|do|else|enum|export|extends|false|finally|for|function|if|import|in|instanceof|new|null|return|super|switch|this|throw|true|try|typeof|var|void|while|with|implements|interface|let|package|private|protected|public|static|yield|arguments|eval|await)$/.test(id) ? `${id}_` : id;
}

interface Signature {
  readonly params: string;
  /** The JS result: a function-level result<T, E> is its ok type (err is thrown). */
  readonly result: string;
  /** Set when the function returns result<…>: the note on how the host sees it. */
  readonly note: string | null;
}

/** Parameters on one line, or one per line (at `indent`) when that line would be long. */
function signature(namer: GuestTypeNamer, f: FuncType, skipSelf: boolean, indent = '    '): Signature {
  const list = (skipSelf ? f.params.slice(1) : f.params).map((p) => `${parameterName(p.name)}: ${namer.type(p.type)}`);
  const flat = list.join(', ');
  const params = flat.length <= 90 ? flat : `\n${list.map((p) => `${indent}  ${p},`).join('\n')}\n${indent}`;
  const r = f.result;
  if (r === null) return { params, result: 'void', note: null };
  if (r.kind !== 'result') return { params, result: namer.type(r), note: null };
  const err = r.err ? namer.type(r.err) : 'undefined';
  return {
    params,
    result: r.ok ? namer.type(r.ok) : 'void',
    note: `result<…>: the ok value is returned; err is thrown (its \`payload\`: ${err}). witplug's host sees { tag: 'ok' | 'err', val }.`,
  };
}

const doc = (note: string | null, indent: string): string => (note === null ? '' : `${indent}/** ${note} */\n`);

/** Resource functions grouped by resource: `[constructor]r`, `[method]r.m`, `[static]r.m`. */
function resourceFuncs(iface: InterfaceType, resource: string): { ctor?: FuncType; methods: [string, FuncType][]; statics: [string, FuncType][] } {
  const out: { ctor?: FuncType; methods: [string, FuncType][]; statics: [string, FuncType][] } = { methods: [], statics: [] };
  for (const [name, f] of iface.funcs) {
    if (name === `[constructor]${resource}`) out.ctor = f;
    else if (name.startsWith(`[method]${resource}.`)) out.methods.push([name.slice(`[method]${resource}.`.length), f]);
    else if (name.startsWith(`[static]${resource}.`)) out.statics.push([name.slice(`[static]${resource}.`.length), f]);
  }
  return out;
}

const resourcesOf = (iface: InterfaceType): ResourceType[] =>
  [...iface.types.values()].filter((t: NamedType): t is ResourceType => t.kind === 'resource' && t.interfaceName === iface.name);

/** An imported interface as the plugin imports it. */
function importModule(namer: GuestTypeNamer, item: WorldItem & { kind: 'interface' }, worldModule: string): string {
  const { iface } = item;
  const lines: string[] = [];
  for (const [name, t] of iface.types) {
    if (t.kind === 'resource') continue;
    lines.push(`  export type ${tsIdentifier(name, 'upper')} = ${namer.type(t)};`);
  }
  for (const r of resourcesOf(iface)) {
    const fns = resourceFuncs(iface, r.name);
    const members: string[] = [];
    if (fns.ctor) members.push(`    constructor(${signature(namer, fns.ctor, false).params});`);
    for (const [m, f] of fns.methods) {
      const s = signature(namer, f, true);
      members.push(`${doc(s.note, '    ')}    ${quote(lowerCamel(m))}(${s.params}): ${s.result};`);
    }
    for (const [m, f] of fns.statics) {
      const s = signature(namer, f, false);
      members.push(`${doc(s.note, '    ')}    static ${quote(lowerCamel(m))}(${s.params}): ${s.result};`);
    }
    lines.push(`  export class ${tsIdentifier(r.name, 'upper')} {\n${members.join('\n')}\n  }`);
  }
  for (const [name, f] of iface.funcs) {
    if (name.startsWith('[')) continue;
    const s = signature(namer, f, false, '  ');
    lines.push(`${doc(s.note, '  ')}  export function ${tsIdentifier(name, 'lower')}(${s.params}): ${s.result};`);
  }
  if (lines.length === 0) return '';
  return `/** import ${item.name} */\ndeclare module ${quote(item.name)} {\n  import type * as $w from ${quote(worldModule)};\n${lines.join('\n')}\n}`;
}

/** A function as the entry module implements it: sync or async. */
function exportedFunction(namer: GuestTypeNamer, f: FuncType, indent: string, key: string, options: { skipSelf?: boolean; async?: boolean } = {}): string {
  const s = signature(namer, f, options.skipSelf ?? false, indent);
  const result = options.async === false ? s.result : `${s.result} | Promise<${s.result}>`;
  return `${doc(s.note, indent)}${indent}readonly ${key}: (${s.params}) => ${result};`;
}

export function generateGuestTypes(contract: Contract): string {
  const { imports, exports } = contract.shape;
  const worldModule = guestWorldModule(contract.world);
  const exportedInterfaces = exports.filter((i): i is WorldItem & { kind: 'interface' } => i.kind === 'interface');
  const shortNames = exportedInterfaces.map((i) => shortInterfaceName(i.name));
  const unique = (short: string): boolean => shortNames.indexOf(short) === shortNames.lastIndexOf(short);
  const exportInterfaceName = (item: WorldItem): string => `${tsIdentifier(unique(shortInterfaceName(item.name)) ? shortInterfaceName(item.name) : item.name.replace(/[^a-z0-9]+/gi, '-'), 'upper')}Export`;
  const namer = new GuestTypeNamer(exportedInterfaces.map(exportInterfaceName));
  for (const item of exportedInterfaces) for (const r of resourcesOf(item.iface)) namer.exportResource(r);

  const worldLines: string[] = [];
  const moduleShape: string[] = [];
  for (const item of exports) {
    if (item.kind === 'interface') {
      const members: string[] = [];
      for (const r of resourcesOf(item.iface)) {
        const fns = resourceFuncs(item.iface, r.name);
        const instance = namer.exportResource(r);
        const methods = fns.methods.map(([m, f]) => exportedFunction(namer, f, '    ', quote(lowerCamel(m)), { skipSelf: true, async: false }));
        worldLines.push(`  /** Instances of the exported resource \`${r.name.replace(/[^a-z0-9-]/gi, '')}\` (the class the plugin exports as ${quote(tsIdentifier(r.name, 'upper'))}). */\n  export interface ${instance.slice('$w.'.length)} {\n${methods.join('\n')}\n  }`);
        const ctor = fns.ctor ? [`    new (${signature(namer, fns.ctor, false).params}): ${instance};`] : [];
        const statics = fns.statics.map(([m, f]) => exportedFunction(namer, f, '    ', quote(lowerCamel(m)), { async: false }));
        members.push(`    readonly ${quote(tsIdentifier(r.name, 'upper'))}: {\n${[...ctor, ...statics].map((l) => `  ${l}`).join('\n')}\n    };`);
      }
      for (const [name, f] of item.iface.funcs) {
        if (!name.startsWith('[')) members.push(exportedFunction(namer, f, '    ', quote(lowerCamel(name))));
      }
      const shortName = shortInterfaceName(item.name);
      const key = unique(shortName) ? lowerCamel(shortName) : item.name;
      const where = unique(shortName)
        ? `\`export const ${key} = { … }\` in the entry module`
        : `another exported interface is also named ${shortName}: keyed here by its full name; export it under the name componentize-js gives it`;
      worldLines.push(`  /** export ${item.name}: ${where} */\n  export interface ${exportInterfaceName(item)} {\n${members.join('\n')}\n  }`);
      moduleShape.push(`    readonly ${quote(key)}: ${exportInterfaceName(item)};`);
    } else if (item.kind === 'func') {
      moduleShape.push(exportedFunction(namer, item.func, '    ', quote(lowerCamel(item.name))));
    } else if (item.kind === 'type' && item.type.kind !== 'resource') {
      namer.type(item.type);
    }
  }

  const importModules: string[] = [];
  for (const item of imports) {
    if (item.kind === 'interface') {
      const m = importModule(namer, item, worldModule);
      if (m !== '') importModules.push(m);
    } else if (item.kind === 'func') {
      const s = signature(namer, item.func, false, '  ');
      const id = tsIdentifier(item.name, 'lower');
      importModules.push(`/** import ${item.name} (world level): \`import ${id} from ${quote(item.name)}\` */\ndeclare module ${quote(item.name)} {\n  import type * as $w from ${quote(worldModule)};\n${doc(s.note, '  ')}  const ${id}: (${s.params}) => ${s.result};\n  export default ${id};\n}`);
    } else if (item.kind === 'type' && item.type.kind !== 'resource') {
      namer.type(item.type);
    }
  }

  return [
    `// Generated by \`witplug types --guest\` for world ${quote(contract.world)}: the types a componentize-js plugin codes against. Do not edit: regenerate.`,
    HEADER,
    '',
    `/** The world's types and what the plugin's entry module exports (type-only: nothing imports it at run time). */`,
    `declare module ${quote(worldModule)} {`,
    `  import type * as $w from ${quote(worldModule)};`,
    ...namer.declarations,
    ...worldLines,
    '  /** Everything the entry module exports: one object per exported interface, world-level functions by name. */',
    `  export interface Exports {${moduleShape.length === 0 ? '' : `\n${moduleShape.join('\n')}\n  `}}`,
    '}',
    '',
    ...importModules.flatMap((m) => [m, '']),
  ].join('\n');
}
