/**
 * Type declarations and references of one body (its `Scope`) resolved into
 * the `ComponentShape` model, with each object's position in the source map.
 * As wit-component: used types keep the defining type's identity and name;
 * a bare resource name as a type means `own<r>`.
 */
import type { FuncType, NamedType, Param, ResourceType, ValType } from '../../component/types.js';
import type { FuncDecl, TypeDecl, TypeRef } from './ast.js';
import { gateText, isUnstable } from './gates.js';
import { witError, type SrcPos } from './lexer.js';
import { MAX_CHAIN, type Scope } from './scope.js';
import { SourceMap, type InterfaceInfo } from './source-map.js';
import { assertNever } from '../../util/assert-never.js';

/** Same bound as the binary decoder's (src/component/defs.ts). */
const MAX_TYPE_DEPTH = 100;

export class TypeResolver {
  readonly sources = new SourceMap();
  /** The declaration whose types are being resolved: where wasm-tools reports a reference to a gated-out type. */
  private site: SrcPos | null = null;

  /**
   * `forValidation`: wasm-tools parses empty records and flags (the shapes witplug refuses for a
   * contract's world); the whole-package pass leaves them to the world that uses them.
   */
  constructor(private readonly forValidation = false) {}

  /** The type a local name stands for (its definition, an alias target, or a used type). */
  named(scope: Scope, name: string, pos: SrcPos): NamedType {
    const done = scope.done.get(name);
    if (done) return done;
    const use = scope.uses.get(name);
    if (use) {
      const t = use.from.iface.types.get(use.name)!;
      scope.done.set(name, t);
      return t;
    }
    const decl = scope.decls.get(name);
    if (!decl && scope.gatedOut.has(name)) throw witError(this.site ?? pos, `found a reference to type '${name}', which is excluded because its feature is not enabled`);
    if (!decl) throw witError(pos, `type '${name}' not defined`);
    if (scope.inProgress.has(name)) throw witError(decl.pos, `type '${name}' refers to itself`);
    if (scope.inProgress.size >= MAX_CHAIN) throw witError(decl.pos, `chain of type definitions longer than ${MAX_CHAIN}`);
    scope.inProgress.add(name);
    try {
      const t = this.typeDecl(scope, decl);
      scope.done.set(name, t);
      return t;
    } finally {
      scope.inProgress.delete(name);
    }
  }

  private typeDecl(scope: Scope, d: TypeDecl): NamedType {
    const outer = this.site;
    this.site = d.pos;
    try {
      return this.typeDeclAt(scope, d);
    } finally {
      this.site = outer;
    }
  }

  private typeDeclAt(scope: Scope, d: TypeDecl): NamedType {
    const s = this.sources;
    let t: NamedType;
    switch (d.k) {
      case 'record': {
        const fields = d.fields.map((f) => {
          this.site = f.pos;
          const field = { name: f.name, type: this.valType(scope, f.type) };
          s.pos.set(field, f.pos);
          return field;
        });
        dupes(fields.map((f, i) => ({ name: f.name, pos: d.fields[i]!.pos })), 'field');
        if (fields.length === 0 && !this.forValidation) throw witError(d.pos, `record '${d.name}' has no fields`);
        t = { kind: 'record', fields, name: d.name };
        break;
      }
      case 'variant': {
        const cases = d.cases.map((c) => {
          this.site = c.pos;
          const cs = { name: c.name, type: c.type ? this.valType(scope, c.type) : null };
          s.pos.set(cs, c.pos);
          return cs;
        });
        dupes(d.cases, 'case');
        if (cases.length === 0) throw witError(d.pos, `variant '${d.name}' has no cases`);
        t = { kind: 'variant', cases, name: d.name };
        break;
      }
      case 'enum':
      case 'flags': {
        dupes(d.names, d.k === 'enum' ? 'case' : 'flag');
        if (d.names.length === 0 && !(d.k === 'flags' && this.forValidation)) throw witError(d.pos, `${d.k} '${d.name}' has no ${d.k === 'enum' ? 'cases' : 'flags'}`);
        if (d.k === 'flags' && d.names.length > 32) throw witError(d.pos, `flags '${d.name}' has more than 32 flags`);
        t = { kind: d.k, names: d.names.map((n) => n.name), name: d.name };
        s.names.set(t, new Map(d.names.map((n) => [n.name, n.pos])));
        break;
      }
      case 'resource':
        t = { kind: 'resource', name: d.name, interfaceName: scope.owner };
        break;
      case 'alias':
        // An alias of a named type is that type (same name, same resource) in the binary, but a
        // distinct object here so liveness (./live.ts) can tell whether the alias itself is used.
        if (d.target.k === 'named') {
          const target = this.named(scope, d.target.name, d.target.pos);
          t = { ...target };
          s.aliasOf.set(t, target);
          const names = s.names.get(target);
          if (names) s.names.set(t, names);
        } else t = this.valType(scope, d.target);
        break;
      default: assertNever(d, 'k');
    }
    s.pos.set(t, d.pos);
    return t;
  }

  private readonly depth = new WeakMap<object, number>();

  /** A type reference; a bare resource name means `own<r>`. Nesting is bounded across aliases. */
  valType(scope: Scope, r: TypeRef): ValType {
    const t = this.valTypeInner(scope, r);
    const d = this.depthOf(t);
    if (d > MAX_TYPE_DEPTH) throw witError(r.pos, `type nested deeper than ${MAX_TYPE_DEPTH}`);
    return t;
  }

  private depthOf(t: NamedType): number {
    const known = this.depth.get(t);
    if (known !== undefined) return known;
    const kids: NamedType[] =
      t.kind === 'record' ? t.fields.map((f) => f.type)
      : t.kind === 'variant' ? t.cases.flatMap((c) => (c.type ? [c.type] : []))
      : t.kind === 'list' ? [t.element]
      : t.kind === 'option' ? [t.type]
      : t.kind === 'result' ? [t.ok, t.err].filter((x): x is ValType => x !== null)
      : t.kind === 'tuple' ? [...t.types]
      : (t.kind === 'future' || t.kind === 'stream') && t.type ? [t.type]
      : [];
    // Children were measured when they were built, so this never recurses deeply.
    const d = 1 + kids.reduce((m, k) => Math.max(m, this.depth.get(k) ?? 1), 0);
    this.depth.set(t, d);
    return d;
  }

  private valTypeInner(scope: Scope, r: TypeRef): ValType {
    switch (r.k) {
      case 'prim':
        return { kind: r.name as 'u32' };
      case 'named': {
        const t = this.named(scope, r.name, r.pos);
        return t.kind === 'resource' ? { kind: 'own', resource: t } : t;
      }
      case 'list': {
        const element = this.valType(scope, r.element);
        return r.length === undefined ? { kind: 'list', element } : { kind: 'list', element, length: r.length };
      }
      case 'option':
        return { kind: 'option', type: this.valType(scope, r.type) };
      case 'result':
        return { kind: 'result', ok: r.ok ? this.valType(scope, r.ok) : null, err: r.err ? this.valType(scope, r.err) : null };
      case 'tuple':
        return { kind: 'tuple', types: r.types.map((x) => this.valType(scope, x)) };
      case 'own':
      case 'borrow': {
        const t = this.named(scope, r.resource.name, r.resource.pos);
        if (t.kind !== 'resource') throw witError(r.resource.pos, `${r.k}<${r.resource.name}>: '${r.resource.name}' is not a resource`);
        return { kind: r.k, resource: t };
      }
      case 'future':
      case 'stream':
        return { kind: r.k, type: r.type ? this.valType(scope, r.type) : null };
      default: assertNever(r, 'k');
    }
  }

  /** `label` is the function's name in the shape (`[method]r.m` for a resource method), for errors. */
  func(scope: Scope, d: FuncDecl, self: ResourceType | null, label = d.name): FuncType {
    const outer = this.site;
    this.site = d.pos;
    try {
      const f = this.funcAt(scope, d, self);
      // The canonical ABI cannot return a borrow: it would outlive the call that lent it.
      if (f.result && containsBorrow(f.result, new Set())) throw witError(d.pos, `function '${label}' returns a type containing a borrow<…>, which is not supported`);
      return f;
    } finally {
      this.site = outer;
    }
  }

  private funcAt(scope: Scope, d: FuncDecl, self: ResourceType | null): FuncType {
    const params: Param[] = [];
    if (self) params.push({ name: 'self', type: { kind: 'borrow', resource: self } });
    for (const p of d.params) {
      const param = { name: p.name, type: this.valType(scope, p.type) };
      this.sources.pos.set(param, p.pos);
      params.push(param);
    }
    dupes(d.params, 'parameter');
    const result = d.result ? this.valType(scope, d.result) : null;
    const f: FuncType = d.async ? { kind: 'func', params, result, async: true } : { kind: 'func', params, result };
    this.sources.pos.set(f, d.pos);
    if (d.result) this.sources.resultPos.set(f, d.result.pos);
    return f;
  }

  /**
   * `[constructor]r`, `[method]r.m`, `[static]r.s` of a resource declared in `scope`, named after the
   * resource as resolved (a world included `with { r as s }` gives `[constructor]s`).
   * Gates of its members are recorded in `info` (left-out `@unstable` ones included).
   */
  resourceFuncs(scope: Scope, d: TypeDecl & { k: 'resource' }, info: InterfaceInfo): [string, FuncType][] {
    const r = this.named(scope, d.name, d.pos) as ResourceType;
    const out: [string, FuncType][] = [];
    const seen = new Set<string>();
    for (const m of d.members) {
      const fname = m.kind === 'constructor' ? `[constructor]${r.name}` : `[${m.kind}]${r.name}.${m.name}`;
      if (isUnstable(m)) {
        info.unstable.set(fname, { kind: 'func', gates: gateText(m), pos: m.pos });
        continue;
      }
      if (m.gates.length) info.gates.set(fname, gateText(m));
      const key = m.kind === 'constructor' ? 'constructor' : m.name;
      if (seen.has(key)) throw witError(m.pos, `duplicate resource member '${key}'`);
      seen.add(key);
      if (m.kind === 'constructor') {
        const f = this.func(scope, m.func, null, `[constructor]${r.name}`);
        checkConstructorResult(m.func, f, r);
        const full: FuncType = { kind: 'func', params: f.params, result: f.result ?? { kind: 'own', resource: r } };
        this.sources.pos.set(full, m.pos);
        if (f.result) this.sources.resultPos.set(full, this.sources.resultPos.get(f)!);
        out.push([`[constructor]${r.name}`, full]);
      } else {
        const f = this.func(scope, m.func, m.kind === 'method' ? r : null, `[${m.kind}]${r.name}.${m.name}`);
        out.push([`[${m.kind}]${r.name}.${m.name}`, f]);
      }
    }
    return out;
  }
}

/** A constructor returns the resource, or `result<r, e>` of it. */
function checkConstructorResult(d: FuncDecl, f: FuncType, r: ResourceType): void {
  if (!d.result || !f.result) return;
  if (d.result.k !== 'result') throw witError(d.result.pos, 'a constructor that declares a return type must return a result');
  const ok = f.result.kind === 'result' ? f.result.ok : null;
  const okPos = d.result.ok?.pos ?? d.result.pos;
  if (!ok || ok.kind !== 'own' || ok.resource !== r) throw witError(okPos, `the ok type of a constructor's result must be the resource being constructed ('${r.name}')`);
}

/** Whether a type reaches a `borrow<…>` (through named types too; `seen` guards shared subtrees). */
function containsBorrow(t: ValType, seen: Set<object>): boolean {
  if (seen.has(t)) return false;
  seen.add(t);
  switch (t.kind) {
    case 'borrow':
      return true;
    case 'record':
      return t.fields.some((f) => containsBorrow(f.type, seen));
    case 'variant':
      return t.cases.some((c) => c.type !== null && containsBorrow(c.type, seen));
    case 'list':
      return containsBorrow(t.element, seen);
    case 'option':
      return containsBorrow(t.type, seen);
    case 'result':
      return (t.ok !== null && containsBorrow(t.ok, seen)) || (t.err !== null && containsBorrow(t.err, seen));
    case 'tuple':
      return t.types.some((x) => containsBorrow(x, seen));
    case 'string': case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64': case 'f32': case 'f64':
    case 'char': case 'error-context': case 'enum': case 'flags': case 'own': case 'future': case 'stream':
      return false;
    default: assertNever(t, 'kind');
  }
}

function dupes(items: readonly { name: string; pos: SrcPos }[], what: string): void {
  const seen = new Set<string>();
  for (const i of items) {
    if (seen.has(i.name)) throw witError(i.pos, `duplicate ${what} name '${i.name}'`);
    seen.add(i.name);
  }
}
