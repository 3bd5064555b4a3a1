/** The parser's cursor over WIT tokens: lookahead, expectations with positioned errors, names. */
import type { Named } from './ast.js';
import { witError, type Token } from './lexer.js';

/** WIT's keywords: a name spelled like one must be written `%name`. */
const KEYWORDS = new Set([
  'use', 'type', 'func', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64', 'char', 'bool', 'string',
  'option', 'result', 'resource', 'own', 'borrow', 'record', 'flags', 'variant', 'enum', 'future', 'stream', 'error-context',
  'list', 'map', 'tuple', 'as', 'static', 'interface', 'world', 'import', 'export', 'package', 'constructor', 'include', 'with', 'async',
]);

export class TokenStream {
  private i = 0;
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
}
