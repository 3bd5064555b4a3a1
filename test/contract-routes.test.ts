/**
 * `loadContract` reads WIT with witplug's own front-end; jco's WIT route
 * (componentEmbed's world type, decoded) is the oracle. Both must accept and
 * reject the same worlds and, when they accept, give the same shape — on
 * every WIT source in the repository and on the WASI and jco packages that
 * ship inside node_modules. Also: a chain of `use` between interfaces that
 * took jco's componentNew minutes loads at once.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { clearContractCache, loadContract } from '../src/contract/load.js';
import { isWitplugError } from '../src/errors.js';
import { canonical } from './helpers/shape.js';
import { loadContractViaJco } from './helpers/jco-contract.js';

/** What a route says about a world: its canonical shape, or that it refused it. */
type Verdict = { ok: true; shape: string } | { ok: false; message: string };

async function viaOwn(path: string, world: string): Promise<Verdict> {
  try {
    return { ok: true, shape: canonical((await loadContract(path, world)).shape) };
  } catch (e) {
    if (!isWitplugError(e) || e.code !== 'CONTRACT') throw e;
    return { ok: false, message: e.message };
  }
}

async function viaJco(path: string, world: string): Promise<Verdict> {
  try {
    return { ok: true, shape: canonical((await loadContractViaJco(resolve(path), world)).shape) };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
}

/** Worlds named in a unit's root files (`world x {`), read from the text so a world neither route accepts is still tried. */
function worldsOf(unit: string): string[] {
  const files = statSync(unit).isDirectory() ? readdirSync(unit).filter((f) => f.endsWith('.wit')).map((f) => join(unit, f)) : [unit];
  const names = new Set<string>();
  for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/^\s*world\s+([a-z][a-z0-9-]*)\s*\{/gm)) names.add(m[1]!);
  return [...names].sort();
}

/**
 * The repository's WIT units: a directory with `deps/`, or with a `.wit` file
 * that names no world (a part of a package split over files), is one unit
 * (its root files together); files under a `deps/` belong to their unit; every
 * other `.wit` file stands alone (a diff fixture's old.wit and new.wit are two
 * versions of one package).
 */
function repoUnits(): string[] {
  const units: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const wit = entries.filter((e) => e.isFile() && e.name.endsWith('.wit')).map((e) => join(dir, e.name));
    const partial = wit.length > 1 && wit.some((f) => worldsOf(f).length === 0);
    if (wit.length > 0 && (partial || entries.some((e) => e.isDirectory() && e.name === 'deps'))) {
      units.push(dir);
      for (const e of entries) if (e.isDirectory() && e.name !== 'deps') walk(join(dir, e.name));
      return;
    }
    for (const e of entries) {
      if (e.isDirectory() && !['node_modules', 'dist', 'deps'].includes(e.name)) walk(join(dir, e.name));
      else if (e.isFile() && e.name.endsWith('.wit')) units.push(join(dir, e.name));
    }
  };
  for (const top of ['wit', 'test', 'examples', 'guests', 'bench']) if (existsSync(top)) walk(top);
  return units.sort();
}

const BUILTIN = 'node_modules/@bytecodealliance/jco/lib/wit/builtin';

/** `package ns:name@v;` and the interfaces declared in a package directory's files. */
function packageOf(dir: string): { id: string; interfaces: string[] } {
  const text = readdirSync(dir).filter((f) => f.endsWith('.wit')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  const id = /^\s*package\s+([^;\s]+)\s*;/m.exec(text)![1]!;
  // An interface gated by `@unstable` is absent without its feature: leave it out of the probe.
  const interfaces = [...text.matchAll(/(@unstable\([^)]*\)\s*)?^\s*interface\s+([a-z][a-z0-9-]*)\s*\{/gm)].filter((m) => !m[1]).map((m) => m[2]!);
  return { id, interfaces };
}

/**
 * The packages jco ships, each laid out as a WIT directory a user would
 * write: the package's `.wit` files at the root, its sibling packages (same
 * WASI version) under `deps/`. Every package is also read through a probe
 * package whose worlds import, and export, each of its interfaces but the
 * `@unstable` ones (some packages declare no world). jco's Node API package also gets the 0.2.12
 * WASI packages and the TLS draft, which it uses.
 */
function shippedUnits(): string[] {
  const scratch = mkdtempSync(join(tmpdir(), 'witplug-shipped-wit-'));
  const copyWit = (from: string, to: string): void => {
    mkdirSync(to, { recursive: true });
    for (const f of readdirSync(from).filter((n) => n.endsWith('.wit'))) cpSync(join(from, f), join(to, f));
  };
  const units: string[] = [];
  const layout = (root: string, deps: string[]): void => {
    const name = `${basename(dirname(root))}-${basename(root)}`;
    const dir = join(scratch, name);
    copyWit(root, dir);
    for (const d of deps) copyWit(d, join(dir, 'deps', `${basename(dirname(d))}-${basename(d)}`));
    if (worldsOf(dir).length > 0) units.push(dir);
    // The probe: the package itself moves under deps/.
    const probe = join(scratch, `probe-${name}`);
    const { id, interfaces } = packageOf(root);
    const [base, version] = id.split('@') as [string, string | undefined];
    const ref = (i: string): string => `${base}/${i}${version ? `@${version}` : ''}`;
    mkdirSync(probe);
    writeFileSync(join(probe, 'probe.wit'), [
      'package probe:all;',
      `world imports-all {\n${interfaces.map((i) => `  import ${ref(i)};`).join('\n')}\n}`,
      `world exports-all {\n${interfaces.map((i) => `  export ${ref(i)};`).join('\n')}\n}`,
      '',
    ].join('\n'));
    for (const d of [root, ...deps]) copyWit(d, join(probe, 'deps', `${basename(dirname(d))}-${basename(d)}`));
    units.push(probe);
  };
  const versions = readdirSync(BUILTIN).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  for (const v of versions) {
    const pkgs = readdirSync(join(BUILTIN, v)).map((p) => join(BUILTIN, v, p));
    for (const p of pkgs) layout(p, pkgs.filter((q) => q !== p));
  }
  const wasi0212 = readdirSync(join(BUILTIN, '0.2.12')).map((p) => join(BUILTIN, '0.2.12', p));
  const tls = join(BUILTIN, 'wasi-tls-0.2.0-draft');
  // jco's wasm-tools panics on the shipped folder itself (it holds README.md and LICENSE.md): copy its WIT only.
  layout(tls, [join(tls, 'deps', 'io')]);
  layout(join(BUILTIN, 'jco-node-0.1.0'), [...wasi0212, tls]);
  return units;
}

async function compareUnit(unit: string): Promise<{ worlds: number; accepted: number }> {
  const worlds = worldsOf(unit);
  expect(worlds.length, `${unit} names no world`).toBeGreaterThan(0);
  let accepted = 0;
  for (const world of worlds) {
    const [own, jco] = [await viaOwn(unit, world), await viaJco(unit, world)];
    const label = `${unit} world ${world}: witplug ${own.ok ? 'accepts' : `rejects (${own.message})`}, jco ${jco.ok ? 'accepts' : `rejects (${jco.message})`}`;
    // Soft: every world of the unit is compared, not only up to the first difference.
    expect.soft(own.ok, label).toBe(jco.ok);
    if (own.ok && jco.ok) {
      expect.soft(own.shape, `${unit} world ${world}: shapes differ`).toBe(jco.shape);
      accepted++;
    }
  }
  return { worlds: worlds.length, accepted };
}

describe('loadContract agrees with jco on every WIT source in the repository', () => {
  const units = repoUnits();
  it('finds the repository WIT (contract, guests, fixtures)', () => {
    expect(units).toEqual(expect.arrayContaining(['wit', 'guests/wat-adversarial/wit', 'test/fixtures/wit/shapes.wit', 'test/fixtures/diff/gateway-v0.2/new']));
  });
  for (const unit of units) {
    it(unit, async () => {
      await compareUnit(unit);
    });
  }
});

describe('loadContract agrees with jco on the WASI and jco packages in node_modules', () => {
  const units = shippedUnits();
  it('covers wasi:cli, wasi:http and jco:node', () => {
    for (const name of ['0.2.12-wasi-cli', '0.2.12-wasi-http', '0.3.0-wasi-http', 'probe-builtin-jco-node-0.1.0']) expect(units.map((u) => basename(u))).toContain(name);
  });
  for (const unit of units) {
    it(basename(unit), async () => {
      const { accepted } = await compareUnit(unit);
      // Shipped packages are valid: both routes must read every world of them.
      expect(accepted).toBe(worldsOf(unit).length);
    });
  }
});

/** `n` interfaces: the first declares `m` types, each other one `use`s them all from the one before; the world exports the last. */
function chainedUse(n: number, m: number): string {
  const names = Array.from({ length: m }, (_, k) => `t${k}`);
  const lines = ['package t:chain;', '', `interface i1 {\n${names.map((t) => `  type ${t} = u32;`).join('\n')}\n}`];
  for (let i = 2; i <= n; i++) lines.push(`interface i${i} {\n  use i${i - 1}.{${names.join(', ')}};\n}`);
  lines.push(`world w {\n  export i${n};\n}`);
  return `${lines.join('\n')}\n`;
}

describe('a chain of `use` between interfaces loads at once', () => {
  it('10 interfaces each using the previous one’s 10 types (jco’s componentNew ran for minutes on it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-chain-'));
    const file = join(dir, 'chain.wit');
    writeFileSync(file, chainedUse(10, 10));
    expect(readFileSync(file).length).toBeLessThan(1000);
    clearContractCache();
    const c = await loadContract(file, 'w');
    const exported = c.shape.exports[0]!;
    expect(exported.kind === 'interface' && exported.name).toBe('t:chain/i10');
    expect(exported.kind === 'interface' && [...exported.iface.types.keys()].sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9']);
    // jco's embed (not componentNew) is quick and gives the same world type.
    expect(canonical(c.shape)).toBe(canonical((await loadContractViaJco(file, 'w')).shape));
  }, 20_000);
});

describe('contract sources are laid out as wasm-tools reads them', () => {
  const WORLD = 'package a:app;\nworld w {\n  import b:dep/api;\n  export run: func() -> u32;\n}\n';
  const DEP = 'package b:dep;\ninterface api {\n  get: func() -> u32;\n}\n';

  it('follows a symlinked package in deps/ and a symlinked root file, as the wasm-tools CLI does', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'witplug-shared-'));
    mkdirSync(join(shared, 'dep'));
    writeFileSync(join(shared, 'dep', 'api.wit'), DEP);
    writeFileSync(join(shared, 'world.wit'), WORLD);
    const dir = mkdtempSync(join(tmpdir(), 'witplug-linked-'));
    mkdirSync(join(dir, 'deps'));
    symlinkSync(join(shared, 'dep'), join(dir, 'deps', 'dep'));
    symlinkSync(join(shared, 'world.wit'), join(dir, 'world.wit'));
    clearContractCache();
    const c = await loadContract(dir, 'w');
    expect(c.shape.imports.map((i) => i.name)).toEqual(['b:dep/api']);
  });

  it('refuses a binary package in deps/ by name (the front-end reads WIT text only)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-binary-dep-'));
    mkdirSync(join(dir, 'deps'));
    writeFileSync(join(dir, 'world.wit'), WORLD);
    writeFileSync(join(dir, 'deps', 'dep.wasm'), new Uint8Array([0, 0x61, 0x73, 0x6d]));
    await expect(loadContract(dir, 'w')).rejects.toMatchObject({ code: 'CONTRACT', message: expect.stringContaining('deps/dep.wasm: binary WIT packages are not supported') });
  });

  it('a fixed file reloads: the in-memory cache is keyed on every file\'s content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'witplug-reload-'));
    mkdirSync(join(dir, 'deps'));
    writeFileSync(join(dir, 'world.wit'), WORLD);
    writeFileSync(join(dir, 'deps', 'api.wit'), DEP);
    const first = await loadContract(dir, 'w');
    expect(await loadContract(dir, 'w')).toBe(first);
    writeFileSync(join(dir, 'deps', 'api.wit'), DEP.replace('u32', 'u64'));
    const second = await loadContract(dir, 'w');
    expect(canonical(second.shape)).not.toBe(canonical(first.shape));
  });
});
