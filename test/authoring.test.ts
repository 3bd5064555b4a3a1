/**
 * `witplug new` → `witplug build` → `witplug check` → every export called
 * through loadPlugin, per language, for the repository's gateway world and
 * for a world with every kind of type; and the WASI narrowing: a plugin for a
 * world offering all of wasi:cli that uses none of it imports none of it.
 * Runs the built CLI (dist/cli/main.js).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContract, loadPlugin, type Plugin } from '../src/index.js';
import type { ResourceType } from '../src/component/types.js';
import { planWorld, allExports, displayName } from '../src/authoring/world-plan.js';
import { defaultValue } from './helpers/default-values.js';
import { run, type RunResult } from './helpers/run.js';

const ROOT = process.cwd();
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const EVERY_KIND = join(ROOT, 'test', 'fixtures', 'authoring', 'every-kind');
const WASI_WORLD = join(ROOT, 'test', 'fixtures', 'authoring', 'wasi-world');
const BUILD_TIMEOUT = 240_000;

let work: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js was not built: run npm run build');
  work = mkdtempSync(join(tmpdir(), 'witplug-authoring-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], { cwd: work, timeoutMs: BUILD_TIMEOUT });
}

interface Built { path: string; lang: string; world: string; imports: string[] }

async function newAndBuild(name: string, lang: string, wit: string, world: string, ...extra: string[]): Promise<Built> {
  const created = await cli('new', name, '--lang', lang, '--wit', wit, '--world', world, ...extra);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const built = await cli('build', name, '--json');
  expect(built.code, built.stdout + built.stderr).toBe(0);
  return JSON.parse(built.stdout) as Built;
}

/** Calls every export with valid arguments; returns what each returned, by export name, and the log lines. */
async function callEveryExport(path: string, wit: string, world: string): Promise<{ results: Map<string, unknown>; logs: string[] }> {
  const contract = await loadContract(wit, world);
  const logs: string[] = [];
  const plugin: Plugin = await loadPlugin(path, { contract, log: (level, message) => logs.push(`${level} ${message}`) });
  try {
    const plan = planWorld(contract);
    const exports = allExports(plan);
    const makeResource = (r: ResourceType): unknown => {
      const ctor = exports.find((f) => f.kind === 'constructor' && f.resource === r.name)!;
      return plugin.fn(ctor.coreName)(...ctor.func.params.map((p) => defaultValue(p.type, makeResource)));
    };
    const results = new Map<string, unknown>();
    for (const f of exports) results.set(displayName(f), plugin.fn(f.coreName)(...f.func.params.map((p) => defaultValue(p.type, makeResource))));
    return { results, logs };
  } finally {
    await plugin.close();
  }
}

const GATEWAY_RESULTS = {
  'filter.check': { tag: 'pass' },
  'shaper.shape': { status: 0, headers: [], body: new Uint8Array(0), cache: { noStore: false, private: false, immutable: false } },
  'observer.observe': undefined,
};

const EVERY_KIND_RESULTS = {
  'hooks.scalars': '',
  'hooks.wide': { x: 0, y: 0 },
  'hooks.lists': [],
  'hooks.options': null,
  'hooks.results': { tag: 'ok', val: { tag: 'none' } },
  'hooks.composite': [{ read: false, write: false, execAll: false }, { tag: 'none' }],
  'hooks.ratio': 0,
  'hooks.flag': false,
  'hooks.nothing': undefined,
  version: '',
};

/** The C bindings do not export resources yet: C plugins get the every-kind world without its `counters`. */
const KINDS_WORLD = { wat: 'every-kind', js: 'every-kind', c: 'every-kind-plain' } as const;

for (const lang of ['wat', 'c', 'js'] as const) {
  describe(`witplug new + build, --lang ${lang}`, () => {
    it('the gateway world: built, admitted, every export called and logging through the host', async () => {
      const built = await newAndBuild(`gateway-${lang}`, lang, join(ROOT, 'wit'), 'gateway-plugin');
      expect(built).toMatchObject({ lang, world: 'gateway-plugin', path: join(work, `gateway-${lang}`, 'dist', `gateway-${lang}.wasm`) });
      expect(built.imports).toContain('witplug:host/log@0.1.0');
      const check = await cli('check', built.path, '--wit', join(ROOT, 'wit'), '--world', 'gateway-plugin', '--json');
      expect(JSON.parse(check.stdout)).toMatchObject({ accepted: true, problems: [] });
      const { results, logs } = await callEveryExport(built.path, join(ROOT, 'wit'), 'gateway-plugin');
      expect(Object.fromEntries(results)).toEqual(GATEWAY_RESULTS);
      expect(logs).toEqual(['info filter.check called', 'info shaper.shape called', 'info observer.observe called']);
    }, BUILD_TIMEOUT);

    it('a world with every kind of type, resources and a world-level function', async () => {
      const world = KINDS_WORLD[lang];
      const built = await newAndBuild(`kinds-${lang}`, lang, EVERY_KIND, world);
      const check = await cli('check', built.path, '--wit', EVERY_KIND, '--world', world, '--json');
      expect(JSON.parse(check.stdout)).toMatchObject({ accepted: true, problems: [] });
      const { results, logs } = await callEveryExport(built.path, EVERY_KIND, world);
      const { 'counter.constructor': made, 'counter.fresh': fresh, 'counters.make-counter': counter, ...rest } = Object.fromEntries(results);
      if (world === 'every-kind') {
        for (const r of [made, fresh, counter]) expect(r).toMatchObject({ drop: expect.any(Function) });
        expect(rest).toEqual({ ...EVERY_KIND_RESULTS, 'counter.incr': 0, 'counters.count': 0n });
      } else {
        expect(rest).toEqual(EVERY_KIND_RESULTS);
      }
      expect(logs).toContain('info hooks.scalars called');
      expect(logs).toContain('info version called');
    }, BUILD_TIMEOUT);
  });
}

describe('WASI: a plugin imports only what its project lists', () => {
  for (const lang of ['wat', 'c', 'js'] as const) {
    it(`--lang ${lang}: a stub for a world including wasi:cli/imports, built with --wasi none, imports no WASI and is admitted`, async () => {
      const built = await newAndBuild(`tool-${lang}`, lang, WASI_WORLD, 'wasi-tool', '--wasi', 'none');
      expect(built.imports.filter((i) => i.startsWith('wasi:'))).toEqual([]);
      expect(built.imports).toContain('witplug:host/log@0.1.0');
      const project = JSON.parse(readFileSync(join(work, `tool-${lang}`, 'witplug.json'), 'utf8')) as { wasi: unknown };
      expect(project.wasi).toBe('none');
      const check = await cli('check', built.path, '--wit', WASI_WORLD, '--world', 'wasi-tool', '--json');
      expect(JSON.parse(check.stdout)).toMatchObject({ accepted: true, problems: [] });
      const { results } = await callEveryExport(built.path, WASI_WORLD, 'wasi-tool');
      expect(Object.fromEntries(results)).toEqual({ 'tool.run': { tag: 'ok', val: '' } });
    }, BUILD_TIMEOUT);
  }

  it('the project copies only the WASI packages the contract refers to, as files', async () => {
    const created = await cli('new', 'tool-copy', '--lang', 'wat', '--wit', WASI_WORLD, '--world', 'wasi-tool', '--json');
    const files = (JSON.parse(created.stdout) as { files: string[] }).files;
    expect(files.filter((f) => f.startsWith('wit/deps/')).map((f) => f.split('/')[2]).sort())
      .toEqual(['host', 'wasi-cli', 'wasi-clocks', 'wasi-filesystem', 'wasi-io', 'wasi-random', 'wasi-sockets']);
  });

  it('build --wasi records the choice and refuses interfaces the world does not offer', async () => {
    await cli('new', 'tool-choice', '--lang', 'wat', '--wit', WASI_WORLD, '--world', 'wasi-tool');
    const built = await cli('build', 'tool-choice', '--wasi', 'wasi:cli/stdout,wasi:cli/stderr', '--json');
    expect(built.code, built.stderr).toBe(0);
    const project = JSON.parse(readFileSync(join(work, 'tool-choice', 'witplug.json'), 'utf8')) as { wasi: unknown };
    expect(project.wasi).toEqual(['wasi:cli/stderr', 'wasi:cli/stdout']);
    const refused = await cli('build', 'tool-choice', '--wasi', 'wasi:http/outgoing-handler', '--json');
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/does not offer wasi:http\/outgoing-handler/) } });
  });
});

describe('witplug new / build refuse bad input with a stable code', () => {
  it('an unknown language is a usage error and writes nothing', async () => {
    for (const lang of ['rust', 'C']) {
      const r = await cli('new', `refused-${lang}`, '--lang', lang, '--wit', join(ROOT, 'wit'), '--world', 'gateway-plugin', '--json');
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE' } });
      expect(existsSync(join(work, `refused-${lang}`))).toBe(false);
    }
  });

  it('a non-empty directory, a missing world and a missing project are refused', async () => {
    writeFileSync(join(work, 'occupied.txt'), 'x');
    const occupied = await cli('new', '.', '--lang', 'wat', '--wit', join(ROOT, 'wit'), '--world', 'gateway-plugin', '--json');
    expect(JSON.parse(occupied.stdout)).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/not empty/) } });
    const noWorld = await cli('new', 'no-world', '--lang', 'wat', '--wit', join(ROOT, 'wit'), '--world', 'nope', '--json');
    expect(JSON.parse(noWorld.stdout)).toMatchObject({ ok: false, error: { code: 'CONTRACT' } });
    const noProject = await cli('build', 'no-such-project', '--json');
    expect(JSON.parse(noProject.stdout)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', message: expect.stringMatching(/witplug new/) } });
  });

  it('sources that do not build are BUILD, naming the file; the last stdout line is the path only on success', async () => {
    await cli('new', 'broken', '--lang', 'wat', '--wit', join(ROOT, 'wit'), '--world', 'gateway-plugin');
    writeFileSync(join(work, 'broken', 'src', 'plugin.wat'), '(module (func (export "f")');
    const r = await cli('build', 'broken');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error \[BUILD\]: parsing .*plugin\.wat failed/);
  });

  it('a missing C toolchain is one TOOLCHAIN error naming the Debian packages to install', async () => {
    await cli('new', 'no-clang', '--lang', 'c', '--wit', join(ROOT, 'wit'), '--world', 'gateway-plugin');
    const r = await run(process.execPath, [CLI, 'build', 'no-clang', '--json'], { cwd: work, env: { ...process.env, PATH: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'TOOLCHAIN', message: expect.stringMatching(/apt-get install clang lld/) } });
  });

  it('a world the C bindings cannot express is refused before anything is written', async () => {
    const r = await cli('new', 'c-resources', '--lang', 'c', '--wit', EVERY_KIND, '--world', 'every-kind', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED', message: expect.stringMatching(/exported resources/) } });
    expect(existsSync(join(work, 'c-resources'))).toBe(false);
  });
});
