/**
 * Where each object of a resolved shape was written, and the source-level
 * facts (uses, alias targets, gates) the shape itself cannot carry.
 */
import type { FuncType, InterfaceType, NamedType, WorldItem } from '../../component/types.js';
import type { SrcPos } from './lexer.js';

/** Source-level facts about a resolved interface the shape itself cannot carry. */
export interface InterfaceInfo {
  readonly pos: SrcPos;
  /** Package id (`ns:name@version`) the interface belongs to, or the world's for inline interfaces. */
  readonly pkg: string;
  /** Position of each type name and function in this interface (used types: the `use` name). */
  readonly members: Map<string, SrcPos>;
  /** Local type name → qualified interface it was `use`d from. */
  readonly usedFrom: Map<string, string>;
  /** Alias name → its target as written (`type a = b`). */
  readonly aliasTargets: Map<string, string>;
  /** Member name (type, function, or `[method]r.m` of a resource) → its gates as written, e.g. `@since(version = 0.2.0)`. */
  readonly gates: Map<string, string>;
  /** Members left out because they are `@unstable` (same naming), with their gates and position. */
  readonly unstable: Map<string, { readonly kind: 'func' | 'type'; readonly gates: string; readonly pos: SrcPos }>;
}

export function emptyInterfaceInfo(pos: SrcPos, pkg: string): InterfaceInfo {
  return { pos, pkg, members: new Map(), usedFrom: new Map(), aliasTargets: new Map(), gates: new Map(), unstable: new Map() };
}

/** A world item as written: its gates, and whether `@unstable` left it out of the shape. */
export interface WorldItemGates {
  readonly gates: string;
  readonly pos: SrcPos;
  readonly unstable: boolean;
}

/** Positions of shape objects (funcs, params, fields, cases, named types) and of enum/flag names. */
export class SourceMap {
  readonly pos = new WeakMap<object, SrcPos>();
  readonly names = new WeakMap<object, Map<string, SrcPos>>();
  readonly resultPos = new WeakMap<FuncType, SrcPos>();
  readonly interfaces = new WeakMap<InterfaceType, InterfaceInfo>();
  readonly items = new WeakMap<WorldItem, SrcPos>();
  /** World-level type names (and `use`s) of the resolved world and the worlds it includes. */
  readonly worldTypes: InterfaceInfo = emptyInterfaceInfo({ file: '', line: 1, column: 1 }, '');
  /** Gated world items (imports and exports), keyed `import name` / `export name` with versions left off. */
  readonly itemGates = new Map<string, WorldItemGates>();
  /** Alias object → the named type it stands for (see `typeDecl`). */
  readonly aliasOf = new WeakMap<object, NamedType>();
}
