/**
 * `witplug types` over every identifier a WIT contract may spell: each
 * reserved word of JavaScript and TypeScript as a parameter, record field,
 * enum/variant case, function and interface name, and worlds named like
 * witplug's own exports. The output must compile with tsc, keep every
 * parameter (a `this` parameter must not become TypeScript's this-parameter)
 * and call a real guest with its arguments in order.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import { loadContract } from '../src/contract/load.js';
import { generateBindings } from '../src/bindings/typescript.js';
import { run } from './helpers/run.js';

const TSC = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');

/** ECMAScript's reserved words, strict mode's, the restricted names, and TypeScript's contextual keywords. */
const WORDS = [
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'enum', 'export',
  'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super',
  'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with',
  'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static', 'yield',
  'arguments', 'eval', 'await', 'async', 'of', 'get', 'set', 'undefined', 'constructor', 'prototype',
  'abstract', 'accessor', 'any', 'as', 'asserts', 'bigint', 'boolean', 'declare', 'from', 'global', 'infer', 'intrinsic', 'is',
  'keyof', 'module', 'namespace', 'never', 'number', 'object', 'out', 'override', 'readonly', 'require', 'satisfies', 'string',
  'symbol', 'type', 'unique', 'unknown', 'using',
] as const;

/** Worlds named like what the generated module imports from witplug or declares itself. */
const WORLDS = ['plugin', 'plugin-host', 'witplug', 'exports', 'hooks', 'target', 'host-resource', 'typed-plugin', 'contract'] as const;

const other = (w: string): string => (w === 'this' ? 'in' : 'this');

/**
 * Interface `%w` exports `%w: func(%w: s32, %this: s32) -> s32` (first minus
 * second, so a dropped or swapped argument shows); `types` (imported) declares
 * a record, enum, variant and flags over the words; `callbacks` is a host
 * interface with reserved parameter names.
 */
function wit(): string {
  const flags = WORDS.slice(0, 32); // flags hold at most 32 names
  const body = (world: string): string => [
    `world %${world} {`,
    '  import types;',
    '  import callbacks;',
    ...WORDS.map((w) => `  export %${w};`),
    '}',
  ].join('\n');
  return [
    'package test:reserved@1.0.0;',
    'interface types {',
    ...WORDS.map((w) => `  record %${w} { %${w}: u32, %${other(w)}: string }`),
    `  enum words { ${WORDS.map((w) => `%${w}`).join(', ')} }`,
    `  variant word-cases { ${WORDS.map((w) => `%${w}(u32)`).join(', ')} }`,
    `  flags word-flags { ${flags.map((w) => `%${w}`).join(', ')} }`,
    '}',
    'interface callbacks {',
    ...WORDS.map((w) => `  %${w}: func(%${w}: u32, %${other(w)}: u32) -> u32;`),
    '}',
    ...WORDS.map((w) => `interface %${w} {\n  %${w}: func(%${w}: s32, %${other(w)}: s32) -> s32;\n}`),
    ...WORLDS.map(body),
    '',
  ].join('\n');
}

/** A guest for world `plugin`: every `%w#%w` returns its first argument minus its second. */
function wat(): string {
  return `(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
${WORDS.map((w) => `  (func (export "test:reserved/${w}@1.0.0#${w}") (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))`).join('\n')}
)`;
}

/** `names.name` as TypeScript property access: quoted, since reserved words are legal there but not everywhere. */
const key = (s: string): string => `[${JSON.stringify(s)}]`;

/** A host app over every world's bindings: calls each function with two arguments and implements the callbacks. */
function hostApp(): string {
  return [
    "import { loadContract } from 'witplug';",
    ...WORLDS.map((w, i) => `import * as w${i} from './${w}.js';`),
    '',
    'export const callbacks = {',
    ...WORDS.map((w) => `  ${JSON.stringify(w)}: (a: number, b: number) => a - b,`),
    '};',
    ...WORLDS.map((_, i) => `export const imports${i}: w${i}.Imports = { 'test:reserved/callbacks@1.0.0': callbacks };`),
    '',
    'export const word: w0.Words = "this";',
    'export const cases: w0.WordCases[] = [{ tag: "in", val: 1 }, { tag: "this", val: 2 }];',
    '',
    'export async function callAll(): Promise<number[]> {',
    "  const plugin = await w0.loadPlugin('plugin.wasm', { contract: await loadContract('reserved.wit', 'plugin'), host: imports0 });",
    '  return [',
    ...WORDS.map((w) => `    plugin.exports${key(w)}${key(w)}(7, 2),`),
    '  ];',
    '}',
    '',
  ].join('\n');
}

function scratch(): string {
  mkdirSync('.cache', { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), '.cache', 'bindings-names-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], skipLibCheck: true,
      noUnusedLocals: true, noUnusedParameters: true,
    },
    include: ['*.ts'],
  }));
  return dir;
}

async function tsc(dir: string): Promise<{ ok: boolean; output: string }> {
  const r = await run(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')]);
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

let dir: string;
let witPath: string;
const sources = new Map<string, string>();
beforeAll(async () => {
  dir = scratch();
  witPath = join(dir, 'reserved.wit');
  writeFileSync(witPath, wit());
  for (const world of WORLDS) {
    const source = generateBindings(await loadContract(witPath, world));
    sources.set(world, source);
    writeFileSync(join(dir, `${world}.ts`), source);
  }
}, 120_000);

describe('witplug types: every reserved word of JS and TS, and worlds named like witplug\'s own exports', () => {
  it('the bindings of every world compile with a host app that calls every function with all its arguments', async () => {
    writeFileSync(join(dir, 'host-app.ts'), hostApp());
    const r = await tsc(dir);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  });

  it('a parameter named `this` stays a parameter: one argument too few fails tsc', async () => {
    writeFileSync(join(dir, 'host-app.ts'), `${hostApp()}\nexport const short = (p: Awaited<ReturnType<typeof w0.loadPlugin>>) => p.exports["class"]["class"](7);\n`);
    const r = await tsc(dir);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/error TS2554: Expected 2 arguments, but got 1/);
    // `this` as the second parameter: both parameters are in the signature.
    expect(sources.get('plugin')).toMatch(/"class": \(class_: number, this_: number\) => number;/);
  });

  it('a world named like each of witplug\'s imports declares its own loader and host next to them', () => {
    const plugin = sources.get('plugin')!;
    expect(plugin).toContain('export async function loadPlugin(');
    expect(plugin).toContain('witplug.loadPlugin(');
    expect(sources.get('plugin-host')).toContain('export function createPluginHostHost<');
    expect(sources.get('plugin-host')).toContain('export type PluginHostOptions =');
  });
});

describe('the generated loader calls a real guest with every argument in order', () => {
  it('world `plugin`: each reserved-word function returns its first argument minus its second', async () => {
    const bytes = await componentNew(await componentEmbed({ binary: await parse(wat()), witSource: wit(), world: 'plugin' }));
    writeFileSync(join(dir, 'plugin.wasm'), bytes);
    const bindings = (await import(join(dir, 'plugin.ts'))) as {
      loadPlugin: (source: Uint8Array, options: object) => Promise<{ exports: Record<string, Record<string, (a: number, b: number) => number>> }>;
    };
    const plugin = await bindings.loadPlugin(bytes, { contract: await loadContract(witPath, 'plugin'), log: () => {} });
    for (const w of WORDS) expect(plugin.exports[w]![w]!(7, 2), w).toBe(5);
  });
});
