/** What the interface and type resolvers share: a resolved interface, and the names one body sees. */
import type { InterfaceType, NamedType } from '../../component/types.js';
import type { TypeDecl } from './ast.js';
import type { SrcPos } from './lexer.js';
import type { WitPackage } from './packages.js';

/** An interface resolved once, under its identity key. */
export interface IfaceEntry {
  readonly key: string;
  readonly qname: string;
  readonly iface: InterfaceType;
  /** Keys of interfaces this one `use`s. */
  readonly deps: Set<string>;
}

/** Scope of one interface or world body: local type names → resolved types (lazily). */
export interface Scope {
  readonly pkg: WitPackage;
  /** Qualified name of the owner, for resources ('' for world-level). */
  readonly owner: string;
  readonly decls: Map<string, TypeDecl>;
  readonly uses: Map<string, { from: IfaceEntry; name: string; pos: SrcPos }>;
  readonly done: Map<string, NamedType>;
  readonly inProgress: Set<string>;
  /** Types left out by an inactive `@unstable` feature: referring to one is an error. */
  readonly gatedOut: ReadonlySet<string>;
}

/** Bounds recursion through aliases and `use` chains (hostile WIT must not overflow the stack). */
export const MAX_CHAIN = 100;
