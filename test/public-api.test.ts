import { describe, expect, expectTypeOf, it } from 'vitest';
import ts from 'typescript';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as api from '../src/index.js';
import { VERSION } from '../src/version.js';

describe('public API', () => {
  it('exports exactly this list (a change here is a change of the public API)', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "AdmissionCodes",
        "CompileCache",
        "DEFAULT_MAX_OUTPUT_BYTES",
        "ErrorCodes",
        "HostServices",
        "JournalKvStore",
        "LATENCY_BUCKETS_US",
        "MemoryKvStore",
        "NoteCodes",
        "PluginHost",
        "PluginKv",
        "PluginMetrics",
        "SqliteKvStore",
        "VERSION",
        "WitplugError",
        "admit",
        "asyncHost",
        "bindExports",
        "clearContractCache",
        "currentCaller",
        "defaultCacheDir",
        "isWitplugError",
        "jsonLineLogger",
        "loadContract",
        "loadPlugin",
        "openKvStore",
        "parseGrant",
        "prepare",
        "readGrantManifest",
        "recordLogger",
        "sharedCompileCache",
        "sqliteAvailable",
        "terminalProgress",
        "watchPluginDir",
      ]
    `);
  });

  it('VERSION matches package.json', () => {
    expect(VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });
});

describe('documentation links', () => {
  it('every relative link in README.md and docs/ points at a file inside the repository', () => {
    const root = resolve('.');
    const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    const broken: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
        const abs = resolve(dirname(file), target);
        if (!abs.startsWith(root + '/') || !existsSync(abs)) broken.push(`${file} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('the exported Plugin type', () => {
  it('shows the public surface only (instantiation, call guard and call routes stay inside witplug)', () => {
    expectTypeOf<keyof api.Plugin>().toEqualTypeOf<
      | 'name' | 'shape' | 'closed' | 'disabledReason' | 'fn' | 'call' | 'close' | 'componentHash' | 'loadInfo' | 'lastFuel' | 'limits' | 'instantiation'
      | 'caller' | 'fnAsync' | 'callAsync'
    >();
  });
});

/** Every module a file refers to, as written: import and export declarations, `import()` types and calls. */
function moduleReferences(path: string): string[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push(n.moduleSpecifier.text);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push(n.argument.literal.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  return out;
}

describe('the CLI is built on the public API only', () => {
  it('src/cli/* imports nothing from the library but src/index.ts and src/tools.ts (imports, re-exports, import() types and calls)', () => {
    const offenders: string[] = [];
    for (const f of readdirSync('src/cli').filter((x) => x.endsWith('.ts'))) {
      for (const specifier of moduleReferences(join('src/cli', f))) {
        if (specifier.startsWith('../') && specifier !== '../index.js' && specifier !== '../tools.js') offenders.push(`${f}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the module check sees every form a file can reach another module by', () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-refs-'));
    const file = join(dir, 'forms.ts');
    writeFileSync(file, [
      "import { a } from '../a.js';",
      "import type { B } from '../b.js';",
      "export { c } from '../c.js';",
      "export * from '../d.js';",
      "type E = import('../e.js').E;",
      "const f = () => import('../f.js');",
    ].join('\n'));
    expect(moduleReferences(file).sort()).toEqual(['../a.js', '../b.js', '../c.js', '../d.js', '../e.js', '../f.js']);
  });

  it('src/contract/ does not reach into src/compile/ (contracts sit below compilation)', () => {
    const offenders = readdirSync('src/contract', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /from '(\.\.\/)+compile\//.test(readFileSync(join('src/contract', f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('witplug/tools', () => {
  it('exports exactly this list', async () => {
    expect(Object.keys(await import('../src/tools.js')).sort()).toMatchInlineSnapshot(`
      [
        "DEFAULT_CACHE_MAX_BYTES",
        "LANGS",
        "METADATA_SECTION",
        "PROJECT_FILE",
        "addPluginMetadata",
        "admitShape",
        "buildProject",
        "cacheMaxBytes",
        "decodeComponent",
        "diffWorlds",
        "directoryProblem",
        "findPluginMetadata",
        "fingerprintFunc",
        "fingerprintInterface",
        "fingerprintValType",
        "formatDiff",
        "formatDiffFailure",
        "fromJson",
        "generateBindings",
        "generateCBindings",
        "generateGuestTypes",
        "grantedImports",
        "inspectComponent",
        "isBreaking",
        "isGranted",
        "isLang",
        "jcoFunction",
        "loadWitWorld",
        "newProject",
        "parseByteCount",
        "parseWasiChoice",
        "parseWit",
        "parseWitTree",
        "printInterfaceBody",
        "printWorldItem",
        "pruneCache",
        "readInput",
        "readPluginManifest",
        "readProject",
        "readWitAgainstRef",
        "readWitTree",
        "readWitTreeAtRef",
        "resolveExport",
        "resolveWitWorld",
        "scanCache",
        "timeCalls",
      ]
    `);
  });
});
