/**
 * The example gateway (examples/gateway) end to end: started as `npm run gateway` starts it, in a
 * child process on an ephemeral loopback port, each plugin's effect asserted through real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProject } from '../src/authoring/build.js';
import { sqliteAvailable } from '../src/runtime/services/kv-sqlite.js';

const MAIN = join(import.meta.dirname, '..', 'examples', 'gateway', 'main.mjs');
const EXAMPLE = join(import.meta.dirname, '..', 'examples', 'gateway');
const MANIFESTS = join(EXAMPLE, '.build', 'plugins');
/** A cold start builds the plugins (the JavaScript one takes ~20 s) and compiles them. */
const START_BOUND_MS = 240_000;

interface Gateway { child: ChildProcess; url: string; output: () => string }

const work = mkdtempSync(join(tmpdir(), 'witplug-gateway-'));
const kvFile = join(work, 'kv.state');
const running: ChildProcess[] = [];

function start(extraArgs: readonly string[] = []): Promise<Gateway> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--kv', kvFile, ...extraArgs], {
    env: { ...process.env, WITPLUG_CACHE_DIR: join(work, 'cache'), CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in ${START_BOUND_MS} ms:\n${out}\n${err}`)), START_BOUND_MS);
    const onData = (): void => {
      const m = /gateway listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({ child, url: m[1]!, output: () => out });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited (${String(code)}) before listening:\n${out}\n${err}`)); });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(force); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Waits (bounded) until `probe` holds on the gateway's output. */
async function eventually(output: () => string, probe: RegExp, boundMs = 10_000): Promise<string> {
  const until = Date.now() + boundMs;
  for (;;) {
    const m = probe.exec(output());
    if (m !== null) return m[0];
    if (Date.now() > until) throw new Error(`no ${String(probe)} in the gateway's output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
}

/** Prometheus text exposition: every sample line as name, labels and value; comments checked for form. */
function parsePrometheus(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) { expect(line).toMatch(/^# (HELP|TYPE) [a-zA-Z_:][\w:]* /); continue; }
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, `sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m![2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return samples;
}

const token = { authorization: 'Bearer demo-token' };
/** The rate limiter's manifest, as the gateway's start-up built it. */
let limiter: { config: { limit: string; 'window-ms': string } };

/**
 * Runs `fn` so that it starts and ends in one of the rate limiter's windows (counts restart in a
 * new one): once more when a window boundary fell inside the first run.
 */
async function inOneWindow<T>(fn: () => Promise<T>): Promise<T> {
  const windowMs = Number(limiter.config['window-ms']);
  const before = Math.floor(Date.now() / windowMs);
  const first = await fn();
  return Math.floor(Date.now() / windowMs) === before ? first : fn();
}
let gw: Gateway;

beforeAll(async () => {
  gw = await start();
  limiter = JSON.parse(readFileSync(join(MANIFESTS, 'rate-limit.json'), 'utf8')) as typeof limiter;
}, START_BOUND_MS + 10_000);
afterAll(async () => {
  await Promise.all(running.map(stop));
  rmSync(work, { recursive: true, force: true });
});

describe('examples/gateway', () => {
  it('the auth filter denies without a valid token and passes with one, through its async token check', async () => {
    const none = await get(`${gw.url}/hello`);
    expect(none.status).toBe(401);
    expect(await none.text()).toMatch(/missing bearer token/);
    const wrong = await get(`${gw.url}/hello`, { authorization: 'Bearer not-a-token' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toMatch(/invalid bearer token/);
    const pass = await get(`${gw.url}/hello`, { ...token, 'x-client-id': 'auth-case' });
    expect(pass.status).toBe(200);
    expect(JSON.parse(await pass.text())).toMatchObject({ upstream: 'echo', url: '/hello' });
    const redirect = await get(`${gw.url}/old/page`);
    expect(redirect.status).toBe(307);
    expect(redirect.headers.get('location')).toBe('/new/page');
  });

  it('the rate limiter answers 429 once its quota is used, per client', async () => {
    const limit = Number(limiter.config.limit);
    const statuses = await inOneWindow(async () => {
      const seen: number[] = [];
      const client = { ...token, 'x-client-id': `quota-case-${Date.now()}` };
      for (let i = 0; i <= limit; i++) seen.push((await get(`${gw.url}/quota`, client)).status);
      return seen;
    });
    expect(statuses).toEqual([...Array.from({ length: limit }, () => 200), 429]);
    // Another client has its own count.
    expect((await get(`${gw.url}/quota`, { ...token, 'x-client-id': 'other-client' })).status).toBe(200);
  });

  it('the header shaper shapes every response, denials included', async () => {
    expect((await get(`${gw.url}/shaped`, { ...token, 'x-client-id': 'shaper-case' })).headers.get('x-gateway')).toBe('witplug');
    expect((await get(`${gw.url}/shaped`)).headers.get('x-gateway')).toBe('witplug');
  });

  it('the access-log observer logs each completed request with its status and latency', async () => {
    await get(`${gw.url}/observed-path`, { ...token, 'x-client-id': 'observer-case' });
    const line = await eventually(gw.output, /\[access-log observer#observe\] access GET \/observed-path (\d+) (\d+)us/);
    expect(line).toMatch(/ 200 \d+us$/);
  });

  it('serves /metrics as Prometheus text with per-plugin, per-hook counters', async () => {
    const res = await get(`${gw.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const samples = parsePrometheus(await res.text());
    const calls = samples.find((s) => s.name === 'witplug_hook_calls_total' && s.labels['plugin'] === 'access-log' && s.labels['hook'] === 'observer#observe');
    expect(calls?.value).toBeGreaterThan(0);
    // The filters run through an async hook (the auth plugin's token check awaits): counted too.
    const checks = samples.find((s) => s.name === 'witplug_hook_calls_total' && s.labels['plugin'] === 'auth' && s.labels['hook'] === 'filter#check');
    expect(checks?.value).toBeGreaterThan(0);
    expect(samples.find((s) => s.name === 'witplug_plugin_rejections_total' && s.labels['plugin'] === 'bad')?.value).toBe(1);
  });

  it('serves /plugins: the loaded plugins, and the bad one refused by the gate with its report', async () => {
    const body = await (await get(`${gw.url}/plugins`)).json() as {
      loaded: { name: string; isolated: boolean }[];
      rejected: { name: string; error: { code: string; message: string }; report: { problems: { code: string; message: string }[] } }[];
    };
    expect(body.loaded.map((p) => p.name).sort()).toEqual(['access-log', 'auth', 'headers', 'rate-limit']);
    // The host's isolate: 'auto': the auth plugin awaits an async host function, so it runs in-process
    // only where this Node has JS promise integration; the others always in-process.
    const jspi = typeof (WebAssembly as { Suspending?: unknown }).Suspending === 'function';
    expect(Object.fromEntries(body.loaded.map((p) => [p.name, p.isolated]))).toEqual({ 'access-log': false, auth: !jspi, headers: false, 'rate-limit': false });
    const bad = body.rejected.find((r) => r.name === 'bad');
    expect(bad?.error.code).toBe('REJECTED');
    expect(bad?.error.message).toMatch(/witplug:gateway\/secrets/);
    expect(bad?.report.problems.map((p) => p.code)).toContain('EXTRA_IMPORT');
  });

  it('keeps the rate limiter\'s counts across a restart with the persistent store (SQLite with node:sqlite, else the journal)', async () => {
    const statuses = await inOneWindow(async () => {
      const client = { ...token, 'x-client-id': `restart-case-${Date.now()}` };
      let status = 200;
      for (let i = 0; i < 100 && status === 200; i++) status = (await get(`${gw.url}/r`, client)).status;
      await stop(gw.child);
      gw = await start();
      return [status, (await get(`${gw.url}/r`, client)).status];
    });
    expect(statuses).toEqual([429, 429]);
    // Which store kept them: SQLite where this Node has node:sqlite (both Node runs of this file).
    const header = readFileSync(kvFile).subarray(0, 15).toString('latin1');
    expect(header === 'SQLite format 3').toBe(sqliteAvailable());
  }, START_BOUND_MS);

  it('reloads a plugin replaced in its watched directory, without a failed request', async () => {
    // A gateway of its own over a copy of the plugin directory, and a second version of the shaper.
    const dir = join(work, 'plugins');
    cpSync(MANIFESTS, dir, { recursive: true });
    const reloading = await start(['--plugins', dir]);
    const project = join(work, 'headers-v2');
    cpSync(join(EXAMPLE, 'plugins', 'headers'), project, { recursive: true });
    const source = join(project, 'src', 'plugin.wat');
    const text = readFileSync(source, 'utf8');
    expect(text).toContain('"witplug"');
    writeFileSync(source, text.replaceAll('"witplug"', '"v2-plug"')); // same length: the data layout holds
    const v2 = await buildProject(project);

    const seen = new Set<string | null>();
    const failures: string[] = [];
    let requests = 0;
    let stopping = false;
    const load = (async () => {
      while (!stopping) {
        requests++;
        try {
          const res = await get(`${reloading.url}/load`, { ...token, 'x-client-id': `load-${requests}` });
          if (res.status !== 200) failures.push(`status ${res.status}`);
          seen.add(res.headers.get('x-gateway'));
          await res.arrayBuffer();
        } catch (e) {
          failures.push(String(e));
        }
      }
    })();
    const until = Date.now() + 30_000;
    while (!seen.has('witplug') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    // Written aside and renamed in: the watcher never sees half a file.
    cpSync(v2.path, join(dir, 'headers.wasm.tmp'));
    renameSync(join(dir, 'headers.wasm.tmp'), join(dir, 'headers.wasm'));
    while (!seen.has('v2-plug') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    stopping = true;
    await load;
    expect([...seen].sort(), reloading.output()).toEqual(['v2-plug', 'witplug']);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(1);
  }, START_BOUND_MS);
  it('runs on node:cluster workers with --workers 2 --once: both serve, each plugin compiles once across them', async () => {
    // A cache of its own, cold: the workers load at the same time and share it.
    const cache = join(work, 'cluster-cache');
    const kv = join(work, 'cluster.journal');
    const child = spawn(process.execPath, [MAIN, '--workers', '2', '--once', '--kv-journal', kv], {
      env: { ...process.env, WITPLUG_CACHE_DIR: cache, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, out).toBe(0);

    const served = [...out.matchAll(/^GET \S+ \(([^)]+)\) -> (\d+) .* worker (\d+) /gm)];
    expect(served.length, out).toBe(9);
    expect(new Set(served.map((m) => m[3])), out).toEqual(new Set(['1', '2']));
    expect(served.filter((m) => m[1]!.startsWith('token')).map((m) => m[2])).toEqual(Array(6).fill('200'));
    expect(out).toMatch(/rejected: bad: \[REJECTED\]/);

    const caches = [...out.matchAll(/compile cache, worker \d+: compiled (\d+), from the cache (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(caches.length, out).toBe(2);
    const [[compiled1, hits1], [compiled2, hits2]] = caches as [[number, number], [number, number]];
    // Each worker loads the same plugins; together they compile each of them once.
    expect(compiled1 + hits1).toBe(compiled2 + hits2);
    expect(compiled1 + compiled2).toBe(compiled1 + hits1);
    expect(compiled1 + compiled2).toBeGreaterThan(0);
    // /metrics answers for the whole cluster: every one of the 9 responses was shaped, by either worker.
    expect(out, out).toMatch(/^metrics: .*witplug_hook_calls_total\{plugin="headers",hook="shaper#shape"\} 9(;|$)/m);
    // /plugins lists every worker's plugins too.
    expect(out, out).toMatch(/^plugins, per worker: worker 1: 4 loaded, 1 rejected; worker 2: 4 loaded, 1 rejected$/m);
    // The journal store is single-writer: one file per worker.
    expect(existsSync(`${kv}.worker-1`) && existsSync(`${kv}.worker-2`)).toBe(true);
  }, START_BOUND_MS);
});
