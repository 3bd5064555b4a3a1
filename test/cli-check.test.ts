/** Runs the built CLI (`node dist/cli/main.js`) for `check` and `inspect`. */
import { beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from './helpers/run.js';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addPluginMetadata } from '../src/component/plugin-metadata.js';
import { applyEdits, BASE_WIT, BASE_WIT_PATH, buildTypeOnly } from './fixtures/admission/build.js';

const ROOT = process.cwd();
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const CLI = MAIN;
let dir: string;
let good: string;
let bad: string;

function cli(...args: string[]): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], { cwd: ROOT });
}

beforeAll(async () => {
  // `npm test` builds dist/ first (pretest).
  if (!existsSync(MAIN)) throw new Error('dist/cli/main.js was not built: run npm run build');
  dir = mkdtempSync(join(tmpdir(), 'witplug-cli-check-'));
  good = join(dir, 'good.wasm');
  bad = join(dir, 'bad.wasm');
  writeFileSync(good, addPluginMetadata(await buildTypeOnly(BASE_WIT), { name: 'demo', version: '1.0.0', description: 'a demo', usage: 'none' }));
  writeFileSync(bad, await buildTypeOnly(applyEdits(BASE_WIT, [['deadline-ms: u32', 'deadline-ms: u64']])));
}, 180_000);

describe('witplug check', () => {
  it('accepted: exit 0, exactly one JSON report', async () => {
    const r = await cli('check', good, '--wit', BASE_WIT_PATH, '--world', 'plugin', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({ accepted: true, problems: [], notes: [] });
  });

  it('rejected: exit 1, problems name the field', async () => {
    const r = await cli('check', bad, '--wit', BASE_WIT_PATH, '--world', 'plugin', '--json');
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { accepted: boolean; problems: { code: string; path: string; message: string }[] };
    expect(report.accepted).toBe(false);
    expect(report.problems).toContainEqual({
      code: 'EXPORT_MISMATCH',
      path: 'export test:fx/filter@0.1.0 > func check > param req > record request > field deadline-ms',
      message: 'expected u32, found u64',
    });
  });

  it('rejected without --json: readable, no colour when not a TTY', async () => {
    const r = await cli('check', bad, '--wit', BASE_WIT_PATH, '--world', 'plugin');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^rejected: .*bad\.wasm does not fit world plugin/);
    expect(r.stdout).toContain('EXPORT_MISMATCH');
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('missing plugin file: exit 2', async () => {
    const r = await cli('check', join(dir, 'nope.wasm'), '--wit', BASE_WIT_PATH, '--world', 'plugin', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(r.stdout).toContain('nope.wasm');
  });

  it('unknown world: exit 2, message names it', async () => {
    const r = await cli('check', good, '--wit', BASE_WIT_PATH, '--world', 'no-such-world', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toContain('no-such-world');
  });

  it('WIT that does not parse: exit 2', async () => {
    const wit = join(dir, 'broken.wit');
    writeFileSync(wit, 'package a:b;\ninterface x { f: func( }\n');
    const r = await cli('check', good, '--wit', wit, '--world', 'plugin', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'CONTRACT' } });
  });

  it('missing --world: usage error, exit 2', async () => {
    expect((await cli('check', good, '--wit', BASE_WIT_PATH)).code).toBe(2);
  });

  it('not a component: exit 1 with NOT_A_COMPONENT in the report', async () => {
    const core = join(dir, 'core.wasm');
    writeFileSync(core, Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const r = await cli('check', core, '--wit', BASE_WIT_PATH, '--world', 'plugin', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems).toEqual([{ code: 'NOT_A_COMPONENT', path: '', message: expect.any(String) }]);
  });
});

describe('witplug inspect', () => {
  it('--json: size, imports/exports with WIT and fingerprints, metadata', async () => {
    const r = await cli('inspect', good, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.size).toBeGreaterThan(0);
    expect(j.metadata).toEqual({ name: 'demo', version: '1.0.0', description: 'a demo', usage: 'none' });
    const filter = j.exports.find((e: { name: string }) => e.name === 'test:fx/filter@0.1.0');
    expect(filter.kind).toBe('interface');
    expect(filter.wit).toContain('check: func(req: request, t: traits) -> decision');
    expect(typeof filter.fingerprint).toBe('string');
    const api = j.imports.find((e: { name: string }) => e.name === 'test:host/api@1.2.0');
    expect(api.wit).toContain('fetch: func(key: string) -> result<string, u32>');
    expect(j).toHaveProperty('producers');
  });

  it('fingerprints: equal types ⇔ equal fingerprint', async () => {
    const a = JSON.parse((await cli('inspect', good, '--json')).stdout);
    const b = JSON.parse((await cli('inspect', bad, '--json')).stdout);
    const fp = (j: { exports: { name: string; fingerprint: string }[] }, n: string) => j.exports.find((e) => e.name === n)!.fingerprint;
    expect(fp(a, 'test:fx/store@0.1.0')).toBe(fp(b, 'test:fx/store@0.1.0'));
    expect(fp(a, 'test:fx/filter@0.1.0')).not.toBe(fp(b, 'test:fx/filter@0.1.0'));
  });

  it('human output lists items; malformed input exits 1', async () => {
    const r = await cli('inspect', good);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('plugin: demo 1.0.0');
    expect(r.stdout).toContain('export test:fx/filter@0.1.0');
    const junk = join(dir, 'junk.wasm');
    writeFileSync(junk, 'not wasm at all');
    const j = await cli('inspect', junk, '--json');
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'MALFORMED' } });
  });
});
