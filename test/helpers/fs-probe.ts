/**
 * The fs-probe guest (guests/wat-adversarial/fs-probe.wat) driven one
 * wasi:filesystem call at a time, results as `{ ok }` / `{ err: 'code-name' }`.
 */
import { expect } from 'vitest';
import type { Plugin } from '../../src/runtime/load/load-plugin.js';

export const PROBE = 'guests/dist/fsprobe-wat.wasm';
export const WIT = 'guests/wat-adversarial/wit';
/** wasi:filesystem/types error-code, in declaration order (the guest returns the discriminant). */
export const ERRORS = [
  'access', 'would-block', 'already', 'bad-descriptor', 'busy', 'deadlock', 'quota', 'exist', 'file-too-large',
  'illegal-byte-sequence', 'in-progress', 'interrupted', 'invalid', 'io', 'is-directory', 'loop', 'too-many-links',
  'message-size', 'name-too-long', 'no-device', 'no-entry', 'no-lock', 'insufficient-memory', 'insufficient-space',
  'not-directory', 'not-empty', 'not-recoverable', 'unsupported', 'no-tty', 'no-such-device', 'overflow',
  'not-permitted', 'pipe', 'read-only', 'invalid-seek', 'text-file-busy', 'cross-device',
] as const;
export const REGULAR_FILE = 6;
export const DIRECTORY = 3;
export const SYMLINK = 5;
export const O_CREATE = 1;
export const O_DIRECTORY = 2;
export const READ = 1;
export const WRITE = 2;

export type Result = { tag: 'ok'; val: unknown } | { tag: 'err'; val: number };

/** The probe plugin, with results turned into `{ ok }` / `{ err: 'code-name' }`. */
export class Probe {
  readonly pre: number;
  constructor(readonly plugin: Pick<Plugin, 'call'>) {
    this.pre = plugin.call('preopen', [0]) as number;
    expect(this.pre).toBeGreaterThan(0);
  }
  #r(name: string, args: unknown[]): { ok?: unknown; err?: string } {
    const r = this.plugin.call(name, args) as Result;
    return r.tag === 'ok' ? { ok: r.val ?? null } : { err: ERRORS[r.val] ?? `#${r.val}` };
  }
  openAt(dir: number, path: string, o: { follow?: boolean; create?: boolean; directory?: boolean; write?: boolean } = {}) {
    const oflags = (o.create ? O_CREATE : 0) | (o.directory ? O_DIRECTORY : 0);
    return this.#r('open-at', [dir, path, o.follow ?? true, oflags, o.write ? WRITE : READ]);
  }
  /** Opens a directory; fails the test if it can't. */
  dir(dir: number, path: string): number {
    const r = this.openAt(dir, path, { directory: true });
    expect(r, `open directory ${path}`).toHaveProperty('ok');
    return r.ok as number;
  }
  /** Opens and reads a file in one go. */
  readFile(dir: number, path: string, follow = true) {
    const r = this.openAt(dir, path, { follow });
    if (r.err) return r;
    const out = this.#r('read', [r.ok]);
    this.plugin.call('drop', [r.ok]);
    return out;
  }
  writeFile(dir: number, path: string, data: string) {
    const r = this.openAt(dir, path, { create: true, write: true });
    if (r.err) return r;
    const out = this.#r('write', [r.ok, data]);
    this.plugin.call('drop', [r.ok]);
    return out;
  }
  statAt = (dir: number, path: string, follow = true) => this.#r('stat-at', [dir, path, follow]);
  readlinkAt = (dir: number, path: string) => this.#r('readlink-at', [dir, path]);
  symlinkAt = (dir: number, target: string, path: string) => this.#r('symlink-at', [dir, target, path]);
  linkAt = (dir: number, old: string, follow: boolean, newDir: number, path: string) => this.#r('link-at', [dir, old, follow, newDir, path]);
  renameAt = (dir: number, old: string, newDir: number, path: string) => this.#r('rename-at', [dir, old, newDir, path]);
  unlinkFileAt = (dir: number, path: string) => this.#r('unlink-file-at', [dir, path]);
  removeDirectoryAt = (dir: number, path: string) => this.#r('remove-directory-at', [dir, path]);
  createDirectoryAt = (dir: number, path: string) => this.#r('create-directory-at', [dir, path]);
  setTimesAt = (dir: number, path: string, follow: boolean, mtime: bigint) => this.#r('set-times-at', [dir, path, follow, mtime]);
  list = (dir: number) => this.#r('list-directory', [dir]);
}
