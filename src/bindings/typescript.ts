/**
 * `witplug types`: a TypeScript module for a contract world, in witplug's own
 * value convention (README "Values"), generated from the one type model.
 *
 * What comes out of a WIT file never reaches the output as raw text: type
 * names become checked identifiers (`tsIdentifier`), every other name is a
 * JSON-quoted key or string literal.
 */
import { WitplugError, ErrorCodes } from '../errors.js';
import type { Contract } from '../contract/load.js';
import type {
  EnumType, FlagsType, FuncType, InterfaceType, NamedType, RecordType, ResourceType, ValType, VariantType, WorldItem,
} from '../component/types.js';
import { lowerCamel, shortInterfaceName, upperCamel } from '../component/names.js';
import { assertNever } from '../util/assert-never.js';

export interface BindingsOptions {
  /** Module the bindings import witplug from (default `witplug`). */
  readonly importFrom?: string;
}

/** Interfaces witplug serves itself: their host implementations are optional. */
const SERVED_BY_WITPLUG = /^(witplug:host\/|wasi:)/;
/**
 * Names the generated module declares, and global types it uses; a WIT type
 * with one of them gets a `_n` suffix. witplug's own names are reached
 * through the `witplug` namespace, so they cannot clash with a WIT name.
 */
const RESERVED = new Set([
  'Exports', 'Imports', 'HostResource', 'Target', 'TargetFunctions', 'HookMap', 'Hooks', 'Operations',
  // Kept so names generated before witplug's imports moved into a namespace stay as they were.
  'TypedPlugin', 'PluginResource', 'Plugin', 'PluginOptions', 'Contract', 'HookSpec', 'OperationSpec', 'PluginHost', 'PluginHostOptions',
  'Uint8Array', 'Array', 'Record', 'Readonly', 'ReadonlyArray', 'Promise', 'Omit', 'Object', 'String', 'Number', 'Boolean', 'BigInt', 'Symbol', 'Error',
]);

/** The namespace the generated module imports witplug as (no declaration of it is lower-case and unprefixed). */
const WITPLUG = 'witplug';

/**
 * Words that cannot name a parameter in a strict-mode module: JavaScript's
 * reserved words, strict mode's, `arguments`/`eval`/`await`, and `this`
 * (which TypeScript reads as a this-parameter, dropping an argument). A WIT
 * parameter with one of these names gets a `_` suffix; parameters are
 * positional, so only the name shown in editors changes. A WIT name cannot
 * contain `_`, so the suffixed name cannot meet another parameter's.
 */
const RESERVED_PARAMETER_NAMES: ReadonlySet<string> = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with',
  'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static', 'yield',
  'arguments', 'eval', 'await',
]);

const quote = (s: string): string => JSON.stringify(s);

/** Generated lines stay readable (and within the repository's line length): long members go one per line. */
const WRAP_AT = 100;

/** `{ a; b; }`, or one member per line when that is long. */
function objectType(members: readonly string[]): string {
  const flat = `{ ${members.join(' ')} }`;
  return flat.length <= WRAP_AT ? flat : `{\n${members.map((m) => `  ${m}`).join('\n')}\n}`;
}

/** `A | B`, or one alternative per line when that is long. */
function unionType(alternatives: readonly string[]): string {
  const flat = alternatives.join(' | ');
  return flat.length <= WRAP_AT ? flat : alternatives.map((a) => `\n  | ${a}`).join('');
}

/** `export type Name = Body;`, the body on the next lines when it is wrapped. */
function typeDeclaration(name: string, body: string): string {
  return `export type ${name} =${body.startsWith('\n') ? '' : ' '}${body};`;
}

/** A WIT parameter name as a TS parameter name. */
function parameterName(witName: string): string {
  const id = tsIdentifier(witName, 'lower');
  return RESERVED_PARAMETER_NAMES.has(id) ? `${id}_` : id;
}

/** A WIT identifier as a TS identifier; anything else is refused (it would be text spliced into code). */
export function tsIdentifier(witName: string, style: 'upper' | 'lower'): string {
  const id = style === 'upper' ? upperCamel(witName) : lowerCamel(witName);
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(id)) {
    throw new WitplugError(ErrorCodes.CONTRACT, `${quote(witName)} is not a WIT identifier; no TypeScript name can be made from it`);
  }
  return id;
}

/** A named type's structure as text (resources by interface and name): equal texts declare one TS type. */
export function typeStructureKey(t: ValType): string {
  return JSON.stringify(t, (k, v: unknown) => {
    if (k !== 'resource' || !v || typeof v !== 'object') return v;
    const r = v as ResourceType;
    return `${r.interfaceName}#${r.name}`;
  });
}

/** `witName` as an upper-camel TS name not yet in `taken` (`Name`, else `Name_2`, `Name_3`…), recorded there. */
export function takeTypeName(taken: Set<string>, witName: string): string {
  let alias = tsIdentifier(witName, 'upper');
  if (taken.has(alias)) {
    let n = 2;
    while (taken.has(`${alias}_${n}`)) n++;
    alias = `${alias}_${n}`;
  }
  taken.add(alias);
  return alias;
}

interface Declared { readonly key: string; readonly alias: string }
/** The kinds that get a type declaration of their own when named. */
type DeclaredType = RecordType | VariantType | EnumType | FlagsType;

class TypeNamer {
  /** Named types by structural key → their alias, so a type `use`d by several interfaces is declared once. */
  readonly #byKey = new Map<string, Declared>();
  readonly #taken = new Set<string>(RESERVED);
  readonly declarations: string[] = [];
  readonly #exportedResources: ReadonlySet<ResourceType>;

  constructor(exportedResources: ReadonlySet<ResourceType>, reserved: readonly string[]) {
    this.#exportedResources = exportedResources;
    for (const r of reserved) this.#taken.add(r);
  }

  /** The TS type of a WIT value type, declaring named types on first use. */
  type(t: ValType): string {
    switch (t.kind) {
      case 'bool': return 'boolean';
      case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 'f32': case 'f64': return 'number';
      case 's64': case 'u64': return 'bigint';
      case 'char': case 'string': return 'string';
      case 'error-context': case 'future': case 'stream': return 'unknown';
      case 'list':
        return t.element.kind === 'u8' ? 'Uint8Array' : `Array<${this.type(t.element)}>`;
      case 'tuple': return `[${t.types.map((x) => this.type(x)).join(', ')}]`;
      case 'option':
        return t.type.kind === 'option' ? `{ tag: 'some'; val: ${this.type(t.type)} } | null` : `${this.type(t.type)} | null`;
      case 'result':
        return `{ tag: 'ok'${t.ok ? `; val: ${this.type(t.ok)}` : ''} } | { tag: 'err'${t.err ? `; val: ${this.type(t.err)}` : ''} }`;
      case 'own': case 'borrow':
        if (!this.#exportedResources.has(t.resource)) return 'HostResource';
        return `${WITPLUG}.PluginResource`;
      case 'record': case 'variant': case 'enum': case 'flags':
        return t.name === undefined ? this.#body(t) : this.#named(t.name, t);
      default:
        return assertNever(t, 'value type kind');
    }
  }

  #named(witName: string, t: DeclaredType): string {
    const key = `${witName}\0${typeStructureKey(t)}`;
    const known = this.#byKey.get(key);
    if (known) return known.alias;
    const alias = takeTypeName(this.#taken, witName);
    this.#byKey.set(key, { key, alias });
    this.declarations.push(`/** WIT \`${t.kind} ${witName.replace(/[^a-z0-9-]/gi, '')}\` */\n${typeDeclaration(alias, this.#body(t))}`);
    return alias;
  }

  #body(t: DeclaredType): string {
    switch (t.kind) {
      case 'record':
        return objectType(t.fields.map((f) => `${quote(lowerCamel(f.name))}: ${this.type(f.type)};`));
      case 'flags':
        return objectType(t.names.map((n) => `${quote(lowerCamel(n))}: boolean;`));
      case 'enum':
        return t.names.length === 0 ? 'never' : unionType(t.names.map(quote));
      case 'variant':
        return t.cases.length === 0
          ? 'never'
          : unionType(t.cases.map((c) => `{ tag: ${quote(c.name)}${c.type ? `; val: ${this.type(c.type)}` : ''} }`));
      default:
        return assertNever(t, 'named type kind');
    }
  }

  /** Structure without names of nested named types' aliases (stable across interfaces). */
}

/** A function type; `indent` is where the member holding it starts, for parameters wrapped one per line. */
function signature(namer: TypeNamer, f: FuncType, self: string | null, indent: string, mayAwait = false): string {
  const params = f.params.map((p) => `${parameterName(p.name)}: ${namer.type(p.type)}`);
  if (self !== null) params.unshift(`self: ${self}`);
  const value = f.result ? namer.type(f.result) : 'void';
  const result = mayAwait ? `${value} | Promise<${value}>` : value;
  const flat = `(${params.join(', ')}) => ${result}`;
  if (flat.length <= WRAP_AT) return flat;
  return `(\n${params.map((p) => `${indent}  ${p},`).join('\n')}\n${indent}) => ${result}`;
}

/**
 * Resources defined by the world's exports: values of these types are
 * `PluginResource` handles. A resource an exported interface only `use`s from
 * an imported one stays the host's (identity is its defining interface).
 */
function exportedResources(items: readonly WorldItem[]): Set<ResourceType> {
  const exportedInterfaces = new Set(items.filter((i) => i.kind === 'interface').map((i) => i.name));
  const out = new Set<ResourceType>();
  const visit = (t: NamedType): void => {
    if (t.kind === 'resource' && (exportedInterfaces.has(t.interfaceName) || t.interfaceName === '')) out.add(t);
  };
  for (const item of items) {
    if (item.kind === 'interface') for (const t of item.iface.types.values()) visit(t);
    else if (item.kind === 'type') visit(item.type);
  }
  return out;
}

/**
 * The JS key a host implements an import under: the resource's self type for
 * methods. A host function may be asynchronous (an `async function`, or one
 * marked with `asyncHost`): its result may be a Promise.
 */
function hostMember(namer: TypeNamer, name: string, f: FuncType): string {
  const isMethod = name.startsWith('[method]');
  // A method's first parameter is the borrowed `self`: the host object itself.
  return `${quote(name)}: ${signature(namer, isMethod ? { ...f, params: f.params.slice(1) } : f, isMethod ? 'HostResource' : null, '    ', true)};`;
}

/** Plain functions by lowerCamel name; resource functions by their canonical name (`[method]counter.incr`). */
function exportKey(func: string): string {
  return quote(func.startsWith('[') ? func : lowerCamel(func));
}

function exportMembers(namer: TypeNamer, iface: InterfaceType): string[] {
  return [...iface.funcs].map(([name, f]) => `readonly ${exportKey(name)}: ${signature(namer, f, null, '    ')};`);
}

/** `pkg:ns/filter@1.0.0#check` — the target `plugin.fn` resolves. */
function target(item: WorldItem, func: string | null): string {
  return func === null ? item.name : `${item.name}#${func}`;
}

export function generateBindings(contract: Contract, options: BindingsOptions = {}): string {
  const { imports, exports } = contract.shape;
  const worldId = tsIdentifier(contract.world, 'upper');
  const namer = new TypeNamer(exportedResources(exports), [`${worldId}Options`, `${worldId}HostOptions`]);

  const exportLines: string[] = [];
  const table: string[] = [];
  /**
   * Every target `plugin.fn` / a PluginHost hook accepts (full names, and
   * `iface#func` where the short name is unambiguous), with its function's type.
   */
  const targets: { name: string; fn: string }[] = [];
  // `plugin.exports.filter`, unless two exported interfaces share the short name: then the full name.
  const shortNames = exports.filter((i) => i.kind === 'interface').map((i) => shortInterfaceName(i.name));
  const exportKeyOf = (name: string): string => {
    const short = shortInterfaceName(name);
    return quote(shortNames.indexOf(short) === shortNames.lastIndexOf(short) ? lowerCamel(short) : name);
  };
  for (const item of exports) {
    if (item.kind === 'interface') {
      const key = exportKeyOf(item.name);
      exportLines.push(`  readonly ${key}: {\n${exportMembers(namer, item.iface).map((m) => `    ${m}`).join('\n')}\n  };`);
      const fns = [...item.iface.funcs.keys()];
      const short = shortInterfaceName(item.name);
      const unambiguous = shortNames.indexOf(short) === shortNames.lastIndexOf(short);
      for (const n of fns) {
        const fn = `Exports[${key}][${exportKey(n)}]`;
        targets.push({ name: target(item, n), fn }, ...(unambiguous ? [{ name: `${short}#${n}`, fn }] : []));
      }
      const entries = fns.map((n) => `${exportKey(n)}: ${quote(target(item, n))},`);
      table.push(`  ${key}: ${objectType(entries).replace(/\n/g, '\n  ')},`);
    } else if (item.kind === 'func') {
      exportLines.push(`  readonly ${quote(lowerCamel(item.name))}: ${signature(namer, item.func, null, '  ')};`);
      targets.push({ name: target(item, null), fn: `Exports[${quote(lowerCamel(item.name))}]` });
      table.push(`  ${quote(lowerCamel(item.name))}: ${quote(target(item, null))},`);
    } else if (item.kind === 'type') {
      namer.type(item.type.kind === 'resource' ? { kind: 'own', resource: item.type } : item.type);
    }
  }

  const importLines: string[] = [];
  let hostRequired = false;
  for (const item of imports) {
    if (item.kind === 'interface') {
      for (const t of item.iface.types.values()) if (t.kind !== 'resource') namer.type(t);
      if (item.iface.funcs.size === 0) continue; // types only: nothing for the host to implement
      const optional = SERVED_BY_WITPLUG.test(item.name);
      if (!optional) hostRequired = true;
      const members = [...item.iface.funcs].map(([n, f]) => `    readonly ${hostMember(namer, n, f)}`);
      importLines.push(`  readonly ${quote(item.name)}${optional ? '?' : ''}: {\n${members.join('\n')}\n  };`);
    } else if (item.kind === 'func') {
      hostRequired = true;
      importLines.push(`  readonly ${quote(item.name)}: ${signature(namer, item.func, null, '  ', true)};`);
    } else if (item.kind === 'type' && item.type.kind !== 'resource') {
      namer.type(item.type);
    }
  }

  const from = quote(options.importFrom ?? 'witplug');
  const w = WITPLUG;
  const hostOption = `readonly host${hostRequired ? '' : '?'}: Imports`;
  const targetFunctions = targets.map((t) => `readonly ${quote(t.name)}: ${t.fn};`);
  return [
    `// Generated by \`witplug types\` for world ${quote(contract.world)}. Do not edit: regenerate.`,
    `import * as ${w} from ${from};`,
    '',
    '/** A resource the host provides: any object of the host\'s own. */',
    'export type HostResource = object;',
    '',
    ...namer.declarations.flatMap((d) => [d, '']),
    '/** The hooks a plugin of this world exports, as `plugin.exports` offers them. */',
    `export interface Exports {\n${exportLines.join('\n')}\n}`,
    '',
    '/** What the host implements for the plugin (`host` option); witplug serves `witplug:host` and granted `wasi:*` itself. */',
    `export interface Imports {\n${importLines.join('\n')}\n}`,
    '',
    `const EXPORTS = {\n${table.join('\n')}\n} as const;`,
    '',
    '/** Every export a call or a PluginHost hook can target (`plugin.fn(target)`, `HookSpec.target`). */',
    typeDeclaration('Target', targets.length === 0 ? 'never' : unionType(targets.map((t) => quote(t.name)))),
    '',
    '/** The plugin function behind each target. */',
    `export interface TargetFunctions {${targetFunctions.length === 0 ? '' : `\n${targetFunctions.map((m) => `  ${m}`).join('\n')}\n`}}`,
    '',
    '/** A PluginHost hook table checked against this world: `hooks: { … } satisfies Hooks`. */',
    `export type Hooks = Readonly<Record<string, ${w}.HookSpec & { readonly target: Target }>>;`,
    '/** PluginHost operations checked against this world. */',
    `export type Operations = Readonly<Record<string, ${w}.OperationSpec & { readonly target: Target }>>;`,
    '/** Each hook\'s dispatcher (`host.hook(name)`): its target\'s parameters, and the result its dispatch kind gives. */',
    'export type HookMap<H extends Hooks> = {',
    `  readonly [K in keyof H & string]: ${w}.HookDispatcher<H[K], TargetFunctions[H[K]['target']]>;`,
    '};',
    '',
    `export type ${worldId}Options = Omit<${w}.PluginOptions, 'host' | 'isolate'> & { readonly contract: ${w}.Contract; ${hostOption} };`,
    '',
    `/** Loads a plugin of world ${quote(contract.world)} (admitted against \`options.contract\`) with typed \`exports\`. */`,
    `export async function load${worldId}(source: string | Uint8Array, options: ${worldId}Options): Promise<${w}.TypedPlugin<Exports>> {`,
    `  const plugin = await ${w}.loadPlugin(source, { ...options, host: options.host as unknown as ${w}.PluginOptions['host'] });`,
    `  return ${w}.bindExports<Exports>(plugin, EXPORTS);`,
    '}',
    '',
    `export type ${worldId}HostOptions<H extends Hooks = Hooks> = Omit<${w}.PluginHostOptions, 'host' | 'hooks' | 'operations'>`,
    `  & { ${hostOption}; readonly hooks?: H; readonly operations?: Operations };`,
    '',
    '/**',
    ` * A PluginHost for plugins of world ${quote(contract.world)}: host implementations and hook targets`,
    ' * checked by tsc, and `host.hook(name)` typed from the hook\'s target and dispatch kind.',
    ' */',
    `export function create${worldId}Host<const H extends Hooks = Record<never, never>>(`,
    `  options: ${worldId}HostOptions<H>,`,
    `): ${w}.PluginHost<HookMap<H>> {`,
    `  return new ${w}.PluginHost<HookMap<H>>({ ...options, host: options.host as unknown as ${w}.PluginHostOptions['host'] });`,
    '}',
    '',
  ].join('\n');
}
