/**
 * witplug's own WIT parser: positions, errors with file:line:column, and
 * agreement with jco's WIT route (the test oracle) on the repo's contracts.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { liveShape, loadWitWorld, parseWit, readWitTree, MAX_WIT_TREE_BYTES } from '../src/contract/wit/index.js';
import { MAX_WIT_BYTES } from '../src/contract/wit/lexer.js';
import { isWitplugError } from '../src/errors.js';
import { canonical } from './helpers/shape.js';
import { diffWorlds } from '../src/diff/diff.js';
import { loadContractViaJco } from './helpers/jco-contract.js';

const CONTRACTS: [string, string][] = [
  ['wit', 'gateway-plugin'],
  ['wit', 'witplug:host/host-capabilities@0.1.0'],
  ['test/fixtures/admission/base.wit', 'plugin'],
  ['guests/wat-adversarial/wit', 'adversarial'],
  ['guests/wat-adversarial/wit', 'fat'],
  ['guests/wat-adversarial/wit', 'reader'],
  ['guests/wat-fixture/calc.wit', 'calc'],
  ['bench/guests/bench.wit', 'bench'],
  // Resources, `use … as`, fixed-length lists, futures/streams, inline interfaces, world-level
  // functions and types, `include … with`, aliases of named types (dead ones are dropped by jco).
  ['test/fixtures/wit/shapes.wit', 'plugin'],
  ['test/fixtures/wit/include-with.wit', 'plugin'],
  ['test/fixtures/wit/aliases-and-worlds.wit', 'plugin'],
];

// jco's route reads the world from the embedded component-type section (every item the world
// declares, type-only interfaces included): the parser's shape must equal it exactly.
describe('WIT parser agrees with the jco route on the repo contracts', () => {
  for (const [path, world] of CONTRACTS) {
    it(`${path} ${world}`, async () => {
      const jco = await loadContractViaJco(resolve(path), world);
      const mine = await loadWitWorld(path, world);
      expect(canonical(mine.shape)).toBe(canonical(jco.shape));
    });
  }

  it('keeps interfaces that only declare types, as jco\'s world type does (a componentNew-built plugin drops them: liveShape)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-wit-'));
    const file = join(dir, 'types-only.wit');
    writeFileSync(file, 'package t:x;\n\ninterface shared {\n  enum color { red, green }\n}\n\nworld w {\n  import shared;\n  export run: func();\n}\n');
    const jco = await loadContractViaJco(resolve(file), 'w');
    expect(jco.shape.imports.map((i) => i.name)).toEqual(['t:x/shared']);
    const mine = await loadWitWorld(file, 'w');
    expect(canonical(mine.shape)).toBe(canonical(jco.shape));
    expect(liveShape(mine.shape, mine.sources).imports).toEqual([]);
  });
});

describe('WIT parser positions and attributes', () => {
  it('keeps docs and gates as written, with line:column of every name', () => {
    const f = parseWit('package a:b@1.0.0;\n\n/// The API.\n@since(version = 1.0.0)\ninterface api {\n  /// Reads.\n  @unstable(feature = fancy)\n  read: func(n: u32) -> list<u8>;\n}\n', 'x.wit');
    const api = f.interfaces[0]!;
    expect(api).toMatchObject({ name: 'api', docs: 'The API.', pos: { file: 'x.wit', line: 5, column: 11 } });
    expect(api.gates).toEqual([{ kind: 'since', value: '1.0.0', pos: { file: 'x.wit', line: 4, column: 1 } }]);
    const read = api.items[0]!;
    expect(read.k).toBe('func');
    if (read.k !== 'func') return;
    expect(read.decl).toMatchObject({ name: 'read', docs: 'Reads.', pos: { line: 8, column: 3 } });
    expect(read.decl.gates[0]).toMatchObject({ kind: 'unstable', value: 'fancy' });
    expect(read.decl.params[0]).toMatchObject({ name: 'n', pos: { line: 8, column: 14 } });
  });

  it('leaves @unstable items out of the shape, as wasm-tools does without features', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-wit-'));
    const file = join(dir, 'gated.wit');
    writeFileSync(file, 'package t:x@1.0.0;\n\ninterface api {\n  @unstable(feature = next)\n  later: func();\n  now: func();\n}\n\nworld w {\n  export api;\n}\n');
    const jco = await loadContractViaJco(resolve(file), 'w');
    const mine = await loadWitWorld(file, 'w');
    expect(canonical(mine.shape)).toBe(canonical(jco.shape));
  });
});

describe('WIT errors carry file:line:column', () => {
  const cases: [string, string, RegExp][] = [
    ['missing brace', 'package a:b;\ninterface i {\n  f: func();\n', /^bad\.wit:4:1: expected '\}', found end of file/],
    ['unexpected token', 'package a:b;\ninterface i {\n  f: func(x u32);\n}\n', /^bad\.wit:3:13: expected ':', found 'u32'/],
    ['bad character', 'package a:b;\ninterface i {\n  f: func() -> $;\n}\n', /^bad\.wit:3:16: unexpected character "\$"/],
    ['unterminated comment', 'package a:b;\n/* never closed\ninterface i {}\n', /^bad\.wit:2:1: unterminated block comment/],
    ['bad version', 'package a:b@1.x;\n', /^bad\.wit:1:13: expected a semver version/],
    ['unknown type', 'package a:b;\ninterface i {\n  f: func(x: nope);\n}\nworld w { export i; }\n', /^bad\.wit:3:14: type 'nope' not defined/],
    ['unknown interface', 'package a:b;\nworld w {\n  import missing;\n}\n', /^bad\.wit:3:10: interface 'missing' not found/],
    ['duplicate field', 'package a:b;\ninterface i {\n  record r { a: u32, a: u8 }\n  f: func(x: r);\n}\nworld w { export i; }\n', /^bad\.wit:3:22: duplicate field name 'a'/],
    ['self-referential type', 'package a:b;\ninterface i {\n  type t = list<t>;\n  f: func(x: t);\n}\nworld w { export i; }\n', /^bad\.wit:3:17: type 't' depends on itself/],
    ['use cycle', 'package a:b;\ninterface i {\n  use j.{y};\n  type x = u8;\n}\ninterface j {\n  use i.{x};\n  type y = u8;\n}\nworld w { export i; }\n', /^bad\.wit:6:11: interface j depends on itself through a cycle of 'use'/],
    ['deep nesting', `package a:b;\ninterface i {\n  f: func(x: ${'list<'.repeat(500)}u8${'>'.repeat(500)});\n}\n`, /^bad\.wit:3:\d+: types nested deeper than 100/],
    ['long alias chain', `package a:b;\ninterface i {\n${Array.from({ length: 300 }, (_, k) => `  type t${k} = t${k + 1};\n`).join('')}  type t300 = u8;\n  f: func(x: t0);\n}\nworld w { export i; }\n`, /^bad\.wit:\d+:\d+: chain of type definitions longer than 100/],
    ['deep nesting through aliases', `package a:b;\ninterface i {\n  type t0 = u8;\n${Array.from({ length: 150 }, (_, k) => `  type t${k + 1} = list<t${k}>;\n`).join('')}  f: func(x: t150);\n}\nworld w { export i; }\n`, /^bad\.wit:\d+:\d+: type nested deeper than 100/],
    ['too many tokens', `package a:b;\n${';'.repeat(1_000_001)}\n`, /^bad\.wit:2:\d+: WIT file has more than 1000000 tokens/],
    ['includes too deep', `package a:b;\n${Array.from({ length: 150 }, (_, k) => `world w${k} { include w${k + 1}; }\n`).join('')}world w150 { import f: func(); }\nworld w { include w0; }\n`, /^bad\.wit:\d+:\d+: worlds include each other more than 100 deep/],
    // Each level includes the next twice: 2^40 worlds if nothing counted them.
    ['includes doubling per level', `package a:b;\ninterface i { f: func(); }\n${Array.from({ length: 40 }, (_, k) => `world w${k} { include w${k + 1}; include w${k + 1}; }\n`).join('')}world w40 { import i; }\nworld w { include w0; }\n`, /^bad\.wit:\d+:\d+: a world includes more than 10000 worlds/],
    ['long use chain', `package a:b;\n${Array.from({ length: 300 }, (_, k) => `interface i${k} {\n  use i${k + 1}.{t};\n}\n`).join('')}interface i300 {\n  type t = u8;\n}\nworld w { export i0; }\n`, /^bad\.wit:\d+:\d+: chain of 'use' between interfaces longer than 100/],
  ];
  it('a file over the size bound is refused before it is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-wit-'));
    const file = join(dir, 'big.wit');
    writeFileSync(file, '');
    truncateSync(file, MAX_WIT_BYTES + 1);
    await expect(loadWitWorld(file, 'w')).rejects.toMatchObject({ code: 'CONTRACT', message: expect.stringMatching(/larger than 4194304 bytes/) });
  });

  it('a tree over the total size bound is refused, however it is split into files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-wit-'));
    const files = Math.floor(MAX_WIT_TREE_BYTES / MAX_WIT_BYTES) + 1;
    for (let k = 0; k < files; k++) {
      // Sparse files: nothing is written to disk.
      writeFileSync(join(dir, `f${k}.wit`), '');
      truncateSync(join(dir, `f${k}.wit`), MAX_WIT_BYTES);
    }
    await expect(readWitTree(dir)).rejects.toMatchObject({ code: 'CONTRACT', message: expect.stringMatching(/larger than 33554432 bytes in total/) });
  });

  for (const [name, text, re] of cases) {
    it(name, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'witplug-wit-'));
      writeFileSync(join(dir, 'bad.wit'), text);
      const err = await loadWitWorld(join(dir, 'bad.wit'), 'w').then(
        () => null,
        (e: unknown) => e,
      );
      expect(isWitplugError(err), String(err)).toBe(true);
      if (!isWitplugError(err)) return;
      expect(err.code).toBe('CONTRACT');
      expect(err.message.slice(dir.length + 1)).toMatch(re);
      expect(err.details).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    });
  }
});

describe('world-level items reach diff', () => {
  it('a world-level use imports its interface, world resources keep their methods, a name may be imported and exported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-wit-'));
    const world = (used: string, extra: string): string =>
      `package t:x;\ninterface a { type g = char; }\ninterface b { type g = char; }\nworld w {\n  use ${used}.{g};\n  import f: func() -> g;\n  export x: func(v: r);\n${extra}}\n`;
    writeFileSync(join(dir, 'old.wit'), world('a', '  resource r { constructor(); m: func(); }\n'));
    writeFileSync(join(dir, 'new.wit'), world('b', '  resource r { constructor(); m: func(); n: func(); }\n  import x: func();\n'));
    const report = diffWorlds(await loadWitWorld(join(dir, 'old.wit')), await loadWitWorld(join(dir, 'new.wit')));
    const found = report.findings.map((f) => `${f.rule} ${f.path}`);
    expect(found).toContain('IMPORT_REMOVED import t:x/a');
    expect(found).toContain('IMPORT_ADDED import t:x/b');
    expect(found).toContain('IMPORT_ADDED import [method]r.n');
    expect(found).toContain('IMPORT_ADDED import x');
  });
});
