/**
 * The cache directory as a code-execution path and as a bounded store, and
 * its keys (what built an entry), with real components and
 * real files: 0700 directory and 0600 entries, untrusted entries (group/other
 * writable, foreign owner, non-regular files: a FIFO must not hang) refused
 * and rebuilt with one warning, no synchronous I/O on the load path, LRU
 * eviction by bytes, and compile entries keyed on witplug's build stamp.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs, {
  chmodSync, chownSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CompileCache } from '../src/compile/cache.js';
import { DEFAULT_CACHE_MAX_BYTES, cacheMaxBytes, directoryProblem, pruneCache, scanCache } from '../src/util/cache-dir.js';
import { decodeArtifact } from '../src/compile/artifact.js';
import { BUILD_STAMP } from '../src/version.js';
import { ErrorCodes } from '../src/errors.js';

const CALC = resolve('guests/dist/calc-wat.wasm');
const GATEWAY = resolve('guests/dist/gateway-wat.wasm');
let calc: Uint8Array;
let gateway: Uint8Array;
beforeAll(() => {
  for (const p of [CALC, GATEWAY]) if (!existsSync(p)) throw new Error(`${p} missing: run npm run build:guests`);
  calc = readFileSync(CALC);
  gateway = readFileSync(GATEWAY);
});

const tempRoot = (tag: string): string => mkdtempSync(join(tmpdir(), `witplug-cb-${tag}-`));
const wpa = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.wpa'));
const mode = (path: string): number => statSync(path).mode & 0o777;

/** Collects process warnings emitted while `body` runs. */
async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const on = (w: Error): void => void seen.push(w.message);
  process.on('warning', on);
  try {
    await body();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', on);
  }
  return seen;
}

describe('permissions of what the cache creates', () => {
  it('the directory is created 0700 (parents too) and entries 0600, whatever the umask', async () => {
    const dir = join(tempRoot('mode'), 'a', 'witplug');
    const old = process.umask(0o000);
    try {
      await new CompileCache(dir).compile(calc);
    } finally {
      process.umask(old);
    }
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, '..'))).toBe(0o700);
    expect(mode(join(dir, wpa(dir)[0]!))).toBe(0o600);
  });
});

describe('untrusted entries are refused and rebuilt, never used', () => {
  it('an entry writable by group or others is rebuilt (one warning per process) and replaced by a private one', async () => {
    const dir = tempRoot('gw');
    await new CompileCache(dir).compile(calc);
    const entry = join(dir, wpa(dir)[0]!);
    const warnings = await warningsDuring(async () => {
      for (const m of [0o620, 0o602]) {
        chmodSync(entry, m);
        const cache = new CompileCache(dir);
        const r = await cache.compile(calc);
        expect(r.source).toBe('rebuild');
        expect(r.rebuildReason).toMatch(new RegExp(`cache entry .* is writable by ${m === 0o620 ? 'group' : 'others'} \\(mode 0${m.toString(8)}\\) → rebuilding`));
        // Renamed over: the entry is ours again, 0600, and the next load hits.
        expect(mode(entry)).toBe(0o600);
        expect((await cache.compile(calc)).source).toBe('hit');
      }
    });
    expect(warnings.filter((w) => w.includes('witplug cache'))).toHaveLength(1);
  });

  it('a cache directory writable by others is not trusted: entries in it are refused and nothing is written there', async () => {
    const dir = tempRoot('dirw');
    await new CompileCache(dir).compile(calc);
    chmodSync(dir, 0o777);
    const cache = new CompileCache(dir);
    const r = await cache.compile(calc);
    expect(r.source).toBe('rebuild');
    expect(r.rebuildReason).toContain(`cache directory ${dir} is writable by group`);
    expect(cache.stats.writeFailures).toBe(1);
    expect((await cache.compile(calc)).source).toBe('rebuild');
  });

  it.runIf(process.getuid?.() === 0)('an entry owned by another user is refused (test runs as root to chown)', async () => {
    const dir = tempRoot('owner');
    await new CompileCache(dir).compile(calc);
    const entry = join(dir, wpa(dir)[0]!);
    chownSync(entry, 4321, 4321);
    const r = await new CompileCache(dir).compile(calc);
    expect(r.source).toBe('rebuild');
    expect(r.rebuildReason).toContain('is owned by uid 4321, not 0');
    expect(lstatSync(entry).uid).toBe(0); // replaced by our own
  });

  it('a FIFO at the entry path is refused without being opened (no hang) and replaced', async () => {
    const dir = tempRoot('fifo');
    const cache = new CompileCache(dir);
    const path = cache.entryPath(sha256(calc))!;
    execFileSync('mkfifo', [path]);
    const started = performance.now();
    const r = await cache.compile(calc);
    expect(performance.now() - started).toBeLessThan(20_000); // opening the FIFO would block forever
    expect(r.source).toBe('rebuild');
    expect(r.rebuildReason).toBe(`cache entry ${path} is not a regular file → rebuilding`);
    expect(lstatSync(path).isFile()).toBe(true);
    expect((await cache.compile(calc)).source).toBe('hit');
  });

  it('a symlink at the entry path is not followed', async () => {
    const dir = tempRoot('link');
    const cache = new CompileCache(dir);
    await cache.compile(calc);
    const path = cache.entryPath(sha256(calc))!;
    const elsewhere = join(tempRoot('link-target'), 'entry.wpa');
    writeFileSync(elsewhere, readFileSync(path));
    fs.rmSync(path);
    symlinkSync(elsewhere, path);
    const r = await cache.compile(calc);
    expect(r.rebuildReason).toBe(`cache entry ${path} is not a regular file → rebuilding`);
  });
});

describe('every directory above the cache is checked, up to / (as ssh StrictModes)', () => {
  /** A private tree under the temp dir: `top` (0700) / a / b / cache, every level 0700 until a test loosens one. */
  const tree = (tag: string): { top: string; a: string; b: string; cache: string } => {
    const top = tempRoot(`anc-${tag}`);
    const a = join(top, 'a');
    const b = join(a, 'b');
    const cache = join(b, 'cache');
    fs.mkdirSync(cache, { recursive: true, mode: 0o700 });
    return { top, a, b, cache };
  };

  it('a private tree under the sticky temp dir is trusted (and an entry written there is used)', async () => {
    const { cache } = tree('ok');
    expect(await directoryProblem(cache)).toBeNull();
    await new CompileCache(cache).compile(calc);
    expect((await new CompileCache(cache).compile(calc)).source).toBe('hit');
  });

  it('an ancestor writable by group or by others (not sticky) makes the cache untrusted, naming the ancestor', async () => {
    for (const [m, who] of [[0o770, 'group'], [0o707, 'others'], [0o777, 'group']] as const) {
      const { a, b, cache } = tree(`w${m.toString(8)}`);
      await new CompileCache(cache).compile(calc);
      chmodSync(a, m);
      expect(await directoryProblem(cache)).toBe(`cache directory ${cache}: its ancestor ${a} is writable by ${who} (mode 0${m.toString(8)})`);
      const c = new CompileCache(cache);
      const r = await c.compile(calc);
      expect(r.source).toBe('rebuild');
      expect(r.rebuildReason).toContain(`its ancestor ${a} is writable`);
      expect(c.stats.writeFailures).toBe(1); // nothing is written there either
      chmodSync(a, 0o700);
      chmodSync(b, m); // the immediate parent, too
      expect(await directoryProblem(cache)).toContain(`its ancestor ${b} is writable by ${who}`);
    }
  });

  it('a sticky world-writable ancestor owned by root (or this user) is the accepted exception, as /tmp', async () => {
    const { a, cache } = tree('sticky');
    chmodSync(a, 0o1777);
    expect(await directoryProblem(cache)).toBeNull();
    chmodSync(a, 0o1770);
    expect(await directoryProblem(cache)).toBeNull();
    // The sticky bit only helps ancestors: the cache directory itself must be private.
    chmodSync(cache, 0o1777);
    expect(await directoryProblem(cache)).toMatch(/cache directory .* is writable by group \(mode 1777\)/);
  });

  it.runIf(process.getuid?.() === 0)('an ancestor owned by another user is refused, sticky or not (test runs as root to chown)', async () => {
    const { a, cache } = tree('owner');
    chownSync(a, 4321, 4321);
    expect(await directoryProblem(cache)).toBe(`cache directory ${cache}: its ancestor ${a} is owned by uid 4321, not 0`);
    chmodSync(a, 0o1777); // the owner of a sticky directory may still rename anything in it
    expect(await directoryProblem(cache)).toContain(`its ancestor ${a} is owned by uid 4321`);
  });

  it('symlinks: the real path is checked (a link into a writable tree), and so is the directory holding the link', async () => {
    const { top, a, cache } = tree('link');
    const open = join(top, 'open');
    fs.mkdirSync(join(open, 'real'), { recursive: true, mode: 0o700 });
    chmodSync(open, 0o777);
    // a private path whose last component links into a world-writable, non-sticky directory
    symlinkSync(join(open, 'real'), join(a, 'via-link'));
    expect(await directoryProblem(join(a, 'via-link'))).toContain(`its ancestor ${open} is writable by group`);
    // the real target is private, but the link lives in a writable directory: whoever writes there can re-point it
    chmodSync(open, 0o700);
    const linkDir = join(top, 'links');
    fs.mkdirSync(linkDir, { mode: 0o700 });
    symlinkSync(cache, join(linkDir, 'cache'));
    expect(await directoryProblem(join(linkDir, 'cache'))).toBeNull();
    chmodSync(linkDir, 0o777);
    expect(await directoryProblem(join(linkDir, 'cache'))).toContain(`its ancestor ${linkDir} is writable by group`);
  });

  it('a relative cache path is checked up to / as well', async () => {
    const { a, cache } = tree('rel');
    chmodSync(a, 0o777);
    const rel = relative(process.cwd(), cache);
    expect(rel.startsWith('/')).toBe(false);
    expect(await directoryProblem(rel)).toContain(`its ancestor ${a} is writable`);
  });
});

describe('the load path does no synchronous file I/O', () => {
  it('a cache hit and a miss run with the sync fs functions made to throw', async () => {
    const dir = tempRoot('async');
    await new CompileCache(dir).compile(calc);
    const names = ['readFileSync', 'openSync', 'readSync', 'statSync', 'lstatSync', 'writeFileSync', 'renameSync', 'mkdirSync', 'readdirSync', 'existsSync'] as const;
    const saved = names.map((n) => [n, fs[n]] as const);
    const calls: string[] = [];
    for (const n of names) (fs as unknown as Record<string, unknown>)[n] = (...a: unknown[]) => {
      calls.push(`${n}(${String(a[0])})`);
      throw new Error(`sync ${n} on the load path`);
    };
    syncBuiltinESMExports(); // named imports of node:fs see the replacements too
    let hit, miss;
    try {
      const cache = new CompileCache(dir);
      hit = await cache.compile(calc);
      miss = await cache.compile(gateway);
    } finally {
      for (const [n, f] of saved) (fs as unknown as Record<string, unknown>)[n] = f;
      syncBuiltinESMExports();
    }
    expect(calls).toEqual([]);
    expect(hit.source).toBe('hit');
    expect(miss.source).toBe('miss');
  });
});

describe('size bound: LRU eviction by bytes', () => {
  it('after a write the least recently used entries go until the directory fits; a hit refreshes an entry', async () => {
    const dir = tempRoot('lru');
    const setup = new CompileCache(dir);
    await setup.compile(calc, { variant: { a: 1 } });
    await setup.compile(calc, { variant: { b: 2 } });
    const [a, b] = [setup.entryPath(sha256(calc), { variant: { a: 1 } })!, setup.entryPath(sha256(calc), { variant: { b: 2 } })!];
    const hours = (h: number): number => Date.now() / 1000 - h * 3600;
    utimesSync(a, hours(3), hours(3)); // a: oldest…
    utimesSync(b, hours(2), hours(2));
    const size = (p: string): number => statSync(p).size;
    const cache = new CompileCache(dir, { maxBytes: size(a) + size(b) + 100 });
    expect((await cache.compile(calc, { variant: { a: 1 } })).source).toBe('hit'); // …but used now
    expect(statSync(a).mtimeMs).toBeGreaterThan(statSync(b).mtimeMs);
    await cache.compile(calc, { variant: { c: 3 } }); // same size as a and b; over the bound: b is the least recently used
    expect(existsSync(a)).toBe(true);
    expect(existsSync(b)).toBe(false);
    expect(cache.stats.evictions).toBe(1);
    const scan = await scanCache(dir);
    expect(scan.totalBytes).toBeLessThanOrEqual(cache.maxBytes);
    expect(scan.entries).toHaveLength(2);
  });

  it('the entry just written is kept even when it alone exceeds the bound', async () => {
    const dir = tempRoot('tiny');
    const cache = new CompileCache(dir, { maxBytes: 1 });
    await cache.compile(calc);
    await cache.compile(gateway);
    expect(wpa(dir)).toEqual([cache.entryPath(sha256(gateway))!.split('/').pop()]);
    expect((await cache.compile(gateway)).source).toBe('hit');
  });

  it('pruneCache removes stale temp files of dead writers and ignores entries removed concurrently', async () => {
    const dir = tempRoot('prune');
    await new CompileCache(dir).compile(calc);
    const tmp = join(dir, 'x.wpa.99999.dead.tmp');
    writeFileSync(tmp, 'partial');
    utimesSync(tmp, Date.now() / 1000 - 7200, Date.now() / 1000 - 7200);
    const fresh = join(dir, 'y.wpa.99999.live.tmp');
    writeFileSync(fresh, 'being written');
    const [r1, r2] = await Promise.all([pruneCache(dir, 0), pruneCache(dir, 0)]);
    expect(r1.removed.length + r2.removed.length).toBeGreaterThanOrEqual(1);
    expect(wpa(dir)).toEqual([]);
    expect(existsSync(tmp)).toBe(false);
    expect(existsSync(fresh)).toBe(true); // a live writer's temp file is left alone
  });

  it('the bound defaults to 1 GiB, WITPLUG_CACHE_MAX_BYTES overrides it, a bad value is ignored, a bad option throws USAGE', () => {
    expect(DEFAULT_CACHE_MAX_BYTES).toBe(1024 ** 3);
    expect(cacheMaxBytes({})).toBe(1024 ** 3);
    expect(cacheMaxBytes({ WITPLUG_CACHE_MAX_BYTES: '5000000' })).toBe(5_000_000);
    expect(cacheMaxBytes({ WITPLUG_CACHE_MAX_BYTES: '1e9' })).toBe(1024 ** 3);
    expect(cacheMaxBytes({ WITPLUG_CACHE_MAX_BYTES: '-1' })).toBe(1024 ** 3);
    expect(new CompileCache('/nowhere', { maxBytes: 123 }).maxBytes).toBe(123);
    expect(() => new CompileCache('/nowhere', { maxBytes: -1 })).toThrow(expect.objectContaining({ code: ErrorCodes.USAGE }));
  });
});

describe('cache keys follow what built the entry', () => {
  it('a compile entry of another build stamp is rebuilt, and the header records the stamp', async () => {
    const dir = tempRoot('stamp');
    const old = new CompileCache(dir, { builder: 'build-0' });
    await old.compile(calc);
    const r = await new CompileCache(dir).compile(calc);
    expect(r.rebuildReason).toBe(`cache entry built by witplug build stamp build-0, running ${BUILD_STAMP} → rebuilding`);
    expect(decodeArtifact(readFileSync(join(dir, wpa(dir)[0]!)), calc).header.builder).toBe(BUILD_STAMP);
  });

});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
