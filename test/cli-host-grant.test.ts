/**
 * The CLI's inputs besides the plugin, as a user passes them: `--host` (a
 * module implementing the host app's own interfaces) for `run` and `bench`,
 * and `--grant` in the plugin manifest format `PluginHost.loadDir` reads, for
 * `run`, `bench` and `check` — with `check` refusing exactly what `run` refuses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import { cli } from './helpers/cli.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-cli-host-cache-'));
const { witplug, json } = cli(cacheDir);
const dir = mkdtempSync(join(tmpdir(), 'witplug-cli-host-'));

/** A plugin of a host app's own contract: `hooks.twice(k)` asks the host's `kv.get(k)` and doubles it. */
const WIT = `package test:app@1.0.0;
interface kv { get: func(key: u32) -> u32; }
interface hooks { twice: func(key: u32) -> u32; }
world app { import kv; export hooks; }
`;
const WAT = `(module
  (import "test:app/kv@1.0.0" "get" (func $get (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "test:app/hooks@1.0.0#twice") (param i32) (result i32) (i32.mul (call $get (local.get 0)) (i32.const 2))))`;

const APP = (): string[] => [join(dir, 'app.wasm'), '--wit', join(dir, 'app.wit'), '--world', 'app', '--call', 'hooks#twice', '--args', '[5]'];
const hostModule = (name: string, source: string): string => {
  writeFileSync(join(dir, name), source);
  return join(dir, name);
};

beforeAll(async () => {
  writeFileSync(join(dir, 'app.wit'), WIT);
  writeFileSync(join(dir, 'app.wasm'), await componentNew(await componentEmbed({ binary: await parse(WAT), witSource: WIT, world: 'app' })));
  hostModule('host.mjs', "export default { 'test:app/kv@1.0.0': { get: (key) => key + 1000 } };\n");
}, 120_000);

describe('witplug run / bench --host', () => {
  it('run calls a plugin that imports the host app\'s interface, in-process and isolated', async () => {
    const host = join(dir, 'host.mjs');
    expect(await json('run', ...APP(), '--host', host)).toMatchObject({ code: 0, json: { ok: true, value: 2010 } });
    expect(await json('run', ...APP(), '--host', host, '--isolate')).toMatchObject({ code: 0, json: { ok: true, value: 2010 } });
    // Without it the import is a stub that refuses the call.
    expect(await json('run', ...APP())).toMatchObject({ code: 1, json: { ok: false, error: { code: 'UNSUPPORTED' } } });
  });

  it('bench times the same plugin through the host module', async () => {
    const r = await json('bench', ...APP(), '--host', join(dir, 'host.mjs'), '--iterations', '200');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, iterations: 200, nsPerCall: expect.any(Number), jcoNsPerCall: expect.any(Number) });
  });

  it('a missing module, one without an object default export, a non-function member or a throwing module: exit 2 naming it', async () => {
    const cases = [
      { path: join(dir, 'missing.mjs'), code: 'NOT_FOUND', message: /missing\.mjs/ },
      { path: hostModule('number.mjs', 'export default 3;\n'), code: 'USAGE', message: /default export is number/ },
      { path: hostModule('named.mjs', "export const host = { 'test:app/kv@1.0.0': { get: () => 1 } };\n"), code: 'USAGE', message: /default export is undefined/ },
      { path: hostModule('member.mjs', "export default { 'test:app/kv@1.0.0': { get: 42 } };\n"), code: 'USAGE', message: /"test:app\/kv@1\.0\.0"\.get must be a function/ },
      { path: hostModule('throws.mjs', "throw new Error('no database');\n"), code: 'USAGE', message: /failed to load: no database/ },
    ];
    for (const c of cases) {
      const r = await json('run', ...APP(), '--host', c.path);
      expect(r, c.path).toMatchObject({ code: 2, json: { ok: false, error: { code: c.code } } });
      expect((r.json['error'] as { message: string }).message).toMatch(c.message);
    }
  });
});

describe('--grant takes the plugin manifest format, and check refuses what run refuses', () => {
  const READER = ['guests/dist/reader-wat.wasm', '--wit', 'guests/wat-adversarial/wit', '--world', 'reader'];
  const grants = join(dir, 'grants');
  mkdirSync(join(grants, 'data'), { recursive: true });
  writeFileSync(join(grants, 'data', 'hello.txt'), 'hello');
  const fs = [{ host: 'data', guest: '/data', readonly: true }];
  const manifests: Record<string, { json: unknown; admitted: boolean }> = {
    // As `PluginHost.loadDir` reads it next to the plugin: a grant plus priority and anchor.
    'loaddir-format': { json: { filesystem: fs, priority: 0, anchor: { operation: 'route', at: 'before' }, config: { a: 'b' } }, admitted: true },
    'filesystem': { json: { filesystem: fs }, admitted: true },
    'wildcard': { json: { imports: ['wasi:filesystem/*'], filesystem: fs }, admitted: true },
    'empty': { json: {}, admitted: false },
    'types-only': { json: { imports: ['wasi:filesystem/types'] }, admitted: false },
    'not-wasi': { json: { imports: ['witplug:host/log'] }, admitted: false },
  };
  for (const [name, m] of Object.entries(manifests)) writeFileSync(join(grants, `${name}.json`), JSON.stringify(m.json));

  it('each manifest: check and run agree (accepted ⇔ loaded), and run reads the granted file', async () => {
    for (const [name, m] of Object.entries(manifests)) {
      const grant = join(grants, `${name}.json`);
      const check = await json('check', ...READER, '--grant', grant);
      const run = await json('run', ...READER, '--call', 'read-file', '--args', '["hello.txt"]', '--grant', grant);
      expect(check.code, name).toBe(m.admitted ? 0 : 1);
      expect(check.json['accepted'], name).toBe(m.admitted);
      if (m.admitted) {
        expect(run, name).toMatchObject({ code: 0, json: { ok: true, value: { tag: 'ok', val: 'hello' } } });
      } else {
        expect(run, name).toMatchObject({ code: 1, json: { ok: false, error: { code: 'REJECTED' } } });
        expect(check.json['problems'], name).toContainEqual(expect.objectContaining({ code: 'EXTRA_IMPORT', message: expect.stringMatching(/not granted/) }));
      }
    }
  });

  it('check keeps its JSON shape; without --grant it checks against every import the contract offers', async () => {
    const r = await json('check', ...READER);
    expect(r).toMatchObject({ code: 0, json: { accepted: true, problems: [] } });
    expect(Object.keys(r.json).sort()).toEqual(['accepted', 'notes', 'problems']);
    const text = await witplug('check', ...READER, '--grant', join(grants, 'empty.json'));
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^rejected: .*reader-wat\.wasm does not fit world reader/);
  });

  it('a missing or malformed manifest is a usage error for check and bench as for run', async () => {
    writeFileSync(join(grants, 'bad-priority.json'), JSON.stringify({ priority: 'high' }));
    for (const command of [['check', ...READER], ['bench', ...READER, '--call', 'read-file', '--args', '["x"]']]) {
      expect(await json(...(command as [string, ...string[]]), '--grant', join(grants, 'missing.json'))).toMatchObject({ code: 2, json: { ok: false, error: { code: 'NOT_FOUND' } } });
      expect(await json(...(command as [string, ...string[]]), '--grant', join(grants, 'bad-priority.json'))).toMatchObject({ code: 2, json: { ok: false, error: { code: 'USAGE' } } });
    }
  });
});
