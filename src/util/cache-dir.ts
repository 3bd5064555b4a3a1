/**
 * The cache directory on disk: the compile cache (`*.wpa`), and contracts
 * older versions cached (`contracts/*.wasm`), still counted and pruned.
 *
 * It is a code-execution path: a compile-cache entry's glue runs in the host.
 * The integrity hash catches corruption, not an edit re-hashed by whoever can
 * write there, so, as ssh does with its keys, an entry is only used when
 * nobody else could have written it: the directory and the file must be
 * owned by this user (or root) and not writable by group or others, and so
 * must every directory above it up to `/` (whoever can rename an ancestor can
 * swap the whole cache), except that an ancestor writable by others is fine
 * when it is sticky and owned by this user or root, as /tmp (1777) is: the
 * sticky bit stops others from renaming what they do not own. Ancestors are
 * checked along the path as given and along its real path (a symlink is as
 * trustworthy as the directory holding it, its target as the directories
 * above the target). Anything else is refused (the caller rebuilds, with one warning per process). An
 * entry path is lstat'ed before it is opened: a FIFO, device, socket or
 * symlink is refused without opening it (opening a FIFO blocks). All I/O here
 * is async (fs/promises): the load path must not block the event loop.
 *
 * Size bound: entries are evicted least recently used first (a hit touches
 * the entry's mtime) once the directory holds more than `maxBytes`.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { randomBytes } from 'node:crypto';

/**
 * Default location: $WITPLUG_CACHE_DIR, else $XDG_CACHE_HOME/witplug, else
 * ~/.cache/witplug. Empty or relative XDG_CACHE_HOME is ignored, as the XDG
 * base-directory spec requires.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env['WITPLUG_CACHE_DIR'];
  if (own) return own;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'witplug');
}

/** Default bound on the cache directory: 1 GiB. */
export const DEFAULT_CACHE_MAX_BYTES = 1024 ** 3;
/** A hit refreshes the entry's mtime (its LRU position) at most this often. */
const TOUCH_AFTER_MS = 60_000;
/** Temp files of writers that died, and compile locks of holders that died (a live holder refreshes its lock), are removed by a prune once this old. */
const STALE_TMP_MS = 3_600_000;

/**
 * The bound from `WITPLUG_CACHE_MAX_BYTES` (a non-negative integer of bytes),
 * else 1 GiB. An unusable value is ignored with a warning: a typo in the
 * environment must not stop plugins from loading.
 */
export function cacheMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['WITPLUG_CACHE_MAX_BYTES'];
  if (raw === undefined || raw === '') return DEFAULT_CACHE_MAX_BYTES;
  const n = parseByteCount(raw);
  if (n !== null) return n;
  warnOnce('WITPLUG_CACHE_MAX_BYTES', `WITPLUG_CACHE_MAX_BYTES=${JSON.stringify(raw)} is not a byte count; using ${DEFAULT_CACHE_MAX_BYTES}`);
  return DEFAULT_CACHE_MAX_BYTES;
}

/** A non-negative safe integer written in decimal digits, else null. */
export function parseByteCount(raw: string): number | null {
  if (!/^\d{1,16}$/.test(raw.trim())) return null;
  const n = Number(raw.trim());
  return Number.isSafeInteger(n) ? n : null;
}

const warned = new Set<string>();
/** One warning per process and kind (the cache is consulted on every load). */
function warnOnce(kind: string, message: string): void {
  if (warned.has(kind)) return;
  warned.add(kind);
  process.emitWarning(message, { code: 'WITPLUG_CACHE' });
}

/** The sticky bit (S_ISVTX). */
const STICKY = 0o1000;

/**
 * Why `st` could have been written by someone else, or null when only this
 * user (or root) could. `stickyOk`: an ancestor directory whose sticky bit
 * keeps others from renaming entries they do not own.
 */
function untrusted(st: Stats, what: string, stickyOk = false): string | null {
  // Windows has no POSIX owner/mode bits (every file reads as 0666): ACLs are out of scope here.
  if (process.platform === 'win32') return null;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid && st.uid !== 0) return `${what} is owned by uid ${st.uid}, not ${uid}`;
  if (stickyOk && (st.mode & STICKY) !== 0) return null;
  if ((st.mode & 0o022) !== 0) return `${what} is writable by ${st.mode & 0o020 ? 'group' : 'others'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return null;
}

/**
 * The first untrusted directory above `dir` (see the file comment), along the
 * path as given and along its real path, or null.
 */
async function ancestorProblem(dir: string): Promise<string | null> {
  if (process.platform === 'win32') return null;
  const given = resolve(dir);
  const real = await realpath(given).catch(() => given);
  const ancestors: string[] = [];
  // The cache directory itself is checked strictly by the caller (stat follows a symlinked one).
  const seen = new Set([given, real]);
  for (const start of [given, real]) {
    for (let d = dirname(start); !seen.has(d); d = dirname(d)) {
      seen.add(d);
      ancestors.push(d);
    }
  }
  const problems = await Promise.all(ancestors.map(async (d) => {
    let st: Stats;
    try {
      st = await stat(d);
    } catch (e) {
      return `cache directory ${dir}: its ancestor ${d} cannot be checked (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
    }
    return untrusted(st, `cache directory ${dir}: its ancestor ${d}`, true);
  }));
  return problems.find((p) => p !== null) ?? null;
}

/** Reports a refused entry: once per process on stderr, always in the returned reason. */
function refuse(reason: string): { kind: 'refused'; reason: string } {
  warnOnce('untrusted', `witplug cache: ${reason}; the entry is not used (rebuilt instead). Fix: chmod go-w the cache directory, its files and the directories above it, or remove them.`);
  return { kind: 'refused', reason };
}

/** Why the directory's entries must not be trusted (or written), null when it and every directory above it are fine, or it is absent. */
export async function directoryProblem(dir: string): Promise<string | null> {
  let st: Stats;
  try {
    st = await stat(dir);
  } catch {
    return null; // absent: nothing to trust yet; a write creates it 0700
  }
  if (!st.isDirectory()) return `cache directory ${dir} is not a directory`;
  return untrusted(st, `cache directory ${dir}`) ?? (await ancestorProblem(dir));
}

export type EntryRead =
  | { readonly kind: 'ok'; readonly data: Buffer }
  | { readonly kind: 'absent' }
  /** Untrusted or not a regular file: never opened or never used. */
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

/** Reads the entry at `path` if, and only if, it may be trusted (see the file comment). */
export async function readEntry(path: string): Promise<EntryRead> {
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: part of the cache path is a file, so no entry can exist there.
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'absent' } : { kind: 'error', reason: `cannot read cache entry (${code ?? String(e)})` };
  }
  if (!st.isFile()) return refuse(`cache entry ${path} is not a regular file`);
  const problem = (await directoryProblem(dirname(path))) ?? untrusted(st, `cache entry ${path}`);
  if (problem !== null) return refuse(problem);
  let fh;
  try {
    // O_NONBLOCK + O_NOFOLLOW: if the path was swapped for a FIFO or a symlink since the lstat, the open neither blocks nor follows.
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'absent' } : refuse(`cache entry ${path} cannot be opened safely (${code ?? String(e)})`);
  }
  try {
    const now = await fh.stat();
    if (!now.isFile() || now.ino !== st.ino || now.dev !== st.dev) return refuse(`cache entry ${path} was replaced while being opened`);
    const data = await fh.readFile();
    if (Date.now() - now.mtimeMs > TOUCH_AFTER_MS) {
      // LRU position: eviction drops the entries used least recently.
      const t = new Date();
      await fh.utimes(t, t).catch(() => undefined);
    }
    return { kind: 'ok', data };
  } catch (e) {
    return { kind: 'error', reason: `cannot read cache entry (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Publishes `data` at `path` atomically (temp file 0600, then rename), creating
 * the directory 0700. False when the directory is unusable or untrusted (no
 * point writing where the next read would refuse); never throws.
 */
export async function writeEntry(path: string, data: Uint8Array): Promise<boolean> {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if ((await directoryProblem(dir)) !== null) return false;
    await writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
    // rename(2) replaces atomically: readers see the old or the new entry, never a
    // mix, and of two concurrent writers the last rename wins with a whole entry.
    await rename(tmp, path);
    return true;
  } catch {
    // A read-only or full cache dir must not stop the plugin from loading.
    await unlink(tmp).catch(() => undefined);
    return false;
  }
}

export interface CacheEntryInfo {
  readonly path: string;
  readonly size: number;
  /** Last use (mtime: set when written, refreshed by hits). */
  readonly lastUsedMs: number;
}

export interface CacheScan {
  readonly dir: string;
  readonly entries: readonly CacheEntryInfo[];
  readonly totalBytes: number;
}

/** Compile entries (`*.wpa`) and contracts older versions built (`contracts/*.wasm`, so pruning clears them), regular files only. */
export async function scanCache(dir: string): Promise<CacheScan & { readonly staleTemps: readonly string[] }> {
  const entries: CacheEntryInfo[] = [];
  const staleTemps: string[] = [];
  const now = Date.now();
  for (const [sub, ext] of [['', '.wpa'], ['contracts', '.wasm']] as const) {
    const base = sub ? join(dir, sub) : dir;
    let names: string[];
    try {
      names = await readdir(base);
    } catch {
      continue;
    }
    for (const name of names) {
      const isTemp = name.endsWith('.tmp') || name.endsWith('.lock') || name.endsWith('.stale');
      if (!name.endsWith(ext) && !isTemp) continue;
      const path = join(base, name);
      let st: Stats;
      try {
        st = await lstat(path);
      } catch {
        continue; // removed meanwhile by another process
      }
      if (!st.isFile()) continue;
      if (isTemp) {
        if (now - st.mtimeMs > STALE_TMP_MS) staleTemps.push(path);
        continue;
      }
      entries.push({ path, size: st.size, lastUsedMs: st.mtimeMs });
    }
  }
  return { dir, entries, totalBytes: entries.reduce((n, e) => n + e.size, 0), staleTemps };
}

export interface PruneResult extends CacheScan {
  readonly removed: readonly CacheEntryInfo[];
}

/**
 * Evicts least recently used entries until the directory holds at most
 * `maxBytes`; `keep` (the entry just written) is never evicted. Safe against
 * concurrent processes: an entry someone else removed first is just gone.
 */
export async function pruneCache(dir: string, maxBytes: number, keep?: string): Promise<PruneResult> {
  const scan = await scanCache(dir);
  for (const t of scan.staleTemps) await unlink(t).catch(() => undefined);
  const byAge = [...scan.entries].sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  const removed: CacheEntryInfo[] = [];
  let total = scan.totalBytes;
  for (const e of byAge) {
    if (total <= maxBytes) break;
    if (e.path === keep) continue;
    try {
      await unlink(e.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') continue;
    }
    total -= e.size;
    removed.push(e);
  }
  const gone = new Set(removed.map((e) => e.path));
  return { dir, entries: scan.entries.filter((e) => !gone.has(e.path)), totalBytes: total, removed };
}
