/**
 * What a confined filesystem descriptor is (preview2-shim's descriptor
 * surface), the identity of a granted root, and the per-instance ledger of
 * open descriptors, listings and streams (`maxOpenFiles`).
 */
import { statSync } from 'node:fs';
import { WitplugError, ErrorCodes } from '../../errors.js';

export interface PathFlags { readonly symlinkFollow?: boolean }
export interface OpenFlags { readonly create?: boolean; readonly directory?: boolean; readonly exclusive?: boolean; readonly truncate?: boolean }
export interface DescriptorFlags { readonly write?: boolean; readonly mutateDirectory?: boolean }
export interface Datetime { readonly seconds: bigint; readonly nanoseconds: number }
export type NewTimestamp = { readonly tag: 'no-change' } | { readonly tag: 'now' } | { readonly tag: 'timestamp'; readonly val: Datetime };
export interface Stat { readonly dataAccessTimestamp?: Datetime; readonly dataModificationTimestamp?: Datetime }

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
export interface Disposable {
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
