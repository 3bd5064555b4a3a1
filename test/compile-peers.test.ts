/**
 * Single flight for compiles: loads of one entry in one cache share one
 * compile, caches (processes) sharing a directory compile each plugin once
 * across all of them, and a lock whose holder died, hung or is odd never makes
 * a load hang. Cross-process cases run real processes on dist/ (built by tsc).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompileCache } from '../src/compile/cache.js';
import { sha256Hex } from '../src/compile/artifact.js';
import type { CompileProgress } from '../src/compile/progress.js';
import { pruneCache } from '../src/util/cache-dir.js';
import { run } from './helpers/run.js';

const CALC = resolve('guests/dist/calc-wat.wasm');
const JS_GUEST = resolve('guests/dist/gateway-js.wasm');
const C_GUEST = resolve('guests/dist/gateway-c.wasm');
const PEERS = resolve('test/helpers/compile-peers.mjs');
const calcBytes = new Uint8Array(readFileSync(CALC));
const tempDir = (tag: string): string => mkdtempSync(join(tmpdir(), `witplug-peers-${tag}-`));

/** The lock file a compile of `bytes` in `cache` takes. */
const lockOf = (cache: CompileCache, bytes: Uint8Array): string => `${cache.entryPath(sha256Hex(bytes))!}.lock`;

/** A pid that no longer names a process: a child that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

function writeLock(path: string, holder: { pid: number; host: string }, ageMs = 0): void {
  writeFileSync(path, JSON.stringify(holder), { mode: 0o600 });
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(path, t, t);
}

describe('in one process', () => {
  it('concurrent loads of one entry in one cache compile once', async () => {
    const cache = new CompileCache(tempDir('inflight'));
    const results = await Promise.all([1, 2, 3].map(() => cache.compile(calcBytes)));
    expect(results.map((r) => r.source).sort()).toEqual(['hit', 'hit', 'miss']);
    expect(cache.stats).toMatchObject({ compiled: 1, misses: 1, hits: 2, joinedInFlight: 2 });
    expect(new Set(results.map((r) => r.glue)).size).toBe(1);
  });

  it('two caches on one directory compile once between them; the other uses its entry', async () => {
    const dir = tempDir('two');
    const events: CompileProgress[] = [];
    const [a, b] = [new CompileCache(dir), new CompileCache(dir)];
    await Promise.all([a, b].map((c) => c.compile(calcBytes, { label: 'calc', onProgress: (e) => events.push(e) })));
    expect(a.stats.compiled + b.stats.compiled).toBe(1);
    expect(a.stats.hits + b.stats.hits).toBe(1);
    expect(events.filter((e) => e.phase === 'done' && e.by === 'self')).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.wpa'))).toEqual([]); // the lock is released
  });
});

describe('a lock someone else left', () => {
  it('held by a live process that never finishes: the load compiles itself after peerWaitMs, no hang', async () => {
    const dir = tempDir('live');
    const cache = new CompileCache(dir, { peerWaitMs: 300 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeLock(lockOf(cache, calcBytes), { pid: process.pid, host: hostname() });
    const events: CompileProgress[] = [];
    const r = await cache.compile(calcBytes, { label: 'calc', onProgress: (e) => events.push(e) });
    expect(r.source).toBe('miss');
    expect(cache.stats).toMatchObject({ compiled: 1, peerWaitTimeouts: 1, lockTakeovers: 0 });
    expect(events.map((e) => e.phase === 'start' ? `start ${e.waitingForPeer}` : `done ${e.by}`)).toEqual(['start true', 'start false', 'done self']);
    expect(existsSync(lockOf(cache, calcBytes))).toBe(true); // not ours: left alone
  });

  it('held by a process on this host that died: taken over at once', async () => {
    const dir = tempDir('dead');
    const cache = new CompileCache(dir, { peerWaitMs: 60_000 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeLock(lockOf(cache, calcBytes), { pid: await deadPid(), host: hostname() });
    expect((await cache.compile(calcBytes)).source).toBe('miss');
    expect(cache.stats).toMatchObject({ compiled: 1, lockTakeovers: 1, peerWaitTimeouts: 0 });
    expect(readdirSync(dir).filter((f) => !f.endsWith('.wpa'))).toEqual([]);
  });

  it('held on another host: waited for while its lease is fresh, taken over once it expired', async () => {
    const fresh = new CompileCache(tempDir('host-fresh'), { peerWaitMs: 200, lockLeaseMs: 60_000 });
    mkdirSync(fresh.dir!, { recursive: true, mode: 0o700 });
    writeLock(lockOf(fresh, calcBytes), { pid: 1, host: 'another-host' });
    await fresh.compile(calcBytes);
    expect(fresh.stats).toMatchObject({ compiled: 1, peerWaitTimeouts: 1, lockTakeovers: 0 });

    const expired = new CompileCache(tempDir('host-old'), { peerWaitMs: 60_000, lockLeaseMs: 5_000 });
    mkdirSync(expired.dir!, { recursive: true, mode: 0o700 });
    writeLock(lockOf(expired, calcBytes), { pid: 1, host: 'another-host' }, 60_000);
    await expired.compile(calcBytes);
    expect(expired.stats).toMatchObject({ compiled: 1, peerWaitTimeouts: 0, lockTakeovers: 1 });
  });

  it('a lock whose record is unreadable is judged by its lease alone', async () => {
    const cache = new CompileCache(tempDir('garbage'), { peerWaitMs: 60_000, lockLeaseMs: 5_000 });
    mkdirSync(cache.dir!, { recursive: true, mode: 0o700 });
    writeFileSync(lockOf(cache, calcBytes), 'not json');
    const t = (Date.now() - 60_000) / 1000;
    utimesSync(lockOf(cache, calcBytes), t, t);
    await cache.compile(calcBytes);
    expect(cache.stats).toMatchObject({ compiled: 1, lockTakeovers: 1 });
  });

  it('something other than a file at the lock path: compiles uncoordinated, without waiting', async () => {
    const cache = new CompileCache(tempDir('odd'), { peerWaitMs: 60_000 });
    mkdirSync(lockOf(cache, calcBytes), { recursive: true });
    expect((await cache.compile(calcBytes)).source).toBe('miss');
    expect(cache.stats).toMatchObject({ compiled: 1, peerWaitTimeouts: 0, lockTakeovers: 0 });
  });

  it('a prune removes lock files left for over an hour', async () => {
    const dir = tempDir('prune');
    const cache = new CompileCache(dir);
    await cache.compile(calcBytes);
    writeLock(join(dir, 'x.wpa.lock'), { pid: 1, host: 'gone' }, 2 * 3600_000);
    writeLock(join(dir, 'y.wpa.lock'), { pid: 1, host: 'gone' });
    await pruneCache(dir, 1024 ** 3);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual(['y.wpa.lock']);
  });
});

interface WorkerStats { compiled: number; waitedForPeer: number; lockTakeovers: number; peerWaitTimeouts: number; sources: string[] }

async function cluster(
  workers: number, dir: string, plugins: readonly string[], env: NodeJS.ProcessEnv = {},
): Promise<{ ms: number; workers: WorkerStats[] }> {
  const r = await run(process.execPath, [PEERS, 'cluster', String(workers), dir, ...plugins], { timeoutMs: 240_000, env: { ...process.env, ...env } });
  expect(r, r.stderr).toMatchObject({ code: 0 });
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; workers: WorkerStats[] };
  expect(out.workers).toHaveLength(workers);
  return out;
}

const sum = (ws: readonly WorkerStats[], k: 'compiled' | 'waitedForPeer' | 'lockTakeovers' | 'peerWaitTimeouts'): number => ws.reduce((n, w) => n + w[k], 0);

describe('node:cluster workers on one cache directory', () => {
  beforeAll(() => {
    if (!existsSync(resolve('dist/index.js'))) throw new Error('dist/index.js missing: run npx tsc -p tsconfig.json');
  });

  it('4 workers starting cold compile each plugin once across all of them', async () => {
    const dir = tempDir('cluster');
    const { workers } = await cluster(4, dir, [JS_GUEST, C_GUEST]);
    expect(sum(workers, 'compiled')).toBe(2);
    expect(sum(workers, 'peerWaitTimeouts')).toBe(0);
    for (const w of workers) for (const s of w.sources) expect(['miss', 'hit']).toContain(s);
    expect(readdirSync(dir).sort()).toEqual(readdirSync(dir).filter((f) => f.endsWith('.wpa')).sort());
    expect(readdirSync(dir)).toHaveLength(2);
  }, 300_000);

  /** Starts a process compiling the JS guest into `dir` and resolves once it holds the lock (bounded). */
  async function holderWithLock(dir: string): Promise<{ holder: ReturnType<typeof spawn>; exited: Promise<unknown>; lock: string }> {
    const lock = `${new CompileCache(dir).entryPath(sha256Hex(readFileSync(JS_GUEST)))!}.lock`;
    const holder = spawn(process.execPath, [PEERS, 'hold', dir, JS_GUEST], { stdio: 'ignore' });
    const exited = once(holder, 'exit');
    // The JS guest's compile takes seconds, the lock appears right at its start.
    for (let waited = 0; ; waited += 20) {
      if (await access(lock).then(() => true, () => false)) break;
      if (waited > 120_000) throw new Error('the holder never took the lock');
      await sleep(20);
    }
    return { holder, exited, lock };
  }

  it('a process killed while it holds the lock: the others take over and finish, compiling once', async () => {
    const dir = tempDir('killed');
    const { holder, exited, lock } = await holderWithLock(dir);
    holder.kill('SIGKILL');
    await exited;
    expect(existsSync(lock)).toBe(true);
    // A lease longer than the run: the dead holder must be recognised by its pid, whenever it was killed.
    const { workers } = await cluster(3, dir, [JS_GUEST], { LOCK_LEASE_MS: '600000' });
    expect(sum(workers, 'compiled')).toBe(1);
    expect(sum(workers, 'lockTakeovers')).toBe(1);
    expect(sum(workers, 'peerWaitTimeouts')).toBe(0);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.wpa'))).toEqual([]);
  }, 300_000);

  it('a holder that hangs (stopped, pid alive): taken over once its lease runs out', async () => {
    const dir = tempDir('hung');
    const { holder, exited } = await holderWithLock(dir);
    holder.kill('SIGSTOP');
    try {
      const { workers } = await cluster(2, dir, [JS_GUEST], { LOCK_LEASE_MS: '1000' });
      expect(sum(workers, 'lockTakeovers')).toBeGreaterThanOrEqual(1);
      expect(sum(workers, 'peerWaitTimeouts')).toBe(0);
      for (const w of workers) for (const s of w.sources) expect(['miss', 'hit']).toContain(s);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
  }, 300_000);
});
