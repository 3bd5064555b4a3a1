/**
 * Both trees of `witplug diff <path> --against git:<ref>`, named from one root:
 * the repository's. New-tree files are `contracts/wit/api.wit`, old-tree files
 * `<ref>:contracts/wit/api.wit`, wherever the command runs from, so CI
 * annotations (which GitHub places relative to the repository root) point at
 * the right file for additions and removals alike.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ErrorCodes, WitplugError } from '../errors.js';
import { readWitTree, readWitTreeAtRef, type WitTree } from '../contract/wit/index.js';

const run = promisify(execFile);

export interface TreesAtRef {
  readonly old: WitTree;
  readonly new: WitTree;
  /** The path relative to the repository root (`contracts/wit`). */
  readonly path: string;
  /** The prefix old-tree file names carry (`<ref>:`). */
  readonly oldPrefix: string;
}

/** Runs git; null when it exits non-zero (the caller says what that means). */
async function git(cwd: string, ...args: string[]): Promise<string | null> {
  try {
    return (await run('git', args, { cwd, maxBuffer: 1024 * 1024, timeout: 30_000 })).stdout;
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') throw new WitplugError(ErrorCodes.USAGE, '--against git:<ref> needs git on the PATH');
    return null;
  }
}

export async function readWitAgainstRef(path: string, ref: string): Promise<TreesAtRef> {
  if (!/^[A-Za-z0-9._/~^@{}-]+$/.test(ref) || ref.startsWith('-')) throw new WitplugError(ErrorCodes.USAGE, `invalid git ref '${ref}'`);
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new WitplugError(ErrorCodes.NOT_FOUND, `WIT path not found: ${path}`, { path });
  }
  const dir = isDir ? path : dirname(path);
  const prefix = await git(dir, 'rev-parse', '--show-prefix');
  if (prefix === null) throw new WitplugError(ErrorCodes.USAGE, `${path} is not inside a git repository (--against git:<ref> compares with a revision of it)`);
  if ((await git(dir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`)) === null) {
    throw new WitplugError(ErrorCodes.USAGE, `git revision '${ref}' not found (fetch it first, e.g. git fetch origin main)`);
  }
  const rel = join(prefix.trim(), isDir ? '' : basename(path)).replace(/\/$/, '') || '.';
  if ((await git(dir, 'cat-file', '-e', `${ref}:${rel === '.' ? '' : rel}`)) === null) {
    throw new WitplugError(ErrorCodes.NOT_FOUND, `${rel} does not exist at ${ref}: it was added after that revision (or moved); compare two paths instead to review it whole`, { path: rel });
  }
  const [old, neu] = await Promise.all([readWitTreeAtRef(path, ref), readWitTree(path, rel)]);
  return { old, new: neu, path: rel, oldPrefix: `${ref}:` };
}
