import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './helpers/run.js';
import { cli } from './helpers/cli.js';

const TSC = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
const JS_GUEST = readFileSync(join(process.cwd(), 'guests', 'js', 'gateway.js'), 'utf8');
const KINDS_GUEST = readFileSync(join(process.cwd(), 'test', 'fixtures', 'bindings', 'kinds-guest.ts'), 'utf8');
/** Not named after a guest: `x.d.ts` would be read as the declarations of `x.js`. */
const TYPES = 'witplug-guest.d.ts';

function scratch(): string {
  mkdirSync('.cache', { recursive: true });
  return mkdtempSync(join(process.cwd(), '.cache', 'guest-types-'));
}

/** Type-checks `files` (JS checked too) in `dir`; the guest types come from `witplug types --guest`. */
async function tsc(dir: string, files: readonly string[]): Promise<string> {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
      allowJs: true, checkJs: true, types: [],
    },
    files: [TYPES, ...files],
  }));
  const r = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir });
  return r.stdout + r.stderr;
}

/** A TS file checking that module `name` exports what the world asks for (`satisfies Exports`). */
function moduleCheck(dir: string, name: string, world: string): string {
  const file = `check-${name}.ts`;
  writeFileSync(join(dir, file), `import * as guest from './${name}.js';\nimport type { Exports } from 'witplug:guest/${world}';\nguest satisfies Exports;\n`);
  return file;
}

/** Errors tsc reported in one file. */
const errorsIn = (output: string, file: string): string[] => output.split('\n').filter((l) => l.startsWith(`${file}(`));

describe('witplug types --guest: the JS gateway guest type-checks against the gateway world', () => {
  let dir: string;
  const witplug = cli('/tmp/wpcache-guest-types').witplug;
  beforeAll(async () => {
    dir = scratch();
    const r = await witplug('types', '--guest', '--wit', 'wit', '--world', 'gateway-plugin', '-o', join(dir, TYPES));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);

  it("the repository's guest (guests/js/gateway.js) as written", async () => {
    writeFileSync(join(dir, 'gateway.js'), JS_GUEST);
    expect(await tsc(dir, ['gateway.js', moduleCheck(dir, 'gateway', 'gateway-plugin')])).toBe('');
  });

  it('a wrong export signature, a missing export, a misnamed import and an unchecked option each fail tsc', async () => {
    const broken: { name: string; edit: [string, string]; error: RegExp }[] = [
      { name: 'wrong-tag', edit: ["tag: 'redirect'", "tag: 'redirekt'"], error: /"redirekt"' is not assignable to type '"redirect"'/ },
      { name: 'wrong-field-type', edit: ['status: 403', "status: '403'"], error: /'string' is not assignable to type 'number'/ },
      { name: 'missing-export', edit: ['export const observer', 'const observer'], error: /Property '"observer"' is missing/ },
      { name: 'extra-param', edit: ['check(req) {', 'check(req, extra) {\n    void extra;'], error: /not assignable to type '\(req: Request\) =>/ },
      { name: 'wrong-import', edit: ["import { log } from 'witplug:host/log@0.1.0'", "import { log, trace } from 'witplug:host/log@0.1.0'"], error: /has no exported member 'trace'/ },
      // option<string> is `string | undefined` in a componentize-js guest.
      { name: 'option-unchecked', edit: ['req.path.startsWith(STATIC_PREFIX)', 'req.query.length > 0'], error: /'req.query' is possibly 'undefined'/ },
    ];
    const files: string[] = [];
    for (const b of broken) {
      const source = JS_GUEST.replace(b.edit[0], b.edit[1]);
      expect(source, b.name).not.toBe(JS_GUEST);
      writeFileSync(join(dir, `${b.name}.js`), source);
      files.push(`${b.name}.js`, moduleCheck(dir, b.name, 'gateway-plugin'));
    }
    const output = await tsc(dir, files);
    for (const b of broken) {
      const errors = [...errorsIn(output, `${b.name}.js`), ...errorsIn(output, `check-${b.name}.ts`)];
      expect(errors.length, `${b.name}: ${output}`).toBeGreaterThan(0);
      const block = output.slice(output.indexOf(errors[0]!));
      expect(block, b.name).toMatch(b.error);
    }
  });

  it('--import-from belongs to the host bindings: with --guest it is a usage error', async () => {
    const r = await witplug('types', '--guest', '--import-from', 'x', '--wit', 'wit', '--world', 'gateway-plugin');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/USAGE.*--import-from/);
  });
});

describe('witplug types --guest: a world using every type kind', () => {
  let dir: string;
  beforeAll(async () => {
    dir = scratch();
    const r = await cli('/tmp/wpcache-guest-types').witplug('types', '--guest', '--wit', 'test/fixtures/bindings/kinds.wit', '--world', 'kinds', '-o', join(dir, TYPES));
    expect(r.code).toBe(0);
  }, 120_000);

  it('a TypeScript guest implementing it (an exported resource class, results, options, flags, typed arrays, host resources) type-checks', async () => {
    writeFileSync(join(dir, 'kinds-guest.ts'), KINDS_GUEST);
    expect(await tsc(dir, ['kinds-guest.ts', moduleCheck(dir, 'kinds-guest', 'kinds')])).toBe('');
  });

  it('componentize-js conventions are enforced: a wrapped result, an array for list<u16>, a wrong method result and a null option fail', async () => {
    const broken: { name: string; edit: [string, string]; error: RegExp }[] = [
      // A function-level result returns its ok value (err is thrown), unlike the host's { tag, val }.
      { name: 'wrapped-result', edit: ["{ tag: 'poly', val: points }", "{ tag: 'ok', val: { tag: 'poly', val: points } }"], error: /"ok"' is not assignable/ },
      { name: 'plain-array', edit: ['Uint16Array.of(words.length, pts.length)', '[words.length, pts.length]'], error: /not assignable to type 'Uint16Array/ },
      { name: 'method-result', edit: ['return this.#value;', 'return String(this.#value);'], error: /'string' is not assignable to type 'number'/ },
      // none is undefined in a componentize-js guest (null on witplug's host side).
      { name: 'null-option', edit: ['a === undefined ? undefined', 'a === undefined ? null'], error: /'null' is not assignable/ },
    ];
    const files: string[] = [];
    for (const b of broken) {
      const source = KINDS_GUEST.replace(b.edit[0], b.edit[1]);
      expect(source, b.name).not.toBe(KINDS_GUEST);
      writeFileSync(join(dir, `${b.name}.ts`), source);
      files.push(`${b.name}.ts`);
    }
    const output = await tsc(dir, files);
    for (const b of broken) {
      const errors = errorsIn(output, `${b.name}.ts`);
      expect(errors.length, `${b.name}: ${output}`).toBeGreaterThan(0);
      expect(output.slice(output.indexOf(errors[0]!)), b.name).toMatch(b.error);
    }
  });
});
