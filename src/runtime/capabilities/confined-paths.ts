/**
 * Resolving a guest path inside a granted root by hand: every component
 * lstat'ed, symlinks followed by witplug, climbs above the descriptor's
 * directory refused (src/runtime/capabilities/wasi-confined.ts says why).
 */
import { lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { rootIdentity, type GrantedRoot, type PathFlags, type ShimDescriptor } from './descriptor-ledger.js';

/** Where a guest descriptor is: real directory components below the root. */
export interface Place {
  readonly granted: GrantedRoot;
  readonly rel: readonly string[];
  readonly real: ShimDescriptor;
}

/** A resolved path: the real directory it lives in (root-relative) and its final name (null: the directory itself). */
export interface Target {
  readonly dir: readonly string[];
  readonly name: string | null;
  readonly trailingSlash: boolean;
  /** lstat of the final name when it exists (not for the directory itself). */
  readonly stat?: Stats;
}

export const MAX_SYMLINKS = 40;
/** Linux's PATH_MAX: longer guest paths and symlink targets are refused, so one walk stays short. */
export const MAX_PATH = 4096;
export const places = new WeakMap<object, Place>();

/** Calls on a file descriptor (no path) that change something. */
export const MUTATING_FD = new Set(['writeViaStream', 'appendViaStream', 'write', 'setSize', 'setTimes', 'sync', 'syncData']);

/** Node's errno codes → WASI error-code names, for the lstat/readlink we do ourselves. */
export function wasiError(e: unknown): string {
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

export function lstat(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (e) {
    throw wasiError(e);
  }
}

/** Path segments; `\` is a separator as in the shim, so no name we pass on can contain one. */
export function segments(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
}

/**
 * The granted directory itself, checked again now: the directory found at
 * its path must be the one granted (same device and inode). Whatever moved
 * or replaced it — a symlink planted in its place, a parent renamed, another
 * grant's plugin renaming things around a nested grant — the grant does not
 * follow: every call fails until the granted directory is back.
 */
export function verifyRoot(granted: GrantedRoot): void {
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
export function verify(place: Place): void {
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
export function walk(root: string, start: readonly string[], floor: number, path: string, follow: boolean, lenient = false): Target {
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
export function resolve(place: Place, path: string, follow: boolean): Target {
  verify(place);
  return walk(place.granted.root, place.rel, place.rel.length, path, follow);
}

/** The shim call's receiver and path: a preopen of the proven directory, and the final name alone. */
export function shimAt(place: Place, t: Target): [ShimDescriptor, string] {
  const d = place.granted.at(join(place.granted.root, ...t.dir));
  return [d, t.name === null ? '.' : t.trailingSlash ? `${t.name}/` : t.name];
}

/** Calls that create, remove or rename need a name: never the descriptor's own directory (nor the root). */
export function named(t: Target): Target {
  if (t.name === null) throw 'invalid';
  return t;
}

export function writable(place: Place): void {
  if (place.granted.readonly) throw 'read-only';
}

export function placeOf(descriptor: unknown): Place {
  const place = typeof descriptor === 'object' && descriptor !== null ? places.get(descriptor) : undefined;
  if (!place) throw 'bad-descriptor';
  return place;
}

export const NO_FOLLOW: PathFlags = Object.freeze({ symlinkFollow: false });

/**
 * A symlink's target must stay inside the root, resolved from the link's
 * directory the way a later lookup would (existing symlinks in it followed,
 * components that don't exist yet taken lexically).
 */
export function checkSymlinkTarget(place: Place, linkDir: readonly string[], target: string): void {
  if (target === '') throw 'no-entry';
  walk(place.granted.root, linkDir, 0, target, true, true);
}

/**
 * A symlink moved or hard-linked to `dest` means its target anew from there:
 * it must stay inside `dest`'s root, as for a new link (else a guest could
 * create `a/l -> ..` and move it up, e.g. in place of a nested grant's root).
 */
export function checkMovedSymlink(from: Place, source: Target, dest: Place, to: Target): void {
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
