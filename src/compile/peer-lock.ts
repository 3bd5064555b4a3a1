/**
 * Cross-process single flight for compiles that share one cache directory
 * (N gateway workers starting cold): the first process to create
 * `<entry>.lock` compiles; the others wait for the entry. The lock is created
 * whole: the holder record is written to a temp file (O_EXCL) and link(2)ed
 * to the lock path, which fails when a lock exists and never replaces one.
 *
 * The lock only deduplicates work, it never guards correctness: entries are
 * still published by an atomic rename, so a lost race costs a second compile,
 * never a torn entry. That is why every doubt resolves towards compiling:
 * a lock that cannot be created (read-only directory), judged or removed is
 * treated as "compile yourself".
 *
 * A lock left by a process that died mid-compile is taken over when its
 * holder is gone (same host, pid no longer alive) or its lease ran out (the
 * holder refreshes the file's mtime while it works; other hosts sharing the
 * directory can only be judged this way). Takeover never unlinks by path
 * after a check: the stale file is renamed aside (atomic) and compared by
 * inode with the one judged; a fresh lock moved by mistake is linked back.
 */
import { constants } from 'node:fs';
import { link, lstat, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

export interface LockTiming {
  /** A lock whose file was not refreshed for this long is stale (its holder hung or died on another host). */
  readonly leaseMs: number;
}

export interface HeldLock {
  /** Removes the lock if it is still this one; never throws. */
  release(): Promise<void>;
}

export type LockAttempt =
  | { readonly kind: 'held'; readonly lock: HeldLock; readonly tookOver: boolean }
  /** A live peer holds it: wait for its entry. */
  | { readonly kind: 'busy' }
  /** No lock can be had here (unwritable directory, odd file at the lock path): compile uncoordinated. */
  | { readonly kind: 'unavailable' };

interface Holder {
  readonly pid: number;
  readonly host: string;
}

const HOST = hostname();

/** One attempt to take the lock at `lockPath`, taking over a stale one. */
export async function tryLock(lockPath: string, timing: LockTiming): Promise<LockAttempt> {
  let tookOver = false;
  // A few rounds: a stale lock removed here may be re-created by a peer in between.
  for (let round = 0; round < 3; round++) {
    const fh = await createRecord(lockPath);
    if (fh === null) return { kind: 'unavailable' };
    const published = await publish(fh.path, lockPath);
    if (published === 'ok') return { kind: 'held', lock: hold(lockPath, fh.handle, timing), tookOver };
    await fh.handle.close().catch(() => undefined);
    if (published === 'failed') return { kind: 'unavailable' };
    const judged = await judge(lockPath, timing.leaseMs);
    if (judged.kind === 'gone') continue;
    if (judged.kind === 'odd') return { kind: 'unavailable' };
    if (judged.kind === 'live') return { kind: 'busy' };
    if (await takeOver(lockPath, judged.ino)) tookOver = true;
  }
  return { kind: 'busy' };
}

/**
 * The holder record in a temp file of our own, open for the heartbeat. It is
 * complete before it becomes the lock, so a holder killed at any moment
 * leaves a lock whose pid can be judged.
 */
async function createRecord(lockPath: string): Promise<{ path: string; handle: FileHandle } | null> {
  const path = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch {
    return null;
  }
  try {
    const holder: Holder = { pid: process.pid, host: HOST };
    await handle.writeFile(JSON.stringify(holder));
    return { path, handle };
  } catch {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    return null;
  }
}

/** link(2) the record to the lock path: atomic, and fails with EEXIST when a lock exists (never replaces it). */
async function publish(record: string, lockPath: string): Promise<'ok' | 'exists' | 'failed'> {
  try {
    await link(record, lockPath);
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EEXIST' ? 'exists' : 'failed';
  } finally {
    await unlink(record).catch(() => undefined);
  }
}

function hold(lockPath: string, fh: FileHandle, timing: LockTiming): HeldLock {
  // The lease: peers judge the lock by its mtime, so a long compile keeps it fresh.
  // (A synchronous stretch longer than the lease still lets a peer take over: a duplicate compile, no harm.)
  const beat = setInterval(() => {
    const now = new Date();
    fh.utimes(now, now).catch(() => undefined);
  }, Math.max(10, Math.floor(timing.leaseMs / 4)));
  beat.unref();
  let released = false;
  return {
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(beat);
      try {
        const [mine, there] = await Promise.all([fh.stat(), lstat(lockPath).catch(() => null)]);
        // Only our own file: after a takeover the path may name a peer's lock.
        if (there !== null && there.ino === mine.ino && there.dev === mine.dev) await unlink(lockPath);
      } catch {
        // Gone already, or the directory went away: nothing to release.
      } finally {
        await fh.close().catch(() => undefined);
      }
    },
  };
}

type Judgement =
  | { readonly kind: 'gone' }
  | { readonly kind: 'odd' }
  | { readonly kind: 'live' }
  | { readonly kind: 'stale'; readonly ino: number };

/** Whether the lock at `lockPath` still has a live holder. */
async function judge(lockPath: string, leaseMs: number): Promise<Judgement> {
  let st;
  try {
    st = await lstat(lockPath);
  } catch {
    return { kind: 'gone' };
  }
  if (!st.isFile()) return { kind: 'odd' };
  if (Date.now() - st.mtimeMs > leaseMs) return { kind: 'stale', ino: st.ino };
  const holder = parseHolder(await readFile(lockPath, 'utf8').catch(() => ''));
  // An empty or partial record: its holder is between create and write, judged by the lease alone.
  if (holder !== null && holder.host === HOST && !processAlive(holder.pid)) return { kind: 'stale', ino: st.ino };
  return { kind: 'live' };
}

/**
 * Removes the lock judged stale (inode `ino`) without racing a peer that
 * replaced it meanwhile. True when the stale lock is gone.
 */
async function takeOver(lockPath: string, ino: number): Promise<boolean> {
  const aside = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(lockPath, aside);
  } catch {
    return false; // a peer took it over first
  }
  try {
    const moved = await lstat(aside);
    // Not the one judged: a peer's fresh lock. Put it back unless a newer one exists.
    if (moved.ino !== ino) {
      await link(aside, lockPath).catch(() => undefined);
      return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

function parseHolder(text: string): Holder | null {
  try {
    const v = JSON.parse(text) as Partial<Holder> | null;
    return v !== null && typeof v === 'object' && Number.isSafeInteger(v.pid) && typeof v.host === 'string' ? { pid: v.pid!, host: v.host } : null;
  } catch {
    return null;
  }
}

/** Signal 0 probes without signalling: ESRCH means no such process; EPERM means it exists (another user's). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
