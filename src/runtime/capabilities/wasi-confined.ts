/**
 * Filesystem grants that cannot be escaped. preview2-shim keeps each
 * descriptor's host path and re-resolves it (following symlinks) on every
 * use, so a directory swapped for a symlink under an open descriptor leads
 * anywhere on the host. witplug therefore resolves every guest path itself:
 *
 * - each descriptor handed to the guest is a proxy that records its place as
 *   the granted root's real path plus the real (symlink-free) components
 *   below it;
 * - before every path-taking call the granted root is identified again (the
 *   device and inode recorded at grant time: a root moved, replaced or
 *   swapped for a symlink is `not-permitted`), the descriptor's own
 *   components are lstat'ed again (any that became a symlink or vanished:
 *   `not-permitted` / `no-entry`), then the guest path is walked component
 *   by component with lstat, following symlinks ourselves; `..` or a symlink
 *   target that climbs above the descriptor's directory, or an absolute path
 *   or target, is `not-permitted`;
 * - the shim then performs the call on a throwaway preopen of the proven,
 *   symlink-free parent directory with only the final name, never following
 *   a final symlink (which we already resolved), so its own resolution has
 *   nothing left to follow.
 *
 * Moving or hard-linking a symlink checks its target from its new place, as
 * for a new link. Every path call, check and use together, holds the
 * process-wide lock of fs-lock.ts, so plugins on other threads cannot change
 * the tree in between. Each instance's descriptors, listings and streams are
 * counted and closed together (DescriptorLedger, `maxOpenFiles`).
 *
 * Read-only grants refuse every mutation with `read-only` before any path is
 * looked at. Errors are WASI error-code names, thrown as the shim does, so
 * the guest sees them as `err(code)`.
 */
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { underFsLock } from './fs-lock.js';
import { WitplugError, ErrorCodes } from '../../errors.js';

interface PathFlags { readonly symlinkFollow?: boolean }
interface OpenFlags { readonly create?: boolean; readonly directory?: boolean; readonly exclusive?: boolean; readonly truncate?: boolean }
interface DescriptorFlags { readonly write?: boolean; readonly mutateDirectory?: boolean }
interface Datetime { readonly seconds: bigint; readonly nanoseconds: number }
type NewTimestamp = { readonly tag: 'no-change' } | { readonly tag: 'now' } | { readonly tag: 'timestamp'; readonly val: Datetime };
interface Stat { readonly dataAccessTimestamp?: Datetime; readonly dataModificationTimestamp?: Datetime }

/** The part of preview2-shim's Descriptor that the confined calls delegate to. */
export interface ShimDescriptor {
  openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): ShimDescriptor;
  statAt(pathFlags: PathFlags, path: string): Stat;
  setTimesAt(pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void;
  linkAt(oldPathFlags: PathFlags, oldPath: string, newDescriptor: ShimDescriptor, newPath: string): void;
  readlinkAt(path: string): string;
  removeDirectoryAt(path: string): void;
  renameAt(oldPath: string, newDescriptor: ShimDescriptor, newPath: string): void;
  symlinkAt(target: string, path: string): void;
  unlinkFileAt(path: string): void;
  createDirectoryAt(path: string): void;
  metadataHashAt(pathFlags: PathFlags, path: string): unknown;
  isSameObject(other: ShimDescriptor): boolean;
  readDirectory(): unknown;
  [Symbol.dispose]?(): void;
}

/** A directory granted to the plugin. */
export interface GrantedRoot {
  /** Real path (symlinks resolved) of the granted host directory. */
  readonly root: string;
  readonly readonly: boolean;
  /** The shim's `_createPreopenDescriptor`: a descriptor for a proven host directory. */
  readonly at: (hostDir: string) => ShimDescriptor;
  /**
   * The granted directory's identity (device and inode) when it was granted;
   * null while it does not exist yet (taken when it first appears).
   */
  identity: RootIdentity | null;
  /** The plugin instance's open descriptors and streams (shared by all its roots). */
  readonly ledger: DescriptorLedger;
}

export interface RootIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/** The identity of the directory at `path` (symlinks followed), or null if there is none. */
export function rootIdentity(path: string): RootIdentity | null {
  try {
    const st = statSync(path, { bigint: true });
    return st.isDirectory() ? { dev: st.dev, ino: st.ino } : null;
  } catch {
    return null;
  }
}

/** Something holding a host file descriptor open until disposed. */
interface Disposable {
  [Symbol.dispose](): void;
}

/** Default of `maxOpenFiles`: descriptors, directory listings and byte streams one plugin instance may hold open. */
export const DEFAULT_MAX_OPEN_FILES = 256;

/**
 * What one plugin instance holds open through WASI: file and directory
 * descriptors it opened, directory listings and the byte streams on its
 * files (each keeps a host file descriptor open). Capped at `max`; all of
 * it is closed at once by `release()` (instance replaced, dropped, closed).
 */
export class DescriptorLedger {
  readonly #live = new Map<object, () => void>();
  constructor(readonly max: number, readonly plugin: string) {}

  get size(): number {
    return this.#live.size;
  }

  /** Refuses one more past the cap: the plugin's fault, RESOURCE_LIMIT (its call fails, its instance is replaced). */
  admit(what: string): void {
    if (this.#live.size < this.max) return;
    throw new WitplugError(ErrorCodes.RESOURCE_LIMIT, `plugin ${this.plugin} already holds ${this.#live.size} open WASI descriptors and streams (maxOpenFiles ${this.max}); ${what} refused`, {
      plugin: this.plugin,
      details: { maxOpenFiles: this.max },
    });
  }

  /** Tracks `held`; `dispose` closes it for real. Returns the function the guest's drop must call. */
  track(held: object, dispose: () => void): () => void {
    this.#live.set(held, dispose);
    return () => {
      this.#live.delete(held);
      dispose();
    };
  }

  /**
   * Tracks a shim stream or listing: its own `Symbol.dispose` (what jco's
   * resource drop calls) is shadowed so the drop also leaves the ledger.
   */
  trackDisposable<T>(value: T): T {
    if (typeof value !== 'object' || value === null || typeof (value as Partial<Disposable>)[Symbol.dispose] !== 'function') return value;
    const real = (value as unknown as Disposable)[Symbol.dispose].bind(value);
    Object.defineProperty(value, Symbol.dispose, { value: this.track(value, real), configurable: true, writable: true });
    return value;
  }

  /** Closes everything still open (idempotent: the shim's disposals are). */
  release(): void {
    const all = [...this.#live.values()];
    this.#live.clear();
    for (const dispose of all) {
      try {
        dispose();
      } catch {
        // Already closed by the io thread (e.g. it failed): nothing left to release.
      }
    }
  }
}

/** Where a guest descriptor is: real directory components below the root. */
interface Place {
  readonly granted: GrantedRoot;
  readonly rel: readonly string[];
  readonly real: ShimDescriptor;
}

/** A resolved path: the real directory it lives in (root-relative) and its final name (null: the directory itself). */
interface Target {
  readonly dir: readonly string[];
  readonly name: string | null;
  readonly trailingSlash: boolean;
  /** lstat of the final name when it exists (not for the directory itself). */
  readonly stat?: Stats;
}

const MAX_SYMLINKS = 40;
/** Linux's PATH_MAX: longer guest paths and symlink targets are refused, so one walk stays short. */
const MAX_PATH = 4096;
const places = new WeakMap<object, Place>();

/** Calls on a file descriptor (no path) that change something. */
const MUTATING_FD = new Set(['writeViaStream', 'appendViaStream', 'write', 'setSize', 'setTimes', 'sync', 'syncData']);

/** Node's errno codes → WASI error-code names, for the lstat/readlink we do ourselves. */
function wasiError(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return 'no-entry';
    case 'ENOTDIR': return 'not-directory';
    case 'EACCES': return 'access';
    case 'ELOOP': return 'loop';
    case 'ENAMETOOLONG': return 'name-too-long';
    case 'ERR_INVALID_ARG_VALUE':
    case 'ERR_INVALID_ARG_TYPE':
    case 'EINVAL': return 'invalid';
    default: return 'io';
  }
}

function lstat(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (e) {
    throw wasiError(e);
  }
}

/** Path segments; `\` is a separator as in the shim, so no name we pass on can contain one. */
function segments(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
}

/**
 * The granted directory itself, checked again now: the directory found at
 * its path must be the one granted (same device and inode). Whatever moved
 * or replaced it — a symlink planted in its place, a parent renamed, another
 * grant's plugin renaming things around a nested grant — the grant does not
 * follow: every call fails until the granted directory is back.
 */
function verifyRoot(granted: GrantedRoot): void {
  const now = rootIdentity(granted.root);
  if (now === null) throw 'no-entry';
  if (granted.identity === null) {
    // Granted before it existed: it is taken when it first appears, and only as a real path (no symlink on the way).
    let real: string;
    try {
      real = realpathSync(granted.root);
    } catch (e) {
      throw wasiError(e);
    }
    if (real !== granted.root) throw 'not-permitted';
    granted.identity = now;
    return;
  }
  if (now.dev !== granted.identity.dev || now.ino !== granted.identity.ino) throw 'not-permitted';
}

/**
 * The descriptor's own directory, checked again now: the granted root is
 * still the granted directory and every component below it is still a real
 * directory (a swap for a symlink is an escape attempt).
 */
function verify(place: Place): void {
  verifyRoot(place.granted);
  let host = place.granted.root;
  for (const [i, seg] of place.rel.entries()) {
    host = join(host, seg);
    const st = lstat(host);
    if (st.isSymbolicLink()) throw 'not-permitted';
    if (!st.isDirectory() && i < place.rel.length - 1) throw 'not-permitted';
  }
}

/**
 * Walks `path` from `start` (root-relative real components), following
 * symlinks ourselves; never climbs above `floor` components. `follow`: follow
 * a final symlink. `lenient`: components that don't exist are taken
 * lexically (for checking a symlink target that may dangle).
 */
function walk(root: string, start: readonly string[], floor: number, path: string, follow: boolean, lenient = false): Target {
  if (path.startsWith('/') || path.startsWith('\\')) throw 'not-permitted';
  if (path.length > MAX_PATH) throw 'name-too-long';
  const trailingSlash = /[/\\]\.?$/.test(path) || path === '.';
  const cur = [...start];
  let pending = segments(path);
  let links = 0;
  let missing = false;
  let last: Stats | undefined;
  while (pending.length > 0) {
    const seg = pending.shift()!;
    if (seg === '..') {
      if (cur.length <= floor) throw 'not-permitted';
      cur.pop();
      continue;
    }
    const final = pending.length === 0;
    if (missing) {
      cur.push(seg);
      continue;
    }
    let st: Stats;
    try {
      st = lstatSync(join(root, ...cur, seg));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (lenient && (code === 'ENOENT' || code === 'ENOTDIR')) {
        missing = true;
        cur.push(seg);
        continue;
      }
      if (code === 'ENOENT' && final) return { dir: cur, name: seg, trailingSlash };
      throw wasiError(e);
    }
    if (final) last = st;
    if (st.isSymbolicLink() && (!final || follow || trailingSlash)) {
      if (++links > MAX_SYMLINKS) throw 'loop';
      let target: string;
      try {
        target = readlinkSync(join(root, ...cur, seg));
      } catch (e) {
        throw wasiError(e);
      }
      if (target.startsWith('/') || target.startsWith('\\')) throw 'not-permitted';
      // Relative to the link's directory, which is `cur`.
      pending = [...segments(target), ...pending];
      last = undefined;
      continue;
    }
    if (!final && !st.isDirectory()) {
      if (!lenient) throw 'not-directory';
      missing = true;
    }
    cur.push(seg);
  }
  // Never below `floor`, and the components up to it are never changed: this is the start directory.
  if (cur.length === floor) return { dir: cur, name: null, trailingSlash };
  return { dir: cur.slice(0, -1), name: cur[cur.length - 1]!, trailingSlash, ...(last && !missing ? { stat: last } : {}) };
}

/** The guest path resolved from a descriptor, after re-checking the descriptor's own directory. */
function resolve(place: Place, path: string, follow: boolean): Target {
  verify(place);
  return walk(place.granted.root, place.rel, place.rel.length, path, follow);
}

/** The shim call's receiver and path: a preopen of the proven directory, and the final name alone. */
function shimAt(place: Place, t: Target): [ShimDescriptor, string] {
  const d = place.granted.at(join(place.granted.root, ...t.dir));
  return [d, t.name === null ? '.' : t.trailingSlash ? `${t.name}/` : t.name];
}

/** Calls that create, remove or rename need a name: never the descriptor's own directory (nor the root). */
function named(t: Target): Target {
  if (t.name === null) throw 'invalid';
  return t;
}

function writable(place: Place): void {
  if (place.granted.readonly) throw 'read-only';
}

function placeOf(descriptor: unknown): Place {
  const place = typeof descriptor === 'object' && descriptor !== null ? places.get(descriptor) : undefined;
  if (!place) throw 'bad-descriptor';
  return place;
}

const NO_FOLLOW: PathFlags = Object.freeze({ symlinkFollow: false });

/**
 * A symlink's target must stay inside the root, resolved from the link's
 * directory the way a later lookup would (existing symlinks in it followed,
 * components that don't exist yet taken lexically).
 */
function checkSymlinkTarget(place: Place, linkDir: readonly string[], target: string): void {
  if (target === '') throw 'no-entry';
  walk(place.granted.root, linkDir, 0, target, true, true);
}

/**
 * A symlink moved or hard-linked to `dest` means its target anew from there:
 * it must stay inside `dest`'s root, as for a new link (else a guest could
 * create `a/l -> ..` and move it up, e.g. in place of a nested grant's root).
 */
function checkMovedSymlink(from: Place, source: Target, dest: Place, to: Target): void {
  if (!source.stat?.isSymbolicLink()) return;
  let target: string;
  try {
    target = readlinkSync(join(from.granted.root, ...source.dir, source.name!));
  } catch (e) {
    throw wasiError(e);
  }
  if (target.startsWith('/') || target.startsWith('\\')) throw 'not-permitted';
  checkSymlinkTarget(dest, to.dir, target);
}

/** The path-taking calls, each re-implemented over a proven directory. */
const PATH_CALLS = {
  openAt(place: Place, pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): ShimDescriptor {
    if (openFlags.create || openFlags.truncate || flags.write || flags.mutateDirectory) writable(place);
    const t = resolve(place, path, pathFlags.symlinkFollow === true);
    // Opening a FIFO blocks until a writer comes, in the shim's I/O thread, with the host waiting on it (and the lock held).
    if (t.stat && !t.stat.isFile() && !t.stat.isDirectory() && !t.stat.isSymbolicLink()) throw 'unsupported';
    const [d, name] = shimAt(place, t);
    place.granted.ledger.admit(`opening ${path}`);
    // Never follow: a final symlink was followed by `resolve` if asked; one left is refused (O_NOFOLLOW → `loop`).
    const opened = d.openAt(NO_FOLLOW, name, openFlags, flags);
    const drop = place.granted.ledger.track(opened, () => opened[Symbol.dispose]?.());
    return confine(opened, place.granted, t.name === null ? t.dir : [...t.dir, t.name], drop);
  },
  statAt(place: Place, pathFlags: PathFlags, path: string): Stat {
    const [d, name] = shimAt(place, resolve(place, path, pathFlags.symlinkFollow === true));
    return d.statAt(NO_FOLLOW, name);
  },
  metadataHashAt(place: Place, pathFlags: PathFlags, path: string): unknown {
    const [d, name] = shimAt(place, resolve(place, path, pathFlags.symlinkFollow === true));
    return d.metadataHashAt(NO_FOLLOW, name);
  },
  setTimesAt(place: Place, pathFlags: PathFlags, path: string, atime: NewTimestamp, mtime: NewTimestamp): void {
    writable(place);
    const [d, name] = shimAt(place, resolve(place, path, pathFlags.symlinkFollow === true));
    // The shim reads "no-change" from the wrong object (the directory); keep the target's own time instead.
    let stat: Stat | undefined;
    const keep = (ts: NewTimestamp, current: (s: Stat) => Datetime | undefined): NewTimestamp => {
      if (ts.tag !== 'no-change') return ts;
      stat ??= d.statAt(NO_FOLLOW, name);
      const val = current(stat);
      return val ? { tag: 'timestamp', val } : { tag: 'now' };
    };
    d.setTimesAt(NO_FOLLOW, name, keep(atime, (s) => s.dataAccessTimestamp), keep(mtime, (s) => s.dataModificationTimestamp));
  },
  readlinkAt(place: Place, path: string): string {
    const [d, name] = shimAt(place, resolve(place, path, false));
    return d.readlinkAt(name);
  },
  createDirectoryAt(place: Place, path: string): void {
    writable(place);
    const [d, name] = shimAt(place, named(resolve(place, path, false)));
    d.createDirectoryAt(name);
  },
  removeDirectoryAt(place: Place, path: string): void {
    writable(place);
    const [d, name] = shimAt(place, named(resolve(place, path, false)));
    d.removeDirectoryAt(name);
  },
  unlinkFileAt(place: Place, path: string): void {
    writable(place);
    const [d, name] = shimAt(place, named(resolve(place, path, false)));
    d.unlinkFileAt(name);
  },
  symlinkAt(place: Place, target: string, path: string): void {
    writable(place);
    const t = named(resolve(place, path, false));
    checkSymlinkTarget(place, t.dir, target);
    const [d, name] = shimAt(place, t);
    d.symlinkAt(target, name);
  },
  linkAt(place: Place, oldPathFlags: PathFlags, oldPath: string, newDescriptor: unknown, newPath: string): void {
    const other = placeOf(newDescriptor);
    writable(place);
    writable(other);
    // Both ends proven inside their roots; the old end's final symlink is resolved here (link() itself never follows).
    const source = named(resolve(place, oldPath, oldPathFlags.symlinkFollow === true));
    const dest = named(resolve(other, newPath, false));
    checkMovedSymlink(place, source, other, dest);
    const [d, name] = shimAt(place, source);
    const [nd, newName] = shimAt(other, dest);
    d.linkAt(NO_FOLLOW, name, nd, newName);
  },
  renameAt(place: Place, oldPath: string, newDescriptor: unknown, newPath: string): void {
    const other = placeOf(newDescriptor);
    writable(place);
    writable(other);
    const source = named(resolve(place, oldPath, false));
    const dest = named(resolve(other, newPath, false));
    checkMovedSymlink(place, source, other, dest);
    const [d, name] = shimAt(place, source);
    const [nd, newName] = shimAt(other, dest);
    d.renameAt(name, nd, newName);
  },
} satisfies Record<string, (place: Place, ...args: never[]) => unknown>;

/**
 * The shim lists a directory by its path (and refuses to list a preopen):
 * list the proven directory through a handle opened just for this.
 */
function readDirectory(place: Place): unknown {
  verify(place);
  place.granted.ledger.admit('listing a directory');
  const dir = place.granted.at(join(place.granted.root, ...place.rel)).openAt(NO_FOLLOW, '.', { directory: true }, {});
  try {
    return place.granted.ledger.trackDisposable(dir.readDirectory());
  } finally {
    dir[Symbol.dispose]?.();
  }
}

/** Calls on an open file that return a byte stream (it keeps the file open after the descriptor is dropped). */
const STREAMS = new Set(['readViaStream', 'writeViaStream', 'appendViaStream']);

/**
 * The guest's view of a shim descriptor at `rel` below a granted root. Other
 * calls go to the real descriptor (bound to it: the shim keeps its state in
 * private fields); they work on its open file handle, not on a path, except
 * `readDirectory`, which is re-implemented over the proven directory too.
 * Every path call (check and use) runs under the process-wide filesystem
 * lock (fs-lock.ts), so no other plugin's call, on any thread, can change
 * the tree between the two.
 */
export function confine<T extends object>(real: T, granted: GrantedRoot, rel: readonly string[] = [], drop?: () => void): T {
  const place: Place = { granted, rel, real: real as unknown as ShimDescriptor };
  const proxy = new Proxy(real, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      // The guest's drop: closed and no longer counted (preopens hold nothing and are not tracked).
      if (key === Symbol.dispose && drop) return drop;
      if (typeof key !== 'string') return (value as (...a: unknown[]) => unknown).bind(target);
      if (Object.hasOwn(PATH_CALLS, key)) {
        const call = PATH_CALLS[key as keyof typeof PATH_CALLS] as (place: Place, ...args: unknown[]) => unknown;
        return (...args: unknown[]) => underFsLock(() => call(place, ...args));
      }
      if (granted.readonly && MUTATING_FD.has(key)) {
        return () => {
          throw 'read-only';
        };
      }
      if (key === 'readDirectory') return () => underFsLock(() => readDirectory(place));
      if (STREAMS.has(key)) {
        return (...args: unknown[]) => {
          granted.ledger.admit('opening a stream');
          return granted.ledger.trackDisposable((value as (...a: unknown[]) => unknown).apply(target, args));
        };
      }
      if (key === 'isSameObject') return (other: unknown) => place.real.isSameObject(placeOf(other).real);
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  places.set(proxy, place);
  return proxy;
}

/** Preopens whose descriptors are confined; `roots` by guest path. The same descriptor always maps to the same proxy. */
export function confinedPreopens<P extends { getDirectories(): [unknown, string][] }>(preopens: P, roots: ReadonlyMap<string, GrantedRoot>): P {
  const seen = new WeakMap<object, object>();
  return {
    ...preopens,
    getDirectories: () =>
      preopens.getDirectories().flatMap(([d, guest]): [unknown, string][] => {
        const granted = roots.get(guest);
        if (!granted || typeof d !== 'object' || d === null) return []; // never an unconfined descriptor
        let proxy = seen.get(d);
        if (!proxy) seen.set(d, (proxy = confine(d, granted)));
        return [[proxy, guest]];
      }),
  };
}
