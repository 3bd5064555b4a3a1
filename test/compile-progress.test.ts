/**
 * Progress of long first compiles: events from the cache on a miss only, the
 * terminal listener's lines, and the CLI (in a real pseudo-terminal through
 * script(1)) showing them on a terminal and staying quiet under --json.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CompileCache } from '../src/compile/cache.js';
import { terminalProgress, type CompileProgress } from '../src/compile/progress.js';
import { PluginHost, loadContract, loadPlugin } from '../src/index.js';
import { MAIN } from './helpers/cli.js';
import { run } from './helpers/run.js';

const CALC = resolve('guests/dist/calc-wat.wasm');
const calcBytes = new Uint8Array(readFileSync(CALC));
const tempDir = (tag: string): string => mkdtempSync(join(tmpdir(), `witplug-progress-${tag}-`));

/** A terminal-like stream collecting what is written. */
function terminal(isTTY = true): { isTTY: boolean; text: string; write(t: string): boolean } {
  return { isTTY, text: '', write(t: string) { this.text += t; return true; } };
}

describe('onProgress', () => {
  it('a miss reports start and done with the plugin name and size; a hit reports nothing', async () => {
    const dir = tempDir('events');
    const events: CompileProgress[] = [];
    const onProgress = (e: CompileProgress): void => void events.push(e);
    const first = await loadPlugin(calcBytes, { name: 'calc', cache: new CompileCache(dir), onProgress, log: () => {} });
    expect(first.loadInfo.cache).toBe('miss');
    expect(events).toEqual([
      { phase: 'start', name: 'calc', bytes: calcBytes.length, waitingForPeer: false },
      { phase: 'done', name: 'calc', bytes: calcBytes.length, ms: expect.any(Number) as number, by: 'self' },
    ]);
    events.length = 0;
    expect((await loadPlugin(calcBytes, { name: 'calc', cache: new CompileCache(dir), onProgress, log: () => {} })).loadInfo.cache).toBe('hit');
    expect(events).toEqual([]);
  });

  it('PluginHost passes its onProgress to every load', async () => {
    const events: CompileProgress[] = [];
    const host = new PluginHost({
      contract: await loadContract('wit', 'gateway-plugin'), cache: new CompileCache(tempDir('host')),
      hooks: { check: { target: 'filter#check', kind: 'bail' } }, logger: () => {}, onProgress: (e) => void events.push(e),
    });
    try {
      await host.load(resolve('guests/dist/gateway-wat.wasm'), { name: 'wat' });
      expect(events.map((e) => `${e.phase} ${e.name}`)).toEqual(['start wat', 'done wat']);
    } finally {
      await host.close();
    }
  });

  it('a throwing listener does not fail the load', async () => {
    const cache = new CompileCache(tempDir('throw'));
    const r = await cache.compile(calcBytes, { onProgress: () => { throw new Error('listener bug'); } });
    expect(r.source).toBe('miss');
  });
});

describe('terminalProgress', () => {
  const MB = 1024 * 1024;

  it('one line per compile on a terminal: "compiling <name> (<size>)… done in <s>"', () => {
    const t = terminal();
    const on = terminalProgress(t, { env: {} })!;
    on({ phase: 'start', name: 'gateway-js', bytes: 12 * MB, waitingForPeer: false });
    on({ phase: 'done', name: 'gateway-js', bytes: 12 * MB, ms: 3140, by: 'self' });
    on({ phase: 'start', name: 'big', bytes: 2 * MB, waitingForPeer: true });
    on({ phase: 'done', name: 'big', bytes: 2 * MB, ms: 500, by: 'peer' });
    expect(t.text).toBe(
      'compiling gateway-js (12.0 MB)… done in 3.1 s\n' +
      'waiting for another process compiling big (2.0 MB)… done in 0.5 s (by another process)\n',
    );
  });

  it('interleaved compiles still end in whole lines', () => {
    const t = terminal();
    const on = terminalProgress(t, { env: {} })!;
    on({ phase: 'start', name: 'a', bytes: 2 * MB, waitingForPeer: false });
    on({ phase: 'start', name: 'b', bytes: 3 * MB, waitingForPeer: false });
    on({ phase: 'done', name: 'a', bytes: 2 * MB, ms: 1000, by: 'self' });
    on({ phase: 'done', name: 'b', bytes: 3 * MB, ms: 2000, by: 'self' });
    expect(t.text).toBe('compiling a (2.0 MB)…\ncompiling b (3.0 MB)…\ncompiled a in 1.0 s\ncompiled b in 2.0 s\n');
  });

  it('small components, pipes and CI print nothing', () => {
    const t = terminal();
    const on = terminalProgress(t, { env: {} })!;
    on({ phase: 'start', name: 'calc', bytes: 2237, waitingForPeer: false });
    on({ phase: 'done', name: 'calc', bytes: 2237, ms: 40, by: 'self' });
    expect(t.text).toBe('');
    expect(terminalProgress(terminal(false), { env: {} })).toBeUndefined();
    expect(terminalProgress(terminal(), { env: { CI: 'true' } })).toBeUndefined();
    expect(terminalProgress(terminal(), { env: { CI: '' } })).toBeDefined();
  });
});

describe('witplug run in a terminal', () => {
  const req = {
    id: '1', method: 'get', path: '/x', query: null, headers: [], body: [],
    client: { tls: true, authenticated: false, internal: false, bot: false }, receivedAtMs: 0,
  };
  /** Runs the CLI on a cold cache with stdout and stderr on a pseudo-terminal (script(1)); returns what the terminal showed. */
  async function inTerminal(...extra: string[]): Promise<string> {
    const args = [MAIN, 'run', 'guests/dist/gateway-js.wasm', '--wit', 'wit', '--world', 'gateway-plugin',
      '--call', 'filter#check', '--args', JSON.stringify([req]), ...extra];
    const command = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const env: NodeJS.ProcessEnv = { ...process.env, WITPLUG_CACHE_DIR: tempDir('cli') };
    delete env['CI'];
    const r = await run('script', ['-qec', command, '/dev/null'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.stdout;
  }

  it('shows the first compile of a big guest, and nothing of it under --json', async () => {
    expect(await inTerminal()).toMatch(/compiling gateway-js \(\d+\.\d MB\)… done in \d+\.\d s/);
    const quiet = await inTerminal('--json');
    expect(quiet).not.toContain('compiling');
    expect(quiet).toContain('"ok":true');
  }, 360_000);
});
