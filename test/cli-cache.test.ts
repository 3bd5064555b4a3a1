/** `witplug cache stats|prune` on a real cache directory filled by real compiles (dist/ must be built). */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CompileCache } from '../src/compile/cache.js';
import { cli } from './helpers/cli.js';

const CALC = resolve('guests/dist/calc-wat.wasm');
const GATEWAY = resolve('guests/dist/gateway-wat.wasm');

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
let dir: string;
let entries: { path: string; size: number }[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'witplug-cli-cache-'));
  const cache = new CompileCache(dir);
  await cache.compile(readFileSync(CALC));
  await cache.compile(readFileSync(GATEWAY));
  await cache.compile(readFileSync(CALC), { variant: { v: 1 } });
  // Oldest first: calc, gateway, calc variant.
  entries = [CALC, GATEWAY, CALC].map((p, i) => {
    const bytes = readFileSync(p);
    const path = cache.entryPath(sha(bytes), i === 2 ? { variant: { v: 1 } } : {})!;
    const t = Date.now() / 1000 - (3 - i) * 3600;
    utimesSync(path, t, t);
    return { path, size: statSync(path).size };
  });
});

describe('witplug cache stats', () => {
  it('--json: one object with dir, entry count, total bytes and the bound', async () => {
    const { json } = cli(dir);
    const r = await json('cache', 'stats');
    expect(r.code).toBe(0);
    expect(r.json).toEqual({
      ok: true, dir, entries: 3, totalBytes: entries.reduce((n, e) => n + e.size, 0), maxBytes: 1024 ** 3, problem: null,
    });
  });

  it('plain text', async () => {
    const { witplug } = cli(dir);
    const r = await witplug('cache', 'stats');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${dir}: 3 entries, ${entries.reduce((n, e) => n + e.size, 0)} bytes (bound ${1024 ** 3} bytes)\n`);
  });

  it('an absent directory has no entries (exit 0)', async () => {
    const { json } = cli(join(dir, 'nothing-here'));
    expect((await json('cache', 'stats')).json).toMatchObject({ ok: true, entries: 0, totalBytes: 0 });
  });
});

describe('witplug cache prune', () => {
  it('bad --max-bytes: exit 2 with a USAGE error object; unknown subcommand: exit 2', async () => {
    const { json, witplug } = cli(dir);
    const r = await json('cache', 'prune', '--max-bytes', '-5');
    expect(r.code).toBe(2);
    expect(r.json).toEqual({ ok: false, error: { code: 'USAGE', message: '--max-bytes must be a non-negative integer of bytes, got "-5"' } });
    expect((await witplug('cache', 'frobnicate')).code).toBe(2);
    expect(readdirSync(dir).filter((f) => f.endsWith('.wpa'))).toHaveLength(3);
  });

  it('evicts least recently used entries down to --max-bytes and lists them', async () => {
    const { json } = cli(dir);
    const [oldest, middle, newest] = entries as [typeof entries[0], typeof entries[0], typeof entries[0]];
    const bound = middle.size + newest.size;
    const r = await json('cache', 'prune', '--max-bytes', String(bound));
    expect(r.code).toBe(0);
    expect(r.json).toEqual({
      ok: true, dir, entries: 2, totalBytes: bound, maxBytes: bound, removed: [{ path: oldest.path, size: oldest.size }], removedBytes: oldest.size,
    });
    expect(existsSync(oldest.path)).toBe(false);
    expect(existsSync(middle.path) && existsSync(newest.path)).toBe(true);
  });

  it('--max-bytes 0 empties it (text output names what went)', async () => {
    const { witplug } = cli(dir);
    const r = await witplug('cache', 'prune', '--max-bytes', '0');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed ${entries[1]!.path}`);
    expect(r.stdout).toContain('0 entries, 0 bytes left');
    expect(readdirSync(dir).filter((f) => f.endsWith('.wpa'))).toEqual([]);
  });
});
