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
import { join } from 'node:path';
import { underFsLock } from './fs-lock.js';
import {
  type PathFlags, type OpenFlags, type DescriptorFlags, type Datetime, type NewTimestamp, type Stat, type ShimDescriptor, type GrantedRoot,
} from './descriptor-ledger.js';
import {
  places, MUTATING_FD, verify, resolve, shimAt, named, writable, placeOf, NO_FOLLOW, checkSymlinkTarget, checkMovedSymlink, type Place,
} from './confined-paths.js';

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
