/**
 * The decoder refuses labels and import/export names that are not WIT names
 * (Explainer.md "Import and export definitions"): they become JS property
 * keys and appear in generated code, so nothing else may get past admission.
 *
 * Hostile names are put straight into real component bytes: a type-only
 * component is built from WIT with placeholder names, and a placeholder is
 * overwritten in place with a hostile name of the same length (so the
 * length prefix stays right) — no jco validation in between.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { componentEmbed, componentNew } from '@bytecodealliance/jco';
import { decodeComponent } from '../src/component/decode.js';
import { isExternName, isLabel } from '../src/component/labels.js';
import { WitplugError } from '../src/errors.js';

/** Every placeholder is 20 bytes, as long as the injection of the issue. */
const INJECTION = "a:console.log('x'),b";
const PLACEHOLDERS = {
  field: 'pfield-aaaaaaaaaaaaa',
  case: 'pcase-bbbbbbbbbbbbbb',
  enumCase: 'penum-cccccccccccccc',
  flag: 'pflag-dddddddddddddd',
  func: 'pfunc-eeeeeeeeeeeeee',
  param: 'pparam-fffffffffffff',
  type: 'ptype-gggggggggggggg',
} as const;

const WIT = `package test:labels@0.1.0;

interface api {
  record ${PLACEHOLDERS.type} { ${PLACEHOLDERS.field}: u32 }
  variant var { ${PLACEHOLDERS.case}(u32), other }
  enum en { ${PLACEHOLDERS.enumCase}, two }
  flags fl { ${PLACEHOLDERS.flag}, two }
  ${PLACEHOLDERS.func}: func(${PLACEHOLDERS.param}: ${PLACEHOLDERS.type}, v: var, e: en, f: fl) -> u32;
}

world w {
  export api;
}
`;

let base: Uint8Array;

beforeAll(async () => {
  base = await componentNew(await componentEmbed({ dummy: true, witSource: WIT, world: 'w' }));
  decodeComponent(base); // the placeholders themselves are valid labels
}, 60_000);

/** `bytes` with every occurrence of `from` replaced by `to` (same UTF-8 length). */
function replaced(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const a = Buffer.from(from, 'utf8');
  const b = Buffer.from(to, 'utf8');
  expect(b.length).toBe(a.length);
  const out = Buffer.from(bytes);
  let at = out.indexOf(a);
  expect(at, `placeholder ${from} is in the component`).toBeGreaterThanOrEqual(0);
  while (at !== -1) {
    b.copy(out, at);
    at = out.indexOf(a, at + a.length);
  }
  return new Uint8Array(out);
}

function decodeError(bytes: Uint8Array): WitplugError {
  try {
    decodeComponent(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(WitplugError);
    return e as WitplugError;
  }
  throw new Error('expected decodeComponent to refuse the component');
}

describe('decodeComponent refuses names that are not WIT names', () => {
  const WHERE: [keyof typeof PLACEHOLDERS, RegExp][] = [
    ['field', /record field #0 name "a:console\.log\('x'\),b" is not a WIT label/],
    ['case', /variant case #0 name .* is not a WIT label/],
    ['enumCase', /enum case #0 name .* is not a WIT label/],
    ['flag', /flag #0 name .* is not a WIT label/],
    ['param', /parameter #0 name .* is not a WIT label/],
    // Function and type names are import/export names of the interface's instance type.
    // (wit-component's shims name them `import-func-…`/`import-type-…` in nested components, read first.)
    ['func', /import\/export name "[a-z-]*a:console\.log\('x'\),b" is neither/],
    ['type', /import\/export name "[a-z-]*a:console\.log\('x'\),b" is neither/],
  ];
  it.each(WHERE)('a hostile %s name → MALFORMED naming what and where', (which, message) => {
    const err = decodeError(replaced(base, PLACEHOLDERS[which], INJECTION));
    expect(err.code).toBe('MALFORMED');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/at byte offset \d+/);
  });

  it('other non-labels: non-ASCII, mixed-case words, leading digit, empty fragment, space, dot', () => {
    for (const bad of ['pfield-aaaaaaaaaaaÜ', 'pfield-aaaaaaaaaaaAa', '1field-aaaaaaaaaaaaa', 'pfield--aaaaaaaaaaaa', 'pfield aaaaaaaaaaaaa', 'pfield.aaaaaaaaaaaaa']) {
      const err = decodeError(replaced(base, PLACEHOLDERS.field, bad));
      expect(err.code).toBe('MALFORMED');
      expect(err.message).toMatch(/record field #0/);
    }
  });

  it('a hostile interface name → MALFORMED', () => {
    // Same length as test:labels/api@0.1.0.
    const err = decodeError(replaced(base, 'test:labels/api@0.1.0', "test:labels/a'+1'@0.1"));
    expect(err.code).toBe('MALFORMED');
    expect(err.message).toMatch(/import\/export name "test:labels\/a'\+1'@0\.1" is neither/);
  });
});

describe('the name grammars', () => {
  it('labels: the examples of Explainer.md', () => {
    for (const ok of ['a', 'a-b-c', 'a1-2-3', 'A', 'A-B-C', 'A1-2-3', 'a11-w0rds', 'A11-4CR0NYMS', 'm1x3d-4CR0NYMS', 'is-XML']) {
      expect(isLabel(ok), ok).toBe(true);
    }
    for (const bad of ['', '1-2-3', 'aB', 'a-', '-a', 'a--b', 'a_b', 'a b', 'é', 'a:b', '__proto__', 'constructor()', 'a\n']) {
      expect(isLabel(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('extern names: plain names, resource function names and interface names', () => {
    for (const ok of [
      'run', 'get-XML', '[constructor]blob', '[method]blob.read', '[static]blob.merge', '[async]run', '[async method]blob.read',
      'wasi:io/streams@0.2.3', 'witplug:host/log', 'a:b/c@1.2.3-rc.1+build.5', 'ns:a:pkg/outer/inner', 'a:b/c@1', 'a:b/c@0.2',
    ]) {
      expect(isExternName(ok), ok).toBe(true);
    }
    for (const bad of ['', 'wasi:io/streams@', 'wasi:io/streams@0.2.3;x', 'A:b/c', 'a:b/c@01.0.0', '[method]blob', '[method]blob.', 'a:b', "a:console.log('x'),b", 'run()']) {
      expect(isExternName(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});
