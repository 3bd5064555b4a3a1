/**
 * The published package as a user gets it: `npm pack`, the tarball installed
 * into a scratch app outside the repository, and the README's "Using it from
 * TypeScript" example (taken from README.md, so the two cannot drift)
 * type-checked by tsc against the package's own .d.ts and run with node.
 *
 * The pack uses the dist/ this checkout built (`--ignore-scripts`): `prepack`
 * rebuilds dist/ in place, which would pull files from under the other test
 * files running in parallel. That prepack builds is checked on package.json.
 *
 * Installing: the tarball is unpacked into node_modules/witplug (what
 * `npm install <tarball>` does), and its three runtime dependencies are
 * links to this checkout's copies. A registry install would fetch jco's whole
 * toolchain (~60 packages, ~200 MB) on every run; the npm cache holds no
 * package metadata to install it offline.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from './helpers/run.js';

const REPO = process.cwd();
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const PLUGIN = join(REPO, 'guests', 'dist', 'gateway-c.wasm');

interface Manifest {
  name: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
}
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;

/** The README's TypeScript example: its code and the value its `// →` comment promises. */
function readmeExample(): { code: string; expected: unknown } {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Using it from TypeScript'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md has no ```ts block under "Using it from TypeScript"');
  const lines = block.trimEnd().split('\n');
  const arrow = lines.findIndex((l) => l.startsWith('// → '));
  if (arrow < 1) throw new Error('the README example has no `// → <result>` line after its last call');
  const expected: unknown = new Function(`return (${lines[arrow]!.slice('// → '.length)});`)();
  // The call before the arrow is what the example shows; print its result.
  const call = lines[arrow - 1]!.replace(/;\s*(\/\/.*)?$/, '');
  const code = [
    ...lines.slice(0, arrow - 1),
    `const shown: unknown = ${call};`,
    "console.log(JSON.stringify(shown, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));",
    'await plugin.close();',
  ].join('\n');
  return { code: code.replace("'guests/dist/gateway-c.wasm'", JSON.stringify(PLUGIN)), expected };
}

/** Packs this checkout's dist/ into `scratch` and unpacks it as `<app>/node_modules/witplug`, its dependencies linked. */
async function installPacked(scratch: string): Promise<{ app: string; installed: string; files: string[] }> {
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { timeoutMs: 60_000 });
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const app = join(scratch, 'app');
  const installed = join(app, 'node_modules', manifest.name);
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module', dependencies: { witplug: `file:../${info.filename}` } }));
  const untar = await run('tar', ['-xzf', join(scratch, info.filename), '-C', installed, '--strip-components=1']);
  expect(untar.code, untar.stderr).toBe(0);
  for (const dep of Object.keys(manifest.dependencies)) linkDependency(app, dep);
  return { app, installed, files: info.files.map((f) => f.path) };
}

/** Links `pkg` in the app's node_modules to the copy this checkout resolves. */
function linkDependency(app: string, pkg: string): void {
  const target = realpathSync(join(REPO, 'node_modules', pkg));
  mkdirSync(dirname(join(app, 'node_modules', pkg)), { recursive: true });
  symlinkSync(target, join(app, 'node_modules', pkg), 'dir');
}

describe('npm pack', () => {
  it('prepack builds, so a fresh clone packs dist/', () => {
    expect(manifest.scripts['prepack'], 'package.json needs a prepack script that builds dist/').toMatch(/npm run build/);
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'wit']));
  });

  it("installs into a scratch app where the README's TypeScript example type-checks and runs", async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'witplug-pack-'));
    try {
      const { app, installed, files } = await installPacked(scratch);
      for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/tools.js', 'dist/tools.d.ts', manifest.bin['witplug']!.replace(/^\.\//, ''), 'wit/gateway.wit']) {
        expect(files, `the tarball lacks ${needed} (is dist/ built?)`).toContain(needed);
      }
      expect(files.filter((f) => !/^(dist|wit)\/|^(LICENSE|README\.md|package\.json)$/.test(f)), 'files outside dist/ and wit/ in the tarball').toEqual([]);
      expect(files.filter((f) => f.endsWith('.map')), 'source maps point at src/, which is not published').toEqual([]);

      linkDependency(app, '@types/node');

      // The contract the package ships, and bindings generated by the package's own CLI.
      cpSync(join(installed, 'wit'), join(app, 'wit'), { recursive: true });
      const env = { ...process.env, WITPLUG_CACHE_DIR: join(scratch, 'cache') };
      const bin = join(installed, manifest.bin['witplug']!);
      const types = await run(process.execPath, [bin, 'types', '--wit', 'wit', '--world', 'gateway-plugin', '-o', 'gateway.ts'], { cwd: app, env, timeoutMs: 60_000 });
      expect(types.code, types.stderr).toBe(0);

      const example = readmeExample();
      writeFileSync(join(app, 'main.ts'), example.code);
      writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], skipLibCheck: false },
        files: ['main.ts', 'gateway.ts'],
      }));
      const tsc = await run(process.execPath, [TSC, '-p', join(app, 'tsconfig.json')], { timeoutMs: 60_000 });
      expect(tsc.stdout + tsc.stderr, 'tsc on the README example against the installed package').toBe('');

      const main = await run(process.execPath, ['main.js'], { cwd: app, env, timeoutMs: 60_000 });
      expect(main.code, main.stderr).toBe(0);
      expect(JSON.parse(main.stdout)).toEqual(example.expected);
      // The app resolves the installed package, not this checkout.
      const resolved = await run(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('witplug'))"], { cwd: app });
      expect(resolved.stdout.trim()).toBe(pathToFileURL(join(realpathSync(installed), 'dist', 'index.js')).href);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  // npm may nest a second copy of one preview2-shim version (under witplug, beside jco's): the
  // builders must grant the copy jco's wasm-tools reads through, not only witplug's own.
  it('witplug new, build and check run from the installed package when npm nests a second preview2-shim', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'witplug-pack-'));
    try {
      const { app, installed } = await installPacked(scratch);
      const nested = join(installed, 'node_modules', '@bytecodealliance', 'preview2-shim');
      cpSync(realpathSync(join(REPO, 'node_modules', '@bytecodealliance', 'preview2-shim')), nested, { recursive: true });
      cpSync(join(installed, 'wit'), join(app, 'wit'), { recursive: true });
      const env = { ...process.env, WITPLUG_CACHE_DIR: join(scratch, 'cache') };
      const bin = join(installed, manifest.bin['witplug']!);
      const witplug = (args: string[]) => run(process.execPath, [bin, ...args], { cwd: app, env, timeoutMs: 120_000 });
      const created = await witplug(['new', 'my-filter', '--lang', 'wat', '--wit', 'wit', '--world', 'gateway-plugin']);
      expect(created.code, created.stderr).toBe(0);
      const built = await witplug(['build', 'my-filter', '--json']);
      expect(built.code, built.stderr).toBe(0);
      const { path } = JSON.parse(built.stdout) as { path: string };
      const checked = await witplug(['check', path, '--wit', 'wit', '--world', 'gateway-plugin']);
      expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 240_000);
});
