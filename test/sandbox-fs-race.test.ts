/**
 * Two plugins of one process, on two threads, share a grant on one
 * directory. One keeps moving directory `x` between a plain directory and a
 * directory whose `sub` is a relative symlink `../..` (inside the grant where
 * it was made, above it once moved to `x`); the other keeps opening
 * `x/sub/secret.txt`. A path proven inside the grant and then used by path
 * can be redirected between the two by the other thread; witplug holds one
 * process-wide lock across check and use (src/runtime/capabilities/fs-lock.ts), so no read
 * may ever return the file outside the grant, and nothing outside may
 * change. Each side is a host thread of its own (test/helpers/fs-race-worker.mjs,
 * running dist/), with the plugin in that thread or isolated in a worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadContract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { PROBE, WIT } from './helpers/fs-probe.js';

const WORKER = new URL('./helpers/fs-race-worker.mjs', import.meta.url);
/** Reads per run: thousands, as in the report this guards against (a few escapes in ~3 000). */
const READS = 3_000;
/** A bound on each run, not a performance expectation. */
const RUN_MS = 60_000;

interface Stats {
  ops: number;
  reads: number;
  inside: number;
  escapes: number;
  creates: number;
  errors: Record<string, number>;
  failure?: string;
}

const cacheDir = mkdtempSync(join(tmpdir(), 'witplug-fs-race-cache-'));
const dirs: string[] = [];

beforeAll(async () => {
  if (!existsSync(PROBE)) throw new Error(`${PROBE} missing: run npm run build:guests`);
  if (!existsSync('dist/index.js')) throw new Error('dist/ missing: run npx tsc -p tsconfig.json');
  // Warm the compile cache once, so the threads load from it.
  const plugin = await loadPlugin(PROBE, { contract: await loadContract(WIT, 'fs-probe'), cache: new CompileCache(cacheDir), grant: { filesystem: [{ host: tmpdir(), guest: '/t', readonly: true }] } });
  await plugin.close();
}, 120_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * base/secret.txt "SECRET"                    (outside)
 * base/data/                                  (granted)
 *   x/sub/secret.txt "INSIDE"                 a plain directory
 *   deep/E/sub -> ../..                       resolves to data/ here; to base/ once E is moved to x
 */
function tree(): { base: string; data: string } {
  const base = mkdtempSync(join(tmpdir(), 'witplug-fs-race-'));
  dirs.push(base);
  const data = join(base, 'data');
  writeFileSync(join(base, 'secret.txt'), 'SECRET');
  mkdirSync(join(data, 'x', 'sub'), { recursive: true });
  writeFileSync(join(data, 'x', 'sub', 'secret.txt'), 'INSIDE');
  mkdirSync(join(data, 'deep', 'E'), { recursive: true });
  symlinkSync('../..', join(data, 'deep', 'E', 'sub'));
  return { base, data };
}

/** Everything outside the granted directory: names, types, contents and mtimes. */
function outside(base: string): string {
  const lines: string[] = [];
  for (const name of readdirSync(base).sort()) {
    if (name === 'data') continue;
    const st = lstatSync(join(base, name));
    lines.push(st.isFile() ? `${name} ${readFileSync(join(base, name), 'utf8')} mtime=${st.mtimeMs}` : `${name} ${st.isDirectory() ? 'dir' : 'other'}`);
  }
  return lines.join('\n');
}

function start(role: 'swapper' | 'reader', data: string, readonly: boolean, isolate: boolean, control: SharedArrayBuffer, deadline: number): { ready: Promise<void>; done: Promise<Stats> } {
  const worker = new Worker(WORKER, {
    workerData: { role, data, readonly, isolate, probe: resolve(PROBE), wit: resolve(WIT), cacheDir, maxOps: READS, deadline, control },
  });
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const done = new Promise<Stats>((res, rej) => {
    worker.on('message', (m: { type: string; stats?: Stats }) => {
      if (m.type === 'ready') ready();
      else if (m.type === 'done') res(m.stats!);
    });
    worker.on('error', rej);
    worker.on('exit', (code) => rej(new Error(`${role} thread exited with code ${code} before reporting`)));
  });
  return { ready: readyP, done };
}

async function race(readonly: boolean, isolate: boolean): Promise<{ swapper: Stats; reader: Stats }> {
  const { base, data } = tree();
  const before = outside(base);
  const control = new SharedArrayBuffer(8);
  const deadline = Date.now() + RUN_MS;
  const swapper = start('swapper', data, false, isolate, control, deadline);
  const reader = start('reader', data, readonly, isolate, control, deadline);
  await Promise.all([swapper.ready, reader.ready]);
  const flags = new Int32Array(control);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  const [s, r] = await Promise.all([swapper.done, reader.done]);
  expect(s.failure).toBeUndefined();
  expect(r.failure).toBeUndefined();
  // Nothing outside the grant was read, created or changed.
  expect(r.escapes).toBe(0);
  expect(outside(base)).toBe(before);
  expect(existsSync(join(base, 'planted.txt'))).toBe(false);
  // The race really ran: both sides worked at once, and the reader saw both states of `x`.
  expect(r.reads).toBe(READS);
  expect(s.ops).toBeGreaterThan(100);
  expect(r.inside).toBeGreaterThan(0);
  expect(r.errors['not-permitted']).toBeGreaterThan(0); // x was the escaping directory when some reads looked
  console.log(`fs race (${readonly ? 'read-only' : 'read-write'}, ${isolate ? 'isolated' : 'in-process'}): ${r.reads} reads (${r.inside} inside, ${r.escapes} escapes, ${r.creates} creates), ${s.ops} renames, errors ${JSON.stringify(r.errors)}`);
  return { swapper: s, reader: r };
}

describe('two plugins on two threads racing one grant', () => {
  for (const isolate of [false, true]) {
    for (const readonly of [true, false]) {
      it(`${isolate ? 'isolated' : 'in-process'}, reader's grant ${readonly ? 'read-only' : 'read-write'}: no read or write reaches outside`, async () => {
        await race(readonly, isolate);
        // The host thread is alive and its own file reads work.
        expect(readFileSync(PROBE).byteLength).toBeGreaterThan(0);
      }, RUN_MS * 2 + 60_000);
    }
  }
});
