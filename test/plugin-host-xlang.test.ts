/**
 * PluginHost's waterfall over `result<T, E>` / `option<T>` and its optional
 * hooks with JavaScript, C and WAT plugins side by side in one host. The JS
 * and C guests are made the way a plugin author makes them (`witplug new`,
 * the generated source edited, `witplug build`) from the same contract as the
 * WAT guests of plugin-host-dispatch.test.ts, and must answer the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompileCache } from '../src/compile/cache.js';
import { PluginHost } from '../src/runtime/host/plugin-host.js';
import { prepare } from '../src/runtime/load/prepare.js';
import type { HookSpec } from '../src/runtime/host/types.js';
import { run } from './helpers/run.js';
import { STEPS_WIT, stepsContract } from './helpers/waterfall-guests.js';

/** A JS build (componentize-js) takes tens of seconds on a busy machine. */
const BUILD_TIMEOUT = 300_000;
const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');

const work = mkdtempSync(join(tmpdir(), 'witplug-xlang-'));
const cache = new CompileCache(join(work, 'cache'));
const witDir = join(work, 'wit');
mkdirSync(witDir);
writeFileSync(join(witDir, 'wf.wit'), STEPS_WIT);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `witplug new` for the steps contract, the plugin source replaced, then `witplug build` (the built CLI). */
async function authored(name: string, lang: 'js' | 'c', world: 'wf' | 'steps-only', source: string): Promise<string> {
  const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { cwd: work, timeoutMs: BUILD_TIMEOUT });
  const created = await cli('new', name, '--lang', lang, '--wit', witDir, '--world', world);
  expect(created.code, created.stdout + created.stderr).toBe(0);
  writeFileSync(join(work, name, 'src', lang === 'js' ? 'plugin.js' : 'plugin.c'), source);
  const built = await cli('build', name, '--json');
  expect(built.code, built.stdout + built.stderr).toBe(0);
  return (JSON.parse(built.stdout) as { path: string }).path;
}

/** Like the WAT guests: `n + 1` below 1000, `err("big")` / `none` at or above; with `extra`, `bump` is `n + 100`. */
function jsAdd1(extra: boolean): string {
  return `export const steps = {
  step(n) {
    if (n >= 1000) throw 'big';
    return n + 1;
  },
  maybe(n) {
    return n >= 1000 ? undefined : n + 1;
  },
  same(n) {
    return n + 1;
  },
};
${extra ? '\nexport const extra = {\n  bump(n) {\n    return n + 100;\n  },\n};\n' : ''}`;
}

/** `n * 10` below 50, `err("big")` / `none` at or above; with `extra`, `bump` is `n + 10`. */
function cTimes10(extra: boolean): string {
  const prefix = extra ? 'wf' : 'steps_only'; // the bindings are named after the world
  return `#include "${prefix}.h"

static uint32_t op(uint32_t n) { return n * 10; }

void exports_test_wf_steps_step(uint32_t n, ${prefix}_result_u32_string_t *ret) {
  if (n >= 50) {
    ret->is_err = true;
    ${prefix}_string_set(&ret->val.err, "big");
    return;
  }
  ret->is_err = false;
  ret->val.ok = op(n);
}

void exports_test_wf_steps_maybe(uint32_t n, ${prefix}_option_u32_t *ret) {
  ret->is_some = n < 50;
  ret->val = ret->is_some ? op(n) : 0;
}

uint32_t exports_test_wf_steps_same(uint32_t n) { return op(n); }
${extra ? '\nuint32_t exports_test_wf_extra_bump(uint32_t n) { return n + 10; }\n' : ''}`;
}

let steps: Awaited<ReturnType<typeof stepsContract>>;
let js: string;
let jsPartial: string;
let c: string;
let cPartial: string;
let wat: Uint8Array;
let watPartial: Uint8Array;
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('dist/cli/main.js was not built: run npm run build');
  steps = await stepsContract();
  js = await authored('add1-js', 'js', 'wf', jsAdd1(true));
  jsPartial = await authored('add1-js-partial', 'js', 'steps-only', jsAdd1(false));
  c = await authored('times10-c', 'c', 'wf', cTimes10(true));
  cPartial = await authored('times10-c-partial', 'c', 'steps-only', cTimes10(false));
  wat = await steps.guest({ op: '(i32.add (local.get $n) (i32.const 2))', limit: 1000 });
  watPartial = await steps.guest({ op: '(i32.add (local.get $n) (i32.const 2))', limit: 1000, extra: false });
}, BUILD_TIMEOUT);

describe('waterfall over result<T, E> and option<T> across JS, C and WAT plugins', () => {
  const HOOKS: Record<string, HookSpec> = {
    step: { target: 'steps#step', kind: 'waterfall' },
    maybe: { target: 'steps#maybe', kind: 'waterfall' },
    maybeSkip: { target: 'steps#maybe', kind: 'waterfall', onNone: 'skip' },
    same: { target: 'steps#same', kind: 'waterfall' },
  };
  let host: PluginHost;
  beforeAll(async () => {
    host = new PluginHost({ contract: steps.contract, cache, hooks: HOOKS, logger: () => {} });
    await host.load(js, { name: 'add1-js', priority: 3 });
    await host.load(c, { name: 'times10-c', priority: 2 });
    await host.load(wat, { name: 'add2-wat', priority: 1 });
  }, 120_000);
  afterAll(() => host.close());

  it('ok feeds the next plugin; the hook answers ok of the last value', () => {
    expect(host.plugins().map((p) => p.name)).toEqual(['add1-js', 'times10-c', 'add2-wat']);
    expect(host.run('step', 1)).toEqual({ tag: 'ok', val: 22 }); // (1 + 1) * 10 + 2
    expect(host.run('step', 5)).toEqual({ tag: 'ok', val: 62 });
    expect(host.run('same', 1)).toBe(22);
  });

  it('the first err is the answer, from a C or a JS plugin; later plugins are not called', () => {
    const calls = (name: string) => host.plugins().find((p) => p.name === name)!.stats['step']?.calls ?? 0;
    const before = { c: calls('times10-c'), wat: calls('add2-wat') };
    expect(host.run('step', 49)).toEqual({ tag: 'err', val: 'big' }); // the C plugin sees 50
    expect(calls('add2-wat')).toBe(before.wat);
    expect(host.run('step', 1000)).toEqual({ tag: 'err', val: 'big' }); // the JS plugin refuses
    expect([calls('times10-c'), calls('add2-wat')]).toEqual([before.c + 1, before.wat]);
  });

  it('some feeds the next plugin; none stops (default) or is skipped (onNone: skip)', () => {
    expect(host.run('maybe', 1)).toBe(22);
    expect(host.run('maybe', 49)).toBeNull();
    expect(host.run('maybeSkip', 49)).toBe(52); // the C plugin declined: 50 goes on to the WAT one
    expect(host.run('maybe', 1000)).toBeNull(); // the JS plugin declines first
    expect(host.run('maybeSkip', 1000)).toBe(1000); // every plugin declines: the fed value comes out
  });

  it('isolated plugins of each language feed the same way', async () => {
    const iso = new PluginHost({ contract: steps.contract, cache, hooks: HOOKS, logger: () => {}, isolate: true });
    try {
      await iso.load(js, { name: 'add1-js', priority: 3 });
      await iso.load(c, { name: 'times10-c', priority: 2 });
      await iso.load(wat, { name: 'add2-wat', priority: 1 });
      expect(iso.plugins().every((p) => p.isolated)).toBe(true);
      expect([iso.run('step', 1), iso.run('step', 49), iso.run('step', 1000), iso.run('maybe', 49), iso.run('maybeSkip', 49)])
        .toEqual([{ tag: 'ok', val: 22 }, { tag: 'err', val: 'big' }, { tag: 'err', val: 'big' }, null, 52]);
    } finally {
      iso.close();
    }
  }, 120_000);
});

describe('optional hooks across JS, C and WAT plugins', () => {
  const HOOKS: Record<string, HookSpec> = {
    same: { target: 'steps#same', kind: 'collect' },
    bump: { target: 'extra#bump', kind: 'collect', optional: true },
  };

  it('plugins lacking the optional interface are admitted and passed by; those having it are called', async () => {
    const host = new PluginHost({ contract: steps.contract, cache, hooks: HOOKS, logger: () => {} });
    try {
      await host.load(js, { name: 'js-full', priority: 6 });
      await host.load(jsPartial, { name: 'js-partial', priority: 5 });
      await host.load(c, { name: 'c-full', priority: 4 });
      await host.load(cPartial, { name: 'c-partial', priority: 3 });
      await host.load(wat, { name: 'wat-full', priority: 2 });
      await host.load(watPartial, { name: 'wat-partial', priority: 1 });
      expect(host.run('same', 1)).toEqual([2, 2, 10, 10, 3, 3]);
      expect(host.run('bump', 1)).toEqual([101, 11, 2]); // JS adds 100, C 10, WAT 1
      const stats = Object.fromEntries(host.plugins().map((p) => [p.name, p.stats['bump']?.calls]));
      expect(stats).toEqual({ 'js-full': 1, 'js-partial': undefined, 'c-full': 1, 'c-partial': undefined, 'wat-full': 1, 'wat-partial': undefined });
    } finally {
      host.close();
    }
  }, 60_000);

  it.each([['JS', () => jsPartial], ['C', () => cPartial]])('the %s plugin lacking it is admitted with a note; without optional it is rejected', async (_lang, path) => {
    const prepared = await prepare(path(), { contract: steps.contract, cache, optionalExports: new Set(['test:wf/extra']) });
    try {
      expect(prepared.report!.notes.filter((n) => n.code === 'OPTIONAL_EXPORT_MISSING').map((n) => n.path)).toEqual(['export test:wf/extra']);
    } finally {
      void prepared.close();
    }
    const strict = new PluginHost({ contract: steps.contract, cache, hooks: { ...HOOKS, bump: { target: 'extra#bump', kind: 'collect' } }, logger: () => {} });
    await expect(strict.load(path(), { name: 'partial' })).rejects.toMatchObject({ code: 'REJECTED' });
    strict.close();
  }, 60_000);
});
