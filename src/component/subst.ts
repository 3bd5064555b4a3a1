/**
 * Instantiation by substitution.
 *
 * A nested component (or component type) is evaluated once, with its imports
 * as placeholder objects; instantiating it maps each placeholder to the
 * argument passed for it, gives the resource types it generates new
 * identities, and rebuilds only the parts of its exports that mention one of
 * these variables. Variables carry the scope depth that owns them (defs.ts
 * `levelOf`), so everything below the instantiated component's level is
 * shared as is: the work of one instantiation is the size of what actually
 * changes, and every node built is charged to the decode's budget.
 */
import type { Case, Field, FuncType, Param, ResourceType, ValType } from './types.js';
import {
  type Budget, type ComponentDef, type Def, type Ext, type InstanceDef,
  asVariable, checked, checkedFunc, freshResource, levelOf, nameDef, sealed, variableLevel,
} from './defs.js';
import { assertNever } from '../util/assert-never.js';

export class Subst {
  private readonly memo = new Map<object, object>();

  /**
   * `level`: the level of the instantiated component's variables;
   * `freshLevel`: the depth of the scope instantiating it (which generates
   * the new resource identities).
   */
  constructor(
    private readonly level: number,
    private readonly freshLevel: number,
    private readonly budget: Budget,
    private readonly at: number,
  ) {}

  /** Record that the import `placeholder` is satisfied by `bound`. */
  bind(placeholder: Ext, bound: Ext): void {
    this.budget.spend(1, this.at);
    if (placeholder.s === 'type' && bound.s === 'type') {
      const p = placeholder.t;
      const b = bound.t;
      // Only a variable is mapped: a type that mentions none is equal to the argument's already.
      if (p.d === 'val' && b.d === 'val' && p.t !== b.t && levelOf(p.t) >= this.level) this.memo.set(p.t, b.t);
      else if (p.d === 'resource' && b.d === 'resource' && levelOf(p.r) >= this.level) this.memo.set(p.r, b.r);
    } else if (placeholder.s === 'func' && bound.s === 'func') {
      if (this.mentionsVariables(placeholder.t)) this.memo.set(placeholder.t, bound.t);
    } else if (placeholder.s === 'component' && bound.s === 'component') {
      if (this.mentionsVariables(placeholder.t)) this.memo.set(placeholder.t, bound.t);
    } else if (placeholder.s === 'instance' && bound.s === 'instance') {
      if (!this.mentionsVariables(placeholder.t)) return;
      this.memo.set(placeholder.t, bound.t);
      // What was aliased out of the imported instance (nested instances included) is what the argument exports.
      for (const [name, e] of placeholder.t.exports) {
        const b = bound.t.exports.get(name);
        if (b) this.bind(e, b);
      }
    }
  }

  /** An import placeholder of this level, or a part of one that holds its variables. */
  private mentionsVariables(x: FuncType | InstanceDef | ComponentDef): boolean {
    return levelOf(x) >= this.level;
  }

  ext(e: Ext): Ext {
    switch (e.s) {
      case 'func': {
        const t = this.func(e.t);
        return t === e.t ? e : { s: 'func', t };
      }
      case 'type': {
        const t = this.def(e.t);
        return t === e.t ? e : { s: 'type', t };
      }
      case 'instance': {
        const t = this.instance(e.t);
        return t === e.t ? e : { s: 'instance', t };
      }
      case 'component': {
        const t = this.component(e.t);
        return t === e.t ? e : { s: 'component', t };
      }
      case 'module':
      case 'value':
        return e;
      default:
        return assertNever(e, 'extern sort');
    }
  }

  /** An export list: a type that changed is named after its export, as a component's export section names it. */
  exports(list: Iterable<[string, Ext]>): { list: [string, Ext][]; changed: boolean } {
    const out: [string, Ext][] = [];
    let changed = false;
    for (const [name, e] of list) {
      this.budget.spend(1, this.at);
      let x = this.ext(e);
      if (x !== e) {
        changed = true;
        if (x.s === 'type') x = { s: 'type', t: nameDef(x.t, name) };
      }
      out.push([name, x]);
    }
    return { list: out, changed };
  }

  def(d: Def): Def {
    switch (d.d) {
      case 'val': {
        const t = this.val(d.t);
        return t === d.t ? d : { d: 'val', t };
      }
      case 'resource': {
        const r = this.resource(d.r);
        return r === d.r ? d : { d: 'resource', r };
      }
      case 'func': {
        const t = this.func(d.t);
        return t === d.t ? d : { d: 'func', t };
      }
      case 'instance': {
        const t = this.instance(d.t);
        return t === d.t ? d : { d: 'instance', t };
      }
      case 'component': {
        const t = this.component(d.t);
        return t === d.t ? d : { d: 'component', t };
      }
      case 'opaque':
        return d;
      default:
        return assertNever(d, 'definition kind');
    }
  }

  resource(r: ResourceType): ResourceType {
    const m = this.memo.get(r);
    if (m) return m as ResourceType;
    // Below: a resource of an enclosing scope. Above: one bound inside a nested type, which keeps it.
    if (levelOf(r) !== this.level) return r;
    this.budget.spend(1, this.at);
    const fresh = freshResource(r.name, this.freshLevel, r.interfaceName);
    this.memo.set(r, fresh);
    return fresh;
  }

  val(t: ValType): ValType;
  val(t: ValType | null): ValType | null;
  val(t: ValType | null): ValType | null {
    if (t === null) return null;
    const m = this.memo.get(t);
    if (m) return m as ValType;
    if (levelOf(t) < this.level) return t;
    this.budget.spend(1, this.at);
    const out = this.rebuild(t);
    const own = variableLevel(t);
    if (out !== t && own !== undefined) asVariable(out, own);
    this.memo.set(t, out);
    return out;
  }

  private rebuild(t: ValType): ValType {
    const at = this.at;
    switch (t.kind) {
      case 'record': {
        this.budget.spend(t.fields.length, at);
        const fields: Field[] = t.fields.map((f) => ({ name: f.name, type: this.val(f.type) }));
        if (fields.every((f, i) => f.type === t.fields[i]!.type)) return t;
        return checked({ ...t, fields }, fields.map((f) => f.type), at);
      }
      case 'variant': {
        this.budget.spend(t.cases.length, at);
        const cases: Case[] = t.cases.map((c) => ({ name: c.name, type: this.val(c.type) }));
        if (cases.every((c, i) => c.type === t.cases[i]!.type)) return t;
        return checked({ ...t, cases }, cases.map((c) => c.type), at);
      }
      case 'tuple': {
        this.budget.spend(t.types.length, at);
        const types = t.types.map((x) => this.val(x));
        if (types.every((x, i) => x === t.types[i])) return t;
        return checked({ ...t, types }, types, at);
      }
      case 'list': {
        const element = this.val(t.element);
        return element === t.element ? t : checked({ ...t, element }, [element], at);
      }
      case 'option': {
        const type = this.val(t.type);
        return type === t.type ? t : checked({ ...t, type }, [type], at);
      }
      case 'result': {
        const ok = this.val(t.ok);
        const err = this.val(t.err);
        return ok === t.ok && err === t.err ? t : checked({ ...t, ok, err }, [ok, err], at);
      }
      case 'future':
      case 'stream': {
        const type = this.val(t.type);
        return type === t.type ? t : checked({ ...t, type }, [type], at);
      }
      case 'own':
      case 'borrow': {
        const resource = this.resource(t.resource);
        return resource === t.resource ? t : checked({ kind: t.kind, resource }, [], at, levelOf(resource));
      }
      case 'enum': case 'flags':
      case 'bool': case 's8': case 'u8': case 's16': case 'u16': case 's32': case 'u32': case 's64': case 'u64':
      case 'f32': case 'f64': case 'char': case 'string': case 'error-context':
        // Mention no variable (but may be a placeholder: copy it).
        return t;
      default:
        return assertNever(t, 'value type kind');
    }
  }

  func(f: FuncType): FuncType {
    const m = this.memo.get(f);
    if (m) return m as FuncType;
    if (levelOf(f) < this.level) return f;
    this.budget.spend(1 + f.params.length, this.at);
    const params: Param[] = f.params.map((p) => ({ name: p.name, type: this.val(p.type) }));
    const result = this.val(f.result);
    let out = f;
    if (result !== f.result || params.some((p, i) => p.type !== f.params[i]!.type)) {
      out = checkedFunc({ ...f, params, result }, this.at);
      const own = variableLevel(f);
      if (own !== undefined) asVariable(out, own);
    }
    this.memo.set(f, out);
    return out;
  }

  instance(i: InstanceDef): InstanceDef {
    const m = this.memo.get(i);
    if (m) return m as InstanceDef;
    if (levelOf(i) < this.level) return i;
    const { list, changed } = this.exports(i.exports);
    let out = i;
    if (changed) {
      out = sealed(i.inner === undefined ? { exports: new Map(list) } : { exports: new Map(list), inner: i.inner }, this.at);
      const own = variableLevel(i);
      if (own !== undefined) asVariable(out, own);
    }
    this.memo.set(i, out);
    return out;
  }

  component(c: ComponentDef): ComponentDef {
    const m = this.memo.get(c);
    if (m) return m as ComponentDef;
    if (levelOf(c) < this.level) return c;
    const imports: [string, Ext][] = c.imports.map(([n, e]) => {
      this.budget.spend(1, this.at);
      return [n, this.ext(e)];
    });
    const exp = this.exports(c.exports);
    let out = c;
    if (exp.changed || imports.some(([, e], k) => e !== c.imports[k]![1])) {
      out = sealed({ imports, exports: exp.list, inner: c.inner }, this.at);
      const own = variableLevel(c);
      if (own !== undefined) asVariable(out, own);
    }
    this.memo.set(c, out);
    return out;
  }
}
