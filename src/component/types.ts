/**
 * The one structural type model of witplug.
 *
 * Both the component binary decoder (`src/component/decode.ts`) and contract
 * loading (`src/contract/`) produce these shapes, so admission, inspect, diff,
 * fingerprints and the canonical-ABI call path all reason about the same data.
 * Everything here is plain data (JSON-serialisable except for the
 * `ResourceType` identity, which is an object shared by reference).
 */

export type PrimitiveKind =
  | 'bool'
  | 's8' | 'u8' | 's16' | 'u16' | 's32' | 'u32' | 's64' | 'u64'
  | 'f32' | 'f64'
  | 'char'
  | 'string'
  | 'error-context';

export interface PrimitiveType { readonly kind: PrimitiveKind }

export interface Field { readonly name: string; readonly type: ValType }
export interface Case { readonly name: string; readonly type: ValType | null }

/**
 * `name` is the WIT name a type was exported under (e.g. `request`), when the
 * binary gives one. Names never take part in type equality except where the
 * component model says so (field, case, flag and resource names).
 */
export interface RecordType { readonly kind: 'record'; readonly name?: string; readonly fields: readonly Field[] }
export interface VariantType { readonly kind: 'variant'; readonly name?: string; readonly cases: readonly Case[] }
export interface EnumType { readonly kind: 'enum'; readonly name?: string; readonly names: readonly string[] }
export interface FlagsType { readonly kind: 'flags'; readonly name?: string; readonly names: readonly string[] }
export interface TupleType { readonly kind: 'tuple'; readonly types: readonly ValType[] }
/** `length` is set for fixed-length lists (`list<T, N>`). */
export interface ListType { readonly kind: 'list'; readonly element: ValType; readonly length?: number }
export interface OptionType { readonly kind: 'option'; readonly type: ValType }
export interface ResultType { readonly kind: 'result'; readonly ok: ValType | null; readonly err: ValType | null }
export interface OwnType { readonly kind: 'own'; readonly resource: ResourceType }
export interface BorrowType { readonly kind: 'borrow'; readonly resource: ResourceType }
export interface FutureType { readonly kind: 'future'; readonly type: ValType | null }
export interface StreamType { readonly kind: 'stream'; readonly type: ValType | null }

export type ValType =
  | PrimitiveType
  | RecordType
  | VariantType
  | EnumType
  | FlagsType
  | TupleType
  | ListType
  | OptionType
  | ResultType
  | OwnType
  | BorrowType
  | FutureType
  | StreamType;

/**
 * A resource type. Identity matters (two resources with the same name in
 * different interfaces are different types), so `interfaceName` + `name`
 * identify it structurally. Its constructor, methods and statics are ordinary
 * functions of the owning interface named `[constructor]r`, `[method]r.m`,
 * `[static]r.m`, exactly as in the binary.
 */
export interface ResourceType {
  readonly kind: 'resource';
  readonly name: string;
  /** Fully qualified interface that defines it, e.g. `pkg:x/iface@1.0.0`; '' for world-level. */
  readonly interfaceName: string;
}

export interface Param { readonly name: string; readonly type: ValType }

export interface FuncType {
  readonly kind: 'func';
  readonly params: readonly Param[];
  /** Single result (`-> T`) or none. */
  readonly result: ValType | null;
  readonly async?: boolean;
}

/** A named type exported by an interface (records, variants, resources, aliases…). */
export type NamedType = ValType | ResourceType;

/** One interface (a component-model instance type). */
export interface InterfaceType {
  readonly kind: 'interface';
  /** Fully qualified name as in the binary: `pkg:name/iface@1.2.3`, or a plain name for unversioned/world-local items. */
  readonly name: string;
  /** Exported types, by WIT name, in declaration order. */
  readonly types: ReadonlyMap<string, NamedType>;
  /** Functions (including resource constructors/methods/statics), by name, in declaration order. */
  readonly funcs: ReadonlyMap<string, FuncType>;
}

/**
 * The sort of an import or export a WIT world has no form for: a core
 * module, a component, a value, a type that is neither a value nor a resource
 * type (a function, instance or component type), or an instance exporting one
 * of those.
 */
export type ExternSort = 'core module' | 'component' | 'value' | 'type' | 'instance';

/** An import or export of a component / world. */
export type WorldItem =
  | { readonly kind: 'interface'; readonly name: string; readonly iface: InterfaceType }
  | { readonly kind: 'func'; readonly name: string; readonly func: FuncType }
  | { readonly kind: 'type'; readonly name: string; readonly type: NamedType }
  /**
   * Kept so that admission sees every import (a WIT contract never offers
   * one); `detail` says what it is, e.g. `instance exporting core module m`.
   */
  | { readonly kind: 'extern'; readonly name: string; readonly sort: ExternSort; readonly detail: string };

/** The externally visible shape of a component or a contract world. */
export interface ComponentShape {
  readonly imports: readonly WorldItem[];
  readonly exports: readonly WorldItem[];
}
