/**
 * `witplug run` sandbox flags as a user runs them: a real
 * `node dist/cli/main.js` process per case, checking the one JSON object on
 * stdout and the exit code.
 */
import { describe, expect, it } from 'vitest';
import { run } from './helpers/run.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(process.cwd(), 'dist', 'cli', 'main.js');
const EVIL = ['guests/dist/evil-wat.wasm', '--wit', 'guests/wat-adversarial/wit', '--world', 'adversarial'];
const FAT = ['guests/dist/fat-wat.wasm', '--wit', 'guests/wat-adversarial/wit', '--world', 'fat'];
const READER = ['guests/dist/reader-wat.wasm', '--wit', 'guests/wat-adversarial/wit', '--world', 'reader'];
const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-cli-sandbox-cache-'));

type RunJson = { code: number | null; json: { ok: boolean; value?: unknown; fuel?: number; error?: { code: string; message: string } }; ms: number };

async function runJson(...args: string[]): Promise<RunJson> {
  const t0 = performance.now();
  const r = await run(process.execPath, [MAIN, 'run', ...args, '--json'], { env: { ...process.env, WITPLUG_CACHE_DIR: cacheDir } });
  const ms = performance.now() - t0;
  const lines = r.stdout.trim().split('\n');
  expect(lines, `stdout: ${r.stdout} stderr: ${r.stderr}`).toHaveLength(1);
  return { code: r.code, json: JSON.parse(lines[0]!) as never, ms };
}

const failure = (code: string) => ({ code: 1, json: { ok: false, error: { code, message: expect.any(String) } } });

describe('witplug run --fuel / --timeout-ms / --max-memory-mb / --max-output-bytes', () => {
  it('--fuel adds "fuel" to the success JSON, the same in every run', async () => {
    const a = await runJson(...EVIL, '--call', 'evil#fib', '--args', '[20]', '--fuel', '100000000');
    const b = await runJson(...EVIL, '--call', 'evil#fib', '--args', '[20]', '--fuel', '100000000', '--timeout-ms', '5000');
    expect(a).toMatchObject({ code: 0, json: { ok: true, value: 6765 } });
    expect(a.json.fuel).toBeGreaterThan(20_000);
    expect(b.json.fuel).toBe(a.json.fuel);
    expect(Object.keys(a.json)).toEqual(['ok', 'value', 'fuel']);
    // without --fuel there is no "fuel" field
    expect((await runJson(...EVIL, '--call', 'evil#fib', '--args', '[10]')).json).toEqual({ ok: true, value: 55 });
  });

  it('FUEL_EXHAUSTED, TIMEOUT, MEMORY_LIMIT, OUTPUT_LIMIT, TRAP: failure JSON and exit 1', async () => {
    expect(await runJson(...EVIL, '--call', 'evil#spin', '--fuel', '1000000')).toMatchObject(failure('FUEL_EXHAUSTED'));
    expect(await runJson(...EVIL, '--call', 'evil#spin', '--timeout-ms', '50')).toMatchObject(failure('TIMEOUT'));
    expect(await runJson(...EVIL, '--call', 'evil#grow', '--args', '[16]', '--max-memory-mb', '8')).toMatchObject(failure('MEMORY_LIMIT'));
    expect(await runJson(...FAT, '--call', 'size', '--max-memory-mb', '16')).toMatchObject(failure('MEMORY_LIMIT'));
    expect(await runJson(...EVIL, '--call', 'evil#big-string', '--args', '[100000]', '--max-output-bytes', '1024')).toMatchObject(failure('OUTPUT_LIMIT'));
    expect(await runJson(...EVIL, '--call', 'evil#big-string', '--args', '[4]', '--max-output-bytes', '1024')).toMatchObject({ code: 0, json: { ok: true, value: 'aaaa' } });
    expect(await runJson(...EVIL, '--call', 'evil#bad-utf8')).toMatchObject(failure('TRAP'));
  });

  it('--isolate: same codes; a deadline overrun terminates the worker', async () => {
    const r = await runJson(...EVIL, '--call', 'evil#spin', '--timeout-ms', '50', '--isolate');
    expect(r).toMatchObject(failure('TIMEOUT'));
    expect(r.json.error!.message).toMatch(/worker was terminated/);
    expect(await runJson(...EVIL, '--call', 'evil#fib', '--args', '[20]', '--fuel', '100000000', '--isolate')).toMatchObject({ code: 0, json: { ok: true, value: 6765, fuel: expect.any(Number) } });
    expect(await runJson(...EVIL, '--call', 'evil#boom', '--isolate')).toMatchObject(failure('TRAP'));
  });

  it('rejects bad limit values as usage errors (exit 2)', async () => {
    for (const flag of ['--fuel', '--timeout-ms', '--max-memory-mb', '--max-output-bytes', '--max-table-elements']) {
      const r = await runJson(...EVIL, '--call', 'evil#count', flag, '-3');
      expect(r.code, flag).toBe(2);
      expect(r.json.error?.code).toBe('USAGE');
    }
    expect((await runJson(...EVIL, '--call', 'evil#count', '--fuel', '1.5')).json.error?.code).toBe('USAGE');
  });
});

describe('witplug run --grant', () => {
  const dir = mkdtempSync(join(tmpdir(), 'witplug-cli-grant-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'hello.txt'), 'hello from the grant');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  // A relative host directory resolves against the manifest's folder.
  writeFileSync(join(dir, 'plugin.json'), JSON.stringify({ filesystem: [{ host: 'data', guest: '/data', readonly: true }], limits: { fuel: 10_000_000 } }));
  writeFileSync(join(dir, 'bad.json'), '{"filesystem": 3}');

  it('without a grant a wasi import is REJECTED (EXTRA_IMPORT, "not granted")', async () => {
    const r = await runJson(...READER, '--call', 'read-file', '--args', '["hello.txt"]');
    expect(r).toMatchObject(failure('REJECTED'));
    expect(r.json.error!.message).toMatch(/EXTRA_IMPORT.*not granted/);
  });

  it('with the manifest it reads its directory and nothing outside; grant limits apply', async () => {
    const grant = join(dir, 'plugin.json');
    expect(await runJson(...READER, '--call', 'read-file', '--args', '["hello.txt"]', '--grant', grant, '--fuel', '1000000')).toMatchObject({
      code: 0,
      json: { ok: true, value: { tag: 'ok', val: 'hello from the grant' }, fuel: expect.any(Number) },
    });
    const out = await runJson(...READER, '--call', 'read-file', '--args', '["../secret.txt"]', '--grant', grant);
    expect(out).toMatchObject({ code: 0, json: { ok: true, value: { tag: 'err' } } });
    expect(JSON.stringify(out.json)).not.toMatch(/SECRET/);
  });

  it('a bad manifest is a usage error', async () => {
    expect(await runJson(...READER, '--call', 'read-file', '--args', '["x"]', '--grant', join(dir, 'bad.json'))).toMatchObject({ code: 2, json: { ok: false, error: { code: 'USAGE' } } });
    expect(await runJson(...READER, '--call', 'read-file', '--args', '["x"]', '--grant', join(dir, 'missing.json'))).toMatchObject({ code: 2, json: { ok: false, error: { code: 'NOT_FOUND' } } });
  });
});
