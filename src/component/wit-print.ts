/**
 * Print the structural type model as WIT text, for `inspect` and for
 * admission messages ("expected X, found Y").
 *
 * Named records/variants/enums/flags print by name in reference position and
 * with their body in definition position; anonymous ones (possible in
 * hand-written binaries) print their body inline. Qualified interface names
 * are printed as-is inside worlds (readable, though not strictly valid WIT).
 */
import type { ComponentShape, EnumType, FlagsType, FuncType, InterfaceType, NamedType, RecordType, ValType, VariantType, WorldItem } from './types.js';
import { assertNever } from '../util/assert-never.js';

const KEYWORDS = new Set([
  'as', 'async', 'bool', 'borrow', 'char', 'constructor', 'enum', 'error-context', 'export', 'f32', 'f64', 'flags',
  'from', 'func', 'future', 'import', 'include', 'interface', 'list', 'option', 'own', 'package', 'record', 'resource',
  'result', 's8', 's16', 's32', 's64', 'static', 'stream', 'string', 'tuple', 'type', 'u8', 'u16', 'u32', 'u64', 'use',
  'variant', 'with', 'world',
]);

/** A WIT identifier, `%`-escaped when it is a keyword. */
export function witId(name: string): string {
  return KEYWORDS.has(name) ? `%${name}` : name;
}

/**
 * Text being printed, with room for at most `left` more characters: shared
 * anonymous types (`tuple<t1, t1>` where `t1 = tuple<t0, t0>`, …) print
 * exponentially long, so messages print within a bound and end in `…`.
 */
interface Out {
  readonly parts: string[];
  left: number;
  /** Something was left out. */
  cut: boolean;
}

function put(out: Out, s: string): void {
  if (out.left <= 0) {
    out.cut = true;
    return;
  }
  out.parts.push(s);
  out.left -= s.length;
}

function putList<T>(out: Out, items: readonly T[], each: (x: T) => void): void {
  for (let i = 0; i < items.length; i++) {
    if (out.left <= 0) {
      out.cut = true;
      return;
    }
    if (i > 0) put(out, ', ');
    each(items[i]!);
  }
}

function writeBody(t: RecordType | VariantType | EnumType | FlagsType, out: Out): void {
  switch (t.kind) {
    case 'record':
      put(out, '{ ');
      putList(out, t.fields, (f) => { put(out, `${witId(f.name)}: `); writeValType(f.type, out); });
      put(out, ' }');
      return;
    case 'variant':
      put(out, '{ ');
      putList(out, t.cases, (c) => {
        put(out, witId(c.name));
        if (c.type) { put(out, '('); writeValType(c.type, out); put(out, ')'); }
      });
      put(out, ' }');
      return;
    case 'enum':
    case 'flags':
      put(out, '{ ');
      putList(out, t.names, (n) => put(out, witId(n)));
      put(out, ' }');
      return;
    default:
      return assertNever(t, 'named type kind');
  }
}

function writeGeneric(out: Out, head: string, args: readonly (ValType | null)[]): void {
  put(out, `${head}<`);
  putList(out, args, (a) => writeValType(a, out));
  put(out, '>');
}

function writeValType(t: ValType | null, out: Out): void {
  if (out.left <= 0) {
    out.cut = true;
    return;
  }
  if (t === null) return put(out, '_');
  switch (t.kind) {
    case 'record':
    case 'variant':
    case 'enum':
    case 'flags':
      if (t.name !== undefined) return put(out, witId(t.name));
      put(out, `${t.kind} `);
      return writeBody(t, out);
    case 'tuple': return writeGeneric(out, 'tuple', t.types);
    case 'list':
      put(out, 'list<');
      writeValType(t.element, out);
      return put(out, t.length === undefined ? '>' : `, ${t.length}>`);
    case 'option': return writeGeneric(out, 'option', [t.type]);
    case 'result':
      if (t.ok === null && t.err === null) return put(out, 'result');
      return writeGeneric(out, 'result', t.err === null ? [t.ok] : [t.ok, t.err]);
    case 'own': return put(out, witId(t.resource.name || 'resource'));
    case 'borrow': return put(out, `borrow<${witId(t.resource.name || 'resource')}>`);
    case 'future':
    case 'stream': return t.type === null ? put(out, t.kind) : writeGeneric(out, t.kind, [t.type]);
    case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
    case 'f32': case 'f64': case 'char': case 'string': case 'error-context':
      return put(out, t.kind);
    default: return assertNever(t, 'value type kind');
  }
}

function printed(write: (out: Out) => void, max: number): string {
  const out: Out = { parts: [], left: max, cut: false };
  write(out);
  const text = out.parts.join('');
  return out.cut ? `${text.slice(0, max)}…` : text;
}

function body(t: RecordType | VariantType | EnumType | FlagsType): string {
  return printed((out) => writeBody(t, out), Infinity);
}

/** A value type as written where it is used: `list<u8>`, `option<string>`, `request`, `borrow<r>`. */
export function printValType(t: ValType | null): string {
  return printed((out) => writeValType(t, out), Infinity);
}

/**
 * printValType cut at about `max` characters (ending in `…`): for one-line
 * messages, where a type built from shared anonymous types could otherwise
 * print exponentially long.
 */
export function printValTypeWithin(t: ValType | null, max: number): string {
  return printed((out) => writeValType(t, out), max);
}

/** `func(req: request) -> decision` */
export function printFuncType(f: FuncType): string {
  const params = f.params.map((p) => `${witId(p.name)}: ${printValType(p.type)}`).join(', ');
  return `${f.async ? 'async ' : ''}func(${params})${f.result ? ` -> ${printValType(f.result)}` : ''}`;
}

/** A type definition: `record request { id: u64, ... }`, `type bytes = list<u8>;`, `resource r;`. One line. */
export function printTypeDef(name: string, t: NamedType): string {
  if (t.kind === 'resource') return t.name === name || t.name === '' ? `resource ${witId(name)};` : `type ${witId(name)} = ${witId(t.name)};`;
  if ((t.kind === 'record' || t.kind === 'variant' || t.kind === 'enum' || t.kind === 'flags') && (t.name === undefined || t.name === name)) {
    return `${t.kind} ${witId(name)} ${body(t)}`;
  }
  return `type ${witId(name)} = ${printValType(t)};`;
}

const MEMBER = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/;

/** Interface body lines (without braces), resources grouped with their constructor/methods/statics. */
export function printInterfaceBody(iface: InterfaceType, indent = '  '): string[] {
  const lines: string[] = [];
  const members = new Map<string, string[]>();
  const plain: [string, FuncType][] = [];
  for (const [fname, f] of iface.funcs) {
    const m = MEMBER.exec(fname);
    if (!m) {
      plain.push([fname, f]);
      continue;
    }
    const kind = m[1]!;
    const list = members.get(m[2]!) ?? [];
    const params = kind === 'method' ? f.params.slice(1) : f.params;
    const ps = params.map((p) => `${witId(p.name)}: ${printValType(p.type)}`).join(', ');
    if (kind === 'constructor') list.push(`constructor(${ps});`);
    else list.push(`${witId(m[3] ?? '')}: ${kind === 'static' ? 'static ' : ''}func(${ps})${f.result ? ` -> ${printValType(f.result)}` : ''};`);
    members.set(m[2]!, list);
  }
  for (const [tname, t] of iface.types) {
    const list = t.kind === 'resource' ? members.get(tname) : undefined;
    if (list && list.length) {
      members.delete(tname);
      lines.push(`${indent}resource ${witId(tname)} {`, ...list.map((l) => `${indent}  ${l}`), `${indent}}`);
    } else {
      lines.push(`${indent}${printTypeDef(tname, t)}`);
    }
  }
  // Members of resources the interface does not export as types (should not happen in valid binaries).
  for (const [rname, list] of members) lines.push(`${indent}/* resource ${rname} */`, ...list.map((l) => `${indent}${l}`));
  for (const [fname, f] of plain) lines.push(`${indent}${witId(fname)}: ${printFuncType(f)};`);
  return lines;
}

/** `interface name { ... }` */
export function printInterface(iface: InterfaceType): string {
  return [`interface ${iface.name} {`, ...printInterfaceBody(iface), '}'].join('\n');
}

/** One world item as it reads inside a world: `import pkg:x/y@1.0.0: interface { ... }`, `export f: func() -> u32;`. */
export function printWorldItem(item: WorldItem, direction: 'import' | 'export', indent = '  '): string {
  switch (item.kind) {
    case 'interface':
      return [`${indent}${direction} ${item.name}: interface {`, ...printInterfaceBody(item.iface, `${indent}  `), `${indent}}`].join('\n');
    case 'func':
      return `${indent}${direction} ${witId(item.name)}: ${printFuncType(item.func)};`;
    case 'type':
      return `${indent}${direction === 'import' ? '' : '/* export */ '}${printTypeDef(item.name, item.type)}`;
    case 'extern':
      // Not expressible in WIT: a comment keeps the printed world parseable.
      return `${indent}/* ${direction} ${JSON.stringify(item.name)}: ${item.detail} (not expressible in WIT) */`;
    default:
      return assertNever(item, 'world item kind');
  }
}

/** World-level (non-interface) items of one direction, resources grouped with their members. */
function worldLevel(items: readonly WorldItem[], direction: 'import' | 'export'): string[] {
  const types = new Map<string, NamedType>();
  const funcs = new Map<string, FuncType>();
  for (const i of items) {
    if (i.kind === 'type') types.set(i.name, i.type);
    else if (i.kind === 'func') funcs.set(i.name, i.func);
  }
  if (types.size === 0 && funcs.size === 0) return [];
  const pseudo: InterfaceType = { kind: 'interface', name: '', types, funcs };
  // A member line (two spaces of indent) that is not a type definition is a function: it takes the direction.
  const isFunc = (l: string): boolean => /^ {2}[^ }]/.test(l) && !/^ {2}(resource|record|variant|enum|flags|type) /.test(l);
  return printInterfaceBody(pseudo).map((l) => (isFunc(l) ? `  ${direction} ${l.slice(2)}` : l));
}

/** A whole component shape as a world. */
export function printShape(shape: ComponentShape, worldName = 'root'): string {
  return [
    `world ${witId(worldName)} {`,
    ...worldLevel(shape.imports, 'import'),
    ...shape.imports.filter((i) => i.kind === 'interface' || i.kind === 'extern').map((i) => printWorldItem(i, 'import')),
    ...worldLevel(shape.exports, 'export'),
    ...shape.exports.filter((i) => i.kind === 'interface' || i.kind === 'extern').map((e) => printWorldItem(e, 'export')),
    '}',
  ].join('\n');
}
