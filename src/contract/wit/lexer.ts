/**
 * WIT lexer (WIT.md "Lexical structure"): identifiers (with `%` escapes),
 * operators, versions/integers, and doc comments, each with a 1-based
 * line:column so every later error and finding can point at the source.
 */
import { WitplugError, ErrorCodes } from '../../errors.js';

export interface SrcPos {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export type TokenKind = 'id' | 'op' | 'num' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier without its `%`, operator text, or the number/version text. */
  readonly text: string;
  /** True for `%name`: never a keyword. */
  readonly escaped: boolean;
  readonly pos: SrcPos;
  /** `///` and `/** … *\/` comments directly before this token. */
  readonly docs: string;
  /** Where the first of those comments starts. */
  readonly docsPos?: SrcPos;
}

/**
 * Bounds on what one WIT file may cost the host: its size, and its token
 * count (real WIT runs at ~6 characters a token, so 4 MiB of it holds under
 * a million; the token bound stops 4 MiB of one-character tokens). Type
 * nesting is bounded in ./parser.ts.
 */
export const MAX_WIT_BYTES = 4 * 1024 * 1024;
export const MAX_WIT_TOKENS = 1_000_000;

export function witError(pos: SrcPos, message: string): WitplugError {
  return new WitplugError(ErrorCodes.CONTRACT, `${pos.file}:${pos.line}:${pos.column}: ${message}`, {
    details: { file: pos.file, line: pos.line, column: pos.column },
  });
}

const OPS = ['->', '{', '}', '(', ')', '<', '>', ',', ':', ';', '.', '=', '@', '*', '/', '_'];

export function lex(source: string, file: string): Token[] {
  if (source.length > MAX_WIT_BYTES || Buffer.byteLength(source, 'utf8') > MAX_WIT_BYTES) throw witError({ file, line: 1, column: 1 }, `WIT file larger than ${MAX_WIT_BYTES} bytes`);
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let docs: string[] = [];
  let docsPos: SrcPos | undefined;
  const push = (kind: TokenKind, text: string, escaped: boolean, pos: SrcPos): void => {
    if (out.length >= MAX_WIT_TOKENS) throw witError(pos, `WIT file has more than ${MAX_WIT_TOKENS} tokens`);
    if (docsPos === undefined) out.push({ kind, text, escaped, pos, docs: '' });
    else {
      out.push({ kind, text, escaped, pos, docs: docs.join('\n'), docsPos });
      docs = [];
      docsPos = undefined;
    }
  };
  const here = (): SrcPos => ({ file, line, column: i - lineStart + 1 });
  const newline = (at: number): void => {
    line++;
    lineStart = at + 1;
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      newline(i);
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      const end = source.indexOf('\n', i);
      const text = source.slice(i, end < 0 ? source.length : end);
      if (text.startsWith('///') && !text.startsWith('////')) {
        docsPos ??= here();
        docs.push(text.slice(3).trim());
      }
      i = end < 0 ? source.length : end;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const start = here();
      const isDoc = source[i + 2] === '*' && source[i + 3] !== '/';
      // Block comments nest in WIT.
      let depth = 0;
      let j = i;
      while (j < source.length) {
        if (source[j] === '/' && source[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (source[j] === '*' && source[j + 1] === '/') {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else {
          if (source[j] === '\n') newline(j);
          j++;
        }
      }
      if (depth !== 0) throw witError(start, 'unterminated block comment');
      if (isDoc) {
        docsPos ??= start;
        docs.push(source.slice(i + 3, j - 2).trim());
      }
      i = j;
      continue;
    }
    const pos = here();
    const escaped = c === '%';
    if (escaped || /[A-Za-z]/.test(c)) {
      // Words after the first may start with a digit (`get-2d`); each word is all lower or all upper case.
      const m = /^%?[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*/.exec(source.slice(i, i + 512));
      if (!m || (escaped && m[0].length === 1)) throw witError(pos, `invalid identifier`);
      const mixed = /[A-Z]/.test(m[0]) ? m[0].split('-').find((w) => /[a-z]/.test(w) && /[A-Z]/.test(w)) : undefined;
      if (mixed) throw witError(pos, `invalid identifier '${m[0]}': the word '${mixed}' mixes upper and lower case`);
      push('id', escaped ? m[0].slice(1) : m[0], escaped, pos);
      i += m[0].length;
      continue;
    }
    if (/[0-9]/.test(c)) {
      // Numbers and semver versions (`1.2.3-pre.1+build`) share one token; the parser decides.
      const m = /^[0-9]+(?:\.[0-9]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?/.exec(source.slice(i, i + 256))!;
      push('num', m[0], false, pos);
      i += m[0].length;
      continue;
    }
    const op = OPS.find((o) => source.startsWith(o, i));
    if (!op) throw witError(pos, `unexpected character ${JSON.stringify(c)}`);
    push('op', op, false, pos);
    i += op.length;
  }
  out.push({ kind: 'eof', text: '', escaped: false, pos: here(), docs: '' });
  return out;
}
