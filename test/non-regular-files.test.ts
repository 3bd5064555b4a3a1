/**
 * Files witplug reads but did not create — plugins, manifests, WIT, cache
 * entries — may be FIFOs, devices or sockets. Opening a FIFO for reading
 * blocks until a writer comes, so each case runs in a child process with a
 * generous bound: the bug is a hang (and a process that never exits), and
 * the fix is a prompt, named refusal.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from './helpers/run.js';

const INDEX = pathToFileURL(join(process.cwd(), 'dist', 'index.js')).href;
const TOOLS = pathToFileURL(join(process.cwd(), 'dist', 'tools.js')).href;
const CALC_WASM = join(process.cwd(), 'guests/dist/calc-wat.wasm');
const CALC_WIT = join(process.cwd(), 'guests/wat-fixture/calc.wit');
const posix = process.platform !== 'win32';

/** Runs an ES module body in a fresh node; it prints one JSON line. Killed after 60 s (a hang). */
async function child(body: string, cacheDir: string): Promise<{ status: number | null; signal: NodeJS.Signals | null; out: unknown; stderr: string }> {
  const r = await run(process.execPath, ['--input-type=module', '-e', body], { timeoutMs: 60_000, env: { ...process.env, WITPLUG_CACHE_DIR: cacheDir } });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.code, signal: r.signal, out: line ? (JSON.parse(line) as unknown) : null, stderr: r.stderr };
}

const errorJson = `(e) => ({ code: e.code, message: e.message })`;

describe.runIf(posix)('non-regular files are refused promptly, naming the file', () => {
  const root = mkdtempSync(join(tmpdir(), 'witplug-fifo-'));
  const cacheDir = join(root, 'cache');
  mkdirSync(cacheDir, { mode: 0o700 });

  it('loadDir: a FIFO plugin and a FIFO manifest fail; the regular plugin loads; the process exits', async () => {
    const dir = join(root, 'plugins');
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'a-fifo.wasm')]);
    copyFileSync(CALC_WASM, join(dir, 'b-manifest-fifo.wasm'));
    execFileSync('mkfifo', [join(dir, 'b-manifest-fifo.json')]);
    copyFileSync(CALC_WASM, join(dir, 'c-regular.wasm'));
    const r = await child(`
      import { PluginHost, loadContract } from ${JSON.stringify(INDEX)};
      const host = new PluginHost({ contract: await loadContract(${JSON.stringify(CALC_WIT)}, 'calc'), logger: () => {} });
      const { loaded, failed } = await host.loadDir(${JSON.stringify(dir)});
      host.close();
      console.log(JSON.stringify({ loaded: loaded.map((p) => p.name), failed: failed.map((f) => ({ name: f.name, ...(${errorJson})(f.error) })) }));
    `, cacheDir);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = r.out as { loaded: string[]; failed: { name: string; code: string; message: string }[] };
    expect(out.loaded).toEqual(['c-regular']);
    expect(out.failed.map((f) => [f.name, f.code])).toEqual([['a-fifo', 'USAGE'], ['b-manifest-fifo', 'USAGE']]);
    expect(out.failed[0]!.message).toMatch(/plugin .*a-fifo\.wasm: it is a FIFO, not a regular file/);
    expect(out.failed[1]!.message).toMatch(/manifest .*b-manifest-fifo\.json: it is a FIFO, not a regular file/);
  });

  it('other non-regular inputs: a directory named .wasm, a character device', async () => {
    const dir = join(root, 'odd');
    mkdirSync(join(dir, 'dir.wasm'), { recursive: true });
    const r = await child(`
      import { loadPlugin, loadContract } from ${JSON.stringify(INDEX)};
      const contract = await loadContract(${JSON.stringify(CALC_WIT)}, 'calc');
      const out = [];
      for (const p of [${JSON.stringify(join(dir, 'dir.wasm'))}, '/dev/zero']) {
        try { await loadPlugin(p, { contract }); out.push('loaded'); } catch (e) { out.push((${errorJson})(e)); }
      }
      console.log(JSON.stringify(out));
    `, cacheDir);
    expect(r.status, r.stderr).toBe(0);
    const [d, dev] = r.out as { code: string; message: string }[];
    expect(d).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/dir\.wasm: it is a directory/) as unknown });
    expect(dev).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/\/dev\/zero: it is a device/) as unknown });
  });

  it('WIT: a FIFO as the WIT file, and a FIFO .wit inside a WIT directory (loadContract and readWitTree)', async () => {
    const dir = join(root, 'wit');
    mkdirSync(join(dir, 'tree', 'deps'), { recursive: true });
    execFileSync('mkfifo', [join(dir, 'alone.wit')]);
    copyFileSync(CALC_WIT, join(dir, 'tree', 'calc.wit'));
    execFileSync('mkfifo', [join(dir, 'tree', 'extra.wit')]);
    const r = await child(`
      import { loadContract } from ${JSON.stringify(INDEX)};
      import { readWitTree } from ${JSON.stringify(TOOLS)};
      const out = [];
      for (const f of [() => loadContract(${JSON.stringify(join(dir, 'alone.wit'))}, 'calc'), () => loadContract(${JSON.stringify(join(dir, 'tree'))}, 'calc'),
                       () => readWitTree(${JSON.stringify(join(dir, 'alone.wit'))}), () => readWitTree(${JSON.stringify(join(dir, 'tree'))})]) {
        try { await f(); out.push('read'); } catch (e) { out.push((${errorJson})(e)); }
      }
      console.log(JSON.stringify(out));
    `, cacheDir);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const [contractFile, contractDir, treeFile, treeDir] = r.out as ({ code: string; message: string } | string)[];
    expect(contractFile).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/WIT file .*alone\.wit: it is a FIFO/) as unknown });
    expect(contractDir).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/WIT file .*extra\.wit: it is a FIFO/) as unknown });
    expect(treeFile).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/WIT file .*alone\.wit: it is a FIFO/) as unknown });
    // loadContract reads through readWitTree: the same refusal, unread.
    expect(treeDir).toMatchObject({ code: 'USAGE', message: expect.stringMatching(/WIT file .*extra\.wit: it is a FIFO/) as unknown });
  });

  it('WIT: a FIFO binary package in deps/ (.wasm, .wat) is refused by its name, never opened', async () => {
    for (const name of ['x.wasm', 'x.wat']) {
      const dir = join(root, `wit-deps-${name}`);
      mkdirSync(join(dir, 'deps'), { recursive: true });
      copyFileSync(CALC_WIT, join(dir, 'calc.wit'));
      execFileSync('mkfifo', [join(dir, 'deps', name)]);
      const r = await child(`
        import { loadContract } from ${JSON.stringify(INDEX)};
        try { await loadContract(${JSON.stringify(dir)}, 'calc'); console.log('"loaded"'); }
        catch (e) { console.log(JSON.stringify((${errorJson})(e))); }
      `, cacheDir);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.out).toMatchObject({ code: 'CONTRACT', message: expect.stringContaining(`deps/${name}: binary WIT packages are not supported`) as unknown });
    }
  });

  it('a compile-cache entry replaced by a FIFO is refused (the plugin is rebuilt and loads)', async () => {
    const own = join(root, 'own-cache');
    mkdirSync(own, { mode: 0o700 });
    const load = `
      import { loadPlugin, loadContract } from ${JSON.stringify(INDEX)};
      const plugin = await loadPlugin(${JSON.stringify(CALC_WASM)}, { contract: await loadContract(${JSON.stringify(CALC_WIT)}, 'calc') });
      console.log(JSON.stringify({ version: plugin.fn('version')() }));
      await plugin.close();
    `;
    expect((await child(load, own)).out).toEqual({ version: '1.2.3' });
    const entries = readdirSync(own).filter((n) => n.endsWith('.wpa'));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      rmSync(join(own, e));
      execFileSync('mkfifo', [join(own, e)]);
    }
    const r = await child(load, own);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.out).toEqual({ version: '1.2.3' });
    expect(r.stderr).toMatch(/not a regular file/);
  });

  it('a manifest that is a directory is refused too (not taken as "no manifest")', async () => {
    const dir = join(root, 'manifest-dir');
    mkdirSync(join(dir, 'p.json'), { recursive: true });
    copyFileSync(CALC_WASM, join(dir, 'p.wasm'));
    writeFileSync(join(dir, 'q.json'), '{}');
    const r = await child(`
      import { PluginHost, loadContract } from ${JSON.stringify(INDEX)};
      const host = new PluginHost({ contract: await loadContract(${JSON.stringify(CALC_WIT)}, 'calc'), logger: () => {} });
      const { failed } = await host.loadDir(${JSON.stringify(dir)});
      console.log(JSON.stringify(failed.map((f) => (${errorJson})(f.error))));
    `, cacheDir);
    expect(r.out).toEqual([{ code: 'USAGE', message: expect.stringMatching(/p\.json: it is a directory/) as unknown }]);
  });
});
