/**
 * Nested grants and granted roots that change under a plugin. A grant is
 * the directory it named when granted (its device and inode), re-checked on
 * every call: a symlink or another directory put in its place, or a parent
 * swapped, makes every call through it fail rather than follow. And a
 * guest cannot make a relative symlink point outside by moving or
 * hard-linking it (`a/l -> ..` is inside where it was made, outside one
 * level up).
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlugin } from '../src/runtime/load/load-plugin.js';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { PROBE, Probe, WIT } from './helpers/fs-probe.js';

const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-fs-nested-cache-')));
let contract: Contract;

beforeAll(async () => {
  if (!existsSync(PROBE)) throw new Error(`${PROBE} missing: run npm run build:guests`);
  contract = await loadContract(WIT, 'fs-probe');
}, 60_000);

/**
 * base/secret.txt "SECRET"           (outside every grant)
 * base/state/                        granted as /state (read-write)
 *   a/   own.txt "STATE"
 *   public/p.txt "PUBLIC"            granted as /public
 */
let base: string;
let state: string;
let snapshot: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'witplug-fs-nested-'));
  state = join(base, 'state');
  writeFileSync(join(base, 'secret.txt'), 'SECRET');
  mkdirSync(join(state, 'a'), { recursive: true });
  mkdirSync(join(state, 'public'));
  writeFileSync(join(state, 'own.txt'), 'STATE');
  writeFileSync(join(state, 'public', 'p.txt'), 'PUBLIC');
  snapshot = outside();
});

/** Everything in base/ except the state tree: names, types, contents, mtimes. */
function outside(): string {
  const lines: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (rel === '' && name === 'state') continue;
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) lines.push(`${rel}${name} -> link`);
      else if (st.isDirectory()) {
        lines.push(`${rel}${name}/`);
        walk(p, `${rel}${name}/`);
      } else lines.push(`${rel}${name} ${readFileSync(p, 'utf8')} mtime=${st.mtimeMs}`);
    }
  };
  walk(base, '');
  return lines.join('\n');
}

async function nested(publicReadonly: boolean): Promise<{ p: Probe; st: number; pub: number }> {
  const plugin = await loadPlugin(PROBE, {
    contract, cache,
    grant: { filesystem: [{ host: state, guest: '/state', readonly: false }, { host: join(state, 'public'), guest: '/public', readonly: publicReadonly }] },
  });
  const p = new Probe(plugin);
  const pub = plugin.call('preopen', [1]) as number;
  expect(pub).toBeGreaterThan(0);
  return { p, st: p.pre, pub };
}

/** Every way through `dir` to the outside fails with a WASI error, and nothing outside changed. */
function sealed(p: Probe, dir: number, codes: readonly string[] = ['not-permitted']): void {
  const attempts = [
    p.readFile(dir, 'secret.txt'),
    p.readFile(dir, 'state/own.txt'),
    p.statAt(dir, 'secret.txt'),
    p.statAt(dir, '.'),
    p.openAt(dir, '.', { directory: true }),
    p.list(dir),
    p.writeFile(dir, 'created.txt', 'x'),
    p.createDirectoryAt(dir, 'made'),
    p.symlinkAt(dir, 'secret.txt', 'ln'),
    p.unlinkFileAt(dir, 'secret.txt'),
    p.renameAt(dir, 'secret.txt', dir, 'moved.txt'),
  ];
  for (const r of attempts) {
    expect(JSON.stringify(r)).not.toMatch(/SECRET|STATE/);
    expect(r.err, JSON.stringify(r)).toBeDefined();
    expect([...codes, 'read-only']).toContain(r.err);
  }
  expect(outside()).toBe(snapshot);
  expect(existsSync(join(base, 'created.txt'))).toBe(false);
  expect(existsSync(join(base, 'made'))).toBe(false);
}

for (const publicReadonly of [false, true]) {
  describe(`nested grants (/public ${publicReadonly ? 'read-only' : 'read-write'} inside /state)`, () => {
    it("the rename trick: a relative link moved up in place of /public's root is refused, and /public never follows a replacement", async () => {
      const { p, st, pub } = await nested(publicReadonly);
      expect(p.readFile(pub, 'p.txt')).toEqual({ ok: 'PUBLIC' });
      // a/l -> .. is inside /state where it is made...
      expect(p.symlinkAt(st, '..', 'a/l')).toEqual({ ok: null });
      expect(p.readFile(st, 'a/l/own.txt')).toEqual({ ok: 'STATE' });
      expect(p.renameAt(st, 'public', st, 'public-away')).toEqual({ ok: null });
      // ...and would point above /state one level up: moving it there is refused, as is a hard link there.
      expect(p.renameAt(st, 'a/l', st, 'public')).toEqual({ err: 'not-permitted' });
      expect(p.linkAt(st, 'a/l', false, st, 'public')).toEqual({ err: 'not-permitted' });
      expect(existsSync(join(state, 'public'))).toBe(false);
      // /public's directory moved away: its old path is empty, the grant does not follow the name.
      expect(p.readFile(pub, 'p.txt')).toEqual({ err: 'no-entry' });
      // The host (or another process) puts the link there anyway: /public refuses it, whatever it leads to.
      renameSync(join(state, 'a', 'l'), join(state, 'public'));
      expect(readFileSync(join(state, 'public', 'secret.txt'), 'utf8')).toBe('SECRET'); // the path really leads out
      sealed(p, pub);
      // Another real directory in its place is not the granted one either.
      rmSync(join(state, 'public'));
      expect(p.createDirectoryAt(st, 'public')).toEqual({ ok: null });
      expect(p.writeFile(st, 'public/p.txt', 'IMPOSTOR')).toEqual({ ok: null });
      sealed(p, pub);
      expect(p.readFile(pub, 'p.txt')).toEqual({ err: 'not-permitted' });
      // The granted directory back at its path: /public works again.
      expect(p.unlinkFileAt(st, 'public/p.txt')).toEqual({ ok: null });
      expect(p.removeDirectoryAt(st, 'public')).toEqual({ ok: null });
      expect(p.renameAt(st, 'public-away', st, 'public')).toEqual({ ok: null });
      expect(p.readFile(pub, 'p.txt')).toEqual({ ok: 'PUBLIC' });
      expect(outside()).toBe(snapshot);
    });

    it('a moved directory that carries a climbing link: /public refuses the stranger, /state refuses the climb', async () => {
      const { p, st, pub } = await nested(publicReadonly);
      // a/b/l -> ../.. is /state itself where it is made.
      expect(p.createDirectoryAt(st, 'a/b')).toEqual({ ok: null });
      expect(p.symlinkAt(st, '../..', 'a/b/l')).toEqual({ ok: null });
      expect(p.renameAt(st, 'public', st, 'public-away')).toEqual({ ok: null });
      // Moving a directory is not checked link by link; the link now climbs above /state.
      expect(p.renameAt(st, 'a/b', st, 'public')).toEqual({ ok: null });
      sealed(p, pub);
      for (const path of ['public/l/secret.txt', 'public/l/state/own.txt']) {
        expect(p.readFile(st, path)).toEqual({ err: 'not-permitted' });
        expect(p.writeFile(st, path.replace(/[^/]*$/, 'created.txt'), 'x')).toEqual({ err: 'not-permitted' });
      }
      expect(outside()).toBe(snapshot);
    });

    it('descriptors opened below /public before the swap refuse afterwards', async () => {
      const { p, st, pub } = await nested(publicReadonly);
      expect(p.createDirectoryAt(st, 'public/inner')).toEqual({ ok: null });
      const inner = p.dir(pub, 'inner');
      expect(p.renameAt(st, 'public', st, 'public-away')).toEqual({ ok: null });
      mkdirSync(join(base, 'inner'));
      writeFileSync(join(base, 'inner', 'secret.txt'), 'SECRET');
      snapshot = outside();
      symlinkSync('..', join(state, 'public'));
      sealed(p, inner);
    });
  });
}

describe('a granted root swapped by the host after the grant', () => {
  /** base/data granted as /data; base/other/secret.txt and base/secret.txt outside. */
  async function single(readonly: boolean): Promise<{ p: Probe; data: string }> {
    const data = join(base, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'd.txt'), 'DATA');
    mkdirSync(join(base, 'other'));
    writeFileSync(join(base, 'other', 'secret.txt'), 'SECRET');
    snapshot = outside();
    const plugin = await loadPlugin(PROBE, { contract, cache, grant: { filesystem: [{ host: data, guest: '/data', readonly }] } });
    return { p: new Probe(plugin), data };
  }

  for (const readonly of [false, true]) {
    it(`${readonly ? 'read-only' : 'read-write'}: a symlink, another directory or a swapped parent in its place: every call fails`, async () => {
      const { p, data } = await single(readonly);
      expect(p.readFile(p.pre, 'd.txt')).toEqual({ ok: 'DATA' });
      renameSync(data, join(base, 'data-moved'));
      for (const target of ['..', 'other', base, '/']) {
        symlinkSync(target, data);
        snapshot = outside();
        sealed(p, p.pre);
        rmSync(data);
      }
      mkdirSync(data);
      writeFileSync(join(data, 'secret.txt'), 'SECRET');
      snapshot = outside();
      sealed(p, p.pre);
      rmSync(data, { recursive: true });
      // Back in place: the grant works again.
      renameSync(join(base, 'data-moved'), data);
      expect(p.readFile(p.pre, 'd.txt')).toEqual({ ok: 'DATA' });
    });
  }

  it('a parent of the root swapped for a symlink to a look-alike tree: refused', async () => {
    const parent = join(base, 'p');
    const data = join(parent, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'd.txt'), 'DATA');
    const plugin = await loadPlugin(PROBE, { contract, cache, grant: { filesystem: [{ host: data, guest: '/data', readonly: false }] } });
    const p = new Probe(plugin);
    expect(p.readFile(p.pre, 'd.txt')).toEqual({ ok: 'DATA' });
    mkdirSync(join(base, 'look', 'data'), { recursive: true });
    writeFileSync(join(base, 'look', 'data', 'secret.txt'), 'SECRET');
    renameSync(parent, join(base, 'p-moved'));
    symlinkSync('look', parent);
    snapshot = outside();
    sealed(p, p.pre);
    // The same directory reached through a symlinked parent is still the granted one.
    rmSync(parent);
    symlinkSync('p-moved', parent);
    expect(p.readFile(p.pre, 'd.txt')).toEqual({ ok: 'DATA' });
  });

  it('a root missing at grant time is taken when it appears as a real directory, never through a symlink', async () => {
    const data = join(base, 'later');
    const plugin = await loadPlugin(PROBE, { contract, cache, grant: { filesystem: [{ host: data, guest: '/later', readonly: false }] } });
    const p = new Probe(plugin);
    expect(p.readFile(p.pre, 'x.txt')).toEqual({ err: 'no-entry' });
    mkdirSync(join(base, 'elsewhere'));
    symlinkSync('elsewhere', data);
    snapshot = outside();
    sealed(p, p.pre);
    rmSync(data);
    mkdirSync(data);
    expect(p.writeFile(p.pre, 'x.txt', 'hello')).toEqual({ ok: null });
    expect(readFileSync(join(data, 'x.txt'), 'utf8')).toBe('hello');
  });
});

describe('two in-process plugins on one thread, calls interleaved by the host', () => {
  it("one plugin's moves between the other's calls never redirect the other's descriptors or paths", async () => {
    // base/state/x/sub/own.txt "STATE"; base/state/deep/E/sub -> ../.. (state/ there, base/ once E is at x).
    mkdirSync(join(state, 'x', 'sub'), { recursive: true });
    writeFileSync(join(state, 'x', 'sub', 'own.txt'), 'STATE');
    mkdirSync(join(state, 'deep', 'E'), { recursive: true });
    symlinkSync('../..', join(state, 'deep', 'E', 'sub'));
    writeFileSync(join(base, 'own.txt'), 'SECRET');
    snapshot = outside();
    const grant = { filesystem: [{ host: state, guest: '/state', readonly: false }] };
    const mover = new Probe(await loadPlugin(PROBE, { contract, cache, grant }));
    const victim = new Probe(await loadPlugin(PROBE, { contract, cache, grant: { filesystem: [{ host: state, guest: '/state', readonly: true }] } }));
    const sub = victim.dir(victim.pre, 'x/sub');
    expect(victim.readFile(sub, 'own.txt')).toEqual({ ok: 'STATE' });
    for (let round = 0; round < 3; round++) {
      expect(mover.renameAt(mover.pre, 'x', mover.pre, 'safe')).toEqual({ ok: null });
      expect(mover.renameAt(mover.pre, 'deep/E', mover.pre, 'x')).toEqual({ ok: null });
      // x/sub now climbs to base/: the victim's open descriptor and its paths through x refuse.
      for (const r of [victim.readFile(sub, 'own.txt'), victim.list(sub), victim.readFile(victim.pre, 'x/sub/own.txt'), victim.statAt(victim.pre, 'x/sub/own.txt')]) {
        expect(JSON.stringify(r)).not.toContain('SECRET');
        expect(r).toEqual({ err: 'not-permitted' });
      }
      expect(mover.renameAt(mover.pre, 'x', mover.pre, 'deep/E')).toEqual({ ok: null });
      expect(mover.renameAt(mover.pre, 'safe', mover.pre, 'x')).toEqual({ ok: null });
      expect(victim.readFile(sub, 'own.txt')).toEqual({ ok: 'STATE' });
    }
    expect(outside()).toBe(snapshot);
  });
});

describe('special files in a grant', () => {
  it('open-at of a FIFO is unsupported at once (opening it would block the host until a writer came)', async () => {
    execFileSync('mkfifo', [join(state, 'fifo')]);
    symlinkSync('fifo', join(state, 'to-fifo'));
    const { p, st } = await nested(true);
    expect(p.openAt(st, 'fifo')).toEqual({ err: 'unsupported' });
    expect(p.openAt(st, 'to-fifo')).toEqual({ err: 'unsupported' });
    expect(p.openAt(st, 'to-fifo', { follow: false })).toEqual({ err: 'loop' });
    expect(p.readFile(st, 'own.txt')).toEqual({ ok: 'STATE' });
  });
});
