/**
 * A manifest shipped next to a plugin is a request: `PluginHost.loadDir`
 * grants it only what the host's `manifestPolicy` allows (by default nothing
 * beyond what every plugin gets), and the effective limits are the stricter
 * of host and manifest unless the policy lets the manifest raise one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContract, type Contract } from '../src/contract/load.js';
import { CompileCache } from '../src/compile/cache.js';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import type { PluginHostOptions } from '../src/runtime/host/types.js';
import { allowManifest, type ManifestPolicy, type ManifestRequest } from '../src/runtime/host/manifest.js';
import { parseGrant, type Limits } from '../src/runtime/capabilities/grant.js';
import { WitplugError } from '../src/errors.js';

const CALC = join(process.cwd(), 'guests/dist/calc-wat.wasm');
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-policy-cache-')));
let contract: Contract;
beforeAll(async () => {
  contract = await loadContract('guests/wat-fixture/calc.wit', 'calc');
});

/**
 * A tree: root/allowed/{sub, plugins, link → ../outside}, root/outside/secret.
 * Real paths throughout (the temp dir may itself be a symlink).
 */
function tree(): { root: string; allowed: string; sub: string; outside: string; plugins: string; link: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'witplug-policy-')));
  const allowed = join(root, 'allowed');
  const sub = join(allowed, 'sub');
  const outside = join(root, 'outside');
  const plugins = join(allowed, 'plugins');
  for (const d of [sub, outside, plugins]) mkdirSync(d, { recursive: true });
  writeFileSync(join(outside, 'secret'), 'secret');
  const link = join(allowed, 'link');
  symlinkSync(outside, link);
  return { root, allowed, sub, outside, plugins, link };
}

/** A parsed manifest as `loadDir` reads it from `dir/p.json`. */
function request(json: Record<string, unknown>, dir: string): ManifestRequest {
  const { priority, ...grant } = json;
  const path = join(dir, 'p.json');
  return { path, grant: parseGrant(grant, `manifest ${path}`, dir), ...(typeof priority === 'number' ? { priority } : {}) };
}

async function refusal(p: Promise<unknown>): Promise<WitplugError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WitplugError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('without a policy a manifest may only narrow what the host gives', () => {
  const t = tree();
  const escalations: [string, Record<string, unknown>, string][] = [
    ['a read-write grant on /', { filesystem: [{ host: '/', guest: '/', readonly: false }] }, 'filesystem[0].host'],
    ['a read-only grant on /', { filesystem: [{ host: '/', guest: '/' }] }, 'filesystem[0].host'],
    ['a grant on ../.. (relative to the manifest)', { filesystem: [{ host: '../..', guest: '/up' }] }, 'filesystem[0].host'],
    ['a grant on the plugins directory itself', { filesystem: [{ host: '.', guest: '/self' }] }, 'filesystem[0].host'],
    ['an environment variable', { env: { HOME: '/root' } }, 'env.HOME'],
    ['clocks', { clocks: true }, 'clocks'],
    ['random', { random: true }, 'random'],
    ['a WASI import', { imports: ['wasi:sockets/*'] }, 'imports[0]'],
    ['a versioned WASI import', { imports: ['witplug:host/log', 'wasi:filesystem/types@0.2.3'] }, 'imports[1]'],
    ['priority 1000', { priority: 1000 }, 'priority'],
    ['a negative priority', { priority: -1 }, 'priority'],
    ['maxOutputBytes of 2 GiB (host: the 64 MiB default)', { limits: { maxOutputBytes: 2 ** 31 } }, 'limits.maxOutputBytes'],
    ['maxHandles above the default', { limits: { maxHandles: 10_001 } }, 'limits.maxHandles'],
    ['maxTableElements above the default', { limits: { maxTableElements: 10_001 } }, 'limits.maxTableElements'],
    ['maxOpenFiles above the default', { limits: { maxOpenFiles: 257 } }, 'limits.maxOpenFiles'],
  ];
  it.each(escalations)('%s is refused with POLICY, naming the plugin, the field and the policy', async (_name, json, field) => {
    const e = await refusal(allowManifest('p', request(json, t.plugins)));
    expect(e.code).toBe('POLICY');
    expect(e.plugin).toBe('p');
    expect(e.path).toBe(field);
    expect(e.message).toContain(`plugin "p": manifest ${join(t.plugins, 'p.json')} requests ${field}`);
    expect(e.message).toMatch(/manifest policy \(.*(manifestPolicy|no raise allowed)/);
  });

  it('each limit raised above the host\'s limits is refused', async () => {
    const host: Required<Limits> = {
      fuel: 1000, timeoutMs: 100, maxMemoryMb: 16, maxOutputBytes: 4096, maxHandles: 50, maxTableElements: 500, maxOpenFiles: 64,
    };
    for (const key of Object.keys(host) as (keyof Limits)[]) {
      const e = await refusal(allowManifest('p', request({ limits: { [key]: host[key] + 1 } }, t.plugins), {}, host));
      expect(e).toMatchObject({ code: 'POLICY', path: `limits.${key}` });
      expect(e.message).toContain(`the host's ${key} is ${host[key]}`);
    }
  });

  it('narrowing is allowed: stricter limits, non-WASI imports, config, priority 0', async () => {
    const host: Limits = { fuel: 1000, maxOutputBytes: 4096 };
    const allowed = await allowManifest('p', request({ limits: { fuel: 10, timeoutMs: 50, maxOutputBytes: 4096 }, imports: ['acme:calc/work'], config: { a: 'b' }, priority: 0 }, t.plugins), {}, host);
    // The stricter of host and manifest for each limit; a limit the host leaves unlimited can be set.
    expect(allowed.limits).toEqual({ fuel: 10, timeoutMs: 50, maxOutputBytes: 4096 });
    expect(allowed.grant).toEqual({ imports: ['acme:calc/work'], config: { a: 'b' } });
    expect(allowed.priority).toBe(0);
  });
});

describe('a policy allows exactly what it names', () => {
  const t = tree();
  const policy: ManifestPolicy = {
    filesystem: [{ path: t.allowed }, { path: join(t.allowed, 'sub'), readonly: false }],
    env: ['MODE'],
    imports: ['wasi:io/*', 'wasi:cli/stdout'],
    clocks: true,
    priority: { min: -10, max: 1000 },
    limits: { maxOutputBytes: 2 ** 31, fuel: 5000 },
  };
  const allow = (json: Record<string, unknown>, hostLimits: Limits = {}): ReturnType<typeof allowManifest> => allowManifest('p', request(json, t.plugins), policy, hostLimits);

  it('filesystem: inside an allowed root, read-only; read-write only under a read-write root; real paths granted', async () => {
    expect((await allow({ filesystem: [{ host: t.allowed, guest: '/a' }] })).grant.filesystem).toEqual([{ host: t.allowed, guest: '/a', readonly: true }]);
    expect((await allow({ filesystem: [{ host: '../sub', guest: '/s', readonly: false }] })).grant.filesystem).toEqual([{ host: t.sub, guest: '/s', readonly: false }]);
    // read-write where only read-only is allowed
    const rw = await refusal(allow({ filesystem: [{ host: '.', guest: '/p', readonly: false }] }));
    expect(rw).toMatchObject({ code: 'POLICY', path: 'filesystem[0].readonly' });
    expect(rw.message).toContain(`read-write roots in manifestPolicy.filesystem: "${t.sub}"`);
  });

  it('filesystem: /, ../.. and a symlink pointing out are refused even though they start inside or above an allowed root', async () => {
    // Unnormalised on purpose: `link/..` is the link's target's parent, not `allowed`.
    for (const host of ['/', '../..', t.root, t.link, `${t.link}/..`, `${t.link}/../outside`, `${t.allowed}/sub/../../outside`]) {
      const e = await refusal(allow({ filesystem: [{ host, guest: '/x' }] }));
      expect(e, host).toMatchObject({ code: 'POLICY', path: 'filesystem[0].host' });
      expect(e.message).toContain(`manifestPolicy.filesystem: "${t.allowed}", "${t.sub}"`);
    }
    // A policy root given through a symlink allows its target, compared by real path.
    const viaLink = await allowManifest('p', request({ filesystem: [{ host: t.outside, guest: '/o' }] }, t.plugins), { filesystem: [{ path: t.link }] });
    expect(viaLink.grant.filesystem).toEqual([{ host: t.outside, guest: '/o', readonly: true }]);
    // A directory that does not exist cannot be shown to be inside.
    expect(await refusal(allow({ filesystem: [{ host: join(t.allowed, 'nope'), guest: '/n' }] }))).toMatchObject({ code: 'POLICY', message: expect.stringContaining('cannot be resolved (ENOENT)') as unknown });
  });

  it('env, imports, clocks, random, priority', async () => {
    expect((await allow({ env: { MODE: 'test' } })).grant.env).toEqual({ MODE: 'test' });
    expect(await refusal(allow({ env: { MODE: 'test', SECRET: 'x' } }))).toMatchObject({ code: 'POLICY', path: 'env.SECRET', message: expect.stringContaining('manifestPolicy.env: "MODE"') as unknown });
    expect((await allow({ imports: ['wasi:io/streams', 'wasi:io/*', 'wasi:cli/stdout@0.2.0', 'acme:calc/work'] })).grant.imports).toHaveLength(4);
    for (const bad of ['wasi:cli/*', 'wasi:cli/stderr', 'wasi:sockets/tcp']) {
      expect(await refusal(allow({ imports: [bad] })), bad).toMatchObject({ code: 'POLICY', path: 'imports[0]' });
    }
    expect((await allow({ clocks: true })).grant.clocks).toBe(true);
    expect(await refusal(allow({ random: true }))).toMatchObject({ code: 'POLICY', path: 'random' });
    expect((await allow({ priority: 1000 })).priority).toBe(1000);
    expect((await allow({ priority: -10 })).priority).toBe(-10);
    expect(await refusal(allow({ priority: 1001 }))).toMatchObject({ code: 'POLICY', message: expect.stringContaining('manifestPolicy.priority: -10 to 1000') as unknown });
    expect(await refusal(allow({ priority: -11 }))).toMatchObject({ code: 'POLICY', path: 'priority' });
  });

  it('limits: raised up to the policy\'s ceiling, not beyond; others only narrowed', async () => {
    expect((await allow({ limits: { maxOutputBytes: 2 ** 31 } })).limits).toEqual({ maxOutputBytes: 2 ** 31 });
    expect((await allow({ limits: { fuel: 5000 } }, { fuel: 100, timeoutMs: 10 })).limits).toEqual({ fuel: 5000, timeoutMs: 10 });
    const over = await refusal(allow({ limits: { fuel: 5001 } }, { fuel: 100 }));
    expect(over).toMatchObject({ code: 'POLICY', path: 'limits.fuel' });
    expect(over.message).toContain('manifestPolicy.limits.fuel: at most 5000; the host\'s fuel is 100');
    expect(await refusal(allow({ limits: { timeoutMs: 11 } }, { timeoutMs: 10 }))).toMatchObject({ code: 'POLICY', path: 'limits.timeoutMs' });
  });
});

describe('loadDir applies the policy and the stricter limits', () => {
  const HOOKS = { echo: { target: 'work#echo', kind: 'collect' } } as const;
  const host = (extra: Partial<PluginHostOptions> = {}): PluginHost => new PluginHost({ contract, cache, hooks: HOOKS, logger: () => {}, ...extra });

  function pluginDir(manifests: Record<string, Record<string, unknown> | null>): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'witplug-policy-dir-')));
    for (const [name, manifest] of Object.entries(manifests)) {
      copyFileSync(CALC, join(dir, `${name}.wasm`));
      if (manifest !== null) writeFileSync(join(dir, `${name}.json`), JSON.stringify(manifest));
    }
    return dir;
  }

  it('the self-granting manifest (rw /, env, priority 1000, 2 GiB output) is refused; the plain plugin loads', async () => {
    const dir = pluginDir({
      greedy: { filesystem: [{ host: '/', guest: '/', readonly: false }], env: { HOME: '/root' }, priority: 1000, limits: { maxOutputBytes: 2 ** 31 } },
      up: { filesystem: [{ host: '../..', guest: '/up' }] },
      plain: null,
    });
    const h = host();
    const r = await h.loadDir(dir);
    expect(r.loaded.map((p) => p.name)).toEqual(['plain']);
    expect(r.failed.map((f) => [f.name, f.error.code, f.error.path])).toEqual([['greedy', 'POLICY', 'env.HOME'], ['up', 'POLICY', 'filesystem[0].host']]);
    expect(r.failed[0]!.error.message).toMatch(/^plugin "greedy": manifest .*greedy\.json requests env\.HOME/);
    h.close();
  });

  it('effective limits are the stricter of host and manifest (the host-wide limit no longer overrides a stricter manifest)', async () => {
    const dir = pluginDir({ strict: { limits: { maxOutputBytes: 20 } } });
    const h = host({ limits: { maxOutputBytes: 1000 } });
    expect((await h.loadDir(dir)).loaded).toHaveLength(1);
    expect(h.run('echo', 'x'.repeat(10))).toEqual(['x'.repeat(10)]);
    expect(() => h.run('echo', 'x'.repeat(100))).toThrow(expect.objectContaining({ code: 'OUTPUT_LIMIT' }) as Error);
    h.close();
  });

  it('a raise within the policy applies; beyond it, or without one, the plugin is refused', async () => {
    const dir = pluginDir({ roomy: { limits: { maxOutputBytes: 1000 } } });
    const refused = host({ limits: { maxOutputBytes: 50 } });
    expect((await refused.loadDir(dir)).failed.map((f) => f.error.code)).toEqual(['POLICY']);
    refused.close();
    const tooLow = host({ limits: { maxOutputBytes: 50 }, manifestPolicy: { limits: { maxOutputBytes: 999 } } });
    expect((await tooLow.loadDir(dir)).failed.map((f) => f.error.path)).toEqual(['limits.maxOutputBytes']);
    tooLow.close();
    const h = host({ limits: { maxOutputBytes: 50 }, manifestPolicy: { limits: { maxOutputBytes: 1000 } } });
    expect((await h.loadDir(dir)).loaded).toHaveLength(1);
    expect(h.run('echo', 'x'.repeat(100))).toEqual(['x'.repeat(100)]);
    h.close();
  });

  it('a filesystem grant inside the policy loads; the same manifest is refused by a host without the policy', async () => {
    const dir = pluginDir({ reader: { filesystem: [{ host: '.', guest: '/plugins' }], priority: 3 } });
    const strict = host();
    expect((await strict.loadDir(dir)).failed.map((f) => f.error.path)).toEqual(['priority']);
    strict.close();
    const h = host({ manifestPolicy: { filesystem: [{ path: dir }], priority: { max: 3 } } });
    const r = await h.loadDir(dir);
    expect(r.failed).toEqual([]);
    expect(r.loaded.map((p) => [p.name, p.priority])).toEqual([['reader', 3]]);
    h.close();
  });
});
