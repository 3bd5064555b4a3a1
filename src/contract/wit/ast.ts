/** The syntax tree of one WIT file, every named thing with its source position. */
import type { SrcPos } from './lexer.js';

export interface Named {
  readonly name: string;
  readonly pos: SrcPos;
}

/** `@since(version = …)`, `@unstable(feature = …)`, `@deprecated(version = …)` as written. */
export interface Gate {
  readonly kind: 'since' | 'unstable' | 'deprecated';
  readonly value: string;
  readonly pos: SrcPos;
}

export interface Attrs {
  readonly docs: string;
  readonly gates: readonly Gate[];
}

export type TypeRef =
  | { readonly k: 'prim'; readonly name: string; readonly pos: SrcPos }
  | { readonly k: 'named'; readonly name: string; readonly pos: SrcPos }
  | { readonly k: 'list'; readonly element: TypeRef; readonly length?: number; readonly pos: SrcPos }
  | { readonly k: 'option'; readonly type: TypeRef; readonly pos: SrcPos }
  | { readonly k: 'result'; readonly ok: TypeRef | null; readonly err: TypeRef | null; readonly pos: SrcPos }
  | { readonly k: 'tuple'; readonly types: readonly TypeRef[]; readonly pos: SrcPos }
  | { readonly k: 'own' | 'borrow'; readonly resource: Named; readonly pos: SrcPos }
  | { readonly k: 'future' | 'stream'; readonly type: TypeRef | null; readonly pos: SrcPos };

export interface ParamDecl extends Named {
  readonly type: TypeRef;
}

export interface FuncDecl extends Named, Attrs {
  readonly async: boolean;
  readonly params: readonly ParamDecl[];
  readonly result: TypeRef | null;
}

export interface ResourceMember extends Attrs {
  readonly kind: 'constructor' | 'method' | 'static';
  /** Member name (`constructor` for constructors). */
  readonly name: string;
  readonly pos: SrcPos;
  readonly func: FuncDecl;
}

export type TypeDecl = (
  | { readonly k: 'record'; readonly fields: readonly ParamDecl[] }
  | { readonly k: 'variant'; readonly cases: readonly (Named & { readonly type: TypeRef | null })[] }
  | { readonly k: 'enum' | 'flags'; readonly names: readonly Named[] }
  | { readonly k: 'resource'; readonly members: readonly ResourceMember[] }
  | { readonly k: 'alias'; readonly target: TypeRef }
) &
  Named &
  Attrs;

/** `pkg:ns/iface@1.0.0` or a bare `iface` (same package / world-local). */
export interface UsePath {
  readonly pkg: { readonly namespace: string; readonly name: string; readonly version: string | null } | null;
  readonly iface: string;
  readonly pos: SrcPos;
  /** Where the interface or world name itself is (after `ns:pkg/` when qualified): where wasm-tools reports it. */
  readonly namePos: SrcPos;
}

export interface UseDecl extends Attrs {
  readonly path: UsePath;
  readonly names: readonly (Named & { readonly as: Named | null })[];
  readonly pos: SrcPos;
}

export type InterfaceItem =
  | { readonly k: 'type'; readonly decl: TypeDecl }
  | { readonly k: 'func'; readonly decl: FuncDecl }
  | { readonly k: 'use'; readonly decl: UseDecl };

export interface InterfaceDecl extends Named, Attrs {
  readonly items: readonly InterfaceItem[];
}

export type ExternDecl =
  | { readonly k: 'path'; readonly path: UsePath }
  | { readonly k: 'interface'; readonly name: Named; readonly items: readonly InterfaceItem[] }
  | { readonly k: 'func'; readonly name: Named; readonly func: FuncDecl }
  /** `label: iface` — an interface imported or exported under a plain label. */
  | { readonly k: 'labelled'; readonly name: Named; readonly path: UsePath };

export type WorldItemDecl =
  | ({ readonly k: 'import' | 'export'; readonly extern: ExternDecl; readonly pos: SrcPos } & Attrs)
  | {
    readonly k: 'include';
    readonly path: UsePath;
    readonly with: readonly { from: string; to: Named }[];
    readonly pos: SrcPos;
    readonly gates: readonly Gate[];
  }
  | { readonly k: 'use'; readonly decl: UseDecl }
  | { readonly k: 'type'; readonly decl: TypeDecl };

export interface WorldDecl extends Named, Attrs {
  readonly items: readonly WorldItemDecl[];
}

export interface PackageDecl {
  readonly namespace: string;
  readonly name: string;
  readonly version: string | null;
  readonly pos: SrcPos;
  /** Where `ns:name` starts. */
  readonly namePos: SrcPos;
  /** Where the package's doc comment starts, if it has one. */
  readonly docsPos?: SrcPos;
}

export interface TopUse {
  readonly path: UsePath;
  readonly as: Named | null;
  readonly pos: SrcPos;
}

/** One file, or one `package … { }` block inside a file. */
export interface PackageBody {
  readonly package: PackageDecl | null;
  readonly interfaces: readonly InterfaceDecl[];
  readonly worlds: readonly WorldDecl[];
  readonly uses: readonly TopUse[];
}

export interface WitFile extends PackageBody {
  readonly file: string;
  /** `package a:b { … }` blocks: packages nested in this file. */
  readonly nested: readonly PackageBody[];
}
