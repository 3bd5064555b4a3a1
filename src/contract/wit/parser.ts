/**
 * Recursive-descent WIT parser (WIT.md grammar) into ./ast.ts: files,
 * packages, interfaces and worlds; types are read by ./type-parser.ts. Every
 * error is a CONTRACT WitplugError whose message starts with `file:line:column`.
 */
import type {
  Attrs,
  ExternDecl,
  FuncDecl,
  InterfaceDecl,
  InterfaceItem,
  Named,
  PackageBody,
  PackageDecl,
  TopUse,
  UseDecl,
  UsePath,
  WitFile,
  WorldDecl,
  WorldItemDecl,
} from './ast.js';
import { lex } from './lexer.js';
import { TypeParser } from './type-parser.js';

class Parser extends TypeParser {
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
