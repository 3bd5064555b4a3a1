/**
 * Filesystem grants must not escape. fsprobe-wat
 * (guests/wat-adversarial/fs-probe.wat) exposes one export per wasi:filesystem
 * descriptor call, so each test scripts an attack step by step: `..` chains,
 * absolute paths, symlinked parents, symlinks to outside followed by every
 * path-taking call, a directory swapped for a symlink under an open
 * descriptor (the exact scenario), hard links and escaping symlink
 * targets, for read-only and read-write grants. Every attempt must end in a
 * guest-visible WASI error with the outside untouched; legitimate in-root
 * work (in-root relative symlinks included) must keep working.
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { DIRECTORY, PROBE, Probe, REGULAR_FILE, SYMLINK, WIT } from './helpers/fs-probe.js';

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-sandbox-fs-cache-')));
let contract: Contract;

beforeAll(async () => {
  if (!existsSync(PROBE)) throw new Error(`${PROBE} missing: run npm run build:guests`);
  contract = await loadContract(WIT, 'fs-probe');
}, 60_000);

/**
 * base/                     (outside the grant)
 *   secret.txt "SECRET"   outdir/o.txt   outempty/   outlink -> secret.txt
 *   data/                   (granted as /data)
 *     a.txt "inside"  sub/b.txt "inner"  sub/up -> ../a.txt  in-link -> sub/b.txt  empty/
 *     dir-out -> ..   dir-abs -> <base>   rel-out -> ../secret.txt   abs-out -> <base>/secret.txt
 *     deep-out -> sub/../../secret.txt   dangle-out -> ../created.txt   dangle-abs -> <base>/created.txt
 */
let base: string;
let data: string;
let snapshot: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'witplug-fs-escape-'));
  data = join(base, 'data');
  writeFileSync(join(base, 'secret.txt'), 'SECRET');
  mkdirSync(join(base, 'outdir'));
  writeFileSync(join(base, 'outdir', 'o.txt'), 'OUT');
  mkdirSync(join(base, 'outempty'));
  symlinkSync('secret.txt', join(base, 'outlink'));
  mkdirSync(join(data, 'sub'), { recursive: true });
  mkdirSync(join(data, 'empty'));
  writeFileSync(join(data, 'a.txt'), 'inside');
  writeFileSync(join(data, 'sub', 'b.txt'), 'inner');
  symlinkSync('../a.txt', join(data, 'sub', 'up'));
  symlinkSync('sub/b.txt', join(data, 'in-link'));
  symlinkSync('..', join(data, 'dir-out'));
  symlinkSync(base, join(data, 'dir-abs'));
  symlinkSync('../secret.txt', join(data, 'rel-out'));
  symlinkSync(join(base, 'secret.txt'), join(data, 'abs-out'));
  symlinkSync('sub/../../secret.txt', join(data, 'deep-out'));
  symlinkSync('../created.txt', join(data, 'dangle-out'));
  symlinkSync(join(base, 'created.txt'), join(data, 'dangle-abs'));
  snapshot = outside();
});

/** Everything outside the granted directory: names, types, contents, link counts and mtimes. */
function outside(): string {
  const lines: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (rel === '' && name === 'data') continue;
      const p = join(dir, name);
      const st = lstatSync(p);
      const r = `${rel}${name}`;
      if (st.isSymbolicLink()) lines.push(`${r} -> link`);
      else if (st.isDirectory()) {
        lines.push(`${r}/`);
        walk(p, `${r}/`);
      } else lines.push(`${r} ${readFileSync(p, 'utf8')} nlink=${st.nlink} mtime=${st.mtimeMs}`);
    }
  };
  walk(base, '');
  return lines.join('\n');
}

async function probe(readonly: boolean): Promise<Probe> {
  return new Probe(await loadPlugin(PROBE, { contract, cache, grant: { filesystem: [{ host: data, guest: '/data', readonly }] } }));
}

/** A refused escape: a WASI error (never a host exception), no secret in it, the outside untouched. */
function refused(r: { ok?: unknown; err?: string }, code: string | readonly string[] = 'not-permitted'): void {
  expect(r.err, `expected ${String(code)}, got ${JSON.stringify(r)}`).toBeDefined();
  expect(typeof code === 'string' ? [code] : code).toContain(r.err);
  expect(outside()).toBe(snapshot);
}

/** Paths (relative to /data) that name something outside the grant. */
const ROUTES = [
  '../secret.txt', 'sub/../../secret.txt', './sub/../../secret.txt', '/etc/passwd', 'dir-out/secret.txt', 'dir-abs/secret.txt',
  'sub/../dir-out/secret.txt', 'rel-out', 'abs-out', 'deep-out', 'dir-out/outlink',
];
const ABSOLUTE_ROUTE = () => join(base, 'secret.txt');

for (const readonly of [false, true]) {
  const kind = readonly ? 'read-only' : 'read-write';
  /** Mutations on a read-only grant are refused before any path is looked at. */
  const mutation = readonly ? 'read-only' : 'not-permitted';

  describe(`${kind} grant: every route out is refused`, () => {
    it('open-at and stat-at (symlinks followed) through .. chains, absolute paths, symlinked parents and outside symlinks', async () => {
      const p = await probe(readonly);
      for (const route of [...ROUTES, ABSOLUTE_ROUTE()]) {
        const read = p.readFile(p.pre, route);
        expect(JSON.stringify(read)).not.toMatch(/SECRET|root:/);
        refused(read);
        refused(p.statAt(p.pre, route));
        refused(p.openAt(p.pre, route, { directory: true }), ['not-permitted', 'not-directory']);
      }
      // Opening the outside directory itself through a symlinked parent, then listing it.
      for (const route of ['dir-out', 'dir-abs', 'dir-out/outdir', '..', 'sub/..//..']) refused(p.openAt(p.pre, route, { directory: true }));
    });

    it('stat-at and readlink-at without following: links outside are reachable only as text', async () => {
      const p = await probe(readonly);
      // The link itself is inside: its type and target text are the guest's to read, the target is not.
      expect(p.statAt(p.pre, 'rel-out', false)).toEqual({ ok: SYMLINK });
      expect(p.readlinkAt(p.pre, 'rel-out')).toEqual({ ok: '../secret.txt' });
      for (const route of ['dir-out/outlink', 'dir-abs/outlink', '../outlink', 'sub/../../outlink']) {
        refused(p.readlinkAt(p.pre, route));
        refused(p.statAt(p.pre, route, false));
      }
    });

    it('unlink, rmdir, mkdir, rename and set-times cannot touch the outside', async () => {
      const p = await probe(readonly);
      for (const route of ['../secret.txt', 'dir-out/secret.txt', 'dir-abs/secret.txt', 'sub/../../secret.txt']) refused(p.unlinkFileAt(p.pre, route), mutation);
      for (const route of ['../outempty', 'dir-out/outempty', 'dir-abs/outempty']) refused(p.removeDirectoryAt(p.pre, route), mutation);
      for (const route of ['../newdir', 'dir-out/newdir', 'dir-abs/newdir', 'rel-out/x']) refused(p.createDirectoryAt(p.pre, route), readonly ? 'read-only' : ['not-permitted', 'not-directory']);
      // Moving an outside file in, or an inside file out.
      for (const route of ['../secret.txt', 'dir-out/secret.txt', 'dir-abs/secret.txt']) refused(p.renameAt(p.pre, route, p.pre, 'stolen.txt'), mutation);
      for (const route of ['../planted.txt', 'dir-out/planted.txt', 'dir-abs/outdir/planted.txt']) refused(p.renameAt(p.pre, 'a.txt', p.pre, route), mutation);
      // Creating through a dangling symlink to outside, or writing through one to an outside file.
      for (const route of ['dangle-out', 'dangle-abs', 'dir-out/created.txt', 'rel-out', 'abs-out']) refused(p.writeFile(p.pre, route, 'x'), mutation);
      expect(existsSync(join(base, 'created.txt'))).toBe(false);
      for (const route of ['rel-out', 'abs-out', 'deep-out', 'dir-out/secret.txt', '../secret.txt']) refused(p.setTimesAt(p.pre, route, true, 1000n), mutation);
      for (const route of ['dir-out/secret.txt', 'dir-abs/outlink']) refused(p.setTimesAt(p.pre, route, false, 1000n), mutation);
      expect(existsSync(join(data, 'stolen.txt'))).toBe(false);
    });

    it('link-at: no hard link to an outside file, none placed outside', async () => {
      const p = await probe(readonly);
      for (const route of ['rel-out', 'abs-out', 'deep-out']) refused(p.linkAt(p.pre, route, true, p.pre, 'hl.txt'), mutation);
      for (const route of ['../secret.txt', 'dir-out/secret.txt', 'dir-abs/secret.txt']) {
        refused(p.linkAt(p.pre, route, false, p.pre, 'hl.txt'), mutation);
        refused(p.linkAt(p.pre, route, true, p.pre, 'hl.txt'), mutation);
      }
      for (const route of ['../hl.txt', 'dir-out/hl.txt', 'dir-abs/outdir/hl.txt']) refused(p.linkAt(p.pre, 'a.txt', false, p.pre, route), mutation);
      expect(existsSync(join(data, 'hl.txt'))).toBe(false);
      expect(statSync(join(base, 'secret.txt')).nlink).toBe(1);
    });

    it('symlink-at refuses targets that leave the root', async () => {
      const p = await probe(readonly);
      const sub = p.dir(p.pre, 'sub');
      for (const target of ['../secret.txt', 'sub/../../secret.txt', '/etc/passwd', ABSOLUTE_ROUTE(), 'dir-out/secret.txt', 'dir-abs', '..', 'missing/../../x', '../../../../../../../../..']) {
        refused(p.symlinkAt(p.pre, target, 'planted'), mutation);
      }
      // From a subdirectory: one `..` stays inside the root, two leave it.
      refused(p.symlinkAt(sub, '../../secret.txt', 'planted'), mutation);
      refused(p.symlinkAt(sub, '../dir-out', 'planted'), mutation);
      expect(existsSync(join(data, 'planted'))).toBe(false);
      expect(existsSync(join(data, 'sub', 'planted'))).toBe(false);
    });

    it("a directory swapped for a symlink under an open descriptor: the old descriptor refuses every call (the issue's scenario)", async () => {
      const p = await probe(readonly);
      const empty = p.dir(p.pre, 'empty');
      if (readonly) {
        // The guest cannot mutate; the swap comes from outside the plugin.
        rmdirSync(join(data, 'empty'));
        symlinkSync('../../../../../../../../..', join(data, 'empty'));
      } else {
        // The sequence: remove the directory, plant a symlink to / in its place.
        expect(p.removeDirectoryAt(p.pre, 'empty')).toEqual({ ok: null });
        refused(p.symlinkAt(p.pre, '../../../../../../../../..', 'empty')); // refused by the target check...
        refused(p.symlinkAt(p.pre, '/', 'empty'));
        // ...and so is moving an escaping symlink that was already there over the directory's name...
        refused(p.renameAt(p.pre, 'dir-out', p.pre, 'empty'));
        // ...so the host (or another process) does it.
        renameSync(join(data, 'dir-out'), join(data, 'empty'));
      }
      const swappedTo = readonly ? '/' : base;
      const secret = readonly ? 'etc/passwd' : 'secret.txt';
      expect(existsSync(join(swappedTo, secret))).toBe(true); // the old path now really leads outside
      const read = p.readFile(empty, secret);
      expect(JSON.stringify(read)).not.toMatch(/SECRET|root:/);
      refused(read);
      refused(p.statAt(empty, secret));
      refused(p.statAt(empty, secret, false));
      refused(p.openAt(empty, '.', { directory: true }));
      refused(p.openAt(empty, readonly ? 'etc' : 'outdir', { directory: true }));
      refused(p.list(empty));
      refused(p.readlinkAt(empty, readonly ? 'etc/passwd' : 'outlink'));
      if (readonly) return;
      refused(p.createDirectoryAt(empty, 'newdir'));
      refused(p.unlinkFileAt(empty, 'secret.txt'));
      refused(p.removeDirectoryAt(empty, 'outempty'));
      refused(p.setTimesAt(empty, 'secret.txt', true, 1000n));
      refused(p.symlinkAt(empty, 'secret.txt', 'planted'));
      refused(p.writeFile(empty, 'planted.txt', 'x'));
      refused(p.linkAt(empty, 'secret.txt', false, p.pre, 'stolen.txt'));
      refused(p.linkAt(p.pre, 'a.txt', false, empty, 'planted.txt'));
      refused(p.renameAt(empty, 'secret.txt', p.pre, 'stolen.txt'));
      refused(p.renameAt(p.pre, 'a.txt', empty, 'planted.txt'));
      expect(existsSync(join(data, 'stolen.txt'))).toBe(false);
    });

    it('a swapped parent: a descriptor below a directory that became a symlink refuses too', async () => {
      const p = await probe(readonly);
      mkdirSync(join(data, 'sub', 'deeper'));
      const deeper = p.dir(p.pre, 'sub/deeper');
      expect(p.statAt(deeper, '.')).toEqual({ ok: DIRECTORY });
      // Swap sub (the parent) for a symlink to the outside, with an outside deeper/ to land in.
      mkdirSync(join(base, 'deeper'));
      writeFileSync(join(base, 'deeper', 'secret.txt'), 'SECRET');
      snapshot = outside();
      renameSync(join(data, 'sub'), join(data, 'sub-moved'));
      symlinkSync('..', join(data, 'sub'));
      refused(p.readFile(deeper, 'secret.txt'));
      refused(p.statAt(deeper, 'secret.txt'));
      refused(p.list(deeper));
    });
  });
}

describe('odd paths end in a WASI error, never a host exception', () => {
  it('symlink loops, NUL bytes, over-long names, the root itself', async () => {
    const p = await probe(false);
    symlinkSync('loop-b', join(data, 'loop-a'));
    symlinkSync('loop-a', join(data, 'loop-b'));
    expect(p.readFile(p.pre, 'loop-a')).toEqual({ err: 'loop' });
    expect(p.statAt(p.pre, 'loop-a/x')).toEqual({ err: 'loop' });
    expect(p.statAt(p.pre, 'a\u0000b')).toEqual({ err: 'invalid' });
    expect(p.statAt(p.pre, 'x'.repeat(300))).toEqual({ err: 'name-too-long' });
    // One lookup is bounded: a path of thousands of components is refused before the walk.
    expect(p.statAt(p.pre, 'sub/../'.repeat(1000) + 'a.txt')).toEqual({ err: 'name-too-long' });
    expect(p.symlinkAt(p.pre, 'sub/../'.repeat(1000) + 'a.txt', 'long')).toEqual({ err: 'name-too-long' });
    expect(p.statAt(p.pre, 'sub/../'.repeat(100) + 'a.txt')).toEqual({ ok: REGULAR_FILE });
    expect(p.statAt(p.pre, 'a.txt/x')).toEqual({ err: 'not-directory' });
    expect(p.statAt(p.pre, 'nope/x')).toEqual({ err: 'no-entry' });
    // The granted directory itself can't be removed, renamed or linked: there is no name for it.
    for (const path of ['', '.', 'sub/..']) {
      expect(p.removeDirectoryAt(p.pre, path)).toEqual({ err: 'invalid' });
      expect(p.renameAt(p.pre, path, p.pre, 'moved')).toEqual({ err: 'invalid' });
    }
    const empty = p.dir(p.pre, 'empty');
    expect(p.removeDirectoryAt(empty, '.')).toEqual({ err: 'invalid' });
    expect(existsSync(join(data, 'empty'))).toBe(true);
    expect(outside()).toBe(snapshot);
  });
});

describe('two grants, one read-only', () => {
  it('no hard link or rename moves a read-only file where it could be written, either way round', async () => {
    const out = join(base, 'outdir');
    const plugin = await loadPlugin(PROBE, {
      contract, cache,
      grant: { filesystem: [{ host: data, guest: '/in', readonly: true }, { host: out, guest: '/out', readonly: false }] },
    });
    const p = new Probe(plugin);
    const rw = plugin.call('preopen', [1]) as number;
    expect(rw).toBeGreaterThan(0);
    expect(plugin.call('preopen', [2])).toBe(0);
    expect(p.readFile(p.pre, 'a.txt')).toEqual({ ok: 'inside' });
    expect(p.readFile(rw, 'o.txt')).toEqual({ ok: 'OUT' });
    expect(p.linkAt(p.pre, 'a.txt', false, rw, 'a-link.txt')).toEqual({ err: 'read-only' });
    expect(p.linkAt(rw, 'o.txt', false, p.pre, 'o-link.txt')).toEqual({ err: 'read-only' });
    expect(p.renameAt(p.pre, 'a.txt', rw, 'a.txt')).toEqual({ err: 'read-only' });
    expect(p.renameAt(rw, 'o.txt', p.pre, 'o.txt')).toEqual({ err: 'read-only' });
    expect(p.linkAt(rw, 'o.txt', false, rw, 'o2.txt')).toEqual({ ok: null });
    expect(readdirSync(out).sort()).toEqual(['o.txt', 'o2.txt']);
    expect(statSync(join(data, 'a.txt')).nlink).toBe(1);
  });
});

describe('isolation mode (worker thread) uses the same confinement', () => {
  it("the issue's scenario fails in a worker too", async () => {
    const plugin = await loadPlugin(PROBE, { contract, cache, isolate: true, grant: { filesystem: [{ host: data, guest: '/data', readonly: false }] } });
    try {
      const p = new Probe(plugin);
      const empty = p.dir(p.pre, 'empty');
      expect(p.removeDirectoryAt(p.pre, 'empty')).toEqual({ ok: null });
      refused(p.symlinkAt(p.pre, '../../../../../../../../..', 'empty'));
      refused(p.renameAt(p.pre, 'dir-out', p.pre, 'empty'));
      renameSync(join(data, 'dir-out'), join(data, 'empty'));
      refused(p.readFile(empty, 'secret.txt'));
      refused(p.list(empty));
      expect(p.readFile(p.pre, 'a.txt')).toEqual({ ok: 'inside' });
    } finally {
      await plugin.close();
    }
  }, 60_000);
});

describe('legitimate work inside the root keeps working', () => {
  it('read-write: files, directories, in-root relative symlinks, hard links, renames, times', async () => {
    const p = await probe(false);
    expect(p.readFile(p.pre, 'a.txt')).toEqual({ ok: 'inside' });
    expect(p.readFile(p.pre, 'sub/../a.txt')).toEqual({ ok: 'inside' });
    expect(p.readFile(p.pre, 'in-link')).toEqual({ ok: 'inner' });
    expect(p.readFile(p.pre, 'sub/up')).toEqual({ ok: 'inside' }); // sub/up -> ../a.txt, resolved from /data
    expect(p.statAt(p.pre, 'in-link')).toEqual({ ok: REGULAR_FILE });
    expect(p.statAt(p.pre, 'in-link', false)).toEqual({ ok: SYMLINK });
    expect(p.readFile(p.pre, 'in-link', false)).toEqual({ err: 'loop' }); // O_NOFOLLOW on a symlink
    expect(p.list(p.pre)).toEqual({ ok: expect.stringContaining('a.txt\n') as unknown }); // the preopen itself lists too

    expect(p.writeFile(p.pre, 'new.txt', 'hello')).toEqual({ ok: null });
    expect(readFileSync(join(data, 'new.txt'), 'utf8')).toBe('hello');
    expect(p.createDirectoryAt(p.pre, 'made')).toEqual({ ok: null });
    const made = p.dir(p.pre, 'made');
    expect(p.writeFile(made, 'm.txt', 'deep')).toEqual({ ok: null });
    expect(p.readFile(p.pre, 'made/m.txt')).toEqual({ ok: 'deep' });
    expect(p.list(made)).toEqual({ ok: 'm.txt\n' });

    // An in-root relative symlink, made by the guest from a subdirectory, followed from the root.
    expect(p.symlinkAt(made, '../a.txt', 'to-a')).toEqual({ ok: null });
    expect(p.readFile(p.pre, 'made/to-a')).toEqual({ ok: 'inside' });
    expect(p.symlinkAt(p.pre, 'sub/b.txt', 'to-b')).toEqual({ ok: null });
    expect(p.readFile(p.pre, 'to-b')).toEqual({ ok: 'inner' });
    expect(p.symlinkAt(p.pre, 'not-yet', 'dangling')).toEqual({ ok: null });
    // create through a dangling in-root symlink creates its target
    expect(p.writeFile(p.pre, 'dangling', 'later')).toEqual({ ok: null });
    expect(readFileSync(join(data, 'not-yet'), 'utf8')).toBe('later');

    expect(p.linkAt(p.pre, 'a.txt', false, made, 'hard.txt')).toEqual({ ok: null });
    expect(statSync(join(data, 'a.txt')).nlink).toBe(2);
    expect(p.linkAt(p.pre, 'in-link', true, p.pre, 'hard-b.txt')).toEqual({ ok: null }); // follows to sub/b.txt
    expect(statSync(join(data, 'sub', 'b.txt')).nlink).toBe(2);
    expect(p.renameAt(made, 'hard.txt', p.pre, 'moved.txt')).toEqual({ ok: null });
    expect(readFileSync(join(data, 'moved.txt'), 'utf8')).toBe('inside');
    expect(p.setTimesAt(p.pre, 'a.txt', true, 1_000_000n)).toEqual({ ok: null });
    expect(statSync(join(data, 'a.txt')).mtimeMs).toBe(1_000_000_000);
    expect(p.setTimesAt(p.pre, 'in-link', true, 2_000_000n)).toEqual({ ok: null }); // follows to sub/b.txt
    expect(statSync(join(data, 'sub', 'b.txt')).mtimeMs).toBe(2_000_000_000);

    // Removing the link to the outside removes the link, not its target.
    expect(p.unlinkFileAt(p.pre, 'rel-out')).toEqual({ ok: null });
    expect(existsSync(join(base, 'secret.txt'))).toBe(true);
    expect(p.unlinkFileAt(made, 'm.txt')).toEqual({ ok: null });
    expect(p.unlinkFileAt(made, 'to-a')).toEqual({ ok: null });
    expect(p.removeDirectoryAt(p.pre, 'made')).toEqual({ ok: null });
    expect(existsSync(join(data, 'made'))).toBe(false);
    expect(outside()).toBe(snapshot);
  });

  it('a descriptor stays confined to its own directory (as in wasmtime): .. above it is refused', async () => {
    const p = await probe(false);
    const sub = p.dir(p.pre, 'sub');
    expect(p.readFile(sub, 'b.txt')).toEqual({ ok: 'inner' });
    refused(p.readFile(sub, '../a.txt'));
    refused(p.readFile(sub, 'up')); // up -> ../a.txt: inside the root, above the descriptor
    expect(p.readFile(p.pre, 'sub/up')).toEqual({ ok: 'inside' });
  });

  it('read-only: reads work, every mutation is read-only', async () => {
    const p = await probe(true);
    expect(p.readFile(p.pre, 'a.txt')).toEqual({ ok: 'inside' });
    expect(p.readFile(p.pre, 'sub/up')).toEqual({ ok: 'inside' });
    const sub = p.dir(p.pre, 'sub');
    expect(p.list(sub)).toEqual({ ok: expect.stringMatching(/^(b\.txt\nup\n|up\nb\.txt\n)$/) as unknown });
    expect(p.statAt(sub, 'b.txt')).toEqual({ ok: REGULAR_FILE });
    expect(p.readlinkAt(sub, 'up')).toEqual({ ok: '../a.txt' });
    refused(p.writeFile(p.pre, 'new.txt', 'x'), 'read-only');
    refused(p.openAt(p.pre, 'a.txt', { write: true }), 'read-only');
    refused(p.createDirectoryAt(p.pre, 'made'), 'read-only');
    refused(p.unlinkFileAt(p.pre, 'a.txt'), 'read-only');
    refused(p.removeDirectoryAt(p.pre, 'empty'), 'read-only');
    refused(p.renameAt(p.pre, 'a.txt', p.pre, 'b.txt'), 'read-only');
    refused(p.linkAt(p.pre, 'a.txt', false, p.pre, 'hl.txt'), 'read-only');
    refused(p.symlinkAt(p.pre, 'a.txt', 'ln'), 'read-only');
    refused(p.setTimesAt(p.pre, 'a.txt', true, 1000n), 'read-only');
    expect(readdirSync(data).sort()).toEqual(['a.txt', 'abs-out', 'dangle-abs', 'dangle-out', 'deep-out', 'dir-abs', 'dir-out', 'empty', 'in-link', 'rel-out', 'sub']);
  });
});
