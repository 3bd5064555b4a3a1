/**
 * Recursive-descent WIT parser (WIT.md grammar) into ./ast.ts. Every error
 * is a CONTRACT WitplugError whose message starts with `file:line:column`.
 */
import type {
  Attrs,
  ExternDecl,
  FuncDecl,
  Gate,
  InterfaceDecl,
  InterfaceItem,
  Named,
  PackageBody,
  PackageDecl,
  ParamDecl,
  ResourceMember,
  TopUse,
  TypeDecl,
  TypeRef,
  UseDecl,
  UsePath,
  WitFile,
  WorldDecl,
  WorldItemDecl,
} from './ast.js';
import { lex, witError, type Token } from './lexer.js';

const PRIMS = new Set([
  'bool', 's8', 'u8', 's16', 'u16', 's32', 'u32', 's64', 'u64', 'f32', 'f64', 'char', 'string', 'error-context',
]);
/** WIT's keywords: a name spelled like one must be written `%name`. */
const KEYWORDS = new Set([
  'use', 'type', 'func', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64', 'char', 'bool', 'string',
  'option', 'result', 'resource', 'own', 'borrow', 'record', 'flags', 'variant', 'enum', 'future', 'stream', 'error-context',
  'list', 'map', 'tuple', 'as', 'static', 'interface', 'world', 'import', 'export', 'package', 'constructor', 'include', 'with', 'async',
]);
/**
 * Nesting bound for types like `list<list<…>>`, so hostile input can't overflow
 * the stack (other blocks cannot nest: a package block holds interfaces and
 * worlds, whose bodies hold no further blocks).
 */
export const MAX_TYPE_NESTING = 100;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: readonly Token[]) {}

  peek(n = 0): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  isOp(text: string, n = 0): boolean {
    const t = this.peek(n);
    return t.kind === 'op' && t.text === text;
  }
  /** A keyword is an unescaped identifier with that text. */
  isKw(text: string, n = 0): boolean {
    const t = this.peek(n);
    return t.kind === 'id' && !t.escaped && t.text === text;
  }
  fail(t: Token, expected: string): never {
    const found = t.kind === 'eof' ? 'end of file' : `'${t.text}'`;
    throw witError(t.pos, `expected ${expected}, found ${found}`);
  }
  op(text: string): Token {
    const t = this.next();
    if (t.kind !== 'op' || t.text !== text) this.fail(t, `'${text}'`);
    return t;
  }
  eatOp(text: string): boolean {
    if (!this.isOp(text)) return false;
    this.i++;
    return true;
  }
  kw(text: string): Token {
    const t = this.next();
    if (t.kind !== 'id' || t.escaped || t.text !== text) this.fail(t, `'${text}'`);
    return t;
  }
  ident(what = 'an identifier'): Named {
    const t = this.next();
    if (t.kind !== 'id') this.fail(t, what);
    if (!t.escaped && KEYWORDS.has(t.text)) throw witError(t.pos, `expected ${what}, found keyword '${t.text}' (write '%${t.text}' to use it as a name)`);
    return { name: t.text, pos: t.pos };
  }
  version(): string {
    const t = this.next();
    if (t.kind !== 'num' || !/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(t.text)) this.fail(t, 'a semver version');
    return t.text;
  }

  // ---- attributes ------------------------------------------------------

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

  // ---- top level -------------------------------------------------------

  file(file: string): WitFile {
    let pkg: PackageDecl | null = null;
    const nested: PackageBody[] = [];
    const attrs = this.attrs();
    if (this.isKw('package')) {
      const decl = this.packageDecl();
      if (this.isOp('{')) {
        // The whole file may be nested packages only.
        nested.push(this.packageBlock(decl));
      } else {
        this.op(';');
        pkg = decl;
      }
    }
    // Attributes read before a package declaration were the package's; otherwise they belong to the first item.
    const body = this.items(pkg, nested, pkg || nested.length ? null : attrs);
    return { file, ...body, nested };
  }

  packageDecl(): PackageDecl {
    const kw = this.kw('package');
    const ns = this.ident('a package namespace');
    this.op(':');
    let name = this.ident('a package name').name;
    // Nested namespaces (`a:b:c`) are part of the name.
    while (this.eatOp(':')) name += `:${this.ident('a package name').name}`;
    const version = this.eatOp('@') ? this.version() : null;
    const decl: PackageDecl = { namespace: ns.name, name, version, pos: kw.pos, namePos: ns.pos };
    return kw.docs && kw.docsPos ? { ...decl, docsPos: kw.docsPos } : decl;
  }

  packageBlock(decl: PackageDecl): PackageBody {
    this.op('{');
    const body = this.items(decl, null, null, true);
    this.op('}');
    return body;
  }

  items(pkg: PackageDecl | null, nested: PackageBody[] | null, first: Attrs | null, inBlock = false): PackageBody {
    const interfaces: InterfaceDecl[] = [];
    const worlds: WorldDecl[] = [];
    const uses: TopUse[] = [];
    let pending = first;
    for (;;) {
      if (inBlock && this.isOp('}')) break;
      if (this.peek().kind === 'eof') {
        if (inBlock) this.fail(this.peek(), "'}'");
        break;
      }
      const attrs = pending ?? this.attrs();
      pending = null;
      const t = this.peek();
      if (this.isKw('interface')) interfaces.push(this.interfaceDecl(attrs));
      else if (this.isKw('world')) worlds.push(this.worldDecl(attrs));
      else if (this.isKw('use')) uses.push(this.topUse());
      else if (this.isKw('package') && nested && !inBlock) {
        const decl = this.packageDecl();
        if (!this.isOp('{')) this.fail(this.peek(), "'{' (a package declaration must come first in a file)");
        nested.push(this.packageBlock(decl));
      } else this.fail(t, "'interface', 'world', 'use' or 'package'");
    }
    return { package: pkg, interfaces, worlds, uses };
  }

  topUse(): TopUse {
    const kw = this.kw('use');
    const path = this.usePath();
    const as = this.isKw('as') ? (this.next(), this.ident()) : null;
    this.op(';');
    return { path, as, pos: kw.pos };
  }

  usePath(): UsePath {
    const first = this.ident('an interface name');
    if (!this.isOp(':')) return { pkg: null, iface: first.name, pos: first.pos, namePos: first.pos };
    this.op(':');
    let pkgName = this.ident('a package name').name;
    while (this.eatOp(':')) pkgName += `:${this.ident('a package name').name}`;
    this.op('/');
    const iface = this.ident('an interface or world name');
    const version = this.eatOp('@') ? this.version() : null;
    return { pkg: { namespace: first.name, name: pkgName, version }, iface: iface.name, pos: first.pos, namePos: iface.pos };
  }

  // ---- interfaces -------------------------------------------------------

  interfaceDecl(attrs: Attrs): InterfaceDecl {
    this.kw('interface');
    const name = this.ident('an interface name');
    return { ...name, ...attrs, items: this.interfaceBody() };
  }

  interfaceBody(): InterfaceItem[] {
    this.op('{');
    const items: InterfaceItem[] = [];
    while (!this.isOp('}')) {
      if (this.peek().kind === 'eof') this.fail(this.peek(), "'}'");
      const attrs = this.attrs();
      if (this.isKw('use')) items.push({ k: 'use', decl: this.useDecl(attrs) });
      else {
        const td = this.typeDecl(attrs);
        if (td) items.push({ k: 'type', decl: td });
        else items.push({ k: 'func', decl: this.namedFunc(attrs) });
      }
    }
    this.op('}');
    return items;
  }

  useDecl(attrs: Attrs): UseDecl {
    const kw = this.kw('use');
    const path = this.usePath();
    this.op('.');
    this.op('{');
    const names: (Named & { as: Named | null })[] = [];
    do {
      if (this.isOp('}')) break;
      const n = this.ident('a type name');
      const as = this.isKw('as') ? (this.next(), this.ident()) : null;
      names.push({ ...n, as });
    } while (this.eatOp(','));
    this.op('}');
    this.op(';');
    return { ...attrs, path, names, pos: kw.pos };
  }

  /** `name: func(…)` */
  namedFunc(attrs: Attrs): FuncDecl {
    const name = this.ident("a function or type definition ('record', 'func', …)");
    this.op(':');
    const f = this.funcType(name, attrs);
    this.op(';');
    return f;
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

  /** `{ a, b, c }` with an optional trailing comma. */
  list<T>(item: () => T): T[] {
    this.op('{');
    const out: T[] = [];
    while (!this.isOp('}')) {
      out.push(item());
      if (!this.eatOp(',')) break;
    }
    this.op('}');
    return out;
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

  // ---- worlds -------------------------------------------------------------

  worldDecl(attrs: Attrs): WorldDecl {
    this.kw('world');
    const name = this.ident('a world name');
    this.op('{');
    const items: WorldItemDecl[] = [];
    while (!this.isOp('}')) {
      if (this.peek().kind === 'eof') this.fail(this.peek(), "'}'");
      const a = this.attrs();
      const t = this.peek();
      if (this.isKw('import') || this.isKw('export')) {
        this.next();
        items.push({ k: t.text as 'import' | 'export', extern: this.extern(), pos: t.pos, ...a });
      } else if (this.isKw('include')) {
        this.next();
        const path = this.usePath();
        const withs: { from: string; to: Named }[] = [];
        if (this.isKw('with')) {
          this.next();
          this.list(() => {
            const from = this.ident();
            this.kw('as');
            withs.push({ from: from.name, to: this.ident() });
          });
        } else this.op(';');
        items.push({ k: 'include', path, with: withs, pos: t.pos, gates: a.gates });
      } else if (this.isKw('use')) items.push({ k: 'use', decl: this.useDecl(a) });
      else {
        const td = this.typeDecl(a);
        if (!td) this.fail(t, "'import', 'export', 'include', 'use' or a type definition");
        items.push({ k: 'type', decl: td });
      }
    }
    this.op('}');
    return { ...name, ...attrs, items };
  }

  extern(): ExternDecl {
    // `name: interface {…}` / `name: func(…)` / a path (`iface`, `ns:pkg/iface@v`).
    if (this.peek().kind === 'id' && this.isOp(':', 1) && this.peek(2).kind === 'id' && !this.isOp('/', 3) && !this.isOp(':', 3)) {
      const name = this.ident();
      this.op(':');
      if (this.isKw('interface')) {
        this.next();
        const items = this.interfaceBody();
        return { k: 'interface', name, items };
      }
      if (!this.isKw('func') && !(this.isKw('async') && this.isKw('func', 1))) {
        const path = this.usePath();
        this.op(';');
        return { k: 'labelled', name, path };
      }
      const func = this.funcType(name, { docs: '', gates: [] });
      this.op(';');
      return { k: 'func', name, func };
    }
    const path = this.usePath();
    this.op(';');
    return { k: 'path', path };
  }
}

/** Parses one WIT file's text. */
export function parseWit(source: string, file: string): WitFile {
  return new Parser(lex(source, file)).file(file);
}
