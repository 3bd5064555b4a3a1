/** WIT attributes, type references, type definitions and function types (WIT.md grammar) into ./ast.ts. */
import type { Attrs, FuncDecl, Gate, Named, ParamDecl, ResourceMember, TypeDecl, TypeRef } from './ast.js';
import { witError } from './lexer.js';
import { TokenStream } from './token-stream.js';

const PRIMS = new Set([
  'bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string', 'error-context',
]);
/**
 * Nesting bound for types like `list<list<…>>`, so hostile input can't overflow
 * the stack (other blocks cannot nest: a package block holds interfaces and
 * worlds, whose bodies hold no further blocks).
 */
export const MAX_TYPE_NESTING = 100;

export class TypeParser extends TokenStream {
  private depth = 0;

  attrs(): Attrs {
    const docs = this.peek().docs;
    const gates: Gate[] = [];
    while (this.isOp('@') && this.peek(1).kind === 'id') {
      const at = this.next();
      const kind = this.ident('a gate (since, unstable, deprecated)');
      if (kind.name !== 'since' && kind.name !== 'unstable' && kind.name !== 'deprecated') {
        throw witError(kind.pos, `unknown attribute @${kind.name}`);
      }
      this.op('(');
      // `@since(version = …)`, `@deprecated(version = …)`, `@unstable(feature = …)`: one key each.
      const wanted = kind.name === 'unstable' ? 'feature' : 'version';
      const key = this.ident(`'${wanted}'`);
      if (key.name !== wanted) throw witError(key.pos, `expected '${wanted}', found '${key.name}'`);
      this.op('=');
      const value = wanted === 'feature' ? this.ident('a feature name').name : this.version();
      this.op(')');
      gates.push({ kind: kind.name, value, pos: at.pos });
    }
    return { docs, gates };
  }

  funcType(name: Named, attrs: Attrs): FuncDecl {
    const isAsync = this.isKw('async') ? (this.next(), true) : false;
    this.kw('func');
    const params = this.params();
    const result = this.eatOp('->') ? this.type() : null;
    return { ...name, ...attrs, async: isAsync, params, result };
  }

  params(): ParamDecl[] {
    this.op('(');
    const params: ParamDecl[] = [];
    while (!this.isOp(')')) {
      const n = this.ident('a parameter name');
      this.op(':');
      params.push({ ...n, type: this.type() });
      if (!this.eatOp(',')) break;
    }
    this.op(')');
    return params;
  }

  typeDecl(attrs: Attrs): TypeDecl | null {
    const t = this.peek();
    if (t.kind !== 'id' || t.escaped) return null;
    // `record: func()` is a function named record, not a record.
    if (this.isOp(':', 1)) return null;
    switch (t.text) {
      case 'record': {
        this.next();
        const name = this.ident('a record name');
        const fields = this.list(() => {
          const n = this.ident('a field name');
          this.op(':');
          return { ...n, type: this.type() };
        });
        return { k: 'record', ...name, ...attrs, fields };
      }
      case 'variant': {
        this.next();
        const name = this.ident('a variant name');
        const cases = this.list(() => {
          const n = this.ident('a case name');
          let type: TypeRef | null = null;
          if (this.eatOp('(')) {
            type = this.type();
            this.op(')');
          }
          return { ...n, type };
        });
        return { k: 'variant', ...name, ...attrs, cases };
      }
      case 'enum':
      case 'flags': {
        this.next();
        const name = this.ident(`a ${t.text} name`);
        const names = this.list(() => this.ident(t.text === 'enum' ? 'a case name' : 'a flag name'));
        return { k: t.text, ...name, ...attrs, names };
      }
      case 'resource': {
        this.next();
        const name = this.ident('a resource name');
        const members: ResourceMember[] = [];
        if (this.eatOp('{')) {
          while (!this.isOp('}')) {
            if (this.peek().kind === 'eof') this.fail(this.peek(), "'}'");
            const mAttrs = this.attrs();
            if (this.isKw('constructor')) {
              const kw = this.next();
              const params = this.params();
              const result = this.eatOp('->') ? this.type() : null;
              this.op(';');
              const func: FuncDecl = { name: 'constructor', pos: kw.pos, ...mAttrs, async: false, params, result };
              members.push({ kind: 'constructor', name: 'constructor', pos: kw.pos, ...mAttrs, func });
              continue;
            }
            const n = this.ident('a resource method name');
            this.op(':');
            const isStatic = this.isKw('static') ? (this.next(), true) : false;
            const func = this.funcType(n, mAttrs);
            this.op(';');
            members.push({ kind: isStatic ? 'static' : 'method', name: n.name, pos: n.pos, ...mAttrs, func });
          }
          this.op('}');
        } else this.op(';');
        return { k: 'resource', ...name, ...attrs, members };
      }
      case 'type': {
        this.next();
        const name = this.ident('a type name');
        this.op('=');
        const target = this.type();
        this.op(';');
        return { k: 'alias', ...name, ...attrs, target };
      }
      default:
        return null;
    }
  }
  type(): TypeRef {
    if (++this.depth > MAX_TYPE_NESTING) throw witError(this.peek().pos, `types nested deeper than ${MAX_TYPE_NESTING}`);
    try {
      return this.typeInner();
    } finally {
      this.depth--;
    }
  }

  typeInner(): TypeRef {
    const t = this.next();
    if (t.kind !== 'id') this.fail(t, 'a type');
    const pos = t.pos;
    if (t.escaped) return { k: 'named', name: t.text, pos };
    if (PRIMS.has(t.text)) {
      const name = t.text === 'float32' ? 'f32' : t.text === 'float64' ? 'f64' : t.text;
      return { k: 'prim', name, pos };
    }
    switch (t.text) {
      case 'list': {
        this.op('<');
        const element = this.type();
        let length: number | undefined;
        if (this.eatOp(',')) {
          const n = this.next();
          if (n.kind !== 'num' || !/^\d+$/.test(n.text) || Number(n.text) === 0 || Number(n.text) > 0xffffffff) this.fail(n, 'a list length (1..2^32-1)');
          length = Number(n.text);
        }
        this.op('>');
        return length === undefined ? { k: 'list', element, pos } : { k: 'list', element, length, pos };
      }
      case 'option': {
        this.op('<');
        const type = this.type();
        this.op('>');
        return { k: 'option', type, pos };
      }
      case 'result': {
        if (!this.eatOp('<')) return { k: 'result', ok: null, err: null, pos };
        const ok = this.eatOp('_') ? null : this.type();
        const err = this.eatOp(',') ? this.type() : null;
        if (ok === null && err === null) this.fail(this.peek(), "', <error type>' after '_'");
        this.op('>');
        return { k: 'result', ok, err, pos };
      }
      case 'tuple': {
        this.op('<');
        const types: TypeRef[] = [];
        while (!this.isOp('>')) {
          types.push(this.type());
          if (!this.eatOp(',')) break;
        }
        this.op('>');
        return { k: 'tuple', types, pos };
      }
      case 'own':
      case 'borrow': {
        this.op('<');
        const resource = this.ident('a resource name');
        this.op('>');
        return { k: t.text, resource, pos };
      }
      case 'future':
      case 'stream': {
        if (!this.eatOp('<')) return { k: t.text, type: null, pos };
        const type = this.type();
        this.op('>');
        return { k: t.text, type, pos };
      }
      default:
        return { k: 'named', name: t.text, pos };
    }
  }
}
