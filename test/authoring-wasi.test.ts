/**
 * The world a plugin is built against keeps only the WASI interfaces its
 * project lists: every way a world can name WASI (include with a `with`
 * clause, single imports, several items on a line), with comments and other
 * worlds left alone, checked by resolving the narrowed copy.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadContract, WitplugError } from '../src/index.js';
import { buildWorld, checkWasiChoice, wasiImports } from '../src/authoring/wasi-target.js';
import { parseWasiChoice } from '../src/authoring/project.js';
import type { WasiChoice } from '../src/authoring/project.js';

const NARROWING = join(process.cwd(), 'test', 'fixtures', 'authoring', 'narrowing');

async function narrowed(world: string, choice: WasiChoice): Promise<{ wasi: string[]; api: boolean; tock: boolean; texts: string[] }> {
  const contract = await loadContract(NARROWING, world);
  const target = await buildWorld(NARROWING, contract, choice);
  try {
    const result = await loadContract(target.witPath, world);
    return {
      wasi: wasiImports(result).sort(),
      api: result.shape.exports.some((e) => e.name === 'test:narrowing/api@0.1.0'),
      tock: result.shape.imports.some((i) => i.name === 'tock'),
      texts: ['worlds.wit', 'other.wit'].map((f) => readFileSync(join(target.witPath, f), 'utf8')),
    };
  } finally {
    await target.dispose();
  }
}

describe('narrowing a world to the WASI a plugin asks for', () => {
  it('none removes an include with a `with` clause and single imports; the exports stay', async () => {
    const r = await narrowed('first', 'none');
    expect(r.wasi).toEqual([]);
    expect(r.api).toBe(true);
    expect(r.tock).toBe(true);
    // The comment naming WASI and the other world's include are untouched.
    expect(r.texts[0]).toContain('// import wasi:cli/stdout@0.2.12;');
    expect(r.texts[0]).toContain('world second {\n  include wasi:random/imports@0.2.12;');
  });

  it('a list keeps exactly those interfaces (and what their types need), at the world\'s versions', async () => {
    const r = await narrowed('first', ['wasi:cli/stdout', 'wasi:clocks/monotonic-clock']);
    expect(r.wasi.filter((n) => !n.startsWith('wasi:io/'))).toEqual(['wasi:cli/stdout@0.2.12', 'wasi:clocks/monotonic-clock@0.2.12']);
  });

  it('several WASI items on one line, in a world declared in a second file', async () => {
    expect((await narrowed('third', 'none')).wasi).toEqual([]);
    expect((await narrowed('third', ['wasi:random/insecure'])).wasi).toEqual(['wasi:random/insecure@0.2.12']);
  });

  it('all builds against the WIT as written, without a copy', async () => {
    const contract = await loadContract(NARROWING, 'second');
    const target = await buildWorld(NARROWING, contract, 'all');
    expect(target.witPath).toBe(NARROWING);
    await target.dispose();
  });

  it('refuses interfaces the world does not offer and malformed choices with USAGE', async () => {
    const contract = await loadContract(NARROWING, 'third');
    expect(() => checkWasiChoice(['wasi:cli/stdout'], contract)).toThrow(/does not offer wasi:cli\/stdout \(its WASI interfaces: wasi:random\/insecure, wasi:random\/random\)/);
    for (const bad of ['', 'wasi:cli/stdout@0.2.12', 'cli/stdout', 'none,wasi:cli/stdout']) {
      expect(() => parseWasiChoice(bad)).toThrow(WitplugError);
    }
    expect(parseWasiChoice(' wasi:cli/stdout , wasi:cli/stderr,wasi:cli/stdout')).toEqual(['wasi:cli/stderr', 'wasi:cli/stdout']);
  });
});
