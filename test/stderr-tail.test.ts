/**
 * A plugin's TRAP carries what it wrote to stderr last: a JavaScript
 * plugin's uncaught `throw` (StarlingMonkey prints the exception before it
 * traps), a WAT plugin printing its reason before `unreachable` (as C does
 * before abort()), in-process and isolated; the tail is bounded and belongs
 * to the instance that failed. A JavaScript plugin that reports its failure
 * as a WIT `result` gets `err` instead of a trap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompileCache, loadPlugin, type Plugin } from '../src/index.js';
import { STDERR_TAIL_BYTES, STDERR_TAIL_LINES, StderrTail } from '../src/runtime/capabilities/stderr-tail.js';
import { failsWith } from './helpers/fails.js';

const JS_GUEST = 'guests/dist/thrower-js.wasm';
const WAT_GUEST = 'guests/dist/stderr-wat.wasm';
/** componentize-js with stdio imports wasi:cli, wasi:io, and (unused here) clocks and filesystem types. */
const JS_GRANT = { imports: ['wasi:cli/*', 'wasi:io/*', 'wasi:clocks/*', 'wasi:filesystem/*'] };
const WAT_GRANT = { imports: ['wasi:cli/*', 'wasi:io/*'] };
const cache = new CompileCache(mkdtempSync(join(tmpdir(), 'witplug-stderr-')));

beforeAll(() => {
  for (const path of [JS_GUEST, WAT_GUEST]) if (!existsSync(path)) throw new Error(`${path} missing: run npm run build:guests`);
});

describe('a JavaScript plugin that throws', () => {
  let plugin: Plugin;
  beforeAll(async () => {
    plugin = await loadPlugin(JS_GUEST, { grant: JS_GRANT, cache, log: () => {} });
  }, 120_000);
  afterAll(() => plugin.close());

  it('fails with TRAP carrying the exception message and stack in error.stderr and in the message', () => {
    const { err } = failsWith('TRAP', () => plugin.call('fail', ['the order has no customer']));
    expect(err.stderr).toBeDefined();
    const lines = err.stderr!.split('\n');
    expect(lines[0]).toBe('the order has no customer');
    expect(err.stderr).toContain('fail@guests/js-stdio/thrower.js');
    // The guest's words come right after the first line, before the wasm backtrace.
    const message = err.message.split('\n');
    expect(message[0]).toMatch(/trapped in fail/);
    expect(message[1]).toBe('plugin stderr (last lines):');
    expect(message[2]).toBe('  the order has no customer');
  });

  it('keeps only the last lines of a long output', () => {
    const { err } = failsWith('TRAP', () => plugin.call('noisy', [40]));
    const lines = err.stderr!.split('\n');
    expect(lines.length).toBe(STDERR_TAIL_LINES);
    expect(lines).toContain('gave up after 40 lines');
    expect(lines).not.toContain('noise line 1');
    expect(lines).toContain('noise line 40');
    expect(lines).not.toContain('noise line 20');
  });

  it('a failure reported as a WIT result is err(payload), not a trap', () => {
    expect(plugin.call('shout', [''])).toEqual({ tag: 'err', val: 'empty input' });
    expect(plugin.call('shout', ['ok'])).toEqual({ tag: 'ok', val: 'OK' });
  });
});

describe('a WAT plugin that prints its reason to stderr, then traps', () => {
  let plugin: Plugin;
  beforeAll(async () => {
    plugin = await loadPlugin(WAT_GUEST, { grant: WAT_GRANT, cache, log: () => {} });
  });
  afterAll(() => plugin.close());

  it('attaches exactly the lines it wrote', () => {
    const { err } = failsWith('TRAP', () => plugin.call('fail', [3]));
    expect(err.stderr).toBe('line 0001\nline 0002\nline 0003\nwat plugin: giving up');
  });

  it('the tail belongs to the failed instance: lines from before a trap are not attached to the next one', () => {
    expect(plugin.call('chatty', [])).toBe(7);
    expect(failsWith('TRAP', () => plugin.call('fail', [1])).err.stderr).toBe('all fine\nline 0001\nwat plugin: giving up');
    expect(failsWith('TRAP', () => plugin.call('fail', [0])).err.stderr).toBe('wat plugin: giving up');
  });

  it(`is bounded: at most ${STDERR_TAIL_LINES} lines of the last ${STDERR_TAIL_BYTES} bytes`, () => {
    expect(600 * 'line NNNN\n'.length).toBeGreaterThan(STDERR_TAIL_BYTES);
    const { err } = failsWith('TRAP', () => plugin.call('fail', [600]));
    const lines = err.stderr!.split('\n');
    expect(lines).toHaveLength(STDERR_TAIL_LINES);
    expect(lines.at(-1)).toBe('wat plugin: giving up');
    expect(lines.at(-2)).toBe('line 0600');
  });

  it('isolated: the tail crosses from the worker with the TRAP', async () => {
    const isolated = await loadPlugin(WAT_GUEST, { grant: WAT_GRANT, cache, log: () => {}, isolate: true });
    try {
      const { err } = failsWith('TRAP', () => isolated.call('fail', [2]));
      expect(err.stderr).toBe('line 0001\nline 0002\nwat plugin: giving up');
      expect(err.message).toContain('plugin stderr (last lines):\n  line 0001');
    } finally {
      await isolated.close();
    }
  }, 60_000);
});

describe('StderrTail', () => {
  it('keeps the last bytes across many small and one huge write', () => {
    const tail = new StderrTail();
    for (let i = 0; i < 1000; i++) tail.write(Buffer.from(`w${i}\n`));
    tail.write(Buffer.from('x'.repeat(3 * STDERR_TAIL_BYTES) + '\nend\n'));
    const kept = tail.take()!;
    expect(kept.split('\n')).toEqual(['x'.repeat(STDERR_TAIL_BYTES - 5), 'end']);
    expect(tail.take()).toBeNull(); // taken: empty
  });

  it('a multi-byte character cut by the bound is replaced, not an error', () => {
    const tail = new StderrTail();
    tail.write(Buffer.from('é'.repeat(STDERR_TAIL_BYTES)));
    const kept = tail.take()!;
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(STDERR_TAIL_BYTES + 2);
    expect(kept.endsWith('é')).toBe(true);
  });

  it('only blank output is no tail', () => {
    const tail = new StderrTail();
    tail.write(Buffer.from('\n \r\n'));
    expect(tail.take()).toBeNull();
  });
});
